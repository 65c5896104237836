"""Honest "higher"/"lower" markers for everything shown about one school.

A school page shows many gaps (7 groups × 8 scales) and risk ratios. Marking each at plain 95%
makes several false marks per school. Here every estimate shown for a school in one release is one
family: the Benjamini–Hochberg procedure keeps the expected share of false marks among the marked
at ``fdr`` (2.5%), and when nothing is really different it marks anything at all in fewer than 1
school in 20. An unmarked row is then either "no clear difference" (its interval rules out a
meaningful difference) or "too few pupils to tell" (it does not).

Typical use, for one school::

    shown = pd.concat([
        gap_estimates(one_row_per_split(gaps(scored, g, m)), g, m) for g in groups for m in scales
    ] + [risk_ratio_estimates(disproportionality(...), g, "excluded") for g in groups])
    marked = mark(shown, by="school_urn")
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence

import numpy as np
import pandas as pd
from scipy import stats

from questionnaires import Scale

from ._checks import require_columns, require_frame, require_level

__all__ = [
    "MEANINGFUL_RATIO",
    "benchmark_estimates",
    "benjamini_hochberg",
    "gap_estimates",
    "mark",
    "meaningful_difference",
    "one_row_per_split",
    "risk_ratio_estimates",
]

# A group 1.5 times as likely (or a third less likely) as the other pupils to have an outcome.
MEANINGFUL_RATIO = 1.5
VERDICTS = ("higher", "lower", "no clear difference", "too few pupils to tell", "not shown")
KINDS = {"gap", "risk_ratio", "benchmark"}  # a benchmark row is a difference, like a gap
ESTIMATE_COLUMNS = ["kind", "group", "level", "measure", "estimate", "ci_low", "ci_high", "p_value"]


def meaningful_difference(scale: Scale) -> float:
    """The smallest gap in a scale's score worth telling a school about: an eighth of its range.

    Parameters
    ----------
    scale : questionnaires.Scale
        The scale, e.g. ``questionnaires.load("national-secondary").scales["belonging"]``.

    Returns
    -------
    float
        :math:`(\\max - \\min)/8` of the scale's response set: 0.5 on a 1–5 agreement scale (half an
        answer step on every item) and 0.25 on the primary 1–3 scales (the same share of the range).

    Notes
    -----
    A gap of this size is about a third to a half of the pupil-level SD of our scales, "small to
    moderate" on Cohen's rule of thumb, and the size that a head teacher would act on. It is the
    same share of the range in both phases so primary and secondary pages use one rule. For risk
    ratios use :data:`MEANINGFUL_RATIO` (1.5).

    Examples
    --------
    >>> import questionnaires
    >>> from analysis.markers import meaningful_difference
    >>> meaningful_difference(questionnaires.load("national-secondary").scales["belonging"])
    0.5
    >>> meaningful_difference(questionnaires.load("national-primary").scales["belonging"])
    0.25
    """
    if not isinstance(scale, Scale):
        raise TypeError(f"scale must be a questionnaires.Scale, not {type(scale).__name__}")
    low, high = scale.range
    return (high - low) / 8


def benjamini_hochberg(p_values: object) -> np.ndarray:
    """Benjamini–Hochberg adjusted p-values (q-values); NaN stays NaN and is not counted.

    Examples
    --------
    >>> from analysis.markers import benjamini_hochberg
    >>> benjamini_hochberg([0.01, 0.04, 0.03, float("nan"), 0.5]).round(3)
    array([0.04 , 0.053, 0.053,   nan, 0.5  ])
    """
    p = np.asarray(p_values, dtype=float)
    if p.ndim != 1:
        raise ValueError("p_values must be one-dimensional")
    if np.any((p < 0) | (p > 1)):
        raise ValueError("p-values must lie within 0–1")
    q = np.full(p.shape, np.nan)
    known = np.flatnonzero(~np.isnan(p))
    m = len(known)
    if m == 0:
        return q
    order = known[np.argsort(p[known], kind="stable")]
    scaled = p[order] * m / np.arange(1, m + 1)
    q[order] = np.minimum(np.minimum.accumulate(scaled[::-1])[::-1], 1.0)
    return q


def one_row_per_split(table: pd.DataFrame, group: Hashable, *, keep: Sequence[object] = ()) -> pd.DataFrame:
    """Drop the mirror row where a unit's group has just two levels, as ``analysis.gaps`` gives.

    With two levels (FSM yes/no), "yes against the rest" and "no against the rest" are one test
    shown twice, with opposite signs. This keeps one: the first level in ``keep`` present (e.g.
    ``["Y"]``), else the smaller group (the one the question is usually about), else the first.

    Parameters
    ----------
    table : pandas.DataFrame
        ``analysis.gaps`` output (``comparison``, ``n`` and the ``group`` column) or
        ``analysis.disproportionality`` output (``n_g``; its ratios against all other pupils are
        mirror images too); the units are its columns before ``group``.
    group : str
        The compared column, e.g. ``"fsm"``.
    keep : sequence, optional
        Levels to prefer, in order.

    Returns
    -------
    pandas.DataFrame
        The rows kept, in their order. Units with three or more levels, and comparisons with a
        fixed reference (one row per level already), are unchanged.

    Examples
    --------
    >>> import pandas as pd
    >>> from analysis.markers import one_row_per_split
    >>> table = pd.DataFrame({"school_urn": [1, 1, 2, 2, 2], "fsm": ["N", "Y", "N", "Y", None],
    ...                       "comparison": "rest", "n": [40, 20, 30, 20, 10], "gap": [.4, -.4, .1, -.2, .3]})
    >>> one_row_per_split(table, "fsm")
       school_urn  fsm comparison   n  gap
    1           1    Y       rest  20 -0.4
    2           2    N       rest  30  0.1
    3           2    Y       rest  20 -0.2
    4           2  NaN       rest  10  0.3
    """
    require_frame(table, "table")
    size = "n" if "n" in table.columns else "n_g"  # analysis.gaps or analysis.disproportionality
    require_columns(table, [group, size], "the table")
    position = list(table.columns).index(group)  # type: ignore[arg-type]
    units = [c for c in table.columns[:position]]
    frame = table.reset_index(drop=True).rename(columns={size: "_size"})
    if "comparison" in frame.columns:
        rest = (frame["comparison"] == "rest").to_numpy()
    else:  # disproportionality compares each level with all other pupils
        rest = np.ones(len(frame), dtype=bool)
    ids: np.ndarray
    if len(units) == 1:  # one unit column: its codes in order of appearance (a school's page calls
        # this for every table it shows, so no grouper is built), as ngroup(sort=False) numbers them
        ids = pd.factorize(frame[units[0]], use_na_sentinel=False)[0]
    elif units:
        ids = frame.groupby(units, dropna=False, sort=False).ngroup().to_numpy()
    else:
        ids = np.zeros(len(frame), dtype=int)
    counts = np.bincount(ids[rest], minlength=ids.max() + 1 if len(ids) else 0)
    drop = np.zeros(len(frame), dtype=bool)
    preference = {level: rank for rank, level in enumerate(keep)}
    sizes = frame["_size"].to_numpy(dtype=float, na_value=np.nan)
    levels = frame[group].to_numpy()
    # Every unit at once (a national release has thousands): each two-level unit's pair of rows,
    # ranked by preference, then size (unknown last), then position; the second of each is dropped.
    pairs = np.flatnonzero(rest & (counts[ids] == 2)) if len(ids) else np.array([], dtype=np.intp)
    if len(pairs):
        last = len(preference)
        ranks = np.array([preference.get(levels[i], last) for i in pairs], dtype=np.int64)
        order = np.lexsort((pairs, np.nan_to_num(sizes[pairs], nan=np.inf), ranks, ids[pairs]))
        drop[pairs[order][1::2]] = True
    result = table[~drop]
    return result


def gap_estimates(
    table: pd.DataFrame, group: str, measure: str, *, meaningful: float | None = None
) -> pd.DataFrame:
    """The tidy estimates :func:`mark` takes, from an ``analysis.gaps`` table.

    Parameters
    ----------
    table : pandas.DataFrame
        ``analysis.gaps(scored, group, measure)`` output (optionally through
        :func:`one_row_per_split`).
    group, measure : str
        The compared column and the scale, as given to ``gaps``.
    meaningful : float, optional
        The scale's meaningful difference (:func:`meaningful_difference`); put in column
        ``meaningful`` for :func:`mark`.

    Returns
    -------
    pandas.DataFrame
        The unit columns, then ``kind`` (``"gap"``), ``group``, ``level``, ``measure``,
        ``estimate`` (the gap), ``ci_low``, ``ci_high``, ``p_value`` (two-sided Welch t-test),
        ``n``, ``comparison_n`` and ``meaningful``.

    Examples
    --------
    >>> import pandas as pd
    >>> from analysis.markers import gap_estimates
    >>> table = pd.DataFrame({"school_urn": [1], "fsm": ["Y"], "comparison": ["rest"], "n": [20.0],
    ...     "comparison_n": [40.0], "gap": [-0.42], "se": [0.16], "df": [45.0], "ci_low": [-0.74],
    ...     "ci_high": [-0.10], "suppressed": [False]})
    >>> row = gap_estimates(table, "fsm", "belonging", meaningful=0.5).iloc[0]
    >>> row[["kind", "group", "level", "measure"]].tolist(), float(row["estimate"])
    (['gap', 'fsm', 'Y', 'belonging'], -0.42)
    >>> round(float(row["p_value"]), 4), float(row["meaningful"])
    (0.0118, 0.5)
    """
    require_frame(table, "table")
    needed = [group, "n", "comparison_n", "gap", "se", "df", "ci_low", "ci_high"]
    require_columns(table, needed, "the gaps table")
    units = list(table.columns[: list(table.columns).index(group)])
    gap = table["gap"].to_numpy(dtype=float, na_value=np.nan)
    se = table["se"].to_numpy(dtype=float, na_value=np.nan)
    df = table["df"].to_numpy(dtype=float, na_value=np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        t = np.abs(gap) / se
        p = np.where(se == 0, np.where(gap == 0, 1.0, 0.0), 2 * stats.t.sf(t, df))
    frame = table[units].reset_index(drop=True)
    frame["kind"] = "gap"
    frame["group"] = group
    frame["level"] = table[group].to_numpy()
    frame["measure"] = measure
    frame["estimate"] = gap
    frame["ci_low"] = table["ci_low"].to_numpy(dtype=float, na_value=np.nan)
    frame["ci_high"] = table["ci_high"].to_numpy(dtype=float, na_value=np.nan)
    frame["p_value"] = np.where(np.isnan(gap), np.nan, p)
    frame["n"] = table["n"].to_numpy(dtype=float, na_value=np.nan)
    frame["comparison_n"] = table["comparison_n"].to_numpy(dtype=float, na_value=np.nan)
    frame["meaningful"] = np.nan if meaningful is None else float(meaningful)
    return frame


def risk_ratio_estimates(
    table: pd.DataFrame, group: str, outcome: str, *, meaningful: float = MEANINGFUL_RATIO
) -> pd.DataFrame:
    """The tidy estimates :func:`mark` takes, from an ``analysis.disproportionality`` table.

    The p-value is the Katz log test's, matching the interval the table shows:
    :math:`z = \\ln RR / \\sqrt{1/a - 1/n_g + 1/c - 1/n_o}`. A ratio that is 0 or infinite (no
    pupil with the outcome on one side) gets no p-value and is never marked.

    Examples
    --------
    >>> import pandas as pd
    >>> from analysis.markers import risk_ratio_estimates
    >>> table = pd.DataFrame({"school_urn": [1], "sen": ["E"], "a": [6], "n_g": [12], "c": [20],
    ...     "n_o": [200], "rr": [5.0], "rr_ci_low": [2.5], "rr_ci_high": [10.0]})
    >>> row = risk_ratio_estimates(table, "sen", "excluded").iloc[0]
    >>> row["kind"], float(row["estimate"]), round(float(row["p_value"]), 6)
    ('risk_ratio', 5.0, 7e-06)
    """
    require_frame(table, "table")
    require_columns(table, [group, "a", "n_g", "c", "n_o", "rr", "rr_ci_low", "rr_ci_high"], "the table")
    if not meaningful > 1:
        raise ValueError(f"meaningful must be a ratio above 1, like 1.5, not {meaningful!r}")
    units = list(table.columns[: list(table.columns).index(group)])
    a, n_g, c, n_o = (table[col].to_numpy(dtype=float, na_value=np.nan) for col in ("a", "n_g", "c", "n_o"))
    rr = table["rr"].to_numpy(dtype=float, na_value=np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        se = np.sqrt(1 / a - 1 / n_g + 1 / c - 1 / n_o)
        z = np.abs(np.log(rr)) / se
        p = np.where(np.isfinite(z), 2 * stats.norm.sf(z), np.nan)
        p = np.where(np.isfinite(rr) & (rr > 0) & (se == 0), np.where(rr == 1, 1.0, 0.0), p)
    frame = table[units].reset_index(drop=True)
    frame["kind"] = "risk_ratio"
    frame["group"] = group
    frame["level"] = table[group].to_numpy()
    frame["measure"] = outcome
    frame["estimate"] = rr
    frame["ci_low"] = table["rr_ci_low"].to_numpy(dtype=float, na_value=np.nan)
    frame["ci_high"] = table["rr_ci_high"].to_numpy(dtype=float, na_value=np.nan)
    frame["p_value"] = p
    frame["n"] = n_g
    frame["comparison_n"] = n_o
    frame["meaningful"] = float(meaningful)
    return frame


def benchmark_estimates(
    table: pd.DataFrame, measure: str, benchmark: float, *, meaningful: float | None = None
) -> pd.DataFrame:
    """The tidy estimates :func:`mark` takes, for a school's score against a benchmark.

    The benchmark (the national average, from many thousands of pupils) is taken as known: the
    difference has the school's own t-interval, shifted. Marked together with the school's gaps
    and risk ratios, a scale is called above or below the national average only when that holds
    after allowing for everything else shown for the school.

    Parameters
    ----------
    table : pandas.DataFrame
        One row per unit, as ``analysis.aggregate`` returns: ``n``, ``mean``, ``se``, ``ci_low``
        and ``ci_high`` (suppressed rows have NaN and are "not shown").
    measure : str
        The scale.
    benchmark : float
        The national (or area) average of the scale.
    meaningful : float, optional
        The scale's meaningful difference (:func:`meaningful_difference`).

    Returns
    -------
    pandas.DataFrame
        The columns before ``n``, then ``kind`` (``"benchmark"``), ``group`` and ``level`` (None),
        ``measure``, ``estimate`` (school minus benchmark), ``ci_low``, ``ci_high``, ``p_value``
        (two-sided one-sample t-test), ``n``, ``comparison_n`` (None) and ``meaningful``.

    Examples
    --------
    >>> import pandas as pd
    >>> from analysis.markers import benchmark_estimates
    >>> school = pd.DataFrame({"school_urn": [1], "n": [40.0], "mean": [3.9], "se": [0.1],
    ...                        "ci_low": [3.698], "ci_high": [4.102]})
    >>> row = benchmark_estimates(school, "belonging", 3.5, meaningful=0.5).iloc[0]
    >>> row["kind"], round(float(row["estimate"]), 2), round(float(row["p_value"]), 4)
    ('benchmark', 0.4, 0.0003)
    """
    require_frame(table, "table")
    require_columns(table, ["n", "mean", "se", "ci_low", "ci_high"], "the table")
    if not np.isfinite(benchmark):
        raise ValueError(f"benchmark must be a number, not {benchmark!r}")
    units = list(table.columns[: list(table.columns).index("n")])
    n = table["n"].to_numpy(dtype=float, na_value=np.nan)
    diff = table["mean"].to_numpy(dtype=float, na_value=np.nan) - benchmark
    se = table["se"].to_numpy(dtype=float, na_value=np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        p = np.where(se > 0, 2 * stats.t.sf(np.abs(diff) / se, np.maximum(n - 1, 1)), np.nan)
    frame = table[units].reset_index(drop=True)
    frame["kind"] = "benchmark"
    frame["group"] = None
    frame["level"] = None
    frame["measure"] = measure
    frame["estimate"] = diff
    frame["ci_low"] = table["ci_low"].to_numpy(dtype=float, na_value=np.nan) - benchmark
    frame["ci_high"] = table["ci_high"].to_numpy(dtype=float, na_value=np.nan) - benchmark
    frame["p_value"] = np.where(np.isnan(diff), np.nan, p)
    frame["n"] = n
    frame["comparison_n"] = np.nan
    frame["meaningful"] = np.nan if meaningful is None else float(meaningful)
    return frame


def mark(
    estimates: pd.DataFrame,
    *,
    by: Hashable | Sequence[Hashable] | None = None,
    fdr: float = 0.025,
    meaningful: float | Mapping[str, float] | None = None,
) -> pd.DataFrame:
    """Which of the estimates shown together to mark, with the false discovery rate controlled.

    Parameters
    ----------
    estimates : pandas.DataFrame
        Every gap, risk ratio and comparison with a benchmark shown for one school in one release
        (the frames of :func:`gap_estimates`, :func:`risk_ratio_estimates` and
        :func:`benchmark_estimates`, concatenated): ``kind`` (``"gap"``, ``"risk_ratio"`` or
        ``"benchmark"``), ``estimate``, ``ci_low``, ``ci_high`` and optionally
        ``p_value`` (else derived from the 95% interval) and ``meaningful``.
    by : str or list of str, optional
        Columns whose values are separate families (e.g. ``"school_urn"`` to mark many schools in
        one call, each on its own). Default: the whole frame is one family.
    fdr : float, default 0.025
        The false discovery rate to keep to (see the notes for why not 0.05).
    meaningful : float or dict, optional
        The meaningful difference where the frame has no ``meaningful`` value: one number, or
        one per ``measure`` (e.g. ``{"belonging": 0.5}``); ratios use :data:`MEANINGFUL_RATIO`.

    Returns
    -------
    pandas.DataFrame
        ``estimates`` (same index) plus ``p_value`` (filled in), ``q_value`` (BH-adjusted within
        the family), ``marked`` (bool) and ``verdict``: ``"higher"`` / ``"lower"`` (marked; for a
        risk ratio "more" / "less likely"), ``"no clear difference"`` (unmarked, and the interval
        lies within ± the meaningful difference), ``"too few pupils to tell"`` (unmarked, and the
        interval reaches beyond it) or ``"not shown"`` (no estimate, e.g. suppressed).

    Notes
    -----
    Rows whose interval is wider than twice the meaningful difference (it cannot tell a
    meaningful difference from none) are "too few pupils to tell": they are not tested and do not
    count in the family, which keeps the small groups' unreliable tails out of it. The others are
    marked when their BH q-value is at most ``fdr`` [1]_; unmarked, they are "no clear difference"
    if the interval lies within ± the meaningful difference, else "too few pupils to tell". Ratios
    are tested and compared with the meaningful ratio on the log scale. Without a meaningful
    difference for a row, every shown row is tested.

    When nothing is real, BH marks anything in a family with probability at most ``fdr`` for
    independent tests. A school's tests are not: each level is compared with "the rest" (negative
    dependence) and scale scores are bounded. With 7 groups × 8 scales and one risk ratio per group
    (about 90 tests a school), group labels shuffled within 1,000 simulated schools gave any mark in
    7.3% of schools at ``fdr = 0.05``, 4.5% at 0.03 and 3.9% at 0.025. The default 0.025 keeps the
    promise that at most 1 school in 20 shows a mark by chance; ``tests/analysis/test_markers.py``
    checks it.

    References
    ----------
    .. [1] Benjamini, Y., & Hochberg, Y. (1995). Controlling the false discovery rate.
           Journal of the Royal Statistical Society B, 57(1), 289–300.

    Examples
    --------
    >>> import pandas as pd
    >>> from analysis.markers import mark
    >>> shown = pd.DataFrame({
    ...     "kind": ["gap", "gap", "gap", "risk_ratio"],
    ...     "measure": ["belonging", "safety", "wellbeing", "excluded"],
    ...     "estimate": [-0.6, 0.1, 0.3, 2.4],
    ...     "ci_low": [-0.9, -0.1, -0.4, 1.8],
    ...     "ci_high": [-0.3, 0.3, 1.0, 3.2],
    ...     "p_value": [0.0002, 0.33, 0.39, 0.0003],
    ... })
    >>> mark(shown, meaningful=0.5)[["measure", "q_value", "marked", "verdict"]].round(4)
         measure  q_value  marked                 verdict
    0  belonging   0.0004    True                   lower
    1     safety   0.3300   False     no clear difference
    2  wellbeing      NaN   False  too few pupils to tell
    3   excluded   0.0004    True                  higher
    """
    frame = require_frame(estimates, "estimates").copy()
    require_columns(frame, ["kind", "estimate", "ci_low", "ci_high"], "the estimates")
    require_level(fdr)
    kinds = set(frame["kind"].dropna().unique())
    if not kinds <= KINDS:
        raise ValueError(f'kind must be "gap", "risk_ratio" or "benchmark", not {sorted(kinds - KINDS)!r}')
    keys = [] if by is None else ([by] if isinstance(by, str) else list(by))  # type: ignore[call-overload]
    require_columns(frame, keys, "the estimates")

    ratio = (frame["kind"] == "risk_ratio").to_numpy()
    estimate = frame["estimate"].to_numpy(dtype=float, na_value=np.nan)
    low = frame["ci_low"].to_numpy(dtype=float, na_value=np.nan)
    high = frame["ci_high"].to_numpy(dtype=float, na_value=np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        centre = np.where(ratio, np.log(estimate), estimate)
        lo = np.where(ratio, np.log(low), low)
        hi = np.where(ratio, np.log(high), high)
    p = _p_values(frame, centre, lo, hi)
    shown = np.isfinite(centre) & ~np.isnan(p)
    reach = _meaningful(frame, ratio, meaningful)
    # Too imprecise to tell a meaningful difference from none: not tested, so not in the family.
    with np.errstate(invalid="ignore"):
        imprecise = ~np.isnan(reach) & ~((hi - lo) <= 2 * reach)
    tested = shown & ~imprecise

    q = np.full(len(frame), np.nan)
    families = np.zeros(len(frame), dtype=int)
    if keys:
        families = frame.groupby(keys, dropna=False, sort=False).ngroup().to_numpy()
    candidate = np.where(tested, p, np.nan)
    # Each family's rows, found once by sorting (not a scan of the frame per family).
    grouped = np.argsort(families, kind="stable")
    starts = np.flatnonzero(np.diff(families[grouped], prepend=-1))
    for rows in np.split(grouped, starts[1:]):
        q[rows] = benjamini_hochberg(candidate[rows])
    marked = tested & (q <= fdr)

    unsure = imprecise | (~np.isnan(reach) & ((lo < -reach) | (hi > reach)))
    verdict = np.where(unsure, "too few pupils to tell", "no clear difference").astype(object)
    verdict[marked] = np.where(centre[marked] > 0, "higher", "lower")
    verdict[~shown] = "not shown"
    frame["p_value"] = p
    frame["q_value"] = q
    frame["marked"] = marked
    frame["verdict"] = verdict
    return frame


def _p_values(frame: pd.DataFrame, centre: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """The given p-values, or ones read off a 95% normal interval on the (log) scale."""
    given = (
        frame["p_value"].to_numpy(dtype=float, na_value=np.nan)
        if "p_value" in frame.columns
        else np.full(len(frame), np.nan)
    )
    if np.any((given < 0) | (given > 1)):
        raise ValueError("column 'p_value' must lie within 0–1")
    with np.errstate(divide="ignore", invalid="ignore"):
        se = (hi - lo) / (2 * stats.norm.ppf(0.975))
        derived = np.where(se > 0, 2 * stats.norm.sf(np.abs(centre) / se), np.nan)
    return np.where(np.isnan(given), derived, given)


def _meaningful(frame: pd.DataFrame, ratio: np.ndarray, meaningful: object) -> np.ndarray:
    """Each row's meaningful difference on the tested scale (log for ratios); NaN if none."""
    reach = (
        frame["meaningful"].to_numpy(dtype=float, na_value=np.nan)
        if "meaningful" in frame.columns
        else np.full(len(frame), np.nan)
    )
    if isinstance(meaningful, Mapping):
        require_columns(frame, ["measure"], "the estimates (meaningful is given per measure)")
        fill = frame["measure"].map(meaningful).to_numpy(dtype=float, na_value=np.nan)
    elif meaningful is None:
        fill = np.full(len(frame), np.nan)
    else:
        if not float(meaningful) > 0:  # type: ignore[arg-type]
            raise ValueError(f"meaningful must be positive, not {meaningful!r}")
        fill = np.full(len(frame), float(meaningful))  # type: ignore[arg-type]
    fill = np.where(ratio, MEANINGFUL_RATIO, fill)
    reach = np.where(np.isnan(reach), fill, reach)
    if np.any(reach[ratio] <= 1):
        raise ValueError("a risk ratio's meaningful value must be a ratio above 1, like 1.5")
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(ratio, np.log(reach), reach)
