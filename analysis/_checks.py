"""Argument checks shared by the analysis functions: clear ValueErrors, never asserts."""

from __future__ import annotations

from collections.abc import Hashable, Iterable

import pandas as pd

from questionnaires import Questionnaire, Scale


def require_frame(data: object, name: str = "data") -> pd.DataFrame:
    if not isinstance(data, pd.DataFrame):
        raise TypeError(f"{name} must be a pandas DataFrame, not {type(data).__name__}")
    return data


def require_columns(data: pd.DataFrame, columns: Iterable[Hashable], what: str = "the data") -> None:
    missing = [c for c in columns if c not in data.columns]
    if missing:
        listed = ", ".join(repr(c) for c in missing)
        raise ValueError(
            f"{what} has no column {listed}" if len(missing) == 1 else f"{what} lacks columns {listed}"
        )


def require_scale(questionnaire: Questionnaire, scale: str) -> Scale:
    if not questionnaire.scales.has(scale):
        known = ", ".join(questionnaire.scales.ids())
        raise ValueError(f"{questionnaire.id} has no scale {scale!r} (its scales: {known})")
    return questionnaire.scales[scale]


def require_level(level: float) -> float:
    if not 0 < level < 1:
        raise ValueError(f"level must be between 0 and 1, like 0.95, not {level!r}")
    return level


def require_min_n(min_n: int) -> int:
    if min_n < 10:
        # The suppression threshold protects children: it can be raised, never lowered below 10.
        raise ValueError(f"min_n must be at least 10, not {min_n!r}")
    return min_n
