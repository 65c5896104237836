"""The funnel plot's flag rates by simulation: nominal for ordinary schools, and real outliers found.

The simulation is ``testing/funnel_simulation.py`` (``bench/funnel_calibration.py`` prints the same figures on more
replications): 200 schools of 20–300 respondents, true school effects N(0, τ²) on a pupil SD of 1,
and 5 planted outliers 5 total standard deviations away.
"""

from __future__ import annotations

import pytest

from testing.funnel_simulation import rates


@pytest.mark.parametrize("tau", [0.0, 0.15, 0.3])
def test_ordinary_schools_are_flagged_at_about_the_nominal_rate(tau):
    result = rates(tau, replications=60, seed=2026)
    assert result["flagged_998"] <= 0.004  # nominal 0.2%
    assert result["flagged_95"] <= 0.07  # nominal 5%
    assert result["flagged_95"] >= 0.03  # and the limits are not simply wide


def test_planted_outliers_are_found():
    assert rates(0.15, replications=60, seed=7)["outliers_found"] >= 0.90


def test_the_old_winsorised_fit_over_flags_so_the_simulation_can_tell():
    old = rates(0.15, replications=60, seed=2026, winsorised=True)
    assert old["flagged_998"] > 0.006
