"""The funnel plot's flag rates by simulation: ordinary schools and planted outliers.

Shared by ``bench/funnel_calibration.py`` (which prints the figures on many replications and says
what is simulated) and ``tests/analysis/test_funnel_calibration.py`` (which asserts them on fewer).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.funnel import Z95, Z998, funnel


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
