"""A school's results, as school leads and reviewers see them: every table already suppressed.

`school_results` turns the scored responses (`survey.results.scored`) into `Table`s with `analysis`:
each scale with its benchmarks, the gap between each pupil group and the rest of the school,
lost learning by group with risk ratios, and trends across waves. Groups of fewer than 10 pupils
are hidden by `analysis` (with complementary suppression) before a table is built.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

import analysis
from questionnaires import Questionnaire

from ..models import School
from ..reference import ETHNICITY_MAJOR, GENDER, SEN
from .policy import MIN_N
from .scored import GROUPS, Results
from .table import Column, Table

if TYPE_CHECKING:  # pages pass what they read from a release; only for the type checker
    from .released import Released

YES_NO = {"Y": "Yes", "N": "No"}
LEVEL_LABELS = {
    "fsm": {"Y": "Eligible for free school meals", "N": "Not eligible"},
    "sen": SEN,
    "ethnicity_major": ETHNICITY_MAJOR,
    "gender": GENDER,
    "eal": YES_NO,
    "looked_after": YES_NO,
}
GROUP_LABELS = dict(GROUPS)


def level_label(group: str, level) -> str:
    if level is None or (isinstance(level, float) and math.isnan(level)) or level is pd.NA:
        return "Not known"
    if group == "year_group":
        return f"Year {int(float(level))}"
    return LEVEL_LABELS.get(group, {}).get(str(level), str(level))


def _nan(value) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return math.nan


def scale_title(questionnaire: Questionnaire, scale_id: str) -> str:
    return questionnaire.scale(scale_id).title.get_for("en")


def lost_learning_questions(questionnaire: Questionnaire) -> list:
    """The single-choice questions of the lost-learning section ("at least once" outcomes)."""
    section = next((s for s in questionnaire.sections if s.id == "lost_learning"), None)
    if section is None:
        return []
    return [q for q in section.questions if q.type == "single"]


@dataclass
class SchoolResults:
    school: School
    results: Results | Released  # the pipeline's snapshot, or what a page reads from a release
    wave_id: int
    n: int
    scale_id: str
    group: str
    tables: list[Table] = field(default_factory=list)
    charts: dict = field(default_factory=dict)

    def table(self, table_id: str) -> Table:
        return next(t for t in self.tables if t.id == table_id)


def school_results(
    results: Results, school: School, wave_id: int, *, scale_id: str, group: str
) -> SchoolResults:
    """Every table of a school's dashboard for one wave (each suppressed by `analysis`)."""
    wave_rows = results.for_wave(wave_id)
    own = wave_rows[wave_rows["school_urn"] == school.urn]
    out = SchoolResults(school, results, wave_id, len(own), scale_id, group)
    if out.n < MIN_N:
        return out  # nothing can be shown; the page says so
    out.tables.append(scales_table(results.questionnaire, wave_rows, school))
    out.tables.append(gaps_table(results.questionnaire, own, scale_id, group))
    out.tables.append(lost_learning_table(results.questionnaire, own))
    out.tables.append(lost_learning_by_group_table(results.questionnaire, own, group))
    out.tables.append(trend_table(results, school, scale_id))
    return out


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
        national[scale.id] = _overall(wave_rows, scale.id)
        local[scale.id] = {
            str(code): _overall(rows, scale.id) for code, rows in wave_rows.groupby("la_code", observed=True)
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
    return {int(urn): row for urn, row in analysis.rank_band(schools).to_dict("index").items()}


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
        id="scales",
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


def _overall(rows: pd.DataFrame, measure: str) -> float:
    values = rows[measure].dropna()
    return float(values.mean()) if len(values) >= MIN_N else math.nan


# What a marker says, in words (`analysis.mark`'s verdicts).
VERDICT_WORDS = {
    "higher": "Higher: a clear difference",
    "lower": "Lower: a clear difference",
    "more likely": "More likely: a clear difference",
    "less likely": "Less likely: a clear difference",
    "no clear difference": "No clear difference",
    "too few pupils to tell": "Too few pupils to tell",
    "not shown": "",
}
MARKS = {"higher": "Higher", "lower": "Lower", "more likely": "More likely", "less likely": "Less likely"}
MARKER_NOTE = (
    "Marked only where a difference is clear after allowing for every comparison shown for the "
    "school (Benjamini–Hochberg, false discovery rate 2.5%): when nothing really differs, fewer than "
    "1 school in 20 would see any mark. “Too few pupils to tell” means the group is too small to tell "
    "a meaningful difference from none; it is not the same as no difference. Where a group has two "
    "levels, one row is shown: the other is its mirror image."
)


def gaps_table(
    questionnaire: Questionnaire,
    own: pd.DataFrame,
    scale_id: str,
    group: str,
    found: pd.DataFrame | list[dict] | None = None,
    verdicts: dict[tuple, str] | None = None,
) -> Table:
    """`found`: the school's rows of ``analysis.gaps(..., by="school_urn")`` when worked out for
    every school at once (the same figures: each school's gaps use its own pupils only), as a
    frame or as its records.
    `verdicts`: the school's marks (`results.summary.verdicts_of`); without them, each gap is
    marked on its own."""
    if found is None:
        found = analysis.gaps(own, group, scale_id, by="school_urn")
    rows = []
    for r in found if isinstance(found, list) else found.to_dict("records"):
        hidden = Table.hidden(r["suppressed_reason"])
        row = {
            "level": level_label(group, r[group]),
            "n": r["n"],
            "mean": r["mean"],
            "gap": r["gap"],
            "ci_low": r["ci_low"],
            "ci_high": r["ci_high"],
            "_suppressed": hidden,
        }
        if verdicts is not None:
            verdict = verdicts.get(("gap", group, scale_id, str(r[group])))
            if verdict is None:
                continue  # the mirror row of a two-level split
            row["verdict"] = "" if hidden else VERDICT_WORDS.get(verdict, verdict)
            row["_highlight"] = None if hidden else MARKS.get(verdict)
        else:
            significant = (not hidden) and bool(r["significant"]) if not pd.isna(r["significant"]) else False
            row["_highlight"] = ("Higher" if r["gap"] > 0 else "Lower") if significant else None
        rows.append(row)
    title = scale_title(questionnaire, scale_id)
    return Table(
        id="gaps",
        title=f"{title} by {GROUP_LABELS[group].lower()}",
        caption=f"{title}: each group compared with the rest of the school",
        columns=[
            Column("level", GROUP_LABELS[group]),
            Column("n", "Pupils", "count"),
            Column("mean", "Score", "number"),
            Column("gap", "Gap to the rest of the school", "signed"),
            Column("ci_low", "95% CI from", "signed"),
            Column("ci_high", "95% CI to", "signed"),
            *([Column("verdict", "What it shows")] if verdicts is not None else []),
        ],
        rows=rows,
        note=MARKER_NOTE
        if verdicts is not None
        else "A gap is marked Higher or Lower when its 95% confidence interval does not include zero.",
    )


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
        id="lost-learning",
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


RATIO_MARKS = {
    "higher": "More likely",
    "more likely": "More likely",
    "lower": "Less likely",
    "less likely": "Less likely",
}


def lost_learning_by_group_table(
    questionnaire: Questionnaire,
    own: pd.DataFrame,
    group: str,
    found: dict[str, pd.DataFrame | list[dict]] | None = None,
    verdicts: dict[tuple, str] | None = None,
) -> Table:
    """`found`: question id → the school's rows of ``analysis.disproportionality(..., by="school_urn")``
    when worked out for every school at once (each school's figures use its own pupils only), as a
    frame or as its records.
    `verdicts`: the school's marks (`results.summary.verdicts_of`); without them, each ratio is
    marked on its own."""
    rows = []
    for question in lost_learning_questions(questionnaire):
        table: pd.DataFrame | list[dict]
        if found is not None:
            table = found[question.id]
        else:
            table = analysis.disproportionality(own, question.id, group, questionnaire=questionnaire)
        short = question.text.get_for("en").removeprefix("Since September, ")
        for r in table if isinstance(table, list) else table.to_dict("records"):
            hidden = Table.hidden(r["suppressed_reason"])
            low, high = _nan(r["rr_ci_low"]), _nan(r["rr_ci_high"])
            row = {
                "question": short[0].upper() + short[1:],
                "level": level_label(group, r[group]),
                "n": r["n_g"],
                "risk": 100 * _nan(r["risk"]),
                "rr": r["rr"],
                "rr_ci_low": low,
                "rr_ci_high": high,
                "_suppressed": hidden,
            }
            if verdicts is not None:
                verdict = verdicts.get(("risk_ratio", group, question.id, str(r[group])))
                if verdict is None:
                    continue  # the mirror row of a two-level split
                mark = None if hidden else RATIO_MARKS.get(verdict)
                words = f"{mark}: a clear difference" if mark else VERDICT_WORDS.get(verdict, verdict)
                row["verdict"] = "" if hidden else words
                row["_highlight"] = mark
            else:
                row["_highlight"] = (
                    "More likely"
                    if not hidden and low > 1
                    else "Less likely"
                    if not hidden and high < 1
                    else None
                )
            rows.append(row)
    return Table(
        id="lost-learning-groups",
        title=f"Lost learning by {GROUP_LABELS[group].lower()}",
        caption=f"Lost learning by {GROUP_LABELS[group].lower()}: risk ratios compared with all other pupils",
        columns=[
            Column("question", "Experience"),
            Column("level", GROUP_LABELS[group]),
            Column("n", "Pupils", "count"),
            Column("risk", "At least once", "percent"),
            Column("rr", "Risk ratio", "ratio"),
            Column("rr_ci_low", "95% CI from", "ratio"),
            Column("rr_ci_high", "95% CI to", "ratio"),
            *([Column("verdict", "What it shows")] if verdicts is not None else []),
        ],
        rows=rows,
        note="A risk ratio of 2 means twice as likely as the other pupils of the school. "
        + (
            MARKER_NOTE
            if verdicts is not None
            else "Marked where the 95% confidence interval does not include 1."
        ),
    )


def trend_table(results: Results, school: School, scale_id: str) -> Table:
    own = results.for_school(school.urn)
    rows = []
    for _, wave in results.waves.iterrows():
        mine = own[own["wave_id"] == wave["wave_id"]]
        if mine.empty:
            continue
        found = analysis.aggregate(mine, "school_urn", scale_id).iloc[0]
        everyone = results.for_wave(int(wave["wave_id"]))
        rows.append(
            {
                "wave": wave["name"],
                "n": found["n"],
                "mean": found["mean"],
                "ci_low": found["ci_low"],
                "ci_high": found["ci_high"],
                "national": _overall(everyone, scale_id),
                "_suppressed": Table.hidden(found["suppressed_reason"]),
            }
        )
    return trend_rows_table(results.questionnaire, scale_id, rows)


def trend_rows_table(questionnaire: Questionnaire, scale_id: str, rows: list[dict]) -> Table:
    """The trend table of a school's rows (one a wave); `survey.results.batch` makes them too."""
    title = scale_title(questionnaire, scale_id)
    return Table(
        id="trend",
        title=f"{title} over time",
        caption=f"{title}: the school's score in each wave, and the national average",
        columns=[
            Column("wave", "Wave"),
            Column("n", "Pupils", "count"),
            Column("mean", "School score", "number"),
            Column("ci_low", "95% CI from", "number"),
            Column("ci_high", "95% CI to", "number"),
            Column("national", "National average", "number"),
        ],
        rows=rows,
    )


def finite(value) -> float | None:
    number = _nan(value)
    return None if np.isnan(number) else number


def charts_for(shown: SchoolResults) -> dict:
    """An accessible SVG chart beside each table of the dashboard, drawn from the same rows."""
    from .. import charts

    out = {}
    tables = {t.id: t for t in shown.tables}
    questionnaire = shown.results.questionnaire
    words = _range_words(questionnaire)
    ranges = [s.range for s in questionnaire.scales]
    domain = (min(r[0] for r in ranges), max(r[1] for r in ranges))
    if "scales" in tables:
        rows = [
            {
                "label": r["scale"],
                "value": None if r["_suppressed"] else finite(r["mean"]),
                "low": finite(r["ci_low"]),
                "high": finite(r["ci_high"]),
                "note": f"National average {r['national']:.1f}" if finite(r["national"]) else None,
            }
            for r in tables["scales"].rows
        ]
        out["scales"] = charts.estimate_chart(
            rows,
            chart_id="chart-scales",
            title="The school's score on each scale",
            description=f"Each scale's average score from {words} with its 95% confidence interval; "
            "the national average is written under each scale. The table below has the same figures.",
            domain=domain,
            axis_label=f"Score ({words}, higher is better)",
        )
    if "gaps" in tables and tables["gaps"].rows:
        table = tables["gaps"]
        rows = [
            {
                "label": r["level"],
                "value": None if r["_suppressed"] else finite(r["gap"]),
                "low": finite(r["ci_low"]),
                "high": finite(r["ci_high"]),
            }
            for r in table.rows
        ]
        out["gaps"] = charts.gap_chart(
            rows,
            chart_id="chart-gaps",
            title=table.caption,
            description="Each group's score minus the rest of the school's, with its 95% confidence "
            "interval; a group differs when its interval does not cross zero. "
            "The table below has the figures.",
            axis_label=f"Gap in score (points on the {words} scale)",
        )
    if "lost-learning" in tables:
        rows = [
            {"label": r["question"].removeprefix("Since September, "),
             "value": None if r["_suppressed"] else finite(r["pct"])}
            for r in tables["lost-learning"].rows
        ]  # fmt: skip
        out["lost-learning"] = charts.bar_chart(
            rows,
            chart_id="chart-lost-learning",
            title="Pupils who missed learning, by kind",
            description="The percentage of pupils who said each happened at least once since September. "
            "The table below has the figures.",
            axis_label="Pupils (%)",
        )
    if "trend" in tables and tables["trend"].rows:
        rows = tables["trend"].rows
        out["trend"] = charts.trend_chart(
            [
                {
                    "label": "This school",
                    "points": [
                        (
                            r["wave"],
                            None if r["_suppressed"] else finite(r["mean"]),
                            finite(r["ci_low"]),
                            finite(r["ci_high"]),
                        )
                        for r in rows
                    ],
                },
                {
                    "label": "National average",
                    "points": [(r["wave"], finite(r["national"]), None, None) for r in rows],
                },
            ],
            chart_id="chart-trend",
            title=tables["trend"].caption,
            description="The school's score in each wave beside the national average. "
            "The table below has the figures.",
            domain=domain,
            axis_label=f"Score ({words})",
        )
    return out
