from __future__ import annotations

import re

from werkzeug.security import generate_password_hash

from ..extensions import db
from ..models import Role, School, ScopeKind, User
from . import audit

EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
MIN_PASSWORD = 12


def create_user(
    *,
    email: str,
    password: str,
    role: Role,
    scope_kind: ScopeKind,
    scope_value: str | None = None,
    schools: list[School] | None = None,
    actor: str,
) -> User:
    email = email.strip().lower()
    if not EMAIL.fullmatch(email):
        raise ValueError(f"'{email}' is not an email address")
    if len(password) < MIN_PASSWORD:
        raise ValueError(f"the password must be at least {MIN_PASSWORD} characters")
    if db.session.scalar(db.select(User).filter_by(email=email)):
        raise ValueError(f"there is already a user with the email {email}")
    if role is Role.SCHOOL_LEAD and (scope_kind is not ScopeKind.SCHOOLS or not schools):
        raise ValueError("a school lead must be given at least one school")
    if role is Role.REVIEWER and scope_kind is ScopeKind.SCHOOLS:
        raise ValueError("a reviewer's scope is national, a local authority or a trust")
    if scope_kind in (ScopeKind.LOCAL_AUTHORITY, ScopeKind.TRUST) and not scope_value:
        raise ValueError(f"a {scope_kind.value} scope needs its code or name")
    user = User(
        email=email,
        password_hash=generate_password_hash(password),
        role=role,
        scope_kind=scope_kind,
        scope_value=scope_value,
        schools=schools or [],
    )
    db.session.add(user)
    db.session.flush()
    audit.record(
        "create_user", actor=actor, target=f"user:{user.id}", role=role.value, scope=scope_kind.value
    )
    return user
