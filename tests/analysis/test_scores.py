"""Tests for `analysis.scores.score`: reverse coding, min_answered, positive, coercion, checks."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import questionnaires
from analysis.scores import score

NAN = np.nan

# Two scales on different response sets, so that reverse coding must use each scale's own range:
# `belonging` on 1–5 with its second item reversed, `safety` on 1–4 with its last item reversed.
SMALL = """
id: small
version: 1
audience: secondary
years: [7]
languages: [en]
title: {en: Small}
response_sets:
  agree5:
    options:
      - {value: 1, label: {en: One}}
      - {value: 2, label: {en: Two}}
      - {value: 3, label: {en: Three}}
      - {value: 4, label: {en: Four}}
      - {value: 5, label: {en: Five}}
  agree4:
    options:
      - {value: 1, label: {en: One}}
      - {value: 2, label: {en: Two}}
      - {value: 3, label: {en: Three}}
      - {value: 4, label: {en: Four}}
scales:
  - id: belonging
    title: {en: Belonging}
    items: [b1, b2, b3, b4]
    reverse: [b2]
    min_answered: 2
    positive_at: 4
  - id: safety
    title: {en: Safety}
    items: [s1, s2, s3, s4]
    reverse: [s4]
    positive_at: 3
sections:
  - id: one
    title: {en: One}
    questions:
      - {id: b1, type: single, response_set: agree5, text: {en: B1}}
      - {id: b2, type: single, response_set: agree5, text: {en: B2}}
      - {id: b3, type: single, response_set: agree5, text: {en: B3}}
      - {id: b4, type: single, response_set: agree5, text: {en: B4}}
      - {id: s1, type: single, response_set: agree4, text: {en: S1}}
      - {id: s2, type: single, response_set: agree4, text: {en: S2}}
      - {id: s3, type: single, response_set: agree4, text: {en: S3}}
      - {id: s4, type: single, response_set: agree4, text: {en: S4}}
"""


@pytest.fixture(scope="module")
def small():
    q = questionnaires.loads(SMALL, filename="small.yaml")
    assert q.scales["safety"].min_answered == 2  # the loader's default, ⌈4/2⌉
    return q


def frame(belonging_rows, safety_rows=None, index=None):
    rows = len(belonging_rows)
    safety_rows = safety_rows or [[NAN] * 4] * rows
    data = {f"b{i + 1}": [r[i] for r in belonging_rows] for i in range(4)}
    data |= {f"s{i + 1}": [r[i] for r in safety_rows] for i in range(4)}
    return pd.DataFrame(data, index=index)


# (b1, b2, b3, b4) -> (score, items answered, positive). b2 is reversed on 1–5: 6 − value.
# positive: at least half of the answered items are at 4 or more after reverse coding.
BELONGING_CASES = [
    ([5, 1, NAN, NAN], 5.0, 2, True),  # 5 and reversed 1 = 5; 3.0 if b2 were not reversed
    ([1, 5, NAN, NAN], 1.0, 2, False),
    ([NAN, 2, 4, NAN], 4.0, 2, True),  # reversed 2 = 4; exactly at positive_at counts as positive
    ([4, 3, 4, 3], 3.5, 4, True),  # reversed 3 stays 3; two of four items at 4: half counts
    ([3, 2, 5, 5], 4.25, 4, True),  # 3, 4, 5, 5
    ([2, 4, 3, NAN], 7 / 3, 3, False),  # 2, 2, 3
    ([4, NAN, NAN, NAN], NAN, 1, None),  # one item answered, min_answered is 2
    ([NAN, NAN, NAN, NAN], NAN, 0, None),
    ([NAN, NAN, 1, 1], 1.0, 2, False),
]


@pytest.mark.parametrize(("items", "expected", "answered", "positive"), BELONGING_CASES)
def test_reverse_coding_and_min_answered_item_by_item(small, items, expected, answered, positive):
    scored = score(frame([items]), small)
    row = scored.iloc[0]
    if np.isnan(expected):
        assert np.isnan(row["belonging"])
        assert pd.isna(row["belonging_positive"])
    else:
        assert row["belonging"] == pytest.approx(expected, abs=1e-12)
        assert not pd.isna(row["belonging_positive"])
        assert bool(row["belonging_positive"]) is positive
    assert row["belonging_n_items"] == answered


def test_each_scale_reverse_codes_on_its_own_range(small):
    # safety is on 1–4: s4 = 1 becomes 4 (1 + 4 − 1), not 5 as on belonging's 1–5.
    scored = score(frame([[NAN] * 4, [NAN] * 4], [[1, 1, 1, 1], [4, 4, 4, 4]]), small)
    assert scored["safety"].tolist() == [1.75, 3.25]
    assert scored["safety_positive"].tolist() == [False, True]
    assert scored["belonging"].isna().all()


def test_whole_frame_matches_a_direct_computation(small):
    rng = np.random.default_rng(3)
    values = rng.integers(1, 6, size=(500, 4)).astype(float)
    values[rng.random((500, 4)) < 0.3] = NAN
    scored = score(frame(values.tolist()), small)
    recoded = values.copy()
    recoded[:, 1] = 6 - recoded[:, 1]
    answered = (~np.isnan(recoded)).sum(axis=1)
    total = np.nansum(recoded, axis=1)
    expected = np.where(answered >= 2, total / np.maximum(answered, 1), NAN)
    np.testing.assert_allclose(scored["belonging"], expected, rtol=1e-12)
    np.testing.assert_array_equal(scored["belonging_n_items"], answered)
    positive = scored["belonging_positive"]
    np.testing.assert_array_equal(positive.isna(), np.isnan(expected))
    share = np.where(answered >= 2, (recoded >= 4).sum(axis=1) / np.maximum(answered, 1), NAN)
    np.testing.assert_allclose(scored["belonging_positive_share"], share, rtol=1e-12)
    np.testing.assert_array_equal(positive.dropna().astype(bool), share[~np.isnan(share)] >= 0.5)


def test_positive_is_the_same_item_rule_in_both_phases():
    """A pupil answering every primary item "Yes" but one "Sometimes" was 'not positive' when the
    mean had to reach 3 on 1–3; now both phases count the share of answers at the positive end."""
    primary = questionnaires.load("national-primary")
    secondary = questionnaires.load("national-secondary")
    for q, top, middle in ((primary, 3, 2), (secondary, 5, 3)):
        scale = q.scales["trusted_adult"]
        items = [item for s in q.scales for item in s.items]
        row = dict.fromkeys(items, None)
        row |= dict.fromkeys(scale.items, top)
        row[scale.items[0]] = middle
        scored = score(pd.DataFrame([row]), q)
        share = (len(scale.items) - 1) / len(scale.items)
        assert scored["trusted_adult_positive_share"].iloc[0] == pytest.approx(share)
        assert bool(scored["trusted_adult_positive"].iloc[0]) is True


def test_output_keeps_rows_index_and_original_columns_with_compact_dtypes(small):
    responses = frame([[5, 1, NAN, NAN], [1, 2, 3, 4], [NAN] * 4], index=[30, 10, 10])
    responses.insert(0, "school_urn", [100001, 100002, 100003])
    original = responses.copy()
    scored = score(responses, small)
    pd.testing.assert_frame_equal(scored[original.columns], original)  # items not reverse coded in place
    pd.testing.assert_frame_equal(responses, original)  # input untouched
    assert list(scored.index) == [30, 10, 10]
    assert list(scored.columns[len(original.columns) :]) == [
        "belonging", "belonging_n_items", "belonging_positive", "belonging_positive_share",
        "safety", "safety_n_items", "safety_positive", "safety_positive_share",
    ]  # fmt: skip
    assert scored["belonging"].dtype == np.float64
    assert scored["belonging_n_items"].dtype == np.int8
    assert scored["belonging_positive"].dtype == "boolean"
    assert scored["belonging"].tolist()[:2] == [5.0, 3.0]  # 1, 6 − 2, 3, 4


def test_strings_and_blanks_are_coerced(small):
    numeric = frame([[5, 1, NAN, NAN], [4, 2, 3, 3], [3, NAN, NAN, 5]])
    text = pd.DataFrame(
        {
            "b1": ["5", "4", "3"],
            "b2": ["1", "2", ""],
            "b3": ["", "3", None],
            "b4": [None, "3", "5"],
        }
    )
    for column in ["s1", "s2", "s3", "s4"]:
        text[column] = ""
    mixed = numeric.astype(object)
    mixed.loc[0, "b1"] = "5"
    mixed.loc[2, "b4"] = "5"
    expected = score(numeric, small)
    for responses in (text, mixed, numeric.astype("Int64"), numeric.astype("category")):
        scored = score(responses, small)
        for column in ["belonging", "belonging_n_items", "belonging_positive", "safety_n_items"]:
            pd.testing.assert_series_equal(scored[column], expected[column], check_names=True)
    assert expected["belonging"].tolist() == [5.0, 3.5, 4.0]


def test_text_that_is_not_a_number_counts_as_not_answered(small):
    responses = frame([[5, 1, 4, NAN]]).astype(object)
    responses.loc[0, "b3"] = "n/a"
    scored = score(responses, small)
    assert scored.loc[0, "belonging_n_items"] == 2
    assert scored.loc[0, "belonging"] == 5.0


def test_rows_of_another_questionnaire_get_no_score(small):
    responses = frame([[5, 1, NAN, NAN], [NAN] * 4])
    responses["questionnaire"] = ["small", "national-primary"]
    scored = score(responses, small)
    assert scored["belonging"].isna().tolist() == [False, True]
    assert scored["belonging_n_items"].tolist() == [2, 0]


def test_empty_frame(small):
    scored = score(frame([[1, 1, 1, 1]]).iloc[:0], small)
    assert len(scored) == 0
    assert "belonging_positive" in scored.columns


def test_missing_item_column_is_a_clear_error(small):
    responses = frame([[5, 1, NAN, NAN]]).drop(columns="b3")
    with pytest.raises(ValueError, match=r"responses \(scale 'belonging'\) has no column 'b3'"):
        score(responses, small)


def test_value_outside_the_scale_range_is_an_error(small):
    with pytest.raises(ValueError, match=r"item 's2' holds 5, outside the 1–4 range of scale 'safety'"):
        score(frame([[NAN] * 4], [[1, 5, 1, 1]]), small)
    with pytest.raises(ValueError, match=r"item 'b1' holds 0"):
        score(frame([[0, 1, 1, 1]]), small)


def test_scoring_twice_is_an_error(small):
    scored = score(frame([[5, 1, NAN, NAN]]), small)
    with pytest.raises(ValueError, match="already has a column 'belonging'"):
        score(scored, small)


def test_arguments_are_checked(small):
    with pytest.raises(TypeError, match="responses must be a pandas DataFrame, not dict"):
        score({"b1": [1]}, small)
    with pytest.raises(TypeError, match=r"questionnaire must be a questionnaires\.Questionnaire, not str"):
        score(frame([[1, 1, 1, 1]]), "small")


def test_real_questionnaire_reverse_codes_its_negative_items():
    q = questionnaires.load("national-secondary")
    belonging = q.scales["belonging"]
    items = [item for scale in q.scales for item in scale.items]
    responses = pd.DataFrame({item: [NAN] for item in items})
    # Agrees with every positive item and disagrees strongly with "left out" and "alone".
    for item in belonging.items:
        responses[item] = 1.0 if item in belonging.reverse else 5.0
    scored = score(responses, q)
    assert scored.loc[0, "belonging"] == 5.0
    assert scored.loc[0, "belonging_n_items"] == len(belonging.items)
