"""Where a school stands among schools, as a band with its uncertainty rather than a bare percentile.

A percentile among schools computed from a school's estimate has a 95% interval about 40 points
wide at ordinary school sizes, so "71st percentile" promises a precision that is not there.
`rank_band` simulates the schools' true values from their estimates and standard errors and
reports the fifths of schools the school could be in.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ._checks import require_columns, require_frame, require_level

__all__ = ["FIFTHS", "band_text", "rank_band"]

FIFTHS = {1: "lowest", 2: "second-lowest", 3: "middle", 4: "second-highest", 5: "highest"}
_COUNT = {2: "two", 3: "three", 4: "four"}


def band_text(band_from: int, band_to: int) -> str:
    """The band in words, e.g. ``"among the highest fifth of schools"``.

    Examples
    --------
    >>> from analysis.ranks import band_text
    >>> band_text(5, 5), band_text(4, 5)
    ('among the highest fifth of schools', 'among the highest two fifths of schools')
    >>> band_text(1, 2)
    'among the lowest two fifths of schools'
    >>> band_text(2, 4), band_text(1, 5)
    ('in the middle three fifths of schools', 'anywhere among schools: too uncertain to place')
    """
    for value in (band_from, band_to):
        if value not in FIFTHS:
            raise ValueError(f"a band is a fifth from 1 (lowest) to 5 (highest), not {value!r}")
    if band_from > band_to:
        raise ValueError(f"band_from must not be above band_to ({band_from} > {band_to})")
    width = band_to - band_from + 1
    if width == 5:
        return "anywhere among schools: too uncertain to place"
    if width == 1:
        return f"among the {FIFTHS[band_from]} fifth of schools"
    if band_to == 5:
        return f"among the highest {_COUNT[width]} fifths of schools"
    if band_from == 1:
        return f"among the lowest {_COUNT[width]} fifths of schools"
    if width == 3:
        return "in the middle three fifths of schools"
    return f"between the {FIFTHS[band_from]} and the {FIFTHS[band_to]} fifths of schools"


def rank_band(
    table: pd.DataFrame,
    *,
    estimate: str = "mean",
    se: str = "se",
    level: float = 0.95,
    draws: int = 1000,
    seed: int = 0,
) -> pd.DataFrame:
    """Each school's percentile among schools, with its interval and the band of fifths it falls in.

    Parameters
    ----------
    table : pandas.DataFrame
        One row per school, as ``analysis.aggregate`` returns: the ``estimate`` and ``se`` columns
        and ``suppressed`` (optional; suppressed rows and rows with no estimate are left out).
    estimate, se : str
        Column names of the estimate and its standard error (e.g. ``"pct_positive"`` with a
        standard error in the same units).
    level : float, default 0.95
        Coverage of the percentile interval.
    draws : int, default 1000
        Simulated sets of true values.
    seed : int, default 0
        Seed of the simulation, so a page shows the same band every time.

    Returns
    -------
    pandas.DataFrame
        The rows compared (same index and columns), plus ``percentile`` (0–100: the share of the
        other schools whose estimate is lower), ``percentile_low`` and ``percentile_high`` (the
        interval of the school's true percentile), ``band_from`` and ``band_to`` (fifths, 1 =
        lowest, 5 = highest, that the interval touches) and ``band`` (in words,
        :func:`band_text`). ``result.attrs`` has ``tau2`` and ``schools``.

    Notes
    -----
    The schools' true values are drawn from their empirical-Bayes posteriors: with
    :math:`\\tau^2` the between-school variance (DerSimonian–Laird moment estimate from the
    estimates and standard errors), :math:`\\lambda_j = \\tau^2/(\\tau^2 + s_j^2)` and :math:`\\bar y`
    the precision-weighted mean, :math:`\\theta_j \\sim N(\\bar y + \\lambda_j (y_j - \\bar y),
    \\lambda_j s_j^2)`. In each draw every school is ranked among all; the interval is the
    central ``level`` share of its percentiles (Goldstein & Spiegelhalter 1996). Drawing around
    the raw estimates instead would spread the schools too widely and make ranks look surer
    than they are. When the schools do not differ beyond chance (:math:`\\tau^2 = 0`) every school
    is "too uncertain to place".

    References
    ----------
    .. [1] Goldstein, H., & Spiegelhalter, D. J. (1996). League tables and their limitations.
           Journal of the Royal Statistical Society A, 159(3), 385–443.

    Examples
    --------
    >>> import numpy as np
    >>> import pandas as pd
    >>> from analysis.ranks import rank_band
    >>> rng = np.random.default_rng(4)
    >>> true = rng.normal(3.5, 0.3, 300)
    >>> n = rng.integers(40, 250, 300)
    >>> schools = pd.DataFrame({"school_urn": range(300), "mean": true + rng.normal(0, 1, 300) / np.sqrt(n),
    ...                         "se": 1 / np.sqrt(n)})
    >>> bands = rank_band(schools)
    >>> top = bands.loc[bands["mean"].idxmax()]
    >>> float(top["percentile"]), top["band"]
    (100.0, 'among the highest fifth of schools')
    >>> round(float((bands["percentile_high"] - bands["percentile_low"]).median()))
    32
    """
    require_frame(table, "table")
    require_columns(table, [estimate, se], "the table")
    require_level(level)
    if isinstance(draws, bool) or not isinstance(draws, int) or draws < 100:
        raise ValueError(f"draws must be a whole number, 100 or more, not {draws!r}")
    shown = table
    if "suppressed" in table.columns:
        shown = shown[~table["suppressed"].fillna(False).astype(bool)]
    shown = shown[shown[estimate].notna() & shown[se].notna()].copy()
    if len(shown) < 5:
        raise ValueError("ranking needs at least five schools with an estimate")
    y = shown[estimate].to_numpy(dtype=float)
    s = shown[se].to_numpy(dtype=float)
    if not np.all(s > 0):
        raise ValueError(f"column {se!r} must be positive for every school ranked")

    w = 1 / s**2
    centre = np.sum(w * y) / w.sum()
    q = np.sum(w * (y - centre) ** 2)
    tau2 = max(0.0, (q - (len(y) - 1)) / (w.sum() - np.sum(w**2) / w.sum()))
    reliability = tau2 / (tau2 + s**2)
    mean = centre + reliability * (y - centre)
    sd = np.sqrt(reliability) * s

    k = len(y)
    rng = np.random.default_rng(seed)
    percentiles = np.empty((draws, k), dtype=np.float32)
    block = max(1, min(draws, 2_000_000 // k))
    for start in range(0, draws, block):
        size = min(block, draws - start)
        theta = mean + sd * rng.standard_normal((size, k))
        # random tie-breaks: with τ² = 0 every draw ties, and a tie must not favour row order
        theta += rng.uniform(0, 1e-9, (size, k)) * (tau2 == 0)
        percentiles[start : start + size] = theta.argsort(axis=1).argsort(axis=1) * (100 / (k - 1))
    tail = (1 - level) / 2 * 100
    low, high = np.percentile(percentiles, [tail, 100 - tail], axis=0)

    shown["percentile"] = y.argsort().argsort() * (100 / (k - 1))
    shown["percentile_low"] = low.astype(float)
    shown["percentile_high"] = high.astype(float)
    shown["band_from"] = _fifth(low)
    shown["band_to"] = _fifth(high)
    shown["band"] = [band_text(a, b) for a, b in zip(shown["band_from"], shown["band_to"], strict=True)]
    shown.attrs = {"tau2": tau2, "schools": k}
    return shown


def _fifth(percentile: np.ndarray) -> np.ndarray:
    fifth: np.ndarray = np.clip(np.floor(np.asarray(percentile) / 20).astype(int) + 1, 1, 5)
    return fifth
