"""Results releases as admins see them (the release store itself is `survey.results`)."""

from __future__ import annotations

from sqlalchemy import select

from ..extensions import db
from ..models import Release


def recent_releases(limit: int = 50) -> list[Release]:
    return list(db.session.scalars(select(Release).order_by(Release.id.desc()).limit(limit)))
