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
        return typed_field(
            question, shown, language, error, primary, maxlength=question.max_length, rows=4, spellcheck=True
        )

    def answer_text(self, question: Question, answer: Saved, language: str) -> str:
        return answer.text or ""
