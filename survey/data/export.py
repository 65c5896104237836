"""The response export: the contract with the analysis package (see docs/data-format.md).

Responses are read a chunk at a time (`snapshot.chunks`: PostgreSQL COPY, or plain SELECTs on
SQLite) and pivoted with numpy into one row per response, so a national export runs at tens of
thousands of responses a second in bounded memory. `export_frame` gives the same rows as a pandas
frame, for the results pipeline.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from typing import IO

import numpy as np
import pandas as pd
from sqlalchemy import select

import analysis
from questionnaires import Questionnaire

from ..extensions import db
from ..models import Wave
from . import audit, snapshot
from . import questionnaires as loaded

PUPIL_COLUMNS = [
    "response_id", "wave_id", "school_urn", "questionnaire", "status", "language",
    "year_group", "gender", "ethnicity_major", "ethnicity_minor", "sen", "fsm", "eal", "looked_after",
]  # fmt: skip
TEXT_COLUMNS = ["response_id", "wave_id", "school_urn", "questionnaire", "question_id", "text"]
FORMATS = ("csv", "parquet")
_STRING_COLUMNS = [
    c for c in PUPIL_COLUMNS if c not in ("response_id", "wave_id", "school_urn", "year_group")
]


def _waves(wave_ids: list[int] | None, questionnaire_id: str | None) -> list[Wave]:
    query = select(Wave).order_by(Wave.id)
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


@dataclass(frozen=True)
class _Layout:
    """The export's columns for a set of waves, and each wave's questionnaire definition."""

    waves: list[Wave]
    definitions: dict[int, Questionnaire]  # by wave id
    questions: list[str]

    @classmethod
    def of(cls, waves: list[Wave]) -> _Layout:
        by_version = {
            (w.questionnaire_id, w.questionnaire_version): loaded.definition(
                w.questionnaire_id, w.questionnaire_version
            )
            for w in waves
        }
        ordered = sorted(by_version.values(), key=lambda d: (d.id, -d.version))
        definitions = {w.id: by_version[(w.questionnaire_id, w.questionnaire_version)] for w in waves}
        return cls(waves=waves, definitions=definitions, questions=question_columns(ordered))

    @property
    def columns(self) -> list[str]:
        return PUPIL_COLUMNS + self.questions

    def kinds(self) -> dict[str, str]:
        kinds: dict[str, str] = {}
        for definition in self.definitions.values():
            for question in definition.questions:
                kinds.setdefault(question.id, question.type)
        return kinds


@cache
def _choices_cell(stored: str) -> str | None:
    """A `multiple` answer's stored JSON list as its cell: values ascending, joined by ";"."""
    chosen = json.loads(stored)
    return None if chosen is None else ";".join(str(v) for v in sorted(chosen))


def _grid(chunk: snapshot.Chunk, wave: Wave, layout: _Layout) -> np.ndarray:
    """One row per response of the chunk, every cell as the text the CSV holds ("" for blank)."""
    pupils, answers = chunk.pupils, chunk.answers
    grid = np.full((len(pupils), len(layout.columns)), "", dtype=object)
    for i, column in enumerate(PUPIL_COLUMNS):
        if column == "questionnaire":
            grid[:, i] = wave.questionnaire_id
        else:
            grid[:, i] = pupils[column].to_numpy()
    if len(answers):
        # Question ids, values and stored choices repeat endlessly: work on each distinct one once.
        question = _categories(answers["question_id"])
        where = {q: len(PUPIL_COLUMNS) + i for i, q in enumerate(layout.questions)}
        columns = np.array([where.get(q, -1) for q in question.categories], dtype=np.intp)[question.codes]
        value = _categories(answers["value"])
        cells = np.asarray(value.categories, dtype=object)[value.codes]
        stored = _categories(answers["choices"])
        joined = [None if s == "" else _choices_cell(s) for s in stored.categories]
        if any(j is not None for j in joined):
            chosen = np.asarray(joined, dtype=object)[stored.codes]
            cells = np.where(pd.isna(chosen), cells, chosen)
        shown = columns >= 0
        rows = np.searchsorted(pupils["response_id"].to_numpy(dtype=np.int64), answers["response_id"])
        grid[rows[shown], columns[shown]] = cells[shown]
    _profile_from_answers(grid, pupils["anonymous"].to_numpy() == "Y", layout, layout.definitions[wave.id])
    return grid


def _categories(values: pd.Series) -> pd.Categorical:
    return (values if isinstance(values.dtype, pd.CategoricalDtype) else values.astype("category")).array


def _profile_from_answers(
    grid: np.ndarray, anonymous: np.ndarray, layout: _Layout, questionnaire: Questionnaire
) -> None:
    """In anonymous mode the pupil's own "About you" answers stand in for the roster."""
    if not anonymous.any():
        return
    position = {c: i for i, c in enumerate(PUPIL_COLUMNS)}
    own = {q: len(PUPIL_COLUMNS) + i for i, q in enumerate(layout.questions)}
    for question in questionnaire.questions:
        if not question.profile or question.profile not in position or question.id not in own:
            continue
        codes = {str(o.value): o.code or "" for o in question.options}
        answered = grid[anonymous, own[question.id]]
        mapped = np.array([codes.get(v, "") if v != "" else None for v in answered], dtype=object)
        target = grid[anonymous, position[question.profile]]
        grid[anonymous, position[question.profile]] = np.where(pd.isna(mapped), target, mapped)


def _grids(layout: _Layout, **options) -> Iterator[tuple[Wave, snapshot.Chunk, np.ndarray]]:
    for wave in layout.waves:
        for chunk in snapshot.chunks(wave.id, **options):
            yield wave, chunk, _grid(chunk, wave, layout)


def export_responses(
    out: IO,
    *,
    text_out: IO[str] | None = None,
    wave_ids: list[int] | None = None,
    questionnaire_id: str | None = None,
    actor: str,
    format: str = "csv",
) -> int:
    """Write one row per response (CSV text, or Parquet to a binary file); free text goes only to
    `text_out` (always CSV). Returns the row count."""
    if format not in FORMATS:
        raise ValueError(f"unknown export format {format!r}: use {' or '.join(FORMATS)}")
    layout = _Layout.of(_waves(wave_ids, questionnaire_id))
    sink = _ParquetSink(out, layout) if format == "parquet" else _CsvSink(out, layout)
    text_writer = csv.writer(text_out) if text_out else None
    if text_writer:
        text_writer.writerow(TEXT_COLUMNS)
    count = 0
    for wave, chunk, grid in _grids(layout, with_texts=text_out is not None):
        sink.write(grid)
        count += len(grid)
        if text_writer and chunk.texts is not None:
            _write_texts(text_writer, chunk, wave)
    sink.close()
    audit.record(
        "export_responses",
        actor=actor,
        rows=count,
        waves=[w.id for w in layout.waves],
        free_text=text_out is not None,
        format=format,
    )
    return count


def _write_texts(writer, chunk: snapshot.Chunk, wave: Wave) -> None:
    urns = dict(zip(chunk.pupils["response_id"], chunk.pupils["school_urn"], strict=True))
    for response_id, question_id, text in chunk.texts.itertuples(index=False):
        if text.strip():
            writer.writerow(
                [response_id, wave.id, urns[response_id], wave.questionnaire_id, question_id, text]
            )


class _CsvSink:
    def __init__(self, out: IO[str], layout: _Layout):
        # The csv module's defaults ("\r\n", minimal quoting) are what the export has always written.
        self.writer = csv.writer(out)
        self.writer.writerow(layout.columns)

    def write(self, grid: np.ndarray) -> None:
        self.writer.writerows(grid.tolist())

    def close(self) -> None:
        pass


class _ParquetSink:
    """Typed columns: ids and answers as integers, pupil codes and `multiple` answers as text."""

    def __init__(self, out: IO[bytes], layout: _Layout):
        import pyarrow as pa
        import pyarrow.parquet as pq

        kinds = layout.kinds()
        fields = []
        for column in layout.columns:
            if column in ("response_id", "school_urn"):
                kind = pa.int64()
            elif column == "wave_id":
                kind = pa.int32()
            elif column == "year_group":
                kind = pa.int16()
            elif column in PUPIL_COLUMNS or kinds.get(column) == "multiple":
                kind = pa.string()
            else:
                kind = pa.int32()
            fields.append(pa.field(column, kind))
        self.schema = pa.schema(fields)
        self.writer = pq.ParquetWriter(out, self.schema)

    def write(self, grid: np.ndarray) -> None:
        import pyarrow as pa

        arrays = []
        for i, field in enumerate(self.schema):
            cells = grid[:, i]
            blank = cells == ""
            if pa.types.is_string(field.type):
                arrays.append(pa.array(np.where(blank, None, cells), type=field.type))
            else:
                numbers = pd.to_numeric(pd.Series(np.where(blank, None, cells)), errors="raise")
                arrays.append(pa.array(numbers, type=field.type, from_pandas=True))
        self.writer.write_table(pa.Table.from_arrays(arrays, schema=self.schema))

    def close(self) -> None:
        self.writer.close()


def export_frame(questionnaire_id: str, where_response_ids_sql: str | None = None) -> pd.DataFrame:
    """Complete responses to a questionnaire (every wave of it) as the export's rows, in a frame.

    Columns and dtypes are those `analysis.read_responses` gives for the same export written to a
    file. `where_response_ids_sql`, when given, is a SQL query returning response ids (it may name
    the `response` table); only those responses are included. On PostgreSQL every chunk is read with
    COPY from one REPEATABLE READ snapshot. Not audited: callers record what they publish.
    """
    version = loaded.latest(questionnaire_id)
    if version is None:
        raise LookupError(f"questionnaire {questionnaire_id!r} is not loaded")
    layout = _Layout.of(_waves(None, questionnaire_id))
    kinds = layout.kinds()
    pieces = [
        _typed(grid, layout.columns, kinds)
        for _wave, _chunk, grid in _grids(
            layout, complete_only=True, where_response_ids_sql=where_response_ids_sql
        )
    ]
    if not pieces:
        frame = pd.DataFrame({c: pd.Series(dtype=object) for c in layout.columns})
        frame["response_id"] = frame["response_id"].astype("int64")
    else:
        frame = _concat(pieces)
    return analysis.from_frame(frame, loaded.definition(questionnaire_id, version.version), name="snapshot")


def _typed(grid: np.ndarray, columns: list[str], kinds: dict[str, str]) -> pd.DataFrame:
    data: dict[str, object] = {}
    for i, column in enumerate(columns):
        cells = grid[:, i]
        blank = cells == ""
        if column in _STRING_COLUMNS or kinds.get(column) == "multiple":
            data[column] = pd.Categorical(np.where(blank, None, cells))
        else:
            numbers = pd.to_numeric(pd.Series(np.where(blank, None, cells), dtype=object))
            data[column] = numbers.astype("int64" if column == "response_id" else "float32")
    return pd.DataFrame(data)


def _concat(pieces: list[pd.DataFrame]) -> pd.DataFrame:
    """Chunks joined, categories united (plain `concat` would fall back to slow Python objects)."""
    joined = {}
    for column in pieces[0].columns:
        parts = [p[column] for p in pieces]
        if isinstance(parts[0].dtype, pd.CategoricalDtype):
            joined[column] = pd.api.types.union_categoricals([p.array for p in parts])
        else:
            joined[column] = np.concatenate([p.to_numpy() for p in parts])
    return pd.DataFrame(joined)
