"""Possible safeguarding concerns: a pupil's free-text answer that the risk check flagged when it was
saved, for the school's designated safeguarding lead (DSL) to act on.

A concern holds the redacted text and which keywords matched, never a name or a code. Who wrote it
(the roster reference) is not stored here: it is looked up through the response only when the DSL
and a second member of staff agree, and that reveal is audited with both of them.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, enum_column, utcnow
from .school import School
from .wave import Wave


class ConcernState(enum.StrEnum):
    NEW = "new"
    ACKNOWLEDGED = "acknowledged"
    CLOSED = "closed"


class SafeguardingConcern(Base):
    __tablename__ = "safeguarding_concern"
    __table_args__ = (UniqueConstraint("response_id", "question_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id", ondelete="CASCADE"), index=True)
    wave_id: Mapped[int] = mapped_column(ForeignKey("wave.id", ondelete="CASCADE"))
    # SET NULL: a withdrawn or purged response leaves the concern (redacted, as safeguarding records
    # are kept), but then nobody can find out who wrote it.
    response_id: Mapped[int | None] = mapped_column(ForeignKey("response.id", ondelete="SET NULL"))
    question_id: Mapped[str] = mapped_column(String(40))
    language: Mapped[str] = mapped_column(String(3))
    text: Mapped[str] = mapped_column(Text)  # redacted as analysis.text.redact does
    # [[theme, keyword], ...]: why the check raised it, so the DSL can judge the flag.
    matches: Mapped[list] = mapped_column(JSON)
    state: Mapped[ConcernState] = mapped_column(enum_column(ConcernState, 12), default=ConcernState.NEW)
    flagged_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    acknowledged_at: Mapped[datetime | None]
    acknowledged_by: Mapped[str | None] = mapped_column(String(254))
    acknowledge_note: Mapped[str | None] = mapped_column(Text)
    closed_at: Mapped[datetime | None]
    closed_by: Mapped[str | None] = mapped_column(String(254))
    close_note: Mapped[str | None] = mapped_column(Text)
    revealed_at: Mapped[datetime | None]
    # The two members of staff who agreed to reveal who wrote it (their sign-in emails).
    revealed_by: Mapped[str | None] = mapped_column(String(254))
    revealed_with: Mapped[str | None] = mapped_column(String(254))

    school: Mapped[School] = relationship()
    wave: Mapped[Wave] = relationship()
