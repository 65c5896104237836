"""The staff portals in Chromium on the demo data: axe-core on every page, keyboard only, 320px wide."""

from __future__ import annotations

import pytest

from survey.demo import DEMO_PASSWORD

from .conftest import assert_no_axe_violations, assert_no_horizontal_scroll

pytestmark = pytest.mark.browser

SCHOOL_PAGES = [
    "/school/990001/",
    "/school/990001/results",
    "/school/990001/results?group=ethnicity_major&scale=safety",
    "/school/990001/comments",
    "/school/990001/waves/1/",
    "/school/990001/waves/1/rates",
    "/school/990001/waves/new",
    "/school/990001/trusted-adult",
    "/school/990001/you-said-we-did",
]
REVIEW_PAGES = [
    "/review/",
    "/review/?q=Park",
    "/review/schools/990002",
    "/review/compare",
    "/review/compare?adjust=contextualised",
    "/review/areas",
    "/review/disproportionality",
]
ADMIN_PAGES = ["/admin/schools", "/admin/users", "/admin/waves", "/admin/audit", "/admin/withdraw"]


@pytest.fixture(scope="session")
def staff_server(start_live_server, demo_copy):
    """The app on a copy of the run's demo data (on PostgreSQL, as in production), served for the
    whole session."""
    return start_live_server(demo_copy("postgresql"))


def sign_in(page, server, email: str) -> None:
    page.goto(f"{server.url}/staff/sign-in")
    page.fill("#email", email)
    page.fill("#password", DEMO_PASSWORD)
    page.click("button[type=submit], input[type=submit]")
    page.wait_for_load_state()
    assert "/staff/sign-in" not in page.url


@pytest.mark.parametrize(
    ("email", "pages"),
    [
        ("lead@demo.example", SCHOOL_PAGES),
        ("reviewer@demo.example", REVIEW_PAGES),
        ("admin@demo.example", ADMIN_PAGES),
    ],
)
def test_every_staff_page_has_no_axe_violations(page, staff_server, email, pages):
    sign_in(page, staff_server, email)
    for path in pages:
        response = page.goto(f"{staff_server.url}{path}")
        assert response.status == 200, path
        assert_no_axe_violations(page, path)


@pytest.mark.parametrize(
    ("email", "path"),
    [("lead@demo.example", "/school/990001/results"), ("reviewer@demo.example", "/review/compare")],
)
def test_dashboards_do_not_scroll_sideways_at_320px(new_context, staff_server, email, path):
    page = new_context(viewport={"width": 320, "height": 640}).new_page()
    sign_in(page, staff_server, email)
    page.goto(f"{staff_server.url}{path}")
    assert_no_horizontal_scroll(page, path)


def tab_to(page, text: str, presses: int = 80) -> None:
    """Press Tab until the focused element's text or value contains `text`."""
    for _ in range(presses):
        page.keyboard.press("Tab")
        focused = page.evaluate(
            "() => (document.activeElement.innerText || document.activeElement.value || '')"
        )
        if text in focused:
            return
    raise AssertionError(f"could not reach {text!r} with the Tab key")


def test_a_school_lead_reaches_results_and_a_download_with_the_keyboard_only(page, staff_server):
    page.goto(f"{staff_server.url}/staff/sign-in")
    page.keyboard.press("Tab")  # the skip link
    for _ in range(10):
        page.keyboard.press("Tab")
        if page.evaluate("() => document.activeElement.id") == "email":
            break
    page.keyboard.type("lead@demo.example")
    page.keyboard.press("Tab")
    page.keyboard.type(DEMO_PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url("**/school/990001/")

    tab_to(page, "See your results")
    page.keyboard.press("Enter")
    page.wait_for_url("**/results")
    # The filters work from the keyboard: choose a group and show it.
    tab_to(page, "Free school meals")
    page.keyboard.press("End")  # the last group in the list
    tab_to(page, "Show")
    page.keyboard.press("Enter")
    page.wait_for_url("**group=looked_after**")
    assert page.inner_text("#table-gaps thead th >> nth=0") == "Looked after"
    with page.expect_download() as download:
        tab_to(page, "CSV")
        page.keyboard.press("Enter")
    assert download.value.suggested_filename.endswith(".csv")
