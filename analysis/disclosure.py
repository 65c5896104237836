"""Disclosure control over a whole release of linked count tables, proved by a linear-programming attacker.

The model is the standard one for linked hierarchical tables (τ-ARGUS, the R package sdcTable;
Hundepool et al., *Statistical Disclosure Control*, 2012, ch. 4). A release is one tidy frame of
*cells*: a row per published count, a column per dimension (``la``, ``school``, ``fsm``, ``sen``,
``ethnicity``, ``year``, ``event``…) and the true count ``n``. The value `TOTAL` (``"*"``) in a
dimension means "all its levels", so ``school=S, fsm=*`` is school S's total and ``school=S,
fsm=Y`` its FSM count: every table of the release (school, school × group, school × group × group,
LA × group, national…) is rows of the same frame. The attacker knows that a TOTAL cell is the sum
of the cells beneath it along each dimension, that a group left out is empty, and every shown count.

Nesting is declared, not inferred: ``hierarchy={"school": "la"}`` says a concrete school names its LA
(so ``la=X, school=*`` is the sum of X's schools and ``la=*, school=*`` the sum of them all); a
school within an LA and a trust is ``{"school": ("la", "trust")}``. See `analysis._linked`.

- `protect` hides every count under ``min_n`` (*primary*) and then more cells (*secondary*), chosen
  across the whole release, until the attacker's feasible range of every primary count x reaches
  ``x + interval`` above and ``max(0, x − interval)`` below (``docs`` RELEASES.md: "Protection
  interval"). Publish one label for every hidden cell, whatever its ``reason``.
- `audit` is the attacker: it returns a finding for each primary count shown, or hidden but
  pinned closer than the interval. `feasible_ranges` gives every hidden primary count's range.
- `stable_groups` keeps a school's group counts as last published unless every change is 0 or at
  least 10, so two consecutive releases are no differencing pair.

Statistics (means, percentages, n beside a statistic) follow their count: show a statistic only
when its count cell is shown, and a statistic built from several counts (an "other pupils" column
is a total minus a group; a composition index uses the total) only when every one of those counts
is shown, or include the derived count as a cell of its own so the attacker model sees it.
Event counts (numerators, as an ``events`` dimension such as ``excluded=yes/no``) are hidden at
1–9 and at 0 in a group under ``zero_group`` pupils; a 0 in a bigger group may be shown.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from ._attacker import reach
from ._checks import require_columns, require_frame, require_min_n
from ._linked import TOTAL, Model, build

__all__ = ["TOTAL", "audit", "feasible_ranges", "primary", "protect", "stable_groups"]

Hierarchy = Mapping[str, str | Sequence[str]] | None
_TOL = 1e-6
_WHOLE_ROUNDS = 10  # whole-component solves per side and protect round; the rest wait a round


def _check_interval(interval: int) -> int:
    if not isinstance(interval, (int, np.integer)) or interval < 1:
        raise ValueError(f"interval must be a whole number of pupils ≥ 1, not {interval!r}")
    return int(interval)


def complete_events(cells: pd.DataFrame, dims: Sequence[str], events: str) -> pd.DataFrame:
    """`cells` plus an ``n = 0`` cell for every event level a published group lacks.

    Leaving an empty event cell out tells the attacker it is 0 ("none of the 12 Roma pupils…"), so
    the zeros are made explicit and `primary` decides whether each may be shown.

    Examples
    --------
    >>> cells = pd.DataFrame({"g": ["a", "a", "a", "b", "b"], "event": ["*", "yes", "no", "*", "no"],
    ...                       "n": [30, 11, 19, 12, 12]})
    >>> complete_events(cells, ["g", "event"], "event").tail(1).to_dict("records")
    [{'g': 'b', 'event': 'yes', 'n': 0}]
    """
    if events not in dims:
        raise ValueError(f"events names {events!r}, which is not one of the dims {list(dims)}")
    others = [d for d in dims if d != events]
    flags = (cells[dims].astype(str) == TOTAL).to_numpy()
    event_total = flags[:, list(dims).index(events)]
    # a group's breakdown by event is published when any cell of its pattern has a concrete event
    pattern = flags[:, [list(dims).index(d) for d in others]] @ (1 << np.arange(len(others)))
    published = np.isin(pattern, pattern[~event_total])
    levels = pd.unique(cells.loc[~event_total, events])
    groups = cells.loc[event_total & published, others]
    if groups.empty or len(levels) == 0:
        return cells
    wanted = groups.merge(pd.DataFrame({events: levels}), how="cross")
    as_text = {d: str for d in [*others, events]}
    have = cells.loc[~event_total, [*others, events]].astype(as_text).drop_duplicates()
    marked = wanted.astype(as_text).merge(have, how="left", indicator=True)["_merge"].to_numpy()
    missing = wanted[marked == "left_only"]
    if missing.empty:
        return cells
    return pd.concat(
        [cells, missing.assign(n=0)[cells.columns.intersection([*dims, "n"])]], ignore_index=True
    )


def primary(
    cells: pd.DataFrame, dims: Sequence[str], *, min_n: int = 10, events: str | None = None,
    zero_group: int = 20,
) -> np.ndarray:  # fmt: skip
    """Which cells must be hidden for their own sake (True), as a boolean array in row order.

    A count under `min_n` is hidden, 0 included. For event counts (cells whose `events` dimension
    is concrete) a 0 is shown when its group (the same cell with ``events = TOTAL``) has at least
    `zero_group` pupils; with no such group cell it stays hidden.

    Examples
    --------
    >>> cells = pd.DataFrame({"g": ["a", "a", "a", "b", "b", "b"], "event": ["*", "yes", "no"] * 2,
    ...                       "n": [25, 0, 25, 12, 0, 12]})
    >>> primary(cells, ["g", "event"], events="event").tolist()
    [False, False, False, False, True, False]
    """
    require_min_n(min_n)
    n = pd.to_numeric(cells["n"]).to_numpy()
    hidden = n < min_n
    if events is None:
        return hidden
    others = [d for d in dims if d != events]
    concrete = (cells[events].astype(str) != TOTAL).to_numpy()
    if others:
        keys = cells[others].astype(str)
        group = keys.groupby(others, sort=False).ngroup().to_numpy()
    else:
        group = np.zeros(len(cells), dtype=np.int64)
    group_n = np.full(group.max() + 1 if len(group) else 0, -1)
    group_n[group[~concrete]] = n[~concrete]
    big_group = group_n[group] >= zero_group
    return hidden & ~(concrete & (n == 0) & big_group)


def protect(
    cells: pd.DataFrame,
    dims: Sequence[str],
    *,
    min_n: int = 10,
    interval: int = 10,
    hierarchy: Hierarchy = None,
    events: str | None = None,
    zero_group: int = 20,
    max_rounds: int = 200,
    hidden: np.ndarray | pd.Series | None = None,
    keep: np.ndarray | pd.Series | None = None,
    ceiling: np.ndarray | pd.Series | None = None,
) -> pd.DataFrame:
    """Primary and secondary suppression over the whole release.

    Parameters
    ----------
    cells : pandas.DataFrame
        One row per published count: the `dims` columns (`TOTAL` for "all levels") and ``n``.
    dims : sequence of str
        The dimension columns.
    min_n : int, default 10
        Counts under this are hidden (at least 10).
    interval : int, default 10
        Protection interval: each primary count x must have an attacker range reaching
        ``x + interval`` and ``max(0, x − interval)``.
    hierarchy : mapping, optional
        Nesting of dimensions, ``{"school": "la"}`` or ``{"school": ("la", "trust")}``.
    events : str, optional
        The dimension whose levels are event counts; missing 0 cells are added (see
        `complete_events`) and zeros follow `primary`.
    zero_group : int, default 20
        A 0 event count is shown only in a group of at least this many pupils.
    max_rounds : int, default 200
        Rounds of attacker-guided suppression before giving up with an error.
    hidden : array of bool, optional
        Cells hidden whatever their count, in row order: counts the release does not publish at
        all (the attacker has them as unknowns), or hidden by a table for its own reasons.
    keep : array of bool, optional
        Cells never chosen for secondary suppression, in row order: counts published elsewhere
        whatever this step decides (a school's number of responses). A kept count under `min_n`
        is still hidden. If no secondary suppression can protect a count without a kept cell,
        `protect` raises `RuntimeError`.
    ceiling : array of numbers, optional
        The most each cell's range need reach, in row order (default: no limit): a count inside
        a total published whatever this step decides (a school's 12 responses) can never be shown
        to exceed that total, so its range must reach ``min(x + interval, total)``: the attacker
        learns no more than the published total says.

    Returns
    -------
    pandas.DataFrame
        `cells` (plus any added 0 event cells, at the end) with ``hidden`` (bool) and ``reason``
        (``"primary"``, ``"secondary"``, or missing when shown).

    Notes
    -----
    A greedy pass first makes every relation safe on its own: no relation has exactly one hidden
    cell, and the other hidden parts beside a hidden primary count hold at least `interval` pupils
    when the total is shown. Each candidate is the shown cell of the relation with the fewest pupils
    that still covers what is missing (else the biggest), so few pupils' worth is hidden. Then the
    attacker (`feasible_ranges`) checks every primary count; for each still pinned it hides the
    cheapest shown cell of a relation that binds the attacker's optimum (a non-zero dual), and
    the loop repeats on the pinned counts only, until the audit is clean.

    Examples
    --------
    School 1 has 3 FSM pupils. Hiding them alone leaves 30 − 27; the greedy pass also hides the
    27, and then school 2's FSM pair, or the LA's FSM split would give school 1's back.

    >>> cells = pd.DataFrame({
    ...     "la": ["E1"] * 9,
    ...     "school": [1, 1, 1, 2, 2, 2, "*", "*", "*"],
    ...     "fsm": ["*", "Y", "N"] * 3,
    ...     "n": [30, 3, 27, 40, 15, 25, 70, 18, 52]})
    >>> out = protect(cells, ["la", "school", "fsm"], hierarchy={"school": "la"})
    >>> out.loc[out["hidden"], ["school", "fsm", "n", "reason"]].values.tolist()
    [[1, 'Y', 3, 'primary'], [1, 'N', 27, 'secondary'], [2, 'Y', 15, 'secondary'], [2, 'N', 25, 'secondary']]
    >>> audit(out, ["la", "school", "fsm"], hierarchy={"school": "la"}).empty
    True
    """
    require_frame(cells, "cells")
    interval = _check_interval(interval)
    given = _flags(hidden, len(cells), "hidden")
    fixed = _flags(keep, len(cells), "keep").copy()
    ceil = _ceiling(ceiling, len(cells))
    if events is not None:
        cells = complete_events(cells, dims, events)
        added = np.zeros(len(cells) - len(given), dtype=bool)  # the 0 event cells: neither
        given, fixed = np.concatenate([given, added]), np.concatenate([fixed, added])
        ceil = np.concatenate([ceil, np.full(len(added), np.inf)])
    model = build(cells, dims, hierarchy)
    first = primary(cells, dims, min_n=min_n, events=events, zero_group=zero_group)
    fixed &= ~first & ~given
    # a kept cell counts as hidden to the candidate search only: it is never picked
    hidden = _greedy(model, first | given, first, interval, fixed)
    open_ = np.flatnonzero(first)
    for _ in range(max_rounds):
        if not len(open_):
            break
        found = reach(model, hidden, open_, interval, max_rounds=_WHOLE_ROUNDS, ceiling=ceil)
        failing = _failing(model.n[open_], found.low, found.high, interval, ceil[open_])
        if not failing.any():
            break
        waiting = False
        before = hidden.copy()
        for k in np.flatnonzero(failing):
            if np.isnan(found.low[k]) or np.isnan(found.high[k]):
                waiting = True
                continue  # not reached this round: checked again next round
            binding = found.binding.get(int(k), np.zeros(0, np.int64))
            pick = _candidate(model, hidden | fixed, binding, interval)
            if pick is None:
                pick = _candidate(model, hidden | fixed, _relations_of(model, open_[k]), interval)
            if pick is not None:
                hidden[pick] = True
        hidden = _greedy(model, hidden, first, interval, fixed)
        if not waiting and (hidden == before).all():
            raise RuntimeError(
                f"protect: {int(failing.sum())} counts cannot be protected: every cell that could "
                "hide them is kept (see keep)"
            )
        open_ = open_[failing]
    else:
        raise RuntimeError(f"protect: {len(open_)} counts still pinned after {max_rounds} rounds")
    out = cells.reset_index(drop=True).copy()
    out["hidden"] = hidden
    reason = np.where(first, "primary", np.where(given, "given", np.where(hidden, "secondary", None)))
    out["reason"] = pd.array(reason, dtype="string")
    return out


def _flags(values, size: int, name: str) -> np.ndarray:
    if values is None:
        return np.zeros(size, dtype=bool)
    flags = np.asarray(values, dtype=bool)
    if flags.shape != (size,):
        raise ValueError(f"{name} must hold one true or false per cell ({size}), not {flags.shape}")
    return flags


def _ceiling(values, size: int) -> np.ndarray:
    if values is None:
        return np.full(size, np.inf)
    found = np.asarray(values, dtype=np.float64)
    if found.shape != (size,) or np.isnan(found).any():
        raise ValueError(f"ceiling must hold one number per cell ({size})")
    return found


def _failing(n, low, high, interval, ceiling=np.inf) -> np.ndarray:
    """Not proved protected (a NaN range, not yet solved, counts as not proved)."""
    up = np.minimum(n + interval, ceiling)
    return ~((high >= up - _TOL) & (low <= np.maximum(0, n - interval) + _TOL))


def _relations_of(model: Model, cell: int) -> np.ndarray:
    return np.flatnonzero(model.A[:, cell].toarray().ravel() != 0)


def _candidate(model: Model, hidden: np.ndarray, relations: np.ndarray, need: float) -> int | None:
    """The shown cell of `relations` with the fewest pupils that covers `need`, else the biggest."""
    if not len(relations):
        return None
    members = np.unique(np.concatenate([model.cells[model.ptr[r] : model.ptr[r + 1]] for r in relations]))
    shown = members[~hidden[members]]
    if not len(shown):
        return None
    n = model.n[shown]
    covers = n >= need
    pool = shown[covers] if covers.any() else shown
    values = model.n[pool]
    return int(pool[np.argmin(values)] if covers.any() else pool[np.argmax(values)])


def _greedy(
    model: Model, hidden: np.ndarray, first: np.ndarray, interval: int, fixed: np.ndarray | None = None
) -> np.ndarray:
    """Hide cells until every relation is safe on its own (see `protect`, Notes); `fixed` cells
    are never picked."""
    hidden = hidden.copy()
    if model.A.shape[0] == 0:
        return hidden
    fixed = np.zeros(len(hidden), dtype=bool) if fixed is None else fixed
    incidence = abs(model.A).tocsr()
    parts = (model.A < 0).astype(np.float64).tocsr()
    n = model.n.astype(np.float64)
    while True:
        count = incidence @ hidden.astype(np.float64)
        hidden_parts = parts @ np.where(hidden, n, 0.0)
        primary_parts = parts.multiply(np.where(hidden & first, n + 1, 0.0)).tocsr().max(axis=1)
        biggest = np.asarray(primary_parts.todense()).ravel() - 1  # -1: no hidden primary part
        short = (biggest >= 0) & ~hidden[model.total] & (hidden_parts - biggest < interval)
        exposed = np.flatnonzero((count == 1) | short)
        if not len(exposed):
            return hidden
        changed = False
        for r in exposed:
            members = model.cells[model.ptr[r] : model.ptr[r + 1]]
            mine = hidden[members]
            if mine.all():
                continue
            need = float(interval)
            if mine.sum() != 1:
                part = members[1:][hidden[members[1:]]]
                prim = part[first[part]]
                if hidden[members[0]] or not len(prim):
                    continue  # made safe by an earlier pick in this pass
                others = n[part].sum() - n[prim].max()
                if others >= interval:
                    continue
                need = interval - others
            pick = _candidate(model, hidden | fixed, np.array([r]), need)
            if pick is not None:
                hidden[pick] = True
                changed = True
        if not changed:
            return hidden


def _checked(cells, dims, hidden, min_n, interval):
    require_frame(cells, "cells")
    require_columns(cells, [hidden], "cells")
    interval = _check_interval(interval)
    flags = cells[hidden]
    if flags.isna().any() or not (pd.api.types.is_bool_dtype(flags) or flags.isin([0, 1]).all()):
        raise ValueError(f"cells column {hidden!r} must be true or false on every row")
    return flags.astype(bool).to_numpy(), interval


def feasible_ranges(
    cells: pd.DataFrame,
    dims: Sequence[str],
    *,
    hidden: str = "hidden",
    hierarchy: Hierarchy = None,
    min_n: int = 10,
    interval: int = 10,
    events: str | None = None,
    zero_group: int = 20,
    exact: bool = False,
    ceiling: np.ndarray | pd.Series | None = None,
) -> pd.DataFrame:
    """The attacker's range of each hidden primary count under every published relation.

    Two HiGHS solves per count (``scipy.optimize.linprog(method="highs")``), the unknowns ≥ 0,
    the totals as equalities; independent components are solved together (`analysis._attacker`).

    Returns
    -------
    pandas.DataFrame
        One row per hidden primary cell: the `dims`, ``n``, ``low``, ``high`` and ``protected``.
        Unless `exact`, the range is clipped to ``[max(0, n − interval), n + interval]`` (enough
        to say whether it is protected, and much faster); with `exact` it is the attacker's full
        range (``inf`` when unbounded).

    Examples
    --------
    >>> cells = pd.DataFrame({"g": ["*", "a", "b", "c"], "n": [30, 3, 12, 15],
    ...                       "hidden": [False, True, True, False]})
    >>> feasible_ranges(cells, ["g"], exact=True)[["g", "n", "low", "high"]].to_string(index=False)
    'g  n  low  high\\na  3  0.0  15.0'
    """
    flags, interval = _checked(cells, dims, hidden, min_n, interval)
    model = build(cells, dims, hierarchy)
    first = primary(cells, dims, min_n=min_n, events=events, zero_group=zero_group)
    targets = np.flatnonzero(first & flags)
    ceil = _ceiling(ceiling, len(cells))
    found = reach(model, flags, targets, interval, exact=exact, ceiling=ceil)
    out = cells.iloc[targets][[*dims, "n"]].reset_index(drop=True)
    out["low"] = found.low
    out["high"] = found.high
    out["protected"] = ~_failing(model.n[targets], found.low, found.high, interval, ceil[targets])
    out["needs"] = np.minimum(model.n[targets] + interval, ceil[targets])
    out.attrs.update(solves=found.solves, components=found.components, largest_component=found.largest)
    return out


def audit(
    cells: pd.DataFrame,
    dims: Sequence[str],
    *,
    hidden: str = "hidden",
    hierarchy: Hierarchy = None,
    min_n: int = 10,
    interval: int = 10,
    events: str | None = None,
    zero_group: int = 20,
    ceiling: np.ndarray | pd.Series | None = None,
) -> pd.DataFrame:
    """Every way the release breaks the protection interval; empty when it is safe to publish.

    `ceiling` as in `protect`: a count's range need reach no higher than the published total it
    lies in.

    Returns
    -------
    pandas.DataFrame
        One row per finding: the `dims`, ``n``, ``low``, ``high`` (the attacker's range, clipped as
        in `feasible_ranges`; missing for a shown count) and ``problem`` in words. Log findings
        without ``n``, ``low`` and ``high``: they are the values being protected.

    Examples
    --------
    Table-by-table suppression of a school's FSM split: 3 and its complement 27 hidden, but the
    LA's FSM split is shown, and school 2's FSM split too, so school 1's comes back exactly.

    >>> cells = pd.DataFrame({
    ...     "la": ["E1"] * 9, "school": [1, 1, 1, 2, 2, 2, "*", "*", "*"], "fsm": ["*", "Y", "N"] * 3,
    ...     "n": [30, 3, 27, 40, 15, 25, 70, 18, 52],
    ...     "hidden": [False, True, True, False, False, False, False, False, False]})
    >>> audit(cells, ["la", "school", "fsm"], hierarchy={"school": "la"})["problem"].tolist()
    ['the attacker narrows it to 3 to 3 (needs 0 to 13)']
    """
    flags, interval = _checked(cells, dims, hidden, min_n, interval)
    first = primary(cells, dims, min_n=min_n, events=events, zero_group=zero_group)
    shown = cells.loc[first & ~flags, [*dims, "n"]].reset_index(drop=True)
    shown["low"] = np.nan
    shown["high"] = np.nan
    shown["problem"] = f"shown, but a count under {min_n} (or a 0 event count in a small group)"
    ranges = feasible_ranges(
        cells, dims, hidden=hidden, hierarchy=hierarchy, min_n=min_n, interval=interval,
        events=events, zero_group=zero_group, ceiling=ceiling,
    )  # fmt: skip
    pinned = ranges[~ranges["protected"]].drop(columns="protected").reset_index(drop=True)
    pinned["problem"] = [
        f"the attacker narrows it to {lo:g} to {hi:g} (needs {max(0, x - interval):g} to {up:g})"
        for x, lo, hi, up in zip(
            pinned["n"], pinned["low"].round(6), pinned["high"].round(6), pinned["needs"], strict=True
        )
    ]
    pinned = pinned.drop(columns="needs")
    findings = pd.concat([shown, pinned], ignore_index=True) if len(shown) else pinned
    findings.attrs.update(ranges.attrs, checked=len(ranges))
    return findings


def stable_groups(
    previous: pd.DataFrame,
    current: pd.DataFrame,
    dims: Sequence[str],
    *,
    unit: str = "school",
    min_change: int = 10,
) -> pd.DataFrame:
    """Current cells, except a unit's whose groups moved by 1 to `min_change` − 1: those stay as before.

    Two consecutive releases are a differencing pair: if a school's Roma count goes from 14 to 16,
    2 Roma pupils joined. So each unit (a school) publishes its new cells only when every one of
    its counts changed by 0 or by at least `min_change`; otherwise all its cells (total included,
    so they still add up) are the previous release's. A group that appears or disappears counts as
    a change from or to 0. Rows whose `unit` is `TOTAL` come from `current`: aggregate the levels
    above the unit (LA, national) from the cells this returns, so they still add up.

    Returns
    -------
    pandas.DataFrame
        The cells to publish with ``held`` (True where the previous release's cell is kept).

    Examples
    --------
    >>> before = pd.DataFrame({"school": [1, 1, 1, 2, 2, 2], "fsm": ["*", "Y", "N"] * 2,
    ...                        "n": [40, 14, 26, 50, 20, 30]})
    >>> after = pd.DataFrame({"school": [1, 1, 1, 2, 2, 2], "fsm": ["*", "Y", "N"] * 2,
    ...                       "n": [52, 16, 36, 60, 20, 40]})
    >>> stable_groups(before, after, ["school", "fsm"])[["n", "held"]].values.tolist()
    [[40, True], [14, True], [26, True], [60, False], [20, False], [40, False]]
    """
    for name, frame in (("previous", previous), ("current", current)):
        require_frame(frame, name)
        require_columns(frame, [*dims, "n"], name)
    if unit not in dims:
        raise ValueError(f"unit {unit!r} is not one of the dims {list(dims)}")
    if min_change < 1:
        raise ValueError(f"min_change must be at least 1, not {min_change!r}")
    key = [str(d) for d in dims]
    before = previous.assign(**{d: previous[d].astype(str) for d in key})
    after = current.assign(**{d: current[d].astype(str) for d in key})
    both = after[[*key, "n"]].merge(before[[*key, "n"]], on=key, how="outer", suffixes=("", "_before"))
    both = both[both[unit] != TOTAL]
    change = (both["n"].fillna(0) - both["n_before"].fillna(0)).abs()
    small = (change > 0) & (change < min_change)
    held_units = set(both.loc[small, unit])
    new_units = set(both.loc[both["n_before"].isna(), unit]) - set(before[unit])
    held_units -= new_units  # a school in its first release has nothing to difference against
    keep_current = ~after[unit].isin(held_units).to_numpy()
    keep_previous = before[unit].isin(held_units).to_numpy()
    out = pd.concat(
        [current[keep_current].assign(held=False), previous[keep_previous].assign(held=True)],
        ignore_index=True,
    )
    order = pd.Series(out[unit].astype(str)).map({u: i for i, u in enumerate(pd.unique(after[unit]))})
    return out.iloc[np.lexsort((np.arange(len(out)), order.fillna(len(order)).to_numpy()))].reset_index(
        drop=True
    )
