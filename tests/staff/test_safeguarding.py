"""The DSL's pages: Needs attention, acknowledge and close with notes, the two-person reveal, audited."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from analysis.safeguarding import check
from survey.data import safeguarding as concerns
from survey.data.users import create_user
from survey.extensions import db
from survey.models import AuditEvent, Role, School, ScopeKind, Wave, utcnow
from tests.pages import check_page
from tests.responses import make_pupils

from .conftest import PASSWORD, sign_in

DISCLOSURE = "My stepdad Gary hits me at home and I am scared to go home"


@pytest.fixture
def concern(loaded, schools):
    """A concern at school A from pupil P001's answer; dsl@a.example is school A's DSL."""
    with loaded.app_context():
        school = db.session.scalar(sa.select(School).filter_by(urn=schools["a"]))
        other = db.session.scalar(sa.select(School).filter_by(urn=schools["b"]))
        create_user(email="dsl@a.example", password=PASSWORD, role=Role.SAFEGUARDING_LEAD,
                    scope_kind=ScopeKind.SCHOOLS, schools=[school], actor="test")  # fmt: skip
        create_user(email="dsl@b.example", password=PASSWORD, role=Role.SAFEGUARDING_LEAD,
                    scope_kind=ScopeKind.SCHOOLS, schools=[other], actor="test")  # fmt: skip
        now = utcnow()
        wave = Wave(name="Autumn survey", questionnaire_id="national-secondary", questionnaire_version=1,
                    school_id=school.id, opens_at=now - timedelta(days=1), closes_at=now + timedelta(days=9))  # fmt: skip
        db.session.add(wave)
        db.session.flush()
        made = make_pupils(wave, school, 2, texts={"P001": DISCLOSURE})
        db.session.commit()
        raised = concerns.raise_concern(
            school_id=school.id, wave_id=wave.id, response_id=made["P001"].response_id,
            question_id="say_better", language="en", text=DISCLOSURE, matches=check(DISCLOSURE),
        )  # fmt: skip
        return raised.id


def _dsl(loaded, email="dsl@a.example"):
    client = loaded.test_client()
    assert sign_in(client, email).status_code == 302
    return client


def _actions(app) -> list[tuple[str, str, dict | None]]:
    with app.app_context():
        return [
            (e.action, e.actor, e.detail)
            for e in db.session.scalars(sa.select(AuditEvent).order_by(AuditEvent.id))
        ]


def test_the_dsl_sees_the_concern_in_needs_attention(loaded, concern):
    dsl = _dsl(loaded)
    assert dsl.get("/school/safeguarding/").location == "/school/100001/safeguarding/"
    page = check_page(dsl.get("/school/100001/safeguarding/"))
    text = page.get_text(" ", strip=True)
    assert "Needs attention" in text and "hits me at home" in text and "New" in text
    assert "Gary" not in text  # redacted
    detail = check_page(dsl.get(f"/school/100001/safeguarding/{concern}"))
    assert "What is one thing that would make school better for you?" in detail.get_text(" ", strip=True)
    assert ("view_safeguarding_concern", "dsl@a.example") in [(a, actor) for a, actor, _ in _actions(loaded)]


def test_only_the_schools_dsl_sees_it(loaded, concern, school_lead_client, reviewer_client):
    assert school_lead_client.get("/school/100001/safeguarding/").status_code == 403
    assert reviewer_client.get(f"/school/100001/safeguarding/{concern}").status_code == 403
    other = _dsl(loaded, "dsl@b.example")
    assert other.get("/school/100001/safeguarding/").status_code == 404
    assert other.get(f"/school/100002/safeguarding/{concern}").status_code == 404
    assert "hits me" not in other.get("/school/100002/safeguarding/").get_data(as_text=True)


def test_new_then_acknowledged_then_closed_each_with_a_note(loaded, concern):
    dsl = _dsl(loaded)
    base = f"/school/100001/safeguarding/{concern}"
    no_note = dsl.post(f"{base}/close", data={"close-note": "x"})
    assert "Acknowledge the concern before closing it" in check_page(dsl.get(base)).get_text(" ", strip=True)
    assert no_note.status_code == 302
    missing = dsl.post(f"{base}/acknowledge", data={"acknowledge-note": " "})
    assert missing.status_code == 200
    assert "Write a note saying what you are doing about it" in missing.get_data(as_text=True)
    assert (
        dsl.post(f"{base}/acknowledge", data={"acknowledge-note": "Spoke to head of year"}).status_code == 302
    )
    page = check_page(dsl.get(base)).get_text(" ", strip=True)
    assert "Acknowledged" in page and "Spoke to head of year" in page and "dsl@a.example" in page
    assert dsl.post(f"{base}/close", data={"close-note": "Referred to social care"}).status_code == 302
    assert "hits me" not in dsl.get("/school/100001/safeguarding/").get_data(as_text=True)
    assert "hits me" in dsl.get("/school/100001/safeguarding/?show=closed").get_data(as_text=True)
    actions = [a for a, *_ in _actions(loaded)]
    assert actions.index("acknowledge_safeguarding_concern") < actions.index("close_safeguarding_concern")


def test_two_people_agree_to_reveal_the_reference(loaded, concern):
    dsl = _dsl(loaded)
    url = f"/school/100001/safeguarding/{concern}/reveal"
    form = {"reveal-reason": "Pupil may be at risk tonight"}
    alone = dsl.post(url, data={**form, "reveal-email": "dsl@a.example", "reveal-password": PASSWORD})
    assert "must be someone else" in alone.get_data(as_text=True)
    wrong_school = dsl.post(url, data={**form, "reveal-email": "lead@b.example", "reveal-password": PASSWORD})
    wrong_password = dsl.post(url, data={**form, "reveal-email": "lead@a.example", "reveal-password": "nope"})
    for refused in (wrong_school, wrong_password):
        body = refused.get_data(as_text=True)
        assert "another member of staff of this school" in body and "P001" not in body
    agreed = dsl.post(url, data={**form, "reveal-email": "lead@a.example", "reveal-password": PASSWORD})
    assert agreed.status_code == 200
    shown = check_page(agreed)
    assert shown.select_one(".app-reveal__reference").get_text(strip=True) == "P001"
    ((actor, detail),) = [
        (a, d) for action, a, d in _actions(loaded) if action == "reveal_safeguarding_reference"
    ]
    assert actor == "dsl@a.example"
    assert detail == {
        "agreed_with": "lead@a.example",
        "reason": "Pupil may be at risk tonight",
        "found": True,
        "school_urn": 100001,
        "wave": detail["wave"],
    }
    later = check_page(dsl.get(f"/school/100001/safeguarding/{concern}")).get_text(" ", strip=True)
    assert "shown" in later and "lead@a.example" in later and "P001" not in later


def test_the_dsl_can_read_what_raises_a_flag(loaded, concern):
    dsl = _dsl(loaded)
    text = check_page(dsl.get("/school/safeguarding/keywords")).get_text(" ", strip=True)
    assert "hit* me" in text and "scared ... go home" in text and "nharo" in text
    dsl.get("/staff/language/cy")
    welsh = check_page(dsl.get("/school/safeguarding/keywords"))
    assert welsh.html["lang"] == "cy" and welsh.h1.get_text(strip=True) == "Beth sy’n codi baner ddiogelu"
    assert [h2.get_text(strip=True) for h2 in welsh.select("h2.govuk-heading-l")] == ["Saesneg", "Cymraeg"]
    assert welsh.select_one(".app-keywords[lang=en]:-soup-contains('hit* me')")
    assert welsh.select_one(".app-keywords[lang=cy]:-soup-contains('nharo')")


def test_admins_can_make_a_safeguarding_lead(admin_client, loaded, schools):
    page = admin_client.get("/admin/users/new").get_data(as_text=True)
    assert "Designated safeguarding lead" in page
    created = admin_client.post(
        "/admin/users/new",
        data={
            "email": "new-dsl@a.example",
            "role": "safeguarding_lead",
            "scope": "schools",
            "urns": "100001",
        },
    )
    assert created.status_code in (200, 302), created.get_data(as_text=True)
    with loaded.app_context():
        from survey.models import User

        user = db.session.scalar(sa.select(User).filter_by(email="new-dsl@a.example"))
        assert user.role is Role.SAFEGUARDING_LEAD and [s.urn for s in user.schools] == [100001]


def test_needs_attention_in_welsh(loaded, concern):
    """The DSL's list follows the Welsh chosen on the switch; what the pupil wrote is shown as written."""
    dsl = _dsl(loaded)
    dsl.get("/staff/language/cy")
    page = check_page(dsl.get("/school/100001/safeguarding/"))
    assert page.html["lang"] == "cy" and page.h1.get_text(strip=True) == "Angen sylw"
    assert page.select_one("caption").get_text(strip=True) == "1 pryder agored"
    assert [th.get_text(strip=True) for th in page.select("thead th")] == [
        "Wedi’i nodi", "Beth ysgrifennodd y disgybl", "Cyflwr"
    ]  # fmt: skip
    assert page.find("strong", string="Newydd") and "hits me at home" in page.get_text()
    assert page.select_one(".govuk-breadcrumbs").get_text(" ", strip=True).startswith("Angen sylw")
    closed = check_page(dsl.get("/school/100001/safeguarding/?show=closed"))
    assert closed.h1.get_text(strip=True) == "Pryderon sydd wedi’u cau"
    assert "Dim pryderon wedi’u cau." in closed.get_text()


def test_a_concern_in_welsh_with_its_forms_and_errors(loaded, concern):
    dsl = _dsl(loaded)
    dsl.get("/staff/language/cy")
    base = f"/school/100001/safeguarding/{concern}"
    page = check_page(dsl.get(base))
    assert page.html["lang"] == "cy" and page.h1.get_text(strip=True) == "Pryder diogelu posibl"
    assert (
        page.select_one("label[for=acknowledge-note]").get_text(strip=True)
        == "Beth rydych chi’n ei wneud am y peth"
    )
    assert page.find("h2", string="Darganfod pwy ysgrifennodd hyn: dau berson yn cytuno")
    question = page.find(
        "span", attrs={"lang": "en"}, string="What is one thing that would make school better for you?"
    )
    assert question  # the question as the pupil saw it: English, marked so
    assert "hits me at home" in page.get_text()
    missing = check_page(dsl.post(f"{base}/acknowledge", data={"acknowledge-note": " "}))
    summary = missing.select_one(".govuk-error-summary").get_text()
    assert (
        "Mae problem" in summary
        and "Ysgrifennwch nodyn yn dweud beth rydych chi’n ei wneud am y peth" in summary
    )
    alone = check_page(
        dsl.post(
            f"{base}/reveal",
            data={"reveal-reason": "Risg", "reveal-email": "dsl@a.example", "reveal-password": PASSWORD},
        )
    )
    assert "Rhaid i’r ail berson fod yn rhywun arall" in alone.select_one(".govuk-error-summary").get_text()
    assert (
        dsl.post(f"{base}/acknowledge", data={"acknowledge-note": "Siarad â’r pennaeth blwyddyn"}).status_code
        == 302
    )
    done = check_page(dsl.get(base)).get_text(" ", strip=True)
    assert "Wedi’i gydnabod" in done and "gan dsl@a.example: Siarad â’r pennaeth blwyddyn" in done
