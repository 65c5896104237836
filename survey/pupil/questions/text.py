"""Free text: a character count box. Control characters are dropped; Windows line ends made plain."""

from __future__ import annotations

import re
from typing import Any

from werkzeug.datastructures import MultiDict

from questionnaires import Question

from .. import messages
from ..answers import Given, Parsed
from ..store import Saved
from .base import Params, QuestionHandler, one_value, typed_field

# Control characters other than tab and newlines: never meaningful in a pupil's text.
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
DEFAULT_MAX_LENGTH = 1500
_CY_PLURALS = ("zero", "one", "two", "few", "many", "other")  # Welsh's plural forms (Intl.PluralRules)


def _welsh_count(text: str) -> dict[str, str]:
    # A Welsh noun after a number stays singular ("100 nod"), so every form reads the same.
    return dict.fromkeys(_CY_PLURALS, text)


# GOV.UK Frontend's character count writes these itself (in English unless told): in Welsh, the
# description without JavaScript and the live count with it. Needs review by a fluent Welsh speaker.
WELSH_CHARACTER_COUNT = {
    "textareaDescriptionText": "Gelli di ysgrifennu hyd at %{count} nod",
    "charactersUnderLimitText": _welsh_count("Mae gen ti %{count} nod ar ôl"),
    "charactersAtLimitText": "Does gen ti ddim nodau ar ôl",
    "charactersOverLimitText": _welsh_count("Mae gen ti %{count} nod yn ormod"),
}


class TextHandler(QuestionHandler):
    component = "characterCount"

    def parse(self, question: Question, form: MultiDict[str, str]) -> Parsed:
        raw = CONTROL.sub("", one_value(form, question)).replace("\r\n", "\n").strip()
        if not raw:
            return Parsed()
        limit = question.max_length or DEFAULT_MAX_LENGTH
        if len(raw) > limit:
            message = messages.TOO_LONG % {"max": f"{limit:,}", "count": f"{len(raw):,}"}
            return Parsed(error=str(message), raw=raw)
        return Parsed(Given(text=raw), raw=raw)

    def params(
        self, question: Question, shown: Any, language: str, error: str | None, primary: bool
    ) -> Params:
        welsh = WELSH_CHARACTER_COUNT if language == "cy" else {}
        return typed_field(
            question, shown, language, error, primary, maxlength=question.max_length, rows=4, spellcheck=True,
            **welsh,
        )  # fmt: skip

    def answer_text(self, question: Question, answer: Saved, language: str) -> str:
        return answer.text or ""
