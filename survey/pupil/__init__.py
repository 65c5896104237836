"""The pupil journey: start page (enter a code), assent, question pages, check answers, thank you."""

from flask import Blueprint

bp = Blueprint("pupil", __name__)

from . import routes  # noqa: E402, F401  (registers the views on `bp`)
