"""The safeguarding path in Chromium, with and without JavaScript: a pupil's flagged answer → the
help page at once → the DSL's "Needs attention" → acknowledge → the two-person reveal, audited.
axe-core checks every new page."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from survey.data.users import create_user
from survey.extensions import db
from survey.models import (
    AuditEvent,
    PupilCode,
    Response,
    Role,
    RosterEntry,
    SafeguardingConcern,
    School,
    ScopeKind,
)

from .conftest import assert_no_axe_violations
from .journey import Journey, path

pytestmark = pytest.mark.browser

PASSWORD = "a long browser test password"
DISCLOSURE = "My stepdad hits me at home and I am scared to go home"
TRUSTED_ADULT = "Talk to Mrs Hughes in the pastoral office, any time."


def _staff(live_app, suffix: str) -> tuple[str, str]:
    """A DSL and a school lead of Hillside Academy (URN 100001): their emails."""
    dsl, lead = f"dsl-{suffix}@hillside.example", f"lead-{suffix}@hillside.example"
    with live_app.app_context():
        school = db.session.scalar(sa.select(School).filter_by(urn=100001))
        school.trusted_adult_text = TRUSTED_ADULT
        create_user(email=dsl, password=PASSWORD, role=Role.SAFEGUARDING_LEAD,
                    scope_kind=ScopeKind.SCHOOLS, schools=[school], actor="test")  # fmt: skip
        create_user(email=lead, password=PASSWORD, role=Role.SCHOOL_LEAD,
                    scope_kind=ScopeKind.SCHOOLS, schools=[school], actor="test")  # fmt: skip
        db.session.commit()
    return dsl, lead


def _reference_and_concerns(live_app, code: str) -> tuple[str, list[int]]:
    from survey import codes

    with live_app.app_context():
        code_hash = codes.hash_code(code)
        reference, response_id = db.session.execute(
            sa.select(RosterEntry.pupil_reference, Response.id)
            .join(PupilCode, PupilCode.roster_entry_id == RosterEntry.id)
            .join(Response, Response.pupil_code_id == PupilCode.id)
            .where(PupilCode.code_hash == code_hash)
        ).one()
        found = db.session.scalars(sa.select(SafeguardingConcern.id).filter_by(response_id=response_id))
        return reference, list(found)


@pytest.mark.parametrize("javascript", [True, False], ids=["javascript", "no-javascript"])
def test_flag_help_needs_attention_acknowledge_and_reveal(
    new_context, new_code, translate, live_app, javascript
):
    def axe(page, where: str) -> None:
        # axe-core runs in the page: only where JavaScript is on (the HTML is the same without it).
        if javascript:
            assert_no_axe_violations(page, where)

    code = new_code("national-secondary")
    dsl_email, lead_email = _staff(live_app, "js" if javascript else "nojs")

    # The pupil: told beforehand, then helped at once when their answer is flagged.
    pupil = new_context(java_script_enabled=javascript).new_page()
    journey = Journey(pupil, translate, text=DISCLOSURE)
    journey.start(code)
    expect(pupil.get_by_text("one other named member of staff can find out together")).to_be_visible()
    journey.agree()
    journey.sections()  # every section, writing the disclosure in the free-text boxes
    assert path(pupil) == "/help"
    expect(pupil.get_by_role("heading", level=1)).to_have_text("Thank you for telling us")
    expect(pupil.get_by_text(TRUSTED_ADULT)).to_be_visible()
    expect(pupil.get_by_text("0800 1111")).to_be_visible()
    axe(pupil, "pupil help page")
    with pupil.expect_navigation():
        pupil.get_by_role("link", name="Carry on with the survey").click()
    assert path(pupil) == "/check-your-answers"

    # The DSL: the concern is waiting on "Needs attention", its own page.
    # One concern for each free-text answer (the journey wrote the disclosure in both boxes).
    reference, concerns = _reference_and_concerns(live_app, code)
    assert len(concerns) == 2
    staff = new_context(java_script_enabled=javascript).new_page()
    staff.goto("/staff/sign-in")
    staff.fill("#email", dsl_email)
    staff.fill("#password", PASSWORD)
    with staff.expect_navigation():
        staff.get_by_role("button", name="Sign in").click()
    assert path(staff) == "/school/100001/safeguarding/"
    expect(staff.get_by_role("heading", level=1)).to_have_text("Needs attention")
    axe(staff, "Needs attention")
    link = staff.get_by_role("link", name="My stepdad hits me at home", exact=False).first
    with staff.expect_navigation():
        link.click()
    concern = int(path(staff).rsplit("/", 1)[1])
    assert concern in concerns
    axe(staff, "a concern")

    # Acknowledge, with a note (an empty note is refused with a message, not lost).
    with staff.expect_navigation():
        staff.get_by_role("button", name="Acknowledge").click()
    expect(staff.locator(".govuk-error-summary")).to_contain_text("Write a note saying what you are doing")
    axe(staff, "acknowledge error")
    staff.get_by_label("What you are doing about it").fill("Spoke to the pupil's head of year today")
    with staff.expect_navigation():
        staff.get_by_role("button", name="Acknowledge").click()
    expect(staff.get_by_text("Acknowledged", exact=False).first).to_be_visible()

    # Two people agree: the school lead types their own email and password.
    staff.get_by_label("Why you need to know who wrote it").fill("Pupil may not be safe to go home")
    staff.get_by_label("The second member of staff's email address").fill(lead_email)
    staff.get_by_label("The second member of staff's password").fill(PASSWORD)
    with staff.expect_navigation():
        staff.get_by_role("button", name="We both agree: show the pupil reference").click()
    expect(staff.locator(".app-reveal__reference")).to_have_text(reference)
    axe(staff, "revealed reference")

    staff.goto("/school/safeguarding/keywords")
    expect(staff.get_by_text("scared ... go home", exact=False)).to_be_visible()
    axe(staff, "keywords")

    with live_app.app_context():
        events = db.session.execute(
            sa.select(AuditEvent.action, AuditEvent.actor, AuditEvent.detail).where(
                AuditEvent.target == f"concern:{concern}"
            )
        ).all()
    actions = [action for action, *_ in events]
    assert actions[0] == "raise_safeguarding_concern"
    assert "acknowledge_safeguarding_concern" in actions
    ((actor, detail),) = [(a, d) for action, a, d in events if action == "reveal_safeguarding_reference"]
    assert actor == dsl_email and detail["agreed_with"] == lead_email
    assert reference not in str(events)  # the audit log never holds the reference
