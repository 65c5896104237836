"""The risk check on a saved page's free text, and the help page a flagged pupil sees at once.

Runs after the page is saved (so the pupil's answer is kept whatever happens here): each free-text
answer is checked with `analysis.safeguarding.check`; a flagged one becomes a concern on the
school's DSL page, with an email alert when SMTP is set up. The pupil is then shown who they can
talk to now, and carries on from where they were going.
"""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import urlsplit

from flask import current_app, render_template, request, session, url_for

from analysis.safeguarding import check
from questionnaires import Section

from .. import alerts
from ..data import safeguarding as concerns
from ..data import schools as school_data
from . import bp, store
from .answers import Given

# The school whose help to show, and where the pupil was going: kept in the cookie for the help
# page (after "Save and come back later" the pupil's own session has already ended).
HELP = "help"


def check_page(pupil, page: Section, given: Mapping[str, Given], language: str) -> bool:
    """Raise a concern for each flagged free-text answer just saved; True if any was flagged."""
    flagged = False
    for question in page.questions:
        answer = given.get(question.id)
        if question.type != "text" or answer is None or not answer.text:
            continue
        matches = check(answer.text)
        if not matches:
            continue
        flagged = True
        concern = concerns.raise_concern(
            school_id=pupil.code.school_id,
            wave_id=pupil.wave.id,
            response_id=pupil.response.id,
            question_id=question.id,
            language=language,
            text=answer.text,
            matches=matches,
        )
        if concern is not None:
            _alert(concern)
    return flagged


def _alert(concern) -> None:
    if not alerts.configured():
        return
    school = school_data.get(concern.school_id)
    if school is None:  # removed since the answer was saved: nobody to alert
        return
    link = url_for("school.safeguarding_concern", urn=school.urn, concern_id=concern.id, _external=True)
    alerts.send_concern_alert(school_name=school.name, link=link, to=concerns.recipients(school.id))


def help_first(school_id: int, target: str) -> str:
    """Where to send a flagged pupil: the help page, which then carries on to `target`."""
    session[HELP] = {"school": school_id, "next": target}
    return url_for("pupil.get_help")


def _local(target: object) -> str:
    if not isinstance(target, str):
        return url_for("pupil.start")
    local = target.startswith("/") and not target.startswith(("//", "/\\"))
    if not local or urlsplit(target).netloc or "\\" in target:
        return url_for("pupil.start")
    return target


@bp.get("/help")
def get_help():
    """Who to talk to now. Reachable without a code, so it still works after "come back later"."""
    kept = session.get(HELP)
    kept = kept if isinstance(kept, dict) else {}
    school = store.school(kept["school"]) if isinstance(kept.get("school"), int) else None
    carry_on = _local(kept.get("next"))
    language = session.get("language") if session.get("language") in ("en", "cy") else "en"
    trusted_adult, trusted_lang = store.school_text(school, "trusted_adult_text", language)
    return render_template(
        "pupil/get_help.html",
        school={"trusted_adult_text": trusted_adult, "trusted_adult_lang": trusted_lang},
        carry_on=carry_on,
        finished_session=carry_on == url_for("pupil.start"),
        service_name=current_app.config["SERVICE_NAME"],
        here=request.path,
    )
