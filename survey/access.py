"""Who may see what: roles and scopes, checked on the server for every staff view.

A school lead sees only their own schools; a reviewer sees the schools of their local authority,
trust or the whole country, in aggregate only; an admin runs the service but sees no results.
Anything outside a user's scope is a 404, so a URL never confirms that a school takes part.
"""

from __future__ import annotations

from functools import wraps

from flask import abort, redirect, request, url_for
from flask_login import current_user
from sqlalchemy import Select, select, true

from .extensions import db
from .models import Role, School, ScopeKind, User, user_school


def role_required(*roles: Role):
    """Signed-in staff with one of `roles`; others are sent to sign in (or get 403 for a wrong role)."""

    def decorate(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            if not current_user.is_authenticated:
                return redirect(url_for("auth.sign_in", next=request.full_path.rstrip("?")))
            if current_user.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        return wrapper

    return decorate


def schools_in_scope(user: User) -> Select:
    """A query of the schools `user` may see, by name."""
    query = select(School).order_by(School.name)
    return query.where(scope_condition(user))


def scope_condition(user: User):
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


def school_or_404(urn: int) -> School:
    """The school with this URN if the signed-in user may see it; 404 otherwise (never 403)."""
    school = db.session.scalar(schools_in_scope(current_user).where(School.urn == urn))
    if school is None:
        abort(404)
    return school
