"""Admin views: the schools register, users, waves, the audit log and withdrawals.

Admins run the service and never see results. Every change goes through the data layer, which
records it in the audit log in the same transaction.
"""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime, time

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import case, func, or_, select
from sqlalchemy.orm import selectinload

from ..access import role_required
from ..data import audit as audit_data
from ..data import users as user_data
from ..data import withdraw as withdrawal
from ..data.schools import import_schools
from ..data.waves import create_wave
from ..extensions import db
from ..importers import ImportProblems
from ..models import (
    AuditEvent,
    QuestionnaireVersion,
    Response,
    ResponseStatus,
    Role,
    School,
    User,
    Wave,
)
from ..text_input import clean
from . import bp
from .forms import ActionForm, SchoolsUploadForm, UserForm, WaveForm, WithdrawForm
from .paging import paginate

MAX_ID = 2**31 - 1
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


def _get_or_404(model, object_id: int):
    found = db.session.get(model, object_id) if 0 < object_id <= MAX_ID else None
    if found is None:
        abort(404)
    return found


def _search_text(name: str, max_length: int = 200) -> str:
    return clean(request.args.get(name) or "")[:max_length]  # PostgreSQL cannot compare a NUL


def _contains(text: str) -> str:
    """A LIKE pattern matching `text` anywhere, with its own % and _ taken literally."""
    return "%" + re.sub(r"([\\%_])", r"\\\1", text) + "%"


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

    query = select(School).order_by(School.name, School.urn)
    search = _search_text("q")
    if search:
        condition = School.name.ilike(_contains(search), escape="\\")
        if search.isdigit() and len(search) <= 7:
            condition = or_(condition, School.urn == int(search))
        query = query.where(condition)
    page = paginate(query, filters={"q": search})
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
        added, updated = import_schools(io.BytesIO(data), actor=_actor())
    except ImportProblems as error:
        db.session.rollback()
        return error.problems
    db.session.commit()
    flash(f"{added} {'school' if added == 1 else 'schools'} added, {updated} updated")
    return []


# -- users ---------------------------------------------------------------------------------------


@bp.get("/users")
def users():
    query = select(User).options(selectinload(User.schools)).order_by(User.email)
    search = _search_text("q", 254)
    if search:
        query = query.where(User.email.ilike(_contains(search.lower()), escape="\\"))
    page = paginate(query, filters={"q": search})
    return render_template("admin/users.html", nav="users", page=page, search=search)


@bp.route("/users/new", methods=["GET", "POST"])
def new_user():
    form = UserForm()
    if form.validate_on_submit():
        try:
            user = user_data.create_user(
                email=form.email.data,
                password=user_data.random_password(),
                role=Role(form.role.data),
                scope_kind=form.scope_kind(),
                scope_value=form.scope_value(),
                schools=form.schools,
                actor=_actor(),
            )
        except ValueError as error:
            db.session.rollback()
            message = str(error)
            form.email.errors.append(message[:1].upper() + message[1:])
        else:
            link = _reset_link(user)
            db.session.commit()
            return render_template("admin/reset_link.html", nav="users", user=user, link=link, created=True)
    return render_template("admin/user_new.html", nav="users", form=form)


@bp.get("/users/<int:user_id>")
def user(user_id: int):
    found = _get_or_404(User, user_id)
    events = list(
        db.session.scalars(
            select(AuditEvent)
            .where(or_(AuditEvent.target == f"user:{found.id}", AuditEvent.user_id == found.id))
            .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
            .limit(10)
        )
    )
    shown = render_template("admin/user.html", nav="users", user=found, events=events, form=ActionForm())
    audit_data.record("view_audit_log", actor=_actor(), target=f"user:{found.id}")  # the user's recent events
    db.session.commit()
    return shown


def _reset_link(user: User) -> str:
    token = user_data.issue_reset_link_token(user, actor=_actor())
    return url_for("auth.reset_password", token=token, _external=True)


def _checked_action() -> None:
    if not ActionForm().validate_on_submit():
        abort(400)


@bp.post("/users/<int:user_id>/reset-link")
def reset_link(user_id: int):
    _checked_action()
    found = _get_or_404(User, user_id)
    if not found.active:
        flash("Reactivate this user before issuing a password reset link.")
        return redirect(url_for("admin.user", user_id=found.id))
    link = _reset_link(found)
    db.session.commit()
    return render_template("admin/reset_link.html", nav="users", user=found, link=link, created=False)


@bp.post("/users/<int:user_id>/deactivate")
def deactivate(user_id: int):
    _checked_action()
    found = _get_or_404(User, user_id)
    if found.id == current_user.id:
        flash("You cannot deactivate your own account. Ask another admin.")
    else:
        user_data.set_active(found, False, actor=_actor())
        db.session.commit()
        flash(f"{found.email} is deactivated: they are signed out and cannot sign in.")
    return redirect(url_for("admin.user", user_id=found.id))


@bp.post("/users/<int:user_id>/reactivate")
def reactivate(user_id: int):
    _checked_action()
    found = _get_or_404(User, user_id)
    user_data.set_active(found, True, actor=_actor())
    db.session.commit()
    flash(f"{found.email} is active again. They can sign in with their password, or a new reset link.")
    return redirect(url_for("admin.user", user_id=found.id))


# -- waves ---------------------------------------------------------------------------------------


def _questionnaire_choices() -> list[tuple[str, str]]:
    rows = db.session.execute(
        select(
            QuestionnaireVersion.questionnaire_id,
            func.max(QuestionnaireVersion.version),
            func.max(QuestionnaireVersion.audience),
        )
        .group_by(QuestionnaireVersion.questionnaire_id)
        .order_by(QuestionnaireVersion.questionnaire_id)
    )
    return [(qid, f"{qid} (version {version}, {audience})") for qid, version, audience in rows]


@bp.get("/waves")
def waves():
    started = func.count(Response.id)
    finished = func.coalesce(func.sum(case((Response.status == ResponseStatus.COMPLETE, 1), else_=0)), 0)
    refused = func.coalesce(func.sum(case((Response.status == ResponseStatus.REFUSED, 1), else_=0)), 0)
    rows = db.session.execute(
        select(Wave, started - refused, finished)
        .outerjoin(Response, Response.wave_id == Wave.id)
        .group_by(Wave.id)
        .options(selectinload(Wave.school))
        .order_by(Wave.opens_at.desc(), Wave.id.desc())
    ).all()
    return render_template("admin/waves.html", nav="waves", rows=rows)


@bp.route("/waves/new", methods=["GET", "POST"])
def new_wave():
    form = WaveForm(questionnaires=_questionnaire_choices())
    if form.validate_on_submit():
        try:
            wave = create_wave(
                name=form.name.data,
                questionnaire_id=form.questionnaire.data,
                opens_at=datetime.combine(form.opens.data, time.min, tzinfo=UTC),
                closes_at=datetime.combine(form.closes.data, time.max, tzinfo=UTC),
                school=form.school,
                actor=_actor(),
            )
        except (ValueError, LookupError) as error:
            db.session.rollback()
            message = str(error)
            form.questionnaire.errors.append(message[:1].upper() + message[1:])
        else:
            db.session.commit()
            who = wave.school.name if wave.school else "every school"
            flash(f"Wave {wave.id} created: {wave.name}, for {who}.")
            return redirect(url_for("admin.waves"))
    return render_template("admin/wave_new.html", nav="waves", form=form)


# -- audit log -----------------------------------------------------------------------------------


@bp.get("/audit")
def audit():
    actions = list(db.session.scalars(select(AuditEvent.action).distinct().order_by(AuditEvent.action)))
    action = _search_text("action", 60)
    who = _search_text("user", 254)
    query = select(AuditEvent).order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
    if action:
        query = query.where(AuditEvent.action == action)
    if who:
        query = query.where(AuditEvent.actor.ilike(_contains(who.lower()), escape="\\"))
    page = paginate(query, filters={"action": action, "user": who})
    shown = render_template(
        "admin/audit.html", nav="audit", page=page, actions=actions, action=action, who=who
    )
    # The log names the schools and waves staff looked at: reading it is recorded too.
    filters = {name: value for name, value in (("of_action", action), ("of_user", who)) if value}
    audit_data.record("view_audit_log", actor=_actor(), **filters)
    db.session.commit()
    return shown


# -- withdrawal ----------------------------------------------------------------------------------


def _wave_choices() -> list[tuple[str, str]]:
    waves_ = db.session.scalars(
        select(Wave).options(selectinload(Wave.school)).order_by(Wave.opens_at.desc(), Wave.id.desc())
    )
    return [
        (
            str(w.id),
            f"{w.name}, {w.questionnaire_id}, {w.school.name if w.school else 'national'} (wave {w.id})",
        )
        for w in waves_
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
                db.session.commit()
                flash(
                    f"The response was withdrawn: {answers} {'answer' if answers == 1 else 'answers'} "
                    "deleted, and the pupil's code no longer works."
                )
                return redirect(url_for("admin.withdraw"))
            # The confirmation shows which school and wave a pupil answered for: recorded, without
            # the code or the reference.
            audit_data.record(
                "view_withdrawal",
                actor=_actor(),
                target=f"wave:{found.wave.id}",
                school_urn=found.school.urn,
                wave_id=found.wave.id,
            )
            db.session.commit()
            form.confirm.data = "yes"
            return render_template(
                "admin/withdraw_confirm.html",
                nav="withdraw",
                form=form,
                found=found,
                status=STATUS[found.response.status],
            )
    return render_template("admin/withdraw.html", nav="withdraw", form=form)
