from __future__ import annotations

from ..extensions import db
from ..models import AuditEvent, User


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
