"""An answer as a pupil gives it, and what reading one from a posted form comes to.

Each question type's handler (`survey.pupil.questions`) reads its own answers. It returns the answer
(or nothing when the question was left blank) or a message for the pupil. Input that the page could
never have sent (an option that does not exist, a repeated radio value) raises `BadInput`, which
becomes a 400 page: nothing from that post is saved.
"""

from __future__ import annotations

from dataclasses import dataclass

PREFER_NOT_TO_SAY = "prefer-not-to-say"


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
