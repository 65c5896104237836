"""Read responses and answers for the export in chunks of response ids, as plain text columns.

On PostgreSQL each chunk is one `COPY (SELECT ...) TO STDOUT` parsed by pandas' C reader, inside one
REPEATABLE READ transaction so every chunk comes from the same snapshot. On SQLite (the demo) the
same SELECTs run through SQLAlchemy Core. Either way no ORM object is built: at national scale
(50+ answers per response, millions of responses) building objects per row is the slow part.

Every column comes back as text with "" for blank, already formatted as in the export (flags as
Y/N, SEN as its code), so the export writes cells as they are and both databases agree byte for byte.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy import String, type_coerce

from ..extensions import db
from ..models import Answer, PupilCode, Response, ResponseStatus, RosterEntry, School

CHUNK_RESPONSES = 20_000
PUPIL_FIELDS = [
    "response_id", "wave_id", "school_urn", "status", "language", "anonymous",
    "year_group", "gender", "ethnicity_major", "ethnicity_minor", "sen", "fsm", "eal", "looked_after",
]  # fmt: skip
ANSWER_FIELDS = ["response_id", "question_id", "value", "choices"]
TEXT_FIELDS = ["response_id", "question_id", "text"]
# Few distinct values in millions of rows: pandas' reader builds these as categories directly.
CATEGORIES = {"question_id": "category", "value": "category", "choices": "category"}
PAIR_SEPARATOR = "|"  # in neither question ids (identifiers) nor stored values (numbers, JSON lists)


@dataclass(frozen=True)
class Chunk:
    pupils: pd.DataFrame  # PUPIL_FIELDS, one row per response, in response id order
    answers: pd.DataFrame  # ANSWER_FIELDS: answers shown in the export (no free text, no "prefer not")
    texts: pd.DataFrame | None  # TEXT_FIELDS: non-blank free text, when asked for


def _flag(column) -> sa.ColumnElement:
    return sa.case((column.is_(True), "Y"), (column.is_(False), "N"), else_="")


def _text(column) -> sa.ColumnElement:
    return sa.func.coalesce(sa.cast(column, String), "")


def _in_wave(wave_id: int, complete_only: bool) -> list[sa.ColumnElement]:
    conditions = [Response.wave_id == wave_id]
    if complete_only:
        conditions.append(type_coerce(Response.status, String) == ResponseStatus.COMPLETE.value)
    return conditions


def _ids_query(wave_id: int, complete_only: bool, where_response_ids_sql: str | None) -> sa.Select:
    query = sa.select(Response.id).where(*_in_wave(wave_id, complete_only)).order_by(Response.id)
    if where_response_ids_sql:
        query = query.where(sa.text(f"response.id IN ({where_response_ids_sql})"))
    return query


def _pupils_query(wave_id: int, complete_only: bool, first: int, last: int) -> sa.Select:
    return (
        sa.select(
            Response.id,
            Response.wave_id,
            School.urn,
            type_coerce(Response.status, String),
            Response.language,
            sa.case((RosterEntry.id.is_(None), "Y"), else_=""),
            _text(RosterEntry.year_group),
            _text(RosterEntry.gender),
            _text(RosterEntry.ethnicity_major),
            _text(RosterEntry.ethnicity_minor),
            _text(type_coerce(RosterEntry.sen, String)),
            _flag(RosterEntry.fsm),
            _flag(RosterEntry.eal),
            _flag(RosterEntry.looked_after),
        )
        .join(School, School.id == Response.school_id)
        .join(PupilCode, PupilCode.id == Response.pupil_code_id)
        .outerjoin(RosterEntry, RosterEntry.id == PupilCode.roster_entry_id)
        .where(Response.id.between(first, last), *_in_wave(wave_id, complete_only))
        .order_by(Response.id)
    )


def _answers_query(wave_id: int, complete_only: bool, first: int, last: int) -> sa.Select:
    # The answer's own (response_id, question_id) index gives the range; the join keeps other waves'
    # responses, which share the id range when waves run at the same time, out of the transfer.
    return (
        sa.select(
            Answer.response_id,
            Answer.question_id,
            _text(Answer.value),
            _text(Answer.choices),
        )
        .join(Response, Response.id == Answer.response_id)
        .where(
            Answer.response_id.between(first, last),
            Response.id.between(first, last),  # PostgreSQL does not carry a range across a join
            *_in_wave(wave_id, complete_only),
            Answer.text.is_(None),
            Answer.prefer_not_to_say.is_(False),
        )
    )


def _answers_grouped_query(wave_id: int, complete_only: bool, first: int, last: int) -> sa.Select:
    """PostgreSQL: one row per response, its answers as "question=v4|other=c[2, 5]|...".

    COPY sends a message a row, and reading 50+ messages a response in Python is most of an
    export's time; a row a response, split by Arrow in C++, is not.
    """
    cell = sa.case(
        (Answer.choices.is_not(None), "c" + sa.cast(Answer.choices, String)),
        else_="v" + _text(Answer.value),
    )
    pairs = sa.func.string_agg(Answer.question_id + "=" + cell, sa.literal_column(f"'{PAIR_SEPARATOR}'"))
    query = _answers_query(wave_id, complete_only, first, last).with_only_columns(Answer.response_id, pairs)
    return query.group_by(Answer.response_id)


def _texts_query(wave_id: int, complete_only: bool, first: int, last: int) -> sa.Select:
    return (
        sa.select(Answer.response_id, Answer.question_id, Answer.text)
        .join(Response, Response.id == Answer.response_id)
        .where(
            Answer.response_id.between(first, last),
            *_in_wave(wave_id, complete_only),
            Answer.text.is_not(None),
            Answer.prefer_not_to_say.is_(False),
        )
        .order_by(Answer.response_id, Answer.id)
    )


class _Reader:
    """Runs a SELECT and returns its rows as a frame of text columns (response_id as int64)."""

    def __init__(self, connection: sa.Connection):
        self.connection = connection
        self.postgres = connection.dialect.name == "postgresql"

    def frame(self, query: sa.Select, names: list[str]) -> pd.DataFrame:
        if self.postgres:
            return _parse_copy(self._copy_bytes(query), names)
        rows = self.connection.execute(query).all()
        frame = pd.DataFrame(rows, columns=names, dtype=object)
        for name in names:
            if name == "response_id":
                frame[name] = frame[name].astype("int64")
            else:
                frame[name] = frame[name].map(lambda v: "" if v is None else str(v)).astype(object)
        return frame

    def answers(self, wave_id: int, complete_only: bool, first: int, last: int) -> pd.DataFrame:
        """ANSWER_FIELDS, one row an answer (question_id, value and choices as categories)."""
        if not self.postgres:
            return self.frame(_answers_query(wave_id, complete_only, first, last), ANSWER_FIELDS)
        return _parse_answers(self.answers_bytes(wave_id, complete_only, first, last))

    def answers_bytes(self, wave_id: int, complete_only: bool, first: int, last: int) -> bytearray:
        """PostgreSQL: the chunk's answers, one CSV row a response (`_answers_grouped_query`)."""
        # A hash join of the chunk's answers with its responses, then a hash aggregate: right for
        # any chunk, where a planner misled by a bulk load's stale statistics picks a nested loop
        # a row and an on-disk sort (5 times slower, measured). Only this statement is steered.
        self.connection.exec_driver_sql("SET LOCAL enable_nestloop = off")
        self.connection.exec_driver_sql("SET LOCAL enable_sort = off")
        try:
            return self._copy_bytes(_answers_grouped_query(wave_id, complete_only, first, last))
        finally:
            self.connection.exec_driver_sql("SET LOCAL enable_nestloop = on")
            self.connection.exec_driver_sql("SET LOCAL enable_sort = on")

    def texts(self, query: sa.Select) -> pd.DataFrame:
        """Free text keeps every character (newlines, quotes): read with psycopg's own parser."""
        if self.postgres:
            cursor = self.connection.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
            with cursor.copy(f"COPY ({self._sql(query)}) TO STDOUT") as copy:
                copy.set_types(["int8", "text", "text"])
                rows = list(copy.rows())
        else:
            rows = list(self.connection.execute(query).all())
        return pd.DataFrame(rows, columns=TEXT_FIELDS, dtype=object)

    def ids(self, query: sa.Select) -> np.ndarray:
        if self.postgres:
            # One row, not a message an id: "1,2,3".
            cursor = self.connection.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
            listed = f"COPY (SELECT string_agg(id::text, ',') FROM ({self._sql(query)}) AS wanted) TO STDOUT"
            with cursor.copy(listed) as copy:
                text = b"".join(bytes(block) for block in copy).decode().strip()
            if not text or text == "\\N":
                return np.array([], dtype=np.int64)
            return np.sort(np.array(text.split(","), dtype=np.int64))
        return np.fromiter(self.connection.execute(query).scalars(), dtype=np.int64)

    def _sql(self, query: sa.Select) -> str:
        # Only integers and fixed strings of ours are inlined; `where_response_ids_sql` is the
        # caller's own SQL text and is passed through as written.
        return str(query.compile(dialect=self.connection.dialect, compile_kwargs={"literal_binds": True}))

    def _copy_bytes(self, query: sa.Select) -> bytearray:
        buffer = bytearray()
        cursor = self.connection.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        with cursor.copy(f"COPY ({self._sql(query)}) TO STDOUT WITH (FORMAT csv)") as copy:
            for block in copy:
                buffer += block
        return buffer


def _parse_copy(buffer: bytearray, names: list[str]) -> pd.DataFrame:
    """A COPY's CSV rows as a frame of text columns (response_id as int64)."""
    if not buffer:
        return pd.DataFrame({n: pd.Series(dtype="int64" if n == "response_id" else object) for n in names})
    dtypes = {n: "int64" if n == "response_id" else CATEGORIES.get(n, object) for n in names}
    # na_filter off: NULL and "" both arrive as "", which is what the export writes for blank.
    return pd.read_csv(
        io.BytesIO(buffer), header=None, names=names, dtype=dtypes, na_filter=False, encoding="utf-8"
    )


def _parse_answers(buffer: bytearray) -> pd.DataFrame:
    """ANSWER_FIELDS from `_Reader.answers_bytes`: each response's pairs split by Arrow, in C++."""
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.csv as pa_csv

    if not buffer:
        return pd.DataFrame(
            {n: pd.Series(dtype="int64" if n == "response_id" else object) for n in ANSWER_FIELDS}
        )
    table = pa_csv.read_csv(
        pa.py_buffer(bytes(buffer)),
        read_options=pa_csv.ReadOptions(column_names=["response_id", "pairs"]),
        convert_options=pa_csv.ConvertOptions(
            column_types={"response_id": pa.int64(), "pairs": pa.string()}, strings_can_be_null=False
        ),
    )
    pairs = pc.split_pattern(table["pairs"].combine_chunks(), PAIR_SEPARATOR)
    owner = table["response_id"].combine_chunks().take(pc.list_parent_indices(pairs))
    split = pc.split_pattern(pc.list_flatten(pairs), "=", max_splits=1)
    question = pc.list_element(split, 0).dictionary_encode()
    stored = pc.list_element(split, 1).dictionary_encode()
    kinds = stored.dictionary.to_pylist()
    codes = stored.indices.to_numpy(zero_copy_only=False)
    values = _recode(codes, [_strip(k, "v") for k in kinds])
    choices = _recode(codes, [_strip(k, "c") for k in kinds])
    return pd.DataFrame(
        {
            "response_id": owner.to_numpy(),
            "question_id": question.to_pandas(),
            "value": values,
            "choices": choices,
        }
    )


@contextmanager
def _connection() -> Iterator[sa.Connection]:
    """PostgreSQL: a separate read-only connection on one snapshot. SQLite: the session's own."""
    if db.engine.dialect.name != "postgresql":
        yield db.session.connection()
        return
    with db.engine.connect() as connection:
        connection = connection.execution_options(isolation_level="REPEATABLE READ")
        with connection.begin():
            connection.exec_driver_sql("SET TRANSACTION READ ONLY")
            # Room to aggregate a chunk's answers (about 30 MB) in memory.
            connection.exec_driver_sql("SET LOCAL work_mem = '128MB'")
            yield connection


def chunks(
    wave_id: int,
    *,
    complete_only: bool = False,
    where_response_ids_sql: str | None = None,
    with_texts: bool = False,
    size: int | None = None,
) -> Iterator[Chunk]:
    """A wave's responses, `size` at a time in response id order, with their answers.

    On PostgreSQL the next chunk is read (COPY, then parsed) in a thread of its own while the caller
    works on this one, so the database and Python work at the same time (on two or more cores an
    export takes about the longer of the two rather than their sum). At most two chunks are held."""
    with _connection() as connection:
        reader = _Reader(connection)
        ids = reader.ids(_ids_query(wave_id, complete_only, where_response_ids_sql))
        size = size or CHUNK_RESPONSES
        wanted = [ids[start : start + size] for start in range(0, len(ids), size)]

        def read(these: np.ndarray) -> Chunk:
            return _read(reader, wave_id, complete_only, these, with_texts)

        if not reader.postgres:  # SQLite: the session's own connection, in this thread only
            yield from map(read, wanted)
            return
        yield from _one_ahead(read, wanted)


def _read(reader: _Reader, wave_id: int, complete_only: bool, wanted: np.ndarray, with_texts: bool) -> Chunk:
    first, last = int(wanted[0]), int(wanted[-1])
    pupils = reader.frame(_pupils_query(wave_id, complete_only, first, last), PUPIL_FIELDS)
    answers = reader.answers(wave_id, complete_only, first, last)
    texts = reader.texts(_texts_query(wave_id, complete_only, first, last)) if with_texts else None
    # The id list is the snapshot's: a condition on ids, or a response changed since, is
    # applied here rather than evaluated again for every chunk.
    pupils = pupils[_member(pupils["response_id"], wanted)].reset_index(drop=True)
    answers = answers[_member(answers["response_id"], wanted)]
    if texts is not None and len(texts):
        texts = texts[_member(texts["response_id"].astype("int64"), wanted)]
    return Chunk(pupils=pupils, answers=answers, texts=texts)


def _one_ahead(work: Callable[[np.ndarray], Chunk], items: list[np.ndarray]) -> Iterator[Chunk]:
    """`work` of each item in order, the next one started in a worker thread before this one is
    handed over. Only the worker uses the connection; leaving early waits for its current item."""
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="snapshot") as pool:
        pending: Future[Chunk] | None = None
        for item in items:
            started = pool.submit(work, item)
            if pending is not None:
                yield pending.result()
            pending = started
        if pending is not None:
            yield pending.result()


def _recode(codes: np.ndarray, labels: list[str]) -> pd.Categorical:
    """Codes into `labels` (which may repeat) as a categorical of the distinct labels."""
    categories, inverse = np.unique(np.array(labels, dtype=object), return_inverse=True)
    return pd.Categorical.from_codes(inverse[codes], categories=categories, validate=False)  # type: ignore[call-overload]


def _strip(stored: str, kind: str) -> str:
    """The value ("v4") or choices ("c[2, 5]") part of a stored answer, "" when it is the other."""
    return stored[1:] if stored.startswith(kind) else ""


def _member(values: pd.Series, sorted_ids: np.ndarray) -> np.ndarray:
    array = values.to_numpy(dtype=np.int64)
    position = np.minimum(np.searchsorted(sorted_ids, array), len(sorted_ids) - 1)
    return sorted_ids[position] == array
