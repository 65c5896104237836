"""One handler per question type: how the pupil pages read, draw and show each kind of question.

Modelled on ONS eq-questionnaire-runner's field handlers. `HANDLERS` maps every type declared in
`questionnaires.QUESTION_TYPES` to its handler (a test checks none is missing); nothing else in the
pupil journey switches on a question's type. Adding a type is described in docs/question-types.md.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask_babel import gettext as _
from werkzeug.datastructures import MultiDict

from questionnaires import Question

from ..answers import Parsed
from ..store import Saved
from .base import Params, QuestionHandler
from .choice import MultipleHandler, SingleHandler
from .number import NumberHandler
from .text import TextHandler

__all__ = ["HANDLERS", "QuestionHandler", "answer_text", "handler_for", "params", "parse", "shown_values"]

HANDLERS: dict[str, QuestionHandler] = {
    "single": SingleHandler(),
    "multiple": MultipleHandler(),
    "text": TextHandler(),
    "number": NumberHandler(),
}


def handler_for(question: Question) -> QuestionHandler:
    return HANDLERS[question.type]


def parse(question: Question, form: MultiDict[str, str]) -> Parsed:
    return handler_for(question).parse(question, form)


def params(
    question: Question, shown: Any, language: str, error: str | None, primary: bool
) -> tuple[str, Params]:
    """(GOV.UK Frontend component, its parameters) for one question."""
    handler = handler_for(question)
    return handler.component, handler.params(question, shown, language, error, primary)


def shown_values(
    questions: list[Question], answers: Mapping[str, Saved], raw: Mapping[str, object]
) -> dict[str, Any]:
    """What each field shows: what was just posted (beside an error), otherwise what was saved."""
    shown: dict[str, Any] = {}
    for q in questions:
        if q.id in raw:
            shown[q.id] = raw[q.id]
            continue
        answer = answers.get(q.id)
        if answer is None:
            continue
        handler = handler_for(q)
        shown[q.id] = (
            handler.shown_prefer_not_to_say() if answer.prefer_not_to_say else handler.shown(q, answer)
        )
    return shown


def answer_text(question: Question, answer: Saved | None, language: str) -> str:
    """An answer in words, for "Check your answers"."""
    if answer is None:
        return _("Not answered")
    if answer.prefer_not_to_say:
        return _("Prefer not to say")
    return handler_for(question).answer_text(question, answer, language)
