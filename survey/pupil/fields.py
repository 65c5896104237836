"""Questions to GOV.UK Frontend component parameters, one small builder per question type."""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import lru_cache

from flask import get_template_attribute
from flask_babel import gettext as _
from markupsafe import Markup, escape

from questionnaires import Option, Question

from ..models import Answer
from .answers import PREFER_NOT_TO_SAY


def shown_values(questions: list[Question], answers: Mapping[str, Answer], raw: Mapping[str, object]) -> dict:
    """What each field shows: what was just posted (beside an error), otherwise what was saved."""
    shown: dict[str, object] = {}
    for q in questions:
        if q.id in raw:
            shown[q.id] = raw[q.id]
            continue
        answer = answers.get(q.id)
        if answer is None:
            continue
        if answer.prefer_not_to_say:
            shown[q.id] = [PREFER_NOT_TO_SAY] if q.type == "multiple" else PREFER_NOT_TO_SAY
        elif answer.choices is not None:
            shown[q.id] = [str(v) for v in answer.choices]
        elif answer.text is not None:
            shown[q.id] = answer.text
        elif answer.value is not None:
            shown[q.id] = str(answer.value)
    return shown


def _label(option: Option, language: str, primary: bool) -> dict:
    text = option.label.get_for(language)
    if primary and option.symbol:
        symbol = Markup('<span class="app-symbol app-symbol--{}" aria-hidden="true"></span> ').format(
            option.symbol
        )
        return {"html": symbol + escape(text)}
    return {"text": text}


def _common(q: Question, language: str, error: str | None) -> dict:
    params: dict = {}
    if q.hint:
        params["hint"] = {"text": q.hint.get_for(language)}
    if error:
        params["errorMessage"] = {"text": error}
    return params


def _choices(q: Question, shown, language: str, error: str | None, primary: bool, multiple: bool) -> dict:
    selected = set(shown if isinstance(shown, list) else [shown] if shown else [])
    items = []
    for option in q.options:
        item = {
            "value": str(option.value),
            "checked": str(option.value) in selected,
            **_label(option, language, primary),
        }
        if multiple and option.exclusive:
            items.append({"divider": _("or")})
            item["behaviour"] = "exclusive"
        items.append(item)
    if q.prefer_not_to_say:
        items.append({"divider": _("or")})
        item = {
            "value": PREFER_NOT_TO_SAY,
            "text": _("Prefer not to say"),
            "checked": PREFER_NOT_TO_SAY in selected,
        }
        if multiple:
            item["behaviour"] = "exclusive"
        items.append(item)
    legend_size = "govuk-fieldset__legend--m" if primary else "govuk-fieldset__legend--s"
    return {
        "name": q.id,
        "idPrefix": q.id,
        "fieldset": {"legend": {"text": q.text.get_for(language), "classes": legend_size}},
        "items": items,
        **_common(q, language, error),
    }


def field(q: Question, shown, language: str, error: str | None, primary: bool) -> tuple[str, dict]:
    """(component, params) for one question: radios, checkboxes, characterCount or input."""
    label_size = "govuk-label--m" if primary else "govuk-label--s"
    if q.type == "single":
        return "radios", _choices(q, shown, language, error, primary, multiple=False)
    if q.type == "multiple":
        params = _choices(q, shown, language, error, primary, multiple=True)
        params["hint"] = params.get("hint") or {"text": _("Select all that apply.")}
        return "checkboxes", params
    if q.type == "text":
        return "characterCount", {
            "name": q.id,
            "id": q.id,
            "maxlength": q.max_length,
            "rows": 4,
            "value": shown or "",
            "label": {"text": q.text.get_for(language), "classes": label_size},
            "spellcheck": True,
            **_common(q, language, error),
        }
    return "input", {
        "name": q.id,
        "id": q.id,
        "inputmode": "numeric",
        "classes": "govuk-input--width-4",
        "value": shown or "",
        "label": {"text": q.text.get_for(language), "classes": label_size},
        **_common(q, language, error),
    }


def answer_text(q: Question, answer: Answer | None, language: str) -> str:
    """An answer in words, for "Check your answers"."""
    if answer is None:
        return _("Not answered")
    if answer.prefer_not_to_say:
        return _("Prefer not to say")
    if answer.text is not None:
        return answer.text
    if answer.choices is not None:
        return ", ".join(q.option(v).label.get_for(language) for v in answer.choices)
    if q.type == "number":
        return str(answer.value)
    return q.option(answer.value).label.get_for(language)


def summary_rows(
    questions: list[Question], answers: Mapping[str, Answer], language: str, change_url: str
) -> list:
    return [
        {
            "key": {"text": q.text.get_for(language)},
            "value": {"text": answer_text(q, answers.get(q.id), language)},
            "actions": {
                "items": [
                    {"href": change_url, "text": _("Change"), "visuallyHiddenText": q.text.get_for(language)}
                ]
            },
        }
        for q in questions
    ]


MACROS = {
    "radios": ("govuk_frontend_jinja/components/radios/macro.html", "govukRadios"),
    "checkboxes": ("govuk_frontend_jinja/components/checkboxes/macro.html", "govukCheckboxes"),
    "characterCount": ("govuk_frontend_jinja/components/character-count/macro.html", "govukCharacterCount"),
    "input": ("govuk_frontend_jinja/components/input/macro.html", "govukInput"),
}


def render(kind: str, params: dict) -> Markup:
    """A question's HTML. GOV.UK Frontend's macros take milliseconds per question, and a page shows
    the same few states again and again, so each rendering is kept, keyed by everything it shows."""
    if kind == "characterCount" and params.get("value"):
        return _render(kind, params)  # a pupil's own text: not worth keeping
    return _render_cached(kind, json.dumps(params, sort_keys=True))


@lru_cache(maxsize=8192)
def _render_cached(kind: str, key: str) -> Markup:
    return _render(kind, json.loads(key))


def _render(kind: str, params: dict) -> Markup:
    template, macro = MACROS[kind]
    return Markup(get_template_attribute(template, macro)(params))
