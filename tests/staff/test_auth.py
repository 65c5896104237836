"""Staff sign-in: passwords, sessions, timeouts, reset links and rate limits."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from survey.data import users
from survey.extensions import db
from survey.models import AuditEvent, StaffSession, User

from ..pages import check_page
from .conftest import PASSWORD, USERS, sign_in


def test_sign_in_page_is_a_valid_page(anonymous_client):
    page = check_page(anonymous_client.get("/staff/sign-in"))
    assert page.find("h1").get_text(strip=True) == "Sign in"
    assert page.find("input", {"name": "password", "type": "password"})


@pytest.mark.parametrize(
    ("user", "home"),
    [("school_lead", "/school/"), ("reviewer", "/review/"), ("admin", "/admin/")],
)
def test_each_role_lands_on_its_own_portal(client_as, user, home):
    client = client_as(None)
    response = sign_in(client, USERS[user][0])
    assert response.status_code == 302
    assert response.headers["Location"] == home


def test_wrong_password_and_unknown_email_get_the_same_message(anonymous_client, loaded):
    for email, password in [(USERS["admin"][0], "not the password!"), ("nobody@x.example", PASSWORD)]:
        page = check_page(sign_in(anonymous_client, email, password))
        summary = page.select_one(".govuk-error-summary").get_text(" ", strip=True)
        assert "Enter the email address and password of an active account" in summary
    assert page.title.get_text().startswith("Error:")


def test_empty_form_says_what_is_missing(anonymous_client):
    page = check_page(anonymous_client.post("/staff/sign-in", data={}))
    summary = page.select_one(".govuk-error-summary").get_text(" ", strip=True)
    assert "Enter your email address" in summary and "Enter your password" in summary


def test_sign_in_goes_back_to_the_page_asked_for_but_never_off_site(client_as):
    client = client_as(None)
    asked = client.get("/school/100001/")
    assert asked.status_code == 302 and "/staff/sign-in?next=" in asked.headers["Location"]
    response = client.post(
        asked.headers["Location"], data={"email": USERS["school_lead"][0], "password": PASSWORD}
    )
    assert response.headers["Location"] == "/school/100001/"

    other = client_as(None)
    response = other.post(
        "/staff/sign-in?next=//evil.example/x", data={"email": USERS["school_lead"][0], "password": PASSWORD}
    )
    assert response.headers["Location"] == "/school/"


def test_sign_out_ends_the_session(school_lead_client):
    assert school_lead_client.get("/school/100001/").status_code == 200
    response = school_lead_client.post("/staff/sign-out")
    assert response.headers["Location"] == "/staff/sign-in"
    assert school_lead_client.get("/school/100001/").status_code == 302


def test_sign_in_and_out_are_audited(school_lead_client, loaded):
    school_lead_client.post("/staff/sign-out")
    with loaded.app_context():
        actions = db.session.scalars(
            sa.select(AuditEvent.action)
            .where(AuditEvent.actor == USERS["school_lead"][0])
            .order_by(AuditEvent.id)
        ).all()
    assert actions[-2:] == ["sign_in", "sign_out"]


def _age_sessions(app, email: str, *, idle=timedelta(0), age=timedelta(0)) -> None:
    """Move the user's server-side sessions into the past, as if time had passed."""
    with app.app_context():
        user = db.session.scalar(sa.select(User).filter_by(email=email))
        for record in db.session.scalars(sa.select(StaffSession).filter_by(user_id=user.id)):
            record.created_at -= age
            record.last_seen_at -= idle
        db.session.commit()


def _copy_of(client, app):
    """Another browser holding a copy of `client`'s session cookie."""
    cookie = client.get_cookie("session")
    copy = app.test_client()
    copy.set_cookie(cookie.key, cookie.value, domain=cookie.domain or "localhost")
    return copy


def test_idle_staff_are_signed_out(school_lead_client, loaded):
    loaded.config["STAFF_IDLE_TIMEOUT_MINUTES"] = 30
    _age_sessions(loaded, USERS["school_lead"][0], idle=timedelta(minutes=29))
    assert school_lead_client.get("/school/100001/").status_code == 200
    _age_sessions(loaded, USERS["school_lead"][0], idle=timedelta(minutes=31))
    response = school_lead_client.get("/school/100001/")
    assert response.status_code == 302 and "/staff/sign-in" in response.headers["Location"]
    page = check_page(school_lead_client.get(response.headers["Location"]))
    assert "signed out because you had not used the service" in page.get_text()
    # Coming back within the limit does not revive it: the session has ended on the server.
    _age_sessions(loaded, USERS["school_lead"][0], idle=-timedelta(minutes=31))
    assert school_lead_client.get("/school/100001/").status_code == 302


def test_a_copied_cookie_is_refused_after_sign_out(school_lead_client, loaded):
    copy = _copy_of(school_lead_client, loaded)
    assert copy.get("/school/100001/").status_code == 200  # the copy worked while signed in
    school_lead_client.post("/staff/sign-out")
    response = copy.get("/school/100001/")
    assert response.status_code == 302 and response.headers["Location"].startswith("/staff/sign-in")
    page = check_page(copy.get(response.headers["Location"]))
    assert page.find("h1").get_text(strip=True) == "Sign in"
    assert copy.get("/review/").status_code in (302, 404)
    assert copy.get("/staff/").headers["Location"] == "/staff/sign-in"


def test_a_session_ends_twelve_hours_after_sign_in_however_busy(school_lead_client, loaded):
    assert loaded.config["STAFF_SESSION_HOURS"] == 12
    _age_sessions(loaded, USERS["school_lead"][0], age=timedelta(hours=11, minutes=59))
    assert school_lead_client.get("/school/100001/").status_code == 200
    _age_sessions(loaded, USERS["school_lead"][0], age=timedelta(minutes=2))
    response = school_lead_client.get("/school/100001/")
    assert response.status_code == 302 and "/staff/sign-in" in response.headers["Location"]
    page = check_page(school_lead_client.get(response.headers["Location"]))
    assert "signed in more than 12 hours ago" in page.get_text()
    assert sign_in(school_lead_client, USERS["school_lead"][0]).status_code == 302  # a new one works
    assert school_lead_client.get("/school/100001/").status_code == 200


def test_signing_out_ends_only_that_browsers_session(client_as, loaded):
    first, second = client_as("school_lead"), client_as("school_lead")
    first.post("/staff/sign-out")
    assert first.get("/school/100001/").status_code == 302
    assert second.get("/school/100001/").status_code == 200


def test_deactivated_users_are_signed_out_everywhere_and_cannot_sign_in(
    school_lead_client, admin_client, loaded
):
    copy = _copy_of(school_lead_client, loaded)
    with loaded.app_context():
        user = db.session.scalar(sa.select(User).filter_by(email=USERS["school_lead"][0]))
        user_id = user.id
    admin_client.post(f"/admin/users/{user_id}/deactivate")
    with loaded.app_context():
        assert not db.session.get(User, user_id).active
        # Ended on the server, not only refused because the account is inactive.
        assert all(r.ended_at for r in db.session.scalars(sa.select(StaffSession).filter_by(user_id=user_id)))
        db.session.get(User, user_id).active = True  # even reactivated, the old sessions stay dead
        db.session.commit()
    assert school_lead_client.get("/school/100001/").status_code == 302
    assert copy.get("/school/100001/").status_code == 302


def test_deactivated_users_cannot_sign_in(school_lead_client, loaded):
    with loaded.app_context():
        user = db.session.scalar(sa.select(User).filter_by(email=USERS["school_lead"][0]))
        user.active = False
        db.session.commit()
    assert school_lead_client.get("/school/100001/").status_code == 302
    response = sign_in(school_lead_client, USERS["school_lead"][0])
    assert response.status_code == 200  # the form again, with an error


def test_a_reset_link_sets_a_new_password_once_and_signs_out_old_sessions(
    school_lead_client, client_as, loaded
):
    with loaded.app_context(), loaded.test_request_context():
        user = db.session.scalar(sa.select(User).filter_by(email=USERS["school_lead"][0]))
        token = users.reset_token(user)
    anonymous = client_as(None)
    page = check_page(anonymous.get(f"/staff/reset-password/{token}"))
    assert USERS["school_lead"][0] in page.get_text()

    mismatch = check_page(
        anonymous.post(f"/staff/reset-password/{token}", data={"password": "a" * 14, "confirm": "b" * 14})
    )
    assert "The two passwords do not match" in mismatch.select_one(".govuk-error-summary").get_text()
    new = "a brand new passphrase"
    response = anonymous.post(f"/staff/reset-password/{token}", data={"password": new, "confirm": new})
    assert response.headers["Location"] == "/staff/sign-in"

    assert anonymous.get(f"/staff/reset-password/{token}").status_code == 404  # used once
    assert school_lead_client.get("/school/100001/").status_code == 302  # the old session has ended
    with loaded.app_context():  # ended on the server, on every device
        assert db.session.scalars(sa.select(StaffSession.ended_at)).all()
        assert all(db.session.scalars(sa.select(StaffSession.ended_at)))
    assert sign_in(client_as(None), USERS["school_lead"][0], PASSWORD).status_code == 200
    assert sign_in(client_as(None), USERS["school_lead"][0], new).status_code == 302


def test_a_forged_reset_link_does_not_work(anonymous_client):
    page = check_page(anonymous_client.get("/staff/reset-password/not-a-real-token"))
    assert "This link does not work" in page.get_text()


def test_guessing_passwords_is_rate_limited_per_email(loaded, schools):
    loaded.config["SIGN_IN_ATTEMPTS_PER_EMAIL"] = "3 per minute"
    client = loaded.test_client()
    email = USERS["reviewer"][0]
    statuses = [sign_in(client, email, f"wrong password {i}").status_code for i in range(4)]
    assert statuses == [200, 200, 200, 429]
    # The right password is refused too while the limit lasts: that is the point.
    assert sign_in(client, email).status_code == 429


def test_a_reset_link_opens_in_a_browser_whose_session_has_ended(school_lead_client, loaded):
    """An ended session is cleared on the staff sign-in pages, not bounced to sign-in first."""
    with loaded.app_context(), loaded.test_request_context():
        user = db.session.scalar(sa.select(User).filter_by(email=USERS["school_lead"][0]))
        token = users.reset_token(user)
    _age_sessions(loaded, USERS["school_lead"][0], idle=timedelta(hours=1))
    page = school_lead_client.get(f"/staff/reset-password/{token}")
    assert page.status_code == 200
    assert USERS["school_lead"][0] in check_page(page).get_text()
    assert school_lead_client.get("/school/100001/").status_code == 302


def test_the_sign_in_page_in_welsh_and_other_staff_pages_marked_english(anonymous_client, client_as):
    english = check_page(anonymous_client.get("/staff/sign-in"))
    assert english.html["lang"] == "en" and english.h1.get_text(strip=True) == "Sign in"
    switch = english.find("a", attrs={"hreflang": "cy"})
    assert switch["href"].startswith("/staff/language/cy")
    assert anonymous_client.get(switch["href"]).location == "/staff/sign-in"
    welsh = check_page(anonymous_client.get("/staff/sign-in"))
    assert welsh.html["lang"] == "cy" and welsh.h1.get_text(strip=True) == "Mewngofnodi"
    assert welsh.select_one("label[for=email]").get_text(strip=True) == "Cyfeiriad e-bost"
    assert welsh.find("a", string="dechrau gyda’r cod ar eu slip")["href"] == "/"
    failed = check_page(anonymous_client.post("/staff/sign-in", data={"email": "", "password": ""}))
    assert "Rhowch eich cyfeiriad e-bost" in failed.select_one(".govuk-error-summary").get_text()
    assert anonymous_client.get("/staff/language/fr").status_code == 404
    assert anonymous_client.get("/staff/language/en?next=https://evil.example/").location == "/staff/sign-in"
    # Signing in keeps the language chosen on the sign-in page.
    anonymous_client.get("/staff/language/cy")
    assert sign_in(anonymous_client, USERS["school_lead"][0]).status_code == 302
    wave = {"name": "Gwanwyn", "questionnaire": "national-secondary", "opens": ["1", "1", "2026"],
            "closes": ["1", "1", "2030"]}  # fmt: skip
    assert anonymous_client.post("/school/100001/waves/new", data=wave).status_code == 302
    overview = check_page(anonymous_client.get("/school/100001/"))
    assert overview.html["lang"] == "cy"
    assert overview.find("h2", string="Cylchoedd yr arolwg")
    assert (
        overview.select_one(".govuk-notification-banner__heading")["lang"] == "en"
    )  # staff messages: English
    assert "1 Ionawr 2026 i 1 Ionawr 2030" in overview.get_text(" ", strip=True)
    assert (
        overview.select_one(".govuk-breadcrumbs, .app-staff-navigation")
        .get_text(" ", strip=True)
        .startswith("Eich ysgolion")
    )
    assert overview.find("button", string="Allgofnodi")
    # Pages not yet in Welsh stay English, and say so, whatever the language chosen.
    page = check_page(
        anonymous_client.get(overview.find("a", string="Dewis gyda phwy y gall disgyblion siarad")["href"])
    )
    assert page.html["lang"] == "en" and page.find("button", string="Sign out")
    # The wave page is in Welsh (tests/staff/test_school.py checks it in full).
    wave = check_page(anonymous_client.get(overview.select_one("tbody a")["href"]))
    assert wave.html["lang"] == "cy" and wave.find("button", string="Allgofnodi")
