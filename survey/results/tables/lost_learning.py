"""Lost learning: the share of the school's pupils who said each happened at least once."""

from __future__ import annotations

import math

import pandas as pd
from markupsafe import Markup

import analysis
from questionnaires import Questionnaire

from ... import charts
from ..labels import finite, lost_learning_questions
from ..policy import MIN_N
from ..table import Column, Table
from .base import ChartView, SchoolFigures

ID = "lost-learning"
HEADING = "Lost learning"
PER = "wave"


def variants(questionnaire: Questionnaire) -> list[str]:
    return [""]


def pick(stored, scale_id: str):
    return stored


def variant(scale_id: str, group: str) -> str:
    return ""


def tables(found: SchoolFigures) -> dict[str, Table]:
    if found.lost_learning is not None:  # counted for every school at once (`results.batch`)
        return {"": lost_learning_counts_table(found.questionnaire, found.lost_learning)}
    return {"": lost_learning_table(found.questionnaire, found.own)}


def lost_learning_table(questionnaire: Questionnaire, own: pd.DataFrame) -> Table:
    counts = []
    for question in lost_learning_questions(questionnaire):
        happened = analysis.at_least_once(own, question.id, questionnaire)
        counts.append((int(happened.notna().sum()), int((happened == 1).sum())))
    return lost_learning_counts_table(questionnaire, counts)


def lost_learning_counts_table(questionnaire: Questionnaire, counts: list[tuple[int, int]]) -> Table:
    """The lost-learning table from each question's (pupils who answered, pupils it happened to);
    `survey.results.batch` counts every school's at once."""
    rows = []
    for question, (known, count) in zip(lost_learning_questions(questionnaire), counts, strict=True):
        hidden = known < MIN_N or 0 < count < MIN_N or 0 < known - count < MIN_N
        rows.append(
            {
                "question": question.text.get_for("en"),
                "known": known,
                "pct": 100 * count / known if known else math.nan,
                "_suppressed": hidden,
            }
        )
    return Table(
        id=ID,
        title="Lost learning",
        caption="Pupils who said each happened to them at least once since September",
        columns=[
            Column("question", "Experience"),
            Column("known", "Pupils who answered", "count"),
            Column("pct", "At least once", "percent"),
        ],
        rows=rows,
        note="Hidden where fewer than 10 pupils answered, "
        "or fewer than 10 did or did not have the experience.",
    )


def chart(table: Table, view: ChartView) -> Markup | None:
    if not table.rows:
        return None
    return charts.bar_chart(
        [
            {
                "label": r["question"].removeprefix("Since September, "),
                "value": None if r.get("_suppressed") else finite(r.get("pct")),
            }
            for r in table.rows
        ],
        chart_id=f"{ID}-chart",
        title="Lost learning",
        description="The share of pupils who said each happened to them at least once since September. "
        "The table below has the figures.",
        axis_label="Pupils it happened to at least once",
    )
