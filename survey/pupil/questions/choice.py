"""Single and multiple choice: radios and checkboxes, with an optional "Prefer not to say"."""

from __future__ import annotations

from typing import Any

from flask_babel import get_locale
from flask_babel import gettext as _
from markupsafe import Markup, escape
from werkzeug.datastructures import MultiDict

from questionnaires import Option, Question

from .. import messages
from ..answers import PREFER_NOT_TO_SAY, BadInput, Given, Parsed
from ..store import Saved
from .base import Params, QuestionHandler, hint_and_error, one_value


def _choice(raw: str, question: Question) -> int:
    # Exactly a value the page offered: int() would also take " 1", "01", "1_0" and other digits.
    for value in question.values:
        if raw == str(value):
            return value
    raise BadInput(f"{question.id}: {raw[:20]!r} is not an option")


def _option_label(option: Option, language: str, primary: bool) -> Params:
    text = option.label.get_for(language)
    if primary and option.symbol:
        symbol = Markup('<span class="app-symbol app-symbol--{}" aria-hidden="true"></span> ').format(
            option.symbol
        )
        return {"html": symbol + escape(text)}
    return {"text": text}


def _language() -> str:
    locale = get_locale()
    return locale.language if locale else "en"


class _Choice(QuestionHandler):
    cut_at_ticks = True
    multiple = False

    def params(
        self, question: Question, shown: Any, language: str, error: str | None, primary: bool
    ) -> Params:
        selected = set(shown if isinstance(shown, list) else [shown] if shown else [])
        items: list[Params] = []
        for option in question.options:
            item: Params = {
                "value": str(option.value),
                "checked": str(option.value) in selected,
                **_option_label(option, language, primary),
            }
            if self.multiple and option.exclusive:
                items.append({"divider": _("or")})
                item["behaviour"] = "exclusive"
            items.append(item)
        if question.prefer_not_to_say:
            items.append({"divider": _("or")})
            item = {
                "value": PREFER_NOT_TO_SAY,
                "text": _("Prefer not to say"),
                "checked": PREFER_NOT_TO_SAY in selected,
            }
            if self.multiple:
                item["behaviour"] = "exclusive"
            items.append(item)
        legend_size = "govuk-fieldset__legend--m" if primary else "govuk-fieldset__legend--s"
        return {
            "name": question.id,
            "idPrefix": question.id,
            "fieldset": {"legend": {"text": question.text.get_for(language), "classes": legend_size}},
            "items": items,
            **hint_and_error(question, language, error),
        }


class SingleHandler(_Choice):
    component = "radios"

    def parse(self, question: Question, form: MultiDict[str, str]) -> Parsed:
        raw = one_value(form, question)
        if raw == "":
            return Parsed()
        if raw == PREFER_NOT_TO_SAY and question.prefer_not_to_say:
            return Parsed(Given(prefer_not_to_say=True), raw=raw)
        return Parsed(Given(value=_choice(raw, question)), raw=raw)

    def answer_text(self, question: Question, answer: Saved, language: str) -> str:
        return "" if answer.value is None else question.option(answer.value).label.get_for(language)


class MultipleHandler(_Choice):
    component = "checkboxes"
    multiple = True

    def parse(self, question: Question, form: MultiDict[str, str]) -> Parsed:
        raws = [r for r in form.getlist(question.id) if r != ""]
        if len(raws) > len(question.options) + 1:
            raise BadInput(f"{question.id}: too many values")
        if not raws:
            return Parsed()
        if PREFER_NOT_TO_SAY in raws and question.prefer_not_to_say:
            if len(raws) > 1:
                return Parsed(error=str(messages.PREFER_NOT_AND_OTHERS), raw=raws)
            return Parsed(Given(prefer_not_to_say=True), raw=raws)
        chosen = tuple(sorted({_choice(raw, question) for raw in raws}))
        for option in question.options:
            if option.exclusive and option.value in chosen and len(chosen) > 1:
                label = option.label.get_for(_language())
                return Parsed(error=str(messages.EXCLUSIVE_AND_OTHERS % {"label": label}), raw=raws)
        return Parsed(Given(choices=chosen), raw=raws)

    def params(
        self, question: Question, shown: Any, language: str, error: str | None, primary: bool
    ) -> Params:
        params = super().params(question, shown, language, error, primary)
        params["hint"] = params.get("hint") or {"text": _("Select all that apply.")}
        return params

    def shown(self, question: Question, answer: Saved) -> Any:
        return [str(v) for v in answer.choices or ()]

    def shown_prefer_not_to_say(self) -> Any:
        return [PREFER_NOT_TO_SAY]

    def answer_text(self, question: Question, answer: Saved, language: str) -> str:
        return ", ".join(question.option(v).label.get_for(language) for v in answer.choices or ())
