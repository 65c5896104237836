"""The tables of a school's results, one module each, in the order both portals show them.

A new table is added here and nowhere else: the release pipeline stores each module's tables
(`survey.results.build`), and the school lead's results page and the reviewer's school page both
read `SCHOOL_TABLES`, in this order, each table with its chart (`survey.results.school`).
Each module's interface is described in `base`.
"""

from __future__ import annotations

from types import ModuleType

from . import gaps, lost_learning, lost_learning_groups, representativeness, scales, trend

SCHOOL_TABLES: tuple[ModuleType, ...] = (scales, gaps, lost_learning, lost_learning_groups, trend)
# Shown to reviewers only, after the results (school leads see response rates on their waves).
REVIEWER_TABLES: tuple[ModuleType, ...] = (representativeness,)


def kind(module: ModuleType) -> str:
    """The release item kind a module's tables are stored under."""
    return f"table:{module.ID}"


def key(module: ModuleType, questionnaire_id: str, urn: int, wave_id: int, variant: str) -> str:
    """The release item key of one version of a module's table for one school (and wave)."""
    if module.PER == "school":
        return f"{questionnaire_id}:{urn}:{variant}"
    return f"{questionnaire_id}:{wave_id}:{urn}:{variant}"
