"""The pupil journey's rules: which sections a pupil sees, saving a page, finishing.

Routing is applied here, on the server: a question whose `show_if` does not hold is never shown,
never saved, and its earlier answer is removed when a change makes it no longer apply.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from questionnaires import Question, Questionnaire, Section

from ..data.bulk import insert_rows
from ..data.questionnaires import definition
from ..extensions import db
from ..models import Answer, PupilCode, Response, ResponseStatus, Wave, utcnow
from .answers import Given


class AlreadyFinished(Exception):
    pass


@dataclass
class Pupil:
    """The pupil at the keyboard: their code, wave, questionnaire and (once they agreed) response."""

    code: PupilCode
    wave: Wave
    questionnaire: Questionnaire
    response: Response | None

    @property
    def anonymous(self) -> bool:
        return self.code.roster_entry_id is None

    @property
    def primary(self) -> bool:
        return self.questionnaire.audience == "primary"


def load_pupil(code_id: int) -> Pupil | None:
    # One query for the code, its wave and its response: this runs on every pupil request.
    code = db.session.get(
        PupilCode, code_id, options=[joinedload(PupilCode.wave), joinedload(PupilCode.response)]
    )
    if code is None:
        return None
    questionnaire = definition(code.wave.questionnaire_id, code.wave.questionnaire_version)
    return Pupil(code=code, wave=code.wave, questionnaire=questionnaire, response=code.response)


def saved_answers(response: Response | None) -> dict[str, Answer]:
    if response is None:
        return {}
    return {a.question_id: a for a in db.session.scalars(select(Answer).filter_by(response_id=response.id))}


def routing_values(answers: Mapping[str, Answer | Given]) -> dict[str, object]:
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
    return [
        s
        for s in pupil.questionnaire.sections
        if s.only_in is None or (s.only_in == "anonymous" and pupil.anonymous)
    ]


def route(pupil: Pupil, values: Mapping[str, object]) -> list[Section]:
    """The pages this pupil sees, given their answers so far: sections with a question to ask."""
    return [s for s in sections_for(pupil) if visible_questions(s, values)]


def next_page(pupil: Pupil, values: Mapping[str, object], after: Section | None) -> Section | None:
    """The section after `after` (or the first), or None when only checking and finishing are left."""
    pages = route(pupil, values)
    if after is None:
        return pages[0] if pages else None
    order = [s.id for s in sections_for(pupil)]
    later = [s for s in pages if order.index(s.id) > order.index(after.id)]
    return later[0] if later else None


def resume_page(pupil: Pupil, values: Mapping[str, object]) -> Section | None:
    """The first section not yet saved, or None when every section has been saved."""
    done = pupil.response.progress if pupil.response else 0
    order = [s.id for s in sections_for(pupil)]
    for section in route(pupil, values):
        if order.index(section.id) >= done:
            return section
    return None


def agree(pupil: Pupil, language: str) -> Response:
    """The pupil said yes: make their response (once, however often the button is pressed)."""
    if pupil.response is None:
        response = Response(
            wave_id=pupil.wave.id,
            school_id=pupil.code.school_id,
            pupil_code_id=pupil.code.id,
            language=language,
        )
        db.session.add(response)
        try:
            db.session.commit()
        except IntegrityError:  # a double submit made it a moment ago
            db.session.rollback()
            response = db.session.scalar(select(Response).filter_by(pupil_code_id=pupil.code.id))
        pupil.response = response
    return pupil.response


def refuse(pupil: Pupil, language: str) -> None:
    """The pupil said "No thanks": record a refusal with no answers."""
    if pupil.response is None:
        db.session.add(
            Response(
                wave_id=pupil.wave.id,
                school_id=pupil.code.school_id,
                pupil_code_id=pupil.code.id,
                language=language,
                status=ResponseStatus.REFUSED,
                completed_at=utcnow(),
            )
        )
        try:
            db.session.commit()
        except IntegrityError:
            db.session.rollback()


def _locked(response_id: int) -> Response:
    # One page save at a time per response: a double submit waits for the first, then repeats it.
    response = db.session.scalar(
        select(Response)
        .where(Response.id == response_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if response is None or response.status != ResponseStatus.IN_PROGRESS:
        raise AlreadyFinished
    return response


def save_page(pupil: Pupil, section: Section, given: Mapping[str, Given], language: str) -> dict[str, object]:
    """Replace the answers on one page in a single transaction; returns the routing values after it.

    Saving the same page twice gives the same rows, so a double submit or a retry changes nothing.
    """
    assert pupil.response is not None
    response = _locked(pupil.response.id)
    page_ids = [q.id for q in section.questions]
    db.session.execute(
        delete(Answer).where(Answer.response_id == response.id, Answer.question_id.in_(page_ids))
    )
    now = utcnow()
    insert_rows(Answer.__table__, [
        {"response_id": response.id, "question_id": qid, "value": g.value,
         "choices": list(g.choices) if g.choices is not None else None, "text": g.text,
         "prefer_not_to_say": g.prefer_not_to_say, "saved_at": now}
        for qid, g in given.items()
    ])  # fmt: skip
    values = _prune(pupil.questionnaire, response)
    order = [s.id for s in sections_for(pupil)]
    response.progress = max(response.progress, order.index(section.id) + 1)
    response.language = language
    response.updated_at = now
    db.session.commit()
    return values


def _prune(questionnaire: Questionnaire, response: Response) -> dict[str, object]:
    """Remove answers to questions that routing no longer asks (an earlier answer changed)."""
    answers = saved_answers(response)
    values: dict[str, object] = {}
    stale: list[str] = []
    for question in questionnaire.questions:
        answer = answers.get(question.id)
        if answer is None:
            continue
        if question.show_if is not None and not question.show_if.applies(values):
            stale.append(question.id)
            continue
        values.update(routing_values({question.id: answer}))
    if stale:
        db.session.execute(
            delete(Answer).where(Answer.response_id == response.id, Answer.question_id.in_(stale))
        )
    return values


def end_session(code_id: int) -> None:
    code = db.session.get(PupilCode, code_id)
    if code is not None:
        code.session_ended_at = utcnow()
        db.session.commit()


def finish(pupil: Pupil, language: str) -> None:
    assert pupil.response is not None
    try:
        response = _locked(pupil.response.id)
    except AlreadyFinished:
        return  # finishing twice is finishing once
    response.status = ResponseStatus.COMPLETE
    response.completed_at = utcnow()
    response.language = language
    db.session.commit()


@dataclass
class PageInput:
    given: dict[str, Given]
    errors: dict[str, str]
    raw: dict[str, object]
    revealed: list[str]  # follow-up questions this post made visible but the pupil has not seen


def read_page(section: Section, form, saved: Mapping[str, object]) -> PageInput:
    """Parse a posted page in question order; a follow-up counts as asked if the answers above it,
    as posted, ask it. Raises answers.BadInput for a post the page could not have sent."""
    from .answers import PARSERS

    before = {q.id for q in visible_questions(section, saved)}
    values = dict(saved)
    result = PageInput({}, {}, {}, [])
    for question in section.questions:
        if question.show_if is not None and not question.show_if.applies(values):
            values.pop(question.id, None)
            continue
        if question.id not in before:
            result.revealed.append(question.id)
        parsed = PARSERS[question.type](question, form)
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
