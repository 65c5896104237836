"""The school's results: the dashboard, its downloads, the printable report, and what pupils wrote."""

from __future__ import annotations

from flask import abort, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

import analysis

from .. import dashboard
from ..access import school_or_404
from ..data import audit
from ..data.results import GROUPS, Results, results
from ..extensions import db
from ..models import Answer, Response, ResponseStatus, School, Wave
from ..tables import download, query_without
from . import bp
from .routes import school_lead

GROUP_IDS = [g for g, _ in GROUPS]
THEME_NAMES = {
    "belonging": "Belonging and friends",
    "teachers": "Teachers",
    "fairness": "Fairness",
    "bullying": "Bullying",
    "learning": "Learning",
    "behaviour": "Behaviour and sanctions",
    "facilities": "Buildings and facilities",
    "clubs": "Clubs and activities",
    "mental_health": "Mental health",
    "send_support": "SEND support",
    "safeguarding": "Possible safeguarding concern",
}


def _questionnaires_of(school: School) -> list[str]:
    """Questionnaires the school has complete responses to, most recent first."""
    rows = db.session.execute(
        select(Wave.questionnaire_id, db.func.max(Wave.opens_at))
        .join(Response, Response.wave_id == Wave.id)
        .where(Response.school_id == school.id, Response.status == ResponseStatus.COMPLETE)
        .group_by(Wave.questionnaire_id)
        .order_by(db.func.max(Wave.opens_at).desc())
    ).all()
    return [r[0] for r in rows]


def dashboard_for(school: School, *, text: bool) -> tuple[dashboard.SchoolResults | None, dict]:
    """The dashboard of the school for the page's query (questionnaire, wave, scale, group)."""
    available = _questionnaires_of(school)
    if not available:
        return None, {"questionnaires": []}
    questionnaire_id = request.args.get("questionnaire") or available[0]
    if questionnaire_id not in available:
        abort(404)
    found: Results = results(questionnaire_id)
    waves = [int(w) for w in found.waves["wave_id"] if (found.for_school(school.urn)["wave_id"] == w).any()]
    wave_id = request.args.get("wave", type=int) or (waves[-1] if waves else None)
    if wave_id not in waves:
        abort(404)
    scales = [s.id for s in found.questionnaire.scales]
    scale_id = request.args.get("scale") or scales[0]
    group = request.args.get("group") or GROUP_IDS[0]
    if scale_id not in scales or group not in GROUP_IDS:
        abort(404)
    shown = dashboard.school_results(found, school, wave_id, scale_id=scale_id, group=group)
    choices = {
        "questionnaires": available,
        "waves": [(w, found.waves.set_index("wave_id").loc[w, "name"]) for w in waves],
        "scales": [(s.id, s.title.get_for("en")) for s in found.questionnaire.scales],
        "groups": GROUPS,
        "questionnaire": questionnaire_id,
    }
    return shown, choices


@bp.get("/<int:urn>/results")
@school_lead
def results_page(urn: int):
    school = school_or_404(urn)
    shown, choices = dashboard_for(school, text=True)
    audit.record("view_results", actor=current_user, target=f"school:{school.urn}", **_query(shown))
    db.session.commit()
    return render_template(
        "school/results.html",
        school=school,
        shown=shown,
        choices=choices,
        charts=dashboard.charts_for(shown) if shown and shown.tables else {},
        downloads=lambda table_id: (
            lambda fmt: url_for(
                "school.results_download", urn=urn, table_id=table_id, file_format=fmt, **request.args
            )
        ),
        query=query_without,
        nav="schools",
        printable=request.args.get("print") == "1",
    )


def _query(shown: dashboard.SchoolResults | None) -> dict:
    """What the audit log records of the page's choices: the wave shown, even when not asked for."""
    found = {k: v[:60] for k, v in request.args.items() if k in ("questionnaire", "wave", "scale", "group")}
    if shown is not None:
        found["wave"] = str(shown.wave_id)
    return found


@bp.get("/<int:urn>/results/<table_id>.<file_format>")
@school_lead
def results_download(urn: int, table_id: str, file_format: str):
    school = school_or_404(urn)
    shown, _ = dashboard_for(school, text=True)
    if shown is None:
        abort(404)
    response = download(shown.tables, table_id, file_format, f"{school.urn}")
    audit.record("export_table", actor=current_user, target=f"school:{school.urn}", table=table_id,
                 format=file_format, **_query(shown))  # fmt: skip
    db.session.commit()
    return response


@bp.get("/<int:urn>/comments")
@school_lead
def comments(urn: int):
    """What pupils wrote, redacted, with themes and sentiment: for the school lead only."""
    school = school_or_404(urn)
    rows = db.session.execute(
        select(Answer.text, Answer.question_id, Wave.name, Wave.questionnaire_id, Wave.questionnaire_version)
        .join(Response, Response.id == Answer.response_id)
        .join(Wave, Wave.id == Response.wave_id)
        .where(
            Response.school_id == school.id,
            Response.status == ResponseStatus.COMPLETE,
            Answer.text.is_not(None),
            Answer.prefer_not_to_say.is_(False),
        )
        .order_by(Wave.opens_at.desc(), Answer.question_id, Answer.id)
    ).all()
    texts = [r.text for r in rows if r.text and r.text.strip()]
    kept = [r for r in rows if r.text and r.text.strip()]
    comments_ = []
    theme_counts: dict[str, int] = {}
    if kept:
        redacted = [analysis.text.redact(t) for t in texts]
        themes = analysis.text.themes(texts)
        moods = analysis.text.sentiment(texts)
        for index, row in enumerate(kept):
            found = [name for name in themes.columns if bool(themes.iloc[index][name])]
            for name in found:
                theme_counts[name] = theme_counts.get(name, 0) + 1
            polarity = moods.iloc[index]["polarity"]
            comments_.append(
                {
                    "text": redacted[index],
                    "question": row.question_id,
                    "wave": row.name,
                    "themes": found,
                    "theme_names": [THEME_NAMES.get(name, name) for name in found],
                    "tone": "positive" if polarity > 0.1 else "negative" if polarity < -0.1 else "neutral",
                    "safeguarding": "safeguarding" in found,
                }
            )
    theme = request.args.get("theme")
    shown = [c for c in comments_ if theme in c["themes"]] if theme else comments_
    audit.record("view_free_text", actor=current_user, target=f"school:{school.urn}", count=len(shown))
    db.session.commit()
    return render_template(
        "school/comments.html",
        school=school,
        comments=shown,
        total=len(comments_),
        theme=theme,
        theme_counts=sorted(theme_counts.items(), key=lambda kv: -kv[1]),
        titles=THEME_NAMES,
        nav="schools",
    )
