"""The pupil start page in Chromium: content, accessibility, reflow at 320px, and without JavaScript."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import assert_no_axe_violations, assert_no_horizontal_scroll

pytestmark = pytest.mark.browser

HEADING = "Have your say about school"


def test_start_page_loads(page):
    response = page.goto("/")
    assert response.status == 200
    expect(page).to_have_title(f"{HEADING} – Pupil Voice")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", level=1)).to_have_text(HEADING)
    code = page.get_by_label("Enter your code")
    expect(code).to_be_visible()
    expect(code).to_be_editable()
    expect(page.get_by_role("button", name="Start")).to_be_visible()
    # GOV.UK Frontend's JavaScript ran (the module script loaded under the CSP).
    expect(page.locator("body")).to_have_class(re.compile(r"\bjs-enabled\b.*\bgovuk-frontend-supported\b"))


def test_start_page_has_no_axe_violations(page):
    page.goto("/")
    assert_no_axe_violations(page)


def test_start_page_does_not_scroll_sideways_at_320px(page):
    page.set_viewport_size({"width": 320, "height": 640})
    page.goto("/")
    expect(page.get_by_label("Enter your code")).to_be_visible()
    assert page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")
    assert_no_horizontal_scroll(page)


def test_start_page_works_without_javascript(new_context):
    page = new_context(java_script_enabled=False).new_page()
    page.goto("/")
    expect(page.get_by_role("heading", level=1)).to_have_text(HEADING)
    expect(page.get_by_label("Enter your code")).to_be_visible()
    expect(page.get_by_role("button", name="Start")).to_be_visible()
    expect(page.locator("body.js-enabled")).to_have_count(0)


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_empty_code_shows_the_error_summary(new_context, javascript):
    page = new_context(java_script_enabled=javascript).new_page()
    page.goto("/")
    page.get_by_role("button", name="Start").click()

    summary = page.get_by_role("alert")
    expect(summary).to_contain_text("There is a problem")
    expect(page).to_have_title(f"Error: {HEADING} – Pupil Voice")
    expect(page.locator("#code-error")).to_contain_text("Enter the code from your slip")
    if javascript:
        # GOV.UK Frontend's JavaScript moves focus to the summary.
        expect(page.locator(".govuk-error-summary")).to_be_focused()
        assert_no_axe_violations(page, "the start page with an error")
    summary.get_by_role("link", name="Enter the code from your slip").click()
    expect(page.get_by_label("Enter your code")).to_be_focused()
