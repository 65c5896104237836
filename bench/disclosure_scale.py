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

import pandas as pd

from analysis.disclosure import TOTAL, audit, protect
from testing.disclosure_data import EVENT, GROUPS, pupils, release

DIMS = ["la", "school", *GROUPS, EVENT]
HIERARCHY = {"school": "la"}


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
