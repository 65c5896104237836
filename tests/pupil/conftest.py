"""Fixtures for the pupil journey: a school with open waves of both questionnaires, and fresh codes."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

import questionnaires
from survey import codes as pupil_codes
from survey.data.waves import issue_codes
from survey.extensions import db
from survey.models import ClassSession, PupilCode, RosterEntry, School, Wave, utcnow


@pytest.fixture
def school(loaded):
    with loaded.app_context():
        school = School(
            urn=100001,
            name="Hillside Academy",
            la_code="201",
            la_name="Northshire",
            phase="Secondary",
            type="Academy",
            trusted_adult_text="Talk to Mr Evans in room 4.",
        )
        db.session.add(school)
        db.session.commit()
        return school.id


def _wave(questionnaire_id: str, school_id: int, opens=-1, closes=30) -> int:
    now = utcnow()
    wave = Wave(
        name="Test wave",
        questionnaire_id=questionnaire_id,
        questionnaire_version=questionnaires.load(questionnaire_id).version,
        school_id=school_id,
        opens_at=now + timedelta(days=opens),
        closes_at=now + timedelta(days=closes),
    )
    db.session.add(wave)
    db.session.flush()
    return wave.id


@pytest.fixture
def new_code(loaded, school):
    """new_code("national-secondary") → a fresh code; anonymous=True for a class session code."""
    waves: dict = {}

    def make(questionnaire_id="national-secondary", *, anonymous=False, opens=-1, closes=30) -> str:
        with loaded.app_context():
            key = (questionnaire_id, opens, closes)
            if key not in waves:
                waves[key] = _wave(questionnaire_id, school, opens, closes)
            wave, school_row = db.session.get(Wave, waves[key]), db.session.get(School, school)
            if anonymous:
                session = ClassSession(wave_id=wave.id, school_id=school, name="7B")
                db.session.add(session)
                db.session.flush()
                code = pupil_codes.generate()
                db.session.add(
                    PupilCode(
                        code_hash=pupil_codes.hash_code(code),
                        wave_id=wave.id,
                        school_id=school,
                        class_session_id=session.id,
                    )
                )
            else:
                n = db.session.scalar(sa.select(sa.func.count()).select_from(RosterEntry)) + 1
                year = 8 if questionnaire_id == "national-secondary" else 4
                db.session.add(
                    RosterEntry(
                        wave_id=wave.id,
                        school_id=school,
                        pupil_reference=f"P{n:04d}",
                        year_group=year,
                        gender="F",
                        class_name=f"{year}A",
                    )
                )
                db.session.flush()
                ((_, code),) = issue_codes(wave, school_row, actor="test", limit=1)
            db.session.commit()
            return code

    return make


@pytest.fixture
def pupil(client, new_code):
    """A secondary pupil who has entered their code and agreed to take part."""
    code = new_code()
    assert client.post("/", data={"code": code}).status_code == 302
    assert client.post("/before-you-start", data={"choice": "yes"}).location == "/section/belonging"
    client.code = code
    return client
