"""Staff sign-in and sign-out, idle timeout, and password reset by an admin-issued link."""

from flask import Blueprint

bp = Blueprint("auth", __name__, url_prefix="/staff")

from . import routes  # noqa: E402,F401  (routes register themselves on bp)
