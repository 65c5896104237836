"""A scale by pupil group: each group's score and its gap to the rest of the school, marked where the
difference is clear (`verdicts`)."""

from __future__ import annotations

import pandas as pd
from markupsafe import Markup

import analysis
from questionnaires import Questionnaire

from ... import charts
from ..labels import GROUP_IDS, GROUP_LABELS, finite, level_label, scale_title
from ..table import Column, Table
from .base import ChartView, SchoolFigures
from .verdicts import MARKER_NOTE, MARKS, VERDICT_WORDS

ID = "gaps"
HEADING = "Groups of pupils"
PER = "wave"


def variants(questionnaire: Questionnaire) -> list[str]:
    return list(GROUP_IDS)


def variant(scale_id: str, group: str) -> str:
    return group


def pick(stored: dict[str, Table], scale_id: str) -> Table | None:
    return stored.get(scale_id)


def tables(found: SchoolFigures) -> dict[str, dict[str, Table]]:
    """One item per group, with the group's gaps on every scale."""
    every: dict[str, dict[str, Table]] = {group: {} for group in GROUP_IDS}
    for (scale, group), table in _each(found).items():
        every[group][scale] = table
    return every


def _each(found: SchoolFigures) -> dict[tuple[str, str], Table]:
    return {
        (scale, group): gaps_table(
            found.questionnaire, found.own, scale, group, found=rows, verdicts=found.verdicts
        )
        for (scale, group), rows in found.gaps.items()
    }


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
        id=ID,
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


def _value(row: dict, key: str) -> float | None:
    return None if row.get("_suppressed") else finite(row.get(key))


def chart(table: Table, view: ChartView) -> Markup | None:
    if not table.rows:
        return None
    title = scale_title(view.questionnaire, view.scale_id)
    return charts.gap_chart(
        [
            {
                "label": r["level"],
                "value": _value(r, "gap"),
                "low": _value(r, "ci_low"),
                "high": _value(r, "ci_high"),
            }
            for r in table.rows
        ],
        chart_id=f"{ID}-chart",
        title=table.title,
        description=f"The gap in {title.lower()} score between each group and the rest of the school, "
        "with 95% confidence intervals; a group differs when its interval does not cross zero. "
        "The table below has the figures.",
        axis_label=f"Gap in {title.lower()} score (group minus the rest of the school)",
        decimals=2,
    )
