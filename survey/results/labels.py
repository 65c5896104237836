"""The words every results table uses: pupil groups and their levels, scale titles, question texts.

>>> level_label("fsm", "Y"), level_label("year_group", 9.0), level_label("sen", None)
('Eligible for free school meals', 'Year 9', 'Not known')
"""

from __future__ import annotations

import math

import pandas as pd

from questionnaires import Questionnaire

from ..reference import ETHNICITY_MAJOR, GENDER, SEN

# The pupil groups results are broken down by: (column, label).
GROUPS: list[tuple[str, str]] = [
    ("fsm", "Free school meals"),
    ("sen", "Special educational needs"),
    ("ethnicity_major", "Ethnicity"),
    ("gender", "Gender"),
    ("year_group", "Year group"),
    ("eal", "English as an additional language"),
    ("looked_after", "Looked after"),
]
GROUP_IDS = [g for g, _ in GROUPS]
GROUP_LABELS = dict(GROUPS)

YES_NO = {"Y": "Yes", "N": "No"}
LEVEL_LABELS = {
    "fsm": {"Y": "Eligible for free school meals", "N": "Not eligible"},
    "sen": SEN,
    "ethnicity_major": ETHNICITY_MAJOR,
    "gender": GENDER,
    "eal": YES_NO,
    "looked_after": YES_NO,
}


def level_label(group: str, level) -> str:
    if level is None or (isinstance(level, float) and math.isnan(level)) or level is pd.NA:
        return "Not known"
    if group == "year_group":
        return f"Year {int(float(level))}"
    return LEVEL_LABELS.get(group, {}).get(str(level), str(level))


def scale_title(questionnaire: Questionnaire, scale_id: str) -> str:
    return questionnaire.scale(scale_id).title.get_for("en")


def lost_learning_questions(questionnaire: Questionnaire) -> list:
    """The single-choice questions of the lost-learning section ("at least once" outcomes)."""
    section = next((s for s in questionnaire.sections if s.id == "lost_learning"), None)
    if section is None:
        return []
    return [q for q in section.questions if q.type == "single"]


def short_question(text: str) -> str:
    """A lost-learning question as a row label: "Since September, have you …?" → "Have you …"."""
    short = text.removeprefix("Since September, ").rstrip("?")
    return short[:1].upper() + short[1:]


def level_options(rows: pd.DataFrame) -> list[tuple[str, str]]:
    """Every level of every group among `rows` (one wave's pupils), as gap choices (release pipeline)."""
    options = []
    for group, label in GROUPS:
        levels = sorted({str(v) for v in rows[group].dropna().unique()}, key=_level_key)
        for level in levels:
            options.append((f"{group}:{level}", f"{label}: {level_label(group, level)}"))
    return options


def _level_key(level: str):
    try:
        return (0, float(level), "")
    except ValueError:
        return (1, 0.0, level)


def number(value) -> float:
    """A cell's value as a float, NaN when it is not a number."""
    try:
        return float(value)
    except (TypeError, ValueError):
        return math.nan


def finite(value) -> float | None:
    """A cell's value as a float, None when it is not a finite number (for charts)."""
    found = number(value)
    return found if math.isfinite(found) else None
