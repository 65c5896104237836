"""Admin views: the schools register, users, waves, the audit log and withdrawals.

Admins run the service and never see results. Every change goes through the data layer, which
records it in the audit log in the same transaction.
"""

from __future__ import annotations

import io

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from ..access import role_required
from ..data import audit as audit_data
from ..data import questionnaires as questionnaire_data
from ..data import schools as school_data
from ..data import users as user_data
from ..data import waves as wave_data
from ..data import withdraw as withdrawal
from ..importers import ImportProblems
from ..models import ResponseStatus, Role, User
from ..text_input import clean
from . import bp
from .forms import ActionForm, SchoolsUploadForm, UserForm, WaveForm, WithdrawForm
from .paging import paginate

MAX_PROBLEMS_SHOWN = 100
STATUS = {
    ResponseStatus.IN_PROGRESS: "Started, not finished",
    ResponseStatus.COMPLETE: "Finished",
    ResponseStatus.REFUSED: "Said “No thanks” (no answers)",
}


@bp.before_request
@role_required(Role.ADMIN)
def admins_only():
    """Every admin page is for signed-in admins only (others: sign in, or 403)."""
    return None


@bp.after_request
def not_cached(response):
    # Reset links and the audit log must not stay in a shared computer's browser cache.
    response.headers["Cache-Control"] = "no-store"
    return response


def _actor() -> User:
    return current_user._get_current_object()


def _user_or_404(user_id: int) -> User:
    found = user_data.get(user_id)
    if found is None:
        abort(404)
    return found


def _search_text(name: str, max_length: int = 200) -> str:
    return clean(request.args.get(name) or "")[:max_length]  # PostgreSQL cannot compare a NUL


@bp.get("/")
def index():
    return redirect(url_for("admin.schools"))


# -- schools -------------------------------------------------------------------------------------


@bp.route("/schools", methods=["GET", "POST"])
def schools():
    upload = SchoolsUploadForm()
    problems: list[str] = []
    if upload.validate_on_submit():
        problems = _import(upload.file.data.read())
        if not problems:
            return redirect(url_for("admin.schools"))
    elif upload.errors:
        problems = [message for errors in upload.errors.values() for message in errors]

    search = _search_text("q")
    page = paginate(school_data.search(search), filters={"q": search})
    return render_template(
        "admin/schools.html",
        nav="schools",
        upload=upload,
        problems=problems[:MAX_PROBLEMS_SHOWN],
        more_problems=max(0, len(problems) - MAX_PROBLEMS_SHOWN),
        search=search,
        page=page,
    )


def _import(data: bytes) -> list[str]:
    """Import a schools register; the problems if any (then nothing is saved)."""
    try:
        added, updated = school_data.import_schools(io.BytesIO(data), actor=_actor())
    except ImportProblems as error:
        return error.problems
    flash(f"{added} {'school' if added == 1 else 'schools'} added, {updated} updated")
    return []


# -- users ---------------------------------------------------------------------------------------


@bp.get("/users")
def users():
    search = _search_text("q", 254)
    page = paginate(user_data.search(search), filters={"q": search})
    return render_template("admin/users.html", nav="users", page=page, search=search)


@bp.route("/users/new", methods=["GET", "POST"])
def new_user():
    form = UserForm()
    if form.validate_on_submit():
        try:
            user, token = user_data.invite_user(
                email=form.email.data,
                role=Role(form.role.data),
                scope_kind=form.scope_kind(),
                scope_value=form.scope_value(),
                schools=form.schools,
                actor=_actor(),
            )
        except ValueError as error:
            message = str(error)
            form.email.errors.append(message[:1].upper() + message[1:])
        else:
            link = _link(token)
            return render_template("admin/reset_link.html", nav="users", user=user, link=link, created=True)
    return render_template("admin/user_new.html", nav="users", form=form)


@bp.get("/users/<int:user_id>")
def user(user_id: int):
    found = _user_or_404(user_id)
    events = audit_data.recent_about_user(found)
    shown = render_template("admin/user.html", nav="users", user=found, events=events, form=ActionForm())
    audit_data.record_view("view_audit_log", actor=_actor(), target=f"user:{found.id}")  # their recent events
    return shown


def _link(token: str) -> str:
    return url_for("auth.reset_password", token=token, _external=True)


def _checked_action() -> None:
    if not ActionForm().validate_on_submit():
        abort(400)


@bp.post("/users/<int:user_id>/reset-link")
def reset_link(user_id: int):
    _checked_action()
    found = _user_or_404(user_id)
    if not found.active:
        flash("Reactivate this user before issuing a password reset link.")
        return redirect(url_for("admin.user", user_id=found.id))
    link = _link(user_data.issue_reset_link_token(found, actor=_actor()))
    return render_template("admin/reset_link.html", nav="users", user=found, link=link, created=False)


@bp.post("/users/<int:user_id>/deactivate")
def deactivate(user_id: int):
    _checked_action()
    found = _user_or_404(user_id)
    if found.id == current_user.id:
        flash("You cannot deactivate your own account. Ask another admin.")
    else:
        user_data.set_active(found, False, actor=_actor())
        flash(f"{found.email} is deactivated: they are signed out and cannot sign in.")
    return redirect(url_for("admin.user", user_id=found.id))


@bp.post("/users/<int:user_id>/reactivate")
def reactivate(user_id: int):
    _checked_action()
    found = _user_or_404(user_id)
    user_data.set_active(found, True, actor=_actor())
    flash(f"{found.email} is active again. They can sign in with their password, or a new reset link.")
    return redirect(url_for("admin.user", user_id=found.id))


# -- waves ---------------------------------------------------------------------------------------


def _questionnaire_choices() -> list[tuple[str, str]]:
    return [
        (qid, f"{qid} (version {version}, {audience})")
        for qid, version, audience in questionnaire_data.latest_summaries()
    ]


@bp.get("/waves")
def waves():
    return render_template("admin/waves.html", nav="waves", rows=wave_data.all_waves_with_counts())


@bp.route("/waves/new", methods=["GET", "POST"])
def new_wave():
    form = WaveForm(questionnaires=_questionnaire_choices())
    if form.validate_on_submit():
        try:
            wave = wave_data.create_wave(
                name=form.name.data,
                questionnaire_id=form.questionnaire.data,
                first_day=form.opens.data,
                last_day=form.closes.data,
                school=form.school,
                actor=_actor(),
            )
        except (ValueError, LookupError) as error:
            message = str(error)
            form.questionnaire.errors.append(message[:1].upper() + message[1:])
        else:
            who = wave.school.name if wave.school else "every school"
            flash(f"Wave {wave.id} created: {wave.name}, for {who}.")
            return redirect(url_for("admin.waves"))
    return render_template("admin/wave_new.html", nav="waves", form=form)


# -- audit log -----------------------------------------------------------------------------------


@bp.get("/audit")
def audit():
    actions = audit_data.actions()
    action = _search_text("action", 60)
    who = _search_text("user", 254)
    query = audit_data.search(action=action, actor_contains=who)
    page = paginate(query, filters={"action": action, "user": who})
    shown = render_template(
        "admin/audit.html", nav="audit", page=page, actions=actions, action=action, who=who
    )
    # The log names the schools and waves staff looked at: reading it is recorded too.
    filters = {name: value for name, value in (("of_action", action), ("of_user", who)) if value}
    audit_data.record_view("view_audit_log", actor=_actor(), **filters)
    return shown


# -- withdrawal ----------------------------------------------------------------------------------


def _wave_choices() -> list[tuple[str, str]]:
    return [
        (
            str(w.id),
            f"{w.name}, {w.questionnaire_id}, {w.school.name if w.school else 'national'} (wave {w.id})",
        )
        for w in wave_data.all_waves()
    ]


@bp.route("/withdraw", methods=["GET", "POST"])
def withdraw():
    form = WithdrawForm(waves=_wave_choices())
    if form.validate_on_submit():
        try:
            if form.by.data == "code":
                found = withdrawal.by_code(form.code.data)
            else:
                found = withdrawal.by_reference(int(form.urn.data), int(form.wave.data), form.reference.data)
        except withdrawal.NotFound as problem:
            getattr(form, problem.field).errors.append(problem.message)
        else:
            if form.confirm.data == "yes":
                answers = withdrawal.withdraw(found, actor=_actor())
                flash(
                    f"The response was withdrawn: {answers} {'answer' if answers == 1 else 'answers'} "
                    "deleted, and the pupil's code no longer works."
                )
                return redirect(url_for("admin.withdraw"))
            # The confirmation shows which school and wave a pupil answered for: recorded, without
            # the code or the reference.
            audit_data.record_view(
                "view_withdrawal",
                actor=_actor(),
                target=f"wave:{found.wave.id}",
                school_urn=found.school.urn,
                wave_id=found.wave.id,
            )
            form.confirm.data = "yes"
            return render_template(
                "admin/withdraw_confirm.html",
                nav="withdraw",
                form=form,
                found=found,
                status=STATUS[found.response.status],
            )
    return render_template("admin/withdraw.html", nav="withdraw", form=form)
