"""The reviewer's tables: each a `survey.results.table.Table`, already suppressed, shown and exported alike.

Views stay thin: they check the query (`params`), call one builder here and render its `Page`.

Disclosure control, beyond what `analysis` does within each table:

* Comparing schools and rolling them up into areas: a school is shown only when its own total is
  (``analysis.aggregate`` by school, nationally: fewer than 10 pupils, or hidden to protect such a
  school), and every area total counts the pupils of the schools shown and no others. A hidden
  school is therefore in no published figure, so no filter, area or subtraction recovers it, and the
  suppression is decided once for the whole country so that a filter only ever removes rows.
* Groups across areas (disproportionality): the schools' own group tables (their dashboards) add up
  to each area's, so `disclosure.protect` hides area cells until no subtraction reveals a school's
  hidden group.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from markupsafe import Markup

import analysis
from questionnaires import Questionnaire

from .. import charts
from ..review.params import COVARIATES, short_question
from .dashboard import GROUP_LABELS, level_label, lost_learning_questions, scale_title
from .disclosure import Relation, protect
from .policy import MIN_N
from .scored import Results
from .table import HIDDEN, Column, Table

_UNSET = object()  # an argument not given (None means "no model could be fitted")
POSITION = {
    "above": "Above the 99.8% limits",
    "below": "Below the 99.8% limits",
    "above95": "Above the 95% limits only",
    "below95": "Below the 95% limits only",
    "within": "Within the limits",
}


@dataclass
class Page:
    tables: list[Table] = field(default_factory=list)
    charts: dict[str, Markup] = field(default_factory=dict)
    facts: dict = field(default_factory=dict)

    def table(self, table_id: str) -> Table | None:
        return next((t for t in self.tables if t.id == table_id), None)


def _nan(value) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return math.nan
    return number


def _finite(value) -> float | None:
    number = _nan(value)
    return number if math.isfinite(number) else None


def _reason(reason) -> str | bool:
    return Table.hidden(reason)


# -------------------------------------------------------------------------------------------------
# Schools shown, nationally: the one decision every reviewer table about school totals follows
# -------------------------------------------------------------------------------------------------


def school_totals(wave_rows: pd.DataFrame, measure: str) -> pd.DataFrame:
    """``analysis.aggregate`` by school over the whole country (every school of the wave)."""
    return analysis.aggregate(wave_rows, "school_urn", measure)


def shown_rows(wave_rows: pd.DataFrame, totals: pd.DataFrame) -> pd.DataFrame:
    """The pupils of the schools whose total is shown: the only pupils any area total counts."""
    shown = set(totals.loc[~totals["suppressed"], "school_urn"].astype(int))
    return wave_rows[wave_rows["school_urn"].isin(shown)]


# -------------------------------------------------------------------------------------------------
# Compare schools: funnel plot, raw and contextualised
# -------------------------------------------------------------------------------------------------


def compare_national(
    results: Results,
    wave_id: int,
    *,
    measure: str,
    gap: tuple[str, str] | None,
    adjust: str,
    gaps: pd.DataFrame | None = None,
    context=_UNSET,
) -> dict:
    """The part of the compare page that is the same for every reviewer: worked out in the release
    pipeline for every school of the wave, so that a school's position does not depend on filters.

    Holds only school-level rows: the funnel fit, each shown school's figures, and which are hidden.
    """
    wave_rows = results.for_wave(wave_id)
    page = Page()
    if gap is None:
        fitted, hidden_counts, value_label = _compare_scale(wave_rows, measure, adjust, page, context)
    else:
        fitted, hidden_counts, value_label = _compare_gap(wave_rows, measure, gap, page, gaps)
    return {
        "fitted": fitted,
        "hidden": {str(int(k)): str(v) for k, v in hidden_counts.items()},
        "value_label": value_label,
        "rows": page.facts.pop("_rows"),
        "no_context": bool(page.facts.get("no_context")),
        "present": sorted(int(u) for u in wave_rows["school_urn"].unique()),
    }


def compare_gap_national(found: pd.DataFrame, gap: tuple[str, str], present: list[int]) -> dict:
    """`compare_national` for one group's gap, from the release's school-level
    ``analysis.gaps(..., by="school_urn")`` rows: cheap enough for a web request."""
    page = Page()
    fitted, hidden_counts, value_label = _compare_gap(pd.DataFrame(), "", gap, page, found)
    return {
        "fitted": fitted,
        "hidden": {str(int(k)): str(v) for k, v in hidden_counts.items()},
        "value_label": value_label,
        "rows": page.facts.pop("_rows"),
        "no_context": False,
        "present": present,
    }


def compare_page(
    questionnaire: Questionnaire,
    national: dict,
    schools: pd.DataFrame,
    *,
    measure: str,
    gap: tuple[str, str] | None,
    link: Callable[[int], str] | None = None,
) -> Page:
    """Schools in `schools` (in scope, filtered) on one scale, or one group's gap, against the rest,
    from the release's `compare_national` rows: only the rows shown change with the filters.
    `link(urn)`: the school's page, linked from the plot's labels and the outliers table."""
    wanted = set(schools["urn"].astype(int))
    names = schools.set_index("urn")
    page = Page()
    if national.get("no_context"):
        page.facts["no_context"] = True
    title = scale_title(questionnaire, measure)
    fitted, value_label = national["fitted"], national["value_label"]
    if gap is None:
        x_label = "Pupils who answered"
    else:
        group, level = gap
        title = f"{title}: gap for {level_label(group, level).lower()} pupils"
        x_label = "Effective number of pupils (group and the rest of the school together)"
    page.facts["title"] = title
    page.facts["value_label"] = value_label
    present = [u for u in national["present"] if u in wanted]
    hidden = [national["hidden"][str(u)] for u in present if str(u) in national["hidden"]]
    page.facts["hidden"] = len(hidden)  # one count: which are small is not said
    page.facts["schools"] = len(present)

    rows = national["rows"]
    rows = rows[rows["school_urn"].astype(int).isin(wanted)].copy()
    rows["school_name"] = rows["school_urn"].map(names["name"])
    rows["la_name"] = rows["school_urn"].map(names["la_name"])
    rows = rows.sort_values(["school_name", "school_urn"])
    plotted = fitted[fitted["school_urn"].astype(int).isin(wanted)] if fitted is not None else None
    page.tables.append(_compare_table(rows, gap, title, value_label))
    outliers = _outliers_table(rows, title, value_label, link)
    page.facts["outliers"] = len(outliers.rows)
    page.tables.append(outliers)
    if plotted is not None and len(plotted):
        plotted = plotted.assign(label=plotted["school_urn"].map(names["name"]).astype(str))
        points, limits = charts.funnel_from_analysis(plotted, "mean", label="label")
        if link is not None:
            points["href"] = [link(int(urn)) for urn in plotted["school_urn"]]
        limits = charts.funnel_limits(
            fitted.attrs["target"],
            n_max=max(float(plotted["n"].max()), 2.0),
            sigma=fitted.attrs["sigma"],
            overdispersion=fitted.attrs["overdispersion"],
            phi=fitted.attrs["phi"],
            tau2=fitted.attrs["tau2"],
        )
        outside = int((plotted["flag"] != "within").sum())
        page.charts["funnel"] = charts.funnel_chart(
            points,
            limits,
            chart_id="funnel",
            title=f"Funnel plot: {value_label.lower()}, {title.lower()}",
            description=(
                f"{len(plotted)} schools against their number of pupils, with 95% and 99.8% control "
                f"limits around the average of all schools shown nationally "
                f"({fitted.attrs['target']:.2f}), widened for overdispersion. "
                f"{outside} of them {'is' if outside == 1 else 'are'} outside the 99.8% limits."
            ),
            x_label=x_label,
            y_label=value_label,
            target=fitted.attrs["target"],
            decimals=2,
        )
        page.facts["target"] = fitted.attrs["target"]
        page.facts["tau2"] = fitted.attrs["tau2"]
        page.facts["plotted"] = len(plotted)
        page.facts["fitted"] = len(fitted)
        page.facts["outside"] = outside
    return page


def _context(wave_rows: pd.DataFrame, measure: str) -> pd.DataFrame | None:
    """``analysis.contextualise`` for the compare page, or None when the model cannot be fitted."""
    try:
        return analysis.contextualise(wave_rows, measure, COVARIATES)
    except ValueError:
        return None


def _compare_scale(wave_rows: pd.DataFrame, measure: str, adjust: str, page: Page, context=_UNSET):
    totals = school_totals(wave_rows, measure)
    shown = totals[~totals["suppressed"]].copy()
    hidden = totals.set_index("school_urn")["suppressed_reason"].dropna()
    if context is _UNSET:
        context = _context(wave_rows, measure)
    if context is None:
        page.facts["no_context"] = True
    if context is not None:
        context = context.set_index("school_urn")
        grand = context["mean"] - context["raw_unshrunk"]
        context["context_score"] = grand + context["context_unshrunk"]
        for column in ("context_score", "raw_effect", "context_effect", "context_se"):
            shown[column] = shown["school_urn"].map(context[column])
    else:
        for column in ("context_score", "raw_effect", "context_effect", "context_se"):
            shown[column] = np.nan
    fitted = None
    value_label = "Score"
    if len(shown) >= 2:
        if adjust == "contextualised" and context is not None:
            frame = shown.assign(mean=shown["context_score"])[["school_urn", "n", "mean"]]
            sigma = math.sqrt(context.attrs["context"]["sigma2"])
            fitted = analysis.funnel(frame, "mean", sigma=sigma)
            value_label = "Contextualised score"
        else:
            fitted = analysis.funnel(shown, "mean")
    if fitted is not None:
        shown["position"] = shown["school_urn"].map(_positions(fitted))
    else:
        shown["position"] = None
    page.facts["_rows"] = shown
    return fitted, hidden, value_label


def _compare_gap(
    wave_rows: pd.DataFrame, measure: str, gap: tuple[str, str], page: Page, found: pd.DataFrame | None = None
):
    group, level = gap
    if found is None:
        found = analysis.gaps(wave_rows, group, measure, by="school_urn")
    found = found[found[group].astype(str) == level]
    hidden = found.set_index("school_urn")["suppressed_reason"].dropna()
    shown = found[~found["suppressed"]].copy()
    fitted = None
    if len(shown) >= 2:
        effective = 1 / (1 / shown["n"] + 1 / shown["comparison_n"])
        frame = pd.DataFrame(
            {
                "school_urn": shown["school_urn"],
                "n": effective,
                "mean": shown["gap"],
                "sd": shown["se"] * np.sqrt(effective),
            }
        )
        fitted = analysis.funnel(frame, "mean")
        shown["position"] = shown["school_urn"].map(_positions(fitted))
    else:
        shown["position"] = None
    page.facts["_rows"] = shown
    return fitted, hidden, "Gap to the rest of the school"


def _positions(fitted: pd.DataFrame) -> pd.Series:
    flag = fitted["flag"].where(fitted["flag"] != "within", fitted["flag95"].map(_flag95))
    return pd.Series(flag.map(POSITION).to_numpy(), index=fitted["school_urn"].to_numpy())


def _flag95(flag: str) -> str:
    return {"above": "above95", "below": "below95"}.get(flag, "within")


def _compare_table(rows: pd.DataFrame, gap, title: str, value_label: str) -> Table:
    records = []
    for _, r in rows.iterrows():
        record = {"school": r["school_name"], "la": r["la_name"], "position": r["position"]}
        if gap is None:
            record |= {
                "n": r["n"],
                "mean": r["mean"],
                "ci_low": r["ci_low"],
                "ci_high": r["ci_high"],
                "pct_positive": r["pct_positive"],
                "context_score": r["context_score"],
                "raw_effect": r["raw_effect"],
                "context_effect": r["context_effect"],
            }
        else:
            record |= {
                "n": r["n"],
                "comparison_n": r["comparison_n"],
                "mean": r["mean"],
                "gap": r["gap"],
                "ci_low": r["ci_low"],
                "ci_high": r["ci_high"],
            }
        records.append(record)
    first = [Column("school", "School"), Column("la", "Local authority")]
    if gap is None:
        columns = [
            *first,
            Column("n", "Pupils", "count"),
            Column("mean", "Score", "number"),
            Column("ci_low", "95% CI from", "number"),
            Column("ci_high", "95% CI to", "number"),
            Column("pct_positive", "Positive", "percent"),
            Column("context_score", "Contextualised score", "number"),
            Column("raw_effect", "Difference from average, shrunken", "signed"),
            Column("context_effect", "Contextualised difference, shrunken", "signed"),
            Column("position", f"Funnel plot ({value_label.lower()})"),
        ]
        note = (
            "Contextualised score: the school's score allowing for its pupils' free school meals, "
            "special educational needs and English as an additional language, as if its intake were "
            "like the country's. Raw and contextualised are shown side by side because allowing for "
            "intake can hide inequity. Shrunken differences pull small schools towards the average "
            "(empirical Bayes)."
        )
    else:
        columns = [
            *first,
            Column("n", "Pupils in the group", "count"),
            Column("comparison_n", "Pupils in the rest of the school", "count"),
            Column("mean", "Group's score", "number"),
            Column("gap", "Gap to the rest of the school", "signed"),
            Column("ci_low", "95% CI from", "signed"),
            Column("ci_high", "95% CI to", "signed"),
            Column("position", "Funnel plot"),
        ]
        note = (
            "Only schools with 10 or more pupils both in the group and in the rest of the school are shown."
        )
    return Table(
        id="schools",
        title="Schools compared",
        caption=f"{title}: schools with 10 or more pupils",
        columns=columns,
        rows=records,
        note=note,
    )


def _outliers_table(
    rows: pd.DataFrame, title: str, value_label: str, link: Callable[[int], str] | None = None
) -> Table:
    key = "gap" if "gap" in rows.columns else "mean"
    outside = rows[rows["position"].isin([POSITION["above"], POSITION["below"]])]
    records = [
        {
            "school": r["school_name"],
            "la": r["la_name"],
            "n": r["n"],
            "value": r[key],
            "position": r["position"],
            "_href": link(int(r["school_urn"])) if link is not None else None,
        }
        for _, r in outside.sort_values(["position", "school_name"]).iterrows()
    ]
    return Table(
        id="outliers",
        title="Schools outside the 99.8% limits",
        caption=f"{title}: schools outside the 99.8% control limits",
        columns=[
            Column("school", "School"),
            Column("la", "Local authority"),
            Column("n", "Pupils", "count"),
            Column("value", value_label, "signed" if key == "gap" else "number"),
            Column("position", "Position"),
        ],
        rows=records,
        note="The limits allow for the number of pupils and for overdispersion between schools.",
    )


# -------------------------------------------------------------------------------------------------
# Areas: national, local authorities, trusts
# -------------------------------------------------------------------------------------------------


def area_statistics(results: Results, wave_id: int, *, measure: str) -> dict:
    """What the areas page needs, worked out in the release pipeline: each shown school's count,
    mean and sum of squared deviations (from which any area's figures follow exactly), which
    schools are hidden, and which have any pupils. School-level only."""
    wave_rows = results.for_wave(wave_id)
    totals = school_totals(wave_rows, measure)
    rows = shown_rows(wave_rows, totals)
    positive = f"{measure}_positive"
    values = rows[["school_urn", "la_code", "trust", measure]].copy()
    values["_positive"] = rows[positive] if positive in rows.columns else np.nan
    values = values.dropna(subset=[measure])
    values["la_code"] = values["la_code"].astype(str)
    values["trust"] = values["trust"].astype(object)
    grouped = values.groupby("school_urn", observed=True, sort=True)
    stats = grouped[measure].agg(["count", "mean"])
    stats["m2"] = grouped[measure].agg(lambda v: float(((v - v.mean()) ** 2).sum()))
    stats["pos_x"] = grouped["_positive"].sum(min_count=1)
    stats["pos_m"] = grouped["_positive"].count()
    stats["la_code"] = grouped["la_code"].first()
    stats["trust"] = grouped["trust"].first()
    return {
        "schools": stats.reset_index(),
        "small": sorted(int(u) for u in totals.loc[totals["suppressed"], "school_urn"]),
        "present": sorted(int(u) for u in wave_rows["school_urn"].unique()),
    }


def _combine(stats: pd.DataFrame) -> dict:
    """An area's n, mean, 95% interval and % positive from its schools' figures (as
    ``analysis.aggregate`` would give over the same pupils)."""
    n = float(stats["count"].sum())
    if n == 0:
        return {"n": 0}
    mean = float((stats["count"] * stats["mean"]).sum() / n)
    m2 = float(stats["m2"].sum() + (stats["count"] * (stats["mean"] - mean) ** 2).sum())
    found: dict = {"n": n, "mean": mean, "ci_low": math.nan, "ci_high": math.nan, "pct_positive": math.nan}
    found["deff"] = math.nan
    if len(stats) >= 2:
        # Pupils of one school are alike: the interval is cluster-robust (by school), and the design
        # effect says how much wider that makes it than if pupils had been sampled one by one.
        clustered = analysis.design.clustered_mean_of_clusters(stats["count"], stats["mean"], stats["m2"])
        found |= {"ci_low": clustered["ci_low"], "ci_high": clustered["ci_high"], "deff": clustered["deff"]}
    elif n >= 2:  # one school: its own pupils' interval
        from scipy import stats as scipy_stats

        half = scipy_stats.t.ppf(0.975, n - 1) * math.sqrt(m2 / (n - 1)) / math.sqrt(n)
        found |= {"ci_low": mean - half, "ci_high": mean + half}
    trials = float(stats["pos_m"].sum())
    if trials:
        found["pct_positive"] = 100 * float(stats["pos_x"].sum()) / trials
    found["_suppressed"] = HIDDEN if n < MIN_N else False
    return found


def areas_page(
    questionnaire: Questionnaire, released: dict, scope: pd.DataFrame, *, measure: str, national: bool
) -> Page:
    """Roll-ups over the schools shown: the country, each local authority and trust in scope.

    Areas count the pupils of schools shown on their own (10 or more), so an area minus its schools
    never leaves a hidden school. For a reviewer of part of the country, an area is the part of it in
    scope (marked so when the area reaches beyond it). `released` is `area_statistics`' output.
    """
    stats = released["schools"]
    stats = stats.assign(school_urn=stats["school_urn"].astype(int), la_code=stats["la_code"].astype(str))
    in_scope = set(scope["urn"].astype(int))
    mine = stats[stats["school_urn"].isin(in_scope)]
    title = scale_title(questionnaire, measure)
    records = []

    def add(kind: str, name: str, area: pd.DataFrame, partial: bool, scope_schools: int) -> None:
        record = {"area": name + (" (schools in your area)" if partial else ""), "kind": kind}
        schools = int(area["school_urn"].nunique())
        record["schools"] = schools
        if schools == 0:
            record["_suppressed"] = HIDDEN if scope_schools else False
            records.append(record)
            return
        record |= _combine(area)
        records.append(record)

    add("National", "England and Wales", stats, False, 1)
    present = {u for u in released["present"] if u in in_scope}
    for (code, name), group in scope.groupby(["la_code", "la_name"], sort=True):
        urns = set(group["urn"].astype(int))
        all_of_it = set(stats.loc[stats["la_code"] == str(code), "school_urn"])
        partial = not national and not all_of_it <= urns
        with_pupils = len(present & urns)
        if with_pupils:
            add(
                "Local authority",
                f"{name} ({code})",
                mine[mine["school_urn"].isin(urns)],
                partial,
                with_pupils,
            )
    for trust, group in scope.dropna(subset=["trust"]).groupby("trust", sort=True):
        urns = set(group["urn"].astype(int))
        all_of_it = set(stats.loc[stats["trust"] == trust, "school_urn"])
        partial = not national and not all_of_it <= urns
        with_pupils = len(present & urns)
        if with_pupils:
            add("Trust", str(trust), mine[mine["school_urn"].isin(urns)], partial, with_pupils)

    page = Page()
    page.facts["title"] = title
    page.facts["left_out"] = len(set(released["small"]) & in_scope)
    table = Table(
        id="areas",
        title="Areas",
        caption=f"{title}: average score in each area",
        columns=[
            Column("area", "Area"),
            Column("kind", "Kind of area"),
            Column("schools", "Schools", "count"),
            Column("n", "Pupils", "count"),
            Column("mean", "Score", "number"),
            Column("ci_low", "95% CI from", "number"),
            Column("ci_high", "95% CI to", "number"),
            Column("pct_positive", "Positive", "percent"),
            Column("deff", "Design effect", "ratio"),
        ],
        rows=records,
        note="Each area counts the pupils of its schools with 10 or more pupils who answered; a smaller "
        "school is left out of every area, so that its results cannot be worked out by subtraction. "
        "Intervals allow for pupils of the same school answering alike (cluster-robust by school); the "
        "design effect is how many times wider that makes the variance than if pupils had been chosen "
        "one by one (a design effect of 4 means the pupils count as a quarter as many).",
    )
    page.tables.append(table)
    low, high = questionnaire.scale(measure).range
    chart_rows = [
        {
            "label": r["area"],
            "value": None if r.get("_suppressed") else _finite(r.get("mean")),
            "low": None if r.get("_suppressed") else _finite(r.get("ci_low")),
            "high": None if r.get("_suppressed") else _finite(r.get("ci_high")),
            "highlight": r["kind"] == "National",
        }
        for r in records
    ]
    page.charts["areas"] = charts.estimate_chart(
        chart_rows,
        chart_id="areas-chart",
        title=f"{title} in each area",
        description=f"The average {title.lower()} score in each area, with its 95% confidence interval. "
        "The national figure is highlighted.",
        domain=(low, high),
        axis_label=f"{title} score ({low} to {high})",
        decimals=2,
    )
    return page


# -------------------------------------------------------------------------------------------------
# Disproportionality: lost learning by group, across the schools in scope and by local authority
# -------------------------------------------------------------------------------------------------

# The areas whose group figures reviewers can be shown: (name, grouping columns).
AREA_FAMILIES = [
    ("national", []),
    ("la", ["la_code"]),
    ("trust", ["trust"]),
    ("la_trust", ["la_code", "trust"]),
]
FAMILIES = [("school", ["school_urn"]), *AREA_FAMILIES]


@dataclass
class Disproportion:
    """Every area's cells for one outcome and group, after complementary suppression.

    ``areas[family]`` is ``analysis.disproportionality`` output with the family's key columns and
    ``hidden``: the cell is not shown (its own suppression, or to protect the schools' tables).
    """

    areas: dict[str, pd.DataFrame]


def disproportionality_for_release(results: Results, wave_id: int, group: str) -> dict[str, Disproportion]:
    """`protected_disproportionality` for every lost-learning outcome of a wave (release pipeline)."""
    outcomes = [q.id for q in lost_learning_questions(results.questionnaire)]
    return protected_disproportionality(results.for_wave(wave_id), outcomes, group, results.questionnaire)


def _keys(family: str, k1: str, k2: str) -> tuple:
    if family == "school":
        return (int(k1),)
    if family == "national":
        return ()
    return (k1, k2) if family == "la_trust" else (k1,)


def protected_disproportionality(
    wave_rows: pd.DataFrame, outcomes: list[str], group: str, questionnaire: Questionnaire
) -> dict[str, Disproportion]:
    """``analysis.disproportionality`` for schools and every published area, each outcome, protected.

    The schools' cells are as their dashboards show them (fixed); area cells (the country, local
    authorities, trusts, and trusts within local authorities, each computed for the whole country
    so that what a reviewer sees does not depend on their scope) are hidden until no sum of areas
    and schools gives a hidden group away (`disclosure.protect`). One call of
    ``analysis.disproportionality`` an outcome covers every area: the pupil rows are stacked once
    per area, each stack its own ``by`` group.
    """
    base = pd.DataFrame(
        {
            "school_urn": wave_rows["school_urn"].astype(str).to_numpy(),
            "la_code": wave_rows["la_code"].astype(object).to_numpy(),
            "trust": wave_rows["trust"].astype(object).to_numpy(),
            group: wave_rows[group].to_numpy(),
        }
    )
    firsts = base.drop_duplicates("school_urn")
    school_area = {
        int(urn): (la, None if pd.isna(trust) else trust)
        for urn, la, trust in firsts[["school_urn", "la_code", "trust"]].itertuples(index=False)
    }
    # The stack is built from arrays of category codes: a DataFrame per outcome and area, or
    # columns of strings repeated for every pupil, cost more than the arithmetic at national size.
    # Categories are in sorted order, so rows sort as the strings would. One outcome at a time:
    # its sets never mix with another's, and the stack stays 5 rows a pupil (not 35).
    named = ("school_urn", "la_code", "trust")
    keys = sorted({"", *(v for name in named for v in base[name].dropna().unique())})
    key_codes = {name: pd.Categorical(base[name], categories=keys).codes.astype(np.int32) for name in named}
    blank = np.int32(keys.index(""))
    families = sorted(name for name, _ in FAMILIES)
    levels = base[group].to_numpy(object)
    level_known = base[group].notna().to_numpy()
    by = ["_question", "_family", "_k1", "_k2"]
    tables = []
    for outcome in sorted(outcomes):
        has = analysis.at_least_once(wave_rows, outcome, questionnaire).to_numpy(float)
        keep = ~np.isnan(has) & level_known
        pieces: dict[str, list] = {name: [] for name in ("_family", "_k1", "_k2", group, "_has")}
        for family, family_keys in FAMILIES:
            mask = keep.copy()
            for key in family_keys:
                if key != "school_urn":
                    mask &= key_codes[key] >= 0
            size = int(mask.sum())
            pieces["_family"].append(np.full(size, families.index(family), dtype=np.int8))
            for position, name in enumerate(("_k1", "_k2")):
                inside = len(family_keys) > position
                found = key_codes[family_keys[position]][mask] if inside else np.full(size, blank)
                pieces[name].append(found)
            pieces[group].append(levels[mask])
            pieces["_has"].append(has[mask])
        joined = {name: np.concatenate(arrays) for name, arrays in pieces.items()}
        stacked = pd.DataFrame(
            {
                "_question": pd.Categorical.from_codes(np.zeros(len(joined["_has"]), np.int8), [outcome]),
                "_family": pd.Categorical.from_codes(joined["_family"], families),
                "_k1": pd.Categorical.from_codes(joined["_k1"], keys),
                "_k2": pd.Categorical.from_codes(joined["_k2"], keys),
                group: pd.Series(joined[group], dtype=object).astype(base[group].dtype).to_numpy(),
                "_has": joined["_has"],
            }
        )
        found_cells = analysis.disproportionality(stacked, "_has", group, by=by)
        counts = stacked.groupby([*by, group], sort=False, observed=True).size()
        found_cells["_n"] = counts.reindex(pd.MultiIndex.from_frame(found_cells[[*by, group]])).to_numpy()
        tables.append(found_cells)
    table = pd.concat(tables, ignore_index=True)
    for name in by:  # the strings, as every other release table has them
        table[name] = table[name].astype(str)
    table["_level"] = table[group].astype(str)
    table["_fixed"] = table["_family"] == "school"
    found: dict[str, Disproportion] = {}
    for outcome, cells in table.groupby("_question", sort=False):
        cells = cells.reset_index(drop=True)
        index = {
            (f, _keys(f, k1, k2), level): i
            for i, (f, k1, k2, level) in enumerate(
                cells[["_family", "_k1", "_k2", "_level"]].itertuples(index=False)
            )
        }
        relations = _relations(cells, index, school_area)
        hidden = protect(
            cells["_n"].to_numpy(float),
            cells["suppressed"].to_numpy(bool),
            cells["_fixed"].to_numpy(bool),
            relations,
        )
        cells["hidden"] = hidden
        areas = {}
        by_family = dict(tuple(cells.groupby("_family", sort=False)))
        for family, keys in AREA_FAMILIES:
            part = by_family.get(family, cells.iloc[:0]).copy()
            for position, key in enumerate(keys):
                part[key] = part["_k1" if position == 0 else "_k2"]
            areas[family] = part
        found[outcome] = Disproportion(areas=areas)
    return found


def _relations(
    cells: pd.DataFrame, index: dict[tuple, int], school_area: dict[int, tuple[str, str | None]]
) -> list[Relation]:
    """The sums tying schools and areas together, for each level of the group (see module doc).

    `school_area` maps each school to its local authority and trust (None: no trust).
    """
    levels = sorted(cells["_level"].unique())
    relations = []

    def cell(kind, key, level):
        return index.get((kind, key, level))

    def school_cells(urns, level):
        found = (cell("school", (u,), level) for u in urns)
        return [c for c in found if c is not None]

    la_of: dict[str, set] = {}
    trust_of: dict[str, set] = {}
    both: dict[tuple, set] = {}
    no_trust: dict[str, set] = {}
    for urn, (la, trust) in school_area.items():
        la_of.setdefault(la, set()).add(urn)
        if trust is None:
            no_trust.setdefault(la, set()).add(urn)
        else:
            trust_of.setdefault(trust, set()).add(urn)
            both.setdefault((la, trust), set()).add(urn)
    everyone = set(school_area)
    areas = {("national", ()): everyone}
    areas |= {("la", (code,)): urns for code, urns in la_of.items()}
    areas |= {("trust", (trust,)): urns for trust, urns in trust_of.items()}
    areas |= {("la_trust", key): urns for key, urns in both.items()}
    # Which areas lie inside which (their difference is the schools of one not in the other).
    nested = [
        (outer, inner, urns - areas[inner])
        for outer, urns in areas.items()
        for inner in _inside(outer, areas)
        if areas[inner] < urns
    ]
    for level in levels:
        for (kind, key), urns in areas.items():
            own = cell(kind, key, level)
            if own is not None:  # an area is the sum of its schools
                relations.append(Relation.of([own], school_cells(urns, level)))
        for outer, inner, rest in nested:
            own, part = cell(*outer, level), cell(*inner, level)
            if own is not None and part is not None:
                relations.append(Relation.of([own], [part, *school_cells(rest, level)]))
        # The country is the sum of its local authorities, and of its trusts and other schools;
        # a local authority the sum of its trusts' parts and its other schools; a trust of its parts.
        nation = cell("national", (), level)
        las = [c for code in la_of if (c := cell("la", (code,), level)) is not None]
        trusts = [c for t in trust_of if (c := cell("trust", (t,), level)) is not None]
        others = school_cells(set().union(*no_trust.values()) if no_trust else set(), level)
        if nation is not None:
            relations.append(Relation.of([nation], las))
            relations.append(Relation.of([nation], [*trusts, *others]))
        for code in la_of:
            own = cell("la", (code,), level)
            parts = [
                c for (la, t) in both if la == code and (c := cell("la_trust", (la, t), level)) is not None
            ]
            if own is not None:
                relations.append(
                    Relation.of([own], [*parts, *school_cells(no_trust.get(code, set()), level)])
                )
        for trust in trust_of:
            own = cell("trust", (trust,), level)
            parts = [
                c for (la, t) in both if t == trust and (c := cell("la_trust", (la, t), level)) is not None
            ]
            if own is not None:
                relations.append(Relation.of([own], parts))
    # Each area's levels add up to its total, which any shown row reveals.
    by_area: dict[tuple, list[int]] = {}
    for (kind, key, _level), position in index.items():
        if kind != "school":
            by_area.setdefault((kind, key), []).append(position)
    relations.extend(Relation.of(positions) for positions in by_area.values())
    return relations


def _inside(outer: tuple, areas: dict) -> list[tuple]:
    """Areas that may lie inside `outer`: everything inside the country; an LA's and a trust's parts,
    and trusts wholly inside an LA (or LAs wholly inside a trust)."""
    kind, key = outer
    if kind == "national":
        return [a for a in areas if a != outer]
    if kind == "la":
        return [a for a in areas if (a[0] == "la_trust" and a[1][0] == key[0]) or a[0] == "trust"]
    if kind == "trust":
        return [a for a in areas if (a[0] == "la_trust" and a[1][1] == key[0]) or a[0] == "la"]
    return []


def _ratio_row(r: dict, group: str, hidden: bool | str) -> dict:
    return {
        "level": level_label(group, r[group]),
        "n": r["n_g"],
        "risk": 100 * _nan(r["risk"]),
        "risk_other": 100 * _nan(r["risk_other"]),
        "rr": _finite(r["rr"]),
        "rr_ci_low": _finite(r["rr_ci_low"]),
        "rr_ci_high": _finite(r["rr_ci_high"]),
        "difference": 100 * _nan(r["risk_difference"]),
        "composition": _finite(r["composition_index"]),
        "_suppressed": hidden,
        "_highlight": None
        if hidden
        else "More likely"
        if (_finite(r["rr_ci_low"]) or 0) > 1
        else "Less likely"
        if (_finite(r["rr_ci_high"]) or math.inf) < 1
        else None,
    }


RATIO_COLUMNS = [
    Column("n", "Pupils", "count"),
    Column("risk", "At least once", "percent"),
    Column("risk_other", "Other pupils", "percent"),
    Column("rr", "Risk ratio", "ratio"),
    Column("rr_ci_low", "95% CI from", "ratio"),
    Column("rr_ci_high", "95% CI to", "ratio"),
    Column("difference", "Difference (percentage points)", "signed"),
    Column("composition", "Composition index", "ratio"),
]


def _hidden_words(r: dict) -> str | bool:
    return HIDDEN if r["hidden"] else False


def _area_rows(table: pd.DataFrame, keys: list, group: str) -> list[dict]:
    rows = table
    if keys:
        mask = np.ones(len(table), dtype=bool)
        for column, value in keys:
            mask &= (table[column] == value).to_numpy()
        rows = table[mask]
    return [_ratio_row(r, group, _hidden_words(r)) for r in rows.to_dict("records")]


def disproportionality_page(
    questionnaire: Questionnaire,
    every: dict[str, Disproportion],
    scope: pd.DataFrame,
    *,
    outcome: str,
    group: str,
    scope_area: tuple[str, tuple],
    area_name: str,
) -> Page:
    """Risk ratios by group for every lost-learning outcome over the reviewer's area, and by LA.

    `scope_area` is the reviewer's whole area: ``("national", ())``, ``("la", (code,))`` or
    ``("trust", (name,))``; the local authority table shows each local authority's part of it.
    """
    group_label = GROUP_LABELS[group]
    page = Page()
    questions = lost_learning_questions(questionnaire)
    records = []
    chosen_rows = []
    family, key = scope_area
    key_columns = dict(AREA_FAMILIES)[family]
    chosen = None
    for question in questions:
        found = every.get(question.id)
        if found is None:  # no pupil in the reviewer's wave answered it
            continue
        rows = _area_rows(found.areas[family], list(zip(key_columns, key, strict=True)), group)
        for row in rows:
            row["outcome"] = short_question(question.text.get_for("en"))
        records.extend(rows)
        if question.id == outcome:
            chosen, chosen_rows = found, rows
    page.tables.append(
        Table(
            id="risk-ratios",
            title="Risk ratios",
            caption=f"Lost learning by {group_label.lower()} in {area_name}: risk ratios compared with all "
            "other pupils",
            columns=[Column("outcome", "Experience"), Column("level", group_label), *RATIO_COLUMNS],
            rows=records,
            note="A risk ratio of 2 means twice as likely as all other pupils; marked where its 95% "
            "confidence interval does not include 1. Composition index: the group's share of the pupils "
            "it happened to, divided by its share of all pupils.",
        )
    )
    outcome_text = short_question(questionnaire.question(outcome).text.get_for("en"))
    la_records = []
    if chosen is not None:
        if family == "trust":
            table, prefix = chosen.areas["la_trust"], [("trust", key[0])]
        else:
            table, prefix = chosen.areas["la"], []
        names = scope.drop_duplicates("la_code").set_index("la_code")["la_name"]
        for code in sorted(scope["la_code"].unique(), key=lambda c: str(names.get(c, c))):
            if family == "la" and code != key[0]:
                continue
            for row in _area_rows(table, [("la_code", code), *prefix], group):
                row["area"] = f"{names.get(code, code)} ({code})"
                la_records.append(row)
    page.tables.append(
        Table(
            id="by-local-authority",
            title="By local authority",
            caption=f"{outcome_text}: risk ratios by {group_label.lower()} in each local authority",
            columns=[Column("area", "Local authority"), Column("level", group_label), *RATIO_COLUMNS],
            rows=la_records,
            note="Some figures are hidden where they could be worked out from the schools' own tables.",
        )
    )
    shown = [r for r in chosen_rows if r["rr"] is not None and not r["_suppressed"]]
    page.charts["ratios"] = _ratio_chart(chosen_rows, shown, outcome_text, group_label, area_name)
    page.facts["outcome_text"] = outcome_text
    return page


def _ratio_chart(rows, shown, outcome_text, group_label, area_name) -> Markup | None:
    if not rows:
        return None
    top = max([2.0, *(r["rr"] for r in shown)])
    top = float(math.ceil(top))
    chart_rows = [
        {
            "label": r["level"],
            "value": r["rr"] if r in shown else None,
            "low": r["rr_ci_low"] if r in shown and r["rr_ci_low"] is not None else None,
            "high": r["rr_ci_high"] if r in shown and r["rr_ci_low"] is not None else None,
            "highlight": r["_highlight"] == "More likely",
        }
        for r in rows
    ]
    for r in chart_rows:
        if r["high"] is None or r["low"] is None:
            r["low"] = r["high"] = None
    return charts.estimate_chart(
        chart_rows,
        chart_id="ratios-chart",
        title=f"{outcome_text}: risk ratio by {group_label.lower()}",
        description=f"Risk ratios with 95% confidence intervals for each {group_label.lower()} group in "
        f"{area_name}, compared with all other pupils. A ratio above 1 means more likely; groups "
        "drawn as a diamond are more likely with confidence.",
        domain=(0, top),
        axis_label="Risk ratio (1 = as likely as other pupils)",
        reference=1.0,
        reference_label="Equal risk",
        decimals=2,
        text={
            "estimate": "Risk ratio: how many times as likely as all other pupils, with its 95% "
            "confidence interval",
            "highlighted": "More likely, with confidence: the whole interval is above 1",
        },
    )
