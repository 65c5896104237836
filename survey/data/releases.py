"""Results releases as admins see them (the release store itself is `survey.results`)."""

from __future__ import annotations

from sqlalchemy import select

from ..extensions import db
from ..models import Release, User
from . import audit


def recent_releases(limit: int = 50) -> list[Release]:
    return list(db.session.scalars(select(Release).order_by(Release.id.desc()).limit(limit)))


def publish_now(actor: User) -> Release:
    """An admin's "Publish now": a release worked out at once, and who asked for it, audited."""
    from ..results.publish import publish

    release = publish(f"admin {actor.email}"[:60])
    audit.record_view("publish_results", actor=actor, target=f"release:{release.id}")
    return release
