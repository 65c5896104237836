"""The linear-programming attacker: how far each hidden count can move under every published relation.

The unknowns are the hidden cells (≥ 0); every relation with a hidden cell is a constraint whose
shown cells are constants. Hidden cells that share no relation, even through other hidden cells, are
independent, so the problem falls into connected components. Components are solved together in one
sparse HiGHS call per *round* (``scipy.optimize.linprog(method="highs")``): with a separable
objective, maximising the sum of one target per component gives every component's maximum at
once, so the rounds needed are the most targets any one component has, not the number of targets.

To say only whether a count is protected, the attacker need not find its exact range, just a
feasible table that reaches the protection interval. So in the default (clipped) mode each target
is capped at ``n + interval`` (floored at ``max(0, n − interval)``), and any LP solution that takes
a target to its cap proves it protected: a first few rounds push every unproven target at once,
and only the rest get a solve of their own. ``exact=True`` solves every target on its own, uncapped.

Hiding more cells only widens every range (a shown value is one feasible choice for the new
unknown), so a count proved protected stays protected; the greedy pass relies on this.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy import sparse
from scipy.optimize import linprog
from scipy.sparse.csgraph import connected_components

from ._linked import Model

_TOL = 1e-6
_PUSH_ROUNDS = 40


@dataclass
class Reach:
    """Each target's attacker range, clipped to the protection interval unless exact."""

    targets: np.ndarray  # cell indices
    low: np.ndarray
    high: np.ndarray
    solves: int = 0
    components: int = 0
    largest: int = 0  # unknowns in the largest component solved
    binding: dict[int, np.ndarray] = field(default_factory=dict)  # failing cell -> relations that bind


def reach(
    model: Model,
    hidden: np.ndarray,
    targets: np.ndarray,
    interval: int,
    *,
    exact: bool = False,
    radii: tuple[int, ...] = (2, 3),
    max_rounds: int | None = None,
    ceiling: np.ndarray | None = None,
) -> Reach:
    """The feasible range of each target cell (a hidden cell), see the module docstring.

    Unless `exact`, each target is first tried in its neighbourhood (the hidden cells within
    ``radius`` relations of it, everything further away held at its true value), for each radius
    in `radii` (holding cells at their true values only narrows the range, so a target proved
    protected there is protected); the rest get their whole component. With `max_rounds`, at most
    that many solves per side are spent on the whole components, and targets left unsolved get a
    NaN range (unknown, to be tried again). `ceiling` (one per cell, or None) caps how high a
    target must be shown to reach: a count inside a published total can never be shown to exceed it.
    """
    targets = np.asarray(targets, dtype=np.int64)
    hidden = np.asarray(hidden, dtype=bool)
    result = Reach(targets, np.zeros(len(targets)), np.zeros(len(targets)))
    if len(targets) == 0:
        return result
    if not hidden[targets].all():
        raise ValueError("every target must be hidden")
    base = model.n[targets].astype(np.float64)
    up_goal, down_goal = base + interval, np.maximum(0.0, base - interval)
    if ceiling is not None:
        up_goal = np.minimum(up_goal, np.asarray(ceiling, dtype=np.float64)[targets])
    open_ = np.arange(len(targets))
    if not exact:
        # 1. push many targets at once in their whole components; 2. each remaining target in its
        # neighbourhood; 3. one by one in the whole component, for what is left.
        low, high = _whole(model, hidden, targets, interval, False, result, max_rounds=0, up=up_goal)
        result.low[:], result.high[:] = low, high
        proved = _proved(result, up_goal, down_goal)
        open_ = open_[~proved]
        local = _Local(model, hidden) if len(open_) else None
        for radius in radii:
            if not len(open_):
                break
            high, low = local.reach(targets[open_], up_goal[open_], down_goal[open_], radius, result)
            better_up = ~(result.high[open_] >= up_goal[open_] - _TOL) & (high >= up_goal[open_] - _TOL)
            better_down = ~(result.low[open_] <= down_goal[open_] + _TOL) & (low <= down_goal[open_] + _TOL)
            result.high[open_[better_up]] = high[better_up]
            result.low[open_[better_down]] = low[better_down]
            open_ = open_[~_proved(result, up_goal, down_goal)[open_]]
        if not len(open_):
            return result
    result.binding = {}
    whole = _whole(model, hidden, targets[open_], interval, exact, result, max_rounds, up=up_goal[open_])
    result.low[open_], result.high[open_] = whole
    result.binding = {int(open_[k]): v for k, v in result.binding.items()}
    return result


def _proved(result: Reach, up_goal, down_goal) -> np.ndarray:
    return (result.high >= up_goal - _TOL) & (result.low <= down_goal + _TOL)  # NaN: not proved


def _whole(model, hidden, targets, interval, exact, result: Reach, max_rounds=None, up=None):
    """Each target's range in its whole connected component (see the module docstring)."""
    n = model.n.astype(np.float64)
    H = np.flatnonzero(hidden)
    var_of = np.full(model.size, -1, dtype=np.int64)
    var_of[H] = np.arange(len(H))
    A_H = model.A.tocsc()[:, H].tocsr()
    rhs = -(model.A @ np.where(hidden, 0.0, n))
    touched = np.flatnonzero(np.diff(A_H.indptr) > 0)
    A_H = A_H[touched]
    rhs, equal, relation = rhs[touched], model.equal[touched], touched
    comp_var, comp_row = _components(A_H, len(H))
    t_var = var_of[targets]
    wanted = np.unique(comp_var[t_var])
    keep_var = np.isin(comp_var, wanted)
    keep_row = np.isin(comp_row, wanted)
    vars_ = np.flatnonzero(keep_var)
    local = np.full(len(H), -1, dtype=np.int64)
    local[vars_] = np.arange(len(vars_))
    A = A_H[keep_row][:, vars_].tocsr()
    rhs, equal, relation, comp_row = rhs[keep_row], equal[keep_row], relation[keep_row], comp_row[keep_row]
    problem = _Problem(A, rhs, equal, relation, comp_row)
    comp_of = comp_var[vars_]
    result.components = len(wanted)
    result.largest = max(result.largest, int(np.bincount(np.unique(comp_of, return_inverse=True)[1]).max()))
    t_local = local[t_var]
    t_comp = comp_of[t_local]
    big = float(n.sum()) + interval + 1.0
    base = n[targets]
    up_goal = np.full(len(targets), big) if exact else base + interval if up is None else up
    down_goal = np.zeros(len(targets)) if exact else np.maximum(0.0, base - interval)
    high = _solve_side(problem, t_local, t_comp, up_goal, 1, exact, result, max_rounds)
    low = _solve_side(problem, t_local, t_comp, down_goal, -1, exact, result, max_rounds)
    if exact:
        high[high >= big - 1] = np.inf
    return low, high


class _Local:
    """Neighbourhood problems: one block per target, many blocks stacked into one HiGHS call."""

    _CHUNK = 200_000  # unknowns per stacked LP
    _LARGEST = 3000  # unknowns in a neighbourhood worth solving on its own

    def __init__(self, model: Model, hidden: np.ndarray) -> None:
        self.model = model
        self.H = np.flatnonzero(hidden)
        self.var_of = np.full(model.size, -1, dtype=np.int64)
        self.var_of[self.H] = np.arange(len(self.H))
        self.A_H = model.A.tocsc()[:, self.H].tocsr()  # relations × hidden cells
        self.B = abs(self.A_H).astype(bool).astype(np.float32).tocsr()
        self.Bt = self.B.T.tocsr()
        self.nH = model.n[self.H].astype(np.float64)
        self.An = model.A @ model.n.astype(np.float64)  # slack of each relation (0 on equalities)

    def reach(self, targets, up_goal, down_goal, radius, result: Reach):
        t_var = self.var_of[targets]
        k = len(targets)
        S = sparse.csr_matrix((np.ones(k, np.float32), (np.arange(k), t_var)), shape=(k, len(self.H)))
        for _ in range(radius):
            S = ((S @ self.Bt) @ self.B).astype(bool).astype(np.float32).tocsr()
        sizes = np.diff(S.indptr)
        high, low = np.full(k, np.nan), np.full(k, np.nan)
        # a big neighbourhood costs as much as its component: leave those to the whole component
        small = np.flatnonzero(sizes <= self._LARGEST)
        if not len(small):
            return high, low
        S, t_var, sizes = S[small], t_var[small], sizes[small]
        up_goal, down_goal, k = up_goal[small], down_goal[small], len(small)
        part_high, part_low = np.empty(k), np.empty(k)
        start = 0
        while start < k:
            stop = start + max(1, int(np.searchsorted(np.cumsum(sizes[start:]), self._CHUNK)))
            block = slice(start, min(stop, k))
            self._solve(S[block], t_var[block], up_goal[block], down_goal[block], block, part_high, part_low,
                        result)  # fmt: skip
            start = block.stop
        high[small], low[small] = part_high, part_low
        return high, low

    def _solve(self, S, t_var, up_goal, down_goal, block, high, low, result):
        S = S.tocsr()
        S.sort_indices()
        b = S.shape[0]
        nH = len(self.H)
        col_block = np.repeat(np.arange(b), np.diff(S.indptr))
        col_var = S.indices.astype(np.int64)
        col_key = col_block * nH + col_var  # sorted: rows in order, indices sorted within
        R = (S @ self.Bt).tocsr()
        R.sort_indices()
        row_block = np.repeat(np.arange(b), np.diff(R.indptr))
        row_rel = R.indices.astype(np.int64)
        lengths = np.diff(self.A_H.indptr)[row_rel]
        e_row = np.repeat(np.arange(len(row_rel)), lengths)
        starts = self.A_H.indptr[row_rel]
        offsets = np.arange(lengths.sum()) - np.repeat(np.cumsum(lengths) - lengths, lengths)
        e_pos = np.repeat(starts, lengths) + offsets
        e_var = self.A_H.indices[e_pos].astype(np.int64)
        e_val = self.A_H.data[e_pos]
        e_key = row_block[e_row] * nH + e_var
        at = np.searchsorted(col_key, e_key)
        inside = (at < len(col_key)) & (col_key[np.minimum(at, len(col_key) - 1)] == e_key)
        e_row, e_col, e_val, e_var = e_row[inside], at[inside], e_val[inside], e_var[inside]
        A = sparse.csr_matrix((e_val, (e_row, e_col)), shape=(len(row_rel), len(col_key)))
        # parts outside the neighbourhood are held at their true values
        rhs = np.bincount(e_row, weights=e_val * self.nH[e_var], minlength=len(row_rel)) - self.An[row_rel]
        problem = _Problem(A, rhs, self.model.equal[row_rel], row_rel, row_block)
        t_col = np.searchsorted(col_key, np.arange(b) * nH + t_var)
        for sign, goal, out in ((1, up_goal, high), (-1, down_goal, low)):
            cost = np.zeros(len(col_key))
            cost[t_col] = -sign
            lower = np.zeros(len(col_key))
            upper = np.full(len(col_key), np.inf)
            if sign > 0:
                upper[t_col] = goal
            else:
                lower[t_col] = goal
            result.solves += 1
            res = problem.solve(cost, lower, upper)
            out[block] = res.x[t_col]


@dataclass
class _Problem:
    A: sparse.csr_matrix
    rhs: np.ndarray
    equal: np.ndarray
    relation: np.ndarray
    comp_row: np.ndarray

    def __post_init__(self) -> None:
        eq, ub = self.equal, ~self.equal
        # A x >= rhs on the inequality rows, written as -A x <= -rhs for linprog
        self._ub = (-self.A[ub], -self.rhs[ub]) if ub.any() else (None, None)
        self._eq = (self.A[eq], self.rhs[eq]) if eq.any() else (None, None)

    def solve(self, cost: np.ndarray, lower: np.ndarray, upper: np.ndarray):
        res = linprog(
            cost,
            A_ub=self._ub[0],
            b_ub=self._ub[1],
            A_eq=self._eq[0],
            b_eq=self._eq[1],
            bounds=np.column_stack([lower, upper]),
            method="highs",
        )
        if res.status != 0:  # the true counts are feasible and every objective term is capped
            raise RuntimeError(f"the attacker's linear program failed: {res.message}")
        return res

    def binding(self, res, component: int) -> np.ndarray:
        """Relations of one component whose constraint limits the optimum (non-zero dual)."""
        marginal = np.zeros(len(self.rhs))
        if self.equal.any():
            marginal[self.equal] = res.eqlin.marginals
        if (~self.equal).any():
            marginal[~self.equal] = res.ineqlin.marginals
        mine = (self.comp_row == component) & (np.abs(marginal) > 1e-9)
        return self.relation[mine]


def _components(A_H: sparse.csr_matrix, n_vars: int) -> tuple[np.ndarray, np.ndarray]:
    """Component label of each unknown and each relation (bipartite graph of the two)."""
    rows = A_H.shape[0]
    incidence = abs(A_H).astype(bool).astype(np.int8)
    graph = sparse.bmat([[None, incidence], [incidence.T, None]], format="csr") if rows else None
    if graph is None:
        return np.arange(n_vars), np.zeros(0, dtype=np.int64)
    _, labels = connected_components(graph, directed=False)
    return labels[rows:], labels[:rows]


def _solve_side(problem: _Problem, t_local, t_comp, goal, sign, exact, result: Reach, max_rounds=None):
    """Max (sign 1) or min (sign −1) of each target, capped at `goal` unless exact."""
    n_vars = problem.A.shape[1]
    value = np.full(len(t_local), np.nan)

    def reached(x):
        return x[t_local] >= goal - _TOL if sign > 0 else x[t_local] <= goal + _TOL

    def run(chosen: np.ndarray, weight=None):
        cost = np.zeros(n_vars)
        cost[t_local[chosen]] = -sign * (1.0 if weight is None else weight)
        lower = np.zeros(n_vars)
        upper = np.full(n_vars, np.inf)
        if sign > 0:
            upper[t_local[chosen]] = goal[chosen]
        else:
            lower[t_local[chosen]] = goal[chosen]
        result.solves += 1
        res = problem.solve(cost, lower, upper)
        return res, res.x

    open_ = np.ones(len(t_local), dtype=bool)
    if not exact:
        # Push every unproven target at once, then random halves of them (fewer conflicts); any
        # that reach their cap are proved protected.
        # Targets that compete for the same slack block each other, so a round that proves few
        # halves the share of targets pushed together, down to a handful per component.
        rng = np.random.default_rng(0)
        share = 1.0
        for _ in range(_PUSH_ROUNDS):
            waiting = np.flatnonzero(open_)
            per_component = np.bincount(t_comp[waiting]).max() if len(waiting) else 0
            if share * per_component < 2:
                break
            chosen = waiting[rng.random(len(waiting)) < share] if share < 1 else waiting
            if not len(chosen):
                continue
            _, x = run(chosen, rng.uniform(0.5, 1.5, len(chosen)) if share < 1 else None)
            done = open_ & reached(x)
            value[done] = goal[done]
            open_ &= ~done
            if done.sum() < 0.1 * len(chosen):
                share /= 2
    # One target per component per round: each solve's optimum is exact for its own target.
    rounds = 0
    while open_.any() and (max_rounds is None or rounds < max_rounds):
        rounds += 1
        waiting = np.flatnonzero(open_)
        _, first = np.unique(t_comp[waiting], return_index=True)
        chosen = waiting[first]
        res, x = run(chosen)
        value[chosen] = x[t_local[chosen]]
        open_[chosen] = False
        if not exact:
            done = open_ & reached(x)
            value[done] = goal[done]
            open_ &= ~done
            for k in chosen[~reached(x)[chosen]]:
                known = result.binding.get(int(k), np.zeros(0, np.int64))
                result.binding[int(k)] = np.union1d(known, problem.binding(res, t_comp[k]))
    return value
