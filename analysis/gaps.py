"""Gaps between groups of pupils within each school, beside the national gap.

`gaps` answers "do FSM pupils in this school feel they belong less than the school's other
pupils, and is that more or less than the gap nationally?": for each school and each level of a
pupil attribute, the difference of means with a Welch confidence interval.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from typing import Any

import numpy as np
import pandas as pd
from pandas.api.types import is_bool_dtype, is_numeric_dtype
from scipy import stats

from . import _suppression
from ._checks import require_columns, require_frame, require_level, require_min_n
from .aggregate import _columns

__all__ = ["gaps"]

STATISTICS = ["n", "mean", "comparison_n", "comparison_mean", "gap", "se", "df", "ci_low", "ci_high"]
NATIONAL = ["national_gap", "national_ci_low", "national_ci_high"]
_OUTPUT = ["comparison", *STATISTICS, "significant", *NATIONAL, "suppressed", "suppressed_reason"]


def gaps(
    scored: pd.DataFrame,
    group: Hashable,
    measure: str,
    *,
    by: Hashable | Sequence[Hashable] | None = "school_urn",
    reference: object = None,
    min_n: int = 10,
    level: float = 0.95,
) -> pd.DataFrame:
    """Difference in mean `measure` between each group and the rest, in each school and nationally.

    Parameters
    ----------
    scored : pandas.DataFrame
        One row per pupil, e.g. the output of `analysis.scores.score`.
    group : str
        The pupil attribute whose levels are compared, e.g. ``"fsm"``, ``"sen"`` or
        ``"ethnicity_minor"``. Pupils with a missing value (NaN) form a level of their own, labelled
        NaN, and count among "the rest" for the other levels.
    measure : str
        The numeric column compared, e.g. ``"belonging"``; rows where it is NaN are left out.
    by : str, list of str or None, default "school_urn"
        The unit within which groups are compared. ``None`` gives one row per level, nationally.
    reference : scalar, optional
        Compare each level with this level (e.g. ``"N"`` for SEN) instead of with all other pupils
        of the school. The reference level gets no row of its own.
    min_n : int, default 10
        Fewest respondents on either side of a shown gap; at least 10.
    level : float, default 0.95
        Confidence level of the intervals.

    Returns
    -------
    pandas.DataFrame
        One row per unit and level with at least one respondent, sorted by the `by` columns then
        `group`:

        * the `by` columns and `group` (the level);
        * ``comparison``: ``"rest"`` or the `reference` level;
        * ``n``, ``mean``: the level's respondents and mean; ``comparison_n``, ``comparison_mean``:
          the same for its comparison in the same unit;
        * ``gap``: ``mean − comparison_mean``; ``se``: Welch standard error
          :math:`\\sqrt{s_1^2/n_1 + s_2^2/n_2}`; ``df``: Welch–Satterthwaite degrees of freedom;
        * ``ci_low``, ``ci_high``: t-interval for the gap; ``significant``: the interval excludes 0
          (nullable boolean);
        * ``national_gap``, ``national_ci_low``, ``national_ci_high``: the same level's gap over all
          rows (absent when `by` is None);
        * ``suppressed`` (bool), ``suppressed_reason`` (``"primary"``, ``"complementary"`` or missing).

        A suppressed row keeps its labels and national columns; its own statistics are NaN.

    Notes
    -----
    A row is suppressed ("primary") when the level or its comparison has fewer than `min_n`
    respondents. Because a shown row also tells the size and mean of its comparison, the levels of
    one unit add up to the unit's total; where exactly one level of a unit is suppressed, the
    smallest other level is suppressed too ("complementary"), as in `analysis.aggregate.aggregate`.
    The national columns come from the national table, suppressed by the same rules.

    The Welch–Satterthwaite degrees of freedom are

    .. math:: \\nu = \\frac{(s_1^2/n_1 + s_2^2/n_2)^2}{(s_1^2/n_1)^2/(n_1-1) + (s_2^2/n_2)^2/(n_2-1)}.

    Pupils are treated as independent: nationally, where pupils cluster in schools, the interval
    is too narrow when the gap varies between schools.

    References
    ----------
    Welch, B. L. (1947). The generalization of "Student's" problem when several different population
    variances are involved. *Biometrika*, 34(1–2), 28–35.

    Examples
    --------
    >>> import numpy as np
    >>> import pandas as pd
    >>> from analysis.gaps import gaps
    >>> rng = np.random.default_rng(1)
    >>> scored = pd.DataFrame({
    ...     "school_urn": np.repeat([100001, 100002], 60),
    ...     "fsm": np.tile(["Y"] * 20 + ["N"] * 40, 2),
    ... })
    >>> scored["belonging"] = 3.8 - 0.5 * (scored["fsm"] == "Y") + rng.normal(0, 0.6, 120)
    >>> table = gaps(scored, "fsm", "belonging")
    >>> table[["school_urn", "fsm", "n", "comparison_n", "gap", "significant"]].round(2)
       school_urn fsm     n  comparison_n   gap  significant
    0      100001   N  40.0          20.0  0.42         True
    1      100001   Y  20.0          40.0 -0.42         True
    2      100002   N  40.0          20.0  0.58         True
    3      100002   Y  20.0          40.0 -0.58         True
    >>> gaps(scored, "fsm", "belonging", by=None, reference="N")[["fsm", "gap"]].round(2)
      fsm  gap
    0   Y -0.5
    """
    scored = require_frame(scored, "scored")
    keys = [] if by is None else _columns(by, reserved=[*_OUTPUT])
    require_min_n(min_n)
    require_level(level)
    if group in keys:
        raise ValueError(f"group {group!r} cannot also be a `by` column")
    if group in _OUTPUT:
        raise ValueError(f"cannot compare the levels of {group!r}: the result has a column of that name")
    require_columns(scored, [*keys, group, measure], "scored")
    if measure == group or measure in keys:
        raise ValueError(f"measure {measure!r} cannot also be a grouping column")
    if not is_numeric_dtype(scored[measure].dtype) or is_bool_dtype(scored[measure].dtype):
        raise ValueError(f"measure {measure!r} must be numeric, not {scored[measure].dtype}")

    cells, shift = _cells(scored, keys, group, measure)
    if reference is not None and not (cells[group] == reference).any():
        levels = ", ".join(repr(v) for v in cells[group].dropna().unique()[:20])
        raise ValueError(f"reference {reference!r} is not a level of {group!r} (its levels: {levels})")
    by_group = cells.groupby(group, dropna=False, observed=True, sort=True)  # type: ignore[call-overload]
    national_cells = by_group[["_n", "_s", "_q"]].sum()
    national = _compare(national_cells.reset_index(), [], group, reference, shift, min_n, level)
    if not keys:
        return national.drop(columns=NATIONAL)
    table = _compare(cells, keys, group, reference, shift, min_n, level)
    table = table.drop(columns=NATIONAL).merge(
        national[[group, "gap", "ci_low", "ci_high"]].set_axis([group, *NATIONAL], axis=1),
        on=group,
        how="left",
    )
    return table[[*keys, group, *_OUTPUT]]


def _cells(
    scored: pd.DataFrame, keys: list[str], group: Hashable, measure: str
) -> tuple[pd.DataFrame, float]:
    """Count, sum and sum of squares of the measure per unit and level.

    Values are centred on their overall mean first so that variances taken from sums of squares
    (``Σd² − (Σd)²/n``) lose no precision.
    """
    values = scored[measure].to_numpy(dtype=np.float64, na_value=np.nan)
    answered = ~np.isnan(values)
    shift = float(values[answered].mean()) if answered.any() else 0.0
    centred = values - shift
    frame = pd.DataFrame({f"_k{i}": scored[key] for i, key in enumerate([*keys, group])}, copy=False)
    frame["_d"] = centred
    frame["_d2"] = centred * centred
    names = list(frame.columns[:-2])
    cells = frame.groupby(names, dropna=False, observed=True, sort=True).agg(
        _n=("_d", "count"), _s=("_d", "sum"), _q=("_d2", "sum")
    )
    cells = cells.loc[cells["_n"] > 0].reset_index()
    return cells.set_axis([*keys, group, "_n", "_s", "_q"], axis=1), shift


def _compare(
    cells: pd.DataFrame,
    keys: list[str],
    group: Hashable,
    reference: object,
    shift: float,
    min_n: int,
    level: float,
) -> pd.DataFrame:
    """Gap rows from per-cell sums: each level against the rest of its unit, or the reference."""
    sets = _suppression.set_ids(cells, keys)
    n, s, q = (cells[c].to_numpy(np.float64) for c in ("_n", "_s", "_q"))
    if reference is None:
        rows = np.ones(len(cells), dtype=bool)
        totals = [np.bincount(sets, weights=v) for v in (n, s, q)]
        n_c, s_c, q_c = (total[sets] - v for total, v in zip(totals, (n, s, q), strict=True))
    else:
        is_reference = (cells[group] == reference).to_numpy(dtype=bool, na_value=False)
        rows = ~is_reference
        found = [np.zeros(sets.max() + 1 if len(sets) else 0) for _ in range(3)]
        for total, v in zip(found, (n, s, q), strict=True):
            total[sets[is_reference]] = v[is_reference]
        n_c, s_c, q_c = (total[sets] for total in found)
    labels = cells.loc[rows, [*keys, group]].reset_index(drop=True)
    sets, n, s, q, n_c, s_c, q_c = (v[rows] for v in (sets, n, s, q, n_c, s_c, q_c))

    with np.errstate(invalid="ignore", divide="ignore"):
        mean, var = s / n, np.maximum((q - s * s / n) / (n - 1), 0)
        mean_c, var_c = s_c / n_c, np.maximum((q_c - s_c * s_c / n_c) / (n_c - 1), 0)
        v1, v2 = var / n, var_c / n_c
        se = np.sqrt(v1 + v2)
        df = (v1 + v2) ** 2 / (v1**2 / (n - 1) + v2**2 / (n_c - 1))
        half = np.where(se == 0, 0.0, stats.t.ppf((1 + level) / 2, df) * se)
    gap = mean - mean_c

    primary = (n < min_n) | (n_c < min_n)
    extra = _suppression.complementary(primary, n, sets, min_n)
    hidden = primary | extra
    values = [n, mean + shift, n_c, mean_c + shift, gap, se, df, gap - half, gap + half]
    columns: dict[str, Any] = {
        name: np.where(hidden, np.nan, v) for name, v in zip(STATISTICS, values, strict=True)
    }
    low, high = columns["ci_low"], columns["ci_high"]
    significant = pd.arrays.BooleanArray((low > 0) | (high < 0), np.isnan(low) | np.isnan(high))
    columns |= {"significant": significant, **dict.fromkeys(NATIONAL, np.nan)}
    columns["suppressed"] = hidden
    columns["suppressed_reason"] = _suppression.reasons(primary, extra).array
    columns["comparison"] = np.full(len(n), "rest" if reference is None else reference, dtype=object)
    table = pd.concat([labels, pd.DataFrame(columns)], axis=1)
    return table[[*keys, group, *_OUTPUT]]
