from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base


class School(Base):
    """A school or other setting, as in the national register (GIAS)."""

    __tablename__ = "school"

    id: Mapped[int] = mapped_column(primary_key=True)
    urn: Mapped[int] = mapped_column(unique=True)
    name: Mapped[str] = mapped_column(String(200))
    la_code: Mapped[str] = mapped_column(String(10), index=True)
    la_name: Mapped[str] = mapped_column(String(100))
    phase: Mapped[str] = mapped_column(String(60))
    type: Mapped[str] = mapped_column(String(100))
    trust: Mapped[str | None] = mapped_column(String(200), index=True)
    # Shown to pupils on the thank-you page: who at school they can talk to.
    trusted_adult_text: Mapped[str | None] = mapped_column(Text)
    trusted_adult_text_cy: Mapped[str | None] = mapped_column(Text)  # in Welsh, for Welsh pages
    # "You said, we did": what the school is changing after the last survey, shown to its pupils
    # before they start the next one.
    you_said_we_did: Mapped[str | None] = mapped_column(Text)
    you_said_we_did_cy: Mapped[str | None] = mapped_column(Text)
    you_said_we_did_at: Mapped[datetime | None]

    def __repr__(self) -> str:
        return f"<School {self.urn} {self.name}>"
