"""Honest markers: BH over everything shown for a school, "too few pupils to tell", one row per split."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from statsmodels.stats.multitest import multipletests

import questionnaires
from analysis.aggregate import aggregate
from analysis.disproportionality import disproportionality
from analysis.gaps import gaps
from analysis.markers import (
    benchmark_estimates,
    benjamini_hochberg,
    gap_estimates,
    mark,
    meaningful_difference,
    one_row_per_split,
    risk_ratio_estimates,
)

GROUPS = {
    "fsm": (["N", "Y"], [0.76, 0.24]),
    "sen": (["N", "K", "E"], [0.83, 0.13, 0.04]),
    "gender": (["F", "M"], [0.5, 0.5]),
    "ethnicity_major": (["WHI", "ASI", "BLK", "MIX", "OTH"], [0.72, 0.11, 0.06, 0.07, 0.04]),
    "eal": (["N", "Y"], [0.8, 0.2]),
    "looked_after": (["N", "Y"], [0.99, 0.01]),
    "year_group": ([7, 8, 9, 10, 11], [0.2] * 5),
}
SCALES = [f"scale_{i}" for i in range(8)]


def pupils(schools: int, seed: int, fsm_gap: float = 0.4, school_sd: float = 0.2) -> pd.DataFrame:
    """Schools of 120–260 pupils whose groups really differ (FSM −0.4, SEN −0.3 on a pupil SD of 1)."""
    rng = np.random.default_rng(seed)
    size = rng.integers(120, 260, schools)
    frame = pd.DataFrame({"school_urn": np.repeat(np.arange(100000, 100000 + schools), size)})
    total = len(frame)
    for column, (levels, shares) in GROUPS.items():
        frame[column] = rng.choice(np.array(levels, dtype=object), total, p=shares)
    trait = rng.normal(0, 0.7, total) + np.repeat(rng.normal(0, school_sd, schools), size)
    trait -= fsm_gap * (frame["fsm"] == "Y") + 0.3 * (frame["sen"] != "N")
    for scale in SCALES:  # scales correlate about 0.5 through the pupil's trait
        frame[scale] = np.clip(3.6 + trait + rng.normal(0, 0.7, total), 1, 5)
    frame["excluded"] = (rng.random(total) < 0.05 + 0.05 * (frame["sen"] != "N")).astype(int)
    return frame


def shuffled_within_school(frame: pd.DataFrame, seed: int) -> pd.DataFrame:
    """The permutation null: each school's group labels shuffled together among its pupils."""
    rng = np.random.default_rng(seed)
    order = np.arange(len(frame))
    for rows in frame.groupby("school_urn").indices.values():
        order[rows] = rng.permutation(rows)
    out = frame.copy()
    for column in GROUPS:
        out[column] = frame[column].to_numpy()[order]
    return out


def everything_shown(frame: pd.DataFrame) -> pd.DataFrame:
    parts = []
    for group in GROUPS:
        for scale in SCALES:
            table = one_row_per_split(gaps(frame, group, scale), group, keep=["Y"])
            parts.append(gap_estimates(table, group, scale, meaningful=0.5))
        rr = one_row_per_split(
            disproportionality(frame, "excluded", group, by="school_urn"), group, keep=["Y"]
        )
        parts.append(risk_ratio_estimates(rr, group, "excluded"))
    return pd.concat(parts, ignore_index=True)


def test_under_the_permutation_null_at_most_1_school_in_20_shows_a_mark():
    marked = pd.concat(
        mark(
            everything_shown(shuffled_within_school(pupils(200, seed=seed), seed=seed + 10)), by="school_urn"
        ).assign(school_urn=lambda frame, seed=seed: frame["school_urn"] + 1000 * seed)
        for seed in (10, 11)
    )
    per_school = marked.groupby("school_urn")["marked"].any()
    plain = (marked["p_value"] < 0.05).groupby(marked["school_urn"]).sum().mean()
    assert len(per_school) == 400
    assert per_school.mean() <= 0.05
    assert plain > 3  # the unadjusted markers this replaces: several false marks in every school


def test_with_each_scale_against_the_national_average_in_the_family_the_null_rate_holds():
    # The school page marks its scales against the national average together with its gaps and
    # ratios (survey/results/summary.py). Null: no real gaps and no school differs from the country.
    marked = []
    for seed in (20, 21):
        frame = shuffled_within_school(pupils(200, seed=seed, school_sd=0.0), seed=seed + 10)
        shown = [everything_shown(frame)]
        for scale in SCALES:
            national = float(frame[scale].mean())
            by_school = aggregate(frame, "school_urn", scale)
            shown.append(benchmark_estimates(by_school, scale, national, meaningful=0.5))
        found = mark(pd.concat(shown, ignore_index=True), by="school_urn")
        marked.append(found.assign(school_urn=found["school_urn"] + 1000 * seed))
    every = pd.concat(marked)
    assert (every["kind"] == "benchmark").sum() == 400 * len(SCALES)
    assert every.groupby("school_urn")["marked"].any().mean() <= 0.05


def test_real_gaps_are_still_marked():
    marked = mark(everything_shown(pupils(40, seed=3, fsm_gap=0.8)), by="school_urn")
    fsm = marked[(marked["group"] == "fsm") & (marked["kind"] == "gap")]
    # FSM pupils score 0.8 lower on every scale: nearly every school shows it on some scale
    assert fsm.groupby("school_urn")["marked"].any().mean() > 0.8
    assert set(fsm.loc[fsm["marked"], "verdict"]) == {"lower"}


def test_two_group_splits_show_one_row():
    frame = pupils(3, seed=4)
    table = one_row_per_split(gaps(frame, "fsm", "scale_0"), "fsm", keep=["Y"])
    assert table["fsm"].tolist() == ["Y", "Y", "Y"]
    five = one_row_per_split(gaps(frame, "ethnicity_major", "scale_0"), "ethnicity_major")
    assert len(five) == 15  # five levels: every row stays
    ratios = one_row_per_split(
        disproportionality(frame, "excluded", "fsm", by="school_urn"), "fsm", keep=["Y"]
    )
    assert ratios["fsm"].tolist() == ["Y", "Y", "Y"]


def test_benjamini_hochberg_matches_statsmodels():
    p = np.random.default_rng(5).uniform(0, 0.2, 57)
    np.testing.assert_allclose(benjamini_hochberg(p), multipletests(p, method="fdr_bh")[1], atol=1e-12)


def test_too_few_pupils_is_told_apart_from_no_clear_difference():
    shown = pd.DataFrame(
        {
            "kind": "gap",
            "measure": "belonging",
            "estimate": [0.05, 0.05, 0.9],
            "ci_low": [-0.2, -0.8, 0.7],
            "ci_high": [0.3, 0.9, 1.1],
            "meaningful": 0.5,
        }
    )
    verdicts = mark(shown)["verdict"].tolist()
    assert verdicts == ["no clear difference", "too few pupils to tell", "higher"]


def test_suppressed_rows_are_not_shown_and_not_counted():
    shown = pd.DataFrame(
        {"kind": "gap", "estimate": [np.nan, -0.6], "ci_low": [np.nan, -0.9], "ci_high": [np.nan, -0.3]}
    )
    result = mark(shown)
    assert result["verdict"].tolist() == ["not shown", "lower"]
    assert np.isnan(result["q_value"].iloc[0])


def test_meaningful_difference_is_the_same_share_of_the_range_in_both_phases():
    primary = questionnaires.load("national-primary").scales["wellbeing"]
    secondary = questionnaires.load("national-secondary").scales["wellbeing"]
    low_p, high_p = primary.range
    low_s, high_s = secondary.range
    assert meaningful_difference(primary) / (high_p - low_p) == meaningful_difference(secondary) / (
        high_s - low_s
    )


@pytest.mark.parametrize(
    ("frame", "kwargs", "message"),
    [
        (pd.DataFrame({"estimate": [1.0]}), {}, "lacks columns"),
        (pd.DataFrame({"kind": ["odds"], "estimate": [1.0], "ci_low": [0], "ci_high": [2]}), {}, "kind must"),
        (
            pd.DataFrame({"kind": ["gap"], "estimate": [1.0], "ci_low": [0], "ci_high": [2]}),
            {"fdr": 5},
            "level",
        ),
        (
            pd.DataFrame(
                {"kind": ["gap"], "estimate": [1.0], "ci_low": [0], "ci_high": [2], "p_value": [2.0]}
            ),
            {},
            "within 0–1",
        ),
    ],
)
def test_bad_input_is_explained(frame, kwargs, message):
    with pytest.raises(ValueError, match=message):
        mark(frame, **kwargs)
