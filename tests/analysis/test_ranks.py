"""Ranks among schools: the interval covers the true percentile, and the band says what is known."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.ranks import band_text, rank_band


def schools(count: int, tau: float, seed: int) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(seed)
    true = rng.normal(3.5, tau, count)
    n = rng.integers(30, 250, count)
    se = 0.9 / np.sqrt(n)
    table = pd.DataFrame(
        {"school_urn": np.arange(count), "mean": true + rng.normal(0, 1, count) * se, "se": se}
    )
    return table, true


def test_the_interval_covers_the_true_percentile():
    covered = []
    for seed in range(3):
        table, true = schools(400, 0.15, seed)
        bands = rank_band(table, seed=seed)
        true_percentile = true.argsort().argsort() * 100 / (len(true) - 1)
        covered.append(
            (
                (bands["percentile_low"] <= true_percentile) & (true_percentile <= bands["percentile_high"])
            ).mean()
        )
    assert np.mean(covered) >= 0.9


def test_the_bare_percentile_is_far_less_sure_than_it_looks():
    table, _ = schools(400, 0.15, 7)
    bands = rank_band(table)
    width = (bands["percentile_high"] - bands["percentile_low"]).median()
    assert 25 < width < 70
    assert bands["band_from"].le(bands["band_to"]).all()
    assert (bands["band_to"] - bands["band_from"] >= 1).mean() > 0.5  # most span more than one fifth


def test_schools_that_do_not_differ_cannot_be_placed():
    table, _ = schools(200, 0.0, 3)
    bands = rank_band(table)
    assert bands.attrs["tau2"] == 0
    assert (bands["band"] == "anywhere among schools: too uncertain to place").mean() > 0.9


def test_same_seed_same_band_and_suppressed_rows_left_out():
    table, _ = schools(50, 0.3, 1)
    table["suppressed"] = False
    table.loc[3, ["suppressed", "mean"]] = [True, np.nan]
    first, second = rank_band(table, seed=5), rank_band(table, seed=5)
    pd.testing.assert_frame_equal(first, second)
    assert 3 not in first.index and len(first) == 49


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [({"estimate": "pct"}, "no column 'pct'"), ({"draws": 10}, "draws"), ({"level": 95}, "level")],
)
def test_bad_input_is_explained(kwargs, message):
    table, _ = schools(20, 0.2, 1)
    with pytest.raises(ValueError, match=message):
        rank_band(table, **kwargs)


def test_band_text_refuses_a_band_outside_the_fifths():
    with pytest.raises(ValueError, match="from 1"):
        band_text(0, 3)
