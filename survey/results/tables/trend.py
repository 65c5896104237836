"""A scale over time: the school's score in each wave it took part in, beside the national average.
One item per school (not per wave): it spans the school's waves."""

from __future__ import annotations

from markupsafe import Markup

import analysis
from questionnaires import Questionnaire

from ... import charts
from ...models import School
from ..labels import finite, scale_title
from ..scored import Results
from ..table import Column, Table
from .base import ChartView, SchoolFigures
from .scales import overall

ID = "trend"
HEADING = "Over time"
PER = "school"


def variants(questionnaire: Questionnaire) -> list[str]:
    return [""]


def variant(scale_id: str, group: str) -> str:
    return ""


def pick(stored: dict[str, Table], scale_id: str) -> Table | None:
    return stored.get(scale_id)


def tables(found: SchoolFigures) -> dict[str, dict[str, Table]]:
    """One item per school, with its trend on every scale."""
    if found.trend is not None:  # worked out for every school at once (`results.batch`)
        return {"": found.trend}
    scales = found.questionnaire.scales
    return {"": {scale.id: trend_table(found.results, found.school, scale.id) for scale in scales}}


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
                "national": overall(everyone, scale_id),
                "_suppressed": Table.hidden(found["suppressed_reason"]),
            }
        )
    return trend_rows_table(results.questionnaire, scale_id, rows)


def trend_rows_table(questionnaire: Questionnaire, scale_id: str, rows: list[dict]) -> Table:
    """The trend table of a school's rows (one a wave); `survey.results.batch` makes them too."""
    title = scale_title(questionnaire, scale_id)
    return Table(
        id=ID,
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


def _value(row: dict, key: str) -> float | None:
    return None if row.get("_suppressed") else finite(row.get(key))


def chart(table: Table, view: ChartView) -> Markup | None:
    if not table.rows:
        return None
    title = scale_title(view.questionnaire, view.scale_id)
    low, high = view.questionnaire.scale(view.scale_id).range
    return charts.trend_chart(
        [
            {
                "label": view.school.name,
                "points": [
                    (r["wave"], _value(r, "mean"), _value(r, "ci_low"), _value(r, "ci_high"))
                    for r in table.rows
                ],
            },
            {
                "label": "National average",
                "points": [(r["wave"], finite(r.get("national"))) for r in table.rows],
            },
        ],
        chart_id=f"{ID}-chart",
        title=table.title,
        description=f"The school's {title.lower()} score in each wave, with the national average. "
        "The table below has the figures.",
        domain=(low, high),
        axis_label=f"{title} score ({low} to {high})",
    )
