"""Funnel plots for comparing institutions, with overdispersion (Spiegelhalter 2005).

Public pieces: :func:`funnel` (each institution's limits and flag), :func:`overdispersion_fit`
(φ and τ² without the outliers), :func:`control_limits` (the limits at given ``n``) and
:func:`funnel_limits` (smooth curves for drawing, as ``survey.charts`` does).

An institution's result is compared with a target using control limits that narrow as its number of
respondents grows. Real institutions differ by more than sampling error alone, so the limits are
widened by an overdispersion factor fitted from the data (additive random effects by default).
"""

from __future__ import annotations

import math
from numbers import Real

import numpy as np
import pandas as pd
from scipy import stats

from ._checks import require_columns, require_frame

__all__ = ["control_limits", "funnel", "funnel_limits", "overdispersion_fit"]

Z95 = stats.norm.ppf(0.975)  # 1.959964…
Z998 = stats.norm.ppf(0.999)  # 3.090232…
OVERDISPERSION = ("additive", "multiplicative", None)
# Variance of a standard normal cut at ±Z998: the kept z-scores' shrinkage the fit undoes.
KAPPA998 = 1 - 2 * Z998 * stats.norm.pdf(Z998) / (2 * stats.norm.cdf(Z998) - 1)


def funnel(
    aggregated: pd.DataFrame,
    measure: str,
    *,
    target: float | None = None,
    overdispersion: str | None = "additive",
    sigma: float | None = None,
) -> pd.DataFrame:
    """Funnel-plot control limits, z-scores and flags for each institution.

    Parameters
    ----------
    aggregated : pandas.DataFrame
        One row per institution, as ``analysis.aggregate`` returns: ``n``, the ``measure`` column,
        ``sd`` (for a mean) and ``suppressed`` (optional; suppressed rows are left out, as are rows
        with no value).
    measure : str
        ``"mean"`` for a continuous score, or a percentage column such as ``"pct_positive"`` (any
        name starting with ``pct``), a proportion in percent (0–100). ``analysis.aggregate``'s
        ``pct_positive`` is an average share of answers, less variable than a yes/no: its
        binomial limits are wider than they need be (conservative). Compare the scale
        ``"mean"`` for calibrated flags.
    target : float, optional
        The target :math:`\\theta_0`, in the measure's units. Defaults to the ``n``-weighted mean
        of the institutions shown (the mean over all their pupils).
    overdispersion : {"additive", "multiplicative", None}, default "additive"
        How to widen the limits for overdispersion; None for plain sampling-error limits.
    sigma : float, optional
        For a mean: the pupil-level standard deviation :math:`\\sigma`. Defaults to the pooled
        within-institution SD, :math:`\\sqrt{\\sum (n_i-1) sd_i^2 / \\sum (n_i-1)}`.

    Returns
    -------
    pandas.DataFrame
        The rows of ``aggregated`` that are shown (same index and columns), plus

        * ``target``: :math:`\\theta_0`;
        * ``se``: :math:`s_i`, the standard error under the target;
        * ``z``: :math:`(y_i - \\theta_0)/s_i`, not adjusted for overdispersion;
        * ``z_adjusted``: the z-score against the overdispersed spread, whose 95% and 99.8% bands
          are the limits;
        * ``lower95``, ``upper95``, ``lower998``, ``upper998``: control limits at the
          institution's ``n`` (two-sided 95% and 99.8%; percentages are kept within 0–100);
        * ``flag``: ``"above"``, ``"below"`` or ``"within"`` the 99.8% limits; ``flag95``: the
          same for the 95% limits;
        * ``phi`` and ``tau2``: the fitted overdispersion (1 and 0 when not used), also in
          ``result.attrs`` with ``target``, ``sigma``, ``overdispersion`` and ``n_in_fit``;
        * ``in_fit``: the institution was used to fit the overdispersion (False for the outliers
          the fit left out).

    Raises
    ------
    ValueError
        If a column is missing, ``overdispersion`` is not one of its choices, no institution is
        left to compare (or fewer than two for an overdispersion fit), ``n`` is not positive, a
        percentage is outside 0–100, or the target makes the standard error zero.

    Notes
    -----
    Following Spiegelhalter [1]_ [2]_: institution :math:`i` has estimate :math:`y_i` and standard
    error under the target :math:`s_i = \\sigma/\\sqrt{n_i}` for a mean, or
    :math:`s_i = \\sqrt{\\theta_0(1-\\theta_0)/n_i}` for a proportion (the normal approximation; exact
    binomial limits are not used). Plain limits are :math:`\\theta_0 \\pm z s_i` with
    :math:`z = \\Phi^{-1}(0.975) = 1.960` (95%) and :math:`\\Phi^{-1}(0.999) = 3.090` (99.8%).

    Overdispersion is fitted by :func:`overdispersion_fit`: :math:`\\hat\\phi` is the mean square of
    the z-scores :math:`z_i = (y_i-\\theta_0)/s_i` of the institutions inside the 99.8% limits
    (found iteratively, starting from Spiegelhalter's winsorised estimate, and corrected for the
    cut tails), and :math:`\\hat\\tau^2` the DerSimonian–Laird moment estimate from them. Unlike
    the winsorised :math:`\\hat\\phi` (about a third too small under normality, so τ² about half its
    size and 5× too many schools flagged at 99.8%), it keeps the nominal flag rates when schools
    truly differ: by simulation (200 schools, τ = 0, 0.15, 0.3 on a pupil SD of 1, 5 planted
    outliers) 0.17–0.27% of ordinary schools fall outside the 99.8% limits and 4.5–5.1% outside
    the 95% limits, and 96% of the planted outliers are flagged (``bench/funnel_calibration.py``).

    * Multiplicative: limits :math:`\\theta_0 \\pm z\\sqrt{\\phi}\\, s_i`. Under-dispersion
      (:math:`\\hat\\phi < 1`) does not narrow the limits: :math:`\\phi = 1` is used, as the additive
      :math:`\\tau^2` below is truncated at zero.
    * Additive (the default, preferred by Spiegelhalter): with :math:`w_i = 1/s_i^2` over the
      :math:`k` institutions in the fit,
      :math:`\\hat\\tau^2 = \\max(0, (k\\hat\\phi - (k-1)) / (\\sum w_i - \\sum w_i^2/\\sum w_i))`
      and limits :math:`\\theta_0 \\pm z\\sqrt{s_i^2 + \\hat\\tau^2}`.

    Percentages are handled in percent throughout, so ``se``, the limits and ``tau2`` are in
    percentage points (``tau2`` in points squared).

    References
    ----------
    .. [1] Spiegelhalter, D. J. (2005). Funnel plots for comparing institutional performance.
           Statistics in Medicine, 24(8), 1185–1202.
    .. [2] Spiegelhalter, D. J. (2005). Handling over-dispersion of performance indicators.
           Quality and Safety in Health Care, 14(5), 347–351.

    Examples
    --------
    >>> import pandas as pd
    >>> from analysis.funnel import funnel
    >>> schools = pd.DataFrame({
    ...     "school_urn": range(101, 111),
    ...     "n": [40, 120, 60, 200, 80, 30, 150, 90, 50, 8],
    ...     "mean": [3.3, 3.5, 3.2, 3.4, 3.9, 3.3, 3.45, 3.35, 3.6, None],
    ...     "sd": [0.9] * 9 + [None],
    ...     "suppressed": [False] * 9 + [True],
    ... })
    >>> result = funnel(schools, "mean")
    >>> result[["school_urn", "n", "z", "lower998", "upper998", "flag", "in_fit"]].round(2)
       school_urn    n     z  lower998  upper998    flag  in_fit
    0         101   40 -1.10      2.97      3.95  within    True
    1         102  120  0.53      3.12      3.79  within    True
    2         103   60 -2.20      3.04      3.88  within    True
    3         104  200 -0.88      3.16      3.75  within    True
    4         105   80  4.41      3.08      3.84   above   False
    5         106   30 -0.95      2.90      4.01  within    True
    6         107  150 -0.08      3.14      3.77  within    True
    7         108   90 -1.12      3.09      3.82  within    True
    8         109   50  1.13      3.01      3.91  within    True
    >>> {key: round(result.attrs[key], 4) for key in ("target", "sigma", "phi", "tau2")}
    {'target': 3.4561, 'sigma': 0.9, 'phi': 1.3484, 'tau2': 0.005}
    """
    require_frame(aggregated, "aggregated")
    if overdispersion not in OVERDISPERSION:
        raise ValueError(
            f'overdispersion must be "additive", "multiplicative" or None, not {overdispersion!r}'
        )
    proportion = measure.startswith("pct")
    require_columns(aggregated, ["n", measure], "the aggregated frame")
    if not proportion and sigma is None:
        require_columns(aggregated, ["sd"], "the aggregated frame (a mean needs its sd, or give sigma)")

    shown = aggregated
    if "suppressed" in aggregated.columns:
        shown = shown[~aggregated["suppressed"].fillna(False).astype(bool)]
    shown = shown[shown[measure].notna() & shown["n"].notna()].copy()
    if len(shown) == 0:
        raise ValueError(f"no institution has a {measure!r} to compare (all suppressed or missing)")
    if overdispersion is not None and len(shown) < 2:
        raise ValueError("overdispersion needs at least two institutions; use overdispersion=None")
    n = shown["n"].to_numpy(dtype=float)
    y = shown[measure].to_numpy(dtype=float)
    if np.any(n <= 0):
        raise ValueError("column 'n' must be positive for every institution shown")

    if target is None:
        target = float(np.sum(n * y) / np.sum(n))
    if proportion:
        if np.any((y < 0) | (y > 100)):
            raise ValueError(f"column {measure!r} is a percentage and must lie within 0–100")
        if not 0 < target < 100:
            raise ValueError(
                f"the target for {measure!r} must lie strictly between 0 and 100, not {target!r}"
            )
        p0 = target / 100
        se = 100 * np.sqrt(p0 * (1 - p0) / n)
        sigma_used = float("nan")
    else:
        sigma_used = _pooled_sd(shown) if sigma is None else float(sigma)
        if not sigma_used > 0:
            raise ValueError(f"sigma must be positive, not {sigma_used!r}")
        se = sigma_used / np.sqrt(n)

    z = (y - target) / se
    phi, tau2, kept = 1.0, 0.0, np.ones(len(z), dtype=bool)
    if overdispersion is not None:
        phi, tau2, kept = overdispersion_fit(z, se, overdispersion)
        if overdispersion == "multiplicative":
            tau2 = 0.0
    spread = funnel_spread(se, overdispersion, phi=phi, tau2=tau2)

    shown["target"] = target
    shown["se"] = se
    shown["z"] = z
    shown["z_adjusted"] = (y - target) / spread
    for column, values in _limits(target, spread, proportion).items():
        shown[column] = values
    shown["flag95"] = _flag(y, shown["lower95"].to_numpy(), shown["upper95"].to_numpy())
    shown["flag"] = _flag(y, shown["lower998"].to_numpy(), shown["upper998"].to_numpy())
    shown["phi"] = phi
    shown["tau2"] = tau2
    shown["in_fit"] = kept
    shown.attrs = {
        "target": target,
        "sigma": sigma_used,
        "phi": phi,
        "tau2": tau2,
        "overdispersion": overdispersion,
        "n_in_fit": int(kept.sum()),
    }
    return shown


def _pooled_sd(shown: pd.DataFrame) -> float:
    n = shown["n"].to_numpy(dtype=float)
    sd = shown["sd"].to_numpy(dtype=float)
    if np.isnan(sd).any():
        raise ValueError("column 'sd' is missing for an institution shown; give sigma instead")
    df = np.sum(n - 1)
    if df <= 0:
        raise ValueError("cannot pool the within-institution sd: every institution has n = 1")
    return float(np.sqrt(np.sum((n - 1) * sd**2) / df))


def overdispersion_fit(
    z: np.ndarray, se: np.ndarray, overdispersion: str = "additive", *, max_rounds: int = 50
) -> tuple[float, float, np.ndarray]:
    """Fit φ and τ² from the z-scores, leaving out the institutions outside the 99.8% limits.

    Parameters
    ----------
    z : array of float
        :math:`z_i = (y_i - \\theta_0)/s_i` for each institution.
    se : array of float
        :math:`s_i`, the standard errors under the target (positive).
    overdispersion : {"additive", "multiplicative"}, default "additive"
        Which model decides who is outside the limits while fitting.
    max_rounds : int, default 50
        Most refits before giving up on a stable set (the last set is used).

    Returns
    -------
    (float, float, numpy.ndarray of bool)
        :math:`\\hat\\phi`, :math:`\\hat\\tau^2` and which institutions the final fit used.

    Notes
    -----
    Winsorising the z-scores at their 10th/90th percentiles (Spiegelhalter 2005) pulls in the
    ordinary tails as well as the outliers: under normality it leaves φ about a third too small
    and τ² about half its true size, so too many ordinary schools are flagged. Here the outliers
    are *removed* instead, and only they are (Jones, Ohlssen & Spiegelhalter 2008):

    1. start from the winsorised estimate (robust to the outliers, if biased);
    2. keep the institutions within the 99.8% limits that estimate gives, over *all* institutions;
    3. re-estimate from those kept: :math:`\\hat\\phi = \\sum_{kept} z_i^2 / (k\\,\\kappa)` and the
       DerSimonian–Laird moment estimate
       :math:`\\hat\\tau^2 = \\max(0, (k\\hat\\phi - (k-1)) / (\\sum w_i - \\sum w_i^2/\\sum w_i))`,
       :math:`w_i = 1/s_i^2`, over the :math:`k` kept;
    4. repeat 2–3 until the kept set stops changing.

    :math:`\\kappa = 1 - 2c\\varphi(c)/(2\\Phi(c)-1) \\approx 0.979` at :math:`c = 3.090` is the variance
    of a standard normal cut at :math:`\\pm c`: dividing by it undoes the small shrinkage from
    cutting the tails, so a population with no outliers is estimated without bias. The flag rates
    are checked by simulation in ``tests/analysis/test_funnel_calibration.py`` and printed by
    ``bench/funnel_calibration.py``.

    Examples
    --------
    >>> import numpy as np
    >>> from analysis.funnel import overdispersion_fit
    >>> rng = np.random.default_rng(3)
    >>> se = 1 / np.sqrt(rng.integers(20, 300, 400))
    >>> z = rng.normal(0, np.sqrt(se**2 + 0.15**2)) / se
    >>> z[:4] = 12  # four real outliers; about 1 in 500 others is beyond the 99.8% limits by chance
    >>> phi, tau2, kept = overdispersion_fit(z, se)
    >>> round(float(np.sqrt(tau2)), 2), bool(kept[:4].any()), int((~kept[4:]).sum())
    (0.14, False, 3)
    """
    z = np.asarray(z, dtype=float)
    se = np.asarray(se, dtype=float)
    if z.shape != se.shape or z.ndim != 1:
        raise ValueError("z and se must be one-dimensional arrays of the same length")
    if len(z) < 2:
        raise ValueError("overdispersion needs at least two institutions; use overdispersion=None")
    if not np.all(np.isfinite(z)) or not np.all(se > 0):
        raise ValueError("z must be finite and se positive for every institution")
    if overdispersion not in ("additive", "multiplicative"):
        raise ValueError(f'overdispersion must be "additive" or "multiplicative", not {overdispersion!r}')
    phi = _winsorised_phi(z)
    tau2 = _tau2(phi, se, np.ones(len(z), dtype=bool))
    kept = np.ones(len(z), dtype=bool)
    for _ in range(max_rounds):
        spread = funnel_spread(se, overdispersion, phi=phi, tau2=tau2)
        now = np.abs(z * se / spread) <= Z998
        if now.sum() < 2:  # nearly everyone an outlier: the fit cannot separate them
            break
        phi = float(np.sum(z[now] ** 2) / (now.sum() * KAPPA998))
        tau2 = _tau2(phi, se, now)
        if np.array_equal(now, kept):
            break
        kept = now
    return phi, tau2, kept


def funnel_spread(
    se: np.ndarray, overdispersion: str | None, *, phi: float = 1.0, tau2: float = 0.0
) -> np.ndarray:
    """The spread the limits use: :math:`s`, :math:`\\sqrt{\\max(\\phi,1)}\\,s` or
    :math:`\\sqrt{s^2+\\tau^2}` (plain, multiplicative or additive)."""
    se = np.asarray(se, dtype=float)
    if overdispersion == "multiplicative":
        return math.sqrt(max(_number(phi, "phi"), 1.0)) * se
    if overdispersion == "additive":
        tau2 = _number(tau2, "tau2")
        if tau2 < 0:
            raise ValueError(f"tau2 must not be negative, not {tau2}")
        return np.sqrt(se**2 + tau2)
    if overdispersion is None:
        return se
    raise ValueError(f'overdispersion must be "additive", "multiplicative" or None, not {overdispersion!r}')


def control_limits(
    target: float,
    n: object,
    *,
    sigma: float | None = None,
    percent: bool = False,
    overdispersion: str | None = None,
    phi: float = 1.0,
    tau2: float = 0.0,
) -> pd.DataFrame:
    """95% and 99.8% control limits at the given numbers of respondents.

    Parameters
    ----------
    target : float
        :math:`\\theta_0`, in the measure's units (percent for a percentage).
    n : array-like of float
        Numbers of respondents, each positive.
    sigma : float, optional
        The pupil-level standard deviation; required for a mean.
    percent : bool, default False
        The measure is a percentage (0–100): :math:`s = 100\\sqrt{p_0(1-p_0)/n}`, limits kept in 0–100.
    overdispersion : {"additive", "multiplicative", None}
    phi, tau2 : float
        The fitted overdispersion, as :func:`funnel` reports it in ``attrs``.

    Returns
    -------
    pandas.DataFrame
        ``n``, ``lower95``, ``upper95``, ``lower998``, ``upper998``.

    Examples
    --------
    >>> from analysis.funnel import control_limits
    >>> control_limits(3.0, [4, 100], sigma=2.0, overdispersion="additive", tau2=0.09).round(3)
           n  lower95  upper95  lower998  upper998
    0    4.0    0.954    5.046    -0.226     6.226
    1  100.0    2.293    3.707     1.886     4.114
    """
    target = _number(target, "target")
    n = np.atleast_1d(np.asarray(n, dtype=float))
    if n.ndim != 1 or not np.all(n > 0):
        raise ValueError("n must be positive numbers of respondents")
    if percent:
        if not 0 < target < 100:
            raise ValueError(f"a percentage target must lie strictly between 0 and 100, not {target}")
        p0 = target / 100
        se = 100 * np.sqrt(p0 * (1 - p0) / n)
    else:
        if sigma is None:
            raise ValueError("sigma (the pupil-level standard deviation) is required for a mean")
        sigma = _number(sigma, "sigma")
        if not sigma > 0:
            raise ValueError(f"sigma must be positive, not {sigma}")
        se = sigma / np.sqrt(n)
    spread = funnel_spread(se, overdispersion, phi=phi, tau2=tau2)
    return pd.DataFrame({"n": n} | _limits(target, spread, percent))


def funnel_limits(
    target: float,
    *,
    n_max: float,
    sigma: float | None = None,
    percent: bool = False,
    overdispersion: str | None = None,
    phi: float = 1.0,
    tau2: float = 0.0,
    n_min: float = 1.0,
    steps: int = 60,
) -> pd.DataFrame:
    """Smooth 95% and 99.8% control-limit curves for drawing a funnel plot.

    :func:`funnel` gives each school its limits at its own ``n``; a chart needs the curves between.
    They are :func:`control_limits` at ``steps`` values of ``n`` spaced evenly on a log scale from
    ``n_min`` to ``n_max`` (where the curves bend most, at small ``n``).

    Returns
    -------
    pandas.DataFrame
        ``n``, ``lower95``, ``upper95``, ``lower998``, ``upper998``.

    Examples
    --------
    >>> from analysis.funnel import funnel_limits
    >>> curves = funnel_limits(3.4, n_max=300, sigma=0.9, overdispersion="additive", tau2=0.003)
    >>> len(curves), float(curves["n"].iloc[-1]), round(float(curves["upper998"].iloc[-1]), 3)
    (60, 300.0, 3.633)
    """
    n_max = _number(n_max, "n_max")
    n_min = _number(n_min, "n_min")
    if not 0 < n_min < n_max:
        raise ValueError(f"n_min and n_max must satisfy 0 < n_min < n_max, not {n_min} and {n_max}")
    if isinstance(steps, bool) or not isinstance(steps, int) or steps < 2:
        raise ValueError(f"steps must be a whole number, 2 or more, not {steps!r}")
    return control_limits(
        target,
        np.geomspace(n_min, n_max, steps),
        sigma=sigma,
        percent=percent,
        overdispersion=overdispersion,
        phi=phi,
        tau2=tau2,
    )


def _limits(target: float, spread: np.ndarray, percent: bool) -> dict[str, np.ndarray]:
    bounds = (0.0, 100.0) if percent else (-np.inf, np.inf)
    limits = {}
    for label, quantile in (("95", Z95), ("998", Z998)):
        limits[f"lower{label}"] = np.clip(target - quantile * spread, *bounds)
        limits[f"upper{label}"] = np.clip(target + quantile * spread, *bounds)
    return limits


def _winsorised_phi(z: np.ndarray) -> float:
    """Spiegelhalter's φ: mean square of the z-scores winsorised at the 10th/90th percentiles."""
    low, high = np.percentile(z, [10, 90])
    return float(np.mean(np.clip(z, low, high) ** 2))


def _tau2(phi: float, se: np.ndarray, kept: np.ndarray) -> float:
    """Between-institution variance by the DerSimonian–Laird moment estimator over those kept."""
    w = 1 / se[kept] ** 2
    count = len(w)
    denominator = w.sum() - np.sum(w**2) / w.sum()
    if denominator <= 0:  # all the same size and one left: nothing to separate τ² from
        return 0.0
    return float(max(0.0, (count * phi - (count - 1)) / denominator))


def _number(value: object, name: str) -> float:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (Real, np.number)):
        raise ValueError(f"{name} must be a number, not {value!r}")
    number = float(value)
    if not math.isfinite(number):
        raise ValueError(f"{name} must be a finite number, not {value!r}")
    return number


def _flag(y: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> np.ndarray:
    return np.select([y > upper, y < lower], ["above", "below"], default="within")
