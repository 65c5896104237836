"""Internal consistency of a questionnaire scale: Cronbach's alpha, McDonald's omega, item statistics.

Items are reverse coded from the questionnaire's scale definition before anything is computed, and
only pupils who answered every item of the scale are used (listwise deletion), so ``n`` is the
number of complete cases behind each statistic.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from questionnaires import Questionnaire, Scale

from ._checks import require_columns, require_frame, require_level, require_min_n, require_scale

__all__ = ["reliability"]

SUMMARY_COLUMNS = ["n", "alpha", "alpha_ci_low", "alpha_ci_high", "omega", "suppressed"]
ITEM_COLUMNS = ["item", "reversed", "n", "mean", "sd", "item_total_r", "alpha_if_deleted", "suppressed"]


def reliability(
    responses: pd.DataFrame,
    questionnaire: Questionnaire,
    scale: str,
    *,
    by: str | Sequence[str] | None = None,
    level: float = 0.95,
    items: bool = False,
    min_n: int = 10,
) -> pd.DataFrame:
    """Cronbach's alpha with its Feldt confidence interval and McDonald's omega for one scale.

    Parameters
    ----------
    responses : pandas.DataFrame
        Responses in the export format (``docs/data-format.md``): one row per pupil and one column
        per question id. Item columns may hold numbers, numeric strings or blanks.
    questionnaire : questionnaires.Questionnaire
        The questionnaire that defines the scale (its items, reversed items and answer range).
    scale : str
        The scale id, e.g. ``"belonging"``.
    by : str or list of str, optional
        Columns to group by (e.g. ``"year_group"``). Missing values form their own group.
        Without ``by`` the whole frame is one group.
    level : float, default 0.95
        Confidence level of the alpha interval.
    items : bool, default False
        If True, return one row per item (and group) with item statistics instead of the summary.
    min_n : int, default 10
        Groups with fewer complete cases are suppressed: statistics are NaN and ``suppressed`` is
        True. It cannot be set below 10.

    Returns
    -------
    pandas.DataFrame
        Without ``items``: one row per group (the ``by`` columns, if any, then)

        * ``n``: complete cases (pupils who answered every item of the scale);
        * ``alpha``: Cronbach's alpha of the raw (reverse-coded) items;
        * ``alpha_ci_low``, ``alpha_ci_high``: Feldt confidence interval at ``level``;
        * ``omega``: McDonald's omega total from a one-factor model of the item correlations;
        * ``suppressed``: True when ``n < min_n``.

        With ``items=True``: one row per item and group with ``item``, ``reversed``, ``n``,
        ``mean`` and ``sd`` (after reverse coding), ``item_total_r`` (the corrected item–total
        correlation: the item against the sum of the other items), ``alpha_if_deleted`` and
        ``suppressed``.

    Raises
    ------
    ValueError
        If the scale is unknown, has fewer than two items, an item column is missing or holds
        values that are not numbers within the scale's answer range, ``by`` names a missing
        column, or there are fewer than ``min_n`` complete cases in the whole frame.

    Notes
    -----
    Items are reverse coded first with ``Scale.reverse_code`` (``min + max − value``).

    Cronbach's alpha [1]_ on the item covariance matrix :math:`C` of :math:`k` items:

    .. math::

        \\alpha = \\frac{k}{k-1}\\left(1 - \\frac{\\operatorname{tr} C}{\\mathbf{1}^T C \\mathbf{1}}\\right)

    Feldt's interval [2]_ with :math:`a = 1 - \\text{level}`, :math:`N` complete cases and
    :math:`F_p` the :math:`p` quantile of :math:`F(N-1, (N-1)(k-1))`:
    lower :math:`= 1 - (1-\\alpha) F_{1-a/2}`, upper :math:`= 1 - (1-\\alpha) F_{a/2}`.
    Alpha and its interval agree with ``pingouin.cronbach_alpha(..., nan_policy="listwise")``.

    McDonald's omega total [3]_ is :math:`(\\sum\\lambda)^2 / ((\\sum\\lambda)^2 + \\sum\\psi)` with
    loadings :math:`\\lambda` and uniquenesses :math:`\\psi = 1 - \\lambda^2` of a single factor
    fitted to the item *correlation* matrix by iterated principal-axis factoring (start: squared
    multiple correlations; iterate until communalities change by less than 1e-12). Its fixed point
    is the unweighted least squares ("minres") solution that R's ``psych::omega`` uses by default,
    so omega describes the sum of standardised items; alpha describes the raw sum. Communalities are
    kept within [0, 1] (a Heywood case gives a loading of 1). Omega is NaN when an item does not
    vary in the group.

    The corrected item–total correlation is the Pearson correlation of an item with the sum of the
    remaining items; ``alpha_if_deleted`` is alpha of the remaining items (NaN for a two-item scale).

    References
    ----------
    .. [1] Cronbach, L. J. (1951). Coefficient alpha and the internal structure of tests.
           Psychometrika, 16(3), 297–334.
    .. [2] Feldt, L. S., Woodruff, D. J., & Salih, F. A. (1987). Statistical inference for
           coefficient alpha. Applied Psychological Measurement, 11(1), 93–103.
    .. [3] McDonald, R. P. (1999). Test theory: a unified treatment. Mahwah, NJ: Erlbaum.

    Examples
    --------
    >>> import numpy as np
    >>> import pandas as pd
    >>> import questionnaires
    >>> from analysis.reliability import reliability
    >>> q = questionnaires.load("national-secondary")
    >>> items = q.scales["belonging"].items
    >>> rng = np.random.default_rng(0)
    >>> trait = rng.normal(size=(200, 1))
    >>> answers = np.clip(np.rint(3 + trait + rng.normal(scale=0.8, size=(200, 8))), 1, 5)
    >>> answers[:, 6:] = 6 - answers[:, 6:]  # belong_left_out and belong_alone are worded negatively
    >>> responses = pd.DataFrame(answers, columns=items)
    >>> responses["year_group"] = np.repeat([7, 8], 100)
    >>> reliability(responses, q, "belonging").round(3)
         n  alpha  alpha_ci_low  alpha_ci_high  omega  suppressed
    0  200  0.902          0.88          0.922  0.903       False
    >>> reliability(responses, q, "belonging", by="year_group").round(2)
       year_group    n  alpha  alpha_ci_low  alpha_ci_high  omega  suppressed
    0           7  100   0.91          0.87           0.93   0.91       False
    1           8  100   0.90          0.87           0.93   0.90       False
    >>> reliability(responses, q, "belonging", items=True)[["item", "item_total_r"]].round(2).head(3)
                  item  item_total_r
    0      belong_part          0.66
    1  belong_accepted          0.70
    2    belong_myself          0.73
    """
    require_frame(responses, "responses")
    spec = require_scale(questionnaire, scale)
    level = require_level(level)
    min_n = require_min_n(min_n)
    if len(spec.items) < 2:
        raise ValueError(f"scale {scale!r} has {len(spec.items)} item; reliability needs at least two")
    by_columns = _as_list(by)
    require_columns(responses, spec.items, f"the responses (scale {scale!r})")
    require_columns(responses, by_columns, "the responses")

    data = _reverse_coded(responses, spec).dropna(how="any")
    if len(data) < min_n:
        raise ValueError(
            f"scale {scale!r} has {len(data)} complete responses (every item answered); "
            f"reliability needs at least {min_n}"
        )
    for column in by_columns:
        data[column] = responses.loc[data.index, column]

    compute = _item_rows if items else _summary_row
    if not by_columns:
        rows = compute(data[list(spec.items)], spec, level, min_n)
        return pd.DataFrame(rows, columns=ITEM_COLUMNS if items else SUMMARY_COLUMNS)

    frames = []
    for key, group in data.groupby(by_columns, dropna=False, sort=True):
        rows = compute(group[list(spec.items)], spec, level, min_n)
        frame = pd.DataFrame(rows, columns=ITEM_COLUMNS if items else SUMMARY_COLUMNS)
        for column, value in zip(by_columns, key, strict=True):
            frame.insert(by_columns.index(column), column, value)  # type: ignore[arg-type]
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)


def _as_list(by: str | Sequence[str] | None) -> list[str]:
    if by is None:
        return []
    if isinstance(by, str):
        return [by]
    return list(by)


def _reverse_coded(responses: pd.DataFrame, spec: Scale) -> pd.DataFrame:
    """The scale's items as floats, blanks as NaN, reverse-coded; bad values raise a ValueError."""
    low, high = spec.range
    columns = {}
    for item in spec.items:
        try:
            values = pd.to_numeric(responses[item]).astype(float)
        except (ValueError, TypeError) as error:
            raise ValueError(
                f"column {item!r} (scale {spec.id!r}) holds a value that is not a number: {error}"
            ) from None
        outside = values[(values < low) | (values > high)]
        if len(outside):
            raise ValueError(
                f"column {item!r} (scale {spec.id!r}) holds {outside.iloc[0]:g}, "
                f"outside the answer range {low}–{high}"
            )
        columns[item] = spec.reverse_code(item, values)  # type: ignore[arg-type]  # works on a Series too
    return pd.DataFrame(columns, index=responses.index)


def _alpha(x: np.ndarray) -> float:
    """Cronbach's alpha of the columns of a complete-case matrix."""
    k = x.shape[1]
    cov = np.cov(x, rowvar=False, ddof=1)
    total = cov.sum()
    if total <= 0:
        return float("nan")
    return float(k / (k - 1) * (1 - np.trace(cov) / total))


def _feldt(alpha: float, n: int, k: int, level: float) -> tuple[float, float]:
    a = 1 - level
    df1, df2 = n - 1, (n - 1) * (k - 1)
    lower = 1 - (1 - alpha) * stats.f.isf(a / 2, df1, df2)
    upper = 1 - (1 - alpha) * stats.f.isf(1 - a / 2, df1, df2)
    return float(lower), float(upper)


def _one_factor(corr: np.ndarray, *, tol: float = 1e-12, max_iter: int = 10_000) -> np.ndarray:
    """Loadings of one factor by iterated principal-axis factoring of a correlation matrix."""
    try:
        communality = 1 - 1 / np.diag(np.linalg.inv(corr))
    except np.linalg.LinAlgError:
        off = np.abs(corr - np.eye(len(corr)))
        communality = off.max(axis=1)
    communality = np.clip(communality, 0, 1)
    for _ in range(max_iter):
        reduced = corr.copy()
        np.fill_diagonal(reduced, communality)
        eigenvalues, eigenvectors = np.linalg.eigh(reduced)
        loadings = eigenvectors[:, -1] * np.sqrt(max(eigenvalues[-1], 0.0))
        updated = np.clip(loadings**2, 0, 1)
        if np.max(np.abs(updated - communality)) < tol:
            break
        communality = updated
    else:
        warnings.warn("one-factor model for omega did not converge", RuntimeWarning, stacklevel=3)
    loadings = np.sign(loadings) * np.sqrt(np.clip(loadings**2, 0, 1))
    return np.asarray(loadings if loadings.sum() >= 0 else -loadings)


def _omega(x: np.ndarray) -> float:
    if np.any(x.std(axis=0) == 0):
        return float("nan")
    loadings = _one_factor(np.corrcoef(x, rowvar=False))
    common = loadings.sum() ** 2
    unique = np.sum(1 - loadings**2)
    return float(common / (common + unique))


def _summary_row(group: pd.DataFrame, spec: Scale, level: float, min_n: int) -> list[list[Any]]:
    n, k = group.shape
    if n < min_n:
        return [[n, np.nan, np.nan, np.nan, np.nan, True]]
    x = group.to_numpy()
    alpha = _alpha(x)
    low, high = _feldt(alpha, n, k, level) if np.isfinite(alpha) else (np.nan, np.nan)
    return [[n, alpha, low, high, _omega(x), False]]


def _item_rows(group: pd.DataFrame, spec: Scale, level: float, min_n: int) -> list[list[Any]]:
    n, k = group.shape
    rows = []
    x = group.to_numpy()
    total = x.sum(axis=1)
    for j, item in enumerate(spec.items):
        reversed_ = item in spec.reverse
        if n < min_n:
            rows.append([item, reversed_, n, np.nan, np.nan, np.nan, np.nan, True])
            continue
        rest = total - x[:, j]
        with np.errstate(invalid="ignore", divide="ignore"):
            r = np.corrcoef(x[:, j], rest)[0, 1] if x[:, j].std() > 0 and rest.std() > 0 else np.nan
        others = np.delete(x, j, axis=1)
        alpha_without = _alpha(others) if k > 2 else np.nan
        rows.append([item, reversed_, n, x[:, j].mean(), x[:, j].std(ddof=1), r, alpha_without, False])
    return rows
