"""Results pages read and score every finished response of a questionnaire, then keep them in memory:
only a change to the finished responses reads them again, not pupils saving pages in a live wave."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from survey.data.results import results
from survey.extensions import db
from survey.models import Answer, PupilCode, Response, ResponseStatus, RosterEntry, School, utcnow

from .test_withdraw_purge import add_pupil, add_wave

QUESTIONNAIRE = "national-secondary"


def response_of(reference: str) -> Response | None:
    return db.session.scalars(
        sa.select(Response)
        .join(PupilCode, PupilCode.id == Response.pupil_code_id)
        .join(RosterEntry, RosterEntry.id == PupilCode.roster_entry_id)
        .where(RosterEntry.pupil_reference == reference)
    ).one_or_none()


@pytest.fixture
def wave(loaded, schools) -> int:
    """An open wave at Hillside Academy: P001 and P002 finished, P003 has a code but has not started."""
    with loaded.app_context():
        school = db.session.scalars(sa.select(School).filter_by(urn=schools["a"])).one()
        made = add_wave(school.id, opened=5, closed=-30)
        for reference, answers in [("P001", 3), ("P002", 4), ("P003", None)]:
            add_pupil(made, school, reference, answers=answers)
        db.session.commit()
        return made.id


def test_results_are_read_again_only_when_finished_responses_change(loaded, wave):
    with loaded.app_context():
        first = results(QUESTIONNAIRE)
        assert len(first.scored) == 2  # P001 and P002 finished

        # P003 starts and saves a page, then another: the results in memory are still right.
        code = db.session.scalars(
            sa.select(PupilCode).join(RosterEntry).where(RosterEntry.pupil_reference == "P003")
        ).one()
        started = Response(wave_id=wave, school_id=code.school_id, pupil_code_id=code.id)
        db.session.add(started)
        db.session.flush()
        db.session.add(Answer(response_id=started.id, question_id="belong_part", value=4))
        db.session.commit()
        assert results(QUESTIONNAIRE) is first
        started.updated_at = utcnow()
        db.session.commit()
        assert results(QUESTIONNAIRE) is first

        # P003 finishes: read again, with P003.
        started.status, started.completed_at, started.updated_at = ResponseStatus.COMPLETE, utcnow(), utcnow()
        db.session.commit()
        finished = results(QUESTIONNAIRE)
        assert finished is not first and len(finished.scored) == 3

        # A withdrawn response leaves the results at once.
        withdrawn = response_of("P001")
        db.session.execute(sa.delete(Answer).where(Answer.response_id == withdrawn.id))
        db.session.delete(withdrawn)
        db.session.commit()
        assert len(results(QUESTIONNAIRE).scored) == 2
