"""Security headers and cookies on every kind of page, and CSRF on every form that changes anything.

Pages are fetched as a browser would: a pupil page, staff pages (signed in), error pages (400, 404,
413) and /healthz. Every POST route in the app's URL map is posted to without a CSRF token by a
client entitled to use it (a pupil with a code, a signed-in school lead or admin): each must be a
400 with nothing saved in any table.
"""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from bs4 import BeautifulSoup
from flask import url_for

from survey.data.users import create_user
from survey.extensions import db
from survey.models import Role, School, ScopeKind, User, Wave
from tests.conftest import make_app
from tests.pupil.conftest import new_code, school  # noqa: F401  (fixtures: a school and fresh codes)

PASSWORD = "correct horse battery staple"
LEAD, ADMIN = "lead@hillside.example", "admin@national.example"
HSTS = "max-age=31536000; includeSubDomains"


@pytest.fixture
def secure_app(database_url):
    """The app as in production: CSRF on, not in testing mode, no LOCAL_HTTP."""
    app = make_app(database_url, WTF_CSRF_ENABLED=True, TESTING=False)
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def world(secure_app, new_code):  # noqa: F811
    """The shipped questionnaires, a school (URN 100001) with an open wave, a school lead and an admin."""
    code = new_code()  # loads the questionnaires into `loaded` (its own app) and makes the wave
    with secure_app.app_context():
        hillside = db.session.scalar(sa.select(School).where(School.urn == 100001))
        create_user(email=LEAD, password=PASSWORD, role=Role.SCHOOL_LEAD, scope_kind=ScopeKind.SCHOOLS,
                    scope_value=None, schools=[hillside], actor="test")  # fmt: skip
        create_user(email=ADMIN, password=PASSWORD, role=Role.ADMIN, scope_kind=ScopeKind.NATIONAL,
                    scope_value=None, actor="test")  # fmt: skip
        db.session.commit()
        return {
            "code": code,
            "new_code": new_code,
            "urn": 100001,
            "wave_id": db.session.scalar(sa.select(sa.func.min(Wave.id))),
            "lead_id": db.session.scalar(sa.select(User.id).where(User.email == LEAD)),
        }


def csrf_token(client, path: str) -> str:
    page = BeautifulSoup(client.get(path).get_data(as_text=True), "html.parser")
    field = page.select_one('input[name="csrf_token"]')
    assert field is not None, f"no CSRF token on {path}"
    return field["value"]


def signed_in(app, email: str):
    client = app.test_client()
    token = csrf_token(client, "/staff/sign-in")
    response = client.post("/staff/sign-in", data={"email": email, "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 302, response.get_data(as_text=True)
    return client, response


def pupil_with_code(app, code: str):
    client = app.test_client()
    token = csrf_token(client, "/")
    response = client.post("/", data={"code": code, "csrf_token": token})
    assert response.location == "/before-you-start", response.get_data(as_text=True)
    return client, response


def cookies(response) -> list[str]:
    return response.headers.getlist("Set-Cookie")


def assert_security_headers(response, where: str) -> None:
    headers = response.headers
    csp = headers.get("Content-Security-Policy", "")
    assert re.search(r"script-src 'self' 'nonce-[\w-]{20,}'", csp), (where, csp)
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp, (where, csp)
    assert "frame-ancestors 'none'" in csp and "object-src 'none'" in csp, (where, csp)
    assert headers.get("X-Content-Type-Options") == "nosniff", where
    assert headers.get("Referrer-Policy") == "same-origin", where
    assert headers.get("X-Frame-Options") == "DENY", where
    assert headers.get("Strict-Transport-Security") == HSTS, where
    assert headers.get("Cache-Control") == "no-store", where


def assert_cookie_flags(set_cookie: str, secure: bool = True) -> None:
    flags = {part.strip().split("=")[0].lower(): part.strip() for part in set_cookie.split(";")[1:]}
    assert "httponly" in flags, set_cookie
    assert flags.get("samesite", "").lower() == "samesite=lax", set_cookie
    assert ("secure" in flags) is secure, set_cookie


# Headers and cookies -----------------------------------------------------------------------------


def test_a_pupil_page_has_the_headers_and_a_secure_session_cookie(secure_app, world):
    client = secure_app.test_client()
    response = client.get("/")
    assert response.status_code == 200
    assert_security_headers(response, "pupil start page")
    (session_cookie,) = cookies(response)  # the browser's id for the per-browser code limit
    assert session_cookie.startswith("session=")
    assert_cookie_flags(session_cookie)
    pupil, entered = pupil_with_code(secure_app, world["code"])
    assert_cookie_flags(cookies(entered)[0])
    page = pupil.get("/before-you-start")
    assert page.status_code == 200
    assert_security_headers(page, "before you start")


def test_staff_pages_have_the_headers_and_a_secure_session_cookie(secure_app, world):
    sign_in_page = secure_app.test_client().get("/staff/sign-in")
    assert_security_headers(sign_in_page, "sign-in page")
    lead, response = signed_in(secure_app, LEAD)
    (session_cookie,) = cookies(response)
    assert_cookie_flags(session_cookie)
    for path in (f"/school/{world['urn']}/", f"/school/{world['urn']}/results"):
        page = lead.get(path)
        assert page.status_code == 200, path
        assert_security_headers(page, path)
    admin, _ = signed_in(secure_app, ADMIN)
    assert_security_headers(admin.get("/admin/audit"), "audit log")


def test_error_pages_have_the_headers(secure_app, world):
    client = secure_app.test_client()
    not_found = client.get("/no-such-page?code=ABCDE-23456")
    assert not_found.status_code == 404
    assert_security_headers(not_found, "404")
    no_token = client.post("/", data={"code": world["code"]})
    assert no_token.status_code == 400
    assert_security_headers(no_token, "400 (no CSRF token)")
    too_big = client.post("/", data={"code": "x" * (6 * 1024 * 1024)})
    assert too_big.status_code == 413
    assert_security_headers(too_big, "413")
    staff_too_big = signed_in(secure_app, ADMIN)[0].post(
        "/admin/schools", data={"file": "x" * (6 * 1024 * 1024)}
    )
    assert staff_too_big.status_code == 413
    assert_security_headers(staff_too_big, "413 (staff upload)")


def test_healthz_has_the_headers_and_sets_no_cookie(secure_app, world):
    response = secure_app.test_client().get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "ok"}
    assert_security_headers(response, "/healthz")
    assert cookies(response) == []


def test_static_files_keep_their_own_caching(secure_app):
    response = secure_app.test_client().get("/static/build/app.css")
    assert response.status_code == 200
    assert response.headers.get("Cache-Control") != "no-store"
    assert response.headers.get("X-Content-Type-Options") == "nosniff"


def test_local_http_drops_secure_cookies_and_hsts(database_url, new_code):  # noqa: F811
    """LOCAL_HTTP=true (make demo on http://127.0.0.1) is the only way to lose them."""
    app = make_app(database_url, WTF_CSRF_ENABLED=True, TESTING=False, LOCAL_HTTP=True)
    client = app.test_client()
    response = client.get("/")
    assert "Strict-Transport-Security" not in response.headers
    assert_cookie_flags(cookies(response)[0], secure=False)
    assert response.headers.get("X-Frame-Options") == "DENY"  # everything else stays
    with app.app_context():
        db.engine.dispose()


# CSRF on every POST route ------------------------------------------------------------------------

# Plausible form fields for every form, so a missing token is the only thing wrong.
FORM = {
    "code": None,  # the pupil's own code, filled in below
    "choice": "yes",
    "belong_part": "4",
    "email": "new.person@school.example",
    "password": "a new long password 123",
    "confirm": "a new long password 123",
    "role": "school_lead",
    "name": "Spring 2027",
    "questionnaire": "national-secondary",
    "opens": "2026-01-01",
    "closes": "2030-01-01",
    "text": "We changed the lunch queue.",
    "trusted_adult_text": "Talk to Ms Jones.",
    "you_said_we_did": "We changed the lunch queue.",
    "class_name": "7B",
    "reference": "P0001",
    "urn": "100001",
    "action": "later",
}


def _counts(app) -> dict[str, int]:
    with app.app_context():
        counts = {
            table.name: db.session.scalar(sa.select(sa.func.count()).select_from(table))
            for table in db.metadata.sorted_tables
        }
        db.session.rollback()
        return counts


def _post_routes(app) -> list:
    return sorted(
        (rule for rule in app.url_map.iter_rules() if "POST" in rule.methods), key=lambda r: r.endpoint
    )


def _posting_clients(app, world) -> tuple[dict, dict]:
    """A signed-in client for each blueprint's POST routes, and a value for each address argument."""
    pupil, _ = pupil_with_code(app, world["new_code"]())
    lead, _ = signed_in(app, LEAD)
    admin, _ = signed_in(app, ADMIN)
    clients = {"pupil": pupil, "school": lead, "admin": admin, "auth": admin}
    values = {
        "urn": world["urn"],
        "wave_id": world["wave_id"],
        "user_id": world["lead_id"],
        "concern_id": 1,
        "section_id": "belonging",
        "token": "not-a-reset-token",
    }
    return clients, values


def test_every_post_route_refuses_a_missing_or_wrong_csrf_token(secure_app, world):
    clients, values = _posting_clients(secure_app, world)
    pupil, admin = clients["pupil"], clients["admin"]
    routes = _post_routes(secure_app)
    assert len(routes) >= 20, [r.endpoint for r in routes]  # the test must see the whole app
    before = _counts(secure_app)
    for rule in routes:
        blueprint = rule.endpoint.split(".")[0]
        assert blueprint in clients, f"{rule.endpoint}: which client may post to it? add it to the test"
        missing = [name for name in rule.arguments if name not in values]
        assert not missing, f"{rule.endpoint}: give the test a value for {missing}"
        with secure_app.test_request_context():
            path = url_for(rule.endpoint, **{name: values[name] for name in rule.arguments})
        data = {**FORM, "code": world["code"]}
        for token in (None, "IjEyMyI.forged.token"):
            sent = data if token is None else {**data, "csrf_token": token}
            response = clients[blueprint].post(path, data=sent)
            assert response.status_code == 400, (rule.endpoint, token, response.status_code)
            assert "Set-Cookie" not in response.headers or blueprint != "auth", rule.endpoint
    assert _counts(secure_app) == before  # no answer, user, wave, code or audit entry was written
    # ... and everyone is still where they were: the sign-out without a token did not sign out.
    assert admin.get("/admin/audit").status_code == 200
    assert pupil.get("/before-you-start").status_code == 200


def test_posts_with_the_token_still_work(secure_app, world):
    """The control: the same clients, with the form's token, do change things."""
    pupil, _ = pupil_with_code(secure_app, world["new_code"]())
    token = csrf_token(pupil, "/before-you-start")
    response = pupil.post("/before-you-start", data={"choice": "yes", "csrf_token": token})
    assert response.location == "/section/belonging"
    admin, _ = signed_in(secure_app, ADMIN)
    token = csrf_token(admin, "/admin/audit")
    assert admin.post("/staff/sign-out", data={"csrf_token": token}).location == "/staff/sign-in"
    assert admin.get("/admin/audit").location.startswith("/staff/sign-in")


def test_every_post_route_refuses_a_form_part_without_a_name(secure_app, world):
    """A multipart post with a part that names no field (hand-made, never from a browser's form) is a
    400 everywhere, whoever sends it: the CSRF check could not read such a form and failed with a 500."""
    clients, values = _posting_clients(secure_app, world)
    bodies = (
        b"--XX\r\nContent-Disposition: form-data\r\n\r\nhello\r\n--XX--\r\n",
        b'--XX\r\nContent-Disposition: form-data; filename="roster.csv"\r\n\r\nref\r\n--XX--\r\n',
    )
    before = _counts(secure_app)
    for rule in _post_routes(secure_app):
        with secure_app.test_request_context():
            path = url_for(rule.endpoint, **{name: values[name] for name in rule.arguments})
        for body in bodies:
            for client in (clients[rule.endpoint.split(".")[0]], secure_app.test_client()):
                response = client.post(path, data=body, content_type="multipart/form-data; boundary=XX")
                assert response.status_code == 400, (rule.endpoint, body, response.status_code)
    assert _counts(secure_app) == before
