"""`/healthz` for load balancers and orchestrators: is this instance able to reach its database?

One cheap `SELECT 1` on a pooled connection. 200 `{"status": "ok"}` or 503 `{"status": "unavailable"}`
(the reason goes to the log as an exception type, never to the caller). No session, no cookie, no
rate limit, no CSRF (GET only), never cached.
"""

from __future__ import annotations

import logging

import sqlalchemy as sa
from flask import Blueprint, jsonify

from .extensions import csrf, db, limiter

bp = Blueprint("health", __name__)
log = logging.getLogger("survey.health")
NO_STORE = {"Cache-Control": "no-store"}


@bp.get("/healthz")
@limiter.exempt
def healthz():
    try:
        with db.engine.connect() as connection:
            connection.execute(sa.text("SELECT 1"))
    except Exception as error:  # any failure to reach the database means "take me out of rotation"
        log.warning("database unavailable", extra={"event": "healthz", "error": type(error).__name__})
        return jsonify(status="unavailable"), 503, NO_STORE
    return jsonify(status="ok"), 200, NO_STORE


csrf.exempt(bp)
