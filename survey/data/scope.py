"""Which schools a staff user may see: their named schools, local authority, trust or the country."""

from __future__ import annotations

from sqlalchemy import ColumnElement, Select, String, cast, func, or_, select, true

from ..extensions import db
from ..models import Role, School, ScopeKind, User, user_school


def schools_in_scope(user: User) -> Select:
    """A query of the schools `user` may see, by name."""
    query = select(School).order_by(School.name)
    return query.where(scope_condition(user))


def scope_condition(user: User) -> ColumnElement[bool]:
    if user.role is Role.ADMIN:
        return true()
    if user.scope_kind is ScopeKind.SCHOOLS:
        mine = select(user_school.c.school_id).where(user_school.c.user_id == user.id)
        return School.id.in_(mine)
    if user.scope_kind is ScopeKind.LOCAL_AUTHORITY:
        return School.la_code == user.scope_value
    if user.scope_kind is ScopeKind.TRUST:
        return School.trust == user.scope_value
    return true()


def visible_school(user: User, urn: int) -> School | None:
    """The school with this URN if `user` may see it."""
    return db.session.scalar(schools_in_scope(user).where(School.urn == urn))


def schools_visible_to(user: User) -> list[School]:
    return list(db.session.scalars(schools_in_scope(user)))


def find_in_scope(user: User, text: str, *, limit: int) -> list[School]:
    """Schools `user` may see whose name contains `text` or whose URN starts with it."""
    pattern = f"%{text.lower()}%"
    match = or_(func.lower(School.name).like(pattern), cast(School.urn, String).like(f"{text}%"))
    return list(db.session.scalars(schools_in_scope(user).where(match).limit(limit)))


def scope_rows(user: User) -> list[tuple]:
    """(urn, name, la_code, la_name, trust, phase) of every school `user` may see, by name."""
    return list(
        db.session.execute(
            select(School.urn, School.name, School.la_code, School.la_name, School.trust, School.phase)
            .where(scope_condition(user))
            .order_by(School.name)
        ).all()
    )


def local_authority_name(code: str) -> str | None:
    return db.session.scalar(select(School.la_name).where(School.la_code == code).limit(1))
