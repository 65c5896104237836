"""Fixtures for the staff portals: two schools, a user of every role and scope, role-named clients.

`school_a` (URN 100001, local authority 201, trust "Hill Trust") and `school_b` (URN 100002, local
authority 202, no trust). Clients are signed in through the real sign-in form.

`demo_app` is the app on a PostgreSQL database holding the whole demo (21 schools, about 6,500
responses), a copy of the run's demo (loaded once per run); tests must only read it.
"""

from __future__ import annotations

import io
from collections.abc import Iterator

import pytest

from survey.data.users import create_user
from survey.extensions import db
from survey.models import Role, School, ScopeKind

from ..conftest import make_app
from ..databases import AppState
from ..pages import check_page

PASSWORD = "correct horse battery staple"
USERS = {
    "school_lead": ("lead@a.example", Role.SCHOOL_LEAD, ScopeKind.SCHOOLS, None),
    "dsl": ("dsl-a@a.example", Role.SAFEGUARDING_LEAD, ScopeKind.SCHOOLS, None),
    "other_lead": ("lead@b.example", Role.SCHOOL_LEAD, ScopeKind.SCHOOLS, None),
    "reviewer": ("reviewer@national.example", Role.REVIEWER, ScopeKind.NATIONAL, None),
    "la_reviewer": ("reviewer@la201.example", Role.REVIEWER, ScopeKind.LOCAL_AUTHORITY, "201"),
    "trust_reviewer": ("reviewer@trust.example", Role.REVIEWER, ScopeKind.TRUST, "Hill Trust"),
    "admin": ("admin@national.example", Role.ADMIN, ScopeKind.NATIONAL, None),
}


@pytest.fixture
def schools(loaded):
    """URNs of two schools in different local authorities, and a user of every role."""
    with loaded.app_context():
        a = School(urn=100001, name="Hillside Academy", la_code="201", la_name="Northshire",
                   phase="Secondary", type="Academy", trust="Hill Trust")  # fmt: skip
        b = School(urn=100002, name="Valley School", la_code="202", la_name="Southshire",
                   phase="Secondary", type="Community school")  # fmt: skip
        db.session.add_all([a, b])
        db.session.flush()
        for name, (email, role, kind, value) in USERS.items():
            own = [a] if name in ("school_lead", "dsl") else [b] if name == "other_lead" else None
            create_user(email=email, password=PASSWORD, role=role, scope_kind=kind, scope_value=value,
                        schools=own, actor="test")  # fmt: skip
        db.session.commit()
    return {"a": 100001, "b": 100002}


def sign_in(client, email: str, password: str = PASSWORD):
    return client.post("/staff/sign-in", data={"email": email, "password": password})


def _client_for(app, user: str):
    client = app.test_client()
    response = sign_in(client, USERS[user][0])
    assert response.status_code == 302, response.get_data(as_text=True)
    return client


@pytest.fixture
def anonymous_client(loaded, schools):
    return loaded.test_client()


@pytest.fixture
def school_lead_client(loaded, schools):
    return _client_for(loaded, "school_lead")


@pytest.fixture
def reviewer_client(loaded, schools):
    return _client_for(loaded, "reviewer")


@pytest.fixture
def la_reviewer_client(loaded, schools):
    return _client_for(loaded, "la_reviewer")


@pytest.fixture
def admin_client(loaded, schools):
    return _client_for(loaded, "admin")


@pytest.fixture
def client_as(loaded, schools):
    """client_as("trust_reviewer") → a client signed in as that user of `USERS` (None: signed out)."""
    return lambda user: loaded.test_client() if user is None else _client_for(loaded, user)


# -- the demo data, loaded once per run -----------------------------------------------------------


@pytest.fixture(scope="session")
def demo_postgres(demo_copy) -> str:
    """A copy of the run's demo database (tests/conftest.py `demo_built`), for these tests to read."""
    return demo_copy("postgresql")


@pytest.fixture(scope="session")
def demo_state(demo_postgres) -> Iterator[AppState]:
    app = make_app(demo_postgres)
    yield AppState(app)
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def demo_app(demo_state: AppState):
    """The app on the demo data, on PostgreSQL (the pages that read it are the same on SQLite),
    shared by the tests: its settings and rate limits are put back after each."""
    yield demo_state.app
    demo_state.restore()


@pytest.fixture
def demo_client_as(demo_app):
    """demo_client_as("lead@demo.example") → a client signed in as that demo user."""
    from survey.demo import DEMO_PASSWORD

    def make(email: str):
        client = demo_app.test_client()
        response = sign_in(client, email, DEMO_PASSWORD)
        assert response.status_code == 302, response.get_data(as_text=True)
        return client

    return make


def preview(client, wave_id: int, text: str, name="roster.csv"):
    """Upload a roster: the page that shows how it was read (or its problems). Nothing is saved."""
    return client.post(
        f"/school/100001/waves/{wave_id}/",
        data={"roster": (io.BytesIO(text.encode()), name)},
        content_type="multipart/form-data",
    )


def upload(client, wave_id: int, text: str, name="roster.csv"):
    """Upload a roster and, if it was read without problems, save it as previewed."""
    response = preview(client, wave_id, text, name)
    page = check_page(response)
    form = page.find("form", action=f"/school/100001/waves/{wave_id}/roster")
    if form is None:
        return response
    return client.post(
        form["action"], data={i["name"]: i["value"] for i in form.select("input[type=hidden]")}
    )
