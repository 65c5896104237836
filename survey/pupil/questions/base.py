"""What every question type's handler does, and the pieces several of them share."""

from __future__ import annotations

from typing import Any

from werkzeug.datastructures import MultiDict

from questionnaires import Question

from ..answers import PREFER_NOT_TO_SAY, BadInput, Parsed
from ..store import Saved

Params = dict[str, Any]  # a GOV.UK Frontend component's parameters


class QuestionHandler:
    """One question type on the pupil pages: how a post is read, how the question is drawn and how
    a saved answer is shown. A subclass sets `component` and writes `parse`, `params` and
    `answer_text`; blank answers and "Prefer not to say" are dealt with before it is asked."""

    component: str  # the GOV.UK Frontend component that draws it: "radios", "input", ...
    # Whether one rendering with no option ticked can be cut at each option's tick and reused
    # (see `survey.pupil.rendering`): true only for radios and checkboxes.
    cut_at_ticks: bool = False

    def parse(self, question: Question, form: MultiDict[str, str]) -> Parsed:
        """The answer in `form` (blank: `Parsed()`), a message for the pupil, or `BadInput`."""
        raise NotImplementedError

    def params(
        self, question: Question, shown: Any, language: str, error: str | None, primary: bool
    ) -> Params:
        """The component's parameters, showing `shown` (what `shown` returned, or what was posted)."""
        raise NotImplementedError

    def shown(self, question: Question, answer: Saved) -> Any:
        """What the field shows for a saved answer (not "Prefer not to say")."""
        if answer.text is not None:
            return answer.text
        return None if answer.value is None else str(answer.value)

    def shown_prefer_not_to_say(self) -> Any:
        return PREFER_NOT_TO_SAY

    def answer_text(self, question: Question, answer: Saved, language: str) -> str:
        """The saved answer in words, for "Check your answers" (not "Prefer not to say")."""
        raise NotImplementedError


def one_value(form: MultiDict[str, str], question: Question) -> str:
    """The question's single posted value ("" when missing); two values are no post of this page."""
    values = form.getlist(question.id)
    if len(values) > 1:
        raise BadInput(f"{question.id}: more than one value")
    return values[0] if values else ""


def hint_and_error(question: Question, language: str, error: str | None) -> Params:
    params: Params = {}
    if question.hint:
        params["hint"] = {"text": question.hint.get_for(language)}
    if error:
        params["errorMessage"] = {"text": error}
    return params


def typed_field(
    question: Question, shown: Any, language: str, error: str | None, primary: bool, **extra: Any
) -> Params:
    """Parameters of a box the pupil types in (input, character count), with the component's own `extra`."""
    size = "govuk-label--m" if primary else "govuk-label--s"
    return {
        "name": question.id,
        "id": question.id,
        "value": shown or "",
        "label": {"text": question.text.get_for(language), "classes": size},
        **extra,
        **hint_and_error(question, language, error),
    }
