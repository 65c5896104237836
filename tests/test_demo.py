"""`flask demo`: realistic synthetic data, loaded once, with fresh codes and logins printed each run.

One test per database, on the run's demo (tests/conftest.py `demo_built`): what the first `flask
demo` printed and wrote to --codes-out is kept with it, and the second run happens on a fresh copy.
"""

from __future__ import annotations

import csv
import io
import re

import pytest
import sqlalchemy as sa

from survey import codes
from survey.data.export import export_responses
from survey.extensions import db
from survey.models import (
    ConcernState,
    PupilCode,
    Response,
    ResponseStatus,
    RosterEntry,
    SafeguardingConcern,
    School,
    User,
)
from tests.conftest import make_app

# Both databases: `make demo` loads the demo into SQLite by default, production into PostgreSQL.
pytestmark = pytest.mark.both_databases


@pytest.fixture(params=["sqlite", "postgresql"])
def demo(request, demo_built, demo_copy):
    """(the app on a fresh copy of the run's demo, what the first `flask demo` printed and wrote)."""
    built = demo_built(request.param)
    app = make_app(demo_copy(request.param))
    yield app, built
    with app.app_context():
        db.engine.dispose()


def test_demo_loads_once_and_prints_fresh_codes(demo):
    loaded, first = demo
    runner = loaded.test_cli_runner()
    assert "Demo data loaded: 21 schools" in first["output"]
    printed = re.findall(r"national-(?:primary|secondary)\s+([A-Z0-9]{5}-[A-Z0-9]{5})", first["output"])
    rows = list(csv.DictReader(io.StringIO(first["codes"])))
    assert [r["code"] for r in rows] == printed
    assert [r["questionnaire"] for r in rows] == ["national-secondary"] * 5 + ["national-primary"] * 5
    for line in ("lead@demo.example", "dsl@demo.example", "reviewer@demo.example", "admin@demo.example"):
        assert line in first["output"]

    with loaded.app_context():
        # One flagged answer waits for the demo DSL, at the DSL's own school.
        (concern,) = db.session.scalars(sa.select(SafeguardingConcern))
        dsl = db.session.scalar(sa.select(User).filter_by(email="dsl@demo.example"))
        assert concern.state is ConcernState.NEW and [s.id for s in dsl.schools] == [concern.school_id]
        assert len({s.la_code for s in db.session.scalars(sa.select(School))}) >= 3
        complete = db.session.scalar(
            sa.select(sa.func.count()).where(Response.status == ResponseStatus.COMPLETE)
        )
        assert complete >= 5000
        hashes = {codes.hash_code(code) for code in printed}
        unused = db.session.scalars(sa.select(PupilCode).where(PupilCode.code_hash.in_(hashes)))
        assert len([c for c in unused if c.response is None]) == 10
        counts = (
            db.session.scalar(sa.select(sa.func.count()).select_from(t))
            for t in (School, RosterEntry, Response, User)
        )
        before = tuple(counts)

    second = runner.invoke(args=["demo"])
    assert second.exit_code == 0, second.output
    assert "Demo data is already loaded." in second.output
    again = set(re.findall(r"national-(?:primary|secondary)\s+([A-Z0-9]{5}-[A-Z0-9]{5})", second.output))
    assert len(again) == 10 and not again & set(printed)
    with loaded.app_context():
        counts = (
            db.session.scalar(sa.select(sa.func.count()).select_from(t))
            for t in (School, RosterEntry, Response, User)
        )
        assert tuple(counts) == before
        # The first run's unused codes were replaced, not added to.
        assert db.session.scalar(sa.select(sa.func.count()).where(PupilCode.code_hash.in_(hashes))) == 0

    # The synthetic answers carry the group differences the dashboards are meant to find.
    out = io.StringIO()
    with loaded.app_context():
        export_responses(out, questionnaire_id="national-secondary", actor="test")
        db.session.rollback()
    rows = [r for r in csv.DictReader(io.StringIO(out.getvalue())) if r["status"] == "complete"]

    def belonging(group):
        values = [int(r["belong_part"]) for r in rows if group(r) and r["belong_part"]]
        return sum(values) / len(values)

    def sent_out(group):
        chosen = [r for r in rows if group(r) and r["ll_sent_out"]]
        return sum(r["ll_sent_out"] != "1" for r in chosen) / len(chosen)

    assert belonging(lambda r: r["sen"] == "N") - belonging(lambda r: r["sen"] in ("K", "E")) > 0.1
    assert belonging(lambda r: r["fsm"] == "N") - belonging(lambda r: r["fsm"] == "Y") > 0.05
    assert sent_out(lambda r: r["sen"] in ("K", "E")) > 1.3 * sent_out(lambda r: r["sen"] == "N")

    # The analysis package reads the same export and finds the planted SEN gap, with no small cells.
    import pandas as pd

    import analysis
    import questionnaires

    responses = pd.read_csv(io.StringIO(out.getvalue()))
    scored = analysis.score(
        responses[responses["status"] == "complete"], questionnaires.load("national-secondary")
    )
    belonging = scored["belonging"]
    assert belonging.notna().mean() > 0.95 and belonging.dropna().between(1, 5).all()
    assert 3 < belonging.mean() < 4.6
    table = analysis.aggregate(scored, ["school_urn", "sen"], "belonging")
    assert (table.loc[~table["suppressed"], "n"] >= 10).all()
    gaps = analysis.gaps(scored, "sen", "belonging", by=None, reference="N")
    assert gaps.set_index("sen").loc["K", "gap"] < -0.1
    # Small ethnic groups are suppressed, and never alone in their school (no recovery by subtraction).
    table = analysis.aggregate(scored, ["school_urn", "ethnicity_minor"], "belonging")
    assert (table["n"].dropna() >= 10).all()
    assert table["suppressed"].any() and not table["suppressed"].all()
    suppressed_per_school = table.groupby("school_urn")["suppressed"].sum()
    assert not (suppressed_per_school == 1).any()
