"""The typed questionnaire objects that the survey app and the analysis package use."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Generic, Literal, TypeVar, get_args, overload

# The kinds of question, declared here only. A new one needs a handler in survey/pupil/questions/ and
# a reading in analysis/io.py: see docs/question-types.md.
QuestionType = Literal["single", "multiple", "text", "number"]
QUESTION_TYPES: tuple[QuestionType, ...] = get_args(QuestionType)
CHOICE_TYPES: tuple[QuestionType, ...] = ("single", "multiple")  # answered from a response set
Audience = Literal["primary", "secondary"]


class Text(Mapping[str, str]):
    """A pupil-facing text in every language of its questionnaire.

    `text["cy"]` is the Welsh; `text.get_for("cy")` falls back to the first language when a
    language is missing; `text.review` lists languages a fluent speaker has still to check.
    """

    __slots__ = ("_values", "review")

    def __init__(self, values: Mapping[str, str], review: tuple[str, ...] = ()) -> None:
        self._values = dict(values)
        self.review = tuple(review)

    def __getitem__(self, language: str) -> str:
        return self._values[language]

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def __hash__(self) -> int:
        return hash(tuple(self._values.items()))

    def __repr__(self) -> str:
        return f"Text({self._values!r})"

    def get_for(self, language: str) -> str:
        return self._values.get(language) or next(iter(self._values.values()))


T = TypeVar("T")


class Catalogue(tuple[T, ...], Generic[T]):
    """An ordered tuple of things with ids that can also be looked up by id: `scales["belonging"]`."""

    @overload  # type: ignore[override]  # a tuple looked up by id too
    def __getitem__(self, key: int) -> T: ...
    @overload
    def __getitem__(self, key: slice) -> tuple[T, ...]: ...
    @overload
    def __getitem__(self, key: str) -> T: ...
    def __getitem__(self, key: int | slice | str) -> T | tuple[T, ...]:
        if isinstance(key, str):
            for thing in self:
                if thing.id == key:  # type: ignore[attr-defined]
                    return thing
            raise KeyError(key)
        return super().__getitem__(key)

    def __contains__(self, key: object) -> bool:
        if isinstance(key, str):
            return any(thing.id == key for thing in self)  # type: ignore[attr-defined]
        return super().__contains__(key)

    def has(self, key: str) -> bool:
        """Whether a thing with this id is in the catalogue (`key in catalogue`, for a type checker)."""
        return key in self

    def ids(self) -> list[str]:
        return [thing.id for thing in self]  # type: ignore[attr-defined]


@dataclass(frozen=True)
class Option:
    value: int
    label: Text
    symbol: str | None = None
    code: str | None = None
    exclusive: bool = False


@dataclass(frozen=True)
class ShowIf:
    """Ask a question only when an earlier single or multiple question has one of these values."""

    question: str
    any_of: tuple[int, ...]

    def applies(self, answers: Mapping[str, object]) -> bool:
        answer = answers.get(self.question)
        if answer is None:
            return False
        chosen = answer if isinstance(answer, (list, tuple, set, frozenset)) else [answer]
        return any(value in self.any_of for value in chosen)


@dataclass(frozen=True)
class Question:
    id: str
    type: QuestionType
    text: Text
    section: str
    options: tuple[Option, ...] = ()
    hint: Text | None = None
    response_set: str | None = None
    prefer_not_to_say: bool = False
    max_length: int | None = None
    min: int | None = None
    max: int | None = None
    show_if: ShowIf | None = None
    scale: str | None = None
    profile: str | None = None
    # Every question can be left blank: pupils are never made to answer.
    optional: bool = field(default=True, init=False)

    def option(self, value: int) -> Option:
        for option in self.options:
            if option.value == value:
                return option
        raise KeyError(value)

    @property
    def values(self) -> tuple[int, ...]:
        return tuple(option.value for option in self.options)


@dataclass(frozen=True)
class Section:
    id: str
    title: Text
    questions: Catalogue[Question]
    intro: Text | None = None
    only_in: str | None = None


@dataclass(frozen=True)
class Scale:
    id: str
    title: Text
    items: tuple[str, ...]
    reverse: frozenset[str]
    min_answered: int
    positive_at: float
    range: tuple[int, int]

    def reverse_code(self, item: str, value: float) -> float:
        low, high = self.range
        return low + high - value if item in self.reverse else value


@dataclass(frozen=True)
class Questionnaire:
    id: str
    version: int
    audience: Audience
    years: tuple[int, ...]
    languages: tuple[str, ...]
    title: Text
    sections: Catalogue[Section]
    scales: Catalogue[Scale]
    source: str = field(default="", compare=False)
    checksum: str = field(default="", compare=False)

    @cached_property
    def questions(self) -> Catalogue[Question]:
        return Catalogue(q for section in self.sections for q in section.questions)

    @cached_property
    def _questions_by_id(self) -> dict[str, Question]:
        return {q.id: q for q in self.questions}

    def question(self, question_id: str) -> Question:
        try:
            return self._questions_by_id[question_id]
        except KeyError:
            raise KeyError(f"{self.id} has no question '{question_id}'") from None

    def scale(self, scale_id: str) -> Scale:
        try:
            return self.scales[scale_id]
        except KeyError:
            raise KeyError(f"{self.id} has no scale '{scale_id}'") from None

    @property
    def default_language(self) -> str:
        return self.languages[0]

    def texts_for_review(self, language: str) -> list[tuple[str, str]]:
        """(where, text) for every text whose `language` translation is flagged for review."""
        found: list[tuple[str, str]] = []

        def visit(where: str, text: Text | None) -> None:
            if text is not None and language in text.review:
                found.append((where, text.get_for(language)))

        visit("title", self.title)
        for scale in self.scales:
            visit(f"scales.{scale.id}.title", scale.title)
        for section in self.sections:
            visit(f"{section.id}.title", section.title)
            visit(f"{section.id}.intro", section.intro)
            for q in section.questions:
                visit(f"{q.id}.text", q.text)
                visit(f"{q.id}.hint", q.hint)
                for option in q.options:
                    visit(f"{q.id}.options[{option.value}]", option.label)
        return found
