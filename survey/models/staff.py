from __future__ import annotations

import enum
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import JSON, Column, ForeignKey, String, Table
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, enum_column, utcnow
from .school import School


class Role(enum.StrEnum):
    SCHOOL_LEAD = "school_lead"
    # The designated safeguarding lead of their schools: sees and acts on possible concerns only.
    SAFEGUARDING_LEAD = "safeguarding_lead"
    REVIEWER = "reviewer"
    ADMIN = "admin"


class ScopeKind(enum.StrEnum):
    """What a user may see: named schools, a local authority, a trust, or the whole country."""

    SCHOOLS = "schools"
    LOCAL_AUTHORITY = "la"
    TRUST = "trust"
    NATIONAL = "national"


user_school = Table(
    "user_school",
    Base.metadata,
    Column("user_id", ForeignKey("user.id", ondelete="CASCADE"), primary_key=True),
    Column("school_id", ForeignKey("school.id", ondelete="CASCADE"), primary_key=True),
)


class User(UserMixin, Base):
    """A member of staff: school lead, safeguarding lead, reviewer or admin. Pupils never have accounts."""

    __tablename__ = "user"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[Role] = mapped_column(enum_column(Role, 20))
    scope_kind: Mapped[ScopeKind] = mapped_column(enum_column(ScopeKind, 10))
    # The local authority code or trust name, for those scopes.
    scope_value: Mapped[str | None] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    schools: Mapped[list[School]] = relationship(secondary=user_school)

    @property
    def is_active(self) -> bool:  # Flask-Login: a deactivated user is signed out on the next request
        return self.active

    def get_id(self) -> str:
        # The session names the password too, so a password reset signs out every other session.
        return f"{self.id}:{self.password_hash[-12:]}"

    @property
    def scope_description(self) -> str:
        if self.role is Role.ADMIN or self.scope_kind is ScopeKind.NATIONAL:
            return "National"
        if self.scope_kind is ScopeKind.SCHOOLS:
            return ", ".join(s.name for s in self.schools) or "No schools"
        label = "Local authority" if self.scope_kind is ScopeKind.LOCAL_AUTHORITY else "Trust"
        return f"{label}: {self.scope_value}"


class AuditEvent(Base):
    """Who did what to which data, when. Never holds pupil answers or codes."""

    __tablename__ = "audit_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"), index=True)
    # "cli" for command-line actions, where there is no signed-in user.
    actor: Mapped[str] = mapped_column(String(254))
    action: Mapped[str] = mapped_column(String(60))
    target: Mapped[str | None] = mapped_column(String(200))
    detail: Mapped[dict | None] = mapped_column(JSON)


class StaffSession(Base):
    """One signed-in browser of a member of staff, kept on the server.

    The cookie carries a random token; only its SHA-256 is stored. The session is live only while
    this row says so, so signing out, the idle and absolute limits, a password reset and deactivation
    end it on every instance at once, and a copied cookie is refused after it ends."""

    __tablename__ = "staff_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    ended_at: Mapped[datetime | None]
