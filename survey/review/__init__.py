"""The reviewer portal: find a school, compare schools fairly, area roll-ups, disproportionality."""

from flask import Blueprint

bp = Blueprint("review", __name__, url_prefix="/review")

from . import routes  # noqa: E402,F401
