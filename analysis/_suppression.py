"""Primary and complementary suppression of small groups (disclosure control).

A table of group statistics is safe to publish when no statistic rests on fewer than ``min_n``
respondents (*primary* suppression) and no suppressed group can be recovered by subtracting the
shown groups from a shown total (*complementary* suppression). The rows of a table fall into
*sets*, each set being rows that add up to a total published elsewhere (one school's FSM groups add
up to the school). In a set where exactly one row is suppressed, that row equals the set total minus
the shown rows, so the smallest shown row of the set is suppressed as well. The same subtraction
gives the hidden rows' combined size: while it is under ``min_n`` (three hidden groups of 3 pupils
make a recoverable group of 9), the next smallest shown row is suppressed too.

These helpers work on plain numpy arrays so that `aggregate` and `gaps` share one rule.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["complementary", "reasons", "set_ids"]


def set_ids(table: pd.DataFrame, keys: list[str]) -> np.ndarray:
    """Integer id of each row's set: rows sharing every value in `keys` (NaN as a value).

    With no keys the whole table is one set (it adds up to the overall total).
    """
    if not keys:
        return np.zeros(len(table), dtype=np.int64)
    return table.groupby(keys, dropna=False, observed=True, sort=False).ngroup().to_numpy(np.int64)


def complementary(primary: np.ndarray, n: np.ndarray, sets: np.ndarray, min_n: int = 10) -> np.ndarray:
    """Rows to suppress besides `primary` so that no set's hidden rows can be worked out.

    In every set with a suppressed row, at least two rows are suppressed and together they hold at
    least `min_n` respondents (or every row of the set is suppressed).

    Parameters
    ----------
    primary : numpy.ndarray of bool
        Rows already suppressed (too few respondents).
    n : numpy.ndarray
        Each row's number of respondents: the smallest shown row of a set is suppressed first,
        ties broken by the row's position.
    sets : numpy.ndarray of int
        Each row's set id, as from `set_ids`.
    min_n : int, default 10
        Fewest respondents the suppressed rows of a set may hold between them.

    Returns
    -------
    numpy.ndarray of bool
        True for rows suppressed by complementary suppression only.
    """
    primary = np.asarray(primary, dtype=bool)
    n = np.asarray(n, dtype=np.float64)
    sets = np.asarray(sets, dtype=np.int64)
    extra = np.zeros(len(primary), dtype=bool)
    if len(primary) == 0:
        return extra
    position = np.arange(len(primary))
    sized = np.nan_to_num(n, nan=0.0)
    # Each pass hides at most one more row per exposed set; a set is safe after a few passes.
    while True:
        hidden = primary | extra
        count = np.bincount(sets, weights=hidden)
        total = np.bincount(sets, weights=np.where(hidden, sized, 0.0))
        exposed = (count[sets] == 1) | ((count[sets] >= 1) & (total[sets] < min_n))
        candidates = np.flatnonzero(exposed & ~hidden)
        if candidates.size == 0:
            return extra
        order = np.lexsort((position[candidates], n[candidates], sets[candidates]))
        ranked = candidates[order]
        _, first = np.unique(sets[ranked], return_index=True)
        extra[ranked[first]] = True


def reasons(primary: np.ndarray, extra: np.ndarray) -> pd.Series:
    """The reason for each row: ``"primary"``, ``"complementary"`` or missing, as a string column."""
    labels = np.where(primary, "primary", np.where(extra, "complementary", None))  # type: ignore[call-overload]
    return pd.Series(labels, dtype="str")
