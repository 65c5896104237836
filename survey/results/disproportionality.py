"""Disproportionality: lost learning by pupil group, across the schools in scope and by local authority.

The schools' own group tables (their results pages) add up to each area's, so `disclosure.protect`
hides area cells until no subtraction reveals a school's hidden group.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from markupsafe import Markup

import analysis
from questionnaires import Questionnaire

from .. import charts
from .disclosure import Relation, protect
from .labels import GROUP_LABELS, level_label, lost_learning_questions, short_question
from .labels import finite as _finite
from .labels import number as _nan
from .page import Page
from .scored import Results
from .table import HIDDEN, Column, Table

if TYPE_CHECKING:
    from .released import Released

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


# Each reviewer reads only its own area's cells: one item per area (the country, each local
# authority, each trust) with every outcome, and the cells of the local authority table (every
# local authority's, for the country; a trust's parts in each local authority, for a trust).
SCOPE_FAMILIES = ("national", "la", "trust")


def _area_key(wave_id: int, group: str, family: str, key: tuple) -> str:
    return ":".join([str(wave_id), group, family, *(str(k) for k in key)])


def release_items(
    every: dict[str, Disproportion], wave_id: int, group: str
) -> Iterator[tuple[str, str, dict]]:
    """(kind, key after the questionnaire, value) of the release items of one wave and group."""
    areas: dict[tuple[str, tuple], dict[str, pd.DataFrame]] = {}
    for outcome, found in every.items():
        for family, columns in AREA_FAMILIES:
            if family not in SCOPE_FAMILIES:
                continue
            frame = found.areas[family]
            if not columns:
                areas.setdefault((family, ()), {})[outcome] = frame
                continue
            for value, rows in frame.groupby(columns[0], sort=False):
                areas.setdefault((family, (value,)), {})[outcome] = rows
    for (family, key), by_outcome in areas.items():
        yield "disproportionality", _area_key(wave_id, group, family, key), by_outcome
    yield (
        "disproportionality-las",
        _area_key(wave_id, group, "national", ()),
        {outcome: found.areas["la"] for outcome, found in every.items()},
    )
    trusts: dict[str, dict[str, pd.DataFrame]] = {}
    for outcome, found in every.items():
        for trust, rows in found.areas["la_trust"].groupby("trust", sort=False):
            trusts.setdefault(str(trust), {})[outcome] = rows
    for trust, by_outcome in trusts.items():
        yield "disproportionality-las", _area_key(wave_id, group, "trust", (trust,)), by_outcome


def released_disproportionality(
    released: Released, wave_id: int, group: str, scope_area: tuple[str, tuple]
) -> dict[str, Disproportion]:
    """What `disproportionality_page` needs for a reviewer of `scope_area`, read from the release:
    its area's cells and those of its local authority table only."""
    family, key = scope_area
    found = released.item("disproportionality", _area_key(wave_id, group, family, key))
    if found is None:  # a release from before the items were split by area, or no such area
        stored = released.item("disproportionality", f"{wave_id}:{group}") or {}
        return {outcome: Disproportion(areas=areas) for outcome, areas in stored.items()}
    by_la = {}
    if family != "la":
        by_la = released.item("disproportionality-las", _area_key(wave_id, group, family, key)) or {}
    every = {}
    for outcome, rows in found.items():
        parts = by_la.get(outcome)
        if parts is None:
            parts = rows.iloc[:0].assign(la_code=pd.Series(dtype=object), trust=pd.Series(dtype=object))
        areas = {family: rows, "la": rows if family == "la" else parts}
        if family == "trust":
            areas["la_trust"] = parts
        every[outcome] = Disproportion(areas=areas)
    return every


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
