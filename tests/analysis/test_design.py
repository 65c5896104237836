"""Cluster-robust national and area figures (against statsmodels) and raking to the roster."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from analysis.design import clustered_gap, clustered_mean, clustered_mean_of_clusters, rake
from analysis.weights import design_effect


def pupils(schools: int = 50, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    size = rng.integers(20, 80, schools)
    school = np.repeat(np.arange(100000, 100000 + schools), size)
    total = len(school)
    fsm = np.where(rng.random(total) < np.repeat(rng.uniform(0.05, 0.5, schools), size), "Y", "N")
    effect = np.repeat(rng.normal(0, 0.3, schools), size)
    frame = pd.DataFrame(
        {
            "school_urn": school,
            "la_code": school % 3,
            "fsm": fsm,
            "year_group": rng.integers(7, 10, total),
            "gender": rng.choice(["F", "M"], total),
            "belonging": 3.5 + effect - 0.3 * (fsm == "Y") + rng.normal(0, 0.9, total),
            "weight": rng.uniform(0.5, 2.5, total),
        }
    )
    return frame


def statsmodels_fit(frame: pd.DataFrame, x: np.ndarray, weight: str | None):
    weights = frame[weight] if weight else np.ones(len(frame))
    return sm.WLS(frame["belonging"], x, weights=weights).fit(
        cov_type="cluster", cov_kwds={"groups": pd.factorize(frame["school_urn"])[0]}
    )


@pytest.mark.parametrize("weight", [None, "weight"])
def test_clustered_mean_matches_statsmodels(weight):
    frame = pupils()
    row = clustered_mean(frame, "belonging", weight=weight).iloc[0]
    fit = statsmodels_fit(frame, np.ones((len(frame), 1)), weight)
    assert row["mean"] == pytest.approx(fit.params.iloc[0], rel=1e-12)
    assert row["se"] == pytest.approx(fit.bse.iloc[0], rel=1e-10)
    assert row["clusters"] == 50
    assert row["deff"] > 1.5  # pupils in a school answer alike: the naive SE is far too small


def test_an_areas_clustered_mean_follows_from_its_schools_figures_alone():
    frame = pupils()
    by_school = frame.groupby("school_urn")["belonging"]
    m2 = by_school.agg(lambda v: float(((v - v.mean()) ** 2).sum()))
    found = clustered_mean_of_clusters(by_school.count(), by_school.mean(), m2)
    fit = statsmodels_fit(frame, np.ones((len(frame), 1)), None)
    assert found["mean"] == pytest.approx(fit.params.iloc[0], rel=1e-12)
    assert found["se"] == pytest.approx(fit.bse.iloc[0], rel=1e-10)
    assert found["deff"] == pytest.approx(clustered_mean(frame, "belonging").iloc[0]["deff"], rel=1e-10)
    with pytest.raises(ValueError, match="same length"):
        clustered_mean_of_clusters([10, 20], [3.0], [1.0, 2.0])


@pytest.mark.parametrize("weight", [None, "weight"])
def test_clustered_gap_matches_statsmodels_by_area(weight):
    frame = pupils(60, seed=2)
    table = clustered_gap(frame, "fsm", "belonging", by="la_code", weight=weight, reference="N")
    assert len(table) == 3
    for _, row in table.iterrows():
        area = frame[frame["la_code"] == row["la_code"]]
        x = np.column_stack([np.ones(len(area)), (area["fsm"] == "Y").to_numpy(float)])
        fit = statsmodels_fit(area, x, weight)
        assert row["gap"] == pytest.approx(fit.params.iloc[1], rel=1e-10)
        assert row["se"] == pytest.approx(fit.bse.iloc[1], rel=1e-10)
        assert row["ci_low"] < row["gap"] < row["ci_high"]


def test_gap_against_the_rest_gives_each_level_a_row():
    table = clustered_gap(pupils(), "fsm", "belonging")
    assert table["fsm"].tolist() == ["N", "Y"]
    assert table["gap"].iloc[0] == pytest.approx(-table["gap"].iloc[1], rel=1e-12)
    assert table["comparison"].tolist() == ["rest", "rest"]


def test_cluster_robust_intervals_cover_the_national_gap():
    """The pupil-level interval covered the true gap 82.5% of the time; the clustered one ≈ 95%."""
    covered = naive = 0
    for seed in range(60):
        rng = np.random.default_rng(seed)
        school = np.repeat(np.arange(40), 50)
        # the FSM gap itself varies between schools: that is what makes the naive interval too narrow
        fsm = rng.random(2000) < 0.3
        gap = -0.3 + rng.normal(0, 0.25, 40)[school]
        y = 3.5 + rng.normal(0, 0.3, 40)[school] + gap * fsm + rng.normal(0, 0.9, 2000)
        frame = pd.DataFrame({"school_urn": school, "fsm": np.where(fsm, "Y", "N"), "belonging": y})
        row = clustered_gap(frame, "fsm", "belonging", reference="N").iloc[0]
        covered += row["ci_low"] <= -0.3 <= row["ci_high"]
        naive += abs(row["gap"] + 0.3) <= 1.96 * row["se_srs"]
    assert covered / 60 >= 0.88
    assert naive < covered


def roster_for(frame: pd.DataFrame, seed: int = 3) -> pd.DataFrame:
    """Each school's roll: its respondents plus non-respondents who are more often FSM and boys."""
    rng = np.random.default_rng(seed)
    extra = frame.sample(frac=0.6, random_state=seed).copy()
    has_fsm = extra["school_urn"].isin(
        frame.loc[frame["fsm"] == "Y", "school_urn"]
    )  # raking needs a respondent
    extra["fsm"] = np.where((rng.random(len(extra)) < 0.5) & has_fsm, "Y", extra["fsm"])
    extra["gender"] = np.where(rng.random(len(extra)) < 0.3, "M", extra["gender"])
    return pd.concat([frame, extra])[["school_urn", "year_group", "gender", "fsm"]]


def test_raked_weights_reproduce_every_roster_margin_in_every_school():
    frame = pupils()
    roster = roster_for(frame)
    margins = ["year_group", "gender", "fsm"]
    weighted = rake(frame, roster, margins)
    assert weighted.index.equals(frame.index)
    assert weighted["weight"].notna().all() and (weighted["weight"] > 0).all()
    data = frame.drop(columns="weight").join(weighted[["weight"]])
    for margin in margins:
        got = data.groupby(["school_urn", margin])["weight"].sum()
        want = roster.groupby(["school_urn", margin]).size().astype(float)
        pd.testing.assert_series_equal(got, want, check_names=False, rtol=1e-7)
    effect = design_effect(weighted, by="school_urn")
    assert (effect["deff"] >= 1).all()
    assert (
        effect["response_rate"]
        .round(6)
        .eq((frame.groupby("school_urn").size() / roster.groupby("school_urn").size()).round(6).to_numpy())
        .all()
    )


def test_rake_with_counts_and_nationally():
    frame = pupils(10)
    roster = roster_for(frame).value_counts().rename("pupils").reset_index()
    weighted = rake(frame, roster, ["gender", "fsm"], school=None, count="pupils")
    data = frame.drop(columns="weight").join(weighted)
    assert data.groupby("fsm")["weight"].sum().to_dict() == pytest.approx(
        roster.groupby("fsm")["pupils"].sum().astype(float).to_dict()
    )


def test_a_margin_with_no_respondents_is_reported_not_guessed():
    frame = pupils(3)
    roster = roster_for(frame)
    roster.loc[roster["school_urn"] == 100001, "gender"] = "X"  # a level no respondent has
    with pytest.warns(UserWarning, match="100001 .gender = X has pupils on roll but no respondents"):
        weighted = rake(frame, roster, ["gender", "fsm"])
    assert weighted.loc[frame["school_urn"] == 100001, "weight"].isna().all()
    assert weighted.loc[frame["school_urn"] != 100001, "weight"].notna().all()


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda f: clustered_mean(f, "nope"), "no column 'nope'"),
        (lambda f: clustered_mean(f, "belonging", level=2), "level"),
        (lambda f: clustered_gap(f, "fsm", "belonging", reference="Q"), "not a level"),
        (lambda f: rake(f, f, []), "at least one"),
        (lambda f: rake(f, f, ["school_urn"]), "cannot also be a margin"),
    ],
)
def test_bad_input_is_explained(call, message):
    with pytest.raises(ValueError, match=message):
        call(pupils(5))
