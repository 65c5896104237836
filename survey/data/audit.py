from __future__ import annotations

import re

from sqlalchemy import Select, or_, select

from ..extensions import db
from ..models import AuditEvent, User
from .actions import user_action


def record(action: str, *, actor: User | str, target: str | None = None, **detail) -> AuditEvent:
    """Add an audit event to the current transaction (it is saved with the change it describes)."""
    event = AuditEvent(
        action=action,
        actor=actor.email if isinstance(actor, User) else actor,
        user_id=actor.id if isinstance(actor, User) else None,
        target=target,
        detail=detail or None,
    )
    db.session.add(event)
    return event


@user_action
def record_view(action: str, *, actor: User | str, target: str | None = None, **detail) -> None:
    """Record that a user looked at or downloaded something (a log, a table, a withdrawal's details),
    committed on its own: looking changes nothing else."""
    record(action, actor=actor, target=target, **detail)


def contains(text: str) -> str:
    """A LIKE pattern matching `text` anywhere, with its own % and _ taken literally."""
    return "%" + re.sub(r"([\\%_])", r"\\\1", text) + "%"


def actions() -> list[str]:
    """Every kind of event in the log, for the filter."""
    return list(db.session.scalars(select(AuditEvent.action).distinct().order_by(AuditEvent.action)))


def search(*, action: str = "", actor_contains: str = "") -> Select:
    """Events, newest first, of one action and by actors whose email contains the text, if given."""
    query = select(AuditEvent).order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
    if action:
        query = query.where(AuditEvent.action == action)
    if actor_contains:
        query = query.where(AuditEvent.actor.ilike(contains(actor_contains.lower()), escape="\\"))
    return query


def recent_about_user(user: User, limit: int = 10) -> list[AuditEvent]:
    """The latest events done by or to `user`."""
    return list(
        db.session.scalars(
            select(AuditEvent)
            .where(or_(AuditEvent.target == f"user:{user.id}", AuditEvent.user_id == user.id))
            .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
            .limit(limit)
        )
    )
