"""The school's results: the dashboard, its downloads, the printable report, and what pupils wrote."""

from __future__ import annotations

from flask import Response, abort, render_template, request, url_for
from flask_login import current_user

from ..access import school_or_404
from ..data import audit
from ..models import School
from ..results import build, report, store
from ..results.labels import GROUP_IDS, GROUPS
from ..results.released import (
    about,
    earlier_releases,
    questionnaires_of,
    release_for_request,
    released,
)
from ..results.school import SchoolResults, school_results
from ..results.summary import summary_view
from ..results.table import download, query_without
from . import bp
from .routes import school_lead

THEME_NAMES = build.THEME_NAMES


def dashboard_for(school: School, *, charts: bool) -> tuple[SchoolResults | None, dict]:
    """The dashboard of the school for the page's query (release, questionnaire, wave, scale, group)."""
    release = release_for_request()
    available = questionnaires_of(release, School.id == school.id)
    if not available:
        return None, {"questionnaires": [], "release": about(release)}
    questionnaire_id = request.args.get("questionnaire") or available[0]
    if questionnaire_id not in available:
        abort(404)
    found = released(release, questionnaire_id)
    if found is None:
        abort(404)
    waves = found.school_waves(school.id)
    wave_id = request.args.get("wave", type=int) or (waves[-1] if waves else None)
    if wave_id not in waves:
        abort(404)
    scales = [s.id for s in found.questionnaire.scales]
    scale_id = request.args.get("scale") or scales[0]
    group = request.args.get("group") or GROUP_IDS[0]
    if scale_id not in scales or group not in GROUP_IDS:
        abort(404)
    shown = school_results(found, school, wave_id, scale_id=scale_id, group=group, charts=charts)
    choices = {
        "questionnaires": available,
        "waves": [(w, found.waves.set_index("wave_id").loc[w, "name"]) for w in waves],
        "scales": [(s.id, s.title.get_for("en")) for s in found.questionnaire.scales],
        "groups": GROUPS,
        "questionnaire": questionnaire_id,
        "release": about(release, found.school_part(school.id, wave_id)),
        "releases": earlier_releases(),
        "summary": shown.summary,
        # What the governors' report reads besides the summary.
        "part": {
            "summary": shown.summary,
            "lost-learning": next(iter(shown.tables_of("lost-learning")), None),
        },
    }
    return shown, choices


@bp.get("/<int:urn>/results")
@school_lead
def results_page(urn: int):
    school = school_or_404(urn)
    shown, choices = dashboard_for(school, charts=True)
    audit.record_view(
        "view_results", actor=current_user, target=f"school:{school.urn}", **_query(shown, choices)
    )
    return render_template(
        "school/results.html",
        school=school,
        shown=shown,
        choices=choices,
        report_url=lambda language: url_for(
            "school.results_report", urn=urn, language=language, **_choices()
        ),
        summary=summary_view(choices["summary"], shown.released.questionnaire)
        if shown and choices.get("summary")
        else None,
        downloads=lambda table_id: (
            lambda fmt: url_for(
                "school.results_download", urn=urn, table_id=table_id, file_format=fmt, **_choices()
            )
        ),
        query=query_without,
        nav="schools",
        printable=request.args.get("print") == "1",
    )


_CHOICES = ("questionnaire", "wave", "scale", "group", "release")


def _choices() -> dict[str, str]:
    """The page's own choices from the query string, for its download links (any other parameter,
    such as `urn` or `_external`, would be taken by `url_for` as its own)."""
    return {k: v for k, v in request.args.items() if k in _CHOICES}


def _query(shown: SchoolResults | None, choices: dict) -> dict:
    """What the audit log records of the page's choices: the wave and release shown, even when not
    asked for."""
    found = {k: v[:60] for k, v in request.args.items() if k in ("questionnaire", "wave", "scale", "group")}
    if shown is not None:
        found["wave"] = str(shown.wave_id)
    found["release"] = (choices.get("release") or {}).get("id")
    return found


@bp.get("/<int:urn>/results/<table_id>.<file_format>")
@school_lead
def results_download(urn: int, table_id: str, file_format: str):
    school = school_or_404(urn)
    shown, choices = dashboard_for(school, charts=False)
    if shown is None:
        abort(404)
    response = download(shown.tables, table_id, file_format, f"{school.urn}")
    audit.record_view("export_table", actor=current_user, target=f"school:{school.urn}", table=table_id,
                 format=file_format, **_query(shown, choices))  # fmt: skip
    return response


@bp.get("/<int:urn>/results/report-<language>.pdf")
@school_lead
def results_report(urn: int, language: str):
    """The governors' report as a PDF, in English or Welsh: the page's release, summary and tables."""
    if language not in report.LANGUAGES:
        abort(404)
    school = school_or_404(urn)
    shown, choices = dashboard_for(school, charts=False)
    if shown is None or not choices.get("summary"):
        abort(404)
    made = report.render_report(
        school,
        shown.released.questionnaire,
        part=choices["part"],
        wave_name=str(dict(choices["waves"])[shown.wave_id]),
        published_at=(choices.get("release") or {}).get("published_at"),
        language=language,
    )
    audit.record_view(
        "download_report",
        actor=current_user,
        target=f"school:{school.urn}",
        language=language,
        seconds=round(made.seconds, 2),
        **_query(shown, choices),
    )
    return Response(
        made.pdf,
        mimetype="application/pdf",
        headers={
            "Content-Disposition": f'attachment; filename="{school.urn}-governors-report-{language}.pdf"'
        },
    )


@bp.get("/<int:urn>/comments")
@school_lead
def comments(urn: int):
    """What pupils wrote, redacted, with themes and sentiment: for the school lead only."""
    school = school_or_404(urn)
    release = release_for_request()
    comments_ = (store.read(release, "comments", str(school.urn)) if release else None) or []
    theme_counts: dict[str, int] = {}
    for comment in comments_:
        for name in comment["themes"]:
            theme_counts[name] = theme_counts.get(name, 0) + 1
    theme = request.args.get("theme")
    shown = [c for c in comments_ if theme in c["themes"]] if theme else comments_
    audit.record_view("view_free_text", actor=current_user, target=f"school:{school.urn}", count=len(shown),
                 release=release.id if release else None)  # fmt: skip
    return render_template(
        "school/comments.html",
        school=school,
        comments=shown,
        total=len(comments_),
        theme=theme,
        theme_counts=sorted(theme_counts.items(), key=lambda kv: -kv[1]),
        titles=THEME_NAMES,
        release=about(release),
        nav="schools",
    )
