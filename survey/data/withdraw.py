"""Withdrawal: delete one pupil's response on request, found by their code or by roster reference.

The response, every answer (free text included) and the code go. The roster entry stays, marked
withdrawn: the pupil is not given a new code when the school prints codes again, response rates leave
them out, and uploading the roster again keeps the mark. The results cache notices the deleted
response on the next request (`results._version`). The audit log records the school and the wave,
never the code, the pupil reference or any answer, so the log itself cannot point back at the pupil.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import delete, func, select, update

from .. import codes
from ..extensions import db
from ..models import Answer, PupilCode, Response, RosterEntry, School, User, Wave, utcnow
from . import audit
from .actions import user_action


class NotFound(LookupError):
    """Nothing to withdraw; `field` names what was wrong ("code", "urn", "wave", "reference")."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


@dataclass(frozen=True)
class Found:
    """What a withdrawal would delete, described without the pupil's answers."""

    code: PupilCode
    response: Response
    answers: int

    @property
    def school(self) -> School:
        return self.code.school

    @property
    def wave(self) -> Wave:
        return self.code.wave


def by_code(typed: str) -> Found:
    """The response of the pupil with this code (as typed: case, spaces and hyphens do not matter)."""
    if not codes.looks_like_a_code(typed or ""):
        raise NotFound("code", "Enter a code of 10 letters and numbers, like ABCDE-23456")
    code = db.session.scalar(select(PupilCode).filter_by(code_hash=codes.hash_code(typed)))
    if code is None:
        raise NotFound(
            "code",
            "No pupil has this code. Check it against the slip; it may also have been withdrawn already",
        )
    return _found(code, "code")


def by_reference(urn: int, wave_id: int, reference: str) -> Found:
    """The response of the pupil with this roster reference at this school in this wave."""
    school = db.session.scalar(select(School).filter_by(urn=urn))
    if school is None:
        raise NotFound("urn", f"There is no school with URN {urn}")
    wave = db.session.get(Wave, wave_id)
    if wave is None or wave.school_id not in (None, school.id):
        raise NotFound("wave", f"{school.name} does not take part in that wave")
    entry = db.session.scalar(
        select(RosterEntry).filter_by(wave_id=wave.id, school_id=school.id, pupil_reference=reference.strip())
    )
    if entry is None:
        raise NotFound(
            "reference",
            f"No pupil has the reference {reference.strip()} on the roster of {school.name} for {wave.name}. "
            "References are the school's own, exactly as on its roster",
        )
    if entry.withdrawn_at is not None:
        raise NotFound(
            "reference", f"This pupil's response was withdrawn already, on {entry.withdrawn_at:%-d %B %Y}"
        )
    code = db.session.scalar(select(PupilCode).filter_by(roster_entry_id=entry.id))
    if code is None:
        raise NotFound(
            "reference",
            "This pupil has no code: either none was issued, or their response was withdrawn already",
        )
    return _found(code, "reference")


def _found(code: PupilCode, field: str) -> Found:
    response = code.response
    if response is None:
        raise NotFound(
            field,
            "This pupil has not started the survey, so there is no response to withdraw. "
            "If they do not want to take part, do not give them their code",
        )
    answers = db.session.scalar(select(func.count()).select_from(Answer).filter_by(response_id=response.id))
    return Found(code=code, response=response, answers=answers or 0)


@user_action
def withdraw(found: Found, *, actor: User | str) -> int:
    """Delete the response, its answers and the code, and mark the roster entry withdrawn; the number
    of answers deleted.

    Deleted explicitly in order, since SQLite does not enforce the cascades.
    """
    code, response = found.code, found.response
    school_urn, wave_id, entry_id = code.school.urn, code.wave_id, code.roster_entry_id
    deleted = db.session.execute(delete(Answer).where(Answer.response_id == response.id))
    answers: int = deleted.rowcount  # type: ignore[attr-defined]  # a CursorResult
    db.session.execute(delete(Response).where(Response.id == response.id))
    db.session.execute(delete(PupilCode).where(PupilCode.id == code.id))
    if entry_id is not None:  # codes of anonymous class sessions have no roster entry
        withdrawn = update(RosterEntry).where(RosterEntry.id == entry_id).values(withdrawn_at=utcnow())
        db.session.execute(withdrawn)
    db.session.expire_all()
    audit.record(
        "withdraw_response", actor=actor, target=f"wave:{wave_id}", school_urn=school_urn, wave_id=wave_id
    )
    return answers
