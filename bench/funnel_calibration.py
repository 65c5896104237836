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

import numpy as np
import pandas as pd

from analysis.funnel import Z95, Z998, funnel

TAUS = (0.0, 0.15, 0.3)


def simulate(tau: float, *, schools: int = 200, outliers: int = 5, rng: np.random.Generator) -> pd.DataFrame:
    """One country's school means: ``n``, ``mean``, ``sd`` and ``planted`` (a real outlier)."""
    n = np.round(np.exp(rng.uniform(np.log(20), np.log(300), schools))).astype(int)
    effect = rng.normal(0, tau, schools)
    planted = np.zeros(schools, dtype=bool)
    planted[:outliers] = True
    effect[:outliers] += rng.choice([-5, 5], outliers) * np.sqrt(1 / n[:outliers] + tau**2)
    mean = 3.5 + effect + rng.normal(0, 1, schools) / np.sqrt(n)
    sd = np.sqrt(rng.chisquare(n - 1) / (n - 1))
    return pd.DataFrame({"n": n, "mean": mean, "sd": sd, "planted": planted})


def rates(
    tau: float,
    *,
    replications: int,
    schools: int = 200,
    outliers: int = 5,
    seed: int = 15,
    winsorised: bool = False,
) -> dict[str, float]:
    """Flag rates over ``replications`` simulated countries (see the module docstring)."""
    rng = np.random.default_rng(seed)
    ordinary998 = ordinary95 = ordinary = found = planted = 0
    for _ in range(replications):
        data = simulate(tau, schools=schools, outliers=outliers, rng=rng)
        result = _winsorised(data) if winsorised else funnel(data, "mean")
        normal = ~result["planted"].to_numpy()
        ordinary += normal.sum()
        ordinary998 += (result["flag"].to_numpy()[normal] != "within").sum()
        ordinary95 += (result["flag95"].to_numpy()[normal] != "within").sum()
        planted += (~normal).sum()
        found += (result["flag"].to_numpy()[~normal] != "within").sum()
    return {
        "tau": tau,
        "flagged_998": ordinary998 / ordinary,
        "flagged_95": ordinary95 / ordinary,
        "outliers_found": found / planted if planted else float("nan"),
    }


def _winsorised(data: pd.DataFrame) -> pd.DataFrame:
    """The old fit, for comparison: τ² from φ of z-scores winsorised at the 10th/90th percentiles."""
    n, y = data["n"].to_numpy(float), data["mean"].to_numpy()
    target = np.sum(n * y) / n.sum()
    sigma = np.sqrt(np.sum((n - 1) * data["sd"] ** 2) / np.sum(n - 1))
    se = sigma / np.sqrt(n)
    z = (y - target) / se
    low, high = np.percentile(z, [10, 90])
    phi = np.mean(np.clip(z, low, high) ** 2)
    w = 1 / se**2
    tau2 = max(0.0, (len(z) * phi - (len(z) - 1)) / (w.sum() - np.sum(w**2) / w.sum()))
    spread = np.sqrt(se**2 + tau2)
    out = data.copy()
    out["flag"] = np.where(np.abs(y - target) > Z998 * spread, "out", "within")
    out["flag95"] = np.where(np.abs(y - target) > Z95 * spread, "out", "within")
    return out


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
