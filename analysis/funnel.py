"""Funnel plots for comparing institutions, with overdispersion (Spiegelhalter 2005).

An institution's result is compared with a target using control limits that narrow as its number of
respondents grows. Real institutions differ by more than sampling error alone, so the limits are
widened by an overdispersion factor fitted from the data (additive random effects by default).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from ._checks import require_columns, require_frame

__all__ = ["funnel"]

Z95 = stats.norm.ppf(0.975)  # 1.959964…
Z998 = stats.norm.ppf(0.999)  # 3.090232…
OVERDISPERSION = ("additive", "multiplicative", None)


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
        name starting with ``pct``), a proportion in percent (0–100).
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
          ``result.attrs`` with ``target``, ``sigma`` and ``overdispersion``.

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

    Overdispersion: :math:`z_i = (y_i-\\theta_0)/s_i` are winsorised at their 10th and 90th
    percentiles (numpy's default linear interpolation, R's type 7): values beyond are set to the
    percentile. Then :math:`\\hat\\phi = \\sum z_i^2 / I` over the :math:`I` institutions.

    * Multiplicative: limits :math:`\\theta_0 \\pm z\\sqrt{\\phi}\\, s_i`. Under-dispersion
      (:math:`\\hat\\phi < 1`) does not narrow the limits: :math:`\\phi = 1` is used, as the additive
      :math:`\\tau^2` below is truncated at zero.
    * Additive (the default, preferred by Spiegelhalter): with :math:`w_i = 1/s_i^2`,
      :math:`\\hat\\tau^2 = \\max(0, (I\\hat\\phi - (I-1)) / (\\sum w_i - \\sum w_i^2/\\sum w_i))`
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
    >>> result[["school_urn", "n", "z", "lower998", "upper998", "flag"]].round(2)
       school_urn    n     z  lower998  upper998    flag
    0         101   40 -1.10      2.98      3.93  within
    1         102  120  0.53      3.15      3.76  within
    2         103   60 -2.20      3.06      3.85  within
    3         104  200 -0.88      3.19      3.72  within
    4         105   80  4.41      3.10      3.81   above
    5         106   30 -0.95      2.92      3.99  within
    6         107  150 -0.08      3.17      3.74  within
    7         108   90 -1.12      3.12      3.80  within
    8         109   50  1.13      3.03      3.89  within
    >>> {key: round(result.attrs[key], 4) for key in ("target", "sigma", "phi", "tau2")}
    {'target': 3.4561, 'sigma': 0.9, 'phi': 1.1867, 'tau2': 0.0031}
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
    phi, tau2 = 1.0, 0.0
    if overdispersion is not None:
        phi = _phi(z)
        if overdispersion == "multiplicative":
            spread = np.sqrt(max(phi, 1.0)) * se
        else:
            tau2 = _tau2(phi, se)
            spread = np.sqrt(se**2 + tau2)
    else:
        spread = se

    shown["target"] = target
    shown["se"] = se
    shown["z"] = z
    shown["z_adjusted"] = (y - target) / spread
    bounds = (0.0, 100.0) if proportion else (-np.inf, np.inf)
    for label, quantile in (("95", Z95), ("998", Z998)):
        shown[f"lower{label}"] = np.clip(target - quantile * spread, *bounds)
        shown[f"upper{label}"] = np.clip(target + quantile * spread, *bounds)
    shown["flag95"] = _flag(y, shown["lower95"].to_numpy(), shown["upper95"].to_numpy())
    shown["flag"] = _flag(y, shown["lower998"].to_numpy(), shown["upper998"].to_numpy())
    shown["phi"] = phi
    shown["tau2"] = tau2
    shown.attrs = {
        "target": target,
        "sigma": sigma_used,
        "phi": phi,
        "tau2": tau2,
        "overdispersion": overdispersion,
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


def _phi(z: np.ndarray) -> float:
    """Overdispersion factor: mean square of the z-scores winsorised at the 10th/90th percentiles."""
    low, high = np.percentile(z, [10, 90])
    return float(np.mean(np.clip(z, low, high) ** 2))


def _tau2(phi: float, se: np.ndarray) -> float:
    """Between-institution variance by the DerSimonian–Laird style moment estimator."""
    w = 1 / se**2
    count = len(se)
    denominator = w.sum() - np.sum(w**2) / w.sum()
    if denominator <= 0:  # a single institution: nothing to separate τ² from
        return 0.0
    return float(max(0.0, (count * phi - (count - 1)) / denominator))


def _flag(y: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> np.ndarray:
    return np.select([y > upper, y < lower], ["above", "below"], default="within")
