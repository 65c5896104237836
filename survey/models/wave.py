from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, utcnow
from .school import School


class Wave(Base):
    """One round of the survey: a questionnaire version, for one school or nationally, between dates."""

    __tablename__ = "wave"
    __table_args__ = (CheckConstraint("closes_at > opens_at", name="closes_after_opening"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    questionnaire_id: Mapped[str] = mapped_column(String(60))
    questionnaire_version: Mapped[int]
    # None means a national wave that every school may take part in.
    school_id: Mapped[int | None] = mapped_column(ForeignKey("school.id", ondelete="CASCADE"), index=True)
    opens_at: Mapped[datetime]
    closes_at: Mapped[datetime]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    school: Mapped[School | None] = relationship()

    def is_open(self, at: datetime | None = None) -> bool:
        at = at or utcnow()
        return self.opens_at <= at < self.closes_at
