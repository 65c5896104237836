"""The school portal: waves, rosters and codes, live response rates, the dashboard and free text."""

from flask import Blueprint

bp = Blueprint("school", __name__, url_prefix="/school")

from . import results, routes, safeguarding, waves  # noqa: E402,F401  (views register themselves on bp)
