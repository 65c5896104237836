"""Time periods in the wave's own words: "Since September" means little in a summer wave.

The questionnaires say "Since September" ("Ers mis Medi"). A pupil reads the period that the wave's
term gives: since 1 September in the autumn term, since 1 January (this term) in the spring term,
and this term (since the Easter holidays) in the summer term. The term is the one the wave opens in.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import datetime
from functools import lru_cache

from questionnaires import Question, Section
from questionnaires.model import Text

# (capitalised, in a sentence) for each term and language. Welsh needs review by a fluent speaker.
PERIODS = {
    "autumn": {"en": ("Since 1 September", "since 1 September"), "cy": ("Ers 1 Medi", "ers 1 Medi")},
    "spring": {
        "en": ("Since 1 January (this term)", "since 1 January (this term)"),
        "cy": ("Ers 1 Ionawr (y tymor hwn)", "ers 1 Ionawr (y tymor hwn)"),
    },
    "summer": {
        "en": ("This term (since the Easter holidays)", "this term (since the Easter holidays)"),
        "cy": ("Y tymor hwn (ers gwyliau’r Pasg)", "y tymor hwn (ers gwyliau’r Pasg)"),
    },
}
WRITTEN = {"en": re.compile(r"\b([Ss])ince September\b"), "cy": re.compile(r"\b([Ee])rs mis\s+Medi\b")}


def term(opens_at: datetime) -> str:
    """The school term a wave opens in: autumn (September to December), spring (January to March)
    or summer (April to August)."""
    month = opens_at.month
    return "autumn" if month >= 9 else "spring" if month <= 3 else "summer"


def _in_words(value: str, pattern: re.Pattern[str], words: tuple[str, str]) -> str:
    return pattern.sub(lambda m: words[0] if m.group(1).isupper() else words[1], value)


def _text(text: Text, period: str) -> Text:
    values = {}
    for language, value in text.items():
        pattern, words = WRITTEN.get(language), PERIODS[period].get(language)
        values[language] = value if pattern is None or words is None else _in_words(value, pattern, words)
    return Text(values, review=text.review)


@lru_cache(maxsize=1024)
def question(q: Question, period: str) -> Question:
    """The question with its period in the wave's words (the same object when it names none)."""
    text, hint = _text(q.text, period), _text(q.hint, period) if q.hint else None
    if text == q.text and hint == q.hint:
        return q
    return replace(q, text=text, hint=hint)


@lru_cache(maxsize=256)
def section(s: Section, period: str) -> Section:
    if s.intro is None:
        return s
    intro = _text(s.intro, period)
    return s if intro == s.intro else replace(s, intro=intro)
