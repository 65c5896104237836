"""Disproportionality: risk ratios against scipy, "at least once" from the questionnaire, suppression."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats.contingency import relative_risk

import questionnaires
from analysis.disproportionality import at_least_once, disproportionality

SECONDARY = questionnaires.load("national-secondary")


def pupils_from_counts(counts: dict[str, tuple[int, int]], *, outcome: str = "excluded") -> pd.DataFrame:
    """Pupil rows from {group: (with the outcome, group size)}."""
    rows = []
    for group, (a, n) in counts.items():
        rows += [(group, True)] * a + [(group, False)] * (n - a)
    return pd.DataFrame(rows, columns=["sen", outcome])


def scipy_rr(a, n_g, c, n_o, level=0.95):
    result = relative_risk(a, n_g, c, n_o)
    ci = result.confidence_interval(confidence_level=level)
    return result.relative_risk, ci.low, ci.high


def test_risk_ratios_equal_scipy_against_all_other_pupils():
    pupils = pupils_from_counts({"N": (30, 400), "K": (25, 90), "E": (9, 20)})

    result = disproportionality(pupils, "excluded", "sen").set_index("sen")

    for group, (a, n) in {"N": (30, 400), "K": (25, 90), "E": (9, 20)}.items():
        c, n_o = 64 - a, 510 - n
        row = result.loc[group]
        assert (row["a"], row["n_g"], row["c"], row["n_o"]) == (a, n, c, n_o)
        assert row["risk"] == pytest.approx(a / n, abs=1e-12)
        assert row["risk_difference"] == pytest.approx(a / n - c / n_o, abs=1e-12)
        rr, low, high = scipy_rr(a, n, c, n_o)
        assert row["rr"] == pytest.approx(rr, abs=1e-9)
        assert row["rr_ci_low"] == pytest.approx(low, abs=1e-9)
        assert row["rr_ci_high"] == pytest.approx(high, abs=1e-9)
        assert not row["suppressed"]


@settings(max_examples=40, deadline=None)
@given(
    a=st.integers(1, 60),
    extra_g=st.integers(9, 200),
    c=st.integers(1, 60),
    extra_o=st.integers(9, 200),
    level=st.sampled_from([0.9, 0.95, 0.99]),
)
def test_risk_ratio_and_interval_equal_scipy_for_any_table(a, extra_g, c, extra_o, level):
    n_g, n_o = a + extra_g, c + extra_o
    pupils = pupils_from_counts({"E": (a, n_g), "N": (c, n_o)})
    row = disproportionality(pupils, "excluded", "sen", level=level).set_index("sen").loc["E"]
    assert [row["rr"], row["rr_ci_low"], row["rr_ci_high"]] == pytest.approx(
        list(scipy_rr(a, n_g, c, n_o, level)), abs=1e-9
    )


def test_zero_counts_follow_scipys_conventions():
    pupils = pupils_from_counts({"E": (0, 20), "K": (5, 30), "N": (0, 0)})
    result = disproportionality(pupils, "excluded", "sen").set_index("sen")
    rr, low, high = scipy_rr(0, 20, 5, 30)
    assert result.loc["E", "rr"] == rr == 0
    assert result.loc["E", "rr_ci_low"] == low == 0
    assert np.isnan(result.loc["E", "rr_ci_high"]) and np.isnan(high)
    assert result.loc["K", "rr"] == np.inf and np.isnan(result.loc["K", "rr_ci_low"])


def test_reference_group_comparisons_equal_scipy():
    pupils = pupils_from_counts({"N": (30, 400), "K": (25, 90), "E": (9, 20)})

    result = disproportionality(pupils, "excluded", "sen", reference="N").set_index("sen")

    for group, (a, n) in {"K": (25, 90), "E": (9, 20)}.items():
        rr, low, high = scipy_rr(a, n, 30, 400)
        assert [
            result.loc[group, "rr_ref"],
            result.loc[group, "rr_ref_ci_low"],
            result.loc[group, "rr_ref_ci_high"],
        ] == pytest.approx([rr, low, high], abs=1e-9)
        assert result.loc[group, "risk_difference_ref"] == pytest.approx(a / n - 30 / 400, abs=1e-12)
    assert result.loc["N", ["rr_ref", "rr_ref_ci_low", "rr_ref_ci_high", "risk_difference_ref"]].isna().all()
    assert not result.loc["N", "suppressed"]


def test_composition_index_is_share_of_outcome_over_share_of_pupils():
    pupils = pupils_from_counts({"N": (30, 400), "K": (25, 90), "E": (9, 20)})
    result = disproportionality(pupils, "excluded", "sen").set_index("sen")
    assert result.loc["K", "composition_index"] == pytest.approx((25 / 64) / (90 / 510), abs=1e-12)
    assert result.loc["N", "composition_index"] == pytest.approx((30 / 64) / (400 / 510), abs=1e-12)
    # weighted by group size, the composition indices average 1
    assert np.average(result["composition_index"], weights=result["n_g"]) == pytest.approx(1.0)


def test_by_compares_within_each_school_only():
    first = pupils_from_counts({"N": (10, 100), "K": (12, 40)}).assign(school_urn=1)
    second = pupils_from_counts({"N": (2, 50), "K": (1, 30)}).assign(school_urn=2)
    result = disproportionality(pd.concat([first, second]), "excluded", "sen", by="school_urn")

    assert result[["school_urn", "sen"]].values.tolist() == [[1, "K"], [1, "N"], [2, "K"], [2, "N"]]
    row = result[(result["school_urn"] == 2) & (result["sen"] == "K")].iloc[0]
    assert row["rr"] == pytest.approx(scipy_rr(1, 30, 2, 50)[0], abs=1e-12)
    assert row["composition_index"] == pytest.approx((1 / 3) / (30 / 80), abs=1e-12)


def test_by_with_reference_uses_each_schools_own_reference():
    first = pupils_from_counts({"N": (10, 100), "K": (12, 40)}).assign(school_urn=1)
    second = pupils_from_counts({"N": (2, 50), "K": (3, 30)}).assign(school_urn=2)
    third = pupils_from_counts({"N": (1, 5), "K": (3, 30), "E": (2, 20), "A": (1, 6)}).assign(school_urn=3)
    result = disproportionality(
        pd.concat([first, second, third]), "excluded", "sen", by="school_urn", reference="N"
    )
    k = result[result["sen"] == "K"].set_index("school_urn")
    assert k.loc[1, "rr_ref"] == pytest.approx(scipy_rr(12, 40, 10, 100)[0], abs=1e-12)
    assert k.loc[2, "rr_ref"] == pytest.approx(scipy_rr(3, 30, 2, 50)[0], abs=1e-12)
    # In school 3 the reference group has 5 pupils: it is suppressed, and comparisons with it
    # would reveal its counts, so only the reference columns are hidden on the shown rows.
    assert not k.loc[3, "suppressed"]
    assert k.loc[3, "rr"] == pytest.approx(scipy_rr(3, 30, 4, 31)[0], abs=1e-12)
    assert k.loc[3, ["rr_ref", "rr_ref_ci_low", "rr_ref_ci_high", "risk_difference_ref"]].isna().all()


def test_small_groups_and_small_comparisons_are_suppressed():
    pupils = pupils_from_counts({"N": (30, 400), "K": (25, 90), "E": (3, 9), "A": (4, 12)})
    result = disproportionality(pupils, "excluded", "sen").set_index("sen")
    small = result.loc["E"]
    assert small["suppressed"] and small["suppressed_reason"] == "primary"
    assert (
        small[
            [
                "a",
                "n_g",
                "c",
                "n_o",
                "risk",
                "rr",
                "rr_ci_low",
                "rr_ci_high",
                "risk_difference",
                "composition_index",
            ]
        ]
        .isna()
        .all()
    )
    # E could be recovered from any shown row's comparison counts: the next smallest goes too
    assert result.loc["A", "suppressed"] and result.loc["A", "suppressed_reason"] == "complementary"
    assert pd.isna(result.loc["A", "a"])
    assert not result.loc["K", "suppressed"] and pd.isna(result.loc["K", "suppressed_reason"])
    assert (result.loc["K", "c"], result.loc["K", "n_o"]) == (37, 421)  # E and A only as part of a sum

    two = pupils_from_counts({"N": (30, 400), "K": (2, 9)})
    result = disproportionality(two, "excluded", "sen").set_index("sen")
    assert result["suppressed_reason"].tolist() == ["primary", "comparison"]
    assert result[["a", "n_g", "rr"]].isna().all().all()


def test_complementary_suppression_works_within_each_by_group():
    first = pupils_from_counts({"N": (10, 100), "K": (12, 40), "E": (1, 4), "A": (2, 15)}).assign(
        school_urn=1
    )
    second = pupils_from_counts({"N": (2, 50), "K": (3, 30), "A": (2, 15)}).assign(school_urn=2)
    result = disproportionality(pd.concat([first, second]), "excluded", "sen", by="school_urn")
    hidden = result[result["suppressed"]][["school_urn", "sen", "suppressed_reason"]].values.tolist()
    assert hidden == [[1, "A", "complementary"], [1, "E", "primary"]]


def test_unknown_outcome_and_unknown_group_are_left_out():
    pupils = pupils_from_counts({"N": (30, 400), "K": (25, 90)}).astype({"excluded": "object"})
    pupils.loc[0:9, "excluded"] = None  # 10 not known, all among N with the outcome
    pupils.loc[400:404, "sen"] = None
    result = disproportionality(pupils, "excluded", "sen").set_index("sen")
    assert (result.loc["N", "a"], result.loc["N", "n_g"]) == (20, 390)
    assert (result.loc["K", "a"], result.loc["K", "n_g"]) == (20, 85)
    assert list(result.index) == ["K", "N"]


def test_zero_one_and_text_outcomes_are_accepted():
    pupils = pupils_from_counts({"N": (30, 400), "K": (25, 90)})
    as_int = pupils.assign(excluded=pupils["excluded"].astype(int))
    as_text = pupils.assign(excluded=pupils["excluded"].map({True: "1", False: "0"}))
    expected = disproportionality(pupils, "excluded", "sen")
    pd.testing.assert_frame_equal(disproportionality(as_int, "excluded", "sen"), expected)
    pd.testing.assert_frame_equal(disproportionality(as_text, "excluded", "sen"), expected)


def test_a_question_counts_answers_above_its_first_option():
    # ll_sent_out: 1 Never, 2 Once, 3 2 to 5 times, 4 More than 5 times
    answers = ["1"] * 300 + ["2"] * 10 + ["3"] * 15 + ["4"] * 5 + [""] * 20
    groups = ["N"] * 250 + ["K"] * 50 + ["K"] * 30 + ["N"] * 20
    pupils = pd.DataFrame({"sen": groups, "ll_sent_out": answers, "questionnaire": "national-secondary"})

    result = disproportionality(pupils, "ll_sent_out", "sen").set_index("sen")
    with_questionnaire = disproportionality(
        pupils.drop(columns="questionnaire"), "ll_sent_out", "sen", questionnaire=SECONDARY
    )

    assert (result.loc["K", "a"], result.loc["K", "n_g"]) == (30, 80)
    assert (result.loc["N", "a"], result.loc["N", "n_g"]) == (0, 250)
    pd.testing.assert_frame_equal(with_questionnaire.set_index("sen"), result)


def test_yes_no_questions_use_their_own_first_option():
    # ll_part_time: 1 No, 2 Yes
    pupils = pd.DataFrame({"ll_part_time": [1, 2, 2, None, 1]})
    assert at_least_once(pupils, "ll_part_time", SECONDARY).tolist()[:3] == [0.0, 1.0, 1.0]
    assert np.isnan(at_least_once(pupils, "ll_part_time", SECONDARY).iloc[3])


def test_a_mixed_export_reads_each_rows_own_questionnaire():
    # primary pupils were never asked the secondary question: their cell is blank, so NaN
    pupils = pd.DataFrame(
        {
            "questionnaire": ["national-secondary"] * 3 + ["national-primary"] * 2,
            "ll_sent_out": [1, 3, None, None, None],
            "p_ll_sent_out": [None, None, None, 1, 2],
        }
    )
    assert at_least_once(pupils, "ll_sent_out").tolist()[:2] == [0.0, 1.0]
    assert at_least_once(pupils, "ll_sent_out")[2:].isna().all()
    assert at_least_once(pupils, "p_ll_sent_out").tolist()[3:] == [0.0, 1.0]
    assert at_least_once(pupils, "p_ll_sent_out")[:3].isna().all()


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"outcome": "sent_home"}, "the scored frame has no column 'sent_home'"),
        ({"group": "eal"}, "the scored frame has no column 'eal'"),
        ({"by": "school_urn"}, "the scored frame has no column 'school_urn'"),
        ({"outcome": "score"}, "outcome 'score' must be a column of booleans or 0/1"),
        ({"reference": "X"}, "reference 'X' is not a level of 'sen'"),
        ({"level": 1.5}, "level must be between 0 and 1"),
        ({"min_n": 3}, "min_n must be at least 10"),
        ({"by": "sen"}, "group 'sen' cannot also be a by column"),
        ({"outcome": "ll_missed_why", "questionnaire": SECONDARY}, "'ll_missed_why' is a multiple question"),
    ],
)
def test_bad_input_is_explained(kwargs, message):
    pupils = pupils_from_counts({"N": (30, 400), "K": (25, 90)})
    pupils["score"] = np.linspace(1, 5, len(pupils))
    pupils["ll_missed_why"] = "2;5"
    arguments = {"outcome": "excluded", "group": "sen", **kwargs}
    with pytest.raises(ValueError, match=message):
        disproportionality(pupils, arguments.pop("outcome"), arguments.pop("group"), **arguments)


def test_an_unshipped_questionnaire_needs_to_be_passed():
    pupils = pd.DataFrame({"questionnaire": ["local-survey"], "ll_sent_out": [2]})
    with pytest.raises(ValueError, match="questionnaire 'local-survey' is not shipped; pass questionnaire="):
        at_least_once(pupils, "ll_sent_out")
