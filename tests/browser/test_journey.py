"""The whole pupil journey in Chromium: both questionnaires, both languages, every page checked with
axe and at 320px; without JavaScript; by keyboard only; and two pupils sharing one device."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from questionnaires import load
from tests.browser.conftest import assert_no_axe_violations, assert_no_horizontal_scroll, watch
from tests.browser.journey import Journey, by_keyboard, path, saved_response

pytestmark = pytest.mark.browser

QUESTIONNAIRES = {q: load(q) for q in ("national-secondary", "national-primary")}


def expected_answers(questionnaire_id: str, option: int = 0) -> set[str]:
    """The questions a pupil with a roster entry is asked when choosing `option` of every radio group
    and the first checkbox (follow-ups included when those answers ask for them)."""
    values: dict[str, object] = {}
    asked: set[str] = set()
    for section in QUESTIONNAIRES[questionnaire_id].sections:
        if section.only_in is not None:
            continue
        for question in section.questions:
            if question.show_if is not None and not question.show_if.applies(values):
                continue
            asked.add(question.id)
            if question.type == "single":
                values[question.id] = question.options[min(option, len(question.options) - 1)].value
            elif question.type == "multiple":
                values[question.id] = [question.options[0].value]
    return asked


def page_count(questionnaire_id: str) -> int:
    sections = [s for s in QUESTIONNAIRES[questionnaire_id].sections if s.only_in is None]
    return len(sections) + 4  # start, before you start, the sections, check answers, finished


@pytest.mark.parametrize(
    ("questionnaire_id", "language"),
    [
        ("national-secondary", "en"),
        ("national-primary", "cy"),
        ("national-secondary", "cy"),
        ("national-primary", "en"),
    ],
    ids=["secondary-en", "primary-cy", "secondary-cy", "primary-en"],
)
def test_complete_with_every_page_accessible(page, new_code, translate, live_app, questionnaire_id, language):
    """Answer every visible question; axe finds nothing and nothing scrolls sideways at 320px."""
    problems: list[str] = []

    def check(where: str) -> None:
        label = f"{questionnaire_id} in {language}, {where}"
        for assertion in (assert_no_axe_violations, assert_no_horizontal_scroll):
            try:
                assertion(page, label)
            except AssertionError as error:
                problems.append(str(error))

    primary = questionnaire_id == "national-primary"
    code = new_code(questionnaire_id)
    journey = Journey(page, translate, language=language, check=check)
    journey.start(code)
    journey.agree()
    journey.sections()
    if not primary:  # secondary pupils see each section's count of answers, and can change them
        sections = page.locator(".govuk-summary-list__row")
        expect(page.get_by_role("link", name=journey._("Change"))).to_have_count(sections.count())
        assert sections.count() == page_count(questionnaire_id) - 4  # less start, agree, check, finished
    journey.check_answers(primary)
    journey.finished()

    assert len(journey.visited) == page_count(questionnaire_id), journey.visited
    assert journey.revealed == []  # the first options ask no follow-ups
    assert sorted(journey.answered) == sorted(expected_answers(questionnaire_id))
    status, saved_language, answers = saved_response(live_app, code)
    assert (status, saved_language) == ("complete", language)
    assert set(answers) == expected_answers(questionnaire_id)
    assert not problems, "\n\n".join(problems)


def test_complete_without_javascript(new_context, new_code, translate, live_app):
    """Follow-up questions appear on the same page after saving, with no JavaScript at all."""
    page = new_context(java_script_enabled=False).new_page()
    code = new_code("national-secondary")
    journey = Journey(page, translate, option=1, text="Less homework")
    journey.start(code)
    expect(page.locator("body.js-enabled")).to_have_count(0)
    journey.agree()
    journey.sections()
    # Each section's Change link opens it with the pupil's answers, and saving comes back here.
    with page.expect_navigation():
        page.get_by_role("link", name="Change Your ideas").click()
    expect(page.locator("textarea[name=say_better]")).to_have_value("Less homework")
    journey.submit("Save and continue")
    assert path(page) == "/check-your-answers"
    journey.check_answers(primary=False)
    journey.finished()

    assert sorted(journey.revealed) == ["bullied_helped", "ll_missed_why", "unfair_why"]
    status, _, answers = saved_response(live_app, code)
    assert status == "complete"
    assert set(answers) == expected_answers("national-secondary", option=1)
    assert answers["say_better"][2] == "Less homework"


def test_complete_with_the_keyboard_only(page, new_code, live_app):
    """Tab, Space, Enter and typing only: no mouse clicks anywhere."""
    code = new_code("national-primary")
    page.goto("/")
    page.keyboard.press("Tab")
    skip = page.evaluate("() => document.activeElement.textContent.trim()")
    assert skip == "Skip to main content", "the skip link must be the first thing Tab reaches"

    by_keyboard(page, "Start", typed={"code": code})
    assert path(page) == "/before-you-start"
    by_keyboard(page, "Yes, I want to take part")
    for _ in range(30):
        if not path(page).startswith("/section/"):
            break
        by_keyboard(page, "Save and continue")
    assert path(page) == "/check-your-answers"
    by_keyboard(page, "Finish")
    assert path(page) == "/finished"
    by_keyboard(page, "Finish and hand over")
    assert path(page) == "/"

    status, _, answers = saved_response(live_app, code)
    assert status == "complete"
    assert set(answers) == expected_answers("national-primary")
    assert answers["p_say_better"][2] == "More time outside"


def test_language_switch_on_a_question_page_keeps_the_answers(page, new_code, translate):
    journey = Journey(page, translate)
    journey.start(new_code("national-secondary"))
    journey.agree()
    first = page.get_by_role("group").first.get_by_role("radio").first
    first.check()
    with page.expect_navigation():
        page.get_by_role("navigation", name="Language").get_by_role("button", name="Cymraeg").click()
    expect(page.locator("html")).to_have_attribute("lang", "cy")
    assert path(page) == "/section/belonging"
    expect(page.get_by_role("button", name=translate("Save and continue", "cy"), exact=True)).to_be_visible()
    expect(page.get_by_role("group").first.get_by_role("radio").first).to_be_checked()


@pytest.fixture
def shared_device(launch_browser, base_url, browser_problems):
    """A context of a browser with the back-forward cache on, as on a school's own Chromebook
    (Playwright turns the cache off by default)."""
    browser = launch_browser(ignore_default_args=["--disable-back-forward-cache"])
    context = browser.new_context(base_url=base_url)
    watch(context, browser_problems)
    yield context
    context.close()
    browser.close()


def test_two_pupils_one_after_the_other_on_one_device(shared_device, new_code, translate, live_app):
    page = shared_device.new_page()
    cached: list[str] = []

    def check_cache_control(response) -> None:
        kept = "no-store" not in (response.headers.get("cache-control") or "")
        if response.request.resource_type == "document" and kept:
            cached.append(f"{response.status} {response.url}")

    page.on("response", check_cache_control)
    secret = "Pupil one wrote this"
    first = Journey(page, translate, text=secret)
    first.complete(new_code("national-secondary"), primary=False)
    signed_out = translate("Enter your code to start or carry on", "en")

    # Back, as far as the first pupil's last question page: nothing of theirs comes back.
    for _ in range(3):
        page.go_back()
        page.wait_for_load_state()
        assert secret not in page.content(), f"Back showed the first pupil's answers at {page.url}"
        expect(page.locator("input:checked")).to_have_count(0)
        assert path(page) == "/", f"Back showed {page.url} after hand over"
    expect(page.get_by_role("region")).to_contain_text(signed_out)
    page.goto("/check-your-answers")
    assert path(page) == "/"

    second_code = new_code("national-secondary")
    second = Journey(page, translate)
    second.start(second_code)
    second.agree()
    sections = 0
    while path(page).startswith("/section/"):
        sections += 1
        form = page.locator("#section-form")
        expect(form.locator("input:checked")).to_have_count(0)
        for box in form.get_by_role("textbox").all():
            expect(box).to_have_value("")
        second.submit("Save and continue")
    assert sections == page_count("national-secondary") - 4
    assert secret not in page.content()
    # Nothing of the first pupil's: every section of the second says none was answered.
    values = page.locator(".govuk-summary-list__value").all_inner_texts()
    assert values and all(v.strip().startswith("0 of ") for v in values), values
    second.check_answers(primary=False)
    second.finished()
    assert saved_response(live_app, second_code)[2] == {}
    assert cached == [], "pupil pages the browser may keep (no Cache-Control: no-store)"


@pytest.mark.parametrize("language", ["en", "cy"])
def test_no_thanks_page(page, new_code, translate, live_app, language):
    code = new_code("national-primary" if language == "cy" else "national-secondary")
    journey = Journey(page, translate, language=language)
    journey.start(code)
    journey.submit("No thanks")
    expect(page.get_by_role("heading", level=1)).to_have_text(
        journey._("Are you sure you do not want to take part?")
    )
    assert_no_axe_violations(page, f"no thanks: are you sure, in {language}")
    assert_no_horizontal_scroll(page, f"no thanks: are you sure, in {language}")
    journey.submit("Yes, I do not want to take part")
    assert path(page) == "/no-thanks"
    expect(page.get_by_role("heading", level=1)).to_have_text(journey._("That is fine. Thank you"))
    assert_no_axe_violations(page, f"no thanks, in {language}")
    assert_no_horizontal_scroll(page, f"no thanks, in {language}")
    journey.hand_over()
    assert saved_response(live_app, code) == ("refused", language, {})


@pytest.mark.parametrize("language", ["en", "cy"])
def test_stop_and_hand_over_from_a_question_page(page, new_code, translate, live_app, language):
    journey = Journey(page, translate, language=language)
    journey.start(new_code("national-primary" if language == "cy" else "national-secondary"))
    journey.agree()
    with page.expect_navigation():
        page.get_by_role("link", name=journey._("Stop and hand over")).click()
    assert path(page) == "/stop"
    expect(page.get_by_role("heading", level=1)).to_have_text(journey._("Do you want to stop now?"))
    assert_no_axe_violations(page, f"stop and hand over, in {language}")
    assert_no_horizontal_scroll(page, f"stop and hand over, in {language}")
    journey.submit("Stop and hand over")
    assert path(page) == "/"


def test_the_next_pupil_starts_in_the_language_of_the_last(page, new_code, translate):
    journey = Journey(page, translate, language="cy")
    journey.start(new_code("national-primary"))
    journey.submit("No thanks")
    journey.submit("Yes, I do not want to take part")
    journey.hand_over()
    expect(page.locator("html")).to_have_attribute("lang", "cy")
