"""Complementary suppression across tables that add up: a school's groups, an area's schools, areas.

`analysis` suppresses within one table: the groups of one school, or of one area. Reviewers also
see the same group in several tables at once (each school's dashboard, its local authority, its
trust, the whole country), and these add up: a local authority's FSM pupils are the sum of its
schools' FSM pupils. Where a school's group is hidden and the area's is shown, subtracting the
other schools would reveal it. `protect` makes every such sum safe.

A *relation* is a set of cells tied by one linear equation whose other terms are all published
(e.g. ``area − school₁ − school₂ − … = 0``, or ``level₁ + level₂ + … = area total``), with a sign
for each cell. A relation gives a hidden cell away when it is the only hidden cell in it, and gives
a group of fewer than 10 pupils away when its hidden cells all have the same sign (their sum is
then known) and hold fewer than 10 pupils together. Either way the smallest shown cell of the
relation that may still be hidden (a `fixed` cell, such as a school dashboard's, may not) is
hidden too, until no relation gives anything away.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .policy import MIN_N


@dataclass(frozen=True)
class Relation:
    cells: np.ndarray  # indices of the cells
    signs: np.ndarray  # +1 or −1 for each

    @classmethod
    def of(cls, plus: Sequence[int], minus: Sequence[int] = ()) -> Relation:
        cells = np.asarray([*plus, *minus], dtype=np.int64)
        signs = np.asarray([1] * len(plus) + [-1] * len(minus), dtype=np.int64)
        return cls(cells, signs)


def protect(
    n: np.ndarray, hidden: np.ndarray, fixed: np.ndarray, relations: Sequence[Relation], min_n: int = MIN_N
) -> np.ndarray:
    """The cells to hide so that no relation gives a hidden cell, or a group under `min_n`, away.

    Parameters
    ----------
    n : array of the number of pupils in each cell (the true count, also for hidden cells).
    hidden : array of bool, the cells already hidden.
    fixed : array of bool, cells whose suppression is decided elsewhere and cannot change.
    relations : the equations tying the cells together.

    Returns the new `hidden` array (a superset of the one given).
    """
    n = np.asarray(n, dtype=np.float64)
    hidden = np.asarray(hidden, dtype=bool).copy()
    fixed = np.asarray(fixed, dtype=bool)
    relations = [r for r in relations if len(r.cells) > 1]
    changed = True
    while changed:
        changed = False
        for relation in relations:
            cells = relation.cells
            mask = hidden[cells]
            count = int(mask.sum())
            if count == 0:
                continue
            signs = relation.signs[mask]
            exposed = count == 1 or (abs(int(signs.sum())) == count and n[cells[mask]].sum() < min_n)
            if not exposed:
                continue
            candidates = cells[~mask & ~fixed[cells]]
            if candidates.size == 0:
                continue  # nothing of ours to hide: the fixed tables decide
            hidden[candidates[np.argmin(n[candidates])]] = True
            changed = True
    return hidden
