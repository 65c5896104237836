"""A whole number in a narrow input, between the question's `min` and `max` (0 to a billion)."""

from __future__ import annotations

import re
from typing import Any

from werkzeug.datastructures import MultiDict

from questionnaires import Question

from .. import messages
from ..answers import Given, Parsed
from ..store import Saved
from .base import Params, QuestionHandler, one_value, typed_field

WHOLE_NUMBER = re.compile(r"-?\d{1,9}")


class NumberHandler(QuestionHandler):
    component = "input"

    def parse(self, question: Question, form: MultiDict[str, str]) -> Parsed:
        raw = one_value(form, question).strip()
        if raw == "":
            return Parsed()
        if not WHOLE_NUMBER.fullmatch(raw):
            return Parsed(error=str(messages.NOT_A_NUMBER), raw=raw)
        value = int(raw)
        low = question.min if question.min is not None else 0
        high = question.max if question.max is not None else 10**9
        if not low <= value <= high:
            return Parsed(error=str(messages.NUMBER_OUT_OF_RANGE % {"min": low, "max": high}), raw=raw)
        return Parsed(Given(value=value), raw=raw)

    def params(
        self, question: Question, shown: Any, language: str, error: str | None, primary: bool
    ) -> Params:
        return typed_field(
            question, shown, language, error, primary, inputmode="numeric", classes="govuk-input--width-4"
        )

    def answer_text(self, question: Question, answer: Saved, language: str) -> str:
        return str(answer.value)
