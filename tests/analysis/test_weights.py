"""Non-response weights: roster totals reproduced, the collapsing rule, trimming and the design effect."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analysis.weights import design_effect, weights


def frames(cells: dict[tuple, tuple[int, int]], urn: int = 1) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(respondents, roster) from {(year_group, fsm): (respondents, pupils on roll)}, one row per pupil."""
    respondents, roster = [], []
    for (year, fsm), (n, on_roll) in cells.items():
        respondents += [(urn, year, fsm)] * n
        roster += [(urn, year, fsm)] * on_roll
    columns = ["school_urn", "year_group", "fsm"]
    return pd.DataFrame(respondents, columns=columns), pd.DataFrame(roster, columns=columns)


def totals(weighted: pd.DataFrame, scored: pd.DataFrame) -> pd.Series:
    return weighted["weight"].groupby([scored["year_group"], scored["fsm"]]).sum()


def test_weighted_totals_equal_roster_totals_in_every_cell():
    cells = {(7, "N"): (30, 60), (7, "Y"): (10, 20), (8, "N"): (40, 50), (8, "Y"): (6, 30)}
    scored, roster = frames(cells)

    weighted = weights(scored, roster, ["year_group", "fsm"], trim=None)

    assert weighted.index.equals(scored.index)
    for (year, fsm), (n, on_roll) in cells.items():
        assert totals(weighted, scored)[(year, fsm)] == pytest.approx(on_roll, abs=1e-9)
        mine = (scored["year_group"] == year) & (scored["fsm"] == fsm)
        assert np.allclose(weighted.loc[mine, "weight"], on_roll / n)
    assert set(weighted["cell"]) == {
        "year_group=7, fsm=N",
        "year_group=7, fsm=Y",
        "year_group=8, fsm=N",
        "year_group=8, fsm=Y",
    }
    assert not weighted["trimmed"].any()


def test_a_small_cell_joins_its_sibling_in_the_same_year():
    # year 8 FSM: 3 respondents of 30 on roll, under min_cell = 5
    cells = {(7, "N"): (30, 60), (7, "Y"): (10, 20), (8, "N"): (40, 50), (8, "Y"): (3, 30)}
    scored, roster = frames(cells)

    weighted = weights(scored, roster, ["year_group", "fsm"], trim=None)

    year8 = scored["year_group"] == 8
    assert set(weighted.loc[year8, "cell"]) == {"year_group=8, fsm=N + rest"}
    assert np.allclose(weighted.loc[year8, "weight"], 80 / 43)  # (50 + 30) / (40 + 3)
    assert weighted.loc[year8, "weight"].sum() == pytest.approx(80)
    assert (weighted.loc[~year8, "weight"] == 2.0).all()
    assert weighted["weight"].sum() == pytest.approx(160)


def test_small_siblings_are_pooled_before_joining_a_final_cell():
    # three FSM values in year 7: "Y" and blank are each small, together they reach min_cell
    scored, roster = frames({(7, "N"): (30, 60), (7, "Y"): (3, 12), (7, None): (2, 4), (8, "N"): (20, 25)})

    weighted = weights(scored, roster, ["year_group", "fsm"], trim=None)

    pooled = (scored["year_group"] == 7) & (scored["fsm"] != "N")
    assert set(weighted.loc[pooled, "cell"]) == {"year_group=7, fsm=*"}
    assert np.allclose(weighted.loc[pooled, "weight"], 16 / 5)


def test_blank_cell_values_match_blank_roster_values():
    scored, roster = frames({(7, "N"): (30, 60), (7, None): (10, 20)})
    weighted = weights(scored, roster, ["year_group", "fsm"], trim=None)
    blank = scored["fsm"].isna()
    assert set(weighted.loc[blank, "cell"]) == {"year_group=7, fsm=(missing)"}
    assert (weighted.loc[blank, "weight"] == 2.0).all()


def test_roster_cells_without_respondents_are_not_lost():
    scored, roster = frames({(7, "N"): (30, 60), (7, "Y"): (0, 20), (8, "N"): (40, 50)})
    weighted = weights(scored, roster, ["year_group", "fsm"], trim=None)
    assert weighted["weight"].sum() == pytest.approx(130)
    year7 = scored["year_group"] == 7
    assert np.allclose(weighted.loc[year7, "weight"], 80 / 30)


def test_respondents_in_a_cell_the_roster_lacks_are_collapsed():
    # anonymous sessions: a pupil may describe themselves differently from the roster
    scored, roster = frames({(7, "N"): (30, 60), (7, "Y"): (6, 0), (8, "N"): (40, 50)})
    weighted = weights(scored, roster, ["year_group", "fsm"], trim=None)
    year7 = scored["year_group"] == 7
    assert np.allclose(weighted.loc[year7, "weight"], 60 / 36)
    assert weighted["weight"].sum() == pytest.approx(110)


def test_a_school_with_no_large_cell_is_one_cell():
    scored, roster = frames({(7, "N"): (2, 10), (7, "Y"): (1, 5), (8, "N"): (1, 7)})
    weighted = weights(scored, roster, ["year_group", "fsm"], trim=None)
    assert set(weighted["cell"]) == {"year_group=*, fsm=*"}
    assert np.allclose(weighted["weight"], 22 / 4)


def test_schools_are_weighted_separately_and_types_are_matched():
    first, roster_first = frames({(7, "N"): (30, 60), (8, "N"): (10, 40)}, urn=100001)
    second, roster_second = frames({(7, "N"): (20, 25), (8, "N"): (10, 10)}, urn=100002)
    scored = pd.concat([first, second], ignore_index=True)
    roster = pd.concat([roster_first, roster_second], ignore_index=True)
    # as read from a CSV export: URNs and year groups as text
    scored = scored.astype({"school_urn": str, "year_group": str})

    weighted = weights(scored, roster, ["year_group", "fsm"], trim=None)

    by_school = weighted.groupby("school_urn")["weight"].sum()
    assert by_school.to_dict() == pytest.approx({"100001": 100, "100002": 35})


def test_roster_counts_column():
    scored, roster = frames({(7, "N"): (30, 60), (8, "N"): (40, 50)})
    counted = roster.value_counts().rename("pupils").reset_index()
    expected = weights(scored, roster, ["year_group", "fsm"], trim=None)
    pd.testing.assert_frame_equal(
        weights(scored, counted, ["year_group", "fsm"], count="pupils", trim=None), expected
    )


def test_trimming_keeps_weights_within_bounds_and_the_school_total():
    # year 8 FSM: 5 of 200 answered, weight 40 against a school mean of 290 / 75 ≈ 3.9
    cells = {(7, "N"): (30, 40), (7, "Y"): (20, 20), (8, "N"): (20, 30), (8, "Y"): (5, 200)}
    scored, roster = frames(cells)

    untrimmed = weights(scored, roster, ["year_group", "fsm"], trim=None)
    trimmed = weights(scored, roster, ["year_group", "fsm"], trim=(0.5, 3))

    mean = 290 / 75
    assert untrimmed["weight"].max() == pytest.approx(40)
    assert trimmed["weight"].sum() == pytest.approx(290)
    assert trimmed["weight"].max() <= 3 * mean * (1 + 1e-9)
    assert trimmed["weight"].min() >= 0.5 * mean * (1 - 1e-9)
    held = trimmed["trimmed"]
    # weights are scaled by one factor and clipped: only year 8 FSM hits a bound here
    assert held.sum() == 5
    assert trimmed.loc[~held, "weight"].sum() == pytest.approx(290 - 5 * 3 * mean)
    assert np.allclose(
        trimmed.loc[held & (scored["fsm"] == "Y") & (scored["year_group"] == 8), "weight"], 3 * mean
    )
    # untrimmed weights keep their ratios
    free = trimmed.loc[~held, "weight"] / untrimmed.loc[~held, "weight"]
    assert free.max() == pytest.approx(free.min())


def test_trimming_with_both_bounds_active():
    cells = {(7, "N"): (60, 20), (7, "Y"): (20, 20), (8, "N"): (20, 30), (8, "Y"): (5, 200)}
    scored, roster = frames(cells)
    trimmed = weights(scored, roster, ["year_group", "fsm"], trim=(0.5, 3))
    mean = 270 / 105
    assert trimmed["weight"].sum() == pytest.approx(270)
    low = scored["fsm"].eq("N") & scored["year_group"].eq(7)  # weight 1/3, under half the mean
    high = scored["fsm"].eq("Y") & scored["year_group"].eq(8)
    assert np.allclose(trimmed.loc[low, "weight"], 0.5 * mean)
    assert np.allclose(trimmed.loc[high, "weight"], 3 * mean)
    assert trimmed["trimmed"].sum() == 65
    assert trimmed["weight"].between(0.5 * mean - 1e-9, 3 * mean + 1e-9).all()


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.tuples(
            st.integers(1, 3),
            st.sampled_from(["7", "8", "9"]),
            st.sampled_from(["Y", "N", None]),
            st.integers(0, 12),
            st.integers(0, 30),
        ),
        min_size=1,
        max_size=25,
    ),
    st.integers(1, 8),
)
def test_every_school_adds_up_to_its_roster_whatever_the_cells(rows, min_cell):
    respondents, roster = [], []
    for urn, year, fsm, n, on_roll in rows:
        respondents += [(urn, year, fsm)] * n
        roster += [(urn, year, fsm)] * on_roll
    columns = ["school_urn", "year_group", "fsm"]
    scored, roll = pd.DataFrame(respondents, columns=columns), pd.DataFrame(roster, columns=columns)
    if scored.empty or roll.empty:
        return
    answered = set(scored["school_urn"])
    on_roster = roll["school_urn"].value_counts()

    with pytest.warns(RuntimeWarning) if answered - set(on_roster.index) else _no_warning():
        weighted = weights(scored, roll, ["year_group", "fsm"], min_cell=min_cell, trim=None)
        trimmed = weights(scored, roll, ["year_group", "fsm"], min_cell=min_cell)

    for urn in answered & set(on_roster.index):
        mine = scored["school_urn"] == urn
        assert weighted.loc[mine, "weight"].sum() == pytest.approx(on_roster[urn])
        assert trimmed.loc[mine, "weight"].sum() == pytest.approx(on_roster[urn])
        mean = on_roster[urn] / mine.sum()
        assert trimmed.loc[mine, "weight"].between(0.2 * mean * (1 - 1e-9), 5 * mean * (1 + 1e-9)).all()
    # each final cell adds up to the roster pupils of the cells it holds
    for _, group in weighted.dropna().groupby(["school_urn", "cell"]):
        assert group["weight"].sum() > 0
        assert np.allclose(group["weight"], group["weight"].iloc[0])


class _no_warning:
    def __enter__(self):
        import warnings

        self._catch = warnings.catch_warnings()
        self._catch.__enter__()
        warnings.simplefilter("error", RuntimeWarning)

    def __exit__(self, *exc):
        return self._catch.__exit__(*exc)


def test_respondents_of_schools_missing_from_the_roster_get_no_weight():
    scored, roster = frames({(7, "N"): (30, 60)})
    stray = pd.DataFrame({"school_urn": [999] * 3, "year_group": 7, "fsm": "N"})
    with pytest.warns(RuntimeWarning, match="3 respondents have no weight"):
        weighted = weights(pd.concat([scored, stray], ignore_index=True), roster, ["year_group", "fsm"])
    assert weighted["weight"].isna().sum() == 3
    assert weighted["weight"].sum() == pytest.approx(60)


def test_design_effect_is_one_plus_the_squared_coefficient_of_variation():
    rng = np.random.default_rng(5)
    w = rng.gamma(2.0, size=50)
    frame = pd.DataFrame({"school_urn": [1] * 30 + [2] * 20, "weight": w})

    result = design_effect(frame).set_index("school_urn")

    for urn, part in ((1, w[:30]), (2, w[30:])):
        cv2 = part.var(ddof=0) / part.mean() ** 2
        assert result.loc[urn, "deff"] == pytest.approx(1 + cv2, abs=1e-12)
        assert result.loc[urn, "deff"] == pytest.approx(
            len(part) * np.sum(part**2) / np.sum(part) ** 2, abs=1e-12
        )
        assert result.loc[urn, "effective_n"] == pytest.approx(np.sum(part) ** 2 / np.sum(part**2), abs=1e-9)
        assert result.loc[urn, "n"] == len(part)
    assert design_effect(pd.DataFrame({"school_urn": [1, 1], "weight": [2.0, 2.0]}))["deff"].item() == 1.0


def test_design_effect_of_weights_reports_the_response_rate():
    scored, roster = frames({(7, "N"): (30, 60), (7, "Y"): (10, 20), (8, "N"): (40, 50), (8, "Y"): (6, 30)})
    result = design_effect(weights(scored, roster, ["year_group", "fsm"]))
    assert result["sum_weight"].item() == pytest.approx(160)
    assert result["response_rate"].item() == pytest.approx(86 / 160)
    assert result["deff"].item() > 1


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"cells": ["year_group", "gender"]}, "the scored frame has no column 'gender'"),
        ({"cells": []}, "cells must name at least one column"),
        ({"cells": ["school_urn"]}, "the school column 'school_urn' cannot also be a cell"),
        ({"school": "urn"}, "the scored frame has no column 'urn'"),
        ({"count": "pupils"}, "the roster has no column 'pupils'"),
        ({"min_cell": 0}, "min_cell must be a whole number of at least 1"),
        ({"trim": (2, 5)}, "trim must be \\(low, high\\) with 0 < low ≤ 1 ≤ high"),
        ({"trim": (0.2,)}, "trim must be"),
    ],
)
def test_bad_input_is_explained(kwargs, message):
    scored, roster = frames({(7, "N"): (30, 60)})
    arguments = {"cells": ["year_group", "fsm"], **kwargs}
    with pytest.raises(ValueError, match=message):
        weights(scored, roster, arguments.pop("cells"), **arguments)


def test_roster_missing_a_cell_column_is_explained():
    scored, roster = frames({(7, "N"): (30, 60)})
    with pytest.raises(ValueError, match="the roster has no column 'fsm'"):
        weights(scored, roster.drop(columns="fsm"), ["year_group", "fsm"])
    with pytest.raises(ValueError, match="the weighted frame has no column 'weight'"):
        design_effect(scored)
