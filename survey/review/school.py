"""A school's page for reviewers: its results as the school sees them (the same tables, from
`SCHOOL_TABLES`), without free text, and how well its respondents represent its roster."""

from __future__ import annotations

from ..models import School
from ..results.page import Page
from ..results.released import Released
from ..results.school import school_results
from ..results.summary import summary_view


def school_page(released: Released, school: School, wave_id: int, *, scale_id: str, group: str) -> Page:
    """The school's results as its release published them, then how representative they are."""
    found = school_results(released, school, wave_id, scale_id=scale_id, group=group, reviewer=True)
    page = Page(tables=[*found.tables, *found.extra])
    page.charts = {k: v for k, v in found.charts.items() if v is not None}
    page.facts["n"] = found.n
    page.facts["sections"] = found.sections
    if found.summary:  # the school's two-minute summary, as its own page opens with it
        page.facts["summary"] = summary_view(found.summary, released.questionnaire)
    return page
