"""Results releases: the only results staff ever see.

A release is an immutable set of already-suppressed tables, worked out off the web path from a
snapshot of complete responses (`survey.results.publish`). Pages read the current release with
indexed lookups and never touch pupil-level answers.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Index, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, enum_column, utcnow


class ReleaseStatus(enum.StrEnum):
    BUILDING = "building"
    PUBLISHED = "published"
    FAILED = "failed"


class Release(Base):
    """One publication of results. Only a published release is ever shown; the newest is current."""

    __tablename__ = "release"

    id: Mapped[int] = mapped_column(primary_key=True)
    status: Mapped[ReleaseStatus] = mapped_column(
        enum_column(ReleaseStatus, 12), default=ReleaseStatus.BUILDING
    )
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    published_at: Mapped[datetime | None]
    # Complete responses in the snapshot the release was worked out from.
    responses: Mapped[int] = mapped_column(default=0)
    # Why it was made ("schedule", "wave closed", "admin", "demo") and, if it failed, why (no values).
    reason: Mapped[str] = mapped_column(String(60), default="")
    failure: Mapped[str | None] = mapped_column(Text)


class ReleaseSchool(Base):
    """A school's part of a release for one wave: how many responses its figures are from."""

    __tablename__ = "release_school"

    release_id: Mapped[int] = mapped_column(ForeignKey("release.id", ondelete="CASCADE"), primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id", ondelete="CASCADE"), primary_key=True)
    wave_id: Mapped[int] = mapped_column(ForeignKey("wave.id", ondelete="CASCADE"), primary_key=True)
    responses: Mapped[int]
    # The release in which these figures were first published (earlier than release_id when the
    # school kept its previous figures because fewer than RELEASE_MIN_NEW responses had arrived).
    figures_from: Mapped[int]


class ReleaseItem(Base):
    """One stored piece of a release: a table, a page's school-level rows, or a chart's data.

    `payload` is compressed JSON (`survey.results.store`); never pupil-level rows.
    """

    __tablename__ = "release_item"
    __table_args__ = (Index("ix_release_item_lookup", "release_id", "kind", "key", unique=True),)

    id: Mapped[int] = mapped_column(primary_key=True)
    release_id: Mapped[int] = mapped_column(ForeignKey("release.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(40))
    key: Mapped[str] = mapped_column(String(200))
    payload: Mapped[bytes] = mapped_column(LargeBinary)
