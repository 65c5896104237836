"""The admin portal: schools, users, waves, the audit log and withdrawals."""

from flask import Blueprint

bp = Blueprint("admin", __name__, url_prefix="/admin")

from . import releases, routes  # noqa: E402,F401
