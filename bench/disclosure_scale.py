"""Scale benchmark of disclosure control: `protect` then `audit` on a synthetic national release.

Run it from the repository root (it prints figures; it is not a test):

    .venv/bin/python bench/disclosure_scale.py                      # 3,000 schools in 150 LAs
    .venv/bin/python bench/disclosure_scale.py --schools 300 --small   # the test suite's release

The release is what the results pages publish for one measure, at three levels (school, LA,
national): the total, each group (FSM 2, SEN 3, ethnicity 7, year 5, gender 3, looked-after 2,
about 22 levels) and the crossed tables FSM × SEN, FSM × ethnicity and FSM × year, with an event
dimension (``excluded`` yes/no) on the total and the single groups. Pupils are synthetic, with
England-like group mixes (rare groups: Gypsy/Roma, Chinese, looked-after, EHC plans).

It prints the number of cells and tables, the primary and secondary hidden cells (and the pupils'
worth hidden), the seconds `protect` and `audit` take (wall clock and this process's CPU, which
counts HiGHS's threads too, so a busy machine shows in the difference), the attacker's largest
component, its LP solves, and the number of findings (which must be 0).
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Sequence

import numpy as np
import pandas as pd

from analysis.disclosure import TOTAL, audit, protect

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
DIMS = ["la", "school", *GROUPS, EVENT]
HIERARCHY = {"school": "la"}


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


def tables(cells: pd.DataFrame) -> int:
    """Published tables: distinct patterns of TOTAL dimensions."""
    return len((cells[DIMS].astype(str) == TOTAL).drop_duplicates())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--schools", type=int, default=3000)
    parser.add_argument("--las", type=int, default=None, help="default: one per 20 schools")
    parser.add_argument("--small", action="store_true", help="8–40 pupils a school (default 100–400)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    las = args.las or max(1, args.schools // 20)
    sizes = (8, 40) if args.small else (100, 400)
    cells = release(pupils(args.schools, las, sizes, args.seed))
    print(f"{args.schools:,} schools in {las} LAs, {sizes[0]}–{sizes[1]} pupils each")
    print(f"cells: {len(cells):,} in {tables(cells)} tables ({cells['n'].sum():,} pupil-cells)")
    start, cpu = time.perf_counter(), time.process_time()
    out = protect(cells, DIMS, hierarchy=HIERARCHY, events=EVENT)
    protected, protected_cpu = time.perf_counter() - start, time.process_time() - cpu
    primary = out["reason"] == "primary"
    secondary = out["reason"] == "secondary"
    print(f"hidden: {primary.sum():,} primary, {secondary.sum():,} secondary "
          f"({out.loc[secondary, 'n'].sum():,} pupils' worth of secondary cells, "
          f"{out.loc[secondary, 'n'].sum() / out['n'].sum():.1%} of all)")  # fmt: skip
    start, cpu = time.perf_counter(), time.process_time()
    findings = audit(out, DIMS, hierarchy=HIERARCHY, events=EVENT)
    audited, audited_cpu = time.perf_counter() - start, time.process_time() - cpu
    info = findings.attrs
    print(f"protect: {protected:.1f} s ({protected_cpu:.1f} s CPU); audit: {audited:.1f} s "
          f"({audited_cpu:.1f} s CPU; {info['checked']:,} primary counts, "
          f"{info['solves']} LP solves, {info['components']:,} components, the largest "
          f"{info['largest_component']:,} unknowns)")  # fmt: skip
    print(f"findings: {len(findings)}")
    return 1 if len(findings) else 0


if __name__ == "__main__":
    raise SystemExit(main())
