"""Possible safeguarding concerns: raised when a pupil saves a flagged answer, then acknowledged,
closed, and (when two members of staff agree) traced to the pupil's roster reference.

Every change is audited. The audit log never holds the pupil's text or roster reference.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from analysis.safeguarding import Match
from analysis.text import redact

from ..extensions import db
from ..models import (
    ClassSession,
    ConcernState,
    PupilCode,
    Response,
    Role,
    RosterEntry,
    SafeguardingConcern,
    School,
    User,
    utcnow,
)
from . import audit

NOTE_MAX = 2000


def raise_concern(
    *, school_id: int, wave_id: int, response_id: int, question_id: str, language: str, text: str,
    matches: list[Match],
) -> SafeguardingConcern | None:  # fmt: skip
    """Record a flagged answer for the school's DSL. Returns the concern when it is new or its text
    changed (someone should be told), None when the same answer was saved again."""
    redacted = redact(text)
    found = [[m.theme, m.keyword] for m in matches]
    concern = _existing(response_id, question_id)
    if concern is None:
        concern = SafeguardingConcern(
            school_id=school_id, wave_id=wave_id, response_id=response_id, question_id=question_id,
            language=language, text=redacted, matches=found,
        )  # fmt: skip
        db.session.add(concern)
        try:
            db.session.flush()
        except IntegrityError:  # a double submit raised it a moment ago
            db.session.rollback()
            return None
        audit.record("raise_safeguarding_concern", actor="pupil", target=f"concern:{concern.id}")
    elif concern.text == redacted:
        return None
    else:
        # The pupil changed the answer and it is still flagged: the DSL reads the new text.
        concern.text, concern.matches, concern.language = redacted, found, language
        concern.updated_at = concern.flagged_at = utcnow()
        if concern.state is ConcernState.CLOSED:
            concern.state = ConcernState.NEW
        audit.record("update_safeguarding_concern", actor="pupil", target=f"concern:{concern.id}")
    db.session.commit()
    return concern


def _existing(response_id: int, question_id: str) -> SafeguardingConcern | None:
    return db.session.scalar(
        select(SafeguardingConcern).filter_by(response_id=response_id, question_id=question_id)
    )


def concerns_for(school: School, *, closed: bool = False) -> list[SafeguardingConcern]:
    """Open concerns (new first, then acknowledged; newest first within each), or closed ones."""
    query = select(SafeguardingConcern).where(SafeguardingConcern.school_id == school.id)
    if closed:
        query = query.where(SafeguardingConcern.state == ConcernState.CLOSED)
    else:
        query = query.where(SafeguardingConcern.state != ConcernState.CLOSED)
    found = list(db.session.scalars(query.order_by(SafeguardingConcern.flagged_at.desc())))
    return sorted(found, key=lambda c: c.state is not ConcernState.NEW)


def new_count(school: School) -> int:
    return db.session.scalar(  # type: ignore[return-value]  # a count is never NULL
        select(db.func.count()).where(
            SafeguardingConcern.school_id == school.id, SafeguardingConcern.state == ConcernState.NEW
        )
    )


def concern_or_none(school: School, concern_id: int) -> SafeguardingConcern | None:
    concern = db.session.get(SafeguardingConcern, concern_id)
    return concern if concern is not None and concern.school_id == school.id else None


class NotAllowed(Exception):
    """A change the concern's state does not allow (e.g. closing one that was never acknowledged)."""


def _where(concern: SafeguardingConcern) -> dict:
    """What an audit event of a concern names: its school and wave (never the pupil)."""
    return {"school_urn": concern.school.urn, "wave": concern.wave_id}


def acknowledge(concern: SafeguardingConcern, note: str, *, actor: User) -> None:
    if concern.state is not ConcernState.NEW:
        raise NotAllowed("This concern has already been acknowledged.")
    concern.state = ConcernState.ACKNOWLEDGED
    concern.acknowledged_at = concern.updated_at = utcnow()
    concern.acknowledged_by, concern.acknowledge_note = actor.email, note
    audit.record(
        "acknowledge_safeguarding_concern", actor=actor, target=f"concern:{concern.id}", **_where(concern)
    )
    db.session.commit()


def close(concern: SafeguardingConcern, note: str, *, actor: User) -> None:
    if concern.state is not ConcernState.ACKNOWLEDGED:
        raise NotAllowed("Acknowledge the concern before closing it." if concern.state is ConcernState.NEW
                         else "This concern is already closed.")  # fmt: skip
    concern.state = ConcernState.CLOSED
    concern.closed_at = concern.updated_at = utcnow()
    concern.closed_by, concern.close_note = actor.email, note
    audit.record("close_safeguarding_concern", actor=actor, target=f"concern:{concern.id}", **_where(concern))
    db.session.commit()


def can_agree(user: User | None, school: School, dsl: User) -> bool:
    """May `user` be the second person of a reveal at `school`: another active member of its staff."""
    return (
        user is not None
        and user.id != dsl.id
        and user.active
        and user.role in (Role.SCHOOL_LEAD, Role.SAFEGUARDING_LEAD)
        and any(s.id == school.id for s in user.schools)
    )


@dataclass
class Source:
    """Where a flagged answer came from, as far as the school can trace it."""

    pupil_reference: str | None  # the school's own reference (roster mode)
    class_session: str | None  # the class session's name (anonymous mode: no reference exists)


def reveal(concern: SafeguardingConcern, reason: str, *, dsl: User, second: User) -> Source:
    """The pupil's roster reference, now that the DSL and `second` agree; audited with both."""
    row = None
    if concern.response_id is not None:
        row = db.session.execute(
            select(RosterEntry.pupil_reference, ClassSession.name)
            .select_from(Response)
            .join(PupilCode, PupilCode.id == Response.pupil_code_id)
            .outerjoin(RosterEntry, RosterEntry.id == PupilCode.roster_entry_id)
            .outerjoin(ClassSession, ClassSession.id == PupilCode.class_session_id)
            .where(Response.id == concern.response_id)
        ).first()
    source = Source(*(row or (None, None)))
    concern.revealed_at = concern.updated_at = utcnow()
    concern.revealed_by, concern.revealed_with = dsl.email, second.email
    audit.record(
        "reveal_safeguarding_reference",
        actor=dsl,
        target=f"concern:{concern.id}",
        agreed_with=second.email,
        reason=reason,
        found=source.pupil_reference is not None,
        **_where(concern),
    )
    db.session.commit()
    return source


def recipients(school_id: int) -> list[str]:
    """Who is emailed about a new concern: the school's DSLs, or its school leads if it has none."""
    staff = db.session.scalars(
        select(User).join(User.schools).where(School.id == school_id, User.active.is_(True))
    ).all()
    for role in (Role.SAFEGUARDING_LEAD, Role.SCHOOL_LEAD):
        found = sorted(u.email for u in staff if u.role is role)
        if found:
            return found
    return []
