"""Empirical Bayes: the closed form on a hand-worked example, shrinkage by size, contextualised effects."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.shrink import contextualise, shrink


def hand_example() -> pd.DataFrame:
    return pd.DataFrame(
        {"school_urn": [1, 2, 3], "n": [10, 40, 50], "mean": [4.0, 3.0, 3.2], "sd": [1.0, 1.0, 1.0]}
    )


# Worked by hand for hand_example(): σ² = 1 (every sd is 1); grand = (40 + 120 + 160)/100 = 3.2;
# MSB = (10·0.8² + 40·0.2² + 50·0²)/2 = 4; n0 = (100 − (100 + 1600 + 2500)/100)/2 = 29;
# τ² = (4 − 1)/29 = 3/29; λ = τ²/(τ² + 1/n) = 30/59, 120/149, 150/179.
TAU2 = 3 / 29
LAMBDA = [30 / 59, 120 / 149, 150 / 179]


def test_shrink_equals_the_hand_worked_closed_form():
    result = shrink(hand_example(), "mean")

    assert result.attrs["tau2"] == pytest.approx(TAU2, abs=1e-12)
    assert result.attrs["sigma2"] == pytest.approx(1.0, abs=1e-12)
    assert result.attrs["icc"] == pytest.approx(TAU2 / (TAU2 + 1), abs=1e-12)
    assert result["grand"].tolist() == pytest.approx([3.2] * 3, abs=1e-12)
    assert result["reliability"].tolist() == pytest.approx(LAMBDA, abs=1e-12)
    expected = [3.2 + LAMBDA[0] * 0.8, 3.2 + LAMBDA[1] * -0.2, 3.2]
    assert result["shrunken"].tolist() == pytest.approx(expected, abs=1e-12)
    assert result["shrunken"].iloc[0] == pytest.approx(3.606780, abs=1e-6)
    assert result["effect"].tolist() == pytest.approx([e - 3.2 for e in expected], abs=1e-12)
    assert result["shrunken_var"].tolist() == pytest.approx(
        [3 / 59, LAMBDA[1] / 40, LAMBDA[2] / 50], abs=1e-12
    )
    assert result["shrunken_se"].iloc[0] == pytest.approx(np.sqrt(3 / 59), abs=1e-12)


def test_small_schools_shrink_more_than_large_ones():
    schools = pd.DataFrame(
        {
            "n": [12, 400, 12, 400, 60, 80, 100, 120],
            "mean": [4.5, 4.5, 2.0, 2.0, 3.3, 3.1, 3.2, 3.3],
            "sd": 0.9,
        }
    )
    result = shrink(schools, "mean")
    grand = result.attrs["grand"]
    moved = (result["mean"] - result["shrunken"]).abs()
    assert moved.iloc[0] > 5 * moved.iloc[1]
    assert moved.iloc[2] > 5 * moved.iloc[3]
    assert result["reliability"].iloc[0] < result["reliability"].iloc[1]
    # shrinking never crosses the grand mean
    assert np.all(np.sign(result["shrunken"] - grand) == np.sign(result["mean"] - grand))


def test_no_between_school_variance_shrinks_everyone_to_the_grand_mean():
    schools = pd.DataFrame({"n": [30, 40, 50], "mean": [3.0, 3.01, 2.99], "sd": 1.0})
    result = shrink(schools, "mean")
    assert result.attrs["tau2"] == 0
    assert result["shrunken"].tolist() == pytest.approx([result.attrs["grand"]] * 3)
    assert (result["shrunken_se"] == 0).all()


def test_percentages_use_the_binomial_within_variance():
    schools = pd.DataFrame({"n": [20, 50, 80], "pct_positive": [30.0, 60.0, 50.0], "suppressed": False})
    # s² = p(100 − p)·n/(n − 1): pooled = Σ n p (100 − p) / Σ (n − 1)
    sigma2 = (20 * 30 * 70 + 50 * 60 * 40 + 80 * 50 * 50) / (19 + 49 + 79)
    grand = (20 * 30 + 50 * 60 + 80 * 50) / 150
    msb = (20 * (30 - grand) ** 2 + 50 * (60 - grand) ** 2 + 80 * (50 - grand) ** 2) / 2
    n0 = (150 - (400 + 2500 + 6400) / 150) / 2
    tau2 = (msb - sigma2) / n0

    result = shrink(schools, "pct_positive")

    assert result.attrs["sigma2"] == pytest.approx(sigma2)
    assert result.attrs["tau2"] == pytest.approx(tau2)
    assert result["shrunken"].tolist() == pytest.approx(
        [grand + tau2 / (tau2 + sigma2 / n) * (y - grand) for n, y in [(20, 30), (50, 60), (80, 50)]]
    )


def test_suppressed_rows_are_left_out():
    schools = hand_example()
    schools["suppressed"] = False
    extra = pd.DataFrame(
        {"school_urn": [4], "n": [6], "mean": [np.nan], "sd": [np.nan], "suppressed": [True]}
    )
    result = shrink(pd.concat([schools, extra], ignore_index=True), "mean")
    assert result["school_urn"].tolist() == [1, 2, 3]
    assert result.attrs["tau2"] == pytest.approx(TAU2)


@pytest.mark.parametrize(
    ("frame", "measure", "message"),
    [
        (pd.DataFrame({"n": [10, 20], "mean": [1.0, 2.0]}), "mean", "has no column 'sd'"),
        (pd.DataFrame({"n": [10, 20], "sd": [1.0, 2.0]}), "mean", "has no column 'mean'"),
        (pd.DataFrame({"n": [10], "mean": [1.0], "sd": [1.0]}), "mean", "at least two institutions"),
        (
            pd.DataFrame({"n": [10, 20], "pct_positive": [10.0, 101.0]}),
            "pct_positive",
            "must lie within 0–100",
        ),
        (pd.DataFrame({"n": [-1, 20], "mean": [1.0, 2.0], "sd": 1.0}), "mean", "'n' must be positive"),
    ],
)
def test_shrink_bad_input_is_explained(frame, measure, message):
    with pytest.raises(ValueError, match=message):
        shrink(frame, measure)


def pupils(*, schools: int = 80, seed: int = 4, tau: float = 0.3, sigma: float = 0.8) -> pd.DataFrame:
    """Pupils in schools of varied size; FSM pupils score 0.5 lower and are unevenly spread."""
    rng = np.random.default_rng(seed)
    sizes = rng.integers(5, 120, size=schools)
    school = np.repeat(np.arange(100_000, 100_000 + schools), sizes)
    share = np.repeat(rng.uniform(0.05, 0.7, size=schools), sizes)
    effect = np.repeat(rng.normal(scale=tau, size=schools), sizes)
    fsm = rng.random(len(school)) < share
    score = 3.4 - 0.5 * fsm + effect + rng.normal(scale=sigma, size=len(school))
    frame = pd.DataFrame({"school_urn": school, "fsm": np.where(fsm, "Y", "N"), "belonging": score})
    frame.loc[rng.random(len(frame)) < 0.03, "fsm"] = None  # not known
    return frame


def test_raw_effects_equal_shrink_on_the_school_aggregates():
    scored = pupils()
    effects = contextualise(scored, "belonging", [])
    groups = scored.groupby("school_urn")["belonging"]
    aggregated = pd.DataFrame({"n": groups.size(), "mean": groups.mean(), "sd": groups.std()}).reset_index()

    expected = shrink(aggregated, "mean")

    assert effects["school_urn"].tolist() == expected["school_urn"].tolist()
    shown = ~effects["suppressed"]
    np.testing.assert_allclose(effects.loc[shown, "raw_effect"], expected.loc[shown, "effect"], atol=1e-10)
    np.testing.assert_allclose(effects.loc[shown, "raw_se"], expected.loc[shown, "shrunken_se"], atol=1e-10)
    assert effects.attrs["raw"]["tau2"] == pytest.approx(expected.attrs["tau2"], abs=1e-12)
    # without covariates the contextualised model is the raw one
    np.testing.assert_allclose(
        effects.loc[shown, "context_effect"], effects.loc[shown, "raw_effect"], atol=1e-12
    )


def test_contextualised_effects_follow_the_closed_form():
    scored = pupils(schools=30, seed=8)
    effects = contextualise(scored, "belonging", ["fsm"])

    # Independently: dummies for Y and the blank level, within-school OLS, moments, shrinkage.
    frame = scored.assign(
        fsm_y=(scored["fsm"] == "Y").astype(float),
        fsm_missing=scored["fsm"].isna().astype(float),
    )
    school_means = frame.groupby("school_urn")[["belonging", "fsm_y", "fsm_missing"]].transform("mean")
    within = frame[["belonging", "fsm_y", "fsm_missing"]] - school_means
    beta, *_ = np.linalg.lstsq(
        within[["fsm_y", "fsm_missing"]].to_numpy(), within["belonging"].to_numpy(), rcond=None
    )
    residual = frame["belonging"] - frame[["fsm_y", "fsm_missing"]].to_numpy() @ beta
    residual -= residual.mean()
    n = frame.groupby("school_urn").size().to_numpy()
    mean_residual = residual.groupby(frame["school_urn"]).mean().to_numpy()
    total, schools = n.sum(), len(n)
    sigma2 = np.sum((residual - residual.groupby(frame["school_urn"]).transform("mean")) ** 2) / (
        total - schools - 2
    )
    msb = np.sum(n * mean_residual**2) / (schools - 1)
    tau2 = max(0.0, (msb - sigma2) / ((total - np.sum(n**2) / total) / (schools - 1)))
    reliability = tau2 / (tau2 + sigma2 / n)

    assert list(effects.attrs["coefficients"]) == ["fsm_Y", "fsm_(missing)"]  # N is the reference
    assert list(effects.attrs["coefficients"].values()) == pytest.approx(beta.tolist(), abs=1e-10)
    assert effects.attrs["context"]["sigma2"] == pytest.approx(sigma2, abs=1e-10)
    assert effects.attrs["context"]["tau2"] == pytest.approx(tau2, abs=1e-10)
    shown = ~effects["suppressed"].to_numpy()
    np.testing.assert_allclose(
        effects["context_effect"].to_numpy()[shown], (reliability * mean_residual)[shown], atol=1e-10
    )
    np.testing.assert_allclose(
        effects["context_reliability"].to_numpy()[shown], reliability[shown], atol=1e-10
    )


def test_contextualising_removes_the_intake_gap_and_recovers_the_model():
    scored = pupils(schools=400, seed=2)
    effects = contextualise(scored, "belonging", ["fsm"])

    assert effects.attrs["coefficients"]["fsm_Y"] == pytest.approx(-0.5, abs=0.03)
    assert effects.attrs["context"]["sigma2"] == pytest.approx(0.64, rel=0.05)
    assert effects.attrs["context"]["tau2"] == pytest.approx(0.09, rel=0.3)
    # Raw effects are confounded with the school's FSM share; contextualised ones are not.
    share = scored.assign(y=scored["fsm"] == "Y").groupby("school_urn")["y"].mean().to_numpy()
    shown = ~effects["suppressed"].to_numpy()
    raw_r = np.corrcoef(share[shown], effects["raw_effect"].to_numpy()[shown])[0, 1]
    context_r = np.corrcoef(share[shown], effects["context_effect"].to_numpy()[shown])[0, 1]
    assert raw_r < -0.3
    assert abs(context_r) < 0.15


def test_contextualised_effects_are_close_to_mixedlm_blups():
    import statsmodels.formula.api as smf

    scored = pupils(schools=40, seed=6).dropna()
    effects = contextualise(scored, "belonging", ["fsm"])
    fit = smf.mixedlm("belonging ~ fsm", scored, groups=scored["school_urn"]).fit(reml=True)
    blups = pd.Series({school: values.iloc[0] for school, values in fit.random_effects.items()})

    assert effects.attrs["coefficients"]["fsm_Y"] == pytest.approx(fit.fe_params["fsm[T.Y]"], abs=0.02)
    context = effects.set_index("school_urn")["context_effect"].dropna()
    assert np.corrcoef(context, blups[context.index])[0, 1] > 0.99
    assert np.max(np.abs(context - blups[context.index])) < 0.05


def test_small_schools_are_fitted_but_not_shown():
    scored = pupils(schools=20, seed=1)
    effects = contextualise(scored, "belonging", ["fsm"])
    small = effects["n"] < 10
    assert small.any()
    assert effects.loc[small, "suppressed"].all()
    assert effects.loc[small, ["mean", "raw_effect", "context_effect", "context_se"]].isna().all().all()
    assert effects.attrs["n_pupils"] == len(scored)


def test_contextualise_bad_input_is_explained():
    scored = pupils(schools=10)
    with pytest.raises(ValueError, match="the scored frame has no column 'sen'"):
        contextualise(scored, "belonging", ["fsm", "sen"])
    with pytest.raises(ValueError, match="has no column 'school_urn'"):
        contextualise(scored.rename(columns={"school_urn": "urn"}), "belonging", ["fsm"])
    with pytest.raises(ValueError, match="column 'fsm' must hold numbers"):
        contextualise(scored, "fsm", [])
    with pytest.raises(ValueError, match="covariate 'school_urn' is also the school column"):
        contextualise(scored, "belonging", ["school_urn"])
    with pytest.raises(ValueError, match="at least two values of 'school_urn'"):
        contextualise(scored[scored["school_urn"] == 100_000], "belonging", ["fsm"])
    # a school-level characteristic cannot be separated from the school effect by the within estimator
    per_school = scored.assign(phase=np.where(scored["school_urn"] % 2 == 0, "primary", "secondary"))
    with pytest.raises(ValueError, match="covariate 'phase_secondary' does not vary within any school"):
        contextualise(per_school, "belonging", ["phase"])
