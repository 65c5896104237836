"""A school's results as both portals show them: the tables of `SCHOOL_TABLES`, in order, each with
its chart, read from a published release with one indexed query (and kept in memory after).
``[s.id for s in school_results(...).sections]`` is ``[m.ID for m in SCHOOL_TABLES]`` whenever the
school has 10 or more responses.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from markupsafe import Markup

from ..cache import KeyedCache
from ..models import School
from . import store
from .policy import MIN_N
from .table import Table
from .tables import REVIEWER_TABLES, SCHOOL_TABLES, key, kind
from .tables.base import ChartView

if TYPE_CHECKING:
    from .released import Released


@dataclass
class Section:
    """One table of the page, with its heading and the chart drawn from its rows."""

    id: str
    heading: str
    table: Table
    chart: Markup | None = None


@dataclass
class SchoolResults:
    school: School
    released: Released
    wave_id: int
    n: int
    scale_id: str
    group: str
    sections: list[Section] = field(default_factory=list)
    extra: list[Table] = field(default_factory=list)  # the reviewer's tables (`REVIEWER_TABLES`)
    summary: dict | None = None  # the two-minute summary (`survey.results.summary.school_summary`)

    @property
    def tables(self) -> list[Table]:
        return [s.table for s in self.sections]

    @property
    def charts(self) -> dict[str, Markup | None]:
        return {s.id: s.chart for s in self.sections}

    def table(self, table_id: str) -> Table:
        return next(t for t in self.tables if t.id == table_id)

    def tables_of(self, table_id: str) -> list[Table]:
        """The table with that id, if the page shows it (none when the school has fewer than 10)."""
        return [t for t in self.tables if t.id == table_id]


def school_results(
    released: Released,
    school: School,
    wave_id: int,
    *,
    scale_id: str,
    group: str,
    charts: bool = True,
    reviewer: bool = False,
) -> SchoolResults:
    """A school's results for one wave as the release published them. `charts`: draw each table's
    chart (a download needs none); `reviewer`: add `REVIEWER_TABLES` (representativeness)."""
    listed = tuple(m.ID for m in SCHOOL_TABLES)
    name = (
        *store.release_name(released.release),
        school.urn,
        wave_id,
        scale_id,
        group,
        charts,
        reviewer,
        listed,
    )
    n, sections, extra, summary = _shown.get(
        name, lambda: _read(released, school, wave_id, scale_id, group, charts=charts, reviewer=reviewer)
    )
    return SchoolResults(school, released, wave_id, n, scale_id, group, list(sections), list(extra), summary)


# What a page showed, by release, school and choices: its tables and their charts (a release never
# changes, so neither does what is drawn from it). Bounded, so memory does not grow with schools.
_shown: KeyedCache[tuple, tuple[int, list[Section], list[Table], dict | None]] = KeyedCache(
    "school results", maxsize=256
)


def _read(
    released: Released,
    school: School,
    wave_id: int,
    scale_id: str,
    group: str,
    *,
    charts: bool,
    reviewer: bool,
) -> tuple[int, list[Section], list[Table], dict | None]:
    q = released.questionnaire_id
    wanted: dict[tuple[str, str], Any] = {
        ("school", f"{q}:{wave_id}:{school.urn}"): None,
        ("summary", f"{q}:{wave_id}:{school.urn}"): None,
    }
    modules = [*SCHOOL_TABLES, *(REVIEWER_TABLES if reviewer else ())]
    for module in modules:
        variant = module.variant(scale_id, group)
        wanted[(kind(module), key(module, q, school.urn, wave_id, variant))] = module
    found = store.read_many(released.release, list(wanted))
    part = found.get(("school", f"{q}:{wave_id}:{school.urn}")) or {"n": 0}
    if "scales" in part:  # a release published before each table was its own item
        found |= _legacy(released, part, school, wanted, scale_id, group)
    out = SchoolResults(school, released, wave_id, int(part["n"]), scale_id, group)
    view = ChartView(school, released.questionnaire, scale_id, group)
    for item, module in wanted.items():
        stored = found.get(item)
        if module is None or stored is None:
            continue  # fewer than 10 responses: no results table (the page says so)
        if module in REVIEWER_TABLES:
            out.extra += stored
            continue
        if out.n < MIN_N:
            continue
        stored = module.pick(stored, scale_id)
        if stored is None:
            continue
        heading = module.HEADING or stored.title
        out.sections.append(
            Section(module.ID, heading, stored, module.chart(stored, view) if charts else None)
        )
    summary = found.get(("summary", f"{q}:{wave_id}:{school.urn}")) or part.get("summary")
    return out.n, out.sections, out.extra, summary if out.n >= MIN_N else None


def _legacy(
    released: Released, part: dict, school: School, wanted: dict, scale_id: str, group: str
) -> dict[tuple[str, str], Any]:
    """The items of `wanted` from an earlier release's one item per school and wave (with every
    table inside it) and one trend item per school, so that earlier releases stay readable."""
    trend = released.item("trend", str(school.urn)) or {}
    gaps = part["gaps"].get(f"{scale_id}:{group}")
    tables = {  # as each module stores them now
        "scales": part["scales"],
        "gaps": None if gaps is None else {scale_id: gaps},
        "lost-learning": part["lost-learning"],
        "lost-learning-groups": part["lost-learning-groups"].get(group),
        "trend": trend or None,
        "representativeness": part.get("representativeness", {}).get(group),
    }
    return {
        item: tables[module.ID]
        for item, module in wanted.items()
        if module is not None and tables.get(module.ID) is not None
    }
