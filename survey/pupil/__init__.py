"""The pupil journey: start page (enter a code), assent, question pages, check answers, thank you."""

from flask import Blueprint
from flask.blueprints import BlueprintSetupState

bp = Blueprint("pupil", __name__)

from . import routes, store  # noqa: E402, F401  (registers the views on `bp`)

# The journey's database connection goes back to the pool when the request's app context ends.


@bp.record_once
def _release_connection(state: BlueprintSetupState) -> None:
    state.app.teardown_appcontext(store.release)
