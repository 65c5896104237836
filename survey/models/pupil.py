"""Pupil-level data. No names anywhere: a roster entry carries only the school's own reference."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, enum_column, utcnow
from .school import School
from .wave import Wave


class SenStatus(enum.StrEnum):
    NONE = "N"
    SEN_SUPPORT = "K"
    EHCP = "E"


class ResponseStatus(enum.StrEnum):
    REFUSED = "refused"
    IN_PROGRESS = "in_progress"
    COMPLETE = "complete"


class RosterEntry(Base):
    """A pupil on a school's roster for a wave, known only by the school's pseudonymous reference."""

    __tablename__ = "roster_entry"
    __table_args__ = (UniqueConstraint("wave_id", "school_id", "pupil_reference"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    wave_id: Mapped[int] = mapped_column(ForeignKey("wave.id", ondelete="CASCADE"))
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id", ondelete="CASCADE"), index=True)
    pupil_reference: Mapped[str] = mapped_column(String(40))
    year_group: Mapped[int]
    gender: Mapped[str | None] = mapped_column(String(1))
    ethnicity_major: Mapped[str | None] = mapped_column(String(4))
    ethnicity_minor: Mapped[str | None] = mapped_column(String(4))
    sen: Mapped[SenStatus | None] = mapped_column(enum_column(SenStatus, 1))
    fsm: Mapped[bool | None]
    eal: Mapped[bool | None]
    looked_after: Mapped[bool | None]
    class_name: Mapped[str | None] = mapped_column(String(40))
    # When the pupil's response was withdrawn on request: they get no new code for this wave, and
    # response rates leave them out. The entry stays so that re-uploading the roster keeps the flag.
    withdrawn_at: Mapped[datetime | None]

    wave: Mapped[Wave] = relationship()
    school: Mapped[School] = relationship()


class ClassSession(Base):
    """An anonymous class session: codes not linked to a roster; pupils answer "About you" themselves."""

    __tablename__ = "class_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    wave_id: Mapped[int] = mapped_column(ForeignKey("wave.id", ondelete="CASCADE"))
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(60))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class PupilCode(Base):
    """A one-time code. Only a keyed hash is stored; the code itself is printed once and forgotten."""

    __tablename__ = "pupil_code"
    __table_args__ = (
        CheckConstraint(
            "(roster_entry_id IS NULL) <> (class_session_id IS NULL)", name="roster_or_class_session"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    wave_id: Mapped[int] = mapped_column(ForeignKey("wave.id", ondelete="CASCADE"), index=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id", ondelete="CASCADE"), index=True)
    roster_entry_id: Mapped[int | None] = mapped_column(
        ForeignKey("roster_entry.id", ondelete="CASCADE"), unique=True
    )
    class_session_id: Mapped[int | None] = mapped_column(
        ForeignKey("class_session.id", ondelete="CASCADE"), index=True
    )
    issued_at: Mapped[datetime] = mapped_column(default=utcnow)
    # When a pupil last handed the device over: cookies from before then no longer count, even if a
    # late response puts one back in the browser.
    session_ended_at: Mapped[datetime | None]

    wave: Mapped[Wave] = relationship()
    school: Mapped[School] = relationship()
    roster_entry: Mapped[RosterEntry | None] = relationship()
    response: Mapped[Response | None] = relationship(back_populates="pupil_code", passive_deletes=True)


class Response(Base):
    """One pupil's go at a wave's questionnaire."""

    __tablename__ = "response"

    id: Mapped[int] = mapped_column(primary_key=True)
    wave_id: Mapped[int] = mapped_column(ForeignKey("wave.id", ondelete="CASCADE"), index=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id", ondelete="CASCADE"), index=True)
    pupil_code_id: Mapped[int] = mapped_column(ForeignKey("pupil_code.id", ondelete="CASCADE"), unique=True)
    status: Mapped[ResponseStatus] = mapped_column(
        enum_column(ResponseStatus, 12),
        default=ResponseStatus.IN_PROGRESS,
    )
    language: Mapped[str] = mapped_column(String(3), default="en")
    # How many section pages the pupil has saved, in order: where to resume.
    progress: Mapped[int] = mapped_column(default=0, server_default="0")
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    completed_at: Mapped[datetime | None]
    # The release that first included this (complete) response; None until one does. A school's
    # figures move only when at least RELEASE_MIN_NEW complete responses are waiting to be included.
    released_in: Mapped[int | None] = mapped_column(index=True)

    pupil_code: Mapped[PupilCode] = relationship(back_populates="response")
    answers: Mapped[list[Answer]] = relationship(
        back_populates="response", cascade="all, delete-orphan", passive_deletes=True
    )


class Answer(Base):
    """One answer: a response × question. Skipped questions have no row; "prefer not to say" has one."""

    __tablename__ = "answer"
    __table_args__ = (UniqueConstraint("response_id", "question_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    response_id: Mapped[int] = mapped_column(ForeignKey("response.id", ondelete="CASCADE"))
    question_id: Mapped[str] = mapped_column(String(40))
    value: Mapped[int | None]
    # none_as_null: a skipped choice is SQL NULL, not the JSON text "null" (cheaper to read back).
    choices: Mapped[list[int] | None] = mapped_column(JSON(none_as_null=True))
    text: Mapped[str | None] = mapped_column(Text)
    prefer_not_to_say: Mapped[bool] = mapped_column(default=False)
    saved_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    response: Mapped[Response] = relationship(back_populates="answers")
