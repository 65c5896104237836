"""Non-response weights: make each school's respondents add up to its roster.

Pupils who answer differ from those who do not. Post-stratification weights each respondent by the
number of pupils on the roll in their cell (e.g. year group × gender × FSM) divided by the number
who responded, so weighted totals match the roster. Small cells are collapsed first and extreme
weights are trimmed; the Kish design effect says how much precision the weighting costs.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from ._checks import require_columns, require_frame

__all__ = ["design_effect", "weights"]

MISSING = "(missing)"
ANY = "*"
Prefix = tuple[Any, ...]  # a cell's values of the first few weighting columns


def weights(
    scored: pd.DataFrame,
    roster: pd.DataFrame,
    cells: Sequence[str],
    *,
    min_cell: int = 5,
    trim: tuple[float, float] | None = (0.2, 5),
    school: str = "school_urn",
    count: str | None = None,
) -> pd.DataFrame:
    """Post-stratification weights to roster totals within each school.

    Parameters
    ----------
    scored : pandas.DataFrame
        Respondents, one row each (filter to ``status == "complete"`` first if only complete
        responses are analysed): the ``school`` column and the ``cells`` columns.
    roster : pandas.DataFrame
        Pupils on roll: one row per pupil, or one row per cell with the number of pupils in
        ``count``. Must have the ``school`` and ``cells`` columns.
    cells : list of str
        Columns defining the weighting cells, most important first (e.g.
        ``["year_group", "gender", "fsm"]``): collapsing drops them from the end.
    min_cell : int, default 5
        Cells with fewer respondents are collapsed into broader cells.
    trim : (float, float) or None, default (0.2, 5)
        Keep every weight within these multiples of the school's mean weight, then re-normalise so
        the school still adds up to its roster; None for no trimming.
    school : str, default "school_urn"
        The school column of both frames.
    count : str, optional
        The roster's column of pupil counts; without it each roster row is one pupil.

    Returns
    -------
    pandas.DataFrame
        Indexed like ``scored``, with the ``school`` column, ``cell`` (the final weighting cell,
        e.g. ``"year_group=7, gender=F, fsm=*"``, ``*`` marking a collapsed variable), ``weight``
        and ``trimmed`` (the weight was held at a trimming bound). Respondents of a school with no
        roster pupils (or no school) get a NaN weight, with a warning. Use :func:`design_effect`
        for the Kish design effect per school.

    Raises
    ------
    ValueError
        If a column is missing from either frame, ``cells`` is empty, ``min_cell`` is below 1,
        ``trim`` is not ``(low, high)`` with ``0 < low ≤ 1 ≤ high``, or ``count`` holds negative
        numbers.

    Notes
    -----
    *Cells.* Values are compared as text after numbers are written plainly (``7`` and ``"7"``
    and ``7.0`` are one year group) and a blank is a value of its own, ``"(missing)"``: a pupil
    whose FSM status is unknown on the roster matches respondents whose status is unknown.

    *Collapsing rule*, in each school, with :math:`K` cell variables in the given order (most
    important first), working from the full cells (depth :math:`K`) up to the school (depth 0).
    A cell *passes* if it has at least ``min_cell`` respondents and at least one roster pupil.

    1. At depth :math:`d`, the cells still open are pooled by their first :math:`d` variables;
       each pool that passes becomes a final cell.
    2. A pool that fails and has open siblings (other failing pools sharing its first
       :math:`d-1` variables) stays open, to be pooled with them at depth :math:`d-1`: small FSM
       cells of one year group are pooled as "FSM unknown or yes" before anything else.
    3. A pool that fails alone, when a final cell shares its first :math:`d-1` variables, joins
       its nearest final cell: the one sharing the longest run of leading values, then the one
       with the fewest respondents (its label gets ``+ rest``). So a small year-8 FSM cell joins
       the year-8 non-FSM cell, not a year-7 cell.
    4. At depth 0 whatever is still open is pooled as the school's remainder; if that fails it
       joins the school's smallest final cell, and a school with no final cell at all is weighted
       as a single cell.

    Every roster pupil thus lands in exactly one final cell, and in each final cell
    :math:`w = N_{cell}/n_{cell}`, so the weights of every final cell, and of every school, add up
    to its roster total. When no cell is small the final cells are the full cells.

    *Trimming.* With :math:`\\bar w = N/n` the school's mean weight, the weights become
    :math:`\\min(\\max(c\\,w, \\text{low}\\,\\bar w), \\text{high}\\,\\bar w)` with the factor
    :math:`c` found by bisection so the school adds up to :math:`N` again: no weight is outside the
    bounds and the weights inside them keep their ratios. Trimming keeps school totals but not
    cell totals.

    References
    ----------
    .. [1] Kalton, G., & Flores-Cervantes, I. (2003). Weighting methods. Journal of Official
           Statistics, 19(2), 81–97.
    .. [2] Potter, F. J. (1990). A study of procedures to identify and trim extreme sampling
           weights. Proceedings of the Survey Research Methods Section, American Statistical
           Association, 225–230.

    Examples
    --------
    >>> import pandas as pd
    >>> from analysis.weights import design_effect, weights
    >>> roster = pd.DataFrame({
    ...     "school_urn": 1,
    ...     "year_group": [7, 7, 8, 8],
    ...     "fsm": ["N", "Y", "N", "Y"],
    ...     "pupils": [60, 20, 50, 30],
    ... })
    >>> scored = pd.DataFrame({
    ...     "school_urn": 1,
    ...     "year_group": [7] * 30 + [7] * 10 + [8] * 40 + [8] * 3,
    ...     "fsm": ["N"] * 30 + ["Y"] * 10 + ["N"] * 40 + ["Y"] * 3,
    ... })
    >>> weighted = weights(scored, roster, ["year_group", "fsm"], count="pupils")
    >>> # 3 of year 8's 30 FSM pupils answered: too few, so they join year 8's other cell
    >>> weighted.drop_duplicates("cell")[["cell", "weight"]].round(3)
                              cell  weight
    0          year_group=7, fsm=N    2.00
    30         year_group=7, fsm=Y    2.00
    40  year_group=8, fsm=N + rest    1.86
    >>> weighted.groupby("cell")["weight"].sum()
    cell
    year_group=7, fsm=N           60.0
    year_group=7, fsm=Y           20.0
    year_group=8, fsm=N + rest    80.0
    Name: weight, dtype: float64
    >>> design_effect(weighted).round(3)
       school_urn   n  sum_weight  response_rate   deff  effective_n
    0           1  83       160.0          0.519  1.001       82.892
    """
    require_frame(scored, "scored")
    require_frame(roster, "roster")
    cells = [cells] if isinstance(cells, str) else list(cells)
    if not cells:
        raise ValueError("cells must name at least one column, e.g. ['year_group', 'gender']")
    if school in cells:
        raise ValueError(f"the school column {school!r} cannot also be a cell")
    require_columns(scored, [school, *cells], "the scored frame")
    require_columns(roster, [school, *cells, *([count] if count else [])], "the roster")
    if not (isinstance(min_cell, (int, np.integer)) and min_cell >= 1):
        raise ValueError(f"min_cell must be a whole number of at least 1, not {min_cell!r}")
    if trim is not None and (len(trim) != 2 or not 0 < trim[0] <= 1 <= trim[1]):
        raise ValueError(f"trim must be (low, high) with 0 < low ≤ 1 ≤ high, like (0.2, 5), not {trim!r}")

    keys = [school, *cells]
    respondents = _normalise(scored[keys], roster[keys])
    pupils = _normalise(roster[keys], scored[keys])
    if count:
        on_roll = pd.to_numeric(roster[count])
        if (on_roll < 0).any():
            raise ValueError(f"column {count!r} of the roster holds a negative number of pupils")
    else:
        on_roll = pd.Series(1, index=roster.index)
    known = scored[school].notna()
    table = pd.concat(
        [
            respondents[known].value_counts().rename("n"),
            on_roll.groupby([pupils[c] for c in keys]).sum().rename("N"),
        ],
        axis=1,
    ).fillna(0)
    table = table.reset_index()
    table.columns = [*keys, "n", "N"]
    table = table[(table["n"] > 0) | (table["N"] > 0)].reset_index(drop=True)

    table["cell"] = _collapse(table, school, cells, min_cell)
    final = table.groupby([school, "cell"])[["n", "N"]].transform("sum")
    table["weight"] = np.where(final["n"] > 0, final["N"] / final["n"].where(final["n"] > 0), np.nan)
    no_roster = table.groupby(school)["N"].transform("sum") == 0
    table.loc[no_roster, "weight"] = np.nan

    placed = respondents.merge(table[[*keys, "cell", "weight"]], on=keys, how="left", validate="many_to_one")
    result = pd.DataFrame(
        {school: scored[school], "cell": placed["cell"].to_numpy(), "weight": placed["weight"].to_numpy()},
        index=scored.index,
    )
    result.loc[~known.to_numpy(), ["cell", "weight"]] = np.nan
    result["trimmed"] = False
    if trim is not None:
        result["weight"], result["trimmed"] = _trim(result["weight"], respondents[school], *trim)
    unweighted = result["weight"].isna()
    if unweighted.any():
        warnings.warn(
            f"{int(unweighted.sum())} respondents have no weight: "
            "their school is missing or not on the roster",
            RuntimeWarning,
            stacklevel=2,
        )
    return result


def design_effect(weighted: pd.DataFrame, *, weight: str = "weight", by: str = "school_urn") -> pd.DataFrame:
    """Kish's design effect of unequal weights, per school (or other group).

    Parameters
    ----------
    weighted : pandas.DataFrame
        Rows with a ``weight`` column and the ``by`` column, such as :func:`weights` returns.
    weight : str, default "weight"
        The weight column. Rows without a weight are left out.
    by : str, default "school_urn"
        The grouping column.

    Returns
    -------
    pandas.DataFrame
        One row per group: ``n`` (weighted rows), ``sum_weight`` (the roster total for
        :func:`weights`), ``response_rate`` (``n / sum_weight``, meaningful when the weights add up
        to the roster), ``deff`` (:math:`1 + CV^2(w)`) and ``effective_n`` (``n / deff``).

    Raises
    ------
    ValueError
        If a column is missing or a weight is negative.

    Notes
    -----
    :math:`\\text{deff} = 1 + CV^2 = n \\sum w^2 / (\\sum w)^2`, with the coefficient of variation
    :math:`CV = s_w/\\bar w` using the population standard deviation (divisor :math:`n`) [1]_.
    It is the factor by which weighting inflates the variance of a mean, so the weighted sample is
    worth ``effective_n`` unweighted respondents.

    References
    ----------
    .. [1] Kish, L. (1992). Weighting for unequal Pi. Journal of Official Statistics, 8(2), 183–200.

    Examples
    --------
    >>> import pandas as pd
    >>> from analysis.weights import design_effect
    >>> w = pd.DataFrame({"school_urn": [1, 1, 1, 1, 2, 2], "weight": [1.0, 1.0, 2.0, 4.0, 3.0, 3.0]})
    >>> design_effect(w)
       school_urn  n  sum_weight  response_rate   deff  effective_n
    0           1  4         8.0       0.500000  1.375     2.909091
    1           2  2         6.0       0.333333  1.000     2.000000
    """
    require_frame(weighted, "weighted")
    require_columns(weighted, [by, weight], "the weighted frame")
    w = pd.to_numeric(weighted[weight])
    if (w < 0).any():
        raise ValueError(f"column {weight!r} holds a negative weight")
    frame = pd.DataFrame({by: weighted[by], "w": w, "w2": w**2})[w.notna()]
    grouped = frame.groupby(by, sort=True)
    result = pd.DataFrame(
        {"n": grouped.size(), "sum_weight": grouped["w"].sum(), "sum_w2": grouped["w2"].sum()}
    )
    result["response_rate"] = result["n"] / result["sum_weight"]
    result["deff"] = result["n"] * result["sum_w2"] / result["sum_weight"] ** 2
    result["effective_n"] = result["n"] / result["deff"]
    return result.drop(columns="sum_w2").reset_index()


def _normalise(frame: pd.DataFrame, other: pd.DataFrame) -> pd.DataFrame:
    """Cell values as comparable text: plain numbers when both frames' values are all numbers.

    Works on each column's distinct values, so it costs little on millions of rows.
    """
    out = {}
    for column in frame.columns:
        codes, uniques = pd.factorize(frame[column])
        mine = _blank_to_na(pd.Series(uniques, dtype="object"))
        theirs = _blank_to_na(pd.Series(pd.unique(other[column].dropna()), dtype="object"))
        both = pd.concat([mine, theirs], ignore_index=True).dropna()
        if pd.to_numeric(both, errors="coerce").notna().all():
            text = pd.to_numeric(mine, errors="coerce").map(lambda v: f"{v:.15g}", na_action="ignore")
        else:
            text = mine.map(str, na_action="ignore")
        labels = np.append(text.astype("object").where(text.notna(), MISSING).to_numpy(), MISSING)
        out[column] = labels[codes]  # code −1 (a missing value) picks the appended MISSING
    return pd.DataFrame(out, index=frame.index)


def _blank_to_na(values: pd.Series) -> pd.Series:
    stripped = values.map(lambda v: v.strip() if isinstance(v, str) else v)
    return stripped.where(stripped.ne("") & stripped.notna())


def _collapse(table: pd.DataFrame, school: str, cells: list[str], min_cell: int) -> pd.Series:
    """The final cell label of each row of the school × cell table, by the documented rule."""
    values = list(table[cells].itertuples(index=False, name=None))
    n = table["n"].to_numpy()
    on_roll = table["N"].to_numpy()
    labels = np.empty(len(table), dtype=object)
    for rows in table.groupby(school, sort=False).indices.values():
        cell_of, finals = _collapse_school([values[i] for i in rows], n[rows], on_roll[rows], min_cell)
        names = [_label(cells, prefix, merged) for prefix, merged in finals]
        labels[rows] = [names[k] for k in cell_of]
    return pd.Series(labels, index=table.index)


def _collapse_school(
    values: list[Prefix], n: np.ndarray, on_roll: np.ndarray, min_cell: int
) -> tuple[list[int], list[tuple[Prefix, bool]]]:
    """Final cell number of each of one school's cells, and each final cell's (prefix, merged)."""
    depth_max = len(values[0])
    cell_of = [-1] * len(values)
    finals: list[list[Any]] = []  # [prefix, merged, respondents]
    open_rows = list(range(len(values)))

    def settle(members: list[int], k: int) -> None:
        for i in members:
            cell_of[i] = k
        finals[k][2] += sum(n[i] for i in members)

    def nearest(prefix: Prefix) -> int:
        def shared(k: int) -> int:
            other = finals[k][0]
            length = 0
            while length < min(len(prefix), len(other)) and prefix[length] == other[length]:
                length += 1
            return length

        return min(range(len(finals)), key=lambda k: (-shared(k), finals[k][2], k))

    for depth in range(depth_max, -1, -1):
        pools: dict[Prefix, list[int]] = {}
        for i in open_rows:
            pools.setdefault(values[i][:depth], []).append(i)
        failing = []
        for prefix, members in pools.items():
            if sum(n[i] for i in members) >= min_cell and sum(on_roll[i] for i in members) > 0:
                finals.append([prefix, False, 0])
                settle(members, len(finals) - 1)
            else:
                failing.append((prefix, members))
        open_rows = []
        open_under: dict[Prefix, int] = {}
        for prefix, _ in failing:
            open_under[prefix[:-1]] = open_under.get(prefix[:-1], 0) + 1
        for prefix, members in failing:
            parent = prefix[:-1]
            has_final_sibling = any(f[0][: len(parent)] == parent for f in finals)
            if depth == 0 or (open_under[parent] == 1 and has_final_sibling):
                if not finals:  # nothing to join: the whole school is one cell
                    finals.append([(), False, 0])
                    settle(members, 0)
                    continue
                k = nearest(prefix)
                finals[k][1] = True
                settle(members, k)
            else:
                open_rows.extend(members)
    return cell_of, [(prefix, merged) for prefix, merged, _ in finals]


def _label(cells: list[str], prefix: Prefix, merged: bool) -> str:
    parts = [f"{c}={prefix[i] if i < len(prefix) else ANY}" for i, c in enumerate(cells)]
    return ", ".join(parts) + (" + rest" if merged else "")


def _trim(weight: pd.Series, schools: pd.Series, low: float, high: float) -> tuple[pd.Series, pd.Series]:
    """Weights clip(c·w, low·w̄, high·w̄), with c per school chosen so the school total is kept."""
    w = weight.to_numpy(dtype=float).copy()
    valid = ~np.isnan(w)
    codes, _ = pd.factorize(pd.Series(schools.to_numpy()[valid]))
    v = w[valid]
    total = np.bincount(codes, weights=v)
    mean = total / np.bincount(codes)
    lower, upper = low * mean[codes], high * mean[codes]
    # Σ clip(c·w) rises continuously from n·low·w̄ to n·high·w̄ as c grows, passing the total
    # n·w̄ once: find c by bisection on log c between the c clipping every weight low and high.
    log_lo = np.log(pd.Series(lower / v).groupby(codes).min().to_numpy())
    log_hi = np.log(pd.Series(upper / v).groupby(codes).max().to_numpy())
    for _ in range(200):
        log_c = (log_lo + log_hi) / 2
        reached = np.bincount(codes, weights=np.clip(np.exp(log_c)[codes] * v, lower, upper))
        too_much = reached > total
        log_hi = np.where(too_much, log_c, log_hi)
        log_lo = np.where(too_much, log_lo, log_c)
        if np.all(log_hi - log_lo < 1e-15):
            break
    v = np.clip(np.exp((log_lo + log_hi) / 2)[codes] * v, lower, upper)
    held = (v <= lower) | (v >= upper)
    # remove the last rounding error from the weights inside the bounds
    free_sum = np.bincount(codes, weights=np.where(held, 0.0, v), minlength=len(total))
    held_sum = np.bincount(codes, weights=np.where(held, v, 0.0), minlength=len(total))
    with np.errstate(divide="ignore", invalid="ignore"):
        factor = np.where(free_sum > 0, (total - held_sum) / free_sum, 1.0)
    v = np.where(held, v, v * factor[codes])
    w[valid] = v
    trimmed = np.zeros(len(w), dtype=bool)
    trimmed[valid] = held
    return pd.Series(w, index=weight.index), pd.Series(trimmed, index=weight.index)
