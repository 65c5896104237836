"""Reliability: alpha against pingouin, omega against the closed form, item statistics, bad input."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pandas as pd
import pingouin as pg
import pytest

import questionnaires
from analysis.reliability import reliability
from questionnaires import Catalogue, Scale

MINIMAL = Path(__file__).parents[1] / "questionnaires" / "minimal.yaml"
SECONDARY = questionnaires.load("national-secondary")
BELONGING = SECONDARY.scales["belonging"]  # 8 items on 1–5, two of them reversed


def likert(
    n: int, items: tuple[str, ...], reverse=frozenset(), *, seed: int = 1, high: int = 5
) -> pd.DataFrame:
    """Answers driven by one trait, with negatively worded items answered the other way round."""
    rng = np.random.default_rng(seed)
    trait = rng.normal(size=(n, 1))
    loadings = np.linspace(0.5, 1.2, len(items))
    raw = (high + 1) / 2 + trait * loadings + rng.normal(scale=0.9, size=(n, len(items)))
    answers = pd.DataFrame(np.clip(np.rint(raw), 1, high), columns=list(items))
    for item in reverse:
        answers[item] = high + 1 - answers[item]
    return answers


def reversed_by_hand(answers: pd.DataFrame, reverse, high: int = 5) -> pd.DataFrame:
    out = answers.copy()
    for item in reverse:
        out[item] = 1 + high - out[item]
    return out


def test_alpha_equals_pingouin_after_reverse_coding():
    answers = likert(300, BELONGING.items, BELONGING.reverse)
    expected, ci = pg.cronbach_alpha(reversed_by_hand(answers, BELONGING.reverse))

    row = reliability(answers, SECONDARY, "belonging").iloc[0]

    assert row["n"] == 300
    assert row["alpha"] == pytest.approx(expected, abs=1e-9)
    assert row["alpha_ci_low"] == pytest.approx(ci[0], abs=1e-3)
    assert row["alpha_ci_high"] == pytest.approx(ci[1], abs=1e-3)
    assert not row["suppressed"]


def test_without_reverse_coding_alpha_would_be_lower():
    """A guard that the reversal happens: alpha of the unreversed items is clearly lower."""
    answers = likert(300, BELONGING.items, BELONGING.reverse)
    unreversed, _ = pg.cronbach_alpha(answers)
    alpha = reliability(answers, SECONDARY, "belonging")["alpha"].iloc[0]
    assert alpha > unreversed + 0.1


def test_listwise_deletion_and_export_strings_match_pingouin():
    answers = likert(250, BELONGING.items, BELONGING.reverse, seed=7)
    rng = np.random.default_rng(3)
    holes = rng.random(answers.shape) < 0.05
    with_holes = answers.mask(holes)
    # As read from the CSV export without dtype hints: strings, blanks for missing answers.
    as_text = with_holes.map(lambda v: "" if pd.isna(v) else str(int(v)))
    complete = reversed_by_hand(with_holes, BELONGING.reverse).dropna()
    expected, ci = pg.cronbach_alpha(complete)

    row = reliability(as_text, SECONDARY, "belonging").iloc[0]

    assert row["n"] == len(complete) < 250
    assert row["alpha"] == pytest.approx(expected, abs=1e-9)
    assert [row["alpha_ci_low"], row["alpha_ci_high"]] == pytest.approx(list(ci), abs=1e-3)


def test_level_changes_the_feldt_interval_like_pingouin():
    answers = likert(120, BELONGING.items, BELONGING.reverse, seed=11)
    _, ci = pg.cronbach_alpha(reversed_by_hand(answers, BELONGING.reverse), ci=0.9)
    row = reliability(answers, SECONDARY, "belonging", level=0.9).iloc[0]
    assert [row["alpha_ci_low"], row["alpha_ci_high"]] == pytest.approx(list(ci), abs=1e-3)


def test_by_gives_one_row_per_group_and_suppresses_small_groups():
    answers = likert(209, BELONGING.items, BELONGING.reverse, seed=5)
    answers["year_group"] = [7] * 100 + [8] * 100 + [9] * 9

    result = reliability(answers, SECONDARY, "belonging", by="year_group")

    assert list(result.columns) == [
        "year_group",
        "n",
        "alpha",
        "alpha_ci_low",
        "alpha_ci_high",
        "omega",
        "suppressed",
    ]
    assert result["year_group"].tolist() == [7, 8, 9]
    for year in (7, 8):
        subset = reversed_by_hand(answers[answers["year_group"] == year], BELONGING.reverse)
        expected, _ = pg.cronbach_alpha(subset[list(BELONGING.items)])
        assert result.loc[result["year_group"] == year, "alpha"].item() == pytest.approx(expected, abs=1e-9)
    small = result[result["year_group"] == 9].iloc[0]
    assert small["n"] == 9 and small["suppressed"]
    assert small[["alpha", "alpha_ci_low", "alpha_ci_high", "omega"]].isna().all()


def exact_one_factor(loadings: np.ndarray, n: int = 400, *, sds=None, seed: int = 2) -> np.ndarray:
    """Data whose sample correlation matrix is exactly λλᵀ + diag(1 − λ²)."""
    k = len(loadings)
    corr = np.outer(loadings, loadings)
    np.fill_diagonal(corr, 1.0)
    z = np.random.default_rng(seed).normal(size=(n, k))
    z -= z.mean(axis=0)
    z = z @ np.linalg.inv(np.linalg.cholesky(np.cov(z, rowvar=False))).T  # sample covariance = I
    x = z @ np.linalg.cholesky(corr).T
    x *= np.ones(k) if sds is None else np.asarray(sds)
    return 3 + 1.9 * x / np.abs(x).max()  # inside the 1–5 answer range


def test_omega_equals_closed_form_for_an_exact_one_factor_structure():
    loadings = np.array([0.8, 0.7, 0.6, 0.5, 0.4, 0.75, 0.65, 0.55])
    x = exact_one_factor(loadings, sds=[1, 2, 0.5, 1, 1.5, 1, 0.8, 1.2])
    answers = pd.DataFrame(x, columns=list(BELONGING.items))
    answers = reversed_by_hand(answers, BELONGING.reverse)  # reverse_code undoes this
    expected = loadings.sum() ** 2 / (loadings.sum() ** 2 + np.sum(1 - loadings**2))

    omega = reliability(answers, SECONDARY, "belonging")["omega"].iloc[0]

    assert omega == pytest.approx(expected, abs=1e-9)


def test_omega_equals_standardised_alpha_when_loadings_are_equal():
    loadings = np.full(8, 0.6)
    answers = pd.DataFrame(exact_one_factor(loadings), columns=list(BELONGING.items))
    answers = reversed_by_hand(answers, BELONGING.reverse)
    k, r = 8, 0.36
    standardised_alpha = k * r / (1 + (k - 1) * r)
    assert reliability(answers, SECONDARY, "belonging")["omega"].iloc[0] == pytest.approx(
        standardised_alpha, abs=1e-9
    )


def test_item_statistics():
    answers = likert(200, BELONGING.items, BELONGING.reverse, seed=9)
    coded = reversed_by_hand(answers, BELONGING.reverse)

    items = reliability(answers, SECONDARY, "belonging", items=True)

    assert items["item"].tolist() == list(BELONGING.items)
    assert items["reversed"].tolist() == [item in BELONGING.reverse for item in BELONGING.items]
    for _, row in items.iterrows():
        rest = coded.drop(columns=row["item"])
        assert row["item_total_r"] == pytest.approx(
            np.corrcoef(coded[row["item"]], rest.sum(axis=1))[0, 1], abs=1e-12
        )
        assert row["alpha_if_deleted"] == pytest.approx(pg.cronbach_alpha(rest)[0], abs=1e-9)
        assert row["mean"] == pytest.approx(coded[row["item"]].mean())
    # a reversed item correlates positively with the rest once reversed
    assert (items["item_total_r"] > 0).all()


def test_item_statistics_by_group_are_suppressed_for_small_groups():
    answers = likert(60, BELONGING.items, BELONGING.reverse)
    answers["gender"] = ["F"] * 52 + ["M"] * 8
    items = reliability(answers, SECONDARY, "belonging", by="gender", items=True)
    assert len(items) == 16
    assert items.loc[items["gender"] == "M", "suppressed"].all()
    assert items.loc[items["gender"] == "M", "item_total_r"].isna().all()


def test_four_item_scale_with_a_reversed_item():
    minimal = questionnaires.load(MINIMAL)
    scale = minimal.scales["belonging"]
    answers = likert(80, scale.items, scale.reverse, high=4, seed=4)
    expected, _ = pg.cronbach_alpha(reversed_by_hand(answers, scale.reverse, high=4))
    assert reliability(answers, minimal, "belonging")["alpha"].iloc[0] == pytest.approx(expected, abs=1e-9)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            lambda a: a.drop(columns="belong_liked"),
            "the responses (scale 'belonging') has no column 'belong_liked'",
        ),
        (
            lambda a: a.assign(belong_part="2;5"),
            "column 'belong_part' (scale 'belonging') holds a value that is not a number",
        ),
        (
            lambda a: a.assign(belong_cared=7),
            "column 'belong_cared' (scale 'belonging') holds 7, outside the answer range 1–5",
        ),
        (
            lambda a: a.head(9),
            "scale 'belonging' has 9 complete responses (every item answered); reliability needs at least 10",
        ),
    ],
)
def test_bad_responses_are_explained(change, message):
    answers = likert(50, BELONGING.items, BELONGING.reverse)
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        reliability(change(answers), SECONDARY, "belonging")


def test_unknown_scale_missing_by_and_bad_level_are_explained():
    answers = likert(50, BELONGING.items, BELONGING.reverse)
    with pytest.raises(ValueError, match="national-secondary has no scale 'belong'"):
        reliability(answers, SECONDARY, "belong")
    with pytest.raises(ValueError, match="has no column 'year_group'"):
        reliability(answers, SECONDARY, "belonging", by="year_group")
    with pytest.raises(ValueError, match="level must be between 0 and 1"):
        reliability(answers, SECONDARY, "belonging", level=95)
    with pytest.raises(ValueError, match="min_n must be at least 10"):
        reliability(answers, SECONDARY, "belonging", min_n=5)
    with pytest.raises(TypeError, match="responses must be a pandas DataFrame"):
        reliability(answers.to_numpy(), SECONDARY, "belonging")


def test_a_one_item_scale_is_refused():
    single = Scale("single", BELONGING.title, ("belong_part",), frozenset(), 1, 4, (1, 5))
    questionnaire = dataclasses.replace(SECONDARY, scales=Catalogue([single]))
    answers = likert(50, BELONGING.items)
    with pytest.raises(ValueError, match="scale 'single' has 1 item; reliability needs at least two"):
        reliability(answers, questionnaire, "single")
