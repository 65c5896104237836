"""Synthetic pupils and the cells of a whole release of count tables, for disclosure control.

Shared by ``bench/disclosure_scale.py`` (the audit at national scale) and
``tests/analysis/test_disclosure.py``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from analysis._suppression import complementary
from analysis.disclosure import TOTAL

GROUPS = {
    "fsm": (["Y", "N"], [0.24, 0.76]),
    "sen": (["N", "K", "E"], [0.84, 0.13, 0.03]),
    "ethnicity": (
        ["WHIT", "ASIA", "BLAC", "MIXD", "CHIN", "GRT", "OTHR"],
        [0.70, 0.11, 0.06, 0.07, 0.01, 0.005, 0.045],
    ),
    "year": ([7, 8, 9, 10, 11], [0.2] * 5),
    "gender": (["F", "M", "X"], [0.49, 0.49, 0.02]),
    "looked_after": (["Y", "N"], [0.006, 0.994]),
}


CROSSED = [("fsm", "sen"), ("fsm", "ethnicity"), ("fsm", "year")]


EVENT = "excluded"


def pupils(schools: int, las: int, sizes: tuple[int, int], seed: int = 0) -> pd.DataFrame:
    """One row per pupil: school, LA and each group, with school-varying mixes."""
    rng = np.random.default_rng(seed)
    size = rng.integers(sizes[0], sizes[1] + 1, schools)
    school = np.repeat(np.arange(100001, 100001 + schools), size)
    la = np.repeat(np.array([f"E{9000 + s % las}" for s in range(schools)]), size)
    frame = {"la": la, "school": school}
    for name, (levels, p) in GROUPS.items():
        # each school's mix drawn around the national one, so some schools have none of a rare group
        mix = rng.dirichlet(np.asarray(p) * 40, schools)
        u = rng.random(len(school))[:, None]
        frame[name] = np.asarray(levels, dtype=object)[(u > np.cumsum(mix, axis=1)[school - 100001]).sum(1)]
    frame[EVENT] = np.where(rng.random(len(school)) < 0.04, "yes", "no")
    return pd.DataFrame(frame)


def release(
    pupils: pd.DataFrame,
    groups: Sequence[str] = tuple(GROUPS),
    crossed=tuple(CROSSED),
    event: str | None = EVENT,
) -> pd.DataFrame:
    """The cells of every published table at school, LA and national level (see the docstring).

    Each table is the total, each of `groups`, each pair in `crossed`, and (with `event`) the total
    and each group by event.
    """
    single = [(g,) for g in groups]
    breakdowns = [(), *single, *(tuple(c) for c in crossed)]
    with_event = [(), *single] if event else []
    dims = ["la", "school", *groups, *([event] if event else [])]
    frames = []
    for level in (("la", "school"), ("la",), ()):
        for group in breakdowns:
            for split in ((), (event,)) if group in with_event else ((),):
                by = [*level, *group, *split]
                counts = (
                    pupils.groupby(by, observed=True).size().rename("n").reset_index()
                    if by
                    else (pd.DataFrame({"n": [len(pupils)]}))
                )
                for d in dims:
                    if d not in by:
                        counts[d] = TOTAL
                frames.append(counts[[*dims, "n"]].astype({d: object for d in dims}))
    return pd.concat(frames, ignore_index=True)


def table_by_table(cells: pd.DataFrame, dims: Sequence[str], min_n: int = 10) -> pd.DataFrame:
    """Suppression as it was before the whole release was protected: each table on its own, its
    small rows hidden and then complements within each set of rows that add up (the attacker's
    baseline, which the audit must catch)."""
    dims = list(dims)
    out = cells.copy()
    out["hidden"] = False
    concrete = cells[dims].astype(str) != TOTAL
    for _, table in out.groupby([concrete[d] for d in dims], sort=False):
        keys = [d for d in dims if (table[d].astype(str) != TOTAL).all()]
        small = (table["n"] < min_n).to_numpy()
        sets = (
            table.groupby(keys[:-1], sort=False).ngroup().to_numpy()
            if len(keys) > 1
            else np.zeros(len(table), int)
        )
        extra = complementary(small, table["n"].to_numpy(), sets)
        out.loc[table.index, "hidden"] = small | extra
    return out
