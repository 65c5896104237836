"""Reading one answer from a posted form: a small parser per question type.

A parser returns the answer (or None when the question was left blank) or a message for the pupil.
Input that the page could never have sent (an option that does not exist, a repeated radio value)
raises `BadInput`, which becomes a 400 page: nothing from that post is saved.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from werkzeug.datastructures import MultiDict

from questionnaires import Question

from . import messages

PREFER_NOT_TO_SAY = "prefer-not-to-say"
# Control characters other than tab and newlines: never meaningful in a pupil's text.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class BadInput(ValueError):
    """The post does not match the page: tampered, stale beyond repair, or malformed."""


@dataclass(frozen=True)
class Given:
    """An answer as stored: exactly one of the fields is set."""

    value: int | None = None
    choices: tuple[int, ...] | None = None
    text: str | None = None
    prefer_not_to_say: bool = False


@dataclass(frozen=True)
class Parsed:
    answer: Given | None = None
    error: str | None = None
    raw: object = None  # what the pupil sent, shown again beside an error


def _one(form: MultiDict, question: Question) -> str:
    values = form.getlist(question.id)
    if len(values) > 1:
        raise BadInput(f"{question.id}: more than one value")
    return values[0] if values else ""


def _choice(raw: str, question: Question) -> int:
    # Exactly a value the page offered: int() would also take " 1", "01", "1_0" and other digits.
    for value in question.values:
        if raw == str(value):
            return value
    raise BadInput(f"{question.id}: {raw[:20]!r} is not an option")


def parse_single(question: Question, form: MultiDict) -> Parsed:
    raw = _one(form, question)
    if raw == "":
        return Parsed()
    if raw == PREFER_NOT_TO_SAY and question.prefer_not_to_say:
        return Parsed(Given(prefer_not_to_say=True), raw=raw)
    return Parsed(Given(value=_choice(raw, question)), raw=raw)


def parse_multiple(question: Question, form: MultiDict) -> Parsed:
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


def parse_text(question: Question, form: MultiDict) -> Parsed:
    raw = _CONTROL.sub("", _one(form, question)).replace("\r\n", "\n").strip()
    if not raw:
        return Parsed()
    limit = question.max_length or 1500
    if len(raw) > limit:
        message = messages.TOO_LONG % {"max": f"{limit:,}", "count": f"{len(raw):,}"}
        return Parsed(error=str(message), raw=raw)
    return Parsed(Given(text=raw), raw=raw)


def parse_number(question: Question, form: MultiDict) -> Parsed:
    raw = _one(form, question).strip()
    if raw == "":
        return Parsed()
    if not re.fullmatch(r"-?\d{1,9}", raw):
        return Parsed(error=str(messages.NOT_A_NUMBER), raw=raw)
    value = int(raw)
    low = question.min if question.min is not None else 0
    high = question.max if question.max is not None else 10**9
    if not low <= value <= high:
        return Parsed(error=str(messages.NUMBER_OUT_OF_RANGE % {"min": low, "max": high}), raw=raw)
    return Parsed(Given(value=value), raw=raw)


PARSERS: dict[str, Callable[[Question, MultiDict], Parsed]] = {
    "single": parse_single,
    "multiple": parse_multiple,
    "text": parse_text,
    "number": parse_number,
}


def _language() -> str:
    from flask_babel import get_locale

    locale = get_locale()
    return locale.language if locale else "en"
