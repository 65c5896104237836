"""The pupil journey's JavaScript enhancements in a real browser: read-aloud and the timeout warning.

Debian's Chromium through Playwright, against the app served by werkzeug on a free local port with a
one-minute idle timeout (`short_timeout_server` in tests/browser/conftest.py). Time in the
page runs on Playwright's fake clock; the server's session clock is moved forward where a test
needs the server to have ended the session too.

Every test fails if the page logged a console error (JavaScript errors and Content Security Policy
violations both do), threw an uncaught error, or got a response of 400 or more.

Skipped when `chromium` is not on the PATH, except in CI (CI=true), where that fails.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable

import pytest
import sqlalchemy as sa

from survey import codes as pupil_codes
from survey.extensions import db
from survey.models import PupilCode, Wave, utcnow
from survey.pupil import session as pupil_session
from tests.browser.conftest import LiveServer, code_maker

pytestmark = pytest.mark.browser

TIMEOUT_MINUTES = 1  # the warning then comes at half-time, after 30 seconds
SECOND = 1000  # page.clock works in milliseconds

# Records what the page asks the browser to say, instead of saying it (headless Chromium has no
# voices). Real SpeechSynthesisUtterance objects are kept, so tests can fire their "end" events.
SPEECH_STUB = """
(() => {
  const record = { spoken: [], cancelled: 0 };
  window.__speech = record;
  let synth = window.speechSynthesis;
  if (!synth) {
    synth = { speaking: false, pending: false, paused: false, getVoices: () => [] };
    Object.defineProperty(window, "speechSynthesis", { value: synth, configurable: true });
  }
  synth.speak = (utterance) => record.spoken.push({ text: utterance.text, lang: utterance.lang, utterance });
  synth.cancel = () => { record.cancelled += 1; };
  if (typeof window.SpeechSynthesisUtterance !== "function") {
    window.SpeechSynthesisUtterance = class extends EventTarget {
      constructor(text) { super(); this.text = text; this.lang = ""; this.voice = null; }
    };
  }
})();
"""
NO_SPEECH = "delete window.SpeechSynthesisUtterance;"
# Content Security Policy violations are console errors in Chromium already; this names them.
CSP_WATCH = """
document.addEventListener("securitypolicyviolation", (event) => {
  console.error(`CSP violation: ${event.violatedDirective} blocked ${event.blockedURI || "inline"}`);
});
"""
SPOKEN = "() => window.__speech.spoken.map(({ text, lang }) => ({ text, lang }))"
OPTION_LABELS = ".govuk-radios__label, .govuk-checkboxes__label"


# The app: tests/browser/conftest.py's, with a one-minute idle timeout -------------------------------


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args: dict, short_timeout_server: LiveServer) -> dict:
    return {**browser_context_args, "base_url": short_timeout_server.url}


@pytest.fixture(scope="module")
def new_code(short_timeout_server: LiveServer, tmp_path_factory) -> Callable[[str], str]:
    """new_code("national-primary") → a fresh code for a pupil on the roster of an open wave."""
    app = short_timeout_server.app
    make_code = code_maker(app, tmp_path_factory.mktemp("javascript"))

    def make(questionnaire_id: str = "national-secondary") -> str:
        code = make_code(questionnaire_id)
        assert pupil_codes.looks_like_a_code(code)
        with app.app_context():
            wave = db.session.scalar(
                sa.select(Wave).join(PupilCode).filter(PupilCode.code_hash == pupil_codes.hash_code(code))
            )
            assert wave.opens_at < utcnow() < wave.closes_at
        return code

    return make


class ServerClock:
    """Stands in for the `time` module in survey.pupil.session: real time plus `offset` seconds."""

    def __init__(self) -> None:
        self.offset = 0.0

    def time(self) -> float:
        return time.time() + self.offset


@pytest.fixture
def server_clock(monkeypatch) -> ServerClock:
    clock = ServerClock()
    monkeypatch.setattr(pupil_session, "time", clock)
    return clock


# The browser: tests/browser/conftest.py's, watched for errors ----------------------------------------


@pytest.fixture
def new_context(new_context):
    """new_context(speech=True, javascript=True) → a watched browser context on the live server."""

    def make(*, speech: bool = True, javascript: bool = True):
        context = new_context(java_script_enabled=javascript)
        context.add_init_script(CSP_WATCH)
        context.add_init_script(SPEECH_STUB if speech else NO_SPEECH)
        return context

    return make


def sign_in(context, code: str) -> None:
    """Enter the code and agree to take part (CSRF is off in the test app, so plain posts do)."""
    entered = context.request.post("/", form={"code": code}, max_redirects=0)
    assert entered.status == 302, entered.text()
    agreed = context.request.post("/before-you-start", form={"choice": "yes"}, max_redirects=0)
    assert agreed.headers["location"] == "/section/belonging"


def skip_to(context, section_id: str) -> str:
    """Save each page with nothing answered (every question may be left out) until `section_id`."""
    path = "/section/belonging"
    target = "/check-your-answers" if section_id == "check-your-answers" else f"/section/{section_id}"
    for _ in range(20):
        if path == target:
            return path
        saved = context.request.post(path, form={"action": "save"}, max_redirects=0)
        assert saved.status == 302, f"{path}: {saved.status}"
        path = saved.headers["location"].split("#")[0]
    raise AssertionError(f"never reached {section_id}")


def pupil_page(new_context, new_code, questionnaire="national-secondary", section="belonging", **options):
    context = new_context(**options)
    sign_in(context, new_code(questionnaire))
    path = skip_to(context, section)
    page = context.new_page()
    return page, path


def expected_speech(page, index: int) -> list[str]:
    """What the n-th question should say, read from the page without the app's own script."""
    return page.evaluate(
        """([index, optionLabels]) => {
          const wrapper = document.querySelectorAll("[data-read-aloud]")[index];
          const words = (element) => element.textContent.replace(/\\s+/g, " ").trim();
          const question = wrapper.querySelector("legend") ?? wrapper.querySelector("label:not(.govuk-radios__label, .govuk-checkboxes__label)");
          const hint = wrapper.querySelector(".govuk-form-group > .govuk-hint, .govuk-fieldset > .govuk-hint");
          return [question, hint, ...wrapper.querySelectorAll(optionLabels)].filter(Boolean).map(words);
        }""",
        [index, OPTION_LABELS],
    )


# Read aloud ------------------------------------------------------------------------------------------


def test_read_aloud_button_per_question_speaks_question_and_options(new_context, new_code):
    page, path = pupil_page(new_context, new_code)
    page.goto(path)

    wrappers = page.locator("[data-read-aloud]")
    buttons = page.locator(".app-read-aloud")
    assert wrappers.count() >= 2
    assert buttons.count() == wrappers.count()
    for index in range(wrappers.count()):
        first = wrappers.nth(index).locator(":scope > *").first
        assert first.evaluate(
            "(e) => e.matches('button.govuk-button.govuk-button--secondary.app-read-aloud')"
        )
        assert first.get_attribute("type") == "button"
        assert first.get_attribute("aria-pressed") == "false"
        assert first.inner_text() == "Read aloud"

    button = buttons.first
    button.click()
    spoken = page.evaluate(SPOKEN)
    expected = expected_speech(page, 0)
    assert expected[0] == page.locator("[data-read-aloud] legend").first.inner_text().strip()
    assert len(expected) == 1 + page.locator("[data-read-aloud]").first.locator(OPTION_LABELS).count()
    assert [item["text"] for item in spoken] == expected
    assert {item["lang"] for item in spoken} == {"en-GB"}
    assert button.inner_text() == "Stop reading"
    assert button.get_attribute("aria-pressed") == "true"

    # Pressing again while speaking stops it.
    cancelled = page.evaluate("() => window.__speech.cancelled")
    button.click()
    assert page.evaluate("() => window.__speech.cancelled") > cancelled
    assert button.inner_text() == "Read aloud"
    assert button.get_attribute("aria-pressed") == "false"
    assert len(page.evaluate(SPOKEN)) == len(spoken)  # nothing new said

    # Another question's button takes over; the end of its last option resets it.
    button.click()
    second = buttons.nth(1)
    second.click()
    assert button.get_attribute("aria-pressed") == "false"
    assert second.get_attribute("aria-pressed") == "true"
    assert [item["text"] for item in page.evaluate(SPOKEN)][
        -len(expected_speech(page, 1)) :
    ] == expected_speech(page, 1)
    page.evaluate("() => window.__speech.spoken.at(-1).utterance.dispatchEvent(new Event('end'))")
    assert second.inner_text() == "Read aloud"
    assert second.get_attribute("aria-pressed") == "false"


def test_read_aloud_reads_hints_and_checkbox_options_not_dividers(new_context, new_code):
    page, path = pupil_page(new_context, new_code, section="learning")
    page.goto(path)

    wrappers = page.locator("[data-read-aloud]")
    assert page.locator(".app-read-aloud").count() == wrappers.count()
    checkboxes = next(
        i for i in range(wrappers.count()) if wrappers.nth(i).locator(".govuk-checkboxes").count()
    )
    hinted = next(
        i for i in range(wrappers.count()) if wrappers.nth(i).locator(".govuk-fieldset > .govuk-hint").count()
    )
    for index in (hinted, checkboxes):
        page.evaluate("() => { window.__speech.spoken.length = 0; }")
        wrappers.nth(index).locator(".app-read-aloud").click()
        spoken = [item["text"] for item in page.evaluate(SPOKEN)]
        expected = expected_speech(page, index)
        hint = wrappers.nth(index).locator(".govuk-fieldset > .govuk-hint").inner_text().strip()
        assert spoken == expected
        assert spoken[1] == hint
        assert "or" not in spoken  # the "or" before an exclusive option is not an option
        wrappers.nth(index).locator(".app-read-aloud").click()  # stop


def test_read_aloud_reads_a_text_question_label_and_hint(new_context, new_code):
    page, path = pupil_page(new_context, new_code, section="your_say")
    page.goto(path)

    wrapper = page.locator("[data-read-aloud]").first
    assert wrapper.locator("textarea").count() == 1
    wrapper.locator(".app-read-aloud").click()
    spoken = [item["text"] for item in page.evaluate(SPOKEN)]
    label = wrapper.locator("label").first.inner_text().strip()
    hint = wrapper.locator(".govuk-form-group > .govuk-hint").first.inner_text().strip()
    assert spoken == [label, hint]  # not the character count's "You can enter up to …"


def test_read_aloud_in_welsh_and_without_the_decorative_symbols(new_context, new_code):
    page, path = pupil_page(new_context, new_code, questionnaire="national-primary")
    page.goto(f"/language/cy?next={path}")
    assert page.locator("html").get_attribute("lang") == "cy"

    assert page.locator("[data-read-aloud] .app-symbol[aria-hidden='true']").count() > 0
    button = page.locator(".app-read-aloud").first
    assert button.inner_text() == "Darllen yn uchel"
    button.click()
    spoken = page.evaluate(SPOKEN)
    assert [item["text"] for item in spoken] == expected_speech(page, 0)
    assert {item["lang"] for item in spoken} == {"cy-GB"}
    assert button.inner_text() == "Stopio darllen"
    assert button.get_attribute("aria-pressed") == "true"


def test_the_primary_before_you_start_is_read_aloud_paragraph_by_paragraph(new_context, new_code):
    context = new_context()
    context.request.post("/", form={"code": new_code("national-primary")}, max_redirects=0)
    page = context.new_page()
    page.goto("/before-you-start")
    buttons = page.locator(".app-read-aloud")
    assert buttons.count() == 1
    buttons.first.click()
    spoken = [item["text"] for item in page.evaluate(SPOKEN)]
    paragraphs = page.locator("[data-read-aloud] p").all_inner_texts()
    assert spoken == [" ".join(p.split()) for p in paragraphs] and len(spoken) == 5


ENGLISH_VOICE_ONLY = """
(() => {
  const voices = [{ lang: "en-GB", name: "English", default: true }];
  window.speechSynthesis.getVoices = () => voices;
})();
"""


@pytest.mark.parametrize(("language", "shown"), [("en", True), ("cy", False)])
def test_read_aloud_is_hidden_when_the_device_has_no_voice_for_the_language(
    new_context, new_code, language, shown
):
    context = new_context()
    context.add_init_script(ENGLISH_VOICE_ONLY)
    sign_in(context, new_code("national-primary"))
    page = context.new_page()
    page.goto(f"/language/{language}?next=/section/belonging")
    assert page.locator("html").get_attribute("lang") == language
    buttons = page.locator(".app-read-aloud")
    assert buttons.count() >= 2
    assert [buttons.nth(i).is_visible() for i in range(buttons.count())] == [shown] * buttons.count()


def test_no_read_aloud_without_javascript(new_context, new_code):
    page, path = pupil_page(new_context, new_code, javascript=False)
    page.goto(path)
    assert page.locator("[data-read-aloud]").count() >= 2
    assert page.locator(".app-read-aloud").count() == 0
    assert page.locator("dialog").count() == 0


def test_no_read_aloud_without_speech_synthesis(new_context, new_code):
    page, path = pupil_page(new_context, new_code, speech=False)
    page.goto(path)
    assert page.evaluate("() => typeof window.SpeechSynthesisUtterance") == "undefined"
    assert page.locator("[data-read-aloud]").count() >= 2
    assert page.locator(".app-read-aloud").count() == 0


# Timeout warning -------------------------------------------------------------------------------------


def test_timeout_warning_appears_before_the_timeout_and_still_here_keeps_the_pupil(new_context, new_code):
    page, path = pupil_page(new_context, new_code)
    page.clock.install()
    page.goto(path)
    assert page.locator("body").get_attribute("data-idle-timeout-minutes") == str(TIMEOUT_MINUTES)
    dialog = page.locator("dialog.app-timeout-dialog")
    page.focus("#belong_part")

    page.clock.run_for(29 * SECOND)
    assert not dialog.is_visible()
    page.clock.run_for(2 * SECOND)  # half of a one-minute timeout
    assert dialog.is_visible()
    assert dialog.evaluate("(d) => d.open && d.matches(':modal')")
    assert dialog.get_by_role("heading", name="Are you still there?").is_visible()
    assert "keep your answers private" in dialog.inner_text()
    assert "will not be lost" in dialog.inner_text()
    still_here = dialog.get_by_role("button", name="I'm still here")
    assert page.evaluate("() => document.activeElement.textContent") == "I'm still here"

    with page.expect_response("**/still-here") as renewal:
        still_here.click()
    assert renewal.value.status == 204
    assert not dialog.is_visible()
    assert page.url.endswith(path)
    assert page.evaluate("() => document.activeElement.id") == "belong_part"  # focus came back

    # The timer restarted: no warning until half-time again, and then Escape counts as "still here".
    page.clock.run_for(25 * SECOND)
    assert not dialog.is_visible()
    page.clock.run_for(7 * SECOND)
    assert dialog.is_visible()
    with page.expect_response("**/still-here") as renewal:
        page.keyboard.press("Escape")
    assert renewal.value.status == 204
    assert not dialog.is_visible()
    page.clock.run_for(40 * SECOND)  # past the old deadline: still here
    assert page.url.endswith(path)
    assert page.locator("h1").inner_text() == "Being part of school"


def test_activity_restarts_the_timer(new_context, new_code):
    page, path = pupil_page(new_context, new_code)
    page.clock.install()
    page.goto(path)
    dialog = page.locator("dialog.app-timeout-dialog")

    page.clock.run_for(20 * SECOND)
    with page.expect_response("**/still-here") as renewal:
        page.locator("label[for='belong_part']").click()  # answering renews the session
        page.clock.run_for(2 * SECOND)  # keep-alives wait a second after the activity
    assert renewal.value.status == 204
    page.clock.run_for(13 * SECOND)  # 35 seconds after loading: would have warned at 30
    assert not dialog.is_visible()
    page.clock.run_for(20 * SECOND)  # 30 seconds after the keep-alive
    assert dialog.is_visible()


def watch_keep_alives(context) -> list[str]:
    sent: list[str] = []
    context.on("request", lambda request: sent.append(request.url) if "/still-here" in request.url else None)
    return sent


def test_no_keep_alive_around_sending_a_page(new_context, new_code):
    """A keep-alive answered after "Save and continue" could undo the session the form's answer set."""
    page, path = pupil_page(new_context, new_code)
    keep_alives = watch_keep_alives(page.context)
    page.clock.install()
    page.goto(path)
    page.clock.run_for(20 * SECOND)  # long enough since the page loaded for a keep-alive
    with page.expect_navigation():
        page.get_by_role("button", name="Save and continue").click()
    assert page.url.endswith("/section/adults")
    page.clock.run_for(5 * SECOND)
    assert keep_alives == []


def test_finish_and_hand_over_signs_the_pupil_out(new_context, new_code):
    context = new_context()
    sign_in(context, new_code())
    skip_to(context, "check-your-answers")
    finished = context.request.post("/check-your-answers", form={}, max_redirects=0)
    assert finished.headers["location"] == "/finished"
    keep_alives = watch_keep_alives(context)
    page = context.new_page()
    page.clock.install()
    page.goto("/finished")
    assert page.locator("body").get_attribute("data-pupil-signed-in") == "true"
    page.clock.run_for(20 * SECOND)
    with page.expect_navigation():
        page.get_by_role("button", name="Finish and hand over").click()
    page.clock.run_for(5 * SECOND)
    assert keep_alives == []
    assert page.locator("body").get_attribute("data-pupil-signed-in") is None
    assert context.request.get("/still-here").status == 401  # the session really ended


def test_when_time_runs_out_the_pupil_goes_to_the_start_page(new_context, new_code, server_clock):
    page, path = pupil_page(new_context, new_code)
    page.clock.install()
    page.goto(path)
    page.clock.run_for(31 * SECOND)
    assert page.locator("dialog.app-timeout-dialog").is_visible()

    server_clock.offset = 2 * 60  # the server's minute is up too
    with page.expect_navigation():
        page.clock.run_for(31 * SECOND)
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+/", page.url)
    assert "We closed the survey because nobody used it for a while" in page.locator("main").inner_text()
    assert page.locator("body").get_attribute("data-pupil-signed-in") is None
    assert page.locator("dialog").count() == 0


def test_still_here_after_the_session_ended_goes_to_the_start_page(new_context, new_code, server_clock):
    page, path = pupil_page(new_context, new_code)
    page.clock.install()
    page.goto(path)
    page.clock.run_for(31 * SECOND)
    server_clock.offset = 2 * 60  # e.g. the laptop slept: the server has ended the session

    with page.expect_navigation():
        page.get_by_role("button", name="I'm still here").click()
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+/", page.url)
    # The keep-alive did not follow the server's redirect, so the message was left for this page.
    assert "We closed the survey because nobody used it for a while" in page.locator("main").inner_text()


def test_no_timeout_warning_before_a_code_is_entered(new_context):
    page = new_context().new_page()
    page.clock.install()
    page.goto("/")
    assert page.locator("body").get_attribute("data-pupil-signed-in") is None
    page.clock.run_for(3 * 60 * SECOND)
    assert page.locator("dialog").count() == 0
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+/", page.url)


def test_welsh_timeout_warning(new_context, new_code):
    page, path = pupil_page(new_context, new_code)
    page.clock.install()
    page.goto(f"/language/cy?next={path}")
    page.clock.run_for(31 * SECOND)
    dialog = page.locator("dialog.app-timeout-dialog")
    assert dialog.get_by_role("heading", name="Wyt ti dal yna?").is_visible()
    with page.expect_response("**/still-here"):
        dialog.get_by_role("button", name="Rydw i dal yma").click()
    assert not dialog.is_visible()
