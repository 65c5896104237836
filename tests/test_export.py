"""The response export round-trips exactly what pupils answered, and keeps free text apart."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from survey import codes
from survey.data.export import PUPIL_COLUMNS
from survey.extensions import db
from survey.models import (
    Answer,
    AuditEvent,
    ClassSession,
    PupilCode,
    QuestionnaireVersion,
    Response,
    ResponseStatus,
    RosterEntry,
    School,
    SenStatus,
    Wave,
    utcnow,
)  # fmt: skip

# Both databases: the export reads the data layer, whose types (dates, JSON choices) differ by database.
pytestmark = pytest.mark.both_databases

MINIMAL = (Path(__file__).parent / "questionnaires" / "minimal.yaml").read_text()
# The minimal questionnaire plus an "About you" section, to test anonymous mode.
WITH_ABOUT_YOU = MINIMAL.replace(
    "scales:\n",
    """  year:
    options:
      - {value: 1, code: "7", label: {en: Year 7, cy: Blwyddyn 7}}
      - {value: 2, code: "8", label: {en: Year 8, cy: Blwyddyn 8}}
  gender:
    options:
      - {value: 1, code: F, label: {en: A girl, cy: Merch}}
      - {value: 2, code: M, label: {en: A boy, cy: Bachgen}}
scales:
""",
).replace(
    "sections:\n",
    """sections:
  - id: about_you
    only_in: anonymous
    title: {en: About you, cy: Amdanat ti}
    questions:
      - {id: my_year, type: single, response_set: year, profile: year_group, text: {en: "Year?", cy: "Blwyddyn?"}}
      - {id: my_gender, type: single, response_set: gender, profile: gender, prefer_not_to_say: true,
         text: {en: Are you, cy: Wyt ti}}
""",
)


def _pupil(
    wave, school, *, roster=None, session=None, status=ResponseStatus.COMPLETE, answers=(), language="en"
):
    code = PupilCode(
        code_hash=codes.hash_code(codes.generate()),
        wave=wave,
        school=school,
        roster_entry=roster,
        class_session_id=session.id if session else None,
    )
    response = Response(
        wave_id=wave.id, school_id=school.id, pupil_code=code, status=status, language=language
    )
    response.answers = [Answer(question_id=q, **fields) for q, fields in answers]
    db.session.add_all([code, response])
    db.session.flush()
    return response


def _export(app, **kwargs):
    out, text = io.StringIO(), io.StringIO()
    with app.app_context():
        n = _run(out, text, **kwargs)
        db.session.commit()
    return (
        n,
        list(csv.DictReader(io.StringIO(out.getvalue()))),
        list(csv.DictReader(io.StringIO(text.getvalue()))),
    )


def _run(out, text, **kwargs):
    from survey.data.export import export_responses

    return export_responses(out, text_out=text, actor="test", **kwargs)


def test_export_round_trip(app):
    with app.app_context():
        db.session.add(
            QuestionnaireVersion(
                questionnaire_id="minimal",
                version=1,
                audience="secondary",
                checksum="x",
                source=WITH_ABOUT_YOU,
            )
        )
        school = School(
            urn=123456,
            name="Test School",
            la_code="201",
            la_name="Northshire",
            phase="Secondary",
            type="Academy",
        )
        db.session.add(school)
        now = utcnow()
        wave = Wave(
            name="W",
            questionnaire_id="minimal",
            questionnaire_version=1,
            school=school,
            opens_at=now - timedelta(days=1),
            closes_at=now + timedelta(days=1),
        )
        db.session.add(wave)
        db.session.flush()
        roster = RosterEntry(
            wave_id=wave.id,
            school_id=school.id,
            pupil_reference="R001",
            year_group=8,
            gender="F",
            ethnicity_major="BLAC",
            ethnicity_minor="BCRB",
            sen=SenStatus.SEN_SUPPORT,
            fsm=True,
            eal=False,
            looked_after=None,
            class_name="8A",
        )
        session = ClassSession(wave_id=wave.id, school_id=school.id, name="7B")
        db.session.add_all([roster, session])
        db.session.flush()
        first = _pupil(
            wave,
            school,
            roster=roster,
            language="cy",
            answers=[
                ("part", {"value": 4}),
                ("liked", {"value": 1}),
                ("left_out", {"prefer_not_to_say": True}),
                ("sent_out", {"value": 2}),
                ("why", {"choices": [2, 1]}),
                ("better", {"text": "More clubs, please"}),
            ],
        )
        second = _pupil(
            wave,
            school,
            session=session,
            answers=[
                ("my_year", {"value": 1}),
                ("my_gender", {"prefer_not_to_say": True}),
                ("part", {"value": 2}),
            ],
        )
        refused = _pupil(wave, school, session=session, status=ResponseStatus.REFUSED)
        ids = first.id, second.id, refused.id
        db.session.commit()

    n, rows, text = _export(app)
    assert n == 3
    assert list(rows[0]) == [
        *PUPIL_COLUMNS,
        "my_year",
        "my_gender",
        "part",
        "liked",
        "myself",
        "left_out",
        "sent_out",
        "why",
    ]
    by_id = {int(r["response_id"]): r for r in rows}
    one = by_id[ids[0]]
    assert {k: one[k] for k in PUPIL_COLUMNS[2:]} == {
        "school_urn": "123456",
        "questionnaire": "minimal",
        "status": "complete",
        "language": "cy",
        "year_group": "8",
        "gender": "F",
        "ethnicity_major": "BLAC",
        "ethnicity_minor": "BCRB",
        "sen": "K",
        "fsm": "Y",
        "eal": "N",
        "looked_after": "",
    }
    # Skipped and "prefer not to say" are both blank; multiple choices are sorted and joined.
    assert (one["part"], one["liked"], one["myself"], one["left_out"], one["sent_out"], one["why"]) == (
        "4",
        "1",
        "",
        "",
        "2",
        "1;2",
    )
    assert "better" not in one and "More clubs" not in str(rows)
    # Anonymous mode: attributes come from the pupil's own "About you" answers.
    two = by_id[ids[1]]
    assert (two["year_group"], two["gender"], two["sen"], two["part"]) == ("7", "", "", "2")
    assert by_id[ids[2]]["status"] == "refused" and by_id[ids[2]]["part"] == ""
    assert text == [
        {
            "response_id": str(ids[0]),
            "wave_id": one["wave_id"],
            "school_urn": "123456",
            "questionnaire": "minimal",
            "question_id": "better",
            "text": "More clubs, please",
        }
    ]
    with app.app_context():
        event = db.session.scalar(sa.select(AuditEvent).filter_by(action="export_responses"))
        assert event.detail["rows"] == 3 and event.detail["free_text"] is True


def test_export_command_writes_the_file(loaded, runner, tmp_path):
    out = tmp_path / "responses.csv"
    result = runner.invoke(args=["export-responses", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert out.read_text().splitlines()[0].startswith("response_id,wave_id,school_urn,questionnaire,status")
