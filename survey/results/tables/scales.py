"""Scores on each scale: the school's average with its interval and % positive, beside its local
authority's and the national average, and its band among schools (never a bare percentile)."""

from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd
from markupsafe import Markup

import analysis
from questionnaires import Questionnaire

from ... import charts
from ...models import School
from ..labels import finite
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
    bands: dict[str, dict[int, dict]]  # scale → URN → its row of analysis.rank_band (shown schools)


def benchmarks(questionnaire: Questionnaire, wave_rows: pd.DataFrame) -> Benchmarks:
    schools, national, local, bands = {}, {}, {}, {}
    for scale in questionnaire.scales:
        schools[scale.id] = analysis.aggregate(wave_rows, "school_urn", scale.id).set_index("school_urn")
        national[scale.id] = overall(wave_rows, scale.id)
        local[scale.id] = {
            str(code): overall(rows, scale.id) for code, rows in wave_rows.groupby("la_code", observed=True)
        }
        bands[scale.id] = rank_bands(schools[scale.id])
    return Benchmarks(schools, national, local, bands)


# Fewest schools with a shown score to place a school among them.
MIN_SCHOOLS_TO_RANK = 5


def rank_bands(schools: pd.DataFrame) -> dict[int, dict]:
    """Each shown school's band among schools on one scale (``analysis.rank_band``), by URN; none
    with fewer than five schools to rank among."""
    shown = schools[~schools["suppressed"].astype(bool)]
    if shown["mean"].notna().sum() < MIN_SCHOOLS_TO_RANK:
        return {}
    bands = analysis.rank_band(schools).to_dict("index")
    return {int(str(urn)): row for urn, row in bands.items()}


def rank_words(band: dict | None) -> str:
    """A school's rank band and its interval in words: never a bare percentile."""
    if not band:
        return "Too few schools to place it among them"
    low, high = round(float(band["percentile_low"])), round(float(band["percentile_high"]))
    place = analysis.band_text(int(band["band_from"]), int(band["band_to"]))
    return f"{place[0].upper()}{place[1:]} (between {low}% and {high}% of schools score lower)"


def scales_table(
    questionnaire: Questionnaire, wave_rows: pd.DataFrame, school: School, found: Benchmarks | None = None
) -> Table:
    found = found or benchmarks(questionnaire, wave_rows)
    rows = []
    for scale in questionnaire.scales:
        every = found.schools[scale.id]
        mine = every.loc[school.urn]
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
                "rank": "" if hidden else rank_words(found.bands[scale.id].get(school.urn)),
                "_suppressed": hidden,
            }
        )
    return Table(
        id=ID,
        title="Scores on each scale",
        caption=f"Average score on each scale ({_range_words(questionnaire)}, higher is better), "
        "with benchmarks",
        columns=[
            Column("scale", "Scale"),
            Column("n", "Pupils", "count"),
            Column("mean", "School score", "number"),
            Column("ci_low", "95% CI from", "number"),
            Column("ci_high", "95% CI to", "number"),
            Column("pct_positive", "Positive", "percent"),
            Column("local", f"{school.la_name} average", "number"),
            Column("national", "National average", "number"),
            Column("rank", "Among schools"),
        ],
        rows=rows,
        note="Among schools: the fifths of schools the school's true score could be in, allowing for "
        "the uncertainty in every school's score (95% interval; an exact rank would promise a precision "
        "the figures do not have). Benchmarks are for the same questionnaire and wave.",
    )


def _range_words(questionnaire: Questionnaire, scale_id: str | None = None) -> str:
    """ "1 to 5" (or "1 to 3" on the primary scales): the range the scores are on."""
    ranges = [questionnaire.scale(scale_id).range] if scale_id else [s.range for s in questionnaire.scales]
    return f"{min(r[0] for r in ranges)} to {max(r[1] for r in ranges)}"


def overall(rows: pd.DataFrame, measure: str) -> float:
    """The average of `measure` over `rows` (an area's pupils), NaN from fewer than 10 pupils."""
    values = rows[measure].dropna()
    return float(values.mean()) if len(values) >= MIN_N else math.nan


def tables(found: SchoolFigures) -> dict[str, Table]:
    return {"": scales_table(found.questionnaire, found.wave_rows, found.school, found.benchmarks)}


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
