"""Driving the pupil journey in a browser: enter a code, agree, answer every section, check, finish.

`Journey` clicks and types like a pupil with a mouse: buttons and links by role and name, answers
by clicking each unanswered question's chosen option. `by_keyboard` uses only Tab, Space, Enter and
typing, deciding what to do from the focused element.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import sqlalchemy as sa
from playwright.sync_api import Page, expect

from survey import codes
from survey.extensions import db
from survey.models import Answer, PupilCode

Check = Callable[[str], None]


def path(page: Page) -> str:
    return urlsplit(page.url).path


@dataclass
class Journey:
    """One pupil's way through the survey on `page`, in `language`, with texts from `translate`."""

    page: Page
    translate: Callable[[str, str], str]
    language: str = "en"
    text: str = "More clubs at lunchtime"
    option: int = 0  # which option of each radio group to choose
    check: Check | None = None  # run once on every distinct page (axe, layout, ...)
    answered: list[str] = field(default_factory=list)  # question ids, in the order answered
    revealed: list[str] = field(default_factory=list)  # follow-ups shown after saving their page
    visited: list[str] = field(default_factory=list)

    def _(self, message: str) -> str:
        return self.translate(message, self.language)

    def _visit(self, where: str) -> None:
        expect(self.page.locator("html")).to_have_attribute("lang", self.language)
        self.visited.append(where)
        if self.check:
            self.check(where)

    def submit(self, name: str) -> None:
        with self.page.expect_navigation():
            self.page.get_by_role("button", name=self._(name), exact=True).click()

    # Pages ------------------------------------------------------------------------------------------

    def start(self, code: str) -> None:
        page = self.page
        page.goto("/")
        if self.language != "en":
            with page.expect_navigation():
                page.get_by_role("navigation", name="Language").get_by_role(
                    "link", name=LANGUAGE_NAMES[self.language]
                ).click()
        expect(page.get_by_role("heading", level=1)).to_have_text(self._("Have your say about school"))
        self._visit("start")
        page.get_by_label(self._("Enter your code")).fill(code)
        self.submit("Start")
        assert path(page) == "/before-you-start", f"the code was not accepted: {page.url}"

    def agree(self) -> None:
        expect(self.page.get_by_role("heading", level=1)).to_have_text(self._("Before you start"))
        self._visit("before you start")
        self.submit("Yes, I want to take part")

    def answer_visible(self) -> list[str]:
        """Answer every unanswered question on the page; returns their ids.

        One look at the form finds what is unanswered; each answer is then a real click or typing.
        """
        todo = self.page.locator("#section-form").evaluate(UNANSWERED, self.option)
        for field_id, _name, kind in todo:
            target = self.page.locator(f"[id='{field_id}']")
            if kind == "choice":
                target.check()
            else:
                target.fill(self.text if kind == "textarea" else "3")
        return [name for _, name, _ in todo]

    def sections(self) -> None:
        page = self.page
        while path(page).startswith("/section/"):
            here = path(page)
            heading = page.get_by_role("heading", level=1).inner_text()
            self._visit(f"section {here.rsplit('/', 1)[1]} ({heading})")
            answers = self.answer_visible()
            while True:
                self.answered += answers
                self.submit("Save and continue")
                if path(page) != here:
                    break
                # The page asked a follow-up that an answer on it revealed: answer that too.
                expect(page.get_by_role("heading", level=1)).to_have_text(heading)
                assert "#" in page.url, f"{here} was shown again after saving, with no follow-up to answer"
                answers = self.answer_visible()
                assert answers, f"{here} was shown again after saving, with nothing new to answer"
                self.revealed += answers

    def check_answers(self, primary: bool) -> None:
        heading = "You have reached the end" if primary else "Check your answers"
        expect(self.page.get_by_role("heading", level=1)).to_have_text(self._(heading))
        assert path(self.page) == "/check-your-answers"
        self._visit("check your answers")
        self.submit("Finish")

    def finished(self, hand_over: bool = True) -> None:
        page = self.page
        assert path(page) == "/finished"
        expect(page.get_by_role("heading", level=1)).to_have_text(self._("Thank you"))
        self._visit("finished")
        if hand_over:
            self.hand_over()

    def hand_over(self) -> None:
        """Press "Finish and hand over": the start page, ready for the next pupil, says so."""
        page = self.page
        self.submit("Finish and hand over")
        assert path(page) == "/"
        # In the start page's language (whether the device keeps the pupil's language is its own test).
        language = page.locator("html").get_attribute("lang")
        expect(page.get_by_role("region")).to_contain_text(
            self.translate("Done. This device is ready for the next person", language)
        )
        expect(page.get_by_label(self.translate("Enter your code", language))).to_have_value("")

    def complete(self, code: str, *, primary: bool, hand_over: bool = True) -> None:
        self.start(code)
        self.agree()
        self.sections()
        self.check_answers(primary)
        self.finished(hand_over)


LANGUAGE_NAMES = {"en": "English", "cy": "Cymraeg"}

# [id, name, kind] of what to answer: option `option` of each radio group with nothing chosen, the
# first box of each checkbox group with nothing ticked, and each empty text field.
UNANSWERED = """(form, option) => {
  const todo = [];
  for (const group of form.querySelectorAll('fieldset')) {
    const inputs = [...group.querySelectorAll('input[type=radio], input[type=checkbox]')];
    if (!inputs.length || inputs.some((input) => input.checked)) continue;
    const choice = inputs[0].type === 'radio' ? inputs[Math.min(option, inputs.length - 1)] : inputs[0];
    todo.push([choice.id, choice.name, 'choice']);
  }
  for (const box of form.querySelectorAll('textarea, input[type=text], input:not([type])')) {
    if (!box.value) todo.push([box.id, box.name, box.tagName.toLowerCase()]);
  }
  return todo;
}"""


# Keyboard only ---------------------------------------------------------------------------------------

FOCUSED = """() => {
  const e = document.activeElement;
  if (!e || e === document.body) return null;
  const group = e.name && e.type && /radio|checkbox/.test(e.type)
    ? document.querySelectorAll(`input[name="${CSS.escape(e.name)}"]:checked`).length : 0;
  return {tag: e.tagName.toLowerCase(), type: e.type || '', name: e.name || '', value: e.value || '',
          text: (e.innerText || '').trim(), href: e.getAttribute('href') || '', checkedInGroup: group};
}"""


def by_keyboard(page: Page, button: str, typed: dict[str, str] | None = None, max_tabs: int = 250) -> list:
    """Tab through the page, answering each question once, then press Enter on `button`.

    Radios and checkboxes: Space on the first one of a group that has nothing chosen; empty text
    fields: type into them (`typed` gives text by field name). Returns the focus stops seen.
    """
    typed = typed or {}
    stops: list[dict] = []
    for _ in range(max_tabs):
        page.keyboard.press("Tab")
        focused = page.evaluate(FOCUSED)
        if focused is None:
            continue
        stops.append(focused)
        tag, kind, name = focused["tag"], focused["type"], focused["name"]
        if tag == "input" and kind in ("radio", "checkbox") and not focused["checkedInGroup"]:
            page.keyboard.press("Space")
            assert page.evaluate("() => document.activeElement.checked"), f"Space did not choose {name}"
        elif (tag == "textarea" or (tag == "input" and kind == "text")) and not focused["value"]:
            page.keyboard.type(typed.get(name, "3" if tag == "input" else "More time outside"))
        elif tag == "button" and focused["text"] == button:
            with page.expect_navigation():
                page.keyboard.press("Enter")
            return stops
    raise AssertionError(f"{max_tabs} presses of Tab did not reach the {button!r} button on {page.url}")


# The database ----------------------------------------------------------------------------------------


def saved_response(app, code: str):
    """(status, language, {question id: (value, choices, text)}) of the response made with `code`."""
    with app.app_context():
        pupil_code = db.session.scalar(sa.select(PupilCode).filter_by(code_hash=codes.hash_code(code)))
        response = pupil_code.response
        if response is None:
            return None
        answers = db.session.scalars(sa.select(Answer).filter_by(response_id=response.id))
        return (
            str(response.status),
            response.language,
            {a.question_id: (a.value, a.choices, a.text) for a in answers},
        )
