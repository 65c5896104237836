"""The pupil's signed-cookie session: which code is at the keyboard, and when they were last active.

The app keeps no server-side session, so any instance can serve any pupil; "Finish and hand over"
and the idle timeout clear the cookie so the next pupil on a shared device starts clean.
"""

from __future__ import annotations

import secrets
import time

from flask import current_app, session

KEY = "pupil"


def begin(code_id: int) -> None:
    language = session.get("language")
    session.clear()
    if language:
        session["language"] = language
    now = time.time()
    session[KEY] = {"code": code_id, "seen": int(now), "begun": now}


def begun() -> float:
    data = session.get(KEY)
    return float(data.get("begun", 0)) if isinstance(data, dict) else 0.0


def code_id() -> int | None:
    data = session.get(KEY)
    return data.get("code") if isinstance(data, dict) else None


def timed_out() -> bool:
    data = session.get(KEY)
    if not isinstance(data, dict):
        return False
    limit = current_app.config["PUPIL_IDLE_TIMEOUT_MINUTES"] * 60
    return time.time() - data.get("seen", 0) > limit


def touch() -> None:
    data = session.get(KEY)
    now = int(time.time())
    # Unchanged within the same second (a redirect followed at once): no new cookie to sign and send.
    if isinstance(data, dict) and data.get("seen") != now:
        data["seen"] = now
        session[KEY] = data


def end() -> None:
    """Forget the pupil; keep the device's language (a Welsh-medium class stays in Welsh)."""
    language = session.get("language")
    session.clear()
    if language:
        session["language"] = language


def client_id() -> str:
    """A random id for this browser, so one pupil's typos do not use up the whole class's attempts."""
    if "client" not in session:
        session["client"] = secrets.token_urlsafe(12)
    return session["client"]


def set_language(code: str) -> None:
    session["language"] = code
