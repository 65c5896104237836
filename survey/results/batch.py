"""What the release pipeline works out for every school at once, instead of once per school.

A national release has thousands of schools. Work done per school on the wave's whole frame (a
filter over a million rows, a pandas call with its fixed cost of a millisecond or more) is what made
a release take hours, so these functions do it in one pass and hand each school its part. Each
school's figures are exactly those the per-school functions of the table modules
(`survey.results.tables`) give (the same rows, the same families of tests); the tests compare them.
"""

from __future__ import annotations

import math
from collections import defaultdict
from typing import Any

import numpy as np
import pandas as pd

import analysis
from questionnaires import Questionnaire

from ..models import School
from .labels import lost_learning_questions
from .scored import Results
from .table import Table
from .tables.lost_learning import lost_learning_counts_table
from .tables.representativeness import representativeness_tables
from .tables.scales import overall
from .tables.trend import trend_rows_table


def marked_families(
    questionnaire: Questionnaire,
    gaps: dict[tuple[str, str], pd.DataFrame],
    lost: dict[tuple[str, str], pd.DataFrame],
    benchmarks: Any,
) -> dict[int, pd.DataFrame]:
    """`summary.marked_family` of every school: school URN → its marked rows, as marking the
    school on its own gives them (same rows, order and columns).

    `gaps`: (scale, group) → ``analysis.gaps(wave_rows, group, scale, by="school_urn")``; `lost`:
    (question, group) → ``analysis.disproportionality(..., by="school_urn")``; `benchmarks`:
    `tables.scales.benchmarks` (each school's score against the national average). Every school is
    its own family of tests (``analysis.mark(by="school_urn")``)."""
    parts = []
    for (scale_id, group), found in gaps.items():
        if len(found):
            kept = analysis.one_row_per_split(found, group, keep=["Y"])
            meaningful = analysis.meaningful_difference(questionnaire.scale(scale_id))
            parts.append(analysis.gap_estimates(kept, group, scale_id, meaningful=meaningful))
    for (question_id, group), found in lost.items():
        if len(found):
            kept = analysis.one_row_per_split(found, group, keep=["Y"])
            parts.append(analysis.risk_ratio_estimates(kept, group, question_id))
    for scale in questionnaire.scales:
        benchmark = benchmarks.national.get(scale.id, math.nan)
        scores = benchmarks.schools[scale.id].reset_index()
        if len(scores) and math.isfinite(benchmark):
            meaningful = analysis.meaningful_difference(scale)
            parts.append(analysis.benchmark_estimates(scores, scale.id, benchmark, meaningful=meaningful))
    if not parts:
        return {}
    marked = analysis.mark(pd.concat(parts, ignore_index=True), by="school_urn")
    urns = marked["school_urn"].to_numpy()
    marked = marked.drop(columns=["school_urn"])
    order = np.argsort(urns, kind="stable")
    bounds = np.flatnonzero(np.diff(urns[order])) + 1
    return {
        int(urns[rows[0]]): marked.take(rows).reset_index(drop=True)
        for rows in np.split(order, bounds)
        if len(rows)
    }


def frames_by_school(frame: pd.DataFrame) -> dict[int, pd.DataFrame]:
    """Each school's rows of a table of every school (as ``groupby("school_urn")`` gives them),
    found by one sort rather than a scan of the table per school."""
    if frame.empty:
        return {}
    urns = frame["school_urn"].to_numpy()
    order = np.argsort(urns, kind="stable")
    bounds = np.flatnonzero(np.diff(urns[order])) + 1
    return {int(urns[rows[0]]): frame.take(rows) for rows in np.split(order, bounds)}


def trend_tables(results: Results) -> dict[int, dict[str, Table]]:
    """`tables.trend.trend_table` of every school and scale: school URN → scale → its trend.

    Each school's score in a wave is aggregated on its own (its own primary suppression, nothing
    complementary across schools or waves), as the per-school table does; the national average of
    each wave and scale is worked out once."""

    questionnaire = results.questionnaire
    scored = results.scored
    waves = [(int(w), name) for w, name in results.waves[["wave_id", "name"]].itertuples(index=False)]
    urns = scored["school_urn"].to_numpy()
    wave_ids = scored["wave_id"].to_numpy()
    cells = pd.DataFrame({"urn": urns, "wave": wave_ids}).groupby(["urn", "wave"], sort=False).ngroup()
    cell = cells.to_numpy()
    first = np.unique(cell, return_index=True)[1]
    where = {(int(urns[i]), int(wave_ids[i])): c for c, i in enumerate(first)}
    present: dict[int, set[int]] = defaultdict(set)
    for urn, wave in where:
        present[urn].add(wave)
    national = {
        wave: {scale.id: overall(results.for_wave(wave), scale.id) for scale in questionnaire.scales}
        for wave, _name in waves
        if any(wave in found for found in present.values())
    }
    figures = {}
    for scale in questionnaire.scales:
        # A set of its own for every school and wave: ["_cell", "_one"] puts each cell alone.
        frame = pd.DataFrame({"_cell": cell, "_one": 0, scale.id: scored[scale.id].to_numpy()})
        found = analysis.aggregate(frame, ["_cell", "_one"], scale.id).set_index("_cell")
        figures[scale.id] = {
            int(c): (n, mean, low, high, reason)
            for c, n, mean, low, high, reason in found[
                ["n", "mean", "ci_low", "ci_high", "suppressed_reason"]
            ]
            .reset_index()
            .itertuples(index=False)
        }
    out: dict[int, dict[str, Table]] = {}
    nothing = (math.nan, math.nan, math.nan, math.nan, "primary")  # no pupil gave this scale a score
    for urn, own in present.items():
        tables = {}
        for scale in questionnaire.scales:
            rows = []
            for wave, name in waves:
                if wave not in own:
                    continue
                n, mean, low, high, reason = figures[scale.id].get(where[(urn, wave)], nothing)
                rows.append(
                    {
                        "wave": name,
                        "n": n,
                        "mean": mean,
                        "ci_low": low,
                        "ci_high": high,
                        "national": national[wave][scale.id],
                        "_suppressed": Table.hidden(reason),
                    }
                )
            tables[scale.id] = trend_rows_table(questionnaire, scale.id, rows)
        out[urn] = tables
    return out


class Representativeness:
    """`tables.representativeness.representativeness` of every school of a wave: the pupils at each level of
    each group among every school's respondents, every school's roster and every local authority's
    roster, counted (and suppressed, each school's or area's table on its own) in one pass each."""

    def __init__(self, wave_rows: pd.DataFrame, roster: pd.DataFrame, groups: list[str]):
        self.answered = {g: _counted(wave_rows["school_urn"], wave_rows[g]) for g in groups}
        self.listed = {g: _counted(roster["school_id"], roster[g]) for g in groups}
        self.area = {g: _counted(roster["la_code"], roster[g]) for g in groups}
        self.n_answered = wave_rows.groupby("school_urn", sort=False).size().to_dict()
        self.n_listed = roster.groupby("school_id", sort=False).size().to_dict()
        self.n_area = roster.groupby("la_code", sort=False).size().to_dict()

    def tables(self, school: School, group: str) -> tuple[Table, Table]:
        return representativeness_tables(
            school,
            group,
            self.answered[group].get(school.urn, []),
            self.listed[group].get(school.id, []),
            self.area[group].get(school.la_code, []),
            totals=(
                self.n_answered.get(school.urn, 0),
                self.n_listed.get(school.id, 0),
                self.n_area.get(school.la_code, 0),
            ),
        )


def _counted(units: pd.Series, levels: pd.Series) -> dict[Any, list[tuple]]:
    """Unit → its (level, pupils, suppressed reason) rows, as `tables.representativeness._counts` gives them
    for the unit's pupils alone (each unit is its own set for complementary suppression)."""
    frame = pd.DataFrame({"_unit": units.to_numpy(), "level": levels.astype(object).to_numpy(), "_one": 1.0})
    out: dict[Any, list[tuple]] = defaultdict(list)
    if frame.empty:
        return out
    table = analysis.aggregate(frame, ["_unit", "level"], "_one")
    for unit, level, n, reason in table[["_unit", "level", "n", "suppressed_reason"]].itertuples(
        index=False, name=None
    ):
        out[unit].append((level, n, reason))
    return out


def records_by_school(frame: pd.DataFrame) -> dict[int, list[dict]]:
    """A table of every school (``analysis.gaps`` or ``disproportionality`` by school) as each
    school's rows, in order: the records its own table would give, without slicing a frame each."""
    out: dict[int, list[dict]] = defaultdict(list)
    if frame.empty:
        return out
    for record in frame.to_dict("records"):
        out[int(record["school_urn"])].append(record)
    return out


def lost_learning_tables(questionnaire: Questionnaire, wave_rows: pd.DataFrame) -> dict[int, Table]:
    """`tables.lost_learning.lost_learning_table` of every school of a wave: school URN → its table."""
    return {
        urn: lost_learning_counts_table(questionnaire, found)
        for urn, found in lost_learning_counts(questionnaire, wave_rows).items()
    }


def lost_learning_counts(
    questionnaire: Questionnaire, wave_rows: pd.DataFrame
) -> dict[int, list[tuple[int, int]]]:
    """Each school's pupils who answered each lost-learning question and those it happened to (what
    `tables.lost_learning.lost_learning_counts_table` is made from): school URN → one pair a question."""
    urns = wave_rows["school_urn"].to_numpy()
    counts: dict[int, list[tuple[int, int]]] = {int(u): [] for u in pd.unique(urns)}
    for question in lost_learning_questions(questionnaire):
        happened = analysis.at_least_once(wave_rows, question.id, questionnaire)
        found = pd.DataFrame(
            {"urn": urns, "known": happened.notna().to_numpy(), "yes": (happened == 1).to_numpy()}
        )
        summed = found.groupby("urn", sort=False)[["known", "yes"]].sum()
        for urn, known, yes in summed.itertuples(name=None):
            counts[int(urn)].append((int(known), int(yes)))
    return counts
