"""Per-question results agree with the scales' % positive rule and are suppressed like the rest."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import questionnaires
from analysis.items import item_results


@pytest.fixture(scope="module")
def primary():
    return questionnaires.load("national-primary")


def responses(q, schools=(1, 2), pupils=30, seed=1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    items = [item for scale in q.scales for item in scale.items]
    rows = len(schools) * pupils
    frame = pd.DataFrame({"school_urn": np.repeat(schools, pupils)})
    for item in items:
        frame[item] = rng.integers(1, 4, rows).astype(float)
    return frame


def test_each_item_counts_answers_at_the_positive_end_after_reverse_coding(primary):
    frame = responses(primary)
    table = item_results(frame, primary)
    assert len(table) == 2 * sum(len(s.items) for s in primary.scales)
    row = table[(table["school_urn"] == 1) & (table["item"] == "p_wb_worried")].iloc[0]
    answers = frame.loc[frame["school_urn"] == 1, "p_wb_worried"]
    assert row["reverse"]
    assert row["pct_positive"] == pytest.approx(100 * (answers == 1).mean())  # "Never" worried
    straight = table[(table["school_urn"] == 1) & (table["item"] == "p_wb_happy")].iloc[0]
    assert straight["pct_positive"] == pytest.approx(
        100 * (frame.loc[frame["school_urn"] == 1, "p_wb_happy"] == 3).mean()
    )
    assert straight["pct_positive_low"] < straight["pct_positive"] < straight["pct_positive_high"]


def test_national_rows_and_small_groups_suppressed(primary):
    frame = responses(primary, schools=(1, 2, 3), pupils=12)
    frame.loc[frame["school_urn"] == 3, "p_belong_place"] = np.nan
    frame.loc[frame.index[24:27], "p_belong_place"] = 2.0  # three answers at school 3
    national = item_results(frame, primary, by=None)
    assert "school_urn" not in national and national["n"].iloc[0] == 27
    by_school = item_results(frame, primary)
    small = by_school[(by_school["school_urn"] == 3) & (by_school["item"] == "p_belong_place")].iloc[0]
    assert small["suppressed"] and np.isnan(small["pct_positive"]) and np.isnan(small["n"])


def test_min_n_cannot_be_lowered(primary):
    with pytest.raises(ValueError, match="at least 10"):
        item_results(responses(primary), primary, min_n=5)
