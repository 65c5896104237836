"""The admin portal: schools register, users and reset links, waves, the audit log; who may use it."""

from __future__ import annotations

import io
import re

import pytest
import sqlalchemy as sa

import questionnaires
from survey.extensions import db
from survey.models import AuditEvent, Role, School, ScopeKind, User, Wave

from ..pages import check_page
from .conftest import USERS, sign_in

PAGES = [
    "/admin/schools",
    "/admin/users",
    "/admin/users/new",
    "/admin/waves",
    "/admin/waves/new",
    "/admin/withdraw",
    "/admin/audit",
]
GIAS_HEADER = (
    "URN,EstablishmentName,LA (code),LA (name),PhaseOfEducation (name),TypeOfEstablishment (name),"
    "Trusts (name),Postcode"
)
NEW_PASSWORD = "a brand new password for me"


def text(element) -> str:
    return " ".join(element.get_text(" ").split())


def upload(client, csv_text: str, filename: str = "schools.csv"):
    return client.post(
        "/admin/schools",
        data={"file": (io.BytesIO(csv_text.encode("utf-8")), filename)},
        content_type="multipart/form-data",
    )


def count(app, model, *conditions) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*conditions))


def audit_actions(app) -> list[str]:
    with app.app_context():
        return db.session.scalars(sa.select(AuditEvent.action).order_by(AuditEvent.id)).all()


def user_id(app, email: str) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(User.id).filter_by(email=email))


# -- who may use it ------------------------------------------------------------------------------


@pytest.mark.parametrize("path", PAGES)
def test_every_admin_page_renders_for_an_admin(admin_client, path):
    response = admin_client.get(path)
    assert response.status_code == 200
    page = check_page(response)
    assert page.find("h1")
    assert response.headers["Cache-Control"] == "no-store"


def test_a_user_page_renders(admin_client, loaded):
    response = admin_client.get(f"/admin/users/{user_id(loaded, USERS['school_lead'][0])}")
    page = check_page(response)
    assert page.find("h1").get_text(strip=True) == USERS["school_lead"][0]
    assert "Hillside Academy" in text(page.select_one(".govuk-summary-list"))


def test_the_admin_home_is_the_schools_list(admin_client):
    assert admin_client.get("/admin/").headers["Location"] == "/admin/schools"


def test_the_navigation_links_every_admin_page(admin_client):
    page = check_page(admin_client.get("/admin/schools"))
    links = {a["href"] for a in page.select(".app-staff-navigation a")}
    assert {"/admin/schools", "/admin/users", "/admin/waves", "/admin/withdraw", "/admin/audit"} <= links


@pytest.mark.parametrize("user", ["school_lead", "reviewer"])
@pytest.mark.parametrize("path", [*PAGES, "/admin/"])
def test_other_roles_are_forbidden(client_as, user, path):
    response = client_as(user).get(path)
    assert response.status_code == 403


@pytest.mark.parametrize("user", ["school_lead", "reviewer"])
def test_other_roles_cannot_change_anything(client_as, loaded, user):
    client = client_as(user)
    assert client.post("/admin/users/new", data={"email": "x@y.example", "role": "admin"}).status_code == 403
    assert upload(client, f"{GIAS_HEADER}\n100009,New School,201,N,Primary,Academy,,\n").status_code == 403
    assert count(loaded, User, User.email == "x@y.example") == 0
    assert count(loaded, School) == 2


@pytest.mark.parametrize("path", [*PAGES, "/admin/"])
def test_signed_out_visitors_are_sent_to_sign_in(anonymous_client, path):
    response = anonymous_client.get(path)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/staff/sign-in?next=")


@pytest.mark.parametrize("path", ["/admin/users/999999", "/admin/users/99999999999999999999", "/admin/nope"])
def test_unknown_ids_are_not_found(admin_client, path):
    response = admin_client.get(path)
    assert response.status_code == 404
    check_page(response)


# -- schools -------------------------------------------------------------------------------------


def test_a_bad_register_lists_every_problem_by_line_and_saves_nothing(admin_client, loaded):
    bad = f"""{GIAS_HEADER}
100010,Good School,201,Northshire,Primary,Academy,,AB1 1AA
12AB,Bad URN School,201,Northshire,Primary,Academy,,AB1 1AA
100011,,201,Northshire,Primary,Academy,,AB1 1AA
100012,Long LA code,{"9" * 11},Northshire,Primary,Academy,,AB1 1AA
100010,Twice,201,Northshire,Primary,Academy,,AB1 1AA
"""
    response = upload(admin_client, bad)
    assert response.status_code == 200
    page = check_page(response)
    assert page.title.get_text().startswith("Error:")
    problems = [text(li) for li in page.select(".govuk-error-summary__list li")]
    assert problems == [
        "Line 3, column 'URN': '12AB' is not a URN (5 to 7 digits)",
        "Line 4, column 'EstablishmentName': is empty",
        "Line 5, column 'LA (code)': is longer than 10 characters",
        "Line 6, column 'URN': 100010 is also on line 2",
    ]
    assert all(a["href"] == "#file" for a in page.select(".govuk-error-summary__list a"))
    assert "The file has 4 problems. Nothing was saved" in text(page.select_one(".govuk-error-message"))
    assert count(loaded, School) == 2
    assert "import_schools" not in audit_actions(loaded)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("", "line 1: the file is empty"),
        ("Name,Town\nA,B\n", "missing column(s) 'URN'"),
        ("\x00\x01binary", "binary data"),
    ],
)
def test_files_that_are_not_a_register_are_explained(admin_client, loaded, content, message):
    page = check_page(upload(admin_client, content))
    assert message.lower() in text(page.select_one(".govuk-error-summary")).lower()
    assert count(loaded, School) == 2


def test_uploading_without_a_file_asks_for_one(admin_client):
    page = check_page(admin_client.post("/admin/schools", data={}, content_type="multipart/form-data"))
    assert "Choose a CSV file of schools" in text(page.select_one(".govuk-error-summary"))


def test_a_good_register_adds_and_updates_schools(admin_client, loaded):
    good = f"""{GIAS_HEADER}
100001,Hillside Academy (renamed),201,Northshire,Secondary,Academy,Hill Trust,AB1 1AA
100020,Brook Primary,203,Eastshire,Primary,Community school,,AB1 1AB
100021,Ysgol y Bont,661,Sir Enghraifft,Secondary,Community school,,CF1 1AA
"""
    response = upload(admin_client, good)
    assert response.status_code == 302
    page = check_page(admin_client.get(response.headers["Location"]))
    assert "2 schools added, 1 updated" in text(page.select_one(".govuk-notification-banner"))
    names = [text(th) for th in page.select("tbody th")]
    assert "Hillside Academy (renamed)" in names and "Ysgol y Bont" in names
    assert count(loaded, School) == 4
    with loaded.app_context():
        event = db.session.scalars(sa.select(AuditEvent).filter_by(action="import_schools")).one()
        assert event.actor == USERS["admin"][0]
        assert event.detail == {"added": 2, "updated": 1}


def test_schools_are_found_by_name_or_urn_and_paged(admin_client, loaded):
    with loaded.app_context():
        for n in range(60):
            db.session.add(School(urn=200000 + n, name=f"Test School {n:02d}", la_code="300", la_name="Westshire",
                                  phase="Primary", type="Academy"))  # fmt: skip
        db.session.commit()
    first = check_page(admin_client.get("/admin/schools"))
    assert len(first.select("tbody tr")) == 50
    assert "Showing 1 to 50 of 62 schools" in text(first)
    second = check_page(admin_client.get("/admin/schools?page=2"))
    assert len(second.select("tbody tr")) == 12
    assert check_page(admin_client.get("/admin/schools?page=abc")).select("tbody tr")

    by_urn = check_page(admin_client.get("/admin/schools?q=200007"))
    assert [text(th) for th in by_urn.select("tbody th")] == ["Test School 07"]
    by_name = check_page(admin_client.get("/admin/schools?q=valley"))
    assert [text(th) for th in by_name.select("tbody th")] == ["Valley School"]
    nothing = check_page(admin_client.get("/admin/schools?q=" + "%25_" * 200))
    assert "No school matches" in text(nothing)


# -- users ---------------------------------------------------------------------------------------


def create(client, **fields):
    data = {"email": "new.lead@c.example", "role": "school_lead", "scope": "schools", "urns": "100001"}
    return client.post("/admin/users/new", data={**data, **fields})


def reset_link_on(page) -> str:
    link = page.select_one("#reset-link").get_text(strip=True)
    assert link.startswith("http://localhost/staff/reset-password/")
    return link.removeprefix("http://localhost")


def test_a_new_user_sets_their_password_with_the_link_and_signs_in(admin_client, client_as, loaded):
    response = create(admin_client, urns="100001, 100002")
    assert response.status_code == 200
    page = check_page(response)
    assert "User created" in text(page.select_one(".govuk-panel"))
    link = reset_link_on(page)

    newcomer = client_as(None)
    assert (
        sign_in(newcomer, "new.lead@c.example", "anything at all really").status_code == 200
    )  # no password yet
    form = check_page(newcomer.get(link))
    assert "new.lead@c.example" in text(form.find("main"))
    saved = newcomer.post(link, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert saved.headers["Location"] == "/staff/sign-in"
    signed_in = sign_in(newcomer, "new.lead@c.example", NEW_PASSWORD)
    assert signed_in.headers["Location"] == "/school/"
    assert "Valley School" in newcomer.get("/school/").get_data(as_text=True)

    used = client_as(None).get(link)
    assert used.status_code == 404
    assert "This link does not work" in text(check_page(used).find("h1"))

    with loaded.app_context():
        user = db.session.scalars(sa.select(User).filter_by(email="new.lead@c.example")).one()
        assert (user.role, user.scope_kind) == (Role.SCHOOL_LEAD, ScopeKind.SCHOOLS)
        assert sorted(s.urn for s in user.schools) == [100001, 100002]
        target = f"user:{user.id}"
        events = db.session.scalars(
            sa.select(AuditEvent).filter_by(target=target).order_by(AuditEvent.id)
        ).all()
        assert [e.action for e in events] == ["create_user", "issue_reset_link", "set_password"]
        assert events[0].actor == USERS["admin"][0]
        assert link.rsplit("/", 1)[1] not in str([e.detail for e in events])  # the token is never logged


@pytest.mark.parametrize(
    ("fields", "scope_kind", "scope_value"),
    [
        ({"role": "reviewer", "scope": "la", "la_code": "201"}, ScopeKind.LOCAL_AUTHORITY, "201"),
        ({"role": "reviewer", "scope": "trust", "trust": "Hill Trust"}, ScopeKind.TRUST, "Hill Trust"),
        ({"role": "reviewer", "scope": "national"}, ScopeKind.NATIONAL, None),
        ({"role": "admin", "scope": "schools", "urns": "100001"}, ScopeKind.NATIONAL, None),
    ],
)
def test_reviewers_and_admins_get_their_scope(admin_client, loaded, fields, scope_kind, scope_value):
    response = create(admin_client, **{"email": "Someone@Example.org ", "urns": "", **fields})
    assert response.status_code == 200, response.get_data(as_text=True)
    with loaded.app_context():
        user = db.session.scalars(sa.select(User).filter_by(email="someone@example.org")).one()
        assert (user.scope_kind, user.scope_value, user.schools) == (scope_kind, scope_value, [])


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"email": ""}, "Enter the email address"),
        ({"email": "not an email"}, "Enter an email address in the correct format, like name@example.org"),
        ({"email": "x" * 5000 + "@example.org"}, "Enter an email address of 254 characters or fewer"),
        ({"email": USERS["reviewer"][0].upper()}, "There is already a user with this email address"),
        ({"role": ""}, "Choose a role"),
        ({"role": "superuser"}, "Choose a role"),
        ({"scope": ""}, "Choose what they can see"),
        ({"scope": "everything"}, "Choose what they can see"),
        ({"urns": ""}, "Enter the URN of at least one school"),
        ({"urns": "100001 abc"}, "abc is not a URN: URNs are 5 to 7 digits"),
        ({"urns": "100001, 999999"}, "There is no school with URN 999999"),
        ({"urns": "1" * 20000}, "Enter at most 500 URNs"),
        ({"scope": "la"}, "A school lead sees named schools only: choose Named schools"),
        ({"role": "reviewer"}, "Choose a local authority, a trust or the whole country for a reviewer"),
        ({"role": "reviewer", "scope": "la", "la_code": ""}, "Enter the local authority code"),
        ({"role": "reviewer", "scope": "trust", "trust": ""}, "Enter the trust name"),
        (
            {"role": "reviewer", "scope": "trust", "trust": "T" * 300},
            "Enter a trust name of 200 characters or fewer",
        ),
    ],
)
def test_a_wrong_new_user_form_says_what_to_fix(admin_client, loaded, fields, message):
    response = create(admin_client, **fields)
    assert response.status_code == 200
    page = check_page(response)
    assert page.title.get_text().startswith("Error:")
    assert message in text(page.select_one(".govuk-error-summary"))
    assert count(loaded, User) == len(USERS)


def test_an_admin_issues_a_reset_link_for_a_forgotten_password(admin_client, client_as, loaded):
    lead = user_id(loaded, USERS["school_lead"][0])
    page = check_page(admin_client.post(f"/admin/users/{lead}/reset-link"))
    link = reset_link_on(page)
    client = client_as(None)
    client.post(link, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert sign_in(client, USERS["school_lead"][0], NEW_PASSWORD).headers["Location"] == "/school/"
    assert client_as(None).get(link).status_code == 404
    assert audit_actions(loaded)[-3:] == ["issue_reset_link", "set_password", "sign_in"]


def test_deactivated_users_are_signed_out_and_cannot_sign_in(admin_client, client_as, loaded):
    lead_client = client_as("school_lead")
    assert lead_client.get("/school/").status_code in (200, 302)
    lead = user_id(loaded, USERS["school_lead"][0])
    old_link = reset_link_on(check_page(admin_client.post(f"/admin/users/{lead}/reset-link")))

    response = admin_client.post(f"/admin/users/{lead}/deactivate")
    assert response.headers["Location"] == f"/admin/users/{lead}"
    page = check_page(admin_client.get(response.headers["Location"]))
    assert "is deactivated" in text(page.select_one(".govuk-notification-banner"))
    assert "Deactivated" in text(page.select_one(".govuk-summary-list"))
    assert "Deactivated" in text(check_page(admin_client.get("/admin/users")).find("tbody"))

    assert lead_client.get("/school/").headers["Location"].startswith("/staff/sign-in")
    refused = check_page(sign_in(client_as(None), USERS["school_lead"][0]))
    assert "Enter the email address and password of an active account" in text(refused)
    assert client_as(None).get(old_link).status_code == 404
    assert "Reactivate this user" in text(page)
    assert admin_client.post(f"/admin/users/{lead}/reset-link").status_code == 302  # no link for them

    admin_client.post(f"/admin/users/{lead}/reactivate")
    assert sign_in(client_as(None), USERS["school_lead"][0]).headers["Location"] == "/school/"
    assert [a for a in audit_actions(loaded) if a.endswith("_user")][-2:] == [
        "deactivate_user",
        "reactivate_user",
    ]


def test_an_admin_cannot_deactivate_themselves(admin_client, loaded):
    me = user_id(loaded, USERS["admin"][0])
    response = admin_client.post(f"/admin/users/{me}/deactivate")
    assert "You cannot deactivate your own account" in text(
        check_page(admin_client.get(response.headers["Location"]))
    )
    assert admin_client.get("/admin/users").status_code == 200


def test_users_are_listed_and_found_by_email(admin_client):
    page = check_page(admin_client.get("/admin/users"))
    rows = {text(tr.th): [text(td) for td in tr.select("td")] for tr in page.select("tbody tr")}
    assert rows["lead@a.example"] == ["School lead", "Hillside Academy", "Active"]
    assert rows["reviewer@la201.example"] == ["Reviewer", "Local authority: 201", "Active"]
    assert rows["admin@national.example"] == ["Admin", "National", "Active"]
    found = check_page(admin_client.get("/admin/users?q=REVIEWER@"))
    assert len(found.select("tbody tr")) == 3


# -- waves ---------------------------------------------------------------------------------------


def wave_form(**fields):
    data = {
        "name": "Autumn 2026",
        "questionnaire": "national-secondary",
        "school_urn": "",
        "opens": ["30", "11", "2026"],
        "closes": ["18", "12", "2026"],
    }
    return {**data, **fields}


def test_an_admin_creates_a_national_and_a_school_wave(admin_client, loaded):
    response = admin_client.post("/admin/waves/new", data=wave_form())
    assert response.status_code == 302
    page = check_page(admin_client.get(response.headers["Location"]))
    assert "created: Autumn 2026, for every school" in text(page.select_one(".govuk-notification-banner"))
    admin_client.post("/admin/waves/new", data=wave_form(name="Hillside spring", school_urn="100001",
                                                         questionnaire="national-primary"))  # fmt: skip
    page = check_page(admin_client.get("/admin/waves"))
    rows = [[text(cell) for cell in tr.select("th, td")] for tr in page.select("tbody tr")]
    assert rows[0][1:] == [
        f"national-primary v{questionnaires.load('national-primary').version}",  # the latest, when created
        "Hillside Academy (100001)",
        "30 Nov 2026",
        "18 Dec 2026",
        "0",
        "0",
    ]
    assert rows[1][0].startswith("Autumn 2026") and rows[1][2] == "National"
    with loaded.app_context():
        wave = db.session.scalars(sa.select(Wave).filter_by(name="Autumn 2026")).one()
        assert wave.opens_at.isoformat() == "2026-11-30T00:00:00+00:00"
        assert wave.closes_at.date().isoformat() == "2026-12-18" and wave.closes_at.hour == 23
    assert audit_actions(loaded).count("create_wave") == 2


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"name": ""}, "Enter a name for the wave"),
        ({"name": "N" * 1000}, "Enter a name of 120 characters or fewer"),
        ({"questionnaire": ""}, "Choose a questionnaire"),
        ({"questionnaire": "not-loaded"}, "Choose a questionnaire"),
        ({"school_urn": "12"}, "Enter a URN of 5 to 7 digits, or leave it empty"),
        ({"school_urn": "10a01"}, "Enter a URN of 5 to 7 digits, or leave it empty"),
        ({"school_urn": "999999"}, "There is no school with URN 999999"),
        ({"opens": ["", "", ""]}, "Enter the first day of the wave"),
        ({"opens": ["31", "2", "2026"]}, "The first day must be a real date, like 30 11 2026"),
        ({"opens": ["x", "11", "2026"]}, "The first day must be a real date, like 30 11 2026"),
        ({"opens": "30"}, "The first day must be a real date, like 30 11 2026"),
        ({"closes": ["29", "11", "2026"]}, "The last day must be the same as or after the first day"),
        ({"closes": ["1", "1", "99999999999"]}, "The last day must be a real date, like 18 12 2026"),
    ],
)
def test_a_wrong_wave_form_says_what_to_fix(admin_client, loaded, fields, message):
    data = wave_form(**fields)
    response = admin_client.post("/admin/waves/new", data={k: v for k, v in data.items() if v is not None})
    assert response.status_code == 200
    page = check_page(response)
    assert message in text(page.select_one(".govuk-error-summary"))
    assert count(loaded, Wave) == 0


def test_a_wave_without_any_date_fields_is_an_error_not_a_crash(admin_client, loaded):
    response = admin_client.post("/admin/waves/new", data={"name": "X", "questionnaire": "national-primary"})
    page = check_page(response)
    summary = text(page.select_one(".govuk-error-summary"))
    assert "Enter the first day of the wave" in summary and "Enter the last day of the wave" in summary


# -- audit log -----------------------------------------------------------------------------------


def test_the_audit_log_shows_actions_newest_first_and_filters(admin_client, client_as, loaded):
    client_as("school_lead")
    admin_client.post("/admin/waves/new", data=wave_form())
    create(admin_client)
    page = check_page(admin_client.get("/admin/audit"))
    rows = [[text(td) for td in tr.select("td")] for tr in page.select("tbody tr")]
    assert rows[0][1:3] == [USERS["admin"][0], "issue reset link"]
    assert rows[1][1:3] == [USERS["admin"][0], "create user"]
    assert rows[1][4] == "role: school_lead; scope: schools"
    assert rows[2][2] == "create wave"
    assert re.fullmatch(r"\d\d \w{3} \d{4} \d\d:\d\d:\d\d", rows[0][0])
    assert [o["value"] for o in page.select("#action option")][:2] == ["", "create_user"]

    by_action = check_page(admin_client.get("/admin/audit?action=sign_in"))
    actions = {text(tr.select("td")[2]) for tr in by_action.select("tbody tr")}
    assert actions == {"sign in"}
    by_user = check_page(admin_client.get("/admin/audit?user=LEAD@A"))
    assert {text(tr.select("td")[1]) for tr in by_user.select("tbody tr")} == {"lead@a.example"}
    assert "No events match the filters" in text(check_page(admin_client.get("/admin/audit?user=nobody%25")))


def test_the_audit_log_is_paged(admin_client, loaded):
    from survey.data import audit

    with loaded.app_context():
        for n in range(120):
            audit.record("test_event", actor="cli", target=f"thing:{n}")
        db.session.commit()
    page = check_page(admin_client.get("/admin/audit?action=test_event"))
    assert [text(tr.select("td")[3]) for tr in page.select("tbody tr")][:2] == ["thing:119", "thing:118"]
    assert "Showing 1 to 50 of 120 events" in text(page)
    next_link = page.select_one(".govuk-pagination__next a")["href"]
    assert "action=test_event" in next_link and "page=2" in next_link
    last = check_page(admin_client.get("/admin/audit?action=test_event&page=3"))
    assert [text(tr.select("td")[3]) for tr in last.select("tbody tr")][-1] == "thing:0"
    assert check_page(admin_client.get("/admin/audit?action=test_event&page=99")).select("tbody tr")
