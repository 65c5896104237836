"""Sign in, sign out, idle timeout and password reset for staff."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import abort, current_app, flash, g, redirect, render_template, request, session, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_user, logout_user

from ..data import staff_sessions, users
from ..extensions import limiter, login_manager
from ..models import Role, User
from ..staff import STAFF_BLUEPRINTS
from . import bp
from .forms import NewPasswordForm, SignInForm

HOME = {
    Role.SCHOOL_LEAD: "school.index",
    Role.SAFEGUARDING_LEAD: "school.safeguarding_home",
    Role.REVIEWER: "review.index",
    Role.ADMIN: "admin.index",
}


SESSION_KEY = "staff_session"
SIGNED_OUT = {
    "idle": "You were signed out because you had not used the service for a while.",
    "expired": "You were signed out because you signed in more than {hours} hours ago. Sign in again.",
}


@login_manager.user_loader
def load_user(session_id: str) -> User | None:
    user_id, _, fingerprint = session_id.partition(":")
    user = users.get(int(user_id)) if user_id.isdigit() and len(user_id) <= 10 else None
    if user is None or user.password_hash[-12:] != fingerprint:
        return None
    # The cookie is only half of it: the server-side session must be live and this user's.
    record = _staff_session()
    if staff_sessions.why_not_live(record) is not None or record.user_id != user.id:
        return None
    return user


def _staff_session():
    if "staff_session_record" not in g:
        g.staff_session_record = staff_sessions.find(session.get(SESSION_KEY))
    return g.staff_session_record


@bp.before_app_request
def staff_session_check():
    """End staff sessions that are signed out, idle or too old, on every staff page.

    School computers are shared and dashboards are sensitive: the limits are checked on the server,
    so a copied cookie, or one kept past sign-out, is refused."""
    if request.blueprint not in STAFF_BLUEPRINTS or "_user_id" not in session:
        return None  # pupil pages never load a staff user
    record = _staff_session()
    reason = staff_sessions.why_not_live(record)
    if reason is None:
        staff_sessions.seen(record)
        return None
    if reason != "ended":
        staff_sessions.expire(record)
    logout_user()
    session.clear()
    if reason in SIGNED_OUT:
        flash(SIGNED_OUT[reason].format(hours=f"{current_app.config['STAFF_SESSION_HOURS']:g}"))
    if request.blueprint == "auth":
        return None  # sign-in, sign-out, a reset link: carry on, now as a signed-out visitor
    return redirect(url_for("auth.sign_in", next=request.full_path.rstrip("?")))


def _safe_next(target: str | None) -> str | None:
    parts = urlsplit(target or "")
    if not target or not target.startswith("/") or target.startswith("//") or parts.scheme or parts.netloc:
        return None
    return target


def _sign_in_failed(response) -> bool:
    return bool(g.get("sign_in_failed"))


def _email_key() -> str:
    return (request.form.get("email") or "").strip().lower()[:254] or "no-email"


@bp.route("/sign-in", methods=["GET", "POST"])
@limiter.limit(
    lambda: current_app.config["SIGN_IN_ATTEMPTS_PER_EMAIL"],
    key_func=_email_key,
    methods=["POST"],
    deduct_when=_sign_in_failed,
    scope="sign-in-email",
)
@limiter.limit(
    lambda: current_app.config["SIGN_IN_ATTEMPTS_PER_NETWORK"],
    methods=["POST"],
    deduct_when=_sign_in_failed,
    scope="sign-in-network",
)
def sign_in():
    if current_user.is_authenticated:
        return redirect(url_for(HOME[current_user.role]))
    form = SignInForm()
    if form.validate_on_submit():
        user = users.authenticate(form.email.data, form.password.data)
        if user is not None:
            destination = _safe_next(request.args.get("next"))
            language = session.get("language")
            session.clear()  # a fresh session: nothing a pupil or an earlier visitor left behind...
            if language in ("en", "cy"):
                session["language"] = language  # ...but the language they chose on this page
            session[SESSION_KEY] = users.signed_in(user)
            login_user(user)
            return redirect(destination or url_for(HOME[user.role]))
        form.email.errors.append(str(_l("Enter the email address and password of an active account")))
    if form.errors:
        g.sign_in_failed = True
    return render_template("auth/sign_in.html", form=form)


@bp.get("/language/<code>")
def switch_language(code: str):
    """English or Cymraeg for the staff pages that are in Welsh (signing in, so far); the others
    stay in English, marked as English."""
    if code not in ("en", "cy"):
        abort(404)
    session["language"] = code
    return redirect(_safe_next(request.args.get("next")) or url_for("auth.sign_in"))


@bp.post("/sign-out")
def sign_out():
    from flask_wtf import FlaskForm

    if not FlaskForm().validate_on_submit():
        return redirect(url_for("auth.sign_in"))
    user = current_user._get_current_object() if current_user.is_authenticated else None
    users.signed_out(user, _staff_session())  # a copy of the cookie no longer works anywhere
    logout_user()
    session.clear()
    flash("You have signed out.")
    return redirect(url_for("auth.sign_in"))


@bp.get("/")
def home():
    if not current_user.is_authenticated:
        return redirect(url_for("auth.sign_in"))
    return redirect(url_for(HOME[current_user.role]))


@bp.route("/reset-password/<token>", methods=["GET", "POST"])
def reset_password(token: str):
    user = users.user_for_reset_token(token)
    if user is None:
        return render_template("auth/reset_link_expired.html"), 404
    form = NewPasswordForm()
    if form.validate_on_submit():
        users.set_password(user, form.password.data, actor=user)
        logout_user()
        session.clear()
        flash("Your new password is saved. Sign in with it.")
        return redirect(url_for("auth.sign_in"))
    return render_template("auth/reset_password.html", form=form, user=user)
