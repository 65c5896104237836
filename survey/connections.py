"""Pooled database connections that are checked only when they may have gone stale.

SQLAlchemy's `pool_pre_ping` sends `SELECT 1` on every checkout: a round trip, and CPU on both sides,
on every pupil page. A connection that was in use a moment ago is alive, so this pings only one that
has been idle in the pool for longer than `DATABASE_PING_AFTER_SECONDS` (the database or a proxy may
have dropped it meanwhile). A failed ping raises `DisconnectionError`, on which the pool throws the
connection away and checks out another (SQLAlchemy's "pessimistic disconnect handling" recipe).
"""

from __future__ import annotations

import time

from sqlalchemy import Engine, event
from sqlalchemy.exc import DisconnectionError

_IDLE_SINCE = "idle_since"


def ping_when_idle(engine: Engine, idle_seconds: float) -> None:
    @event.listens_for(engine, "checkin")
    def idle(dbapi_connection, record) -> None:
        record.info[_IDLE_SINCE] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def ping(dbapi_connection, record, proxy) -> None:
        since = record.info.get(_IDLE_SINCE)
        if since is not None and time.monotonic() - since < idle_seconds:
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except Exception as exc:  # whatever the driver raises for a dead connection
            raise DisconnectionError("the pooled connection did not answer") from exc
