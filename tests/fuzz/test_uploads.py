"""The roster and the schools register, uploaded on the web and imported on the command line: a file
with one wrong line among good ones is refused whole, the problem is named by line and column, and
no row is saved; a hostile file (binary, empty, broken CSV, odd names) is refused with a clear message
and exit status, never a traceback."""

from __future__ import annotations

import io
from html import unescape

import pytest
from hypothesis import given
from hypothesis import strategies as st

from survey.models import RosterEntry, School
from testing.fuzz_forms import GIAS_COLUMNS, ROSTER_COLUMNS, ROSTER_FILES, SCHOOL_FILES
from testing.hostile import BINARY_FILES

from .conftest import URN, assert_no_server_error, fuzz_settings

pytestmark = pytest.mark.fuzz

GOOD_PUPIL = ["R{n}", "8", "F", "WHIT", "WBRI", "N", "Y", "N", "N", "8A"]
BAD_PUPIL = {  # column: a value the importer must refuse
    "pupil_reference": "Jane Smith",
    "year_group": "14",
    "gender": "X",
    "ethnicity_major": "ZZZZ",
    "ethnicity_minor": "APKN",  # belongs to ASIA, not WHIT
    "sen": "Q",
    "fsm": "maybe",
    "eal": "\x01",
    "looked_after": "2",
    "class": "x" * 41,
}
GOOD_SCHOOL = ["5{n:05d}", "Fuzz School {n}", "201", "Northshire", "Secondary", "Academy", ""]
BAD_SCHOOL = {
    "URN": "12a45",
    "EstablishmentName": "x" * 201,
    "LA (code)": "x" * 11,
    "LA (name)": "x" * 101,
    "PhaseOfEducation (name)": "x" * 61,
    "TypeOfEstablishment (name)": "",
    "Trusts (name)": "x" * 201,
}


@st.composite
def one_bad_line(draw, columns, good, bad) -> tuple[bytes, int, str]:
    """A CSV of good rows with one wrong value on one line: (file, its line number, its column)."""
    count = draw(st.integers(1, 6))
    wrong_at = draw(st.integers(0, count - 1))
    column = draw(st.sampled_from(sorted(bad)))
    base = draw(st.integers(0, 10**4))
    rows = []
    for i in range(count):
        row = [cell.format(n=base * 10 + i) for cell in good]
        if i == wrong_at:
            row[columns.index(column)] = bad[column]
        rows.append(",".join(f'"{cell}"' for cell in row))
    text = "\r\n".join([",".join(columns), *rows]) + "\r\n"
    return text.encode("utf-8"), wrong_at + 2, column


def _problems_named(page: str, line: int, column: str) -> bool:
    return f"line {line}, column '{column}'".lower() in unescape(page).lower()


# -- on the web ----------------------------------------------------------------------------------


def test_a_roster_with_one_wrong_line_saves_nothing(world):
    client = world.client("school_lead")

    @fuzz_settings(world, 25)
    @given(upload=one_bad_line(ROSTER_COLUMNS, GOOD_PUPIL, BAD_PUPIL))
    def roster(upload):
        content, line, column = upload
        before = world.snapshot()
        response = client.post(
            f"/school/{URN}/waves/{world.wave_id}/",
            data={"roster": (io.BytesIO(content), "roster.csv"), "csrf_token": client.token},
            content_type="multipart/form-data",
        )
        assert_no_server_error(response, "roster upload")
        page = response.get_data(as_text=True)
        assert "nothing was saved" in page
        assert _problems_named(page, line, column), f"no problem named at line {line}, column {column}"
        assert world.snapshot() == before

    roster()


def test_a_schools_register_with_one_wrong_line_saves_nothing(world):
    client = world.client("admin")

    @fuzz_settings(world, 25)
    @given(upload=one_bad_line(GIAS_COLUMNS, GOOD_SCHOOL, BAD_SCHOOL))
    def register(upload):
        content, line, column = upload
        before = world.snapshot()
        response = client.post(
            "/admin/schools",
            data={"file": (io.BytesIO(content), "schools.csv"), "csrf_token": client.token},
            content_type="multipart/form-data",
        )
        assert_no_server_error(response, "schools upload")
        page = response.get_data(as_text=True)
        assert "Nothing was saved" in page
        assert _problems_named(page, line, column), f"not named: line {line}, {column}"
        assert world.snapshot() == before

    register()


# -- on the command line -------------------------------------------------------------------------


def _import(world, path, kind: str):
    runner = world.app.test_cli_runner()
    if kind == "roster":
        return runner.invoke(
            args=["import-roster", "--wave", str(world.wave_id), "--school", str(URN), str(path)]
        )
    return runner.invoke(args=["import-schools", str(path)])


def _refused_clearly(result, what: str) -> None:
    """A non-zero exit with click's "Error: …" message, never an exception's traceback."""
    assert result.exit_code != 0, f"{what} was accepted:\n{result.output}"
    assert isinstance(result.exception, SystemExit), f"{what}: {result.exception!r}"
    assert "Traceback" not in result.output
    assert "Error:" in result.output, result.output


@pytest.mark.parametrize(
    ("kind", "columns", "good", "bad"),
    [("roster", ROSTER_COLUMNS, GOOD_PUPIL, BAD_PUPIL), ("schools", GIAS_COLUMNS, GOOD_SCHOOL, BAD_SCHOOL)],
    ids=["roster", "schools"],
)
def test_the_command_line_names_the_wrong_line_and_saves_nothing(world, tmp_path, kind, columns, good, bad):
    path = tmp_path / "upload.csv"

    @fuzz_settings(world, 25)
    @given(upload=one_bad_line(columns, good, bad))
    def command(upload):
        content, line, column = upload
        path.write_bytes(content)
        before = world.snapshot()
        result = _import(world, path, kind)
        _refused_clearly(result, f"{kind} with a wrong {column} on line {line}")
        assert f"line {line}, column '{column}'" in result.output, result.output
        assert world.snapshot() == before

    command()


@pytest.mark.parametrize("kind", ["roster", "schools"])
def test_hostile_files_on_the_command_line(world, tmp_path, kind):
    path = tmp_path / "upload.csv"
    files = ROSTER_FILES if kind == "roster" else SCHOOL_FILES

    @fuzz_settings(world, 40)
    @given(content=st.one_of(files, st.sampled_from(BINARY_FILES)))
    def command(content):
        path.write_bytes(content)
        before = world.snapshot()
        result = _import(world, path, kind)
        assert not (result.exception and not isinstance(result.exception, SystemExit)), repr(result.exception)
        assert "Traceback" not in result.output
        if result.exit_code != 0:
            _refused_clearly(result, f"a hostile {kind} file")
            assert world.snapshot() == before
        else:
            assert "added" in result.output

    command()


def test_a_missing_file_or_a_wrong_wave_is_a_clear_error(world, tmp_path):
    runner = world.app.test_cli_runner()
    (tmp_path / "r.csv").write_text(",".join(ROSTER_COLUMNS) + "\n")
    for args in (
        ["import-schools", str(tmp_path / "nope.csv")],
        ["import-schools", str(tmp_path)],
        ["import-roster", "--wave", "999", "--school", str(URN), str(tmp_path / "r.csv")],
        ["import-roster", "--wave", str(2**31), "--school", str(URN), str(tmp_path / "r.csv")],
        ["import-roster", "--wave", str(world.wave_id), "--school", str(10**12), str(tmp_path / "r.csv")],
        ["import-roster", "--wave", str(world.wave_id), "--school", str(URN), str(tmp_path / "r.csv")],
    ):
        result = runner.invoke(args=args)
        _refused_clearly(result, " ".join(args))


def test_the_school_count_is_unchanged_by_refused_files(world):
    # A guard on the properties above: they compare snapshots, so they must see a change when there is one.
    before = world.count(School), world.count(RosterEntry)
    assert before[0] >= 3 and before[1] >= 12
