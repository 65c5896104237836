"""The governors' report: a school's results for one wave as a PDF of at most four A4 pages.

Made on the server with WeasyPrint from the same release item as the results page (the stored
``school`` part: its summary and tables), so it shows exactly the page's figures and hides exactly
its hidden cells. English or Welsh: every word goes through the catalogue (``survey/translations``)
and the questionnaire's own Welsh; the Welsh drafts await review by a fluent speaker.
"""

from __future__ import annotations

import base64
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from flask import current_app, render_template
from flask_babel import force_locale
from flask_babel import gettext as _
from markupsafe import Markup

from questionnaires import Questionnaire

from .. import charts
from ..models import School
from .labels import lost_learning_questions
from .summary import hidden_words, summary_view
from .table import format_value

LANGUAGES = ("en", "cy")
_HALO = ' stroke="#fff" stroke-width="4" stroke-linejoin="round" paint-order="stroke"'
STYLESHEET = Path(__file__).resolve().parents[1] / "assets" / "report.css"
MAX_PAGES = 4
WELSH_MONTHS = [
    "Ionawr", "Chwefror", "Mawrth", "Ebrill", "Mai", "Mehefin",
    "Gorffennaf", "Awst", "Medi", "Hydref", "Tachwedd", "Rhagfyr",
]  # fmt: skip


@dataclass
class Report:
    pdf: bytes
    seconds: float
    language: str


def _date(moment: datetime | None, language: str) -> str:
    if moment is None:
        return ""
    if language == "cy":
        return f"{moment.day} {WELSH_MONTHS[moment.month - 1]} {moment.year}"
    return moment.strftime("%-d %B %Y")


def _as_image(svg: Markup, alt: str) -> Markup:
    """An SVG chart as an image with its alternative text (read out from the tagged PDF)."""
    # WeasyPrint's SVG renderer ignores paint-order, so a chart label's white halo would be painted
    # over its letters: the report's charts go without halos (nothing is drawn under their labels
    # that needs hiding at this size).
    encoded = base64.b64encode(str(svg).replace(_HALO, "").encode()).decode()
    return Markup('<img class="chart" src="data:image/svg+xml;base64,{}" alt="{}">').format(
        Markup(encoded), alt
    )


def _lost_learning(part: dict, questionnaire: Questionnaire, language: str) -> dict:
    """The lost-learning table of the page, its words in the report's language, and its chart."""
    table = part["lost-learning"]
    questions = lost_learning_questions(questionnaire)
    rows = []
    for question, row in zip(questions, table.rows, strict=True):
        hidden = row.get("_suppressed")
        rows.append(
            {
                "question": question.text.get_for(language),
                "known": hidden_words(hidden) if hidden else format_value(row["known"], "count"),
                "pct": hidden_words(hidden) if hidden else format_value(row["pct"], "percent"),
                "value": None if hidden else row["pct"],
            }
        )
    alt = _(
        "A bar chart of the percentage of pupils who said each happened to them at least once since "
        "September. The table below has the same figures."
    )
    chart = charts.bar_chart(
        [{"label": r["question"], "value": r["value"]} for r in rows],
        chart_id="report-lost-learning",
        title=_("Lost learning"),
        description=alt,
        axis_label=_("Pupils (%)"),
        suppressed_label=hidden_words(),
    )
    return {"rows": rows, "chart": _as_image(chart, alt)}


def render_report(
    school: School,
    questionnaire: Questionnaire,
    *,
    part: dict,
    wave_name: str,
    published_at: datetime | None,
    language: str,
) -> Report:
    """The report as PDF bytes, and how long it took to make."""
    if language not in LANGUAGES:
        raise ValueError(f"language must be one of {', '.join(LANGUAGES)}, not {language!r}")
    from weasyprint import CSS, HTML  # imported here: a heavy import only the report needs

    started = time.perf_counter()
    with force_locale(language):
        view = summary_view(part["summary"], questionnaire, chart_id="report-scales")
        for row in view["scales"]:
            if row.get("hidden"):
                row["hidden"] = hidden_words(row["hidden"])
        for row in view["items"]:
            if row.get("hidden"):
                row["hidden"] = hidden_words(row["hidden"])
        for row in view["grid"]:
            row["cells"] = [(hidden_words(t) if k == "hidden" else t, k) for t, k in row["cells"]]
        scales_alt = _(
            "A chart of the school’s score on each scale with its %(level)s%% confidence interval, and "
            "the national average marked on each. The table below has the same figures.",
            level=95,
        )
        html = render_template(
            "school/report.html",
            school=school,
            questionnaire_title=questionnaire.title.get_for(language),
            wave_name=wave_name,
            published=_date(published_at, language),
            summary=view,
            scales_chart=_as_image(view["chart"], scales_alt),
            lost=_lost_learning(part, questionnaire, language),
            language=language,
        )
    pdf = HTML(string=html, base_url=current_app.root_path).write_pdf(
        stylesheets=[CSS(filename=str(STYLESHEET))], pdf_variant="pdf/ua-1"
    )
    return Report(pdf=pdf, seconds=time.perf_counter() - started, language=language)
