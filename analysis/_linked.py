"""The linear relations an attacker knows between the cells of linked, hierarchical count tables.

A release is a tidy frame of *cells*: one row per published count, one column per dimension, where
the value `TOTAL` ("*") means "every level of this dimension", and the true count ``n``. Every
combination of TOTAL dimensions (a *pattern*) is one table: ``school × fsm`` is the pattern where
only the other dimensions are TOTAL. A cell whose dimension ``d`` is TOTAL is the sum of the cells
that agree with it on every other dimension and take a concrete level of ``d``, whenever that
breakdown (the pattern with ``d`` concrete) is published. A missing cell of a published breakdown
is an empty group, so it counts as a known 0: the attacker knows empty groups are left out.

Nesting (school within LA within national, school within trust) is declared as
``hierarchy={"school": ("la", "trust")}``: a concrete school names its LA and trust too, and the LA
cell (``la=X, school=*``) or the trust cell is the sum of the school cells beneath it. The national
cell (``la=*, school=*``) is the sum of the LA cells; its sum over every school is left out when the
LA level is published, as it follows from the two.

When a breakdown's cells add up to less than their total (a level such as "unknown" is not
published) the attacker only knows the inequality ``sum ≤ total``; adding up to more is an error in
the counts.

The relations are one sparse matrix ``A`` (relations × cells; +1 for the total, −1 for each part):
``A @ n == 0`` on the equality rows and ``A @ n >= 0`` on the rest.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import sparse

from ._checks import require_columns, require_frame

TOTAL = "*"


@dataclass(frozen=True)
class Model:
    """The cells' counts and the relations between them (see the module docstring)."""

    n: np.ndarray  # int64, one per cell (row of the frame, in order)
    A: sparse.csr_matrix  # relations × cells
    equal: np.ndarray  # bool per relation: equality, else `parts <= total`
    total: np.ndarray  # the total cell of each relation
    #  each relation's cells, the total first: cells[ptr[r]:ptr[r + 1]]
    ptr: np.ndarray
    cells: np.ndarray

    @property
    def size(self) -> int:
        return len(self.n)


def normalise_hierarchy(
    hierarchy: Mapping[str, str | Sequence[str]] | None, dims: Sequence[str]
) -> dict[str, tuple[str, ...]]:
    """``{"school": "la"}`` as ``{"school": ("la",)}``, checked against `dims`."""
    result: dict[str, tuple[str, ...]] = {}
    for child, parents in (hierarchy or {}).items():
        parents = (parents,) if isinstance(parents, str) else tuple(parents)
        for name in (child, *parents):
            if name not in dims:
                raise ValueError(f"hierarchy names {name!r}, which is not one of the dims {list(dims)}")
        if child in parents:
            raise ValueError(f"hierarchy: {child!r} cannot be nested within itself")
        result[child] = parents
    return result


def describe(frame: pd.DataFrame, dims: Sequence[str], row: int) -> str:
    """One cell as ``la=E1, school=*, fsm=Y`` for error messages."""
    return ", ".join(f"{d}={frame[d].iloc[row]}" for d in dims)


def build(
    cells: pd.DataFrame, dims: Sequence[str], hierarchy: Mapping[str, str | Sequence[str]] | None = None
) -> Model:
    """Check the cells frame and derive every relation between its cells."""
    cells = require_frame(cells, "cells")
    dims = list(dims)
    if not dims:
        raise ValueError("dims must name at least one dimension column")
    if len(set(dims)) != len(dims):
        raise ValueError(f"dims lists a column twice: {dims}")
    require_columns(cells, [*dims, "n"], "cells")
    nested = normalise_hierarchy(hierarchy, dims)
    n = _counts(cells)
    if len(cells) == 0:
        return Model(n, sparse.csr_matrix((0, 0)), np.zeros(0, bool), np.zeros(0, np.int64),
                     np.zeros(1, np.int64), np.zeros(0, np.int64))  # fmt: skip
    codes = np.empty((len(cells), len(dims)), dtype=np.int64)
    is_total = np.empty((len(cells), len(dims)), dtype=bool)
    for j, d in enumerate(dims):
        column = cells[d]
        if column.isna().any():
            row = int(np.flatnonzero(column.isna().to_numpy())[0])
            raise ValueError(f"cells row {row}: {d} is missing (use {TOTAL!r} for all levels)")
        is_total[:, j] = (column.astype(str) == TOTAL).to_numpy()
        codes[:, j] = pd.factorize(column, sort=False)[0]
        codes[is_total[:, j], j] = -1
    where = {d: j for j, d in enumerate(dims)}
    for child, parents in nested.items():
        concrete = ~is_total[:, where[child]]
        for parent in parents:
            bad = concrete & is_total[:, where[parent]]
            if bad.any():
                row = int(np.flatnonzero(bad)[0])
                where_ = describe(cells, dims, row)
                raise ValueError(f"cells row {row} ({where_}): a concrete {child} must name its {parent}")
            pairs = pd.DataFrame({"c": codes[concrete, where[child]], "p": codes[concrete, where[parent]]})
            spread = pairs.groupby("c")["p"].nunique()
            if (spread > 1).any():
                level = cells[child].to_numpy()[concrete][pairs["c"].to_numpy() == spread.idxmax()][0]
                raise ValueError(f"{child} {level} is in more than one {parent}")
    duplicated = pd.DataFrame(codes).duplicated().to_numpy()
    if duplicated.any():
        row = int(np.flatnonzero(duplicated)[0])
        raise ValueError(f"cells row {row} ({describe(cells, dims, row)}) repeats an earlier cell")
    bits = 1 << np.arange(len(dims), dtype=np.int64)
    pattern = is_total.astype(np.int64) @ bits
    return _relations(cells, dims, n, codes, pattern, nested, where)


def _counts(cells: pd.DataFrame) -> np.ndarray:
    column = cells["n"]
    numeric = pd.to_numeric(column, errors="coerce")
    bad = numeric.isna() | (numeric < 0) | (numeric % 1 != 0)
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0])
        value = column.iloc[row]
        shown = repr(value) if isinstance(value, str) else value
        raise ValueError(f"cells row {row}: n is {shown}, not a whole number ≥ 0")
    return numeric.to_numpy(dtype=np.int64)


def _relations(cells, dims, n, codes, pattern, nested, where) -> Model:
    present = set(np.unique(pattern).tolist())
    sizes_ = codes.max(axis=0) + 2  # codes run from -1 (TOTAL)
    radix = np.concatenate([[1], np.cumprod(sizes_[:-1])]).astype(np.int64)
    codes = codes + 1
    totals, parts, sizes = [], [], []
    for p in sorted(present):
        parent_rows = np.flatnonzero(pattern == p)
        for j, d in enumerate(dims):
            if not p >> j & 1:
                continue
            q = p & ~(1 << j)
            skipped = False
            for parent_dim in nested.get(d, ()):
                bit = 1 << where[parent_dim]
                if p & bit and (p & ~bit) in present:
                    skipped = True  # national = Σ schools follows from Σ LAs and each LA = Σ its schools
                q &= ~bit
            if skipped or q not in present:
                continue  # implied by the level between, or this breakdown is not published
            child_rows = np.flatnonzero(pattern == q)
            key = [k for k in range(len(dims)) if not p >> k & 1]
            # the dims the total fixes, as one integer (mixed radix): parents are unique on it
            parent_key = codes[np.ix_(parent_rows, key)] @ radix[key] if key else np.zeros(len(parent_rows))
            child_key = codes[np.ix_(child_rows, key)] @ radix[key] if key else np.zeros(len(child_rows))
            order = np.argsort(parent_key, kind="stable")
            at = np.searchsorted(parent_key[order], child_key)
            found = (at < len(order)) & (parent_key[order][np.minimum(at, len(order) - 1)] == child_key)
            total_of, child = parent_rows[order][at[found]], child_rows[found]
            order = np.argsort(total_of, kind="stable")
            total_of, child = total_of[order], child[order]
            owners, counts = np.unique(total_of, return_counts=True)
            totals.append(owners)
            parts.append(child)
            sizes.append(counts)
    if not totals:
        empty = np.zeros(0, np.int64)
        return Model(
            n, sparse.csr_matrix((0, len(n))), np.zeros(0, bool), empty, np.zeros(1, np.int64), empty
        )
    total = np.concatenate(totals)
    child = np.concatenate(parts)
    size = np.concatenate(sizes)
    r = len(total)
    child_ptr = np.concatenate([[0], np.cumsum(size)])
    sums = np.add.reduceat(n[child], child_ptr[:-1]) if len(child) else np.zeros(r, np.int64)
    over = sums > n[total]
    if over.any():
        k = int(np.flatnonzero(over)[0])
        row = int(total[k])
        raise ValueError(
            f"cells row {row} ({describe(cells, dims, row)}) has n={n[row]}, but the cells it is "
            f"the total of add up to {sums[k]}"
        )
    equal = sums == n[total]
    rows = np.concatenate([np.arange(r), np.repeat(np.arange(r), size)])
    cols = np.concatenate([total, child])
    data = np.concatenate([np.ones(r), -np.ones(len(child))])
    A = sparse.csr_matrix((data, (rows, cols)), shape=(r, len(n)))
    # each relation's cells, the total first, for the greedy pass
    ptr = np.concatenate([[0], np.cumsum(size + 1)])
    members = np.empty(ptr[-1], dtype=np.int64)
    members[ptr[:-1]] = total
    is_child = np.ones(ptr[-1], dtype=bool)
    is_child[ptr[:-1]] = False
    members[is_child] = child
    return Model(n, A, equal, total, ptr, members)
