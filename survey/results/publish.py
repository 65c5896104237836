"""Publishing a release: snapshot → `analysis` → tables → disclosure control and its audit
(`survey.results.release_disclosure`) → written in one transaction → current.

Runs in the worker (`survey.results.jobs`), from `flask --app survey publish-results`, from the
admin's "Publish now" button and inline in `flask demo`. A failed run leaves the previous release
current and records why (the kind of error, never a value).
"""

from __future__ import annotations

import logging
import time
from contextlib import contextmanager
from datetime import datetime

from flask import current_app
from sqlalchemy import delete, select, text, update

from ..data import questionnaires as loaded
from ..extensions import db
from ..models import Release, ReleaseItem, ReleaseSchool, ReleaseStatus, Response, Wave, utcnow
from . import build, release_disclosure, snapshot, store
from .scored import snapshot as taken_in

log = logging.getLogger(__name__)
# One publisher at a time on PostgreSQL (any number of workers may pick up the job).
_LOCK_KEY = 7_311_024


class PublishError(RuntimeError):
    """The release could not be published; the previous one stays current."""


def publish(reason: str = "admin", *, now: datetime | None = None) -> Release:
    """Work out and publish a new release; returns it (published), or raises `PublishError`."""
    now = now or utcnow()
    started = time.monotonic()
    with _one_at_a_time():
        release = Release(reason=reason[:60], status=ReleaseStatus.BUILDING, started_at=now)
        db.session.add(release)
        db.session.commit()
        release_id = release.id
        try:
            _build(release, now)
        except Exception as error:
            db.session.rollback()
            _undo(release_id, type(error).__name__)
            log.error("release %s failed: %s", release_id, type(error).__name__, exc_info=True)
            raise PublishError(
                f"release {release_id} failed ({type(error).__name__}); the previous one stays"
            ) from error
    log.info(
        "release %s published: %s responses, %.1f s",
        release_id,
        release.responses,
        time.monotonic() - started,
    )
    return release


_SCHEMA_KEY = "CAST(:key AS bigint) # CAST(hashtext(current_schema()) AS bigint)"


@contextmanager
def _one_at_a_time():
    """PostgreSQL: an advisory lock held on a connection of its own for the whole run, so that
    workers on other machines wait rather than publish at the same time. The lock is the schema's
    (each test run, or benchmark, has its own), so runs in other schemas do not wait for it."""
    if db.engine.dialect.name != "postgresql":
        yield
        return
    with db.engine.connect() as connection:
        connection.execute(text(f"SELECT pg_advisory_lock({_SCHEMA_KEY})"), {"key": _LOCK_KEY})
        connection.commit()
        try:
            yield
        finally:
            connection.execute(text(f"SELECT pg_advisory_unlock({_SCHEMA_KEY})"), {"key": _LOCK_KEY})
            connection.commit()


def _undo(release_id: int, failure: str) -> None:
    """A failed run: the responses it took in wait for the next release, and it is marked failed."""
    db.session.execute(update(Response).where(Response.released_in == release_id).values(released_in=None))
    db.session.execute(delete(ReleaseSchool).where(ReleaseSchool.release_id == release_id))
    db.session.execute(delete(ReleaseItem).where(ReleaseItem.release_id == release_id))
    failed = db.session.get_one(Release, release_id)
    failed.status = ReleaseStatus.FAILED
    failed.failure = failure
    db.session.commit()


def _build(release: Release, now: datetime) -> None:
    at_least = snapshot.min_new(current_app.config.get("RELEASE_MIN_NEW"))
    previous = snapshot.current_release_id()
    parts = snapshot.take_in(release.id, at_least=at_least, now=now)
    for part in parts:
        if not part.responses:
            continue  # gone: nothing of it is published
        db.session.add(
            ReleaseSchool(
                release_id=release.id,
                school_id=part.school_id,
                wave_id=part.wave_id,
                responses=part.responses,
                figures_from=part.figures_from,
            )
        )
    # Committed (the release is not published yet) so the streaming export, on a connection of its
    # own, reads exactly the responses taken in.
    db.session.commit()
    carry = build.Carry(previous, frozenset((p.school_id, p.wave_id) for p in parts if p.rereleased))
    items: dict = {}
    checked = release_disclosure.Checked()
    questionnaires = db.session.scalars(
        select(Wave.questionnaire_id).distinct().order_by(Wave.questionnaire_id)
    )
    for questionnaire_id in list(questionnaires):
        if loaded.latest(questionnaire_id) is None:
            continue  # waves of a questionnaire that is not loaded here
        results = taken_in(questionnaire_id)
        if results.scored.empty:
            continue
        found = dict(build.questionnaire_items(results, carry))
        # Disclosure control over every table published together, then the LP attacker's audit:
        # any finding refuses the release (logged without values; the previous one stays).
        checked.add(release_disclosure.control(results, found))
        items.update(found)
    release_disclosure.refuse_if_findings(checked)
    items.update(build.comment_items(release.id, carry))
    store.write(release.id, items)
    release.responses = sum(p.responses for p in parts)
    release.status = ReleaseStatus.PUBLISHED
    release.published_at = utcnow()
    db.session.commit()


def wave_closed_since_last_release(now: datetime | None = None) -> bool:
    """Whether a wave has closed since the current release was published (the worker's trigger)."""
    now = now or utcnow()
    last = snapshot.current_release_id()
    since = db.session.get_one(Release, last).published_at if last else None
    query = select(Wave.id).where(Wave.closes_at <= now)
    if since is not None:
        query = query.where(Wave.closes_at > since)
    return db.session.scalar(query.limit(1)) is not None
