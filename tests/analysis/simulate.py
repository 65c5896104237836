"""Simulated responses from a latent model, with the true values the analysis should recover.

Schools have random effects; each pupil has a latent belonging score

    θ = u_school + δ_fsm(school)·[FSM] + δ_sen·[SEN level] + ε,   ε ~ N(0, 1),

and answers six 1–5 items, each an ordinal cut of θ plus item noise (two items are negatively worded
and stored reverse coded, as the export stores them). Items are skipped at random (MCAR).

Because every item is a cut of a normal variable, each item's expected value is a sum of normal
CDFs, and with MCAR skipping the expected scale score is the mean of the items' expected values:

    E[item_i | μ] = 1 + Σ_c Φ((μ − a_i − c) / √(1 + σ_e²)).

So the true school means and gaps *of the scale score* are known exactly, not only the latent ones.
All replications are drawn at once (the school effects stay fixed; the pupils are redrawn), each
replication's schools with their own ``school_urn``, so one call of the analysis covers them all.

>>> sim = simulate(n_schools=3, pupils=20, replications=2, seed=1)
>>> len(sim.responses), sim.responses["school_urn"].nunique()
(120, 6)
>>> sorted(sim.schools.columns)[:4]
['effect', 'fsm_gap', 'replication', 'school']
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

import questionnaires
from questionnaires import Questionnaire

__all__ = ["ITEMS", "REVERSE", "SEN_SHARES", "Simulation", "expected_score", "questionnaire", "simulate"]

ITEMS = ("belong_1", "belong_2", "belong_3", "belong_4", "belong_5", "belong_6")
REVERSE = ("belong_5", "belong_6")
CUTS = np.array([-1.7, -0.8, 0.1, 1.0])  # latent thresholds between answers 1|2, 2|3, 3|4, 4|5
ITEM_SHIFTS = np.array([-0.3, -0.15, 0.0, 0.1, 0.2, 0.35])  # how hard each item is to agree with
SEN_SHARES = {"N": 0.83, "K": 0.13, "E": 0.04}
SEN_GAPS = {"N": 0.0, "K": -0.3, "E": -0.45}

_OPTIONS = "".join(f"      - {{value: {v}, label: {{en: Answer {v}}}}}\n" for v in range(1, 6))
_QUESTIONS = "".join(
    f"      - {{id: {i}, type: single, response_set: agree5, text: {{en: Item {i}}}}}\n" for i in ITEMS
)
_YAML = f"""
id: simulated
version: 1
audience: secondary
years: [7, 8, 9, 10, 11]
languages: [en]
title: {{en: Simulated belonging}}
response_sets:
  agree5:
    options:
{_OPTIONS}
scales:
  - id: belonging
    title: {{en: Belonging}}
    items: [{", ".join(ITEMS)}]
    reverse: [{", ".join(REVERSE)}]
    min_answered: 3
    positive_at: 4
sections:
  - id: belonging
    title: {{en: Belonging}}
    questions:
{_QUESTIONS}
"""


def questionnaire() -> Questionnaire:
    """The one-scale questionnaire the simulated responses answer (items 1–5, two reversed)."""
    return questionnaires.loads(_YAML, filename="simulated.yaml")


def expected_score(mu: np.ndarray | float, noise_sd: float = 0.8) -> np.ndarray:
    """Expected belonging score of pupils whose latent mean is `mu`.

    >>> float(np.round(expected_score(0.0), 4))
    3.295
    """
    mu = np.asarray(mu, dtype=np.float64)
    spread = np.sqrt(1 + noise_sd**2)
    thresholds = (ITEM_SHIFTS[:, None] + CUTS[None, :]).ravel()
    return 1 + stats.norm.cdf((mu[..., None] - thresholds) / spread).sum(axis=-1) / len(ITEMS)


@dataclass(frozen=True)
class Simulation:
    """Simulated export rows and the truth behind them.

    Attributes
    ----------
    responses : pandas.DataFrame
        Export-format rows: ``response_id``, ``wave_id``, ``school_urn``, ``questionnaire``,
        ``status``, ``replication``, ``school``, ``fsm`` (Y/N), ``sen`` (N/K/E) and the six items
        (float, NaN when skipped).
    schools : pandas.DataFrame
        One row per ``school_urn``: ``replication``, ``school`` (0-based, the same school across
        replications), ``effect`` (u), ``fsm_gap`` (latent δ), ``true_mean`` (expected score of the
        school's pupils), ``true_fsm_mean``, ``true_rest_mean`` and ``true_gap`` (FSM minus the
        rest, on the score scale).
    national : pandas.DataFrame
        One row per replication: ``true_gap``, the national FSM gap on the score scale.
    """

    responses: pd.DataFrame
    schools: pd.DataFrame
    national: pd.DataFrame

    @property
    def questionnaire(self) -> Questionnaire:
        return questionnaire()


def simulate(
    n_schools: int = 40,
    pupils: int = 100,
    *,
    replications: int = 1,
    fsm_share: float = 0.3,
    fsm_gap: float = -0.25,
    planted: Mapping[int, float] | None = None,
    school_sd: float = 0.3,
    noise_sd: float = 0.8,
    missing: float = 0.05,
    seed: int = 0,
) -> Simulation:
    """Draw `replications` surveys of `n_schools` schools with `pupils` respondents each.

    Parameters
    ----------
    n_schools, pupils : int
        Schools, and respondents per school.
    replications : int
        Independent redraws of the pupils (school effects fixed).
    fsm_share : float
        Chance that a pupil is on free school meals.
    fsm_gap : float
        Latent FSM gap in every school, in SD units of θ.
    planted : mapping of school index to float, optional
        Latent FSM gap replacing `fsm_gap` in those schools, e.g. ``{0: -0.8, 3: 0.4}``.
    school_sd, noise_sd : float
        SD of the school effects, and of each item's noise around θ.
    missing : float
        Chance that a pupil skips an item.
    seed : int
        Seed of the random generator.
    """
    rng = np.random.default_rng(seed)
    effects = rng.normal(0, school_sd, n_schools)
    deltas = np.full(n_schools, fsm_gap)
    for school, gap in (planted or {}).items():
        deltas[school] = gap

    rows = replications * n_schools * pupils
    replication = np.repeat(np.arange(replications), n_schools * pupils)
    school = np.tile(np.repeat(np.arange(n_schools), pupils), replications)
    fsm = rng.random(rows) < fsm_share
    sen_levels = np.array(list(SEN_SHARES))
    sen_codes = rng.choice(len(sen_levels), size=rows, p=list(SEN_SHARES.values()))
    sen_shift = np.array([SEN_GAPS[s] for s in sen_levels])
    latent = effects[school] + deltas[school] * fsm + sen_shift[sen_codes] + rng.normal(0, 1, rows)

    responses = pd.DataFrame(
        {
            "response_id": np.arange(1, rows + 1),
            "wave_id": replication + 1,
            "school_urn": 100000 + replication * n_schools + school,
            "questionnaire": "simulated",
            "status": "complete",
            "replication": replication,
            "school": school,
            "fsm": np.where(fsm, "Y", "N"),
            "sen": sen_levels[sen_codes],
        }
    )
    for i, item in enumerate(ITEMS):
        seen = latent + rng.normal(0, noise_sd, rows) - ITEM_SHIFTS[i]
        value = 1 + np.searchsorted(CUTS, seen).astype(np.float64)
        if item in REVERSE:
            value = 6 - value
        value[rng.random(rows) < missing] = np.nan
        responses[item] = value

    # Truth: expected scores by FSM status, averaged over the SEN mix (independent of FSM).
    shares = np.array(list(SEN_SHARES.values()))

    def expected(mu: np.ndarray) -> np.ndarray:
        return (expected_score(mu[:, None] + sen_shift[None, :], noise_sd) * shares).sum(axis=1)

    fsm_mean, rest_mean = expected(effects + deltas), expected(effects)
    truth = pd.DataFrame(
        {
            "effect": effects,
            "fsm_gap": deltas,
            "true_mean": fsm_share * fsm_mean + (1 - fsm_share) * rest_mean,
            "true_fsm_mean": fsm_mean,
            "true_rest_mean": rest_mean,
            "true_gap": fsm_mean - rest_mean,
        }
    )
    schools = pd.concat([truth] * replications, ignore_index=True)
    schools.insert(0, "school", np.tile(np.arange(n_schools), replications))
    schools.insert(0, "replication", np.repeat(np.arange(replications), n_schools))
    schools.insert(0, "school_urn", 100000 + schools["replication"] * n_schools + schools["school"])
    national = pd.DataFrame(
        {
            "replication": np.arange(replications),
            "true_gap": fsm_mean.mean() - rest_mean.mean(),
        }
    )
    return Simulation(responses, schools, national)
