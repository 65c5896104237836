"""Who answered: the school's respondents against its roster by pupil group, and its roster against
its local authority's. Shown to reviewers beside the school's results (not one of `SCHOOL_TABLES`:
school leads see their response rates on their waves' pages). One stored item per school, wave and
group, holding both tables."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

import analysis
from questionnaires import Questionnaire

from ...data import schools as school_data
from ...data import waves as wave_data
from ...models import School
from ..labels import GROUP_IDS, GROUP_LABELS, finite, level_label
from ..policy import HIDDEN
from ..scored import Results
from ..table import CellTable, Column, Table
from .base import SchoolFigures

ID = "representativeness"
PER = "wave"


def variants(questionnaire: Questionnaire) -> list[str]:
    return list(GROUP_IDS)


def pick(stored, scale_id: str):
    return stored


def variant(scale_id: str, group: str) -> str:
    return group


def tables(found: SchoolFigures, roster: pd.DataFrame | None = None) -> dict[str, list[Table]]:
    """Both tables for every group (`roster`: `wave_roster`, read once for every school)."""
    if found.respondents is not None:  # counted for every school at once (`results.batch`)
        return {group: list(found.respondents.tables(found.school, group)) for group in GROUP_IDS}
    return {
        group: list(representativeness(found.results, found.school, found.wave_id, group, roster))
        for group in GROUP_IDS
    }


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
                return finite(n) or 0.0, Table.hidden(reason), True
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
