"""The pupil journey's rules: which sections a pupil sees, saving a page, finishing.

Routing is applied here, on the server: a question whose `show_if` does not hold is never shown,
never saved, and its earlier answer is removed when a change makes it no longer apply.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass

from questionnaires import Question, Questionnaire, Section

from ..cache import KeyedCache
from ..data.questionnaires import definition
from ..models import ResponseStatus
from . import store
from .answers import Given
from .store import Saved


class AlreadyFinished(Exception):
    pass


class PageChanged(Exception):
    """The page's answers were saved with something else after this page was shown (another tab,
    or a post that arrived late): saving this one would overwrite newer answers."""


@dataclass
class Pupil:
    """The pupil at the keyboard: their code, wave, questionnaire, response (once they agreed) and
    saved answers, as read by one query (`store.load`)."""

    code: store.CodeRow
    wave: store.WaveRow
    questionnaire: Questionnaire
    response: store.ResponseRow | None
    answers: dict[str, Saved]

    @property
    def anonymous(self) -> bool:
        return self.code.roster_entry_id is None

    @property
    def primary(self) -> bool:
        return self.questionnaire.audience == "primary"


def load_pupil(code_id: int) -> Pupil | None:
    # One query for the code, its wave, its response and its answers: this runs on every pupil request.
    loaded = store.load(code_id)
    if loaded is None:
        return None
    questionnaire = definition(loaded.wave.questionnaire_id, loaded.wave.questionnaire_version)
    return Pupil(loaded.code, loaded.wave, questionnaire, loaded.response, loaded.answers)


def saved_answers(pupil: Pupil) -> dict[str, Saved]:
    return pupil.answers if pupil.response is not None else {}


def routing_values(answers: Mapping[str, Saved | Given]) -> dict[str, object]:
    values: dict[str, object] = {}
    for question_id, answer in answers.items():
        value = answer.choices if answer.choices is not None else answer.value
        if value is not None and not answer.prefer_not_to_say:
            values[question_id] = value
    return values


def visible_questions(section: Section, values: Mapping[str, object]) -> list[Question]:
    return [q for q in section.questions if q.show_if is None or q.show_if.applies(values)]


def sections_for(pupil: Pupil) -> list[Section]:
    """Every section this pupil could be asked, in order ("About you" only without a roster entry)."""
    return list(_layout(pupil)[0])


def _order(pupil: Pupil) -> dict[str, int]:
    """Each of the pupil's sections' position in `sections_for(pupil)`."""
    return _layout(pupil)[1]


# Per questionnaire (by its id, version and content) and kind of pupil.
_LAYOUTS: KeyedCache[tuple[str, int, str, bool], tuple[tuple[Section, ...], dict[str, int]]] = KeyedCache(
    "pupil section layouts", maxsize=64
)


def _layout(pupil: Pupil) -> tuple[tuple[Section, ...], dict[str, int]]:
    questionnaire = pupil.questionnaire
    key = (questionnaire.id, questionnaire.version, questionnaire.checksum, pupil.anonymous)

    def build() -> tuple[tuple[Section, ...], dict[str, int]]:
        sections = tuple(
            s
            for s in questionnaire.sections
            if s.only_in is None or (s.only_in == "anonymous" and pupil.anonymous)
        )
        return sections, {s.id: n for n, s in enumerate(sections)}

    return _LAYOUTS.get(key, build)


def route(pupil: Pupil, values: Mapping[str, object]) -> list[Section]:
    """The pages this pupil sees, given their answers so far: sections with a question to ask."""
    return [s for s in sections_for(pupil) if visible_questions(s, values)]


def next_page(pupil: Pupil, values: Mapping[str, object], after: Section | None) -> Section | None:
    """The section after `after` (or the first), or None when only checking and finishing are left."""
    pages = route(pupil, values)
    if after is None:
        return pages[0] if pages else None
    order = _order(pupil)
    later = [s for s in pages if order[s.id] > order[after.id]]
    return later[0] if later else None


def resume_page(pupil: Pupil, values: Mapping[str, object]) -> Section | None:
    """The first section not yet saved, or None when every section has been saved."""
    done = pupil.response.progress if pupil.response else 0
    order = _order(pupil)
    for section in route(pupil, values):
        if order[section.id] >= done:
            return section
    return None


def agree(pupil: Pupil, language: str) -> store.ResponseRow:
    """The pupil said yes: make their response (once, however often the button is pressed)."""
    if pupil.response is None:
        pupil.response = store.begin_response(pupil.code, pupil.wave, language)
        pupil.answers = {}
    elif pupil.response.status == ResponseStatus.REFUSED:  # changed their mind: "No thanks" is undone
        pupil.response = store.take_part_after_all(pupil.response.id, language)
        pupil.answers = {}
    return pupil.response


def refuse(pupil: Pupil, language: str) -> None:
    """The pupil said "No thanks": record a refusal with no answers."""
    if pupil.response is None:
        store.begin_response(pupil.code, pupil.wave, language, status=ResponseStatus.REFUSED)


def _as_stored(answers: Mapping[str, Saved | Given], question_ids: list[str]) -> list[tuple]:
    return [
        (qid, a.value, tuple(a.choices) if a.choices is not None else None, a.text, a.prefer_not_to_say)
        for qid in question_ids
        if (a := answers.get(qid)) is not None
    ]


def page_version(section: Section, answers: Mapping[str, Saved]) -> str:
    """A short digest of the answers saved on one page: the page carries it, so a post can tell
    whether the page was saved with other answers since it was shown."""
    stored = repr(_as_stored(answers, [q.id for q in section.questions])).encode()
    return hashlib.blake2b(stored, digest_size=8).hexdigest()


def save_page(
    pupil: Pupil, section: Section, given: Mapping[str, Given], language: str, shown: str | None = None
) -> dict[str, object]:
    """Replace the answers on one page in a single transaction; returns the routing values after it.

    Saving the same page twice gives the same rows, so a double submit or a retry changes nothing.
    Answers to questions that routing no longer asks (an earlier answer changed) are removed.
    `shown` is the `page_version` the page was shown with: if the page has been saved with other
    answers since then, and these differ from them too, raises PageChanged and saves nothing.
    """
    assert pupil.response is not None
    page_ids = [q.id for q in section.questions]
    progress = _order(pupil)[section.id] + 1

    def plan(answers: Mapping[str, Saved]) -> store.Change:
        if (
            shown is not None
            and page_version(section, answers) != shown
            and _as_stored(answers, page_ids) != _as_stored(given, page_ids)
        ):
            raise PageChanged
        after: dict[str, Saved | Given] = {qid: a for qid, a in answers.items() if qid not in page_ids}
        after.update(given)
        values: dict[str, object] = {}
        stale: list[str] = []
        for question in pupil.questionnaire.questions:
            answer = after.get(question.id)
            if answer is None:
                continue
            if question.show_if is not None and not question.show_if.applies(values):
                stale.append(question.id)
                continue
            values.update(routing_values({question.id: answer}))
        rows = {qid: g for qid, g in given.items() if qid not in stale}
        gone = [qid for qid in page_ids if qid not in rows] + [qid for qid in stale if qid not in page_ids]
        return store.Change(rows, gone, progress, language, values)

    try:
        change = store.save_page(pupil.response, pupil.answers, plan)
    except store.Finished:
        raise AlreadyFinished from None
    return change.values


def end_session(code_id: int) -> None:
    store.end_session(code_id)


def finish(pupil: Pupil, language: str) -> None:
    assert pupil.response is not None
    store.finish(pupil.response.id, language)  # finishing twice is finishing once


@dataclass
class PageInput:
    given: dict[str, Given]
    errors: dict[str, str]
    raw: dict[str, object]
    revealed: list[str]  # follow-up questions this post made visible but the pupil has not seen


def read_page(section: Section, form, saved: Mapping[str, object]) -> PageInput:
    """Parse a posted page in question order; a follow-up counts as asked if the answers above it,
    as posted, ask it. Raises answers.BadInput for a post the page could not have sent."""
    from .questions import parse

    before = {q.id for q in visible_questions(section, saved)}
    values = dict(saved)
    result = PageInput({}, {}, {}, [])
    for question in section.questions:
        if question.show_if is not None and not question.show_if.applies(values):
            values.pop(question.id, None)
            continue
        if question.id not in before:
            result.revealed.append(question.id)
        parsed = parse(question, form)
        result.raw[question.id] = parsed.raw
        if parsed.error:
            result.errors[question.id] = parsed.error
        elif parsed.answer is not None:
            result.given[question.id] = parsed.answer
        values.pop(question.id, None)
        values.update(routing_values({question.id: parsed.answer} if parsed.answer else {}))
    # A revealed follow-up the pupil already answered (their page showed it) needs no second look.
    result.revealed = [qid for qid in result.revealed if qid not in result.given]
    return result
