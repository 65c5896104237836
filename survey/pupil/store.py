"""The pupil journey's reads and writes, in SQLAlchemy Core: every question page needs them, so each
costs as few round trips to the database as it can.

- `load` reads a code, its wave, its response and every saved answer in one query, on a connection
  in autocommit mode (one statement needs no BEGIN and ROLLBACK round trips).
- `save_page` replaces one page's answers. On PostgreSQL it is one statement: an UPDATE of the
  response that only matches if nobody saved since `load` (its `updated_at` is unchanged), with the
  DELETE of the page's cleared answers and the upsert of its given ones as data-modifying CTEs that
  act only if that UPDATE did; so the whole page is saved, or nothing is. If someone did save in
  between (a double submit), or on SQLite, the page is saved in a transaction that first takes the
  response's row lock (the UPDATE), then reads the answers again under it.

One connection serves a request's reads and writes; it goes back to the pool when the app context
ends.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import cast

from flask import g
from sqlalchemy import Connection, Table, bindparam, case, delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from ..extensions import db
from ..models import Answer, PupilCode, Response, ResponseStatus, School, Wave, utcnow

CODE, WAVE, RESPONSE, ANSWER, SCHOOL = (
    cast(Table, m.__table__) for m in (PupilCode, Wave, Response, Answer, School)
)


@dataclass(frozen=True, slots=True)
class Saved:
    """An answer as stored (the same fields as `answers.Given`)."""

    value: int | None
    choices: tuple[int, ...] | None
    text: str | None
    prefer_not_to_say: bool


@dataclass(slots=True)
class CodeRow:
    id: int
    school_id: int
    roster_entry_id: int | None
    session_ended_at: datetime | None


@dataclass(slots=True)
class WaveRow:
    id: int
    questionnaire_id: str
    questionnaire_version: int
    opens_at: datetime
    closes_at: datetime


@dataclass(slots=True)
class ResponseRow:
    id: int
    status: ResponseStatus
    progress: int
    updated_at: datetime


@dataclass(slots=True)
class Loaded:
    code: CodeRow
    wave: WaveRow
    response: ResponseRow | None
    answers: dict[str, Saved]


_LOAD = (
    select(
        CODE.c.id,
        CODE.c.school_id,
        CODE.c.roster_entry_id,
        CODE.c.session_ended_at,
        WAVE.c.id,
        WAVE.c.questionnaire_id,
        WAVE.c.questionnaire_version,
        WAVE.c.opens_at,
        WAVE.c.closes_at,
        RESPONSE.c.id,
        RESPONSE.c.status,
        RESPONSE.c.progress,
        RESPONSE.c.updated_at,
        ANSWER.c.question_id,
        ANSWER.c.value,
        ANSWER.c.choices,
        ANSWER.c.text,
        ANSWER.c.prefer_not_to_say,
    )
    .select_from(
        CODE.join(WAVE, WAVE.c.id == CODE.c.wave_id)
        .outerjoin(RESPONSE, RESPONSE.c.pupil_code_id == CODE.c.id)
        .outerjoin(ANSWER, ANSWER.c.response_id == RESPONSE.c.id)
    )
    .where(CODE.c.id == bindparam("code_id"))
)

# PostgreSQL: the same in one row, the answers gathered into one JSON array that psycopg decodes in C,
# instead of one Python row of 18 columns for each answer.
_ANSWERS_JSON = (
    select(
        func.json_agg(
            func.json_build_array(
                ANSWER.c.question_id,
                ANSWER.c.value,
                ANSWER.c.choices,
                ANSWER.c.text,
                ANSWER.c.prefer_not_to_say,
            )
        )
    )
    .where(ANSWER.c.response_id == RESPONSE.c.id)
    .scalar_subquery()
)
_LOAD_ONE_ROW = (
    select(*_LOAD.selected_columns[:13], _ANSWERS_JSON)
    .select_from(
        CODE.join(WAVE, WAVE.c.id == CODE.c.wave_id).outerjoin(
            RESPONSE, RESPONSE.c.pupil_code_id == CODE.c.id
        )
    )
    .where(CODE.c.id == bindparam("code_id"))
)

_ANSWERS = select(
    ANSWER.c.question_id, ANSWER.c.value, ANSWER.c.choices, ANSWER.c.text, ANSWER.c.prefer_not_to_say
).where(ANSWER.c.response_id == bindparam("response_id"))


def _saved(value, choices, text, prefer_not_to_say) -> Saved:
    return Saved(value, tuple(choices) if choices is not None else None, text, bool(prefer_not_to_say))


def connection() -> Connection:
    """This app context's connection for the pupil journey, in autocommit mode."""
    found = g.get("_pupil_connection")
    if found is None:
        found = g._pupil_connection = db.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
    return found


def release(_exception=None) -> None:
    found = g.pop("_pupil_connection", None)
    if found is not None:
        found.close()


def _driver(conn: Connection):
    """psycopg's own connection under `conn`: the two hot statements skip SQLAlchemy's result
    machinery (it builds a description of every column of every result, a tenth of a page's CPU)."""
    return conn.connection.driver_connection


_COMPILED: dict[str, str] = {}


def load(code_id: int) -> Loaded | None:
    conn = connection()
    if conn.dialect.name == "postgresql":
        # psycopg itself gives aware datetimes and decoded JSON: the SQL text alone is enough, and
        # skips SQLAlchemy's result processing.
        sql = _COMPILED.get("postgresql") or _COMPILED.setdefault(
            "postgresql", str(_LOAD_ONE_ROW.compile(conn))
        )
        first = _driver(conn).execute(sql, {"code_id": code_id}).fetchone()
        if first is None:
            return None
        answers = {row[0]: _saved(*row[1:]) for row in first[13] or ()}
        return Loaded(*_code_wave_response(first), answers)
    rows = conn.execute(_LOAD, {"code_id": code_id}).all()
    if not rows:
        return None
    answers = {row[13]: _saved(*row[14:18]) for row in rows if row[13] is not None}
    return Loaded(*_code_wave_response(rows[0]), answers)


def _code_wave_response(first) -> tuple[CodeRow, WaveRow, ResponseRow | None]:
    code = CodeRow(*first[0:4])
    wave = WaveRow(*first[4:9])
    response = None
    if first[9] is not None:
        response = ResponseRow(first[9], ResponseStatus(first[10]), first[11], first[12])
    return code, wave, response


def begin_response(
    code: CodeRow, wave: WaveRow, language: str, status=ResponseStatus.IN_PROGRESS
) -> ResponseRow:
    """The pupil's response, made now unless it exists already (a double submit made it a moment ago)."""
    now = utcnow()
    values = {
        "wave_id": wave.id,
        "school_id": code.school_id,
        "pupil_code_id": code.id,
        "status": status,
        "language": language,
        "progress": 0,
        "started_at": now,
        "updated_at": now,
        "completed_at": now if status != ResponseStatus.IN_PROGRESS else None,
    }
    columns = (RESPONSE.c.id, RESPONSE.c.status, RESPONSE.c.progress, RESPONSE.c.updated_at)
    try:
        row = connection().execute(insert(RESPONSE).values(values).returning(*columns)).one()
    except IntegrityError:
        row = connection().execute(select(*columns).where(RESPONSE.c.pupil_code_id == code.id)).one()
    return ResponseRow(*row)


def take_part_after_all(response_id: int, language: str) -> ResponseRow:
    """A pupil who said "No thanks" changed their mind (the wave still open): their response starts
    now, with no answers, as if they had said yes the first time."""
    now = utcnow()
    columns = (RESPONSE.c.id, RESPONSE.c.status, RESPONSE.c.progress, RESPONSE.c.updated_at)
    connection().execute(
        update(RESPONSE)
        .where(RESPONSE.c.id == response_id, RESPONSE.c.status == ResponseStatus.REFUSED)
        .values(status=ResponseStatus.IN_PROGRESS, completed_at=None, started_at=now, updated_at=now,
                language=language, progress=0)
    )  # fmt: skip
    return ResponseRow(*connection().execute(select(*columns).where(RESPONSE.c.id == response_id)).one())


def finish(response_id: int, language: str) -> None:
    """Mark the response complete, if it is still in progress."""
    connection().execute(
        update(RESPONSE)
        .where(RESPONSE.c.id == response_id, RESPONSE.c.status == ResponseStatus.IN_PROGRESS)
        .values(status=ResponseStatus.COMPLETE, completed_at=utcnow(), language=language, updated_at=utcnow())
    )


def code_id(code_hash: str) -> int | None:
    return connection().execute(select(CODE.c.id).where(CODE.c.code_hash == code_hash)).scalar()


def school_text(school, name: str, language: str) -> tuple[str | None, str | None]:
    """A school's text for pupils (`name`: trusted_adult_text or you_said_we_did) in the page's
    language, and the language to mark it with when it is not the page's (English on a Welsh page
    when the school wrote no Welsh)."""
    if school is None:
        return None, None
    english = getattr(school, name)
    welsh = getattr(school, f"{name}_cy")
    if language == "cy" and welsh and english:
        return welsh, None
    return english, ("en" if language == "cy" and english else None)


def school(school_id: int):
    """What a pupil's pages show of their school (its trusted-adult text and "you said, we did"), or None."""
    columns = (
        SCHOOL.c.trusted_adult_text,
        SCHOOL.c.you_said_we_did,
        SCHOOL.c.la_code,
        SCHOOL.c.trusted_adult_text_cy,
        SCHOOL.c.you_said_we_did_cy,
    )
    return connection().execute(select(*columns).where(SCHOOL.c.id == school_id)).first()


def end_session(code_id: int) -> None:
    connection().execute(update(CODE).where(CODE.c.id == code_id).values(session_ended_at=utcnow()))


@dataclass
class Change:
    """One page's save: the answers to write and the question ids whose answers go."""

    rows: Mapping[str, object]  # question id -> answers.Given (or Saved)
    gone: list[str]
    progress: int  # sections saved, at least
    language: str
    values: dict[str, object]  # the routing values after the save


# Works out a Change from the answers as they are now: (answers) -> Change.
Planner = Callable[[Mapping[str, Saved]], Change]


def _row(question_id: str, answer) -> dict:
    return {
        "question_id": question_id,
        "value": answer.value,
        "choices": list(answer.choices) if answer.choices is not None else None,
        "text": answer.text,
        "prefer_not_to_say": answer.prefer_not_to_say,
    }


_PG_SAVE = """
WITH saved AS (
    UPDATE response
    SET progress = CASE WHEN progress < %(progress)s THEN %(progress)s ELSE progress END,
        language = %(language)s,
        updated_at = %(now)s
    WHERE id = %(response_id)s AND status = %(in_progress)s AND updated_at = %(seen)s
    RETURNING id
), gone AS (
    DELETE FROM answer
    WHERE response_id IN (SELECT id FROM saved)
      AND question_id IN (SELECT json_array_elements_text(%(gone)s::json))
), put AS (
    INSERT INTO answer (response_id, question_id, value, choices, text, prefer_not_to_say, saved_at)
    SELECT saved.id, v.question_id, v.value, v.choices, v.text, v.prefer_not_to_say, %(now)s
    FROM saved, json_to_recordset(%(rows)s::json)
        AS v(question_id varchar, value integer, choices json, text text, prefer_not_to_say boolean)
    ON CONFLICT (response_id, question_id) DO UPDATE
    SET value = excluded.value, choices = excluded.choices, text = excluded.text,
        prefer_not_to_say = excluded.prefer_not_to_say, saved_at = excluded.saved_at
)
SELECT count(*) FROM saved
"""


class Finished(Exception):
    """The response is no longer in progress (finished on another device, or refused)."""


def save_page(response: ResponseRow, answers: Mapping[str, Saved], plan: Planner) -> Change:
    """Save one page in one transaction; `answers` are those read with `response` by `load`.

    Raises Finished if the response is no longer in progress."""
    now = utcnow()
    conn = connection()
    if conn.dialect.name == "postgresql":
        change = plan(answers)
        params = {
            "response_id": response.id,
            "in_progress": ResponseStatus.IN_PROGRESS.value,
            "seen": response.updated_at,
            "progress": change.progress,
            "language": change.language,
            "now": now,
            "gone": json.dumps([qid for qid in change.gone if qid in answers]),
            "rows": json.dumps([_row(qid, a) for qid, a in change.rows.items()]),
        }
        if _driver(conn).execute(_PG_SAVE, params).fetchone()[0]:
            response.updated_at = now
            return change
    # Someone saved since `load` (or this is SQLite): lock the response, then read its answers again.
    with db.engine.begin() as locked:
        change = plan(answers)  # for progress and language, which do not depend on the answers
        done = locked.execute(
            update(RESPONSE)
            .where(RESPONSE.c.id == response.id, RESPONSE.c.status == ResponseStatus.IN_PROGRESS)
            .values(
                progress=case(
                    (RESPONSE.c.progress < change.progress, change.progress), else_=RESPONSE.c.progress
                ),
                language=change.language,
                updated_at=now,
            )
        ).rowcount
        if not done:
            raise Finished
        current = {row[0]: _saved(*row[1:]) for row in locked.execute(_ANSWERS, {"response_id": response.id})}
        change = plan(current)
        # Answers that go, and given ones that replace an answer: deleted first, then inserted anew.
        replaced = [qid for qid in [*change.gone, *change.rows] if qid in current]
        if replaced:
            locked.execute(
                delete(ANSWER).where(ANSWER.c.response_id == response.id, ANSWER.c.question_id.in_(replaced))
            )
        if change.rows:
            rows = [
                {"response_id": response.id, "saved_at": now, **_row(qid, a)}
                for qid, a in change.rows.items()
            ]
            locked.execute(insert(ANSWER), rows)
    response.updated_at = now
    return change
