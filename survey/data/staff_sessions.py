"""Server-side staff sessions: started at sign-in, checked on every staff request, ended for good.

The signed cookie alone cannot be revoked: a copy of it worked after sign-out, and each use renewed
it. Now the cookie only names a row here (by a random token, stored as its SHA-256), and the row
decides: ended, idle for `STAFF_IDLE_TIMEOUT_MINUTES` or older than `STAFF_SESSION_HOURS`, the
session is refused on every instance.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from flask import current_app

from ..extensions import db
from ..models import StaffSession, User, utcnow
from .actions import user_action

# last_seen_at is written at most this often, not on every page: the idle limit is in minutes.
TOUCH_EVERY = timedelta(seconds=60)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _limits() -> tuple[timedelta, timedelta]:
    config = current_app.config
    idle = timedelta(minutes=config["STAFF_IDLE_TIMEOUT_MINUTES"])
    return idle, timedelta(hours=config["STAFF_SESSION_HOURS"])


def start(user: User) -> str:
    """A new session for `user`; returns the token for the cookie. Also forgets the user's dead ones."""
    now = utcnow()
    lifetime = _limits()[1]
    db.session.execute(
        db.delete(StaffSession).where(
            StaffSession.user_id == user.id,
            (StaffSession.ended_at.is_not(None)) | (StaffSession.created_at < now - lifetime),
        )
    )
    token = secrets.token_urlsafe(32)
    db.session.add(StaffSession(token_hash=_hash(token), user_id=user.id, created_at=now, last_seen_at=now))
    return token


def find(token: object) -> StaffSession | None:
    if not isinstance(token, str) or not token:
        return None
    return db.session.scalar(db.select(StaffSession).filter_by(token_hash=_hash(token)))


def why_not_live(record: StaffSession | None, now: datetime | None = None) -> str | None:
    """None while the session may be used; otherwise "ended", "idle" or "expired"."""
    if record is None or record.ended_at is not None:
        return "ended"
    now = now or utcnow()
    idle, lifetime = _limits()
    if now - record.created_at >= lifetime:
        return "expired"
    if now - record.last_seen_at > idle:
        return "idle"
    return None


def touch(record: StaffSession, now: datetime | None = None) -> bool:
    """Note that the session was used; True when that changed the row (the caller commits)."""
    now = now or utcnow()
    if now - record.last_seen_at < TOUCH_EVERY:
        return False
    record.last_seen_at = now
    return True


def end(record: StaffSession | None) -> None:
    if record is not None and record.ended_at is None:
        record.ended_at = utcnow()


def end_all(user: User) -> None:
    """End every session of `user`, on every device (password changed, account deactivated)."""
    db.session.execute(
        db.update(StaffSession)
        .where(StaffSession.user_id == user.id, StaffSession.ended_at.is_(None))
        .values(ended_at=utcnow())
    )


def seen(record: StaffSession) -> None:
    """The session was used just now: written (and committed) at most every `TOUCH_EVERY`."""
    if utcnow() - record.last_seen_at >= TOUCH_EVERY:
        _touched(record)


@user_action
def _touched(record: StaffSession) -> None:
    touch(record)


@user_action
def expire(record: StaffSession) -> None:
    """End a session found idle or too old."""
    end(record)
