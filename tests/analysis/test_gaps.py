"""Tests for `analysis.gaps.gaps`: Welch gaps against scipy, suppression, and planted gaps recovered."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from scipy import stats

from analysis.gaps import STATISTICS, gaps
from analysis.scores import score

from .simulate import simulate

NAN = np.nan


def pupils(cells: dict[tuple, int], seed: int = 0, shift: dict | None = None) -> pd.DataFrame:
    """One row per pupil: `cells` maps (school_urn, level) to a count; `shift` moves a level's mean."""
    rng = np.random.default_rng(seed)
    frames = [
        pd.DataFrame(
            {
                "school_urn": school,
                "sen": [level] * count,
                "belonging": rng.normal(3.6 + (shift or {}).get(level, 0.0), 0.8, count),
            }
        )
        for (school, level), count in cells.items()
    ]
    return pd.concat(frames, ignore_index=True)


def welch(a: np.ndarray, b: np.ndarray, level: float = 0.95) -> dict:
    """The reference computation: scipy's Welch t-test."""
    result = stats.ttest_ind(a, b, equal_var=False)
    interval = result.confidence_interval(level)
    gap = a.mean() - b.mean()
    return {"gap": gap, "se": gap / result.statistic, "df": result.df, "ci": (interval.low, interval.high)}


def test_gap_equals_scipys_welch_test():
    scored = pupils({(1, "N"): 60, (1, "K"): 25, (1, "E"): 14, (2, "N"): 40, (2, "K"): 30}, shift={"K": -0.4})
    scored.loc[::7, "belonging"] = NAN  # pupils without a score are left out
    for level in (0.95, 0.8):
        table = gaps(scored, "sen", "belonging", level=level)
        assert table[["school_urn", "sen"]].values.tolist() == [
            [1, "E"], [1, "K"], [1, "N"], [2, "K"], [2, "N"]
        ]  # fmt: skip
        for row in table.itertuples():
            school = scored[(scored["school_urn"] == row.school_urn)].dropna(subset=["belonging"])
            group = school.loc[school["sen"] == row.sen, "belonging"].to_numpy()
            rest = school.loc[school["sen"] != row.sen, "belonging"].to_numpy()
            expected = welch(group, rest, level)
            assert (row.n, row.comparison_n) == (len(group), len(rest))
            assert (row.mean, row.comparison_mean) == pytest.approx((group.mean(), rest.mean()), rel=1e-12)
            assert row.gap == pytest.approx(expected["gap"], rel=1e-10)
            assert row.se == pytest.approx(expected["se"], rel=1e-10)
            assert row.df == pytest.approx(expected["df"], rel=1e-10)
            assert (row.ci_low, row.ci_high) == pytest.approx(expected["ci"], rel=1e-10)
            assert row.significant == (row.ci_low > 0 or row.ci_high < 0)
            assert row.comparison == "rest"


def test_national_gap_is_the_same_computation_over_all_rows():
    scored = pupils({(1, "N"): 60, (1, "K"): 25, (2, "N"): 40, (2, "K"): 30, (3, "N"): 12}, shift={"K": -0.5})
    table = gaps(scored, "sen", "belonging")
    national = gaps(scored, "sen", "belonging", by=None)
    assert list(national.columns) == [
        "sen",
        "comparison",
        *STATISTICS,
        "significant",
        "suppressed",
        "suppressed_reason",
    ]
    k = scored.loc[scored["sen"] == "K", "belonging"].to_numpy()
    n = scored.loc[scored["sen"] == "N", "belonging"].to_numpy()
    expected = welch(k, n)
    row = national.set_index("sen").loc["K"]
    assert row["gap"] == pytest.approx(expected["gap"], rel=1e-10)
    assert (row["ci_low"], row["ci_high"]) == pytest.approx(expected["ci"], rel=1e-10)
    assert bool(row["significant"])
    for level, side in table.groupby("sen"):
        line = national.set_index("sen").loc[level]
        assert (side["national_gap"] == line["gap"]).all()
        assert (side["national_ci_low"] == line["ci_low"]).all()
        assert (side["national_ci_high"] == line["ci_high"]).all()


def test_reference_level_instead_of_the_rest():
    scored = pupils({(1, "N"): 60, (1, "K"): 25, (1, "E"): 15, (2, "K"): 30, (2, "E"): 30}, shift={"E": -0.6})
    table = gaps(scored, "sen", "belonging", reference="N")
    # The reference gets no row; school 2 has no N pupils, so nothing to compare with there.
    assert table[["school_urn", "sen"]].values.tolist() == [[1, "E"], [1, "K"], [2, "E"], [2, "K"]]
    assert (table["comparison"] == "N").all()
    school = scored[scored["school_urn"] == 1]
    e, n = (school.loc[school["sen"] == v, "belonging"].to_numpy() for v in ("E", "N"))
    row = table.iloc[0]
    assert (row["n"], row["comparison_n"]) == (15, 60)
    assert row["gap"] == pytest.approx(welch(e, n)["gap"], rel=1e-10)
    assert (row["ci_low"], row["ci_high"]) == pytest.approx(welch(e, n)["ci"], rel=1e-10)
    assert table.loc[2:, "suppressed_reason"].tolist() == ["primary", "primary"]
    everyone_e = scored.loc[scored["sen"] == "E", "belonging"].to_numpy()
    everyone_n = scored.loc[scored["sen"] == "N", "belonging"].to_numpy()
    assert row["national_gap"] == pytest.approx(welch(everyone_e, everyone_n)["gap"], rel=1e-10)


def test_missing_values_are_a_level_and_part_of_the_rest():
    scored = pupils({(1, "N"): 30, (1, None): 20, (1, "K"): 25})
    table = gaps(scored, "sen", "belonging")
    assert table["n"].tolist() == [25, 30, 20]  # K, N, then the missing level last
    assert pd.isna(table["sen"].iloc[2])
    assert table["comparison_n"].tolist() == [50, 45, 55]
    assert table["national_gap"].notna().all()


def test_suppression():
    scored = pupils(
        {
            (1, "N"): 60, (1, "K"): 25, (1, "E"): 6,  # E is small: K goes too, or E = school − N − K;
            # N stays, its comparison (K and E together, 31 pupils) large enough
            (2, "N"): 60, (2, "K"): 5,  # K is small, and so is N's comparison
            (3, "N"): 60, (3, "K"): 25,  # nothing small
            (4, "N"): 60, (4, "E"): 20,  # nothing small, and nationally E has 26 pupils
        }
    )  # fmt: skip
    table = gaps(scored, "sen", "belonging").set_index(["school_urn", "sen"])
    assert table["suppressed_reason"].fillna("shown").to_dict() == {
        (1, "E"): "primary", (1, "K"): "complementary", (1, "N"): "shown",
        (2, "K"): "primary", (2, "N"): "primary",
        (3, "K"): "shown", (3, "N"): "shown",
        (4, "E"): "shown", (4, "N"): "shown",
    }  # fmt: skip
    hidden = table[table["suppressed"]]
    assert hidden[STATISTICS].isna().all().all()
    assert hidden["significant"].isna().all()
    assert hidden["national_gap"].notna().all()  # the national figures rest on many pupils
    assert table.loc[(3, "K"), "n"] == 25


def test_min_n_applies_to_the_national_columns_too():
    scored = pupils({(1, "N"): 60, (1, "K"): 25, (2, "N"): 60, (2, "E"): 4, (3, "N"): 30, (3, "E"): 4})
    table = gaps(scored, "sen", "belonging", by=None)
    assert table["suppressed_reason"].fillna("shown").tolist() == ["primary", "complementary", "shown"]
    schools = gaps(scored, "sen", "belonging")
    assert schools.loc[schools["sen"] == "E", "national_gap"].isna().all()


def test_a_precise_gap_far_from_zero_needs_no_rounding_luck():
    # Scores far from 0 with a tiny spread: sums of squares must not cancel.
    scored = pupils({(1, "N"): 50, (1, "Y"): 50})
    scored["belonging"] = 1e6 + scored["belonging"] * 1e-3
    table = gaps(scored, "sen", "belonging")
    y = scored.loc[scored["sen"] == "Y", "belonging"].to_numpy()
    n = scored.loc[scored["sen"] == "N", "belonging"].to_numpy()
    assert table.loc[1, "se"] == pytest.approx(welch(y, n)["se"], rel=1e-6)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"min_n": 9}, "min_n must be at least 10, not 9"),
        ({"level": 1.0}, "level must be between 0 and 1"),
        ({"by": "la_code"}, "scored has no column 'la_code'"),
        ({"group": "fsm"}, "scored has no column 'fsm'"),
        ({"group": "school_urn"}, "cannot also be a `by` column"),
        ({"measure": "sen"}, "cannot also be a grouping column"),
        ({"reference": "Y"}, "reference 'Y' is not a level of 'sen'"),
    ],
)
def test_arguments_are_checked(kwargs, message):
    arguments = {"scored": pupils({(1, "N"): 12}), "group": "sen", "measure": "belonging"} | kwargs
    with pytest.raises(ValueError, match=message):
        gaps(**arguments)


school_tables = st.dictionaries(
    keys=st.integers(1, 10),
    values=st.dictionaries(
        st.sampled_from(["N", "K", "E", None]),
        st.one_of(st.integers(1, 12), st.integers(1, 60)),
        min_size=1,
        max_size=4,
    ),
    min_size=1,
    max_size=10,
)


@settings(max_examples=60, deadline=None)
@given(tables=school_tables, reference=st.sampled_from([None, "N"]))
def test_suppression_properties(tables, reference):
    cells = {(school, level): count for school, levels in tables.items() for level, count in levels.items()}
    scored = pupils(cells)
    assume(reference is None or "N" in scored["sen"].tolist())
    table = gaps(scored, "sen", "belonging", reference=reference)
    hidden = table["suppressed"].to_numpy()
    shown = table[~hidden]
    assert (shown["n"] >= 10).all() and (shown["comparison_n"] >= 10).all()
    assert table.loc[hidden, STATISTICS].isna().all().all()
    for school, rows in table.groupby("school_urn"):
        # A school's levels add up to its total (shown in a school table, or here through
        # n + comparison_n): where anything is shown, one suppressed level alone could be found
        # by subtraction.
        suppressed = rows["suppressed"].to_numpy()
        assert suppressed.all() or suppressed.sum() != 1, rows
        assert (rows["suppressed_reason"] == "complementary").sum() <= 1
        true_n = np.array([cells[(school, None if pd.isna(v) else v)] for v in rows["sen"]])
        assert suppressed[true_n < 10].all()


# Simulation: 200 replications of 40 schools of 100 pupils, FSM gaps planted in three schools.
PLANTED = {0: -0.8, 1: 0.5, 2: -0.5}


@pytest.fixture(scope="module")
def simulated():
    sim = simulate(n_schools=40, pupils=100, replications=200, planted=PLANTED, seed=20261123)
    return sim, score(sim.responses, sim.questionnaire)


def test_planted_school_gaps_are_recovered(simulated):
    sim, scored = simulated
    table = gaps(scored, "fsm", "belonging")
    fsm = table[table["fsm"] == "Y"].merge(sim.schools, on="school_urn", validate="one_to_one")
    assert len(fsm) == 40 * 200 and not fsm["suppressed"].any()
    fsm["covered"] = (fsm["ci_low"] <= fsm["true_gap"]) & (fsm["true_gap"] <= fsm["ci_high"])
    for school in PLANTED:
        planted = fsm[fsm["school"] == school]
        assert planted["covered"].mean() >= 0.90, school
        # Unbiased: the average estimate is within 3 standard errors of the truth.
        bias = planted["gap"].mean() - planted["true_gap"].iloc[0]
        assert abs(bias) < 3 * planted["gap"].std() / np.sqrt(len(planted))
    # The strong negative gap is found significant in most replications; its sign is right.
    strongest = fsm[fsm["school"] == 0]
    assert (strongest["significant"] & (strongest["gap"] < 0)).mean() > 0.8
    # All 8,000 intervals together cover at close to their nominal 95%.
    assert 0.93 <= fsm["covered"].mean() <= 0.97


def test_national_gap_is_recovered_in_each_replication(simulated):
    sim, scored = simulated
    table = gaps(scored, "fsm", "belonging", by="replication")
    fsm = table[table["fsm"] == "Y"].merge(sim.national, on="replication", validate="one_to_one")
    assert len(fsm) == 200
    covered = (fsm["ci_low"] <= fsm["true_gap"]) & (fsm["true_gap"] <= fsm["ci_high"])
    assert covered.mean() >= 0.90
