"""Tests for `analysis.aggregate.aggregate`: statistics against numpy/scipy/statsmodels, and suppression."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy import stats
from statsmodels.stats.proportion import proportion_confint

from analysis.aggregate import STATISTICS, aggregate, wilson_interval
from analysis.scores import score

from .simulate import simulate

NAN = np.nan


def pupils(cells: dict[tuple, int], seed: int = 0, unscored: dict[tuple, int] | None = None) -> pd.DataFrame:
    """One row per pupil: `cells` maps (school_urn, group) to a count of pupils with a score.

    `unscored` adds pupils with no score (NaN), who must not count.
    """
    rng = np.random.default_rng(seed)
    rows = []
    for (school, group), count in cells.items():
        rows += [(school, group, v) for v in rng.integers(1, 21, count) / 4]
    for (school, group), count in (unscored or {}).items():
        rows += [(school, group, NAN)] * count
    scored = pd.DataFrame(rows, columns=["school_urn", "group", "belonging"])
    positive = scored["belonging"] >= 3.5
    scored["belonging_positive"] = pd.array(positive, dtype="boolean")
    scored.loc[scored["belonging"].isna(), "belonging_positive"] = pd.NA
    return scored


def test_statistics_equal_a_direct_computation():
    scored = pupils({(1, "N"): 40, (1, "Y"): 17, (2, "N"): 25}, unscored={(1, "Y"): 3})
    for level in (0.95, 0.9):
        table = aggregate(scored, ["school_urn", "group"], "belonging", level=level)
        assert table[["school_urn", "group"]].values.tolist() == [[1, "N"], [1, "Y"], [2, "N"]]
        for row in table.itertuples():
            cell = scored[(scored["school_urn"] == row.school_urn) & (scored["group"] == row.group)]
            values = cell["belonging"].dropna().to_numpy()
            n = len(values)
            mean, sd = values.mean(), values.std(ddof=1)
            low, high = stats.t.interval(level, n - 1, loc=mean, scale=sd / np.sqrt(n))
            positive = int((values >= 3.5).sum())
            wilson = proportion_confint(positive, n, alpha=1 - level, method="wilson")
            assert row.n == n
            assert row.mean == pytest.approx(mean, rel=1e-12)
            assert row.sd == pytest.approx(sd, rel=1e-12)
            assert row.se == pytest.approx(sd / np.sqrt(n), rel=1e-12)
            assert (row.ci_low, row.ci_high) == pytest.approx((low, high), rel=1e-12)
            assert row.pct_positive == pytest.approx(100 * positive / n, rel=1e-12)
            assert (row.pct_positive_low, row.pct_positive_high) == pytest.approx(
                (100 * wilson[0], 100 * wilson[1]), rel=1e-10
            )
            assert not row.suppressed and pd.isna(row.suppressed_reason)
    assert table.loc[1, "n"] == 17  # the three pupils without a score are not counted


def test_columns_and_dtypes():
    table = aggregate(pupils({(1, "N"): 12}), "school_urn", "belonging")
    assert list(table.columns) == ["school_urn", *STATISTICS, "suppressed", "suppressed_reason"]
    assert table["n"].dtype == np.float64
    assert table["suppressed"].dtype == bool
    assert list(table.index) == [0]


def test_wilson_interval_matches_statsmodels_and_stays_in_range():
    for x, m in [(0, 10), (10, 10), (3, 11), (47, 120)]:
        low, high = wilson_interval(x, m, 0.9)
        assert (low, high) == pytest.approx(proportion_confint(x, m, alpha=0.1, method="wilson"), abs=1e-12)
        assert 0 <= low <= x / m <= high <= 1
    assert np.isnan(wilson_interval(0, 0)).all()


def test_missing_group_values_are_a_group_of_their_own():
    scored = pupils({(1, "N"): 20, (1, None): 15, (2, "Y"): 11})
    table = aggregate(scored, ["school_urn", "group"], "belonging")
    assert table["school_urn"].tolist() == [1, 1, 2]
    assert table["group"].tolist()[0] == "N" and pd.isna(table["group"].tolist()[1])
    assert table["n"].tolist() == [20, 15, 11]
    assert table["n"].sum() == scored["belonging"].notna().sum()


def test_groups_without_any_score_have_no_row():
    scored = pupils({(1, "N"): 20, (1, "Y"): 12}, unscored={(1, "E"): 4})
    table = aggregate(scored, ["school_urn", "group"], "belonging")
    assert table["group"].tolist() == ["N", "Y"]
    assert not table["suppressed"].any()


def test_primary_and_complementary_suppression():
    scored = pupils(
        {
            (1, "E"): 5, (1, "K"): 12, (1, "N"): 30,  # one small group: the next smallest goes too
            (2, "E"): 4, (2, "K"): 6, (2, "N"): 30,  # two small groups protect each other
            (3, "N"): 7,  # a school of seven: its one group is suppressed, and so is its total
            (4, "K"): 20, (4, "N"): 20, (4, "Y"): 9,  # a tie: the first of the smallest goes
        }
    )  # fmt: skip
    table = aggregate(scored, ["school_urn", "group"], "belonging").set_index(["school_urn", "group"])
    assert table["suppressed_reason"].fillna("shown").to_dict() == {
        (1, "E"): "primary", (1, "K"): "complementary", (1, "N"): "shown",
        (2, "E"): "primary", (2, "K"): "primary", (2, "N"): "shown",
        (3, "N"): "primary",
        (4, "K"): "complementary", (4, "N"): "shown", (4, "Y"): "primary",
    }  # fmt: skip
    hidden = table[table["suppressed"]]
    assert hidden[STATISTICS].isna().all().all()
    shown = table[~table["suppressed"]]
    assert shown[STATISTICS].notna().all().all()
    assert shown["n"].tolist() == [30, 30, 20]


def test_small_groups_hidden_together_must_hold_ten_pupils_between_them():
    # Three hidden groups of 3 pupils: the school minus the shown groups would give a group of 9.
    scored = pupils({(1, "A"): 3, (1, "B"): 3, (1, "C"): 3, (1, "D"): 15, (1, "N"): 30})
    table = aggregate(scored, ["school_urn", "group"], "belonging").set_index("group")
    assert table["suppressed_reason"].fillna("shown").to_dict() == {
        "A": "primary", "B": "primary", "C": "primary", "D": "complementary", "N": "shown",
    }  # fmt: skip


def test_a_single_by_column_is_one_set_summing_to_the_overall_total():
    scored = pupils({(1, "N"): 8, (2, "N"): 50, (3, "N"): 11, (4, "N"): 30})
    table = aggregate(scored, "school_urn", "belonging")
    assert table["suppressed_reason"].fillna("").tolist() == ["primary", "", "complementary", ""]
    # Without the complementary suppression, school 1 would be the national total minus the rest.


def test_min_n_can_be_raised():
    scored = pupils({(1, "N"): 12, (1, "Y"): 25, (1, "E"): 30})
    table = aggregate(scored, ["school_urn", "group"], "belonging", min_n=20)
    assert table["suppressed_reason"].fillna("").tolist() == ["", "primary", "complementary"]


def test_without_a_positive_column_the_percentages_are_nan():
    scored = pupils({(1, "N"): 12}).drop(columns="belonging_positive")
    table = aggregate(scored, "school_urn", "belonging")
    assert table["mean"].notna().all()
    assert table[["pct_positive", "pct_positive_low", "pct_positive_high"]].isna().all().all()


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"min_n": 5}, ValueError, "min_n must be at least 10, not 5"),
        ({"level": 95}, ValueError, "level must be between 0 and 1"),
        ({"by": "la_code"}, ValueError, "scored has no column 'la_code'"),
        ({"by": []}, ValueError, "by must name at least one grouping column"),
        ({"by": ["group", "group"]}, ValueError, "by names a column twice"),
        ({"by": "belonging"}, ValueError, "cannot also be a grouping column"),
        ({"measure": "group"}, ValueError, "measure 'group' must be numeric"),
        ({"scored": [1, 2]}, TypeError, "scored must be a pandas DataFrame, not list"),
    ],
)
def test_arguments_are_checked(kwargs, error, message):
    arguments = {"scored": pupils({(1, "N"): 12}), "by": "school_urn", "measure": "belonging"} | kwargs
    with pytest.raises(error, match=message):
        aggregate(**arguments)


def test_grouping_by_a_column_named_like_a_result_column_is_refused():
    scored = pupils({(1, "N"): 12}).rename(columns={"group": "n"})
    with pytest.raises(ValueError, match="cannot group by 'n'"):
        aggregate(scored, ["school_urn", "n"], "belonging")


# Random school × group tables: counts from 1 to 40, many below 10, missing group values, and some
# pupils without a score.
LEVELS = ["N", "K", "E", None]
cell_counts = st.one_of(st.integers(1, 12), st.integers(1, 40))
school_tables = st.dictionaries(
    keys=st.integers(100001, 100012),
    values=st.dictionaries(st.sampled_from(LEVELS), cell_counts, min_size=1, max_size=4),
    min_size=1,
    max_size=12,
)


def check_suppression(table: pd.DataFrame, cells: dict, keys: list, min_n: int) -> None:
    """The disclosure properties every aggregate table must have."""
    labels = [tuple(None if pd.isna(v) else v for v in row) for row in table[keys].itertuples(index=False)]
    # Every group with a score has exactly one row, labels kept even when suppressed.
    assert sorted(labels, key=repr) == sorted(cells, key=repr)
    true_n = np.array([cells[label] for label in labels], dtype=float)
    hidden = table["suppressed"].to_numpy()
    primary = (table["suppressed_reason"] == "primary").to_numpy()
    extra = (table["suppressed_reason"] == "complementary").to_numpy()
    # Primary suppression is exactly the small groups; nothing shown rests on fewer than min_n.
    np.testing.assert_array_equal(primary, true_n < min_n)
    np.testing.assert_array_equal(hidden, primary | extra)
    np.testing.assert_array_equal(table.loc[~hidden, "n"], true_n[~hidden])
    assert (table.loc[~hidden, "n"] >= min_n).all()
    assert table.loc[hidden, STATISTICS].isna().all().all()
    assert table.loc[~hidden, ["n", "mean", "pct_positive"]].notna().all().all()

    # Sets: rows with the same values of every key but the last, adding up to a shown total.
    sets = np.unique([repr(label[:-1]) for label in labels], return_inverse=True)[1]
    total = np.bincount(sets, weights=true_n)
    suppressed = np.bincount(sets, weights=hidden)
    # The subtraction attack: a shown total minus the shown rows is the sum of the suppressed
    # rows, which must never be a single group.
    left = total - np.bincount(sets, weights=np.where(hidden, 0, true_n))
    has_shown_total = total >= min_n
    assert not ((suppressed == 1) & has_shown_total).any(), "a suppressed group = total − shown rows"
    # ... nor a group of fewer than min_n made of several suppressed ones.
    everything_hidden = suppressed == np.bincount(sets)
    assert not ((suppressed > 0) & (left < min_n) & has_shown_total & ~everything_hidden).any()
    assert (left[has_shown_total & (suppressed == 0)] == 0).all()
    # No more complementary suppression than needed: only where the primary rows alone were
    # exposed (a lone one, or several holding fewer than min_n), and the smallest shown rows first.
    complementary = np.bincount(sets, weights=extra)
    primary_count = np.bincount(sets, weights=primary)
    primary_total = np.bincount(sets, weights=np.where(primary, true_n, 0))
    exposed = (primary_count == 1) | ((primary_count >= 1) & (primary_total < min_n))
    assert (exposed[complementary >= 1]).all()
    smallest_shown = np.full(len(total), np.inf)
    np.minimum.at(smallest_shown, sets[~hidden], true_n[~hidden])
    assert (true_n[extra] <= smallest_shown[sets[extra]]).all()


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tables=school_tables, min_n=st.sampled_from([10, 10, 15]), seed=st.integers(0, 2**16))
def test_suppression_properties_by_school_and_group(tables, min_n, seed):
    cells = {(school, level): count for school, levels in tables.items() for level, count in levels.items()}
    unscored = {key: 2 for key in list(cells)[::3]}
    scored = pupils(cells, seed=seed, unscored=unscored)
    table = aggregate(scored, ["school_urn", "group"], "belonging", min_n=min_n)
    check_suppression(table, cells, ["school_urn", "group"], min_n)


@settings(max_examples=50, deadline=None)
@given(tables=school_tables, seed=st.integers(0, 2**16))
def test_suppression_properties_with_one_by_column(tables, seed):
    cells = {(school, "all"): sum(levels.values()) for school, levels in tables.items()}
    scored = pupils(cells, seed=seed)
    table = aggregate(scored, ["group", "school_urn"], "belonging")
    # With `group` constant the sets are the whole table, as with by="school_urn" alone.
    check_suppression(table, {(g, s): n for (s, g), n in cells.items()}, ["group", "school_urn"], 10)
    alone = aggregate(scored, "school_urn", "belonging")
    pd.testing.assert_series_equal(alone["suppressed_reason"], table["suppressed_reason"])


def test_t_interval_covers_the_true_school_mean():
    # 200 replications of 25 schools of 60 pupils: 5,000 intervals for the true mean of the scale
    # score, known exactly from the latent model (see simulate.py).
    sim = simulate(n_schools=25, pupils=60, replications=200, seed=7)
    scored = score(sim.responses, sim.questionnaire)
    table = aggregate(scored, "school_urn", "belonging").merge(sim.schools, on="school_urn", validate="1:1")
    assert len(table) == 25 * 200 and not table["suppressed"].any()
    covered = (table["ci_low"] <= table["true_mean"]) & (table["true_mean"] <= table["ci_high"])
    assert 0.93 <= covered.mean() <= 0.97
    # And per school, over its 200 replications, as a school would see it.
    assert covered.groupby(table["school"]).mean().min() >= 0.88


def test_pct_positive_averages_each_pupils_share_of_positive_answers():
    scored = pd.DataFrame(
        {
            "school_urn": [1] * 12,
            "belonging": [3.0] * 12,
            "belonging_positive_share": [1.0, 0.5, 0.25, 0.0] * 3,
            "belonging_positive": pd.array([True, True, False, False] * 3, dtype="boolean"),
        }
    )
    row = aggregate(scored, "school_urn", "belonging").iloc[0]
    assert row["pct_positive"] == pytest.approx(43.75)  # the share, not the 50% "mostly positive"
    assert 0 <= row["pct_positive_low"] < 43.75 < row["pct_positive_high"] <= 100
