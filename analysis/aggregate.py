"""Group means and percentages positive, with confidence intervals and small-group suppression.

`aggregate` turns scored responses (see `analysis.scores.score`) into the table a school or a
national report shows: one row per group, and nothing published about fewer than ``min_n`` pupils.
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

__all__ = ["aggregate", "wilson_interval"]

# The columns a suppressed row shows as NaN.
STATISTICS = ["n", "mean", "sd", "se", "ci_low", "ci_high"]
STATISTICS += ["pct_positive", "pct_positive_low", "pct_positive_high"]


def aggregate(
    scored: pd.DataFrame,
    by: Hashable | Sequence[Hashable],
    measure: str,
    *,
    min_n: int = 10,
    level: float = 0.95,
) -> pd.DataFrame:
    """Mean and percentage positive of a measure in each group, with small groups suppressed.

    Parameters
    ----------
    scored : pandas.DataFrame
        One row per pupil, e.g. the output of `analysis.scores.score`.
    by : str or list of str
        The grouping column(s), e.g. ``"school_urn"`` or ``["school_urn", "fsm"]``. Missing values
        (NaN) form a group of their own, labelled NaN: those pupils count in the totals.
    measure : str
        The numeric column to summarise, e.g. ``"belonging"``. Rows where it is NaN are left out.
        The percentage positive is read from the column ``<measure>_positive_share`` (as `score`
        makes: the share of each pupil's answered items at the positive end), or else from a
        yes/no column ``<measure>_positive``; without either the three ``pct_positive`` columns
        are NaN.
    min_n : int, default 10
        Fewest respondents a shown row may rest on; at least 10.
    level : float, default 0.95
        Confidence level of the intervals.

    Returns
    -------
    pandas.DataFrame
        One row per group with at least one respondent, sorted by the `by` columns:

        * the `by` columns;
        * ``n``: respondents with a value of `measure`;
        * ``mean``, ``sd`` (n − 1 denominator), ``se`` (``sd / √n``);
        * ``ci_low``, ``ci_high``: t-interval for the mean, n − 1 degrees of freedom;
        * ``pct_positive``: with ``<measure>_positive_share``, its mean over respondents in percent
          (the share of answers at the positive end, each pupil counting once), with a
          t-interval ``pct_positive_low``, ``pct_positive_high`` kept within 0–100; with a yes/no
          ``<measure>_positive``, the percentage of respondents for whom it is true, with the
          Wilson score interval;
        * ``suppressed`` (bool) and ``suppressed_reason`` (``"primary"``, ``"complementary"`` or
          missing).

        A suppressed row keeps its group labels; ``n`` and every statistic are NaN.

    Notes
    -----
    *Primary suppression* hides every group with ``n < min_n``. *Complementary suppression*
    protects them from subtraction: the rows sharing every `by` value but the last (one school's
    groups, or with a single `by` column the whole table) add up to a total that is published
    elsewhere (the school's own row, the national figure). Where exactly one row of such a set is
    suppressed, its ``n`` and mean would be that total minus the shown rows, so the smallest other
    row of the set is suppressed too ("complementary"). Only those sets are considered: a table
    whose other margins are also published (e.g. ``by=["fsm", "sen"]`` beside a table by ``sen``)
    needs those margins checked as well.

    The Wilson interval for a proportion :math:`\\hat p = x/m` with :math:`z = \\Phi^{-1}((1+level)/2)` is

    .. math:: \\frac{\\hat p + z^2/2m \\pm z\\sqrt{\\hat p(1-\\hat p)/m + z^2/4m^2}}{1 + z^2/m}

    which, unlike the Wald interval, stays inside 0–100% and keeps its coverage for small groups.

    References
    ----------
    Wilson, E. B. (1927). Probable inference, the law of succession, and statistical inference.
    *Journal of the American Statistical Association*, 22(158), 209–212.

    Office for National Statistics (2022). *Statistical Disclosure Control* (primary and secondary
    suppression).

    Examples
    --------
    >>> import pandas as pd
    >>> from analysis.aggregate import aggregate
    >>> scored = pd.DataFrame({
    ...     "school_urn": [100001] * 30 + [100002] * 12,
    ...     "fsm": ["Y"] * 8 + ["N"] * 22 + ["N"] * 12,
    ...     "belonging": [3.0, 4.0] * 15 + [4.5] * 12,
    ... })
    >>> scored["belonging_positive"] = (scored["belonging"] >= 4).astype("boolean")
    >>> table = aggregate(scored, ["school_urn", "fsm"], "belonging")
    >>> table[["school_urn", "fsm", "n", "mean", "pct_positive", "suppressed_reason"]]
       school_urn fsm     n  mean  pct_positive suppressed_reason
    0      100001   N   NaN   NaN           NaN     complementary
    1      100001   Y   NaN   NaN           NaN           primary
    2      100002   N  12.0   4.5         100.0               NaN
    >>> round(aggregate(scored, "school_urn", "belonging").loc[0, "ci_low"], 3)
    np.float64(3.31)
    """
    scored = require_frame(scored, "scored")
    by = _columns(by, reserved=[*STATISTICS, "suppressed", "suppressed_reason"])
    require_min_n(min_n)
    require_level(level)
    require_columns(scored, [*by, measure], "scored")
    if measure in by:
        raise ValueError(f"measure {measure!r} cannot also be a grouping column")
    values = scored[measure]
    if not is_numeric_dtype(values.dtype) or is_bool_dtype(values.dtype):
        raise ValueError(f"measure {measure!r} must be numeric, not {values.dtype}")
    share = f"{measure}_positive_share"
    positive = share if share in scored.columns and share not in by else f"{measure}_positive"
    has_positive = positive in scored.columns and positive not in by

    columns = [*by, measure, *([positive] if has_positive else [])]
    grouped = scored[columns].groupby(by, dropna=False, observed=True, sort=True)
    summary = grouped[measure].agg(["count", "mean", "std"])
    keep = (summary["count"] > 0).to_numpy()
    table = summary.index[keep].to_frame(index=False)
    n = summary["count"].to_numpy(np.float64)[keep]
    mean = summary["mean"].to_numpy(np.float64)[keep]
    sd = summary["std"].to_numpy(np.float64)[keep]
    se = sd / np.sqrt(n)
    with np.errstate(invalid="ignore"):
        half = stats.t.ppf((1 + level) / 2, n - 1) * se
    if has_positive and positive == share:
        shares = grouped[share].agg(["count", "mean", "std"])
        m, average, spread = (shares[c].to_numpy(np.float64)[keep] for c in ("count", "mean", "std"))
        with np.errstate(invalid="ignore", divide="ignore"):
            margin = stats.t.ppf((1 + level) / 2, m - 1) * spread / np.sqrt(m)
        pct = 100 * average
        pct_low, pct_high = (
            np.clip(100 * (average - margin), 0, 100),
            np.clip(100 * (average + margin), 0, 100),
        )
    elif has_positive:
        flags = grouped[positive].agg(["sum", "count"])
        x, m = (flags[c].to_numpy(np.float64)[keep] for c in ("sum", "count"))
        with np.errstate(invalid="ignore", divide="ignore"):
            pct = 100 * x / m
        low, high = wilson_interval(x, m, level)
        pct_low, pct_high = 100 * low, 100 * high
    else:
        pct = pct_low = pct_high = np.full(len(n), np.nan)

    primary = n < min_n
    extra = _suppression.complementary(primary, n, _suppression.set_ids(table, by[:-1]), min_n)
    hidden = primary | extra
    computed = [n, mean, sd, se, mean - half, mean + half, pct, pct_low, pct_high]
    for name, column in zip(STATISTICS, computed, strict=True):
        table[name] = np.where(hidden, np.nan, column)
    table["suppressed"] = hidden
    table["suppressed_reason"] = _suppression.reasons(primary, extra)
    return table


def wilson_interval(
    successes: np.ndarray | float, trials: np.ndarray | float, level: float = 0.95
) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval for a proportion, as fractions (0–1).

    Parameters
    ----------
    successes, trials : array_like
        Counts; where ``trials`` is 0 the interval is NaN.
    level : float, default 0.95
        Confidence level.

    Returns
    -------
    (numpy.ndarray, numpy.ndarray)
        Lower and upper limits.

    Examples
    --------
    >>> from analysis.aggregate import wilson_interval
    >>> low, high = wilson_interval(8, 10)
    >>> print(f"{low:.4f} {high:.4f}")
    0.4902 0.9433
    """
    require_level(level)
    x = np.asarray(successes, dtype=np.float64)
    m = np.asarray(trials, dtype=np.float64)
    z = stats.norm.ppf((1 + level) / 2)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = x / m
        denominator = 1 + z**2 / m
        centre = (p + z**2 / (2 * m)) / denominator
        half = z / denominator * np.sqrt(p * (1 - p) / m + z**2 / (4 * m**2))
    return np.clip(centre - half, 0, 1), np.clip(centre + half, 0, 1)


def _columns(by: Hashable | Sequence[Hashable], reserved: Sequence[str] = ()) -> list[Any]:
    """`by` as a list of column names, checked against the result's own column names."""
    columns = list(by) if isinstance(by, (list, tuple)) else [by]
    if not columns:
        raise ValueError("by must name at least one grouping column")
    if len(set(columns)) != len(columns):
        raise ValueError(f"by names a column twice: {columns!r}")
    clashes = [c for c in columns if c in reserved]
    if clashes:
        raise ValueError(f"cannot group by {clashes[0]!r}: the result has a column of that name")
    return columns
