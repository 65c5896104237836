"""Command-line tasks: good files are imported, bad files are explained and nothing is saved."""

from __future__ import annotations

import csv

import pytest
import sqlalchemy as sa

from survey import codes
from survey.extensions import db
from survey.models import AuditEvent, PupilCode, QuestionnaireVersion, RosterEntry, School, User, Wave

# Both databases: the command line writes through the data layer, and `make db` uses SQLite by default.
pytestmark = pytest.mark.both_databases

GIAS_HEADER = (
    "URN,EstablishmentName,LA (code),LA (name),PhaseOfEducation (name),TypeOfEstablishment (name),"
    "Trusts (name),Postcode"
)
SCHOOLS = f"""{GIAS_HEADER}
100001,Hillside Academy,201,Northshire,Secondary,Academy converter,Hill Trust,AB1 2CD
100002,Brook Primary School,201,Northshire,Primary,Community school,,AB1 3CD
100003,Ysgol y Bont,661,Sir Enghraifft,Secondary,Community school,,CF1 1AA
"""
ROSTER_HEADER = (
    "pupil_reference,year_group,gender,ethnicity_major,ethnicity_minor,sen,fsm,eal,looked_after,class"
)
ROSTER = f"""{ROSTER_HEADER}
P0001,7,F,WHIT,WBRI,N,N,N,N,7A
P0002,7,M,BLAC,BCRB,K,Y,N,N,7A
P0003,Year 8,O,,WROM,EHCP,y,n,Y,8B
P0004,9,,,,,,,,
"""


def count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def write(tmp_path, name, text) -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


@pytest.fixture
def schools(loaded, runner, tmp_path):
    result = runner.invoke(args=["import-schools", write(tmp_path, "schools.csv", SCHOOLS)])
    assert result.exit_code == 0, result.output
    return loaded


@pytest.fixture
def wave(schools, runner):
    result = runner.invoke(
        args=[
            "create-wave",
            "--questionnaire",
            "national-secondary",
            "--name",
            "Autumn 2026",
            "--opens",
            "2026-11-01",
            "--closes",
            "2026-12-18",
            "--school",
            "100001",
        ]
    )
    assert result.exit_code == 0, result.output
    with schools.app_context():
        return db.session.scalar(sa.select(Wave.id))


def test_load_questionnaires_is_idempotent(app, runner):
    first = runner.invoke(args=["load-questionnaires"])
    second = runner.invoke(args=["load-questionnaires"])
    assert "national-secondary version 1: loaded" in first.output
    assert "national-secondary version 1: already loaded" in second.output
    assert count(app, QuestionnaireVersion) == 2


def test_changed_questionnaire_needs_a_new_version(loaded, runner):
    with loaded.app_context():
        row = db.session.scalar(
            sa.select(QuestionnaireVersion).filter_by(questionnaire_id="national-primary")
        )
        row.checksum = "0" * 64  # as if the file had been edited since it was loaded
        db.session.commit()
    result = runner.invoke(args=["load-questionnaires"])
    assert result.exit_code == 1
    assert "national-primary.yaml: version 2 was loaded before with different content" in result.output


def test_import_schools_adds_then_updates(schools, runner, tmp_path):
    with schools.app_context():
        hillside = db.session.scalar(sa.select(School).filter_by(urn=100001))
        assert (hillside.name, hillside.la_code, hillside.la_name, hillside.phase, hillside.trust) == (
            "Hillside Academy",
            "201",
            "Northshire",
            "Secondary",
            "Hill Trust",
        )
        assert db.session.scalar(sa.select(School.trust).filter_by(urn=100002)) is None
    renamed = SCHOOLS.replace("Hillside Academy", "Hillside Community Academy")
    result = runner.invoke(args=["import-schools", write(tmp_path, "again.csv", renamed)])
    assert "0 schools added, 3 updated" in result.output
    assert count(schools, School) == 3
    with schools.app_context():
        assert db.session.scalar(sa.select(School.name).filter_by(urn=100001)) == "Hillside Community Academy"
        assert (
            db.session.scalar(sa.select(AuditEvent.action).order_by(AuditEvent.id.desc())) == "import_schools"
        )


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        (SCHOOLS.replace("100002,", "1002,"), "line 3, column 'URN': '1002' is not a URN (5 to 7 digits)"),
        (SCHOOLS.replace("100003,", "100001,"), "line 4, column 'URN': 100001 is also on line 2"),
        (SCHOOLS.replace(",Brook Primary School,", ",,"), "line 3, column 'EstablishmentName': is empty"),
        (SCHOOLS.replace("LA (name),", ""), "line 1: missing column(s) 'LA (name)'"),
        ("", "line 1: the file is empty"),
        (
            SCHOOLS + "100004,Extra,201,Northshire,Primary,Community school,,X,surplus\n",
            "line 5: more values than columns",
        ),
    ],
)
def test_bad_schools_file_is_explained_and_nothing_saved(loaded, runner, tmp_path, text, problem):
    result = runner.invoke(args=["import-schools", write(tmp_path, "schools.csv", text)])
    assert result.exit_code == 1
    assert problem in result.output
    assert "nothing was saved" in result.output
    assert "Traceback" not in result.output
    assert count(loaded, School) == 0


def test_not_utf8_file_is_explained(loaded, runner, tmp_path):
    path = tmp_path / "schools.csv"
    path.write_bytes(SCHOOLS.replace("Ysgol y Bont", "Ysgol y Bônt").encode("latin-1"))
    result = runner.invoke(args=["import-schools", str(path)])
    assert result.exit_code == 1 and "not UTF-8" in result.output


def test_create_wave_checks_its_input(schools, runner):
    base = ["create-wave", "--name", "W", "--questionnaire"]
    unknown = runner.invoke(
        args=[*base, "national-tertiary", "--opens", "2026-11-01", "--closes", "2026-12-01"]
    )
    assert "'national-tertiary' has not been loaded" in unknown.output
    backwards = runner.invoke(
        args=[*base, "national-primary", "--opens", "2026-12-01", "--closes", "2026-11-01"]
    )
    assert "the wave must close after it opens" in backwards.output
    bad_date = runner.invoke(args=[*base, "national-primary", "--opens", "1st Dec", "--closes", "2026-11-01"])
    assert "'1st Dec' is not a date like 2026-11-30" in bad_date.output
    no_school = runner.invoke(
        args=[
            *base,
            "national-primary",
            "--opens",
            "2026-11-01",
            "--closes",
            "2026-12-01",
            "--school",
            "999999",
        ]
    )
    assert "no school with URN 999999" in no_school.output
    assert count(schools, Wave) == 0


def test_roster_import_and_codes(wave, runner, tmp_path):
    app = runner.app
    result = runner.invoke(
        args=[
            "import-roster",
            "--wave",
            str(wave),
            "--school",
            "100001",
            write(tmp_path, "roster.csv", ROSTER),
        ]
    )
    assert result.exit_code == 0, result.output
    assert "4 pupils added, 0 updated" in result.output
    with app.app_context():
        p3 = db.session.scalar(sa.select(RosterEntry).filter_by(pupil_reference="P0003"))
        assert (
            p3.year_group,
            p3.gender,
            p3.ethnicity_major,
            p3.ethnicity_minor,
            p3.sen.value,
            p3.fsm,
            p3.eal,
            p3.looked_after,
            p3.class_name,
        ) == (8, "O", "WHIT", "WROM", "E", True, False, True, "8B")
        p4 = db.session.scalar(sa.select(RosterEntry).filter_by(pupil_reference="P0004"))
        assert (p4.gender, p4.sen, p4.fsm, p4.class_name) == (None, None, None, None)

    out = tmp_path / "codes.csv"
    result = runner.invoke(args=["issue-codes", "--wave", str(wave), "--school", "100001", "--out", str(out)])
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(out.open()))
    # Sorted by class so slips can be handed out class by class; pupils with no class come last.
    assert [r["pupil_reference"] for r in rows] == ["P0001", "P0002", "P0003", "P0004"]
    assert all(codes.looks_like_a_code(r["code"]) for r in rows)
    assert len({r["code"] for r in rows}) == 4
    with app.app_context():
        stored = set(db.session.scalars(sa.select(PupilCode.code_hash)))
        # Only keyed hashes are kept: the printed code is nowhere in the database.
        assert stored == {codes.hash_code(r["code"]) for r in rows}
        assert not {codes.normalise(r["code"]) for r in rows} & stored
    again = runner.invoke(args=["issue-codes", "--wave", str(wave), "--school", "100001", "--out", "-"])
    assert "0 codes issued" in again.output
    assert count(app, PupilCode) == 4


def test_issued_codes_csv_keeps_a_formula_as_text(wave, runner, tmp_path):
    roster = f"{ROSTER_HEADER}\nP0001,7,F,WHIT,WBRI,N,N,N,N,=SUM(A1:A9)\n"
    args = ["import-roster", "--wave", str(wave), "--school", "100001", write(tmp_path, "r.csv", roster)]
    assert runner.invoke(args=args).exit_code == 0
    out = tmp_path / "codes.csv"
    result = runner.invoke(args=["issue-codes", "--wave", str(wave), "--school", "100001", "--out", str(out)])
    assert result.exit_code == 0, result.output
    (row,) = csv.DictReader(out.open())
    assert row["class"] == "'=SUM(A1:A9)"


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (
            lambda t: t.replace("P0002,", "Jo Bloggs,"),
            "line 3, column 'pupil_reference': must be your own pseudonymous reference",
        ),
        (
            lambda t: t.replace("P0002,", "P0001,"),
            "line 3, column 'pupil_reference': P0001 is also on line 2",
        ),
        (
            lambda t: t.replace("P0001,7,", "P0001,3,"),
            "line 2, column 'year_group': 3 is not a year this questionnaire is for (7–13)",
        ),
        (
            lambda t: t.replace("P0001,7,", "P0001,seven,"),
            "line 2, column 'year_group': 'seven' is not a year group",
        ),
        (
            lambda t: t.replace(",BLAC,BCRB,", ",WHIT,BCRB,"),
            "line 3, column 'ethnicity_minor': BCRB belongs to BLAC, not WHIT",
        ),
        (
            lambda t: t.replace(",WHIT,WBRI,", ",WHYT,WBRI,"),
            "line 2, column 'ethnicity_major': 'WHYT' is not a DfE major ethnicity code",
        ),
        (
            lambda t: t.replace(",K,Y,", ",maybe,Y,"),
            "line 3, column 'sen': 'maybe' is not N (none), K (SEN support",
        ),
        (
            lambda t: t.replace(",K,Y,", ",K,sometimes,"),
            "line 3, column 'fsm': 'sometimes' is not Y, N or blank",
        ),
        (lambda t: t.replace("looked_after,", ""), "line 1: missing column(s) 'looked_after'"),
        (lambda t: t.split("\n")[0] + "\n", "the file has no pupils"),
    ],
)
def test_bad_roster_is_explained_and_nothing_saved(wave, runner, tmp_path, change, problem):
    result = runner.invoke(
        args=[
            "import-roster",
            "--wave",
            str(wave),
            "--school",
            "100001",
            write(tmp_path, "roster.csv", change(ROSTER)),
        ]
    )
    assert result.exit_code == 1
    assert problem in result.output
    assert count(runner.app, RosterEntry) == 0


def test_roster_lists_every_problem(wave, runner, tmp_path):
    text = ROSTER.replace("P0001,7,F", "P0001,3,X").replace(",K,Y,", ",Q,Y,")
    result = runner.invoke(
        args=["import-roster", "--wave", str(wave), "--school", "100001", write(tmp_path, "roster.csv", text)]
    )
    assert "3 problem(s)" in result.output


def test_create_user_hashes_the_password_and_checks_scope(schools, runner):
    ok = runner.invoke(
        args=[
            "create-user",
            "--email",
            "Lead@Hillside.example",
            "--role",
            "school_lead",
            "--school",
            "100001",
            "--password",
            "a long enough password",
        ]
    )
    assert ok.exit_code == 0, ok.output
    with schools.app_context():
        user = db.session.scalar(sa.select(User))
        assert user.email == "lead@hillside.example"
        assert "a long enough password" not in user.password_hash
        assert [s.urn for s in user.schools] == [100001]
    no_school = runner.invoke(
        args=[
            "create-user",
            "--email",
            "x@y.example",
            "--role",
            "school_lead",
            "--password",
            "a long enough password",
        ]
    )
    assert "a school lead must be given at least one school" in no_school.output
    short = runner.invoke(
        args=[
            "create-user",
            "--email",
            "r@y.example",
            "--role",
            "reviewer",
            "--la",
            "201",
            "--password",
            "short",
        ]
    )
    assert "at least 12 characters" in short.output
    twice = runner.invoke(
        args=[
            "create-user",
            "--email",
            "lead@hillside.example",
            "--role",
            "admin",
            "--password",
            "a long enough password",
        ]
    )
    assert "already a user" in twice.output
    assert count(schools, User) == 1


@pytest.mark.parametrize(
    "command",
    [
        "load-questionnaires",
        "import-schools",
        "create-wave",
        "import-roster",
        "issue-codes",
        "create-user",
        "demo",
        "synthetic",
        "export-responses",
    ],
)
def test_every_command_has_help(runner, command):
    result = runner.invoke(args=[command, "--help"])
    assert result.exit_code == 0 and "Usage:" in result.output


def test_codes_are_forgiving_to_type():
    code = codes.generate()
    assert codes.looks_like_a_code(code.lower().replace("-", " "))
    assert codes.normalise(f" {code.lower()} ") == code.replace("-", "")
    assert not set("O0I1LU") & set(codes.ALPHABET)
    assert len(codes.ALPHABET) ** codes.LENGTH >= 2**40
