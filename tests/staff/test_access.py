"""The access matrix: every staff page, requested as every role and scope, gives exactly the expected status.

200 where the user may see the page; 302 to sign-in when signed out; 403 for a role the page is not
for; 404 for a school outside the user's scope (so a URL never confirms that a school takes part).
"""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from survey.extensions import db
from survey.models import School, Wave, utcnow

from .conftest import USERS

USERS_AND_ANONYMOUS = [None, *USERS]
REVIEWERS = {"reviewer", "la_reviewer", "trust_reviewer"}


@pytest.fixture
def waves(loaded, schools) -> dict[str, int]:
    """A school wave for each of the two schools."""
    found = {}
    with loaded.app_context():
        for key, urn in schools.items():
            school = db.session.scalar(sa.select(School).filter_by(urn=urn))
            wave = Wave(name=f"Wave {key}", questionnaire_id="national-secondary", questionnaire_version=1,
                        school_id=school.id, opens_at=utcnow() - timedelta(days=1),
                        closes_at=utcnow() + timedelta(days=30))  # fmt: skip
            db.session.add(wave)
            db.session.flush()
            found[key] = wave.id
        db.session.commit()
    return found


def school_pages(urn: int, wave: int) -> list[str]:
    return [
        f"/school/{urn}/",
        f"/school/{urn}/results",
        f"/school/{urn}/comments",
        f"/school/{urn}/trusted-adult",
        f"/school/{urn}/you-said-we-did",
        f"/school/{urn}/waves/new",
        f"/school/{urn}/waves/{wave}/",
        f"/school/{urn}/waves/{wave}/rates",
        f"/school/{urn}/waves/{wave}/rates/rates-year-group.csv",
    ]


REVIEW_PAGES = ["/review/", "/review/compare", "/review/areas", "/review/disproportionality"]
ADMIN_PAGES = ["/admin/schools", "/admin/users", "/admin/waves", "/admin/audit", "/admin/withdraw"]


def expected_school_page(user: str | None, own: str) -> int:
    if user is None:
        return 302
    if user == own:
        return 200
    if user in ("school_lead", "other_lead"):
        return 404
    return 403


def expected_review_school(user: str | None, key: str) -> int:
    if user is None:
        return 302
    if user == "reviewer" or (user in ("la_reviewer", "trust_reviewer") and key == "a"):
        return 200
    if user in REVIEWERS:
        return 404
    return 403


def test_access_matrix(client_as, waves):
    expected: dict[tuple[str, str | None], int] = {}
    for key, urn, own in [("a", 100001, "school_lead"), ("b", 100002, "other_lead")]:
        for url in school_pages(urn, waves[key]):
            for user in USERS_AND_ANONYMOUS:
                expected[(url, user)] = expected_school_page(user, own)
        for user in USERS_AND_ANONYMOUS:
            expected[(f"/review/schools/{urn}", user)] = expected_review_school(user, key)
    # A school lead cannot reach another school's wave through their own school's address either.
    for user in USERS_AND_ANONYMOUS:
        url = f"/school/100001/waves/{waves['b']}/"
        expected[(url, user)] = 404 if user == "school_lead" else expected_school_page(user, "school_lead")
    for url in REVIEW_PAGES:
        for user in USERS_AND_ANONYMOUS:
            expected[(url, user)] = 302 if user is None else 200 if user in REVIEWERS else 403
    for url in ADMIN_PAGES:
        for user in USERS_AND_ANONYMOUS:
            expected[(url, user)] = 302 if user is None else 200 if user == "admin" else 403

    clients = {user: client_as(user) for user in USERS_AND_ANONYMOUS}
    actual = {(url, user): clients[user].get(url).status_code for url, user in expected}
    wrong = {k: (actual[k], v) for k, v in expected.items() if actual[k] != v}
    assert wrong == {}, "(url, user): (got, expected)"


def test_signed_out_users_are_sent_to_sign_in_and_back(client_as, waves):
    response = client_as(None).get("/review/compare?measure=belonging")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/staff/sign-in?next=")
    assert "compare" in response.headers["Location"]


def test_post_only_actions_check_scope_too(client_as, waves):
    other = client_as("other_lead")
    for url, data in [
        (f"/school/100001/waves/{waves['a']}/codes", {"format": "csv"}),
        (f"/school/100001/waves/{waves['a']}/class-sessions", {"class-name": "7A", "class-count": "5"}),
        ("/school/100001/trusted-adult", {"text": "Mr X"}),
        ("/school/100001/you-said-we-did", {"text": "Changes"}),
    ]:
        assert other.post(url, data=data).status_code == 404, url
        assert client_as("reviewer").post(url, data=data).status_code == 403, url


@pytest.mark.parametrize(
    "url",
    ["/school/99999999999999999999/", "/review/schools/99999999999999999999", "/admin/users/99999999999"],
)
def test_huge_numbers_in_addresses_are_not_found(client_as, url):
    user = {"school": "school_lead", "review": "reviewer", "admin": "admin"}[url.split("/")[1]]
    assert client_as(user).get(url).status_code == 404
