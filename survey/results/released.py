"""What staff pages read: the current (or a chosen earlier) published release, by indexed lookups.

No function here reads pupil-level data. A page picks its release once (`release_for_request`),
says which one it shows ("Published on … from N responses") and records its id in the audit log.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import pandas as pd
from flask import abort, g, request
from sqlalchemy import func, select

from questionnaires import Questionnaire

from ..data import questionnaires as loaded
from ..extensions import db
from ..models import Release, ReleaseSchool, ReleaseStatus, School, Wave
from . import store


def published(release_id: int | None = None) -> Release | None:
    """A published release: `release_id`'s, or the newest (the current one)."""
    query = select(Release).where(Release.status == ReleaseStatus.PUBLISHED)
    if release_id is not None:
        return db.session.scalar(query.where(Release.id == release_id))
    return db.session.scalar(query.order_by(Release.id.desc()).limit(1))


def release_for_request() -> Release | None:
    """The release a page shows: `?release=<id>` for an earlier one (404 if not published), else
    the current one. Chosen once per request, so a page and its downloads agree."""
    if "release" not in g:
        wanted = (request.args.get("release") or "").strip()
        if wanted:
            if not wanted.isdigit() or len(wanted) > 9:
                abort(404)
            found = published(int(wanted))
            if found is None:
                abort(404)
            g.release = found
        else:
            g.release = published()
    return g.release


def earlier_releases(limit: int = 20) -> list[Release]:
    return list(
        db.session.scalars(
            select(Release)
            .where(Release.status == ReleaseStatus.PUBLISHED)
            .order_by(Release.id.desc())
            .limit(limit)
        )
    )


@dataclass
class Released:
    """One questionnaire's results in one release."""

    release: Release
    questionnaire_id: str
    version: int
    waves: pd.DataFrame  # wave_id, name: in date order

    @cached_property
    def questionnaire(self) -> Questionnaire:
        return loaded.definition(self.questionnaire_id, self.version)

    @property
    def scales(self) -> list:
        return list(self.questionnaire.scales)

    def item(self, kind: str, key: str):
        return store.read(self.release, kind, f"{self.questionnaire_id}:{key}")

    def school_waves(self, school_id: int) -> list[int]:
        present = set(
            db.session.scalars(
                select(ReleaseSchool.wave_id).where(
                    ReleaseSchool.release_id == self.release.id, ReleaseSchool.school_id == school_id
                )
            )
        )
        return [w for w in self.waves["wave_id"] if w in present]

    def latest_wave(self, school_id: int | None = None) -> int | None:
        waves = self.school_waves(school_id) if school_id is not None else list(self.waves["wave_id"])
        return waves[-1] if waves else None

    def school_part(self, school_id: int, wave_id: int) -> ReleaseSchool | None:
        return db.session.get(ReleaseSchool, (self.release.id, school_id, wave_id))


def released(release: Release, questionnaire_id: str) -> Released | None:
    found = store.read(release, "questionnaire", questionnaire_id)
    if found is None:
        return None
    waves = pd.DataFrame(found["waves"], columns=["wave_id", "name"])
    return Released(release, questionnaire_id, int(found["version"]), waves)


def questionnaires_of(release: Release | None, condition) -> list[str]:
    """Questionnaires the release has figures for among schools matching `condition`, the most
    answered first."""
    if release is None:
        return []
    rows = db.session.execute(
        select(Wave.questionnaire_id, func.sum(ReleaseSchool.responses))
        .join(ReleaseSchool, ReleaseSchool.wave_id == Wave.id)
        .join(School, School.id == ReleaseSchool.school_id)
        .where(ReleaseSchool.release_id == release.id, condition)
        .group_by(Wave.questionnaire_id)
        .order_by(func.sum(ReleaseSchool.responses).desc(), Wave.questionnaire_id)
    ).all()
    return [q for q, _ in rows]


def _current_id() -> int | None:
    current = published()
    return current.id if current is not None else None


def about(release: Release | None, part: ReleaseSchool | None = None) -> dict | None:
    """What a page says of the figures it shows: when they were published, from how many responses."""
    if release is None:
        return None
    figures_from = release
    if part is not None and part.figures_from != release.id:
        figures_from = db.session.get(Release, part.figures_from) or release
    return {
        "id": release.id,
        "published_at": figures_from.published_at,
        "responses": part.responses if part is not None else release.responses,
        "current": release.id == _current_id(),
    }


def school_results(released: Released, school: School, wave_id: int, *, scale_id: str, group: str):
    """A school's dashboard for one wave as the release published it (`survey.results.dashboard`'s tables)."""
    from .dashboard import SchoolResults

    part = released.item("school", f"{wave_id}:{school.urn}") or {"n": 0}
    out = SchoolResults(school, released, wave_id, int(part["n"]), scale_id, group)
    if "scales" not in part:
        return out, part  # fewer than 10 responses: nothing can be shown; the page says so
    trend = released.item("trend", str(school.urn)) or {}
    out.tables += [
        part["scales"],
        part["gaps"][f"{scale_id}:{group}"],
        part["lost-learning"],
        part["lost-learning-groups"][group],
    ]
    if scale_id in trend:
        out.tables.append(trend[scale_id])
    return out, part
