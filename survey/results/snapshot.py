"""Which complete responses a release takes in: the rule that no published figure reflects one pupil.

In an open wave a school's figures move only when at least `RELEASE_MIN_NEW` (never below 10)
complete responses have arrived since they were last published; otherwise it keeps its previous
figures, worked out from exactly the same responses. A withdrawal or purge (a response that was
published is gone) and a wave's closing always re-release the school.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import case, func, select, update

from ..extensions import db
from ..models import Release, ReleaseSchool, ReleaseStatus, Response, ResponseStatus, Wave
from .policy import RELEASE_MIN_NEW

FLOOR = RELEASE_MIN_NEW  # may be raised by configuration, never lowered below this


@dataclass(frozen=True)
class SchoolPart:
    school_id: int
    wave_id: int
    responses: int  # complete responses its figures are from
    figures_from: int  # the release that first published these figures
    rereleased: bool


def min_new(configured: int | str | None) -> int:
    return max(FLOOR, int(configured or FLOOR))


def current_release_id() -> int | None:
    return db.session.scalar(select(func.max(Release.id)).where(Release.status == ReleaseStatus.PUBLISHED))


def take_in(release_id: int, *, at_least: int, now: datetime) -> list[SchoolPart]:
    """Mark the responses `release_id` takes in (in the caller's transaction) and say, for each
    school and wave, what its figures are from."""
    previous_id = current_release_id()
    previous = {}
    if previous_id is not None:
        previous = {
            (r.school_id, r.wave_id): r
            for r in db.session.scalars(select(ReleaseSchool).where(ReleaseSchool.release_id == previous_id))
        }
    waiting = func.sum(case((Response.released_in.is_(None), 1), else_=0))
    counts = db.session.execute(
        select(Response.school_id, Response.wave_id, func.count(Response.id), waiting, Wave.closes_at)
        .join(Wave, Wave.id == Response.wave_id)
        .where(Response.status == ResponseStatus.COMPLETE)
        .group_by(Response.school_id, Response.wave_id, Wave.closes_at)
    ).all()
    parts = []
    seen = set()
    for school_id, wave_id, total, new, closes_at in counts:
        seen.add((school_id, wave_id))
        new = int(new or 0)
        included = int(total) - new
        before = previous.get((school_id, wave_id))
        withdrawn = before is not None and included < before.responses
        closed = closes_at <= now
        if new >= at_least or (closed and new) or withdrawn:
            db.session.execute(
                update(Response)
                .where(
                    Response.school_id == school_id,
                    Response.wave_id == wave_id,
                    Response.status == ResponseStatus.COMPLETE,
                    Response.released_in.is_(None),
                )
                .values(released_in=release_id)
                .execution_options(synchronize_session=False)
            )
            parts.append(SchoolPart(school_id, wave_id, int(total), release_id, True))
        elif included:
            kept_from = before.figures_from if before is not None else release_id
            parts.append(SchoolPart(school_id, wave_id, included, kept_from, False))
    # A school and wave whose every published response was withdrawn or purged: its figures go, and
    # what spans the school's waves (its trend, its comments) is worked out again.
    for school_id, wave_id in previous.keys() - seen:
        parts.append(SchoolPart(school_id, wave_id, 0, release_id, True))
    return parts
