"""Statistics for the pupil voice survey on tidy pandas DataFrames.

Imports only `questionnaires` from this project, never Flask or a database driver: it reads the
export format described in `docs/data-format.md`, so the same code serves one school's 200
responses and the country's 9 million. One module per statistical idea; each function takes and
returns DataFrames and checks its arguments with clear errors.

>>> import analysis, questionnaires
>>> q = questionnaires.load("national-secondary")
>>> scored = analysis.score(responses, q)                        # doctest: +SKIP
>>> analysis.aggregate(scored, ["school_urn", "fsm"], "belonging")  # doctest: +SKIP
"""

from . import disclosure, text
from .aggregate import aggregate, wilson_interval
from .design import clustered_gap, clustered_mean, rake
from .disproportionality import at_least_once, disproportionality
from .funnel import control_limits, funnel, funnel_limits, overdispersion_fit
from .gaps import gaps
from .io import complete, from_frame, read_responses, write_table
from .items import item_results
from .markers import (
    benchmark_estimates,
    benjamini_hochberg,
    gap_estimates,
    mark,
    meaningful_difference,
    one_row_per_split,
    risk_ratio_estimates,
)
from .ranks import band_text, rank_band
from .reliability import reliability
from .scores import score
from .shrink import contextualise, shrink
from .weights import design_effect, weights

__all__ = [
    "aggregate",
    "at_least_once",
    "band_text",
    "benchmark_estimates",
    "benjamini_hochberg",
    "clustered_gap",
    "clustered_mean",
    "complete",
    "contextualise",
    "control_limits",
    "design_effect",
    "disclosure",
    "disproportionality",
    "from_frame",
    "funnel",
    "funnel_limits",
    "gap_estimates",
    "gaps",
    "item_results",
    "mark",
    "meaningful_difference",
    "one_row_per_split",
    "overdispersion_fit",
    "rake",
    "rank_band",
    "read_responses",
    "reliability",
    "risk_ratio_estimates",
    "score",
    "shrink",
    "text",
    "weights",
    "wilson_interval",
    "write_table",
]
