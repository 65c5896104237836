"""Scores on each scale: the school's average with its interval and % positive, beside its local
authority's and the national average, and its percentile among schools."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from markupsafe import Markup

import analysis
from questionnaires import Questionnaire

from ... import charts
from ...models import School
from ..labels import finite, number
from ..policy import MIN_N
from ..table import Column, Table
from .base import ChartView, SchoolFigures

ID = "scales"
HEADING = "Scores on each scale"
PER = "wave"


def variants(questionnaire: Questionnaire) -> list[str]:
    return [""]


def pick(stored, scale_id: str):
    return stored


def variant(scale_id: str, group: str) -> str:
    return ""


@dataclass(frozen=True)
class Benchmarks:
    """Every school's shown score, the national and each local authority's average, per scale, for
    one wave: worked out once per release, not once per school."""

    schools: dict[str, pd.DataFrame]  # scale → analysis.aggregate by school (every school of the wave)
    national: dict[str, float]
    local: dict[str, dict[str, float]]  # scale → la_code → average


def benchmarks(questionnaire: Questionnaire, wave_rows: pd.DataFrame) -> Benchmarks:
    schools, national, local = {}, {}, {}
    for scale in questionnaire.scales:
        schools[scale.id] = analysis.aggregate(wave_rows, "school_urn", scale.id).set_index("school_urn")
        national[scale.id] = overall(wave_rows, scale.id)
        local[scale.id] = {
            str(code): overall(rows, scale.id) for code, rows in wave_rows.groupby("la_code", observed=True)
        }
    return Benchmarks(schools, national, local)


def overall(rows: pd.DataFrame, measure: str) -> float:
    """The average of `measure` over `rows` (an area's pupils), NaN from fewer than 10 pupils."""
    values = rows[measure].dropna()
    return float(values.mean()) if len(values) >= MIN_N else math.nan


def percentile(value: float, others: pd.Series) -> int | None:
    """The share of schools (with a shown score) whose score is below `value`, as a whole percent."""
    others = others.dropna()
    if np.isnan(value) or others.empty:
        return None
    below = (others < value).sum() + 0.5 * (others == value).sum()
    return round(100 * below / len(others))


def tables(found: SchoolFigures) -> dict[str, Table]:
    return {"": scales_table(found.questionnaire, found.wave_rows, found.school, found.benchmarks)}


def scales_table(
    questionnaire: Questionnaire, wave_rows: pd.DataFrame, school: School, found: Benchmarks | None = None
) -> Table:
    found = found or benchmarks(questionnaire, wave_rows)
    rows = []
    for scale in questionnaire.scales:
        every = found.schools[scale.id]
        mine = every.loc[school.urn]
        shown = every[~every["suppressed"]]
        hidden = Table.hidden(mine["suppressed_reason"])
        rows.append(
            {
                "scale": scale.title.get_for("en"),
                "scale_id": scale.id,
                "n": mine["n"],
                "mean": mine["mean"],
                "ci_low": mine["ci_low"],
                "ci_high": mine["ci_high"],
                "pct_positive": mine["pct_positive"],
                "national": found.national[scale.id],
                "local": found.local[scale.id].get(str(school.la_code), math.nan),
                "percentile": None if hidden else percentile(number(mine["mean"]), shown["mean"]),
                "_suppressed": hidden,
            }
        )
    return Table(
        id=ID,
        title="Scores on each scale",
        caption="Average score on each scale (1 to 5, higher is better), with benchmarks",
        columns=[
            Column("scale", "Scale"),
            Column("n", "Pupils", "count"),
            Column("mean", "School score", "number"),
            Column("ci_low", "95% CI from", "number"),
            Column("ci_high", "95% CI to", "number"),
            Column("pct_positive", "Positive", "percent"),
            Column("local", f"{school.la_name} average", "number"),
            Column("national", "National average", "number"),
            Column("percentile", "Percentile among schools", "count"),
        ],
        rows=rows,
        note="Percentile: the share of schools with a lower score. "
        "Benchmarks are for the same questionnaire and wave.",
    )


def _value(row: dict, key: str) -> float | None:
    return None if row.get("_suppressed") else finite(row.get(key))


def chart(table: Table, view: ChartView) -> Markup | None:
    ranges = [s.range for s in view.questionnaire.scales]
    low, high = min(r[0] for r in ranges), max(r[1] for r in ranges)
    return charts.estimate_chart(
        [
            {
                "label": r["scale"],
                "value": _value(r, "mean"),
                "low": _value(r, "ci_low"),
                "high": _value(r, "ci_high"),
                "note": None
                if finite(r.get("national")) is None
                else f"National average {r['national']:.2f}",
            }
            for r in table.rows
        ],
        chart_id=f"{ID}-chart",
        title=f"Scores on each scale at {view.school.name}",
        description="The school's average score on each scale with its 95% confidence interval; the "
        "national average is written under each scale's name. The table below has the same figures.",
        domain=(low, high),
        axis_label=f"Score ({low} to {high}, higher is better)",
        decimals=2,
    )
