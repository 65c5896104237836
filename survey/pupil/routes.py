"""Views of the pupil journey: code, assent, one page per section, check answers, finish, hand over."""

from __future__ import annotations

import re
from functools import wraps
from typing import Any
from urllib.parse import urlsplit

from flask import abort, current_app, flash, g, redirect, render_template, request, session, url_for
from flask_babel import refresh
from flask_limiter.util import get_remote_address
from flask_wtf import FlaskForm
from markupsafe import Markup, escape

from questionnaires import Section

from .. import codes
from ..extensions import limiter
from ..models import ResponseStatus, utcnow
from . import bp, journey, messages, periods, rendering, safeguarding, store
from . import session as pupil_session
from . import wales as wales_words
from .answers import BadInput
from .forms import CodeForm
from .questions import shown_values

LANGUAGES = ("en", "cy")
_INDENT = re.compile(rb"\n[ \t]+")
MAX_PAGE_POST = 64 * 1024  # two 1,500-character answers in Welsh fit many times over


def language() -> str:
    """The pupil's language: the same choice as the app's locale selector, without Babel's parsing."""
    chosen = session.get("language")
    return chosen if chosen in LANGUAGES else "en"


@bp.after_request
def never_cache(response):
    # A shared device: Back after "Finish and hand over" must not show the last pupil's answers.
    response.headers["Cache-Control"] = "no-store"
    response.headers["Pragma"] = "no-cache"
    return _without_indentation(response)


def _without_indentation(response):
    """Drop template indentation: a section of radios is 15% smaller on slow school Wi-Fi.
    (Question pages come compacted already, see `pages`.)"""
    if response.mimetype == "text/html" and not response.direct_passthrough and not g.get("compact"):
        body = response.get_data()
        if b"<textarea" not in body and b"<pre" not in body:  # there, whitespace is content
            response.set_data(_INDENT.sub(b"\n", body))
    return response


@bp.before_request
def check_session():
    if request.content_length and request.content_length > MAX_PAGE_POST:
        abort(413)
    if pupil_session.timed_out():
        pupil_session.end()
        flash(str(messages.TIMED_OUT))
        return redirect(url_for("pupil.start"))
    pupil_session.touch()
    return None


def pupil_required(view):
    @wraps(view)
    def wrapper(*args, **kwargs):
        code_id = pupil_session.code_id()
        pupil = journey.load_pupil(code_id) if code_id else None
        ended = pupil.code.session_ended_at if pupil else None
        if ended is not None and pupil_session.begun() < ended.timestamp():
            pupil = None  # a cookie from before the device was handed over
            pupil_session.end()
        if pupil is None:
            flash(str(messages.SIGN_IN_FIRST))
            return redirect(url_for("pupil.start"))
        g.pupil = pupil
        return view(pupil, *args, **kwargs)

    return wrapper


def _failed_code(response) -> bool:
    return bool(g.get("code_failed"))


@bp.route("/", methods=["GET", "POST"])
# Only wrong codes count. Per browser, so one pupil's typos do not lock out the class; per network
# address, generously, because a whole school shares one.
@limiter.limit(
    lambda: current_app.config["CODE_ATTEMPTS_PER_CLIENT"],
    key_func=pupil_session.client_id,
    methods=["POST"],
    deduct_when=_failed_code,
    scope="code-entry-client",
)
@limiter.limit(
    lambda: current_app.config["CODE_ATTEMPTS_PER_NETWORK"],
    key_func=get_remote_address,
    methods=["POST"],
    deduct_when=_failed_code,
    scope="code-entry-network",
)
def start():
    pupil_session.client_id()
    form = CodeForm()
    if form.validate_on_submit():
        pupil, problem = _find_code(form.code.data)
        if problem is None:
            pupil_session.begin(pupil.code.id)
            if pupil.response is not None:
                return redirect(_resume_url(pupil))
            return redirect(url_for("pupil.before_you_start"))
        form.code.errors.append(str(problem))
    if form.errors:
        g.code_failed = True
    elif request.method == "GET" and codes.looks_like_a_code(request.args.get("code", "")):
        # From the QR code on a slip: the code filled in, for the pupil to check and press Start.
        form.code.data = request.args["code"].strip()[:20]
    elif request.method == "GET" and "_flashes" not in session:
        # The same for everyone but the nonce and CSRF token (a page with a message or errors is not).
        g.compact = True
        key = ("start", language(), pupil_session.code_id() is not None)
        return rendering.render_once(key, lambda: render_template("pupil/start.html", form=form))
    return render_template("pupil/start.html", form=form)


def _find_code(typed: str):
    """(the pupil whose code this is, None) or (None, the problem)."""
    if not codes.looks_like_a_code(typed):
        return None, messages.CODE_FORMAT
    code_id = store.code_id(codes.hash_code(typed))
    pupil = journey.load_pupil(code_id) if code_id is not None else None
    if pupil is None:
        return None, messages.CODE_UNKNOWN
    if pupil.response is not None and pupil.response.status == ResponseStatus.COMPLETE:
        return None, messages.CODE_USED
    now = utcnow()
    if now < pupil.wave.opens_at:
        return None, messages.WAVE_NOT_OPEN
    if now >= pupil.wave.closes_at:
        return None, messages.WAVE_CLOSED
    return pupil, None


def _resume_url(pupil: journey.Pupil) -> str:
    if pupil.response is None or pupil.response.status == ResponseStatus.REFUSED:
        return url_for("pupil.before_you_start")
    section = journey.resume_page(pupil, journey.routing_values(journey.saved_answers(pupil)))
    return url_for("pupil.section", section_id=section.id) if section else url_for("pupil.check_answers")


@bp.route("/before-you-start", methods=["GET", "POST"])
@pupil_required
def before_you_start(pupil: journey.Pupil):
    refused = pupil.response is not None and pupil.response.status == ResponseStatus.REFUSED
    agreed = pupil.response is not None and not refused
    if agreed and not request.args.get("review"):
        return redirect(_resume_url(pupil))
    form = FlaskForm()
    if form.validate_on_submit():
        choice = request.form.get("choice")
        if choice == "no" and not agreed:
            if request.form.get("confirm") != "yes":  # one tap is easy to make by mistake: ask first
                return render_template("pupil/no_thanks_confirm.html", form=form)
            journey.refuse(pupil, language())
            return redirect(url_for("pupil.no_thanks"))
        if choice != "yes":
            abort(400)
        journey.agree(pupil, language())
        return redirect(_resume_url(pupil))
    if request.method == "GET":
        g.compact = True
        # The school's "you said, we did" is part of the page, so it is part of the kept page's key.
        # Read on the request's one connection (store), and given to the template in place of the
        # you_said_we_did() global, which would take a second connection through the ORM session.
        school = store.school(pupil.code.school_id)
        changes, changes_lang = store.school_text(school, "you_said_we_did", language())
        key = ("before_you_start", language(), pupil.primary, pupil.anonymous, agreed, refused, changes)
        return rendering.render(
            key,
            "pupil/before_you_start.html",
            {},
            pupil=pupil,
            agreed=agreed,
            refused=refused,
            you_said_we_did=lambda school_id: changes,
            changes_lang=changes_lang,
        )
    return render_template(
        "pupil/before_you_start.html", form=form, pupil=pupil, agreed=agreed, refused=refused
    )


@bp.get("/no-thanks")
def no_thanks():
    return render_template("pupil/no_thanks.html", form=FlaskForm())


@bp.get("/stop")
@pupil_required
def stop(pupil: journey.Pupil):
    """From the "Stop and hand over" link on every question page: what is kept, and the button."""
    return render_template("pupil/stop.html", back=_resume_url(pupil))


def _section_or_404(pupil: journey.Pupil, section_id: str) -> Section:
    for section in journey.sections_for(pupil):
        if section.id == section_id:
            return section
    abort(404)


@bp.route("/section/<section_id>", methods=["GET", "POST"])
@pupil_required
def section(pupil: journey.Pupil, section_id: str):
    if pupil.response is None or pupil.response.status == ResponseStatus.REFUSED:
        return redirect(url_for("pupil.before_you_start"))  # a refusal is undone there, or kept
    if pupil.response.status != ResponseStatus.IN_PROGRESS:
        return redirect(url_for("pupil.finished"))
    page = _section_or_404(pupil, section_id)
    answers = journey.saved_answers(pupil)
    values = journey.routing_values(answers)
    pages = journey.route(pupil, values)
    if page not in pages:
        abort(400)  # routing does not ask this page, or a tampered address
    # No skipping ahead: a page is open once every page before it has been saved.
    resume = journey.resume_page(pupil, values)
    if resume is not None and pages.index(page) > pages.index(resume):
        return redirect(url_for("pupil.section", section_id=resume.id))

    questions = _as_read_here(pupil, journey.visible_questions(page, values))
    errors: dict[str, str] = {}
    raw: dict[str, object] = {}
    if request.method == "POST":
        # CSRFProtect (app-wide) has already checked the token of every POST.
        switch = request.form.get("switch_language")
        if switch in LANGUAGES and switch != language():
            # The language switch submits the page: any error it has is shown in the new language.
            pupil_session.set_language(switch)
            refresh()
        posted = _read_post(page, values)
        version = _shown_version() or journey.page_version(page, answers)
        if not posted.errors:
            return _save_and_move_on(pupil, page, posted, version)
        errors, raw = posted.errors, posted.raw
        # Show the follow-ups the pupil's own answers just asked for, beside the errors.
        questions = _as_read_here(
            pupil, journey.visible_questions(page, {**values, **journey.routing_values(posted.given)})
        )
    else:
        version = journey.page_version(page, answers)
    position = pages.index(page)
    back = (
        url_for("pupil.section", section_id=pages[position - 1].id)
        if position
        else url_for("pupil.before_you_start", review=1)
    )
    lang = language()
    shown = shown_values(questions, answers, raw)
    built = [
        _follow_up_note(q)
        + rendering.render_question(q, shown.get(q.id), lang, errors.get(q.id), pupil.primary)
        for q in questions
    ]
    period = periods.term(pupil.wave.opens_at)
    context = {
        "pupil": pupil,
        "page": periods.section(page, period),  # its introduction in the wave's words
        "number": position + 1,
        "total": len(pages),
        "back": back,
        "lang": lang,
    }
    action = request.full_path.rstrip("?")
    if not errors and "_flashes" not in session:
        q = pupil.questionnaire
        key = (q.id, q.version, page.id, lang, pupil.primary, position + 1, len(pages), back, period)
        g.compact = True
        return rendering.section_page(built, action, version, key, **context)
    errors_list = [{"text": errors[q.id], "href": f"#{q.id}"} for q in questions if q.id in errors]
    return render_template(
        "pupil/section.html",
        fields=built,
        errors=errors,
        errors_list=errors_list,
        action=action,
        version=version,
        **context,
    )


def _as_read_here(pupil: journey.Pupil, questions: list) -> list:
    """The questions in the words of the pupil's wave and country: time periods from the wave's term
    ("since 1 September", "this term"), and Wales's ALN and IDPs where the school is in Wales
    (looked up only for a page that asks about extra help)."""
    period = periods.term(pupil.wave.opens_at)
    questions = [periods.question(q, period) for q in questions]
    if not any(q.response_set == "sen" for q in questions):
        return questions
    school = store.school(pupil.code.school_id)
    wales = wales_words.in_wales(school.la_code if school else None)
    return [wales_words.for_school(q, wales) for q in questions]


def _follow_up_note(question) -> Markup:
    """A follow-up says why it is there: it shows only because of an answer above it."""
    if question.show_if is None:
        return Markup("")
    return Markup('<p class="govuk-body app-follow-up"><strong>%s</strong></p>') % messages.FOLLOW_UP


_VERSION = re.compile(r"[0-9a-f]{16}")


def _shown_version() -> str | None:
    """The page version the posted page was shown with; None from a page made before pages had one."""
    shown = request.form.get("version")
    if shown is not None and not _VERSION.fullmatch(shown):
        abort(400)
    return shown


def _read_post(page: Section, values) -> journey.PageInput:
    known = {"csrf_token", "version", "switch_language", "action"} | {q.id for q in page.questions}
    if set(request.form) - known:
        abort(400)
    try:
        return journey.read_page(page, request.form, values)
    except BadInput:
        abort(400)


def _save_and_move_on(pupil: journey.Pupil, page: Section, posted: journey.PageInput, shown: str | None):
    try:
        values = journey.save_page(pupil, page, posted.given, language(), shown)
    except journey.AlreadyFinished:
        return redirect(url_for("pupil.finished"))
    except journey.PageChanged:
        # Newer answers are kept; the pupil sees them and can save again.
        flash(str(messages.PAGE_CHANGED))
        return redirect(_same_page(page))
    # The risk check runs on what was just saved: a flagged pupil sees who to talk to at once.
    flagged = safeguarding.check_page(pupil, page, posted.given, language())
    target = _after_save(pupil, page, posted, values)
    return redirect(safeguarding.help_first(pupil.code.school_id, target) if flagged else target)


def _after_save(pupil: journey.Pupil, page: Section, posted: journey.PageInput, values) -> str:
    """Where a saved page leads."""
    if request.form.get("action") == "later":
        _end_session()
        flash(str(messages.SAVED_FOR_LATER))
        return url_for("pupil.start")
    switch = request.form.get("switch_language")
    if switch in LANGUAGES:
        pupil_session.set_language(switch)
    if switch in LANGUAGES or posted.revealed:
        # Same page again: in the other language, or to show a follow-up an answer here asked for.
        target = _same_page(page)
        return f"{target}#{posted.revealed[0]}" if posted.revealed else target
    if request.args.get("return") == "check":
        return url_for("pupil.check_answers")
    following = journey.next_page(pupil, values, page)
    if following is None:
        return url_for("pupil.check_answers")
    return url_for("pupil.section", section_id=following.id)


def _same_page(page: Section) -> str:
    """The page's own address, keeping only the query value the page reads ("return=check").

    Never ``url_for(..., **request.args)``: url_for takes some keywords itself (``_external``,
    ``_anchor``, ...) and the route has a ``section_id``, so a crafted query string was a 500.
    """
    kept: dict[str, Any] = {"return": "check"} if request.args.get("return") == "check" else {}
    return url_for("pupil.section", section_id=page.id, **kept)


@bp.route("/check-your-answers", methods=["GET", "POST"])
@pupil_required
def check_answers(pupil: journey.Pupil):
    if pupil.response is None or pupil.response.status == ResponseStatus.REFUSED:
        return redirect(url_for("pupil.before_you_start"))  # a refusal is undone there, or kept
    if pupil.response.status != ResponseStatus.IN_PROGRESS:
        return redirect(url_for("pupil.finished"))
    answers = journey.saved_answers(pupil)
    values = journey.routing_values(answers)
    resume = journey.resume_page(pupil, values)
    if resume is not None:
        return redirect(url_for("pupil.section", section_id=resume.id))
    if request.method == "POST":  # CSRFProtect (app-wide) has already checked the token
        journey.finish(pupil, language())
        return redirect(url_for("pupil.finished"))
    pages = journey.route(pupil, values)
    lang = language()
    # One row per section (a secondary route is about 60 questions): how many the pupil answered,
    # and a Change link to the section, where they see every answer. Kept per route, with a marker
    # for each section's count.
    shown = [(page, _as_read_here(pupil, journey.visible_questions(page, values))) for page in pages]
    places = {page.id: f"s{n}" for n, (page, _) in enumerate(shown)}
    answer_texts = {
        places[page.id]: str(
            escape(
                messages.ANSWERED
                % {
                    "answered": sum(answers.get(q.id) is not None for q in questions),
                    "total": len(questions),
                }
            )
        )
        for page, questions in shown
    }
    back = url_for("pupil.section", section_id=pages[-1].id) if pages else url_for("pupil.start")

    def summary() -> dict:
        rows = [
            {
                "key": {"text": page.title.get_for(lang)},
                "value": {"text": rendering.marker(places[page.id])},
                "actions": {
                    "items": [
                        {
                            "href": url_for("pupil.section", section_id=page.id, **{"return": "check"}),  # type: ignore[arg-type]
                            "text": messages.CHANGE,
                            "visuallyHiddenText": page.title.get_for(lang),
                        }
                    ]
                },
            }
            for page, _ in shown
        ]
        return {"pupil": pupil, "summary": rows, "back": back, "lang": lang}

    q = pupil.questionnaire
    route_key = tuple((page.id, tuple(question.id for question in questions)) for page, questions in shown)
    g.compact = True
    return rendering.render_lazily(
        ("check", q.id, q.version, lang, pupil.primary, route_key, back),
        "pupil/check_answers.html",
        answer_texts,
        summary,
    )


@bp.get("/finished")
@pupil_required
def finished(pupil: journey.Pupil):
    if pupil.response is None or pupil.response.status == ResponseStatus.IN_PROGRESS:
        return redirect(_resume_url(pupil))
    if pupil.response.status == ResponseStatus.REFUSED:
        return redirect(url_for("pupil.no_thanks"))
    school = store.school(pupil.code.school_id)
    trusted_adult, trusted_lang = store.school_text(school, "trusted_adult_text", language())
    g.compact = True
    return rendering.render(
        ("finished", language(), pupil.primary, trusted_adult, trusted_lang),
        "pupil/finished.html",
        {},
        pupil=pupil,
        school={"trusted_adult_text": trusted_adult, "trusted_adult_lang": trusted_lang},
    )


@bp.post("/hand-over")
def hand_over():
    if not FlaskForm().validate_on_submit():
        abort(400)
    _end_session()
    flash(str(messages.HANDED_OVER))
    return redirect(url_for("pupil.start"))


def _end_session() -> None:
    code_id = pupil_session.code_id()
    if code_id is not None:
        journey.end_session(code_id)
    pupil_session.end()


@bp.context_processor
def signed_in() -> dict:
    return {"pupil_signed_in": pupil_session.code_id() is not None}


@bp.get("/language/<code>")
def switch_language(code: str):
    if code not in LANGUAGES:
        abort(404)
    pupil_session.set_language(code)
    target = request.args.get("next", "")
    parts = urlsplit(target)
    if not target.startswith("/") or target.startswith("//") or parts.scheme or parts.netloc:
        target = url_for("pupil.start")
    return redirect(target)


@bp.get("/still-here")
def still_here():
    """The timeout warning's "I'm still here" button: `check_session` has already renewed the session."""
    return ("", 204) if pupil_session.code_id() else ("", 401)
