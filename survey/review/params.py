"""The query parameters of the reviewer pages, checked against what exists and the reviewer's scope.

Every page reads its filters with `choose_questionnaire`, `choose_wave` and `choose`: a value that
is missing falls back to a default, and a value that is not one of the choices offered (an unknown
questionnaire, wave, scale, group, outcome, local authority, trust or phase, or one outside the
reviewer's scope) is a 404, so a URL never confirms that something outside the scope exists.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd
from flask import abort, request
from flask_login import current_user

from ..data import scope
from ..models import School
from ..results.dashboard import GROUP_LABELS, level_label, lost_learning_questions
from ..results.released import Released, questionnaires_of, release_for_request, released
from ..results.scored import GROUPS

ADJUSTMENTS = {"raw": "Raw scores", "contextualised": "Contextualised scores"}
# The pupil characteristics a contextualised score allows for (intake composition).
COVARIATES = ["fsm", "sen", "eal"]
MAX_PARAMETER = 100


def arg(name: str) -> str:
    """A query parameter, stripped; empty when absent. Over-long values are a 404, never a 500."""
    value = (request.args.get(name) or "").strip()
    if len(value) > MAX_PARAMETER:
        abort(404)
    return value


def questionnaires_in_scope() -> list[str]:
    """Questionnaires the page's release has figures for from schools in scope, most answered first."""
    return questionnaires_of(release_for_request(), scope.scope_condition(current_user))


def questionnaires_of_school(school: School) -> list[str]:
    return questionnaires_of(release_for_request(), School.id == school.id)


@dataclass
class Filters:
    """The checked choices of one reviewer page, with the options its form offers."""

    questionnaire_ids: list[str]
    questionnaire_id: str | None = None
    results: Released | None = None
    wave_id: int | None = None
    waves: list[tuple[int, str]] = field(default_factory=list)
    values: dict = field(default_factory=dict)

    @property
    def questionnaire(self):
        return self.results.questionnaire if self.results else None

    @property
    def questionnaire_options(self) -> list[tuple[str, str]]:
        return [(q, q.replace("-", " ").capitalize()) for q in self.questionnaire_ids]

    @property
    def wave_name(self) -> str:
        return dict(self.waves).get(self.wave_id, "")

    def query(self, **extra) -> dict:
        """The page's choices as URL parameters (for downloads and links)."""
        found = {"questionnaire": self.questionnaire_id, "wave": self.wave_id, **self.values, **extra}
        if request.args.get("release"):  # an earlier release: its downloads and links stay on it
            found["release"] = self.results.release.id if self.results else None
        return {k: v for k, v in found.items() if v not in (None, "")}

    def __getitem__(self, name: str):
        return self.values.get(name)


def choose_questionnaire(available: list[str]) -> Filters:
    """The questionnaire and wave chosen (404 if unknown); None when there is nothing in scope."""
    chosen = arg("questionnaire")
    filters = Filters(questionnaire_ids=available)
    if chosen and chosen not in available:
        abort(404)
    if not available:
        if arg("wave"):
            abort(404)
        return filters
    filters.questionnaire_id = chosen or available[0]
    release = release_for_request()
    filters.results = released(release, filters.questionnaire_id) if release else None
    if filters.results is None:
        abort(404)
    filters.waves = [
        (int(w), str(name)) for w, name in filters.results.waves[["wave_id", "name"]].itertuples(False)
    ]
    return filters


def choose_wave(filters: Filters, default: int | None) -> None:
    wave = arg("wave")
    if wave:
        if not wave.isdigit() or int(wave) not in dict(filters.waves):
            abort(404)
        filters.wave_id = int(wave)
    else:
        filters.wave_id = default


def choose(name: str, options, default=None):
    """A parameter that must be one of `options` (404 otherwise), or `default` when absent."""
    value = arg(name)
    if not value:
        return default
    if value not in options:
        abort(404)
    return value


def scale_options(filters: Filters) -> list[tuple[str, str]]:
    return [(s.id, s.title.get_for("en")) for s in filters.questionnaire.scales]


def group_options() -> list[tuple[str, str]]:
    return list(GROUPS)


def outcome_options(filters: Filters) -> list[tuple[str, str]]:
    return [
        (q.id, short_question(q.text.get_for("en"))) for q in lost_learning_questions(filters.questionnaire)
    ]


def short_question(text: str) -> str:
    short = text.removeprefix("Since September, ").rstrip("?")
    return short[:1].upper() + short[1:]


def gap_options(filters: Filters) -> list[tuple[str, str]]:
    """ "group:level" choices for a gap measure: every level of every group in the chosen wave."""
    return [tuple(option) for option in filters.results.item("levels", str(filters.wave_id)) or []]


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


def group_label(group: str) -> str:
    return GROUP_LABELS[group]


def scope_frame() -> pd.DataFrame:
    """The schools the signed-in reviewer may see: urn, name, la_code, la_name, trust, phase."""
    rows = scope.scope_rows(current_user)
    return pd.DataFrame(rows, columns=["urn", "name", "la_code", "la_name", "trust", "phase"])


def area_options(scope: pd.DataFrame) -> dict[str, list[tuple[str, str]]]:
    """The local authorities, trusts and phases of the schools in scope, for the filters."""
    las = scope[["la_code", "la_name"]].drop_duplicates().sort_values("la_name")
    return {
        "la": [(str(code), f"{name} ({code})") for code, name in las.itertuples(index=False)],
        "trust": [(t, t) for t in sorted(scope["trust"].dropna().unique())],
        "phase": [(p, p) for p in sorted(scope["phase"].dropna().unique())],
    }
