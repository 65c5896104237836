"""A school's page for reviewers: its dashboard as the school sees it, without free text, with charts,
and how well its respondents represent its roster, and its roster its local authority.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

import analysis

from .. import charts
from ..data import schools as school_data
from ..data import waves as wave_data
from ..models import School
from ..results.dashboard import GROUP_LABELS, SchoolResults, level_label, scale_title
from ..results.released import Released, school_results
from ..results.reviewer import Page, _finite
from ..results.scored import Results
from ..results.summary import summary_view
from ..results.table import HIDDEN, CellTable, Column, Table


def school_page(released: Released, school: School, wave_id: int, *, scale_id: str, group: str) -> Page:
    """The school's dashboard as its release published it, with how representative it is."""
    found, part = school_results(released, school, wave_id, scale_id=scale_id, group=group)
    page = Page(tables=list(found.tables))
    page.facts["n"] = found.n
    if found.tables:
        _dashboard_charts(found, page)
    page.tables += list(part.get("representativeness", {}).get(group, []))
    if part.get("summary"):
        page.facts["summary"] = summary_view(part["summary"], released.questionnaire)
    return page


# -- charts of the dashboard's tables --------------------------------------------------------------


def _value(row: dict, key: str) -> float | None:
    return None if row.get("_suppressed") else _finite(row.get(key))


def _dashboard_charts(found: SchoolResults, page: Page) -> None:
    questionnaire = found.results.questionnaire
    title = scale_title(questionnaire, found.scale_id)
    ranges = [s.range for s in questionnaire.scales]
    low, high = min(r[0] for r in ranges), max(r[1] for r in ranges)
    scales = found.table("scales")
    page.charts["scales"] = charts.estimate_chart(
        [
            {
                "label": r["scale"],
                "value": _value(r, "mean"),
                "low": _value(r, "ci_low"),
                "high": _value(r, "ci_high"),
                "note": None if _value(r, "national") is None else f"National average {r['national']:.2f}",
            }
            for r in scales.rows
        ],
        chart_id="scales-chart",
        title=f"Scores on each scale at {found.school.name}",
        description="The school's average score on each scale with its 95% confidence interval; the "
        "national average is written under each scale's name.",
        domain=(low, high),
        axis_label=f"Score ({low} to {high}, higher is better)",
        decimals=2,
    )
    gaps = found.table("gaps")
    if gaps.rows:
        page.charts["gaps"] = charts.gap_chart(
            [
                {
                    "label": r["level"],
                    "value": _value(r, "gap"),
                    "low": _value(r, "ci_low"),
                    "high": _value(r, "ci_high"),
                }
                for r in gaps.rows
            ],
            chart_id="gaps-chart",
            title=gaps.title,
            description=f"The gap in {title.lower()} score between each group and the rest of the school, "
            "with 95% confidence intervals.",
            axis_label=f"Gap in {title.lower()} score (group minus the rest of the school)",
            decimals=2,
        )
    lost = found.table("lost-learning")
    if lost.rows:
        page.charts["lost-learning"] = charts.bar_chart(
            [{"label": r["question"], "value": _value(r, "pct")} for r in lost.rows],
            chart_id="lost-learning-chart",
            title="Lost learning",
            description="The share of pupils who said each happened to them at least once since September.",
            axis_label="Pupils it happened to at least once",
        )
    trend = found.table("trend")
    if trend.rows:
        school_points = [
            (r["wave"], _value(r, "mean"), _value(r, "ci_low"), _value(r, "ci_high")) for r in trend.rows
        ]
        national_points = [(r["wave"], _finite(r.get("national"))) for r in trend.rows]
        scale_low, scale_high = questionnaire.scale(found.scale_id).range
        page.charts["trend"] = charts.trend_chart(
            [
                {"label": found.school.name, "points": school_points},
                {"label": "National average", "points": national_points},
            ],
            chart_id="trend-chart",
            title=trend.title,
            description=f"The school's {title.lower()} score in each wave, with the national average.",
            domain=(scale_low, scale_high),
            axis_label=f"{title} score ({scale_low} to {scale_high})",
        )


# -- representativeness ----------------------------------------------------------------------------


def wave_roster(wave_id: int) -> pd.DataFrame:
    """Every pupil on the wave's rosters (not withdrawn): school id, local authority and each group,
    read once for the release pipeline instead of twice a school and group."""
    frame = wave_data.roster_frame(wave_id)
    for group in wave_data.ROSTER_GROUPS:
        frame[group] = frame[group].map(lambda v, g=group: _code(g, v), na_action="ignore")
    return frame


def _roster(
    wave_id: int, school_ids: list[int], group: str, every: pd.DataFrame | None = None
) -> pd.DataFrame:
    if every is not None:
        chosen = every[every["school_id"].isin(school_ids)]
        return pd.DataFrame({"school_id": chosen["school_id"].to_numpy(), "level": chosen[group].to_numpy()})
    rows = wave_data.roster_levels(wave_id, school_ids, group)
    frame = pd.DataFrame(rows, columns=["school_id", "level"])
    return frame.assign(level=frame["level"].map(lambda v: _code(group, v), na_action="ignore"))


def _code(group: str, value):
    """A roster value in the export's coding (as `survey.results.scored` reads it)."""
    if isinstance(value, bool):
        return "Y" if value else "N"
    value = getattr(value, "value", value)
    if group == "year_group":
        return float(value)
    return value


def _counts(levels: pd.Series) -> pd.DataFrame:
    """Pupils at each level (missing: "Not known"), suppressed by ``analysis.aggregate``."""
    frame = pd.DataFrame({"level": levels.astype(object).to_numpy(), "_one": 1.0})
    if frame.empty:
        return pd.DataFrame(columns=["level", "n", "suppressed_reason"])
    return analysis.aggregate(frame, "level", "_one")[["level", "n", "suppressed_reason"]]


def _level_key(value) -> tuple:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return (2, 0.0, "")
    try:
        return (0, float(value), "")
    except (TypeError, ValueError):
        return (1, 0.0, str(value))


def representativeness(
    results: Results, school: School, wave_id: int, group: str, roster: pd.DataFrame | None = None
) -> tuple[Table, Table]:
    """Respondents against the roster by group, and the roster against its local authority's.

    `roster`: `wave_roster(wave_id)`, when the pipeline has read it once for every school (the
    pipeline counts every school at once: `survey.results.batch.Representativeness`)."""
    own = results.for_school(school.urn, wave_id)
    if roster is not None:
        la_ids = list(roster.loc[roster["la_code"] == school.la_code, "school_id"].unique())
    else:
        la_ids = school_data.ids_in_local_authority(school.la_code)
    la_roster = _roster(wave_id, la_ids, group, roster)
    roster = _roster(wave_id, [school.id], group, roster)
    return representativeness_tables(
        school,
        group,
        counted(_counts(own[group])),
        counted(_counts(roster["level"])),
        counted(_counts(la_roster["level"])),
        totals=(len(own), len(roster), len(la_roster)),
    )


Counted = list[tuple[Any, float, Any]]  # (level, pupils, suppressed reason), as `_counts` gives them


def counted(table: pd.DataFrame) -> Counted:
    return list(table[["level", "n", "suppressed_reason"]].itertuples(index=False, name=None))


def representativeness_tables(
    school: School, group: str, answered: Counted, listed: Counted, area: Counted, *, totals: tuple
) -> tuple[Table, Table]:
    """The two tables of `representativeness` from the pupils counted at each level: those who
    answered, the school's roster and its local authority's; `totals`: how many of each."""
    label = GROUP_LABELS[group]
    n_answered, n_listed, n_area = totals
    # Every level once ("Not known" too, however many tables have it), in order.
    distinct: dict[Any, Any] = {}
    for level, _n, _reason in (*answered, *listed, *area):
        distinct.setdefault(None if _level_key(level)[0] == 2 else level, level)
    levels = sorted(distinct.values(), key=_level_key)

    def find(table: Counted, level) -> tuple[float, str | bool, bool]:
        """The level's pupils, whether they are hidden, and whether there are any."""
        for found, n, reason in table:
            if _same(found, level):
                return _finite(n) or 0.0, Table.hidden(reason), True
        return 0.0, False, False

    first_rows: list[dict[str, Any]] = []
    second_rows: list[dict[str, Any]] = []
    for level in levels:
        roster_n, roster_hidden, on_roster = find(listed, level)
        answer_n, answer_hidden, answering = find(answered, level)
        area_n, area_hidden, _ = find(area, level)
        hidden_first: dict[str, str | bool] = {}
        if roster_hidden:
            hidden_first |= dict.fromkeys(("roster", "roster_share", "rate"), roster_hidden)
        if answer_hidden:
            hidden_first |= dict.fromkeys(("answered", "answered_share"), answer_hidden)
            hidden_first.setdefault("rate", answer_hidden)
        text = level_label(group, None if _level_key(level)[0] == 2 else level)
        if on_roster or answering:
            first_rows.append(
                {
                    "level": text,
                    "roster": roster_n,
                    "roster_share": _share(roster_n, n_listed),
                    "answered": answer_n,
                    "answered_share": _share(answer_n, n_answered),
                    "rate": _share(answer_n, roster_n) if roster_n else np.nan,
                    "_hidden": hidden_first,
                }
            )
        hidden_second = {}
        if roster_hidden:
            hidden_second["school_share"] = roster_hidden
        if area_hidden:
            hidden_second["area_share"] = area_hidden
        second_rows.append(
            {
                "level": text,
                "school_share": _share(roster_n, n_listed),
                "area_share": _share(area_n, n_area),
                "difference": _share(roster_n, n_listed) - _share(area_n, n_area),
                # a difference is shown only where both shares are
                "_hidden": hidden_second | {"difference": roster_hidden or area_hidden},
            }
        )
    first = CellTable(
        id="respondents",
        title="Who answered",
        caption=f"Pupils who answered compared with the school's roster, by {label.lower()}",
        columns=[
            Column("level", label),
            Column("roster", "Pupils on the roster", "count"),
            Column("roster_share", "Share of the roster", "percent"),
            Column("answered", "Pupils who answered", "count"),
            Column("answered_share", "Share of those who answered", "percent"),
            Column("rate", "Response rate", "percent"),
        ],
        rows=first_rows,
        note=f"{n_listed:,} pupils on the roster for this wave"
        + (f", {n_answered:,} answered." if n_answered >= 10 else "; fewer than 10 answered.")
        + " Pupils in anonymous class sessions are counted by what they said about themselves.",
    )
    second = CellTable(
        id="roster-local-authority",
        title="The school and its local authority",
        caption=f"The school's roster compared with all rosters in {school.la_name}, by {label.lower()}",
        columns=[
            Column("level", label),
            Column("school_share", "Share of the school's roster", "percent"),
            Column("area_share", f"Share of rosters in {school.la_name}", "percent"),
            Column("difference", "Difference (percentage points)", "signed"),
        ],
        rows=second_rows,
        note="Rosters uploaded for this wave by the schools of the local authority.",
    )
    if n_answered < 10:  # the total itself is hidden, and so is every group of it
        for row in first_rows:
            row["_hidden"] |= dict.fromkeys(("answered", "answered_share", "rate"), HIDDEN)
    return first, second


def _same(a, b) -> bool:
    if _level_key(a)[0] == 2 and _level_key(b)[0] == 2:
        return True
    return a == b


def _share(part: float, whole: float) -> float:
    return 100 * part / whole if whole else math.nan
