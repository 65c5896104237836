"""Funnel plots: limits against hand-worked numbers, overdispersion fits, flags for planted outliers."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from analysis.funnel import funnel

Z95 = 1.959963984540054
Z998 = 3.090232306167813


def hand_example() -> pd.DataFrame:
    """Five schools, σ = 2 and target 3: s = 2/√n = 1, 0.5, 0.4, 0.2, 0.1 and z = −2, 1, 0, 3, −1."""
    return pd.DataFrame(
        {
            "school_urn": [11, 12, 13, 14, 15],
            "n": [4, 16, 25, 100, 400],
            "mean": [1.0, 3.5, 3.0, 3.6, 2.9],
            "sd": [2.0] * 5,
            "suppressed": False,
        }
    )


# Worked by hand for hand_example(): z = −2, 1, 0, 3, −1.
# The fit starts from Spiegelhalter's winsorised φ = 1.88 (10th/90th percentiles −1.6 and 2.2), whose
# 99.8% limits keep all five schools (the largest |z_adjusted| is 3·0.2/√(0.04 + 0.093) = 1.64), so φ
# is re-estimated from all five: Σz² = 4 + 1 + 0 + 9 + 1 = 15, divided by 5κ, where κ = 0.97915 is the
# variance of a standard normal cut at ±3.090 (the fit leaves out schools beyond it).
# w = 1/s² = 1, 4, 6.25, 25, 100: Σw = 136.25, Σw² = 10681.0625; τ² = (5φ − 4) / (Σw − Σw²/Σw).
KAPPA = 1 - 2 * Z998 * stats.norm.pdf(Z998) / (2 * stats.norm.cdf(Z998) - 1)
PHI = 15 / (5 * KAPPA)
TAU2 = (5 * PHI - 4) / (136.25 - 10681.0625 / 136.25)
SE = np.array([1.0, 0.5, 0.4, 0.2, 0.1])


def test_hand_worked_additive_limits():
    result = funnel(hand_example(), "mean", target=3.0, sigma=2.0)

    assert pytest.approx(0.979148, abs=1e-6) == KAPPA
    assert pytest.approx(0.1956455, abs=1e-6) == TAU2  # the hand arithmetic above
    assert result["phi"].iloc[0] == pytest.approx(PHI, abs=1e-12)
    assert result["tau2"].iloc[0] == pytest.approx(TAU2, abs=1e-12)
    assert result.attrs["tau2"] == pytest.approx(TAU2, abs=1e-12)
    assert result["z"].tolist() == pytest.approx([-2, 1, 0, 3, -1], abs=1e-12)
    assert result["se"].tolist() == pytest.approx(SE.tolist(), abs=1e-12)
    spread = np.sqrt(SE**2 + TAU2)
    np.testing.assert_allclose(result["lower95"], 3 - Z95 * spread, atol=1e-12)
    np.testing.assert_allclose(result["upper95"], 3 + Z95 * spread, atol=1e-12)
    np.testing.assert_allclose(result["lower998"], 3 - Z998 * spread, atol=1e-12)
    np.testing.assert_allclose(result["upper998"], 3 + Z998 * spread, atol=1e-12)
    # the first school: 3 − 1.96·√(1 + 0.1956) = 0.85687…
    assert result["lower95"].iloc[0] == pytest.approx(0.856866, abs=1e-6)
    # τ² widens even the largest school's limits: 3.6 < 3 + 1.96·√(0.04 + 0.1956) = 3.951
    assert result["flag95"].tolist() == ["within"] * 5
    assert result["flag"].tolist() == ["within"] * 5


def test_hand_worked_multiplicative_limits():
    result = funnel(hand_example(), "mean", target=3.0, sigma=2.0, overdispersion="multiplicative")

    spread = math.sqrt(PHI) * SE
    np.testing.assert_allclose(result["lower95"], 3 - Z95 * spread, atol=1e-12)
    np.testing.assert_allclose(result["upper998"], 3 + Z998 * spread, atol=1e-12)
    # the fourth school: 3 + 1.96·√3.0639·0.2 = 3.68614…, above its mean of 3.6
    assert result["upper95"].iloc[3] == pytest.approx(3 + Z95 * math.sqrt(PHI) * 0.2, abs=1e-12)
    assert result["upper95"].iloc[3] == pytest.approx(3.686143, abs=1e-6)
    assert result["flag95"].iloc[3] == "within"
    assert result["phi"].iloc[0] == pytest.approx(PHI)
    assert result["tau2"].iloc[0] == 0
    assert result["z_adjusted"].tolist() == pytest.approx((result["z"] / math.sqrt(PHI)).tolist())


def test_plain_limits_without_overdispersion():
    result = funnel(hand_example(), "mean", target=3.0, sigma=2.0, overdispersion=None)
    np.testing.assert_allclose(result["lower998"], 3 - Z998 * SE, atol=1e-12)
    np.testing.assert_allclose(result["upper95"], 3 + Z95 * SE, atol=1e-12)
    # plain limits catch the fourth (z = 3 > 1.96) but not at 99.8% (3 < 3.09)
    assert result["flag95"].tolist() == ["below", "within", "within", "above", "within"]
    assert result["flag"].tolist() == ["within"] * 5
    assert (result["phi"].iloc[0], result["tau2"].iloc[0]) == (1.0, 0.0)


def test_default_target_is_the_pupil_weighted_mean_and_sigma_is_pooled():
    schools = pd.DataFrame({"n": [10, 20, 30], "mean": [3.0, 4.0, 3.5], "sd": [1.0, 2.0, 1.5]})
    target = (10 * 3.0 + 20 * 4.0 + 30 * 3.5) / 60  # 3.58333…
    sigma = math.sqrt((9 * 1.0 + 19 * 4.0 + 29 * 2.25) / 57)  # √(150.25/57) = 1.62357…

    result = funnel(schools, "mean", overdispersion=None)

    assert result.attrs["target"] == pytest.approx(target)
    assert result.attrs["sigma"] == pytest.approx(sigma)
    assert result["z"].tolist() == pytest.approx(
        [(y - target) / (sigma / math.sqrt(n)) for y, n in [(3.0, 10), (4.0, 20), (3.5, 30)]]
    )


def test_proportion_limits_use_the_binomial_standard_error_in_percent():
    schools = pd.DataFrame(
        {"n": [50, 100, 200, 400], "pct_positive": [40.0, 50.0, 55.0, 45.0], "suppressed": False}
    )
    # target = (50·40 + 100·50 + 200·55 + 400·45) / 750 = 36000 / 750 = 48
    se = 100 * np.sqrt(0.48 * 0.52 / np.array([50, 100, 200, 400]))

    result = funnel(schools, "pct_positive", overdispersion=None)

    assert result["target"].iloc[0] == pytest.approx(48.0)
    assert result["se"].iloc[0] == pytest.approx(7.0654086, abs=1e-6)
    np.testing.assert_allclose(result["lower95"], 48 - Z95 * se, atol=1e-10)
    np.testing.assert_allclose(result["upper998"], 48 + Z998 * se, atol=1e-10)
    assert result["flag95"].tolist() == ["within", "within", "above", "within"]


def test_percentage_limits_stay_within_0_and_100():
    schools = pd.DataFrame({"n": [10, 12, 400], "pct_positive": [90.0, 100.0, 97.0]})
    result = funnel(schools, "pct_positive", overdispersion=None)
    assert (result["upper998"] <= 100).all()
    assert result["upper998"].iloc[0] == 100


def planted(seed: int = 3) -> pd.DataFrame:
    """Forty schools around 3.5 with some real variation, one far above and one far below."""
    rng = np.random.default_rng(seed)
    n = rng.integers(30, 300, size=40)
    mean = 3.5 + rng.normal(scale=0.05, size=40) + rng.normal(size=40) * 0.9 / np.sqrt(n)
    mean[5] = 4.1  # a large school well above
    mean[17] = 2.6  # and one well below
    n[5], n[17] = 250, 60
    return pd.DataFrame(
        {"school_urn": range(1000, 1040), "n": n, "mean": mean, "sd": 0.9, "suppressed": False}
    )


@pytest.mark.parametrize("overdispersion", ["additive", "multiplicative", None])
def test_planted_outliers_are_flagged(overdispersion):
    result = funnel(planted(), "mean", overdispersion=overdispersion)
    flagged = result[result["flag"] != "within"]
    assert flagged["school_urn"].tolist() == [1005, 1017]
    assert flagged["flag"].tolist() == ["above", "below"]
    assert (result.loc[result["flag"] == "above", "z"] > 0).all()


def test_overdispersion_widens_limits_and_the_outliers_are_left_out_of_the_fit():
    plain = funnel(planted(), "mean", overdispersion=None)
    additive = funnel(planted(), "mean")
    assert (additive["upper998"] - additive["lower998"] > plain["upper998"] - plain["lower998"]).all()
    raw_phi = np.mean(plain["z"] ** 2)
    assert 1 < additive.attrs["phi"] < raw_phi
    assert additive.loc[~additive["in_fit"], "school_urn"].tolist() == [1005, 1017]
    assert additive.attrs["n_in_fit"] == 38


def test_under_dispersion_leaves_multiplicative_limits_plain():
    schools = pd.DataFrame({"n": [50, 60, 70, 80, 90], "mean": [3.0, 3.01, 2.99, 3.0, 3.005], "sd": 1.0})
    multiplicative = funnel(schools, "mean", overdispersion="multiplicative")
    additive = funnel(schools, "mean")
    plain = funnel(schools, "mean", overdispersion=None)
    assert multiplicative.attrs["phi"] < 1
    assert additive.attrs["tau2"] == 0
    pd.testing.assert_series_equal(multiplicative["upper998"], plain["upper998"])
    pd.testing.assert_series_equal(additive["upper998"], plain["upper998"])


def test_suppressed_and_missing_rows_are_left_out_and_the_index_kept():
    schools = hand_example()
    schools.loc[1, "suppressed"] = True
    schools.loc[1, ["mean", "sd"]] = np.nan
    schools.index = ["a", "b", "c", "d", "e"]
    result = funnel(schools, "mean", target=3.0, sigma=2.0)
    assert result.index.tolist() == ["a", "c", "d", "e"]
    assert {"school_urn", "n", "mean", "sd", "suppressed"} <= set(result.columns)


@pytest.mark.parametrize(
    ("frame", "kwargs", "message"),
    [
        (pd.DataFrame({"n": [10, 20], "mean": [1.0, 2.0]}), {}, "has no column 'sd'"),
        (pd.DataFrame({"n": [10, 20], "sd": [1.0, 2.0]}), {}, "has no column 'mean'"),
        (pd.DataFrame({"mean": [1.0, 2.0], "sd": [1.0, 1.0]}), {}, "has no column 'n'"),
        (
            pd.DataFrame({"n": [10, 20], "mean": [1.0, 2.0], "sd": 1.0}),
            {"overdispersion": "mult"},
            "overdispersion must be",
        ),
        (
            pd.DataFrame({"n": [10, 20], "pct_positive": [0.4, 120.0]}),
            {},
            "percentage and must lie within 0–100",
        ),
        (pd.DataFrame({"n": [10, 20], "pct_positive": [0.0, 0.0]}), {}, "strictly between 0 and 100"),
        (pd.DataFrame({"n": [10], "mean": [1.0], "sd": 1.0}), {}, "at least two institutions"),
        (
            pd.DataFrame({"n": [10, 20], "mean": [1.0, 2.0], "sd": 1.0, "suppressed": True}),
            {},
            "no institution has a 'mean'",
        ),
        (pd.DataFrame({"n": [0, 20], "mean": [1.0, 2.0], "sd": 1.0}), {}, "'n' must be positive"),
    ],
)
def test_bad_input_is_explained(frame, kwargs, message):
    with pytest.raises(ValueError, match=message):
        funnel(frame, kwargs.pop("measure", "pct_positive" if "pct_positive" in frame else "mean"), **kwargs)
