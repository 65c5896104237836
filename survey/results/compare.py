"""Compare schools: each school on a scale, or one group's gap, against every other school, in a
funnel plot with 95% and 99.8% control limits, raw and contextualised.

`compare_national` runs in the release pipeline for every school of the wave (so a school's position
does not depend on the reviewer's filters); `compare_page` picks the rows a reviewer's filters show.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

import analysis
from questionnaires import Questionnaire

from .. import charts
from .labels import level_label, scale_title
from .page import Page, school_totals
from .scored import Results
from .table import Column, Table

if TYPE_CHECKING:
    from .released import Released

# The pupil characteristics a contextualised score allows for (intake composition).
COVARIATES = ["fsm", "sen", "eal"]
_UNSET = object()  # an argument not given (None means "no model could be fitted")
POSITION = {
    "above": "Above the 99.8% limits",
    "below": "Below the 99.8% limits",
    "above95": "Above the 95% limits only",
    "below95": "Below the 95% limits only",
    "within": "Within the limits",
}


def item_key(wave_id: int, measure: str, gap: tuple[str, str] | None, adjust: str) -> str:
    """The release item (after the questionnaire) of one compare page: a scale, raw or
    contextualised, or one group's gap (always raw)."""
    if gap is None:
        return f"{wave_id}:{measure}::{adjust}"
    return f"{wave_id}:{measure}:{gap[0]}:{gap[1]}"


def released_compare(
    released: Released, wave_id: int, measure: str, gap: tuple[str, str] | None, adjust: str
) -> dict | None:
    """The release's `compare_national` for one page (None: the release has none). A release
    published before gaps were fitted in the pipeline has each group's school-level gaps instead."""
    found = released.item("compare", item_key(wave_id, measure, gap, adjust))
    if found is None and gap is not None:
        gaps = released.item("compare-gaps", f"{wave_id}:{measure}:{gap[0]}")
        present = released.item("present", str(wave_id))
        found = None if gaps is None else compare_gap_national(gaps, gap, present or [])
    return found


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
    fitted, shown = _fit_gap(found[~found["suppressed"]].copy())
    page.facts["_rows"] = shown
    return fitted, hidden, "Gap to the rest of the school"


def _fit_gap(shown: pd.DataFrame) -> tuple[pd.DataFrame | None, pd.DataFrame]:
    """The funnel of the schools' gaps shown (none from fewer than two), and each one's position."""
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
    return fitted, shown


def hide_gap_schools(national: dict, hide: set[int]) -> dict:
    """`compare_gap_national`'s item with the schools of `hide` hidden too (the release's disclosure
    control, `survey.results.release_disclosure`), its funnel fitted without them."""
    rows = national["rows"]
    newly = rows["school_urn"].astype(int).isin(hide).to_numpy()
    fitted, shown = _fit_gap(rows[~newly].drop(columns="position").copy())
    hidden = dict(national["hidden"])
    hidden.update({str(int(urn)): "complementary" for urn in rows.loc[newly, "school_urn"]})
    return national | {"fitted": fitted, "hidden": hidden, "rows": shown}


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
