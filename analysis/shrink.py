"""Empirical-Bayes (reliability-weighted) school estimates, raw and contextualised.

A small school's mean is noisy: empirical Bayes pulls each school's estimate towards the overall
mean in proportion to how unreliable it is. `shrink` works from per-school aggregates;
`contextualise` works from pupil rows and also adjusts for pupil characteristics, fitting the
random-intercept model in closed form so that it runs on a national file in seconds.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import sparse

from ._checks import require_columns, require_frame, require_min_n

__all__ = ["contextualise", "shrink"]

MISSING = "(missing)"


def shrink(aggregated: pd.DataFrame, measure: str) -> pd.DataFrame:
    """Shrink each institution's estimate towards the overall mean by its reliability.

    Parameters
    ----------
    aggregated : pandas.DataFrame
        One row per institution, as ``analysis.aggregate`` returns: ``n``, the ``measure``
        column, ``sd`` (for a mean) and ``suppressed`` (optional; suppressed rows and rows with no
        value are left out).
    measure : str
        ``"mean"`` for a continuous score, or a percentage column such as ``"pct_positive"`` (a
        name starting with ``pct``), a proportion in percent (0–100).

    Returns
    -------
    pandas.DataFrame
        The rows shown (same index and columns), plus

        * ``grand``: the overall mean :math:`\\bar y`, weighted by ``n`` (the mean over pupils);
        * ``reliability``: :math:`\\lambda_j = \\tau^2 / (\\tau^2 + \\sigma^2/n_j)`;
        * ``shrunken``: :math:`\\bar y + \\lambda_j (y_j - \\bar y)`;
        * ``effect``: ``shrunken − grand``;
        * ``shrunken_var`` and ``shrunken_se``: :math:`\\lambda_j \\sigma^2 / n_j` and its root;
        * ``tau2``, ``sigma2`` and ``icc``: the between- and within-institution variances and
          :math:`\\tau^2/(\\tau^2+\\sigma^2)`, also in ``result.attrs``.

    Raises
    ------
    ValueError
        If a column is missing, fewer than two institutions are shown, ``n`` is not positive or a
        percentage is outside 0–100.

    Notes
    -----
    Variances are estimated by the method of moments of one-way analysis of variance with unequal
    group sizes [1]_: with :math:`J` institutions and :math:`N = \\sum n_j` pupils,

    .. math::

        \\hat\\sigma^2 = \\frac{\\sum (n_j - 1) s_j^2}{\\sum (n_j - 1)}, \\quad
        MSB = \\frac{\\sum n_j (y_j - \\bar y)^2}{J - 1}, \\quad
        n_0 = \\frac{N - \\sum n_j^2 / N}{J - 1}, \\quad
        \\hat\\tau^2 = \\max\\left(0, \\frac{MSB - \\hat\\sigma^2}{n_0}\\right).

    For a percentage :math:`p_j` the within-institution variance is
    :math:`s_j^2 = p_j(100 - p_j)\\, n_j/(n_j - 1)` (the sample variance of 0/100 answers), so every
    result is in percentage points.

    The shrunken estimate is the posterior mean under the normal random-intercept model with the
    variances and :math:`\\bar y` treated as known; ``shrunken_var`` is its posterior variance
    :math:`\\lambda_j\\sigma^2/n_j = (1-\\lambda_j)\\tau^2`, which ignores the uncertainty in
    :math:`\\hat\\tau^2`, :math:`\\hat\\sigma^2` and :math:`\\bar y` (small with many institutions).
    When :math:`\\hat\\tau^2 = 0` every institution is shrunk to the grand mean.

    References
    ----------
    .. [1] Searle, S. R., Casella, G., & McCulloch, C. E. (1992). Variance Components. Wiley, §3.6.
    .. [2] Raudenbush, S. W., & Bryk, A. S. (2002). Hierarchical Linear Models (2nd ed.). Sage,
           chapter 3 (reliability and empirical Bayes estimates).

    Examples
    --------
    >>> import pandas as pd
    >>> from analysis.shrink import shrink
    >>> schools = pd.DataFrame({
    ...     "school_urn": [1, 2, 3],
    ...     "n": [10, 40, 50],
    ...     "mean": [4.0, 3.0, 3.2],
    ...     "sd": [1.0, 1.0, 1.0],
    ... })
    >>> result = shrink(schools, "mean")
    >>> result[["school_urn", "mean", "reliability", "shrunken", "shrunken_se"]].round(3)
       school_urn  mean  reliability  shrunken  shrunken_se
    0           1   4.0        0.508     3.607        0.225
    1           2   3.0        0.805     3.039        0.142
    2           3   3.2        0.838     3.200        0.129
    >>> round(result.attrs["tau2"], 4), round(result.attrs["icc"], 4)
    (0.1034, 0.0938)
    """
    require_frame(aggregated, "aggregated")
    proportion = measure.startswith("pct")
    require_columns(
        aggregated, ["n", measure] if proportion else ["n", measure, "sd"], "the aggregated frame"
    )
    shown = aggregated
    if "suppressed" in aggregated.columns:
        shown = shown[~aggregated["suppressed"].fillna(False).astype(bool)]
    shown = shown[shown[measure].notna() & shown["n"].notna()].copy()
    if len(shown) < 2:
        raise ValueError(f"shrinkage needs at least two institutions with a {measure!r}, not {len(shown)}")
    n = shown["n"].to_numpy(dtype=float)
    y = shown[measure].to_numpy(dtype=float)
    if np.any(n <= 0):
        raise ValueError("column 'n' must be positive for every institution shown")
    if proportion:
        if np.any((y < 0) | (y > 100)):
            raise ValueError(f"column {measure!r} is a percentage and must lie within 0–100")
        within = np.where(n > 1, y * (100 - y) * n / np.maximum(n - 1, 1), 0.0)
    else:
        within = shown["sd"].to_numpy(dtype=float) ** 2
        if np.isnan(within[n > 1]).any():
            raise ValueError("column 'sd' is missing for an institution shown")
        within = np.nan_to_num(within)
    df_within = np.sum(n - 1)
    if df_within <= 0:
        raise ValueError("cannot estimate the within-institution variance: every institution has n = 1")
    sigma2 = float(np.sum((n - 1) * within) / df_within)

    grand, tau2 = _moments(n, y, sigma2)
    reliability = _reliability(n, tau2, sigma2)
    shown["grand"] = grand
    shown["reliability"] = reliability
    shown["shrunken"] = grand + reliability * (y - grand)
    shown["effect"] = shown["shrunken"] - grand
    shown["shrunken_var"] = reliability * sigma2 / n
    shown["shrunken_se"] = np.sqrt(shown["shrunken_var"])
    icc = _icc(tau2, sigma2)
    shown["tau2"] = tau2
    shown["sigma2"] = sigma2
    shown["icc"] = icc
    shown.attrs = {"grand": grand, "tau2": tau2, "sigma2": sigma2, "icc": icc}
    return shown


def contextualise(
    scored: pd.DataFrame,
    measure: str,
    covariates: Sequence[str],
    *,
    by: str = "school_urn",
    min_n: int = 10,
) -> pd.DataFrame:
    """Raw and contextualised (value-added style) school effects, shrunk by empirical Bayes.

    Parameters
    ----------
    scored : pandas.DataFrame
        Pupil rows: the ``by`` column, the ``measure`` (a score column) and the ``covariates``.
    measure : str
        The outcome column, e.g. ``"belonging"``. Pupils without a value are left out.
    covariates : list of str
        Pupil characteristics to adjust for, e.g. ``["fsm", "sen", "eal"]``. Numeric columns enter
        linearly; text, boolean and categorical columns as indicators of each level but the first
        in sorted order, with a blank as a last level of its own, ``"(missing)"`` (so pupils whose
        attribute is not known are kept). Pass
        a numeric column as ``category`` dtype to treat it as levels (e.g. ``year_group``). Pupils
        with a blank numeric covariate are left out. May be empty.
    by : str, default "school_urn"
        The school (or other cluster) column.
    min_n : int, default 10
        Schools with fewer pupils are used in the fit but their effects are not shown (NaN, and
        ``suppressed`` True). It cannot be set below 10.

    Returns
    -------
    pandas.DataFrame
        One row per school, sorted by ``by``, with

        * ``n`` and ``mean``: pupils used and their mean;
        * ``raw_unshrunk``: the school mean minus the overall mean;
        * ``raw_effect``, ``raw_se``, ``raw_reliability``: that difference shrunk by empirical Bayes,
          its posterior standard error and :math:`\\lambda_j`;
        * ``context_unshrunk``: the school's mean residual after adjusting for the covariates;
        * ``context_effect``, ``context_se``, ``context_reliability``: the same for the
          contextualised model;
        * ``suppressed``.

        ``result.attrs`` holds ``coefficients`` (:math:`\\hat\\beta` by column), ``intercept``,
        ``raw`` and ``context`` (each a dict of ``tau2``, ``sigma2`` and ``icc``) and
        ``n_pupils``.

    Raises
    ------
    ValueError
        If a column is missing, the measure is not numeric, there are fewer than two schools, or
        a covariate does not vary within any school (or the covariates are collinear).

    Notes
    -----
    The random-intercept model :math:`y_{ij} = \\alpha + x_{ij}\\beta + u_j + e_{ij}`, with
    :math:`u_j \\sim N(0, \\tau^2)` and :math:`e_{ij} \\sim N(0, \\sigma^2)`, is fitted without
    iteration (statsmodels' ``MixedLM`` is far too slow for 22,000 schools and 9 million pupils):

    1. :math:`\\hat\\beta` by the within (fixed-effects) estimator: OLS of
       :math:`y_{ij} - \\bar y_j` on :math:`x_{ij} - \\bar x_j`. It is unbiased even when intake
       is related to the school effect, and uses only differences between pupils of the same school.
       :math:`\\hat\\alpha = \\bar y - \\bar x \\hat\\beta` (pupil means), so the school mean
       residuals :math:`\\bar r_j = \\bar y_j - \\hat\\alpha - \\bar x_j \\hat\\beta` average zero
       over pupils.
    2. :math:`\\hat\\sigma^2 = \\sum (r_{ij} - \\bar r_j)^2 / (N - J - p)`, and
       :math:`\\hat\\tau^2 = \\max(0, (MSB - \\hat\\sigma^2)/n_0)` with
       :math:`MSB = \\sum n_j \\bar r_j^2 / (J-1)` and :math:`n_0 = (N - \\sum n_j^2/N)/(J-1)`
       (one-way ANOVA moments on the residuals; the loss of degrees of freedom to :math:`\\hat\\beta`
       in the between part is ignored).
    3. :math:`\\lambda_j = \\tau^2/(\\tau^2 + \\sigma^2/n_j)`, effect :math:`\\hat u_j = \\lambda_j \\bar r_j`
       with variance :math:`\\lambda_j \\sigma^2 / n_j`.

    The raw effects are the same with no covariates, on the same pupils, and equal
    ``shrink(aggregate(...), "mean")`` effects. Contextualising by intake can hide inequity (a
    school serving poorer pupils less well looks "as expected"): report both side by side.

    References
    ----------
    .. [1] Raudenbush, S. W., & Bryk, A. S. (2002). Hierarchical Linear Models (2nd ed.). Sage.
    .. [2] Leckie, G., & Goldstein, H. (2019). The importance of adjusting for pupil background in
           school value-added models. British Educational Research Journal, 45(3), 518–537.

    Examples
    --------
    >>> import numpy as np
    >>> import pandas as pd
    >>> from analysis.shrink import contextualise
    >>> rng = np.random.default_rng(1)
    >>> school = np.repeat([1, 2, 3, 4, 5, 6], 50)
    >>> fsm = rng.random(300) < np.repeat([0.1, 0.2, 0.3, 0.4, 0.5, 0.6], 50)
    >>> belonging = 3.5 - 0.5 * fsm + np.repeat([0.2, 0, -0.1, 0.1, 0, -0.2], 50) + rng.normal(0, 0.7, 300)
    >>> scored = pd.DataFrame({"school_urn": school, "fsm": np.where(fsm, "Y", "N"), "belonging": belonging})
    >>> effects = contextualise(scored, "belonging", ["fsm"])
    >>> effects[["school_urn", "n", "raw_effect", "context_effect"]].round(2)
       school_urn   n  raw_effect  context_effect
    0           1  50        0.22            0.09
    1           2  50        0.12            0.06
    2           3  50       -0.06           -0.09
    3           4  50        0.20            0.23
    4           5  50       -0.08           -0.03
    5           6  50       -0.39           -0.26
    >>> round(effects.attrs["coefficients"]["fsm_Y"], 2)
    -0.5
    """
    require_frame(scored, "scored")
    covariates = [covariates] if isinstance(covariates, str) else list(covariates)
    require_columns(scored, [by, measure, *covariates], "the scored frame")
    min_n = require_min_n(min_n)
    for column in covariates:
        if column in (by, measure):
            raise ValueError(
                f"covariate {column!r} is also the {'school' if column == by else 'measure'} column"
            )

    try:
        y_all = pd.to_numeric(scored[measure]).astype(float)
    except (ValueError, TypeError):
        raise ValueError(f"column {measure!r} must hold numbers to be modelled") from None
    design, names = _design(scored, covariates)
    keep = (y_all.notna() & scored[by].notna()).to_numpy() & ~np.isnan(design).any(axis=1)
    y = y_all.to_numpy()[keep]
    x = design[keep]  # a writable copy
    del design
    codes, schools = pd.factorize(scored.loc[keep, by], sort=True)
    if len(schools) < 2:
        raise ValueError(f"contextualise needs pupils in at least two values of {by!r}, not {len(schools)}")
    total = len(y)
    counts = np.bincount(codes).astype(float)
    indicator = sparse.csr_matrix((np.ones(total), (codes, np.arange(total))), shape=(len(schools), total))
    y_mean = np.asarray(indicator @ y) / counts
    x_mean = np.asarray(indicator @ x) / counts[:, None]

    # Within estimator: demean in place, then the p×p normal equations.
    x -= x_mean[codes]
    y_within = y - y_mean[codes]
    beta = _within_beta(x, y_within, names)
    within_residual = y_within - x @ beta
    grand_x = counts @ x_mean / total
    grand_y = counts @ y_mean / total
    intercept = grand_y - grand_x @ beta
    context_mean = y_mean - x_mean @ beta - intercept

    df_raw = total - len(schools)
    df_context = df_raw - len(beta)
    if df_context <= 0:
        raise ValueError("too few pupils per school to estimate the within-school variance")
    raw_sigma2 = float(np.sum(y_within**2) / df_raw)
    context_sigma2 = float(np.sum(within_residual**2) / df_context)
    _, raw_tau2 = _moments(counts, y_mean, raw_sigma2)
    _, context_tau2 = _moments(counts, context_mean, context_sigma2, grand=0.0)

    result = pd.DataFrame({by: schools, "n": counts.astype(int), "mean": y_mean})
    for prefix, unshrunk, tau2, sigma2 in (
        ("raw", y_mean - grand_y, raw_tau2, raw_sigma2),
        ("context", context_mean, context_tau2, context_sigma2),
    ):
        reliability = _reliability(counts, tau2, sigma2)
        result[f"{prefix}_unshrunk"] = unshrunk
        result[f"{prefix}_effect"] = reliability * unshrunk
        result[f"{prefix}_se"] = np.sqrt(reliability * sigma2 / counts)
        result[f"{prefix}_reliability"] = reliability
    small = counts < min_n
    result["suppressed"] = small
    result.loc[small, result.columns[2:-1]] = np.nan
    result.attrs = {
        "coefficients": dict(zip(names, beta.tolist(), strict=True)),
        "intercept": float(intercept),
        "raw": {"tau2": raw_tau2, "sigma2": raw_sigma2, "icc": _icc(raw_tau2, raw_sigma2)},
        "context": {
            "tau2": context_tau2,
            "sigma2": context_sigma2,
            "icc": _icc(context_tau2, context_sigma2),
        },
        "n_pupils": total,
    }
    return result


def _moments(n: np.ndarray, y: np.ndarray, sigma2: float, grand: float | None = None) -> tuple[float, float]:
    """Pupil-weighted grand mean and the one-way ANOVA moment estimate of τ²."""
    total = n.sum()
    groups = len(n)
    if grand is None:
        grand = float(np.sum(n * y) / total)
    msb = np.sum(n * (y - grand) ** 2) / (groups - 1)
    n0 = (total - np.sum(n**2) / total) / (groups - 1)
    return grand, float(max(0.0, (msb - sigma2) / n0))


def _reliability(n: np.ndarray, tau2: float, sigma2: float) -> np.ndarray:
    if tau2 == 0:
        return np.zeros_like(n, dtype=float)
    return tau2 / (tau2 + sigma2 / n)


def _icc(tau2: float, sigma2: float) -> float:
    return tau2 / (tau2 + sigma2) if tau2 + sigma2 > 0 else float("nan")


def _design(scored: pd.DataFrame, covariates: list[str]) -> tuple[np.ndarray, list[str]]:
    """Numeric covariates as they are; the others as indicators of every level but the first."""
    columns: list[np.ndarray] = []
    names: list[str] = []
    for column in covariates:
        values = scored[column]
        if pd.api.types.is_bool_dtype(values) or not pd.api.types.is_numeric_dtype(values):
            codes, levels = pd.factorize(values, sort=True, use_na_sentinel=False)
            labels = [MISSING if pd.isna(level) else str(level) for level in levels]
            for code, label in enumerate(labels[1:], start=1):
                columns.append(codes == code)
                names.append(f"{column}_{label}")
        else:
            columns.append(values.to_numpy(dtype=float, na_value=np.nan))
            names.append(column)
    if not columns:
        return np.zeros((len(scored), 0)), names
    return np.column_stack(columns).astype(float, copy=False), names


def _within_beta(x: np.ndarray, y: np.ndarray, names: list[str]) -> np.ndarray:
    if x.shape[1] == 0:
        return np.zeros(0)
    xtx = x.T @ x
    flat = [name for name, square in zip(names, np.diag(xtx), strict=True) if square < 1e-12]
    if flat:
        listed = ", ".join(repr(name) for name in flat)
        raise ValueError(
            f"covariate {listed} does not vary within any school, so its effect cannot be separated"
        )
    if np.linalg.cond(xtx) > 1e12:
        raise ValueError(f"the covariates {', '.join(names)} are collinear within schools")
    return np.linalg.solve(xtx, x.T @ y)
