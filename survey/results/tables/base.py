"""What a school table module is given: in the release pipeline, the school's pupils and the figures
worked out for every school at once; on a page, what its chart needs.

Every module of `survey.results.tables` has:

* ``ID``: the table's id (its download's name); ``HEADING``: the section heading both portals show
  (None: the table's own title); ``PER``: ``"wave"`` (one stored item per school and wave) or
  ``"school"`` (one per school, spanning its waves, such as a trend).
* ``variants(questionnaire)``: the keys of the items the pipeline stores (one per group, or just
  ``""``), and ``variant(scale_id, group)``: the one a page reads.
* ``tables(found: SchoolFigures) -> dict[variant, stored]``: the release pipeline's builder; an item
  holds a `Table`, or one per scale (``{scale id: Table}``, so that a school's page reads one small
  item rather than one per table version), and ``pick(stored, scale_id) -> Table`` takes the one shown.
* ``chart(table, view: ChartView) -> Markup | None``: the chart beside the table, from its rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from questionnaires import Questionnaire

from ...models import School
from ..scored import Results


@dataclass
class SchoolFigures:
    """One school in one wave, as the release pipeline gives it to each table module.

    `wave_rows` is every pupil of the wave (benchmarks), `own` the school's (the pipeline passes none:
    it gives each module the figures below, worked out for every school at once, each school's
    still from its own pupils only)."""

    results: Results
    school: School
    wave_id: int
    wave_rows: pd.DataFrame
    own: pd.DataFrame
    benchmarks: Any = None  # scales.Benchmarks
    gaps: dict = field(default_factory=dict)  # (scale, group) → the school's analysis.gaps rows
    lost: dict = field(default_factory=dict)  # (question, group) → its analysis.disproportionality rows
    verdicts: dict | None = None  # the marks: summary.verdicts_of(summary.marked_family(...))
    # Worked out for every school at once by `survey.results.batch` (None: from `own`):
    lost_learning: list[tuple[int, int]] | None = None  # each question's (answered, it happened)
    trend: dict | None = None  # scale → the school's trend `Table`
    respondents: Any = None  # batch.Representativeness of the wave

    @property
    def questionnaire(self) -> Questionnaire:
        return self.results.questionnaire


@dataclass(frozen=True)
class ChartView:
    """What a chart needs besides its table's rows."""

    school: School
    questionnaire: Questionnaire
    scale_id: str
    group: str
