"""Questions to GOV.UK Frontend component parameters, one small builder per question type."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache

from flask import get_template_attribute
from flask_babel import gettext as _
from markupsafe import Markup, escape

from questionnaires import Option, Question

from ..cache import KeyedCache
from .answers import PREFER_NOT_TO_SAY
from .store import Saved


def shown_values(questions: list[Question], answers: Mapping[str, Saved], raw: Mapping[str, object]) -> dict:
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


def answer_text(q: Question, answer: Saved | None, language: str) -> str:
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


def summary_rows(questions: list[Question], texts: Mapping[str, str], language: str, change_url: str) -> list:
    """GOV.UK summary list rows: each question, `texts[question id]` as its answer, a Change link."""
    return [
        {
            "key": {"text": q.text.get_for(language)},
            "value": {"text": texts[q.id]},
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


def question_html(q: Question, shown, language: str, error: str | None, primary: bool) -> Markup:
    """A question's HTML, compacted (see `compact`).

    GOV.UK Frontend's macros take milliseconds per question. Radios and checkboxes are rendered once
    per question, language and version, and only their ticks are filled in per request; other
    questions are kept keyed by everything they show, except a pupil's own text."""
    if error is None and q.type in ("single", "multiple"):
        choices = _choice_html(q, language, primary)
        if choices is not None:
            return choices.render(shown)
    return render(*field(q, shown, language, error, primary))


def render(kind: str, params: dict) -> Markup:
    if kind == "characterCount" and params.get("value"):
        return Markup(compact(_render(kind, params)).strip())  # a pupil's own text: not worth keeping
    return _render_cached(kind, json.dumps(params, sort_keys=True))


@lru_cache(maxsize=4096)
def _render_cached(kind: str, key: str) -> Markup:
    return Markup(compact(_render(kind, json.loads(key))).strip())


def _render(kind: str, params: dict) -> Markup:
    template, macro = MACROS[kind]
    return Markup(get_template_attribute(template, macro)(params))


_TICK = re.compile(r'<input\b[^>]*?\svalue="([^"]*)"[^>]*?( checked)(?=[\s>])')


@dataclass(frozen=True)
class ChoiceHtml:
    """A radios or checkboxes question's HTML cut at each option's `checked` attribute."""

    parts: tuple[str, ...]  # one more than values
    values: tuple[str, ...]  # each option's value, in order

    def render(self, shown) -> Markup:
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
    kind, params = field(q, None, language, None, primary)
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


_VERBATIM = re.compile(r"(<textarea\b.*?</textarea>|<pre\b.*?</pre>|<script\b.*?</script>)", re.S)
_BETWEEN_TAGS = re.compile(r">\s*\n\s*<")
_BLOCKS = "label|legend|div|p|button|li|ul|h1|h2|fieldset|form|main|header|footer|nav"
_AFTER_OPENING = re.compile(rf"(<(?:{_BLOCKS})\b[^>]*>)\s*\n\s*")
_BEFORE_CLOSING = re.compile(rf"\s*\n\s*(</(?:{_BLOCKS})>)")
_APOSTROPHE = re.compile(r">[^<]*&#39;[^<]*<")
_RADIOS_MODULE = ' data-module="govuk-radios"'
_PLAIN_BUTTON = re.compile(
    r'(<button\b(?:(?!role=|data-prevent-double-click)[^>])*?) data-module="govuk-button"'
)


def compact(html: str) -> str:
    """Smaller HTML that shows the same (every page must stay under 15 KB for slow school Wi-Fi):

    - whitespace with a line break between two tags goes (the GOV.UK Frontend components and the
      layout here put such pieces in flexbox or block boxes, where it never showed);
    - so does whitespace with a line break at the start or end of the text in a label, legend, div,
      paragraph, button and the like (CSS drops it at the start and end of a line anyway);
    - an apostrophe in text is written ' rather than &#39; (attributes are all in double quotes);
    - radios without conditional reveals lose GOV.UK Frontend's `govuk-radios` module, which only
      handles conditional reveals (routing here is done on the server), and <button>s lose its
      `govuk-button` module, which only acts on links with role="button" and on buttons with
      data-prevent-double-click.

    Text areas, <pre> and scripts are left exactly as they are.
    """
    pieces = _VERBATIM.split(html)
    for n in range(0, len(pieces), 2):  # the even pieces are outside text areas, <pre> and scripts
        piece = _BETWEEN_TAGS.sub("><", pieces[n])
        piece = _AFTER_OPENING.sub(r"\1", piece)
        piece = _BEFORE_CLOSING.sub(r"\1", piece)
        pieces[n] = _APOSTROPHE.sub(lambda m: m.group().replace("&#39;", "'"), piece)
    html = "".join(pieces)
    if _RADIOS_MODULE in html and "data-aria-controls" not in html:
        html = html.replace(_RADIOS_MODULE, "")
    return _PLAIN_BUTTON.sub(r"\1", html)
