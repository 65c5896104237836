"""Areas: the country, each local authority and trust, from the schools shown (see `page`), so that
an area minus its schools never leaves a hidden school."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

import analysis
from questionnaires import Questionnaire

from .. import charts
from .labels import finite as _finite
from .labels import scale_title
from .page import Page, school_totals, shown_rows
from .policy import MIN_N
from .scored import Results
from .table import HIDDEN, Column, Table


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
