"""The structure of a questionnaire file, checked with pydantic.

These models describe the YAML as written; `questionnaires.model` holds the typed objects the other
packages use, built from these once the references between parts have been checked.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, RootModel, StringConstraints, model_validator

from .model import QuestionType

Identifier = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*$", max_length=40)]
QuestionnaireId = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")]
LanguageCode = Annotated[str, StringConstraints(pattern=r"^[a-z]{2,3}$")]
ProfileField = Literal["year_group", "gender", "ethnicity_major", "sen", "fsm", "eal", "looked_after"]
Symbol = Literal["sad", "neutral", "happy", "question", "cross", "tick"]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class TextSpec(RootModel[dict[str, object]]):
    """Language code -> string, plus an optional `review` list of languages still to be checked."""

    @model_validator(mode="after")
    def _shape(self) -> TextSpec:
        for key, value in self.root.items():
            if key == "review":
                if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                    raise ValueError("'review' must be a list of language codes")
            elif not isinstance(value, str):
                raise ValueError(
                    f"text for '{key}' must be a string (put text with a comma or colon in quotes)"
                )
            elif not value.strip():
                raise ValueError(f"text for '{key}' is empty")
        return self

    @property
    def translations(self) -> dict[str, str]:
        return {k: v for k, v in self.root.items() if k != "review" and isinstance(v, str)}

    @property
    def review(self) -> list[str]:
        value = self.root.get("review", [])
        return list(value) if isinstance(value, list) else []


class OptionSpec(Strict):
    value: int
    label: TextSpec
    symbol: Symbol | None = None
    code: Annotated[str, StringConstraints(min_length=1, max_length=8)] | None = None
    exclusive: bool = False


class ResponseSetSpec(Strict):
    options: list[OptionSpec] = Field(min_length=2)


class ShowIfSpec(Strict):
    question: Identifier
    any_of: list[int] = Field(min_length=1)


class QuestionSpec(Strict):
    id: Identifier
    type: QuestionType
    text: TextSpec
    hint: TextSpec | None = None
    response_set: str | None = None
    prefer_not_to_say: bool = False
    max_length: int | None = Field(default=None, ge=1, le=5000)
    min: int | None = None
    max: int | None = None
    show_if: ShowIfSpec | None = None
    profile: ProfileField | None = None


class SectionSpec(Strict):
    id: Identifier
    title: TextSpec
    intro: TextSpec | None = None
    only_in: Literal["anonymous"] | None = None
    questions: list[QuestionSpec] = Field(min_length=1)


class ScaleSpec(Strict):
    id: Identifier
    title: TextSpec
    items: list[Identifier] = Field(min_length=4)
    reverse: list[Identifier] = []
    min_answered: int | None = Field(default=None, ge=1)
    positive_at: float


class QuestionnaireSpec(Strict):
    id: QuestionnaireId
    version: int = Field(ge=1)
    audience: Literal["primary", "secondary"]
    years: list[int] = Field(min_length=1)
    languages: list[LanguageCode] = Field(min_length=1)
    title: TextSpec
    response_sets: dict[Identifier, ResponseSetSpec]
    scales: list[ScaleSpec] = []
    sections: list[SectionSpec] = Field(min_length=1)
