"""The streamed export (COPY on PostgreSQL, chunked SELECTs on SQLite) writes what the old one did.

The old code path lives on only in `tests/legacy_export.py`. A copy of the run's demo per database
(loaded once per run, tests/conftest.py `demo_built`); small chunks, so responses cross chunk
boundaries.
"""

from __future__ import annotations

import io

import pandas as pd
import pytest

import analysis
from survey import codes
from survey.data import questionnaires as loaded_questionnaires
from survey.data import snapshot
from survey.data.export import export_frame, export_responses
from survey.extensions import db
from survey.models import Answer, ClassSession, PupilCode, Response, ResponseStatus, School, Wave
from tests.conftest import make_app
from tests.legacy_export import export_responses as legacy_export


def _add_awkward_responses() -> None:
    """What the demo lacks: an anonymous class session, odd free text, a skipped-everything pupil."""
    wave = db.session.scalar(
        db.select(Wave).where(Wave.questionnaire_id == "national-secondary").order_by(Wave.id.desc())
    )
    school = db.session.scalar(db.select(School).order_by(School.urn))
    session = ClassSession(wave_id=wave.id, school_id=school.id, name="9C")
    db.session.add(session)
    db.session.flush()

    def pupil(status, answers):
        code = PupilCode(
            code_hash=codes.hash_code(codes.generate()),
            wave_id=wave.id,
            school_id=school.id,
            class_session_id=session.id,
        )
        response = Response(wave_id=wave.id, school_id=school.id, pupil_code=code, status=status)
        response.answers = [Answer(question_id=q, **fields) for q, fields in answers]
        db.session.add_all([code, response])

    pupil(
        ResponseStatus.COMPLETE,
        [
            ("about_year", {"value": 9}),
            ("about_gender", {"prefer_not_to_say": True}),
            ("about_sen", {"value": 2}),
            ("about_fsm", {"value": 1}),
            ("belong_part", {"value": 4}),
            ("unfair_why", {"choices": [5, 2]}),
            ("say_better", {"text": 'More "quiet" space,\nand\r\nclubs'}),
        ],
    )
    pupil(ResponseStatus.COMPLETE, [("unfair_why", {"choices": []}), ("say_better", {"text": "  "})])
    pupil(ResponseStatus.IN_PROGRESS, [("belong_part", {"value": 2})])
    db.session.commit()


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def demo_database(request, demo_copy):
    """A copy of the run's demo plus the awkward responses, once per database for this module: the
    tests only read it (an export adds an audit event, which no export reads)."""
    app = make_app(demo_copy(request.param))
    with app.app_context():
        _add_awkward_responses()
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def demo(demo_database, monkeypatch):
    monkeypatch.setattr(snapshot, "CHUNK_RESPONSES", 700)
    return demo_database


def test_export_is_byte_for_byte_the_old_export(demo):
    with demo.app_context():
        old, old_text = io.StringIO(newline=""), io.StringIO(newline="")
        legacy_export(old, text_out=old_text)
        new, new_text = io.StringIO(newline=""), io.StringIO(newline="")
        count = export_responses(new, text_out=new_text, actor="test")
        db.session.commit()
    assert count == old.getvalue().count("\r\n") - 1 > 8000
    assert new.getvalue() == old.getvalue()
    # Free text: quotes, commas and line breaks kept; blank text left out; in response order.
    assert 'More ""quiet"" space,\nand\r\nclubs' in new_text.getvalue()
    assert new_text.getvalue() == old_text.getvalue()
    # The anonymous pupil's own answers stand in for the roster (year 9 is value 9, code "9").
    rows = pd.read_csv(io.StringIO(new.getvalue()), dtype=str, keep_default_na=False)
    last = rows.loc[rows["response_id"].astype(int).nlargest(3).index[-1]]
    assert (last["year_group"], last["gender"], last["unfair_why"]) == ("9", "", "2;5")


def test_export_frame_equals_the_exported_file_of_complete_responses(demo, tmp_path):
    with demo.app_context():
        path = tmp_path / "responses.csv"
        with path.open("w", encoding="utf-8", newline="") as out:
            export_responses(out, questionnaire_id="national-secondary", actor="test")
        db.session.commit()
        frame = export_frame("national-secondary")
        first_school = db.session.scalar(db.select(School).order_by(School.urn))
        only_one = export_frame(
            "national-secondary", f"SELECT id FROM response WHERE school_id = {first_school.id}"
        )
        questionnaire = loaded_questionnaires.definition("national-secondary", 1)
    from_file = analysis.read_responses(path, questionnaire)
    expected = from_file[from_file["status"] == "complete"].reset_index(drop=True)
    assert len(frame) > 4000 and "in_progress" not in set(frame["status"].astype(str))
    pd.testing.assert_frame_equal(frame, expected, check_categorical=False)
    assert set(only_one["school_urn"].astype(int)) == {first_school.urn}
    assert len(only_one) == (expected["school_urn"].astype(int) == first_school.urn).sum()


def test_parquet_holds_the_same_rows_as_csv(demo, tmp_path):
    runner = demo.test_cli_runner()
    csv_path, parquet_path = tmp_path / "r.csv", tmp_path / "r.parquet"
    for path, form in ((csv_path, "csv"), (parquet_path, "parquet")):
        result = runner.invoke(args=["export-responses", "--out", str(path), "--format", form])
        assert result.exit_code == 0, result.output
    with demo.app_context():
        questionnaire = loaded_questionnaires.definition("national-secondary", 1)
    from_csv = analysis.read_responses(csv_path, questionnaire)
    from_parquet = analysis.read_responses(parquet_path, questionnaire)
    pd.testing.assert_frame_equal(from_parquet, from_csv, check_categorical=False)


def test_parquet_needs_a_file_name(loaded, runner):
    result = runner.invoke(args=["export-responses", "--out", "-", "--format", "parquet"])
    assert result.exit_code == 2
    assert "Parquet is a binary file: give a file name" in result.output
    result = runner.invoke(args=["export-responses", "--out", "x.csv", "--format", "xlsx"])
    assert result.exit_code == 2 and "'xlsx' is not one of 'csv', 'parquet'" in result.output
