"""The designated safeguarding lead's pages: "Needs attention", one concern, and what raises a flag.

Concerns are raised when a pupil saves a flagged answer (survey/pupil/safeguarding.py), not at a
release, and are shown here only: to the school's safeguarding leads. Each concern goes new →
acknowledged → closed, each step with a note, audited. Who wrote it (the school's own roster
reference, never a name) is shown only when the DSL and a second member of staff of the same
school agree, the second confirming with their own password; both are recorded.
"""

from __future__ import annotations

from flask import abort, current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from analysis.safeguarding import LANGUAGES, keyword_lists

from ..access import role_required, school_or_404
from ..data import audit, users
from ..data import questionnaires as loaded
from ..data import safeguarding as concerns
from ..data.scope import schools_visible_to
from ..extensions import limiter
from ..models import ConcernState, Role, School, utcnow
from . import bp
from .safeguarding_forms import AcknowledgeForm, CloseForm, RevealForm

dsl_only = role_required(Role.SAFEGUARDING_LEAD)
LANGUAGE_NAMES = {"en": "English", "cy": "Welsh"}


@bp.get("/safeguarding/")
@dsl_only
def safeguarding_home():
    schools = schools_visible_to(current_user)
    if len(schools) == 1:
        return redirect(url_for("school.safeguarding_list", urn=schools[0].urn))
    counts = [(school, concerns.new_count(school)) for school in schools]
    return render_template("school/safeguarding/home.html", counts=counts, nav="safeguarding")


@bp.get("/<int:urn>/safeguarding/")
@dsl_only
def safeguarding_list(urn: int):
    school = school_or_404(urn)
    closed = request.args.get("show") == "closed"
    found = concerns.concerns_for(school, closed=closed)
    # The list shows what pupils wrote (redacted): looking is recorded.
    audit.record_view("view_safeguarding_concerns", actor=current_user, target=f"school:{school.urn}")
    return render_template(
        "school/safeguarding/list.html",
        school=school,
        concerns=[(c, _question_text(c)) for c in found],
        closed=closed,
        now=utcnow(),
        nav="safeguarding",
    )


def _concern_or_404(school: School, concern_id: int):
    concern = concerns.concern_or_none(school, concern_id)
    if concern is None:
        abort(404)
    return concern


def _question_text(concern) -> str:
    try:
        questionnaire = loaded.definition(concern.wave.questionnaire_id, concern.wave.questionnaire_version)
    except LookupError:
        return concern.question_id
    for question in questionnaire.questions:
        if question.id == concern.question_id:
            return question.text.get_for("en")
    return concern.question_id


def _page(school, concern, *, source=None, **forms):
    # Form errors are shown on the page itself (200), as on the other staff forms.
    audit.record_view(
        "view_safeguarding_concern",
        actor=current_user,
        target=f"concern:{concern.id}",
        school_urn=school.urn,
        wave=concern.wave_id,
    )
    failed = next((form for form in forms.values() if form.errors), None)
    return render_template(
        "school/safeguarding/concern.html",
        school=school,
        concern=concern,
        question=_question_text(concern),
        acknowledge_form=forms.get("acknowledge") or AcknowledgeForm(prefix="acknowledge"),
        close_form=forms.get("close") or CloseForm(prefix="close"),
        reveal_form=forms.get("reveal") or RevealForm(prefix="reveal"),
        form=failed,  # the layout's error summary
        source=source,
        states=ConcernState,
        language_name=LANGUAGE_NAMES.get(concern.language, concern.language),
        nav="safeguarding",
    )


@bp.get("/<int:urn>/safeguarding/<int:concern_id>")
@dsl_only
def safeguarding_concern(urn: int, concern_id: int):
    school = school_or_404(urn)
    return _page(school, _concern_or_404(school, concern_id))


@bp.post("/<int:urn>/safeguarding/<int:concern_id>/acknowledge")
@dsl_only
def safeguarding_acknowledge(urn: int, concern_id: int):
    school = school_or_404(urn)
    concern = _concern_or_404(school, concern_id)
    form = AcknowledgeForm(prefix="acknowledge")
    if not form.validate_on_submit():
        return _page(school, concern, acknowledge=form)
    try:
        concerns.acknowledge(concern, form.note.data, actor=current_user._get_current_object())
    except concerns.NotAllowed as problem:
        flash(str(problem))
    else:
        flash("Acknowledged. Your note is saved and the concern is no longer new.")
    return redirect(url_for("school.safeguarding_concern", urn=urn, concern_id=concern.id))


@bp.post("/<int:urn>/safeguarding/<int:concern_id>/close")
@dsl_only
def safeguarding_close(urn: int, concern_id: int):
    school = school_or_404(urn)
    concern = _concern_or_404(school, concern_id)
    form = CloseForm(prefix="close")
    if not form.validate_on_submit():
        return _page(school, concern, close=form)
    try:
        concerns.close(concern, form.note.data, actor=current_user._get_current_object())
    except concerns.NotAllowed as problem:
        flash(str(problem))
    else:
        flash("Closed. Your note is saved.")
    return redirect(url_for("school.safeguarding_concern", urn=urn, concern_id=concern.id))


def _reveal_failed(response) -> bool:
    return bool(g.get("reveal_failed"))


def _by_user() -> str:
    return f"user:{current_user.get_id()}" if current_user.is_authenticated else "anonymous"


@bp.post("/<int:urn>/safeguarding/<int:concern_id>/reveal")
# Wrong second passwords count towards a limit, as at sign-in: this form checks passwords too.
@limiter.limit(
    lambda: current_app.config["SIGN_IN_ATTEMPTS_PER_EMAIL"],
    key_func=_by_user,
    deduct_when=_reveal_failed,
    scope="safeguarding-reveal",
)
@dsl_only
def safeguarding_reveal(urn: int, concern_id: int):
    school = school_or_404(urn)
    concern = _concern_or_404(school, concern_id)
    form = RevealForm(prefix="reveal")
    dsl = current_user._get_current_object()
    if form.validate_on_submit():
        second = users.authenticate(form.email.data, form.password.data)
        if second is not None and second.id == dsl.id:
            form.email.errors.append(_("The second person must be someone else, signing in as themselves"))
        elif second is None or not concerns.can_agree(second, school, dsl):
            g.reveal_failed = True
            form.email.errors.append(
                _("Enter the email address and password of another member of staff of this school")
            )
        else:
            source = concerns.reveal(concern, form.reason.data, dsl=dsl, second=second)
            return _page(school, concern, source=source)
    return _page(school, concern, reveal=form)


@bp.get("/safeguarding/keywords")
@dsl_only
def safeguarding_keywords():
    lists = [(LANGUAGE_NAMES[code], keyword_lists(code)) for code in LANGUAGES]
    return render_template("school/safeguarding/keywords.html", lists=lists, nav="keywords")
