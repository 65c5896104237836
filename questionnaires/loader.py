"""Read a questionnaire file, check it, and build the typed objects."""

from __future__ import annotations

import hashlib
import math
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, overload

import yaml
from pydantic import ValidationError

from .model import CHOICE_TYPES, Catalogue, Option, Question, Questionnaire, Scale, Section, ShowIf, Text
from .schema import QuestionnaireSpec, QuestionSpec, ScaleSpec, ShowIfSpec, TextSpec

if TYPE_CHECKING:
    from pydantic_core import ErrorDetails

DEFINITIONS = Path(__file__).parent / "definitions"
# Symbols that say "good" and "bad": on a scale item they must sit on better and worse answers.
GOOD_SYMBOLS = frozenset({"happy", "tick"})
BAD_SYMBOLS = frozenset({"sad", "cross"})
# LibYAML when PyYAML was built with it: ten times faster on the national files.
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class QuestionnaireError(ValueError):
    """A questionnaire file is broken; `problems` holds one line per problem."""

    def __init__(self, filename: str, problems: list[str]) -> None:
        self.filename = filename
        self.problems = [f"{filename}: {problem}" for problem in problems]
        super().__init__("\n".join(self.problems))


def available() -> list[str]:
    """The ids of the questionnaires shipped in `questionnaires/definitions/`."""
    return sorted(path.stem for path in DEFINITIONS.glob("*.yaml"))


def resolve(name_or_path: str | Path) -> Path:
    candidate = Path(name_or_path)
    if candidate.suffix in (".yaml", ".yml") or candidate.exists():
        return candidate
    path = DEFINITIONS / f"{name_or_path}.yaml"
    if not path.exists():
        known = ", ".join(available()) or "none"
        raise FileNotFoundError(f"No questionnaire called '{name_or_path}' (available: {known})")
    return path


def load(name_or_path: str | Path) -> Questionnaire:
    """Load a questionnaire by id (e.g. ``"national-secondary"``) or from a YAML file path.

    Raises `QuestionnaireError` naming the file, the place inside it and the problem.
    """
    path = resolve(name_or_path)
    return loads(path.read_text(encoding="utf-8"), filename=path.name, expect_id=path.stem)


def loads(source: str, *, filename: str = "<questionnaire>", expect_id: str | None = None) -> Questionnaire:
    """Build a questionnaire from YAML text (a file's contents, or a snapshot kept in the database)."""
    try:
        raw = yaml.load(source, Loader=_YAML_LOADER)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "YAML"
        problem = getattr(error, "problem", None) or str(error)
        raise QuestionnaireError(filename, [f"{where}: not valid YAML: {problem}"]) from None
    if not isinstance(raw, dict):
        raise QuestionnaireError(filename, ["the file must be a mapping with id, version, sections, ..."])
    try:
        spec = QuestionnaireSpec.model_validate(raw)
    except ValidationError as error:
        raise QuestionnaireError(filename, [_describe(e) for e in error.errors()]) from None
    problems = _Checker(spec, expect_id).problems
    if problems:
        raise QuestionnaireError(filename, problems)
    checksum = hashlib.sha256(source.encode("utf-8")).hexdigest()
    return _build(spec, source=filename, checksum=checksum)


def _path(loc: tuple[int | str, ...]) -> str:
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        elif part in ("root",) or "[" in str(part) or str(part).startswith("function-"):
            continue  # pydantic's internal names for a root model or a validator
        else:
            text += f".{part}" if text else str(part)
    return text or "(top level)"


def _describe(error: ErrorDetails) -> str:
    message = error["msg"]
    if error["type"] == "missing":
        message = "is required"
    elif error["type"] == "extra_forbidden":
        message = "is not a known key"
    elif error["type"] == "string_pattern_mismatch":
        message = f"{error['input']!r} is not allowed here (use lower case letters, digits and _)"
    elif error["type"] == "literal_error":
        choices = message.removeprefix("Input should be ")
        message = f"{error['input']!r} is not allowed; use {choices}"
    elif error["type"] in ("int_parsing", "int_type", "int_from_float"):
        message = f"{error['input']!r} is not a whole number"
    elif error["type"] in ("list_type", "dict_type", "string_type", "model_type"):
        kind = {
            "list_type": "a list",
            "dict_type": "a mapping",
            "string_type": "a string",
            "model_type": "a mapping",
        }
        message = f"must be {kind[error['type']]}"
    elif error["type"] == "too_short":
        message = f"needs at least {error['ctx']['min_length']} (has {error['ctx']['actual_length']})"
    elif message.startswith("Value error, "):
        message = message.removeprefix("Value error, ")
    return f"{_path(error['loc'])}: {message}"


Earlier = dict[str, tuple[str, str | None]]  # question id -> (type, response set)


class _Checker:
    """The checks a schema cannot express: references, uniqueness, languages, routing order."""

    def __init__(self, spec: QuestionnaireSpec, expect_id: str | None) -> None:
        self.spec = spec
        self.problems: list[str] = []
        languages = spec.languages
        if expect_id and spec.id != expect_id:
            self.problems.append(f"id: '{spec.id}' does not match the file name '{expect_id}.yaml'")
        if len(set(languages)) != len(languages):
            self.problems.append("languages: a language is listed twice")
        self._text("title", spec.title)
        for name, rset in spec.response_sets.items():
            self._unique([o.value for o in rset.options], f"response_sets.{name}.options", "value")
            for i, option in enumerate(rset.options):
                self._text(f"response_sets.{name}.options[{i}].label", option.label)
        self._sections()
        self._scales()

    def _text(self, where: str, text: TextSpec | None) -> None:
        if text is None:
            return
        for language in self.spec.languages:
            if language not in text.translations:
                self.problems.append(f"{where}: has no '{language}' text")
        for language in text.review:
            if language not in self.spec.languages:
                self.problems.append(f"{where}.review: '{language}' is not one of the languages")

    def _unique(self, values: Sequence[object], where: str, what: str) -> None:
        seen: set[object] = set()
        for value in values:
            if value in seen:
                self.problems.append(f"{where}: {what} {value!r} is used more than once")
            seen.add(value)

    def _sections(self) -> None:
        spec = self.spec
        self._unique([s.id for s in spec.sections], "sections", "id")
        earlier: Earlier = {}  # question id -> (type, response set)
        profiles: set[str] = set()
        for s, section in enumerate(spec.sections):
            self._text(f"sections[{s}].title", section.title)
            self._text(f"sections[{s}].intro", section.intro)
            for q, question in enumerate(section.questions):
                where = f"sections[{s}].questions[{q}]"
                self._question(where, question, earlier, profiles)
                if question.id in earlier:
                    self.problems.append(f"{where}.id: '{question.id}' is used more than once")
                earlier[question.id] = (question.type, question.response_set)

    def _question(
        self,
        where: str,
        question: QuestionSpec,
        earlier: Earlier,
        profiles: set[str],
    ) -> None:
        spec = self.spec
        self._text(f"{where}.text", question.text)
        self._text(f"{where}.hint", question.hint)
        choice = question.type in CHOICE_TYPES
        if choice and question.response_set is None:
            self.problems.append(f"{where}.response_set: is required for a '{question.type}' question")
        if not choice and question.response_set is not None:
            self.problems.append(f"{where}.response_set: a '{question.type}' question has no options")
        rset = spec.response_sets.get(question.response_set) if question.response_set else None
        if question.response_set and rset is None:
            self.problems.append(f"{where}.response_set: '{question.response_set}' is not defined")
        if question.max_length is not None and question.type != "text":
            self.problems.append(f"{where}.max_length: only a 'text' question has a length")
        if (question.min is not None or question.max is not None) and question.type != "number":
            self.problems.append(f"{where}: only a 'number' question has min and max")
        if question.min is not None and question.max is not None and question.min > question.max:
            self.problems.append(f"{where}.min: {question.min} is more than max {question.max}")
        if rset and question.type == "single" and any(o.exclusive for o in rset.options):
            self.problems.append(f"{where}: 'exclusive' options only make sense in a 'multiple' question")
        if question.profile:
            if question.profile in profiles:
                self.problems.append(f"{where}.profile: '{question.profile}' is recorded by two questions")
            profiles.add(question.profile)
            if question.type != "single":
                self.problems.append(f"{where}.profile: a profile question must be 'single'")
            if rset and any(o.code is None for o in rset.options):
                self.problems.append(
                    f"{where}.profile: every option of '{question.response_set}' needs a code"
                )
        if question.show_if:
            self._show_if(f"{where}.show_if", question.show_if, earlier, question.id)

    def _show_if(self, where: str, show_if: ShowIfSpec, earlier: Earlier, own_id: str) -> None:
        target = show_if.question
        if target == own_id:
            self.problems.append(f"{where}.question: a question cannot depend on itself")
            return
        if target not in earlier:
            later = any(q.id == target for s in self.spec.sections for q in s.questions)
            problem = "comes later; routing may only point backwards" if later else "is not defined"
            self.problems.append(f"{where}.question: '{target}' {problem}")
            return
        qtype, rset_name = earlier[target]
        if qtype not in CHOICE_TYPES:
            self.problems.append(f"{where}.question: '{target}' is a '{qtype}' question, not a choice")
            return
        rset = self.spec.response_sets.get(rset_name) if rset_name else None
        if rset:
            values = {o.value for o in rset.options}
            for value in show_if.any_of:
                if value not in values:
                    self.problems.append(f"{where}.any_of: {value} is not an option of '{target}'")

    def _scales(self) -> None:
        spec = self.spec
        questions = {q.id: q for s in spec.sections for q in s.questions}
        self._unique([scale.id for scale in spec.scales], "scales", "id")
        in_scale: dict[str, str] = {}
        for i, scale in enumerate(spec.scales):
            where = f"scales[{i}]"
            self._text(f"{where}.title", scale.title)
            self._unique(scale.items, f"{where}.items", "item")
            sets: set[str | None] = set()
            for j, item in enumerate(scale.items):
                question = questions.get(item)
                if question is None:
                    self.problems.append(f"{where}.items[{j}]: '{item}' is not defined")
                    continue
                if question.type != "single":
                    self.problems.append(f"{where}.items[{j}]: '{item}' must be a 'single' question")
                if item in in_scale:
                    self.problems.append(
                        f"{where}.items[{j}]: '{item}' is already in scale '{in_scale[item]}'"
                    )
                in_scale[item] = scale.id
                sets.add(question.response_set)
            values = {
                name: frozenset(o.value for o in spec.response_sets[name].options)
                for name in sets
                if name in spec.response_sets
            }
            if len(set(values.values())) > 1 or None in sets:
                names = ", ".join(sorted(str(s) for s in sets))
                self.problems.append(
                    f"{where}.items: items use response sets with different values ({names})"
                )
            for j, item in enumerate(scale.reverse):
                if item not in scale.items:
                    self.problems.append(f"{where}.reverse[{j}]: '{item}' is not one of the scale's items")
            if scale.min_answered is not None and scale.min_answered > len(scale.items):
                self.problems.append(
                    f"{where}.min_answered: {scale.min_answered} is more than its {len(scale.items)} items"
                )
            if len(set(values.values())) == 1 and None not in sets:
                low, high = min(next(iter(values.values()))), max(next(iter(values.values())))
                if not low <= scale.positive_at <= high:
                    self.problems.append(f"{where}.positive_at: {scale.positive_at} is outside {low}–{high}")
                self._symbols(where, scale, questions, low, high)

    def _symbols(
        self, where: str, scale: ScaleSpec, questions: dict[str, QuestionSpec], low: int, high: int
    ) -> None:
        """A face or tick must agree with the scoring: children answer by the symbol.

        After reverse coding, an option scored below the middle of the range is a worse answer:
        it must not carry a happy face or a tick, and a better answer must not carry a sad face or
        a cross. ("Yes" with a happy face on "I get bullied" is the mistake this catches.)
        """
        middle = (low + high) / 2
        for item in scale.items:
            question = questions.get(item)
            rset_name = question.response_set if question else None
            rset = self.spec.response_sets.get(rset_name) if rset_name else None
            if rset is None:
                continue
            reverse = item in scale.reverse
            for option in rset.options:
                scored = low + high - option.value if reverse else option.value
                label = option.label.translations.get("en") or next(
                    iter(option.label.translations.values()), ""
                )
                wrong = (option.symbol in GOOD_SYMBOLS and scored < middle) or (
                    option.symbol in BAD_SYMBOLS and scored > middle
                )
                if wrong:
                    kind = "reverse-scored " if reverse else ""
                    better = "worse" if option.symbol in GOOD_SYMBOLS else "better"
                    self.problems.append(
                        f"{where}: {kind}item '{item}' uses response set '{rset_name}', which "
                        f"puts a {option.symbol} symbol on '{label}', the {better} answer; give it a "
                        "response set whose symbols follow the scoring (e.g. never / sometimes / a lot "
                        "for a negative statement)"
                    )


@overload
def _text(spec: TextSpec) -> Text: ...
@overload
def _text(spec: None) -> None: ...
def _text(spec: TextSpec | None) -> Text | None:
    return None if spec is None else Text(spec.translations, tuple(spec.review))


def _build(spec: QuestionnaireSpec, *, source: str, checksum: str) -> Questionnaire:
    options = {
        name: tuple(Option(o.value, _text(o.label), o.symbol, o.code, o.exclusive) for o in rset.options)
        for name, rset in spec.response_sets.items()
    }
    scale_of = {item: scale.id for scale in spec.scales for item in scale.items}
    sections = []
    for section in spec.sections:
        questions = Catalogue(
            Question(
                id=q.id,
                type=q.type,
                text=_text(q.text),
                section=section.id,
                options=options.get(q.response_set, ()) if q.response_set else (),
                hint=_text(q.hint),
                response_set=q.response_set,
                prefer_not_to_say=q.prefer_not_to_say,
                max_length=(q.max_length or 1500) if q.type == "text" else None,
                min=q.min,
                max=q.max,
                show_if=ShowIf(q.show_if.question, tuple(q.show_if.any_of)) if q.show_if else None,
                scale=scale_of.get(q.id),
                profile=q.profile,
            )
            for q in section.questions
        )
        sections.append(
            Section(section.id, _text(section.title), questions, _text(section.intro), section.only_in)
        )
    questions_by_id = {q.id: q for s in sections for q in s.questions}
    scales = []
    for scale in spec.scales:
        values = questions_by_id[scale.items[0]].values
        scales.append(
            Scale(
                id=scale.id,
                title=_text(scale.title),
                items=tuple(scale.items),
                reverse=frozenset(scale.reverse),
                min_answered=scale.min_answered or math.ceil(len(scale.items) / 2),
                positive_at=scale.positive_at,
                range=(min(values), max(values)),
            )
        )
    return Questionnaire(
        id=spec.id,
        version=spec.version,
        audience=spec.audience,
        years=tuple(spec.years),
        languages=tuple(spec.languages),
        title=_text(spec.title),
        sections=Catalogue(sections),
        scales=Catalogue(scales),
        source=source,
        checksum=checksum,
    )
