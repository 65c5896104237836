"""The public API is importable as documented, and analysis never imports the web app or a database."""

import subprocess
import sys

import analysis


def test_public_names_are_callables():
    for name in (
        "score",
        "aggregate",
        "gaps",
        "reliability",
        "funnel",
        "shrink",
        "disproportionality",
        "weights",
    ):
        assert callable(getattr(analysis, name)), name
    assert callable(analysis.text.redact)


def test_analysis_imports_no_flask_or_database_driver():
    code = (
        "import sys, analysis, analysis.__main__; "
        "bad = [m for m in ('flask', 'sqlalchemy', 'psycopg', 'survey') if m in sys.modules]; "
        "print(','.join(bad))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == ""
