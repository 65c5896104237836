"""Disclosure control over a whole release: `analysis.disclosure` run on every count published together.

RELEASES.md ("Disclosure control") says what safe means: an attacker holds every table a role can
see for one release, at every level and filter, and solves for each hidden count. Each page's table
already hides its own small cells; this step adds what no single table can see, then proves it.

1. `wave_cells`: one tidy frame of every count the release publishes for a wave, in the model of
   `analysis.disclosure` (dimensions ``population``, ``la``, ``trust``, ``school`` and one per pupil
   group; ``*`` for "all"). A *population* is the set of pupils a count is about: ``respondents``
   (the school's number of responses, "Who answered"), ``scale:<id>`` (pupils with a score on a
   scale: the scale and gap tables) and ``question:<id>`` (pupils who answered a lost-learning
   question: lost learning, risk ratios by school and area). Levels: school, local authority,
   trust, trust within local authority, national. Cells the release does not publish (an area's
   respondents by group, say) are in the frame as unknowns, so the sums still hold.
2. `protect` (`analysis.disclosure.protect`) over the whole frame, with every unpublished cell
   hidden and every total kept shown (a school's number of responses is on every page). Area
   totals of a question are treated as published: a risk ratio's "Other pupils" and "Composition
   index" columns give them away, so the attacker is assumed to hold them.
3. `apply`: each cell it hides is hidden in every item that shows it (the school's gap, lost
   learning by group and "Who answered" tables, the compare page's gap rows, the reviewer's risk
   ratios by area), with the one label (`survey.results.policy.HIDDEN`).
4. `published_cells` reads back from the items which cells they show, and `audit`
   (`analysis.disclosure.audit`, the LP attacker) checks that frame. The publisher refuses a
   release with any finding (`DisclosureError`), naming tables and counts, never a value.
"""

from __future__ import annotations

import logging
import math
import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

import analysis
from analysis.disclosure import TOTAL, audit, protect

from . import compare, store
from .labels import GROUPS, level_label, lost_learning_questions
from .policy import HIDDEN, MIN_N
from .scored import Results

log = logging.getLogger(__name__)

GROUP_IDS = [g for g, _ in GROUPS]
DIMS = ["population", "la", "trust", "school", *GROUP_IDS]
HIERARCHY = {"school": ("la", "trust")}
NO_TRUST = "(no trust)"
UNKNOWN = "(not known)"
INTERVAL = 10
RESPONDENTS = "respondents"
# The kinds of release item that show a count of a pupil group (`_walk`), split as the pipeline stores
# them; "compare-gaps" is a release's from before the compare page's gaps were fitted in the pipeline.
KINDS = (
    "school",
    "summary",
    "table:gaps",
    "table:lost-learning-groups",
    "table:representativeness",
    "compare",
    "compare-gaps",
    "disproportionality",
    "disproportionality-las",
)
# The area levels of the reviewer's risk ratios (`survey.results.disproportionality.AREA_FAMILIES`)
# as cell keys.
_AREA_LEVELS = {
    "national": ((), ()),
    "la": (("la",), ()),
    "trust": ((), ("trust",)),
    "la_trust": (("la",), ("trust",)),
}


class DisclosureError(RuntimeError):
    """The release would let the attacker narrow a small count: it is not published."""

    def __init__(self, findings: pd.DataFrame) -> None:
        self.findings = findings
        super().__init__(f"disclosure audit: {len(findings)} findings ({summary(findings)})")


def summary(findings: pd.DataFrame) -> str:
    """Findings by table, without any value: ``scale:belonging school × fsm: 2``."""
    if findings.empty:
        return "none"
    counts = Counter(table_id(row) for row in findings.to_dict("records"))
    return "; ".join(f"{name}: {count}" for name, count in sorted(counts.items()))


def table_id(cell: dict) -> str:
    """The table a cell belongs to, as ``<population> <level> × <group>`` (no value, no school)."""
    level = (
        "school"
        if cell["school"] != TOTAL
        else "la"
        if cell["la"] != TOTAL
        else "trust"
        if cell["trust"] != TOTAL
        else "national"
    )
    if level == "la" and cell["trust"] != TOTAL:
        level = "la × trust"
    groups = [g for g in GROUP_IDS if cell[g] != TOTAL]
    return f"{cell['wave']}:{cell['population']} {level}" + "".join(f" × {g}" for g in groups)


# -------------------------------------------------------------------------------------------------
# 1. The cells
# -------------------------------------------------------------------------------------------------


def _level(value: Any) -> str:
    """A group level as the cells hold it: text, whole numbers without ".0", missing as UNKNOWN."""
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return UNKNOWN
    if isinstance(value, (float, np.floating)) and float(value).is_integer():
        return str(int(value))
    return str(value)


def _number_or_text(value: Any) -> Any:
    """A level written as text ("7.0", "Y") back to a number where it is one."""
    try:
        return float(value)
    except (TypeError, ValueError):
        return value


def populations(results: Results, wave_rows: pd.DataFrame) -> dict[str, np.ndarray]:
    """Which pupils of the wave each published count is about (see the module docstring)."""
    found = {RESPONDENTS: np.ones(len(wave_rows), dtype=bool)}
    for scale in results.questionnaire.scales:
        found[f"scale:{scale.id}"] = wave_rows[scale.id].notna().to_numpy()
    for question in lost_learning_questions(results.questionnaire):
        happened = analysis.at_least_once(wave_rows, question.id, results.questionnaire)
        found[f"question:{question.id}"] = happened.notna().to_numpy()
    return found


def wave_cells(results: Results, wave_id: int) -> pd.DataFrame:
    """Every count of the wave at every level and for every group, one row each (see module doc).

    Columns: `DIMS`, ``n`` and ``published`` (False for counts no page shows)."""
    wave_rows = results.for_wave(wave_id)
    base = pd.DataFrame(
        {
            "la": wave_rows["la_code"].astype(object).map(_level).to_numpy(),
            "trust": wave_rows["trust"]
            .astype(object)
            .where(wave_rows["trust"].notna(), NO_TRUST)
            .map(str)
            .to_numpy(),
            "school": wave_rows["school_urn"].astype("int64").map(str).to_numpy(),
        }
    )
    for group in GROUP_IDS:
        base[group] = wave_rows[group].astype(object).map(_level).to_numpy()
    frames = []
    levels = [
        ("school", ("la", "trust", "school")),
        *((name, (*la, *trust)) for name, (la, trust) in _AREA_LEVELS.items()),
    ]
    for population, mask in populations(results, wave_rows).items():
        rows = base[mask]
        for level, keys in levels:
            for group in ("", *GROUP_IDS):
                by = [*keys, *([group] if group else [])]
                counts = (
                    rows.groupby(by, sort=False).size().rename("n").reset_index()
                    if by
                    else pd.DataFrame({"n": [len(rows)]})
                )
                if "trust" in keys and level != "school":
                    counts = counts[counts["trust"] != NO_TRUST]
                if not len(counts):
                    continue
                for d in DIMS[1:]:
                    if d not in by:
                        counts[d] = TOTAL
                counts["population"] = population
                counts["published"] = _published(population, level, group)
                frames.append(counts[[*DIMS, "n", "published"]])
    cells = pd.concat(frames, ignore_index=True)
    return cells.astype({d: object for d in DIMS})


def _published(population: str, level: str, group: str) -> bool:
    if level == "school":
        return True  # every school table: totals, and each group (gaps, lost learning, who answered)
    # Areas: only the risk ratios by area are published (a question's groups, and its totals,
    # which the "Other pupils" and "Composition index" columns give away). A scale's area figures
    # come from the shown schools only, and nobody sees an area's respondents by group.
    return population.startswith("question:")


# -------------------------------------------------------------------------------------------------
# 2. Protect
# -------------------------------------------------------------------------------------------------


@dataclass
class Control:
    """One wave's protected cells, and how they are found by the items that show them."""

    wave_id: int
    cells: pd.DataFrame  # DIMS, n, published, hidden, reason
    school: dict[tuple, bool] = field(default_factory=dict)  # (population, urn, group, level) → hidden
    area: dict[tuple, bool] = field(default_factory=dict)  # (population, family, k1, k2, group, level)
    seconds: float = 0.0

    def __post_init__(self) -> None:
        frame = self.cells
        for record in frame.to_dict("records"):
            groups = [g for g in GROUP_IDS if record[g] != TOTAL]
            if len(groups) != 1:
                continue
            group = groups[0]
            key = (record["population"], group, record[group])
            if record["school"] != TOTAL:
                self.school[(key[0], int(record["school"]), group, key[2])] = bool(record["hidden"])
                continue
            la, trust = record["la"], record["trust"]
            family = (
                "national"
                if la == TOTAL and trust == TOTAL
                else "la_trust"
                if la != TOTAL and trust != TOTAL
                else "la"
                if la != TOTAL
                else "trust"
            )
            k1 = "" if family == "national" else la if family in ("la", "la_trust") else trust
            k2 = trust if family == "la_trust" else ""
            self.area[(key[0], family, k1, k2, group, key[2])] = bool(record["hidden"])


def ceilings(cells: pd.DataFrame) -> np.ndarray:
    """How high each cell's range need reach: the stated total of its school or area in the same
    population (a school of 12 with 3 FSM pupils: the attacker learns 0 to 12, all the stated 12
    allows), else no limit. See `analysis.disclosure.protect`, ``ceiling``."""
    total = (cells[GROUP_IDS] == TOTAL).all(axis=1)
    stated = total & cells["published"] & (cells["n"] >= MIN_N)
    unit = ["population", "la", "trust", "school"]
    keys = cells[unit].astype(str).agg("|".join, axis=1)
    limit = pd.Series(cells.loc[stated, "n"].to_numpy(np.float64), index=keys[stated].to_numpy())
    found = keys.map(limit).to_numpy(np.float64, copy=True)
    found[np.isnan(found) | total.to_numpy()] = np.inf
    return found


def protect_wave(results: Results, wave_id: int) -> Control:
    """`wave_cells` protected across the whole wave (see the module docstring)."""
    started = time.perf_counter()
    cells = wave_cells(results, wave_id)
    total = (cells[GROUP_IDS] == TOTAL).all(axis=1).to_numpy()
    out = protect(
        cells.drop(columns="published"),
        DIMS,
        min_n=MIN_N,
        interval=INTERVAL,
        hierarchy=HIERARCHY,
        hidden=~cells["published"].to_numpy(),
        keep=total & cells["published"].to_numpy(),
        ceiling=ceilings(cells),
    )
    out["published"] = cells["published"].to_numpy()
    return Control(wave_id, out, seconds=time.perf_counter() - started)


# -------------------------------------------------------------------------------------------------
# 3. Apply to the items, and read them back
# -------------------------------------------------------------------------------------------------


def _labels(group: str, levels: Iterable[str]) -> dict[str, str]:
    """Row label → cell level, for the levels the cells hold."""
    out = {}
    for level in levels:
        raw: Any = None if level == UNKNOWN else level
        if group == "year_group" and raw is not None:
            raw = float(raw)
        out[level_label(group, raw)] = level
    return out


def _short(question) -> str:
    short = question.text.get_for("en").removeprefix("Since September, ")
    return short[0].upper() + short[1:]


class _Walker:
    """Visits every published count of the wave's items: hides what `control` hides (`apply`) and
    records whether each cell is shown anywhere (`shown`)."""

    def __init__(self, results: Results, control: Control, *, change: bool) -> None:
        self.results = results
        self.control = control
        self.change = change
        self.shown: set[tuple] = set()
        levels: dict[str, set[str]] = {g: set() for g in GROUP_IDS}
        for _, _, group, level in control.school:
            levels[group].add(level)
        self.labels = {g: _labels(g, found) for g, found in levels.items()}
        self.questions = {_short(q): q.id for q in lost_learning_questions(results.questionnaire)}

    def cell(self, population: str, urn: int, group: str, level: str, hidden: bool) -> bool:
        """Whether the cell must be hidden; records it as shown when it stays shown."""
        hide = self.control.school.get((population, urn, group, level), False)
        if self.change:
            hidden = hidden or hide
        if not hidden:
            self.shown.add((population, str(urn), group, level))
        return hidden

    def school(self, urn: int, part: dict) -> None:
        """A school's item of a release from before its tables were split (every table inside)."""
        if self.change and isinstance(part.get("summary"), dict):
            self.summary(urn, part["summary"])
        for key, table in (part.get("gaps") or {}).items():
            scale, group = key.split(":", 1)
            self.gaps(urn, scale, group, table)
        for group, table in (part.get("lost-learning-groups") or {}).items():
            self.lost_learning_groups(urn, group, table)
        for group, tables in (part.get("representativeness") or {}).items():
            self.respondents(urn, group, tables)

    def gaps(self, urn: int, scale: str, group: str, table) -> None:
        for row in table.rows:
            level = self.labels[group].get(row["level"])
            if level is not None and self.cell(
                f"scale:{scale}", urn, group, level, bool(row.get("_suppressed"))
            ):
                self._hide_row(row)

    def lost_learning_groups(self, urn: int, group: str, table) -> None:
        for row in table.rows:
            level = self.labels[group].get(row["level"])
            question = self.questions.get(row["question"])
            if level is None or question is None:
                continue
            if self.cell(f"question:{question}", urn, group, level, bool(row.get("_suppressed"))):
                self._hide_row(row)

    def respondents(self, urn: int, group: str, tables: list) -> None:
        for table in tables[:1]:  # "Who answered": respondents by group
            for row in table.rows:
                level = self.labels[group].get(row["level"])
                if level is None:
                    continue
                words = row.setdefault("_hidden", {})
                if self.cell(RESPONDENTS, urn, group, level, bool(words.get("answered"))):
                    for column in ("answered", "answered_share", "rate"):
                        words[column] = HIDDEN

    def summary(self, urn: int, summary: dict) -> None:
        """The school's two-minute summary was worked out from its tables before this step: what
        it says of a group whose cell is now hidden goes (a gap or ratio fact, a grid cell, the
        most over- or under-represented group)."""

        def hidden(population: str, group: str | None, level: Any) -> bool:
            if not group or group not in GROUP_IDS:
                return False
            key = (population, urn, group, _level(_number_or_text(level)))
            return self.control.school.get(key, False)

        for grid_row in (summary.get("grid") or {}).get("rows", []):
            for scale in list(grid_row.get("cells", {})):
                if hidden(f"scale:{scale}", grid_row.get("group"), grid_row.get("level")):
                    grid_row["cells"][scale] = {"hidden": HIDDEN}
        findings = summary.get("findings") or {}
        for side in ("strengths", "priorities"):
            findings[side] = [
                fact
                for fact in findings.get(side, [])
                if not hidden(
                    f"{'scale' if fact.get('kind') == 'gap' else 'question'}:{fact.get('measure')}",
                    fact.get("group"),
                    fact.get("level"),
                )
            ]
        worst = summary.get("representative")
        if worst:
            level = self.labels.get(worst["group"], {}).get(worst["level"])
            if level is None or self.control.school.get((RESPONDENTS, urn, worst["group"], level), False):
                summary["representative"] = None

    @staticmethod
    def _hide_row(row: dict) -> None:
        row["_suppressed"] = HIDDEN
        if "verdict" in row:
            row["verdict"] = ""
        row["_highlight"] = None

    def compare_gaps(self, scale: str, group: str, frame: pd.DataFrame) -> pd.DataFrame:
        if frame.empty:
            return frame
        hide = np.array(
            [
                self.cell(f"scale:{scale}", int(urn), group, _level(level), bool(suppressed))
                for urn, level, suppressed in frame[["school_urn", group, "suppressed"]].itertuples(
                    index=False
                )
            ],
            dtype=bool,
        )
        if self.change and (hide & ~frame["suppressed"].to_numpy(bool)).any():
            frame = frame.copy()
            newly = hide & ~frame["suppressed"].to_numpy(bool)
            statistics = [
                c
                for c in frame.columns
                if c not in ("school_urn", group, "suppressed", "suppressed_reason")
                and frame[c].dtype.kind == "f"
            ]
            frame.loc[newly, statistics] = np.nan
            frame.loc[newly, "suppressed"] = True
            frame.loc[newly, "suppressed_reason"] = "complementary"
        return frame

    def compare_gap(self, scale: str, group: str, level: str, national: dict) -> dict:
        """One group's gap on the compare page (`compare.compare_gap_national`): the schools shown,
        less those whose cell is hidden, with the funnel fitted again without them."""
        rows = national["rows"]
        cell_level = _level(_number_or_text(level))
        hide = {
            int(urn)
            for urn in rows["school_urn"]
            if self.cell(f"scale:{scale}", int(urn), group, cell_level, False)
        }
        if self.change and hide:
            return compare.hide_gap_schools(national, hide)
        return national

    def area_items(self, group: str, by_outcome: dict) -> dict:
        """A risk-ratio item of the split layout: outcome → one area's (or family's) cells."""
        every = {
            outcome: {str(frame["_family"].iloc[0]): frame}
            for outcome, frame in by_outcome.items()
            if len(frame)
        }
        self.areas(group, every)
        return by_outcome

    def areas(self, group: str, every: dict) -> dict:
        for outcome, families in every.items():
            for family, frame in families.items():
                if frame.empty:
                    continue
                hide = []
                for k1, k2, level, hidden in frame[["_k1", "_k2", group, "hidden"]].itertuples(index=False):
                    key = (
                        f"question:{outcome}",
                        family,
                        "" if family == "national" else str(k1),
                        str(k2) if family == "la_trust" else "",
                        group,
                        _level(level),
                    )
                    must = self.control.area.get(key, False)
                    now = bool(hidden) or (must if self.change else False)
                    if not now:
                        self.shown.add(("area", *key))
                    hide.append(now)
                if self.change:
                    frame["hidden"] = np.asarray(hide, dtype=bool)
        return every


def apply(results: Results, control: Control, items: dict) -> None:
    """Hide in `items` (in place) every cell `control` hides; a kept item (carried byte for byte
    from the previous release) is left as it is, and is read back by `published_cells`."""
    _walk(results, control, items, change=True)


def _walk(results: Results, control: Control, items: dict, *, change: bool) -> _Walker:
    walker = _Walker(results, control, change=change)
    q = results.questionnaire.id
    prefix = f"{q}:{control.wave_id}:"
    for (kind, key), value in list(items.items()):
        if not key.startswith(prefix):
            continue
        rest = key[len(prefix) :]
        if isinstance(value, store.Kept):
            if change:
                continue
            value = store.decode(bytes(value))
        if kind == "school":
            if "scales" in value:  # a release from before the tables were split
                walker.school(int(rest), value)
        elif kind == "summary":
            if change:
                walker.summary(int(rest), value)
        elif kind in ("table:gaps", "table:lost-learning-groups", "table:representativeness"):
            urn, group = rest.split(":", 1)
            if kind == "table:gaps":
                for scale, table in value.items():
                    walker.gaps(int(urn), scale, group, table)
            elif kind == "table:lost-learning-groups":
                walker.lost_learning_groups(int(urn), group, value)
            else:
                walker.respondents(int(urn), group, value)
        elif kind == "compare":
            scale, group, level = rest.split(":", 2)
            if group:  # one group's gap (a scale's own compare item has no group cells)
                refitted = walker.compare_gap(scale, group, level, value)
                if change:
                    items[(kind, key)] = refitted
        elif kind in ("disproportionality", "disproportionality-las"):
            group = rest.split(":", 1)[0]
            walker.area_items(group, value)
        elif kind == "compare-gaps":
            scale, group = rest.split(":", 1)
            found = walker.compare_gaps(scale, group, value)
            if change:
                items[(kind, key)] = found
        elif kind == "disproportionality":
            walker.areas(rest, value)
    return walker


def published_cells(results: Results, control: Control, items: dict) -> pd.DataFrame:
    """`control`'s cells with ``hidden`` as the items show them: a cell is shown when any item
    shows it; a total the release states elsewhere (kept) is shown; anything else is hidden."""
    walker = _walk(results, control, items, change=False)
    cells = control.cells
    shown = np.zeros(len(cells), dtype=bool)
    for i, record in enumerate(cells[DIMS].to_dict("records")):
        groups = [g for g in GROUP_IDS if record[g] != TOTAL]
        if not groups:
            shown[i] = bool(cells["published"].iat[i]) and not bool(cells["hidden"].iat[i])
            continue
        group = groups[0]
        if record["school"] != TOTAL:
            shown[i] = (record["population"], record["school"], group, record[group]) in walker.shown
        else:
            la, trust = record["la"], record["trust"]
            family = (
                "national"
                if la == TOTAL and trust == TOTAL
                else "la_trust"
                if la != TOTAL and trust != TOTAL
                else "la"
                if la != TOTAL
                else "trust"
            )
            k1 = "" if family == "national" else la if family in ("la", "la_trust") else trust
            k2 = trust if family == "la_trust" else ""
            shown[i] = ("area", record["population"], family, k1, k2, group, record[group]) in walker.shown
    out = cells[[*DIMS, "n"]].copy()
    out["hidden"] = ~shown
    return out


# -------------------------------------------------------------------------------------------------
# 4. The step the publisher runs
# -------------------------------------------------------------------------------------------------


@dataclass
class Checked:
    """What the step found for one questionnaire: figures for the log and the release note."""

    tables: int = 0
    cells: int = 0
    hidden: int = 0
    primary: int = 0
    secondary: int = 0
    protect_seconds: float = 0.0
    audit_seconds: float = 0.0
    findings: list[pd.DataFrame] = field(default_factory=list)

    def add(self, other: Checked) -> None:
        for name in ("tables", "cells", "hidden", "primary", "secondary", "protect_seconds", "audit_seconds"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.findings += other.findings


def control(results: Results, items: dict) -> Checked:
    """Protect, apply and audit every wave of one questionnaire's items (in place)."""
    checked = Checked()
    for wave_id in _waves(results, items):
        found = protect_wave(results, wave_id)
        apply(results, found, items)
        started = time.perf_counter()
        findings, cells = audit_items(results, items, wave_id, found.cells)
        checked.audit_seconds += time.perf_counter() - started
        checked.protect_seconds += found.seconds
        checked.tables += len(
            (cells[DIMS[1:]] == TOTAL).assign(population=cells["population"]).drop_duplicates()
        )
        checked.cells += len(cells)
        checked.hidden += int(cells["hidden"].sum())
        checked.primary += int((found.cells["reason"] == "primary").sum())
        checked.secondary += int((found.cells["reason"] == "secondary").sum())
        if len(findings):
            checked.findings.append(findings)
    return checked


def _waves(results: Results, items: dict) -> list[int]:
    q = f"{results.questionnaire.id}:"
    return sorted({int(key.split(":")[1]) for kind, key in items if kind == "school" and key.startswith(q)})


def audit_items(
    results: Results, items: dict, wave_id: int, cells: pd.DataFrame | None = None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The LP attacker on what `items` show of one wave: (findings, the cells as published).

    `items` are a release's items (as the pipeline holds them, or read back from the store);
    `cells` the wave's `wave_cells` when already worked out. Each finding names its table in
    ``wave`` and the dimension columns; ``n``, ``low`` and ``high`` are the values protected."""
    cells = wave_cells(results, wave_id) if cells is None else cells
    total = (cells[GROUP_IDS] == TOTAL).all(axis=1)
    stated = cells["published"] & (cells["n"] >= MIN_N)  # totals the pages state (kept shown)
    frame = cells[[*DIMS, "n", "published"]].assign(hidden=~(total & stated), reason=None)
    published = published_cells(results, Control(wave_id, frame), items)
    findings = audit(
        published, DIMS, hierarchy=HIERARCHY, min_n=MIN_N, interval=INTERVAL, ceiling=ceilings(cells)
    )
    findings = findings.assign(wave=f"{results.questionnaire.id}:{wave_id}")
    return findings, published


def refuse_if_findings(checked: Checked) -> None:
    """Log the step's figures; raise `DisclosureError` (logged without values) on any finding."""
    log.info(
        "disclosure control: %s tables, %s cells, %s hidden (%s under %s, %s more to protect them); "
        "protect %.1f s, audit %.1f s",
        checked.tables, checked.cells, checked.hidden, checked.primary, MIN_N, checked.secondary,
        checked.protect_seconds, checked.audit_seconds,
    )  # fmt: skip
    if checked.findings:
        findings = pd.concat(checked.findings, ignore_index=True)
        log.error("disclosure audit refused the release: %s findings: %s", len(findings), summary(findings))
        raise DisclosureError(findings)
