"""A question's HTML: GOV.UK Frontend's macro with the handler's parameters, compacted and kept."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from flask import get_template_attribute
from markupsafe import Markup

from questionnaires import Question

from ...cache import KeyedCache
from .. import questions
from .compact import compact

MACROS = {
    "radios": ("govuk_frontend_jinja/components/radios/macro.html", "govukRadios"),
    "checkboxes": ("govuk_frontend_jinja/components/checkboxes/macro.html", "govukCheckboxes"),
    "characterCount": ("govuk_frontend_jinja/components/character-count/macro.html", "govukCharacterCount"),
    "input": ("govuk_frontend_jinja/components/input/macro.html", "govukInput"),
}


def render_question(q: Question, shown: Any, language: str, error: str | None, primary: bool) -> Markup:
    """A question's HTML, compacted (see `compact`).

    GOV.UK Frontend's macros take milliseconds per question. Radios and checkboxes are rendered once
    per question, language and version, and only their ticks are filled in per request; other
    questions are kept keyed by everything they show, except a pupil's own text."""
    if error is None and questions.handler_for(q).cut_at_ticks:
        choices = _choice_html(q, language, primary)
        if choices is not None:
            return choices.render(shown)
    return render(*questions.params(q, shown, language, error, primary))


def render(kind: str, params: dict[str, Any]) -> Markup:
    if kind == "characterCount" and params.get("value"):
        return Markup(compact(_render(kind, params)).strip())  # a pupil's own text: not worth keeping
    return _render_cached(kind, json.dumps(params, sort_keys=True))


@lru_cache(maxsize=4096)
def _render_cached(kind: str, key: str) -> Markup:
    return Markup(compact(_render(kind, json.loads(key))).strip())


def _render(kind: str, params: dict[str, Any]) -> Markup:
    template, macro = MACROS[kind]
    return Markup(get_template_attribute(template, macro)(params))


_TICK = re.compile(r'<input\b[^>]*?\svalue="([^"]*)"[^>]*?( checked)(?=[\s>])')


@dataclass(frozen=True)
class ChoiceHtml:
    """A radios or checkboxes question's HTML cut at each option's `checked` attribute."""

    parts: tuple[str, ...]  # one more than values
    values: tuple[str, ...]  # each option's value, in order

    def render(self, shown: Any) -> Markup:
        selected = shown if isinstance(shown, list) else [shown] if shown else []
        if not selected:
            return Markup("".join(self.parts))
        out = [self.parts[0]]
        for value, part in zip(self.values, self.parts[1:], strict=True):
            if value in selected:
                out.append(" checked")
            out.append(part)
        return Markup("".join(out))


# A question's cut HTML, by the question itself (its value: two equal questions render the same).
_CHOICES: KeyedCache[tuple[Question, str, bool], ChoiceHtml | None] = KeyedCache(
    "pupil choice questions", maxsize=2048
)


def _choice_html(q: Question, language: str, primary: bool) -> ChoiceHtml | None:
    return _CHOICES.get((q, language, primary), lambda: _cut(q, language, primary))


def _cut(q: Question, language: str, primary: bool) -> ChoiceHtml | None:
    """Render the question with no option ticked and with every option ticked, and cut the second at
    each tick. None (render it whole each time) unless the cut pieces give back the first exactly."""
    kind, params = questions.params(q, None, language, None, primary)
    blank = compact(_render(kind, params)).strip()
    for item in params["items"]:
        if "value" in item:
            item["checked"] = True
    ticked = compact(_render(kind, params)).strip()
    parts, values, at = [], [], 0
    for match in _TICK.finditer(ticked):
        parts.append(ticked[at : match.start(2)])
        values.append(match.group(1))
        at = match.end(2)
    parts.append(ticked[at:])
    expected = [str(item["value"]) for item in params["items"] if "value" in item]
    if "".join(parts) != blank or values != expected:
        return None
    return ChoiceHtml(tuple(parts), tuple(values))
