"""How often the funnel plot flags ordinary schools, and how often it finds real outliers.

Run it from the repository root (it prints figures; ``tests/analysis/test_funnel_calibration.py``
asserts them on fewer replications):

    .venv/bin/python -m bench.funnel_calibration --replications 500

Each replication draws ``--schools`` schools of 20 to 300 respondents (log-uniform), a pupil SD of
1, true school effects N(0, τ²) and each school's mean and SD from its pupils' sampling
distribution. ``--outliers`` of them (default 5) get an extra true effect of ±5 total standard
deviations, :math:`5\\sqrt{1/n + \\tau^2}`: schools that really are different. ``analysis.funnel``
then compares the means with the default target (the pupil-weighted mean) and the pooled SD.
The figures are the share of *ordinary* schools flagged outside the 99.8% and 95% limits (nominal
0.2% and 5%) and the share of planted outliers flagged outside the 99.8% limits, for the current
fit (outliers removed, DerSimonian–Laird τ²) and, for comparison, Spiegelhalter's winsorised φ.
"""

from __future__ import annotations

import argparse

from testing.funnel_simulation import rates

TAUS = (0.0, 0.15, 0.3)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replications", type=int, default=500)
    parser.add_argument("--schools", type=int, default=200)
    parser.add_argument("--outliers", type=int, default=5)
    args = parser.parse_args()
    print(f"{args.schools} schools × {args.replications} replications, {args.outliers} planted outliers each")
    print("fit          tau   ordinary flagged 99.8% (≤0.4%)   95% (≤7%)   outliers found 99.8%")
    for winsorised in (False, True):
        for tau in TAUS:
            r = rates(
                tau,
                replications=args.replications,
                schools=args.schools,
                outliers=args.outliers,
                winsorised=winsorised,
            )
            name = "winsorised" if winsorised else "outliers out"
            print(
                f"{name:<12} {tau:4.2f}   {r['flagged_998']:>22.2%}   {r['flagged_95']:>9.2%}"
                f"   {r['outliers_found']:>19.1%}"
            )


if __name__ == "__main__":
    main()
