"""Who may see what: roles and scopes, checked on the server for every staff view.

A school lead sees only their own schools; a reviewer sees the schools of their local authority,
trust or the whole country, in aggregate only; an admin runs the service but sees no results.
Anything outside a user's scope is a 404, so a URL never confirms that a school takes part.
"""

from __future__ import annotations

from functools import wraps

from flask import abort, redirect, request, url_for
from flask_login import current_user

from .data.scope import schools_in_scope, scope_condition, visible_school
from .models import Role, School

__all__ = ["role_required", "school_or_404", "schools_in_scope", "scope_condition"]


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


def school_or_404(urn: int) -> School:
    """The school with this URN if the signed-in user may see it; 404 otherwise (never 403)."""
    school = visible_school(current_user, urn)
    if school is None:
        abort(404)
    return school
