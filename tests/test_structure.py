"""Views only orchestrate: every query and change goes through `survey.data`, which also commits.

A view that builds a `select(...)` or touches `db.session` puts a query or a commit where no data
function (and no test of one) sees it. As `analysis`'s import rule is checked, this rule is checked.
"""

from __future__ import annotations

import ast
from pathlib import Path

SURVEY = Path(__file__).resolve().parent.parent / "survey"
VIEW_PACKAGES = ("admin", "auth", "pupil", "review", "school")
NOT_VIEWS = {
    # The pupil pages' own store: raw SQL on one connection, for the page budget (see its docstring).
    "pupil/store.py",
}
# Views allowed to query for now: none (the results views read releases through survey.results).
KNOWN_EXCEPTIONS: set[str] = set()


def view_modules() -> list[Path]:
    found = [SURVEY / "access.py", SURVEY / "form_fields.py"]
    for package in VIEW_PACKAGES:
        found += sorted((SURVEY / package).rglob("*.py"))
    return [p for p in found if p.relative_to(SURVEY).as_posix() not in NOT_VIEWS | KNOWN_EXCEPTIONS]


def database_uses(path: Path) -> list[str]:
    """`select(...)` calls, `db.` uses and imports of the session or of SQLAlchemy's query builders."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if (
            isinstance(node, ast.Call)
            and getattr(node.func, "id", getattr(node.func, "attr", "")) == "select"
        ):
            found.append(f"{node.lineno}: select(")
        elif isinstance(node, ast.Attribute) and getattr(node.value, "id", None) == "db":
            found.append(f"{node.lineno}: db.{node.attr}")
        elif isinstance(node, ast.ImportFrom):
            module = node.module or ""
            # Query builders (select, func, or_ ...), not types such as Select for an annotation.
            names = {a.name for a in node.names if module.startswith("sqlalchemy") and a.name[0].islower()}
            names |= {a.name for a in node.names if module.endswith("extensions") and a.name == "db"}
            if names:
                found.append(f"{node.lineno}: from {module} import {', '.join(sorted(names))}")
    return sorted(found, key=lambda use: (int(use.split(":")[0]), use))


def test_views_never_query_or_commit():
    offenders = {
        path.relative_to(SURVEY).as_posix(): uses for path in view_modules() if (uses := database_uses(path))
    }
    assert offenders == {}, "move these into survey/data/ functions (one per thing a user does)"


def test_the_check_finds_a_query_in_a_view(tmp_path):
    view = tmp_path / "routes.py"
    view.write_text(
        "from sqlalchemy import select\nfrom ..extensions import db\n\n"
        "def page():\n    rows = db.session.scalars(select(User))\n    db.session.commit()\n"
    )
    assert database_uses(view) == [
        "1: from sqlalchemy import select",
        "2: from extensions import db",
        "5: db.session",
        "5: select(",
        "6: db.session",
    ]


def test_known_exceptions_still_exist():
    # When one is rewritten or removed, take it off the list so the rule covers it again.
    for name in KNOWN_EXCEPTIONS | NOT_VIEWS:
        assert (SURVEY / name).exists(), name
