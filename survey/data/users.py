from __future__ import annotations

import re

from flask import current_app
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import Select, select
from sqlalchemy.orm import selectinload
from werkzeug.security import check_password_hash, generate_password_hash

from ..extensions import db
from ..models import Role, School, ScopeKind, StaffSession, User
from . import audit, staff_sessions
from .actions import user_action

EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
MIN_PASSWORD = 12


@user_action
def create_user(
    *,
    email: str,
    password: str,
    role: Role,
    scope_kind: ScopeKind,
    scope_value: str | None = None,
    schools: list[School] | None = None,
    actor: User | str,
) -> User:
    email = email.strip().lower()
    if not EMAIL.fullmatch(email):
        raise ValueError(f"'{email}' is not an email address")
    if len(password) < MIN_PASSWORD:
        raise ValueError(f"the password must be at least {MIN_PASSWORD} characters")
    if db.session.scalar(db.select(User).filter_by(email=email)):
        raise ValueError(f"there is already a user with the email {email}")
    if role in (Role.SCHOOL_LEAD, Role.SAFEGUARDING_LEAD) and (
        scope_kind is not ScopeKind.SCHOOLS or not schools
    ):
        raise ValueError(f"a {role.value.replace('_', ' ')} must be given at least one school")
    if role is Role.REVIEWER and scope_kind is ScopeKind.SCHOOLS:
        raise ValueError("a reviewer's scope is national, a local authority or a trust")
    if scope_kind in (ScopeKind.LOCAL_AUTHORITY, ScopeKind.TRUST) and not scope_value:
        raise ValueError(f"a {scope_kind.value} scope needs its code or name")
    user = User(
        email=email,
        password_hash=generate_password_hash(password, method=_hash_method()),
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


# Compared against when no such user exists, so a wrong email takes as long as a wrong password.
_NO_USER_HASH = generate_password_hash("no such user, but take the same time")
RESET_SALT = "staff-password-reset"


def _hash_method() -> str:
    # scrypt in production; the tests set a cheaper method, as they create hundreds of users.
    return current_app.config.get("PASSWORD_HASH_METHOD", "scrypt")


def authenticate(email: str, password: str) -> User | None:
    """The active user with this email and password, or None (without saying which was wrong)."""
    user = db.session.scalar(db.select(User).filter_by(email=email.strip().lower()))
    valid = check_password_hash(user.password_hash if user else _NO_USER_HASH, password)
    return user if user is not None and valid and user.active else None


@user_action
def set_password(user: User, password: str, *, actor: User | str) -> None:
    if len(password) < MIN_PASSWORD:
        raise ValueError(f"the password must be at least {MIN_PASSWORD} characters")
    user.password_hash = generate_password_hash(password, method=_hash_method())
    staff_sessions.end_all(user)  # whoever had the old password is signed out everywhere
    audit.record("set_password", actor=actor, target=f"user:{user.id}")


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=RESET_SALT)


def reset_token(user: User) -> str:
    """A link token for setting a new password. It stops working once the password has changed."""
    return _serializer().dumps([user.id, user.password_hash[-12:]])


def user_for_reset_token(token: str) -> User | None:
    hours = current_app.config["PASSWORD_RESET_HOURS"]
    try:
        user_id, fingerprint = _serializer().loads(token, max_age=hours * 3600)
    except (BadSignature, ValueError, TypeError):
        return None
    user = db.session.get(User, user_id) if isinstance(user_id, int) else None
    if user is None or not user.active or user.password_hash[-12:] != fingerprint:
        return None
    return user


def random_password() -> str:
    """A password nobody knows, for accounts whose owner sets their own through a reset link."""
    import secrets

    return secrets.token_urlsafe(32)


@user_action
def set_active(user: User, active: bool, *, actor: User | str) -> None:
    """Deactivate (signed out on their next request, cannot sign in) or reactivate a user."""
    if user.active == active:
        return
    user.active = active
    if not active:
        staff_sessions.end_all(user)
    audit.record("reactivate_user" if active else "deactivate_user", actor=actor, target=f"user:{user.id}")


@user_action
def issue_reset_link_token(user: User, *, actor: User | str) -> str:
    """A password reset token for `user`, recorded in the audit log (the token itself is not)."""
    if not user.active:
        raise ValueError("reactivate the user before issuing a password reset link")
    audit.record("issue_reset_link", actor=actor, target=f"user:{user.id}")
    return reset_token(user)


@user_action
def invite_user(
    *,
    email: str,
    role: Role,
    scope_kind: ScopeKind,
    scope_value: str | None,
    schools: list[School],
    actor: User,
) -> tuple[User, str]:
    """A new user with a password nobody knows, and a reset token for them to set their own."""
    user = create_user(
        email=email,
        password=random_password(),
        role=role,
        scope_kind=scope_kind,
        scope_value=scope_value,
        schools=schools,
        actor=actor,
    )
    return user, issue_reset_link_token(user, actor=actor)


@user_action
def signed_in(user: User) -> str:
    """Start a server-side session for `user`; the token for their cookie."""
    token = staff_sessions.start(user)
    audit.record("sign_in", actor=user)
    return token


@user_action
def signed_out(user: User | None, record: StaffSession | None) -> None:
    """End the session (a copy of its cookie no longer works anywhere), recording who signed out."""
    if user is not None:
        audit.record("sign_out", actor=user)
    staff_sessions.end(record)


def get(user_id: int) -> User | None:
    """The user with this id; None for an id no database integer can hold."""
    return db.session.get(User, user_id) if 0 < user_id <= 2**31 - 1 else None


def by_email(email: str) -> User | None:
    return db.session.scalar(select(User).filter_by(email=email.strip().lower()))


def search(email_contains: str = "") -> Select:
    """Users by email, with their schools, whose email contains the text if given."""
    query = select(User).options(selectinload(User.schools)).order_by(User.email)
    if email_contains:
        query = query.where(User.email.ilike(audit.contains(email_contains.lower()), escape="\\"))
    return query
