"""A NUL or another control character in any text a member of staff types: never a server error.

PostgreSQL refuses strings holding NUL (SQLite keeps them), so these failed only there: hypothesis
found them (tests/fuzz/test_forms.py); here each is pinned down by name, on PostgreSQL.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from survey.extensions import db
from survey.models import ClassSession, School, User, Wave

from .conftest import OTHER_URN, URN, assert_no_server_error

pytestmark = pytest.mark.fuzz

DATES = {"opens": ["1", "2", "2027"], "closes": ["3", "4", "2027"]}
TEXT_FORMS = [
    ("school_lead", "/school/{urn}/trusted-adult", {"text": "Ms\x00 Patel\x07"}),
    ("school_lead", "/school/{urn}/you-said-we-did", {"text": "Longer\x00 lunch\x1b"}),
    (
        "school_lead",
        "/school/{urn}/waves/new",
        {"name": "Spring\x00", "questionnaire": "national-secondary", **DATES},
    ),
    (
        "school_lead",
        "/school/{urn}/waves/{wave}/class-sessions",
        {"class-name": "8\x00B", "class-count": "2"},
    ),
    ("anonymous", "/staff/sign-in", {"email": "admin\x00@fuzz.example", "password": "x"}),
    ("admin", "/admin/users/new", {"email": "new\x00@fuzz.example", "role": "admin"}),
    (
        "admin",
        "/admin/users/new",
        {"email": "trust@fuzz.example", "role": "reviewer", "scope": "trust", "trust": "Hill\x00"},
    ),
    (
        "admin",
        "/admin/users/new",
        {"email": "la@fuzz.example", "role": "reviewer", "scope": "local_authority", "la_code": "2\x0001"},
    ),
    (
        "admin",
        "/admin/waves/new",
        {"name": "Spring\x00", "questionnaire": "national-secondary", "school_urn": "100001\x00", **DATES},
    ),
]
SEARCHES = [
    ("admin", "/admin/schools?q=Hill%00side&page=%C2%B2"),  # ² is a digit to isdigit(), not to int()
    ("admin", "/admin/users?q=lead%00&page=%00"),
    ("admin", "/admin/audit?action=sign_in%00&user=admin%00"),
    ("reviewer", "/review/?q=Hill%00"),
]


@pytest.mark.parametrize(("role", "url", "data"), TEXT_FORMS, ids=lambda v: v if isinstance(v, str) else "")
def test_control_characters_in_a_form_are_dropped(world, role, url, data):
    client = world.client(role)
    url = url.format(urn=URN, wave=world.wave_id)
    response = client.post(url, data={**data, "csrf_token": client.token})
    assert_no_server_error(response, url)
    assert response.status_code in (200, 302), response.status_code
    with world.app.app_context():
        saved = [
            *db.session.scalars(sa.select(School.trusted_adult_text)),
            *db.session.scalars(sa.select(School.you_said_we_did)),
            *db.session.scalars(sa.select(Wave.name)),
            *db.session.scalars(sa.select(ClassSession.name)),
            *db.session.scalars(sa.select(User.email)),
            *db.session.scalars(sa.select(User.scope_value)),
        ]
    assert not [text for text in saved if text and any(c in text for c in "\x00\x07\x1b")]


@pytest.mark.parametrize(("role", "url"), SEARCHES)
def test_control_characters_in_a_search_are_dropped(world, role, url):
    response = world.client(role).get(url)
    assert_no_server_error(response, url)
    assert response.status_code == 200


def test_a_school_lead_sees_the_text_without_them(world):
    client = world.client("school_lead")
    client.post(f"/school/{URN}/trusted-adult", data={"text": "Room\x00 4", "csrf_token": client.token})
    with world.app.app_context():
        assert db.session.scalar(sa.select(School.trusted_adult_text).filter_by(urn=URN)) == "Room 4"
        assert db.session.scalar(sa.select(School.trusted_adult_text).filter_by(urn=OTHER_URN)) is None


def test_a_nul_in_a_withdrawal_reference_on_postgresql(fuzz_postgres):
    world = fuzz_postgres
    client = world.client("admin")
    data = {"by": "reference", "urn": str(URN), "wave": str(world.wave_id), "reference": "F\x00001"}
    response = client.post("/admin/withdraw", data={**data, "csrf_token": client.token})
    assert_no_server_error(response, "withdraw")
