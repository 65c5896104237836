"""The response export as it was before it streamed from COPY: kept only to check the new one.

`tests/test_export_speed_path.py` compares its output with `survey.data.export` byte for byte on the
demo data. It is the old code path, reading plain rows through SQLAlchemy, with its imports made
absolute; it is not used by the app.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from itertools import groupby
from typing import IO

from sqlalchemy import Row

from questionnaires import Questionnaire
from survey.data import questionnaires as loaded
from survey.extensions import db
from survey.models import Answer, PupilCode, Response, RosterEntry, School, Wave

PUPIL_COLUMNS = [
    "response_id", "wave_id", "school_urn", "questionnaire", "status", "language",
    "year_group", "gender", "ethnicity_major", "ethnicity_minor", "sen", "fsm", "eal", "looked_after",
]  # fmt: skip
TEXT_COLUMNS = ["response_id", "wave_id", "school_urn", "questionnaire", "question_id", "text"]


def _flag(value: bool | None) -> str:
    return "" if value is None else ("Y" if value else "N")


def _answer_cell(answer: Row) -> str:
    if answer.prefer_not_to_say:
        return ""
    if answer.choices is not None:
        return ";".join(str(v) for v in sorted(answer.choices))
    return "" if answer.value is None else str(answer.value)


def _profile_from_answers(questionnaire: Questionnaire, answers: dict[str, Row]) -> dict[str, str]:
    """In anonymous mode the pupil's own "About you" answers stand in for the roster."""
    profile: dict[str, str] = {}
    for question in questionnaire.questions:
        answer = answers.get(question.id)
        if question.profile and answer and answer.value is not None and not answer.prefer_not_to_say:
            profile[question.profile] = question.option(answer.value).code or ""
    return profile


def _waves(wave_ids: list[int] | None, questionnaire_id: str | None) -> list[Wave]:
    query = db.select(Wave).order_by(Wave.id)
    if wave_ids:
        query = query.where(Wave.id.in_(wave_ids))
    if questionnaire_id:
        query = query.where(Wave.questionnaire_id == questionnaire_id)
    return list(db.session.scalars(query))


def question_columns(definitions: list[Questionnaire]) -> list[str]:
    columns: list[str] = []
    for definition in definitions:
        for question in definition.questions:
            if question.type != "text" and question.id not in columns:
                columns.append(question.id)
    return columns


def export_responses(
    out: IO[str],
    *,
    text_out: IO[str] | None = None,
    wave_ids: list[int] | None = None,
    questionnaire_id: str | None = None,
) -> int:
    """Write one CSV row per response; free text goes only to `text_out`. Returns the row count."""
    waves = _waves(wave_ids, questionnaire_id)
    definitions = {
        (w.questionnaire_id, w.questionnaire_version): loaded.definition(
            w.questionnaire_id, w.questionnaire_version
        )
        for w in waves
    }
    ordered = sorted(definitions.values(), key=lambda d: (d.id, -d.version))
    columns = question_columns(ordered)
    writer = csv.DictWriter(out, fieldnames=PUPIL_COLUMNS + columns, extrasaction="ignore")
    writer.writeheader()
    text_writer = (
        csv.DictWriter(text_out, fieldnames=TEXT_COLUMNS, extrasaction="ignore") if text_out else None
    )
    if text_writer:
        text_writer.writeheader()
    count = 0
    for wave in waves:
        definition = definitions[(wave.questionnaire_id, wave.questionnaire_version)]
        for response, answers in _responses(wave):
            base = {
                "response_id": response.id,
                "wave_id": wave.id,
                "school_urn": response.urn,
                "questionnaire": wave.questionnaire_id,
                "status": response.status.value,
                "language": response.language,
            }
            row = dict(base)
            if response.roster_id is not None:
                row.update(
                    year_group=response.year_group,
                    gender=response.gender or "",
                    ethnicity_major=response.ethnicity_major or "",
                    ethnicity_minor=response.ethnicity_minor or "",
                    sen=response.sen.value if response.sen else "",
                    fsm=_flag(response.fsm),
                    eal=_flag(response.eal),
                    looked_after=_flag(response.looked_after),
                )
            else:
                row.update(_profile_from_answers(definition, answers))
            for question_id, answer in answers.items():
                if answer.text is not None:
                    if text_writer and answer.text.strip() and not answer.prefer_not_to_say:
                        text_writer.writerow({**base, "question_id": question_id, "text": answer.text})
                elif question_id in columns:
                    row[question_id] = _answer_cell(answer)
            writer.writerow(row)
            count += 1
    return count


def _responses(wave: Wave) -> Iterator[tuple[Row, dict[str, Row]]]:
    """Responses of a wave (with school URN and roster attributes) and their answers, in id order.

    Two streamed queries of plain rows: building ORM objects for millions of answers is the slow part.
    """
    responses = db.session.execute(
        db.select(
            Response.id,
            Response.status,
            Response.language,
            School.urn,
            RosterEntry.id.label("roster_id"),
            RosterEntry.year_group,
            RosterEntry.gender,
            RosterEntry.ethnicity_major,
            RosterEntry.ethnicity_minor,
            RosterEntry.sen,
            RosterEntry.fsm,
            RosterEntry.eal,
            RosterEntry.looked_after,
        )
        .join(School, School.id == Response.school_id)
        .join(PupilCode, PupilCode.id == Response.pupil_code_id)
        .outerjoin(RosterEntry, RosterEntry.id == PupilCode.roster_entry_id)
        .where(Response.wave_id == wave.id)
        .order_by(Response.id)
        .execution_options(yield_per=5000)
    )
    answers = db.session.execute(
        db.select(
            Answer.response_id,
            Answer.question_id,
            Answer.value,
            Answer.choices,
            Answer.text,
            Answer.prefer_not_to_say,
        )
        .join(Response, Response.id == Answer.response_id)
        .where(Response.wave_id == wave.id)
        .order_by(Answer.response_id)
        .execution_options(yield_per=50000)
    )
    grouped = groupby(answers, key=lambda a: a.response_id)
    pending = next(grouped, None)
    for response in responses:
        own: dict[str, Row] = {}
        while pending is not None and pending[0] < response.id:
            pending = next(grouped, None)
        if pending is not None and pending[0] == response.id:
            own = {a.question_id: a for a in pending[1]}
            pending = next(grouped, None)
        yield response, own
