"""A school's waves: create one, upload the roster, issue codes and slips, class sessions, response rates."""

from __future__ import annotations

import io
from datetime import UTC, datetime, time

import pandas as pd
from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

import analysis

from ..access import school_or_404
from ..dashboard import GROUP_LABELS, level_label
from ..data import audit
from ..data import questionnaires as loaded
from ..data import waves as wave_data
from ..extensions import db
from ..importers import ImportProblems
from ..models import (
    ClassSession,
    PupilCode,
    QuestionnaireVersion,
    ResponseStatus,
    RosterEntry,
    School,
    Wave,
)
from ..models import (
    Response as PupilResponse,
)
from ..tables import Column, Table, download, to_csv
from . import bp
from .forms import MAX_ROSTER_BYTES, ClassSessionForm, RosterForm, WaveForm
from .routes import school_lead

PHASE_QUESTIONNAIRES = {"primary": "national-primary", "secondary": "national-secondary"}


def wave_or_404(school: School, wave_id: int) -> Wave:
    wave = db.session.get(Wave, wave_id)
    if wave is None or wave.school_id not in (None, school.id):
        abort(404)
    return wave


def _questionnaire_choices(school: School) -> list[tuple[str, str]]:
    ids = list(
        db.session.scalars(
            select(QuestionnaireVersion.questionnaire_id)
            .distinct()
            .order_by(QuestionnaireVersion.questionnaire_id)
        )
    )
    preferred = PHASE_QUESTIONNAIRES.get(school.phase.strip().lower())
    if preferred in ids:
        ids = [preferred] + [i for i in ids if i != preferred]
    return [(i, loaded.definition(i, loaded.latest(i).version).title.get_for("en")) for i in ids]


@bp.route("/<int:urn>/waves/new", methods=["GET", "POST"])
@school_lead
def new_wave(urn: int):
    school = school_or_404(urn)
    form = WaveForm()
    form.questionnaire.choices = _questionnaire_choices(school)
    if request.method == "GET" and form.questionnaire.choices:
        form.questionnaire.data = form.questionnaire.choices[0][0]
    if form.validate_on_submit():
        wave = wave_data.create_wave(
            name=form.name.data,
            questionnaire_id=form.questionnaire.data,
            opens_at=datetime.combine(form.opens.data, time.min, tzinfo=UTC),
            closes_at=datetime.combine(form.closes.data, time.min, tzinfo=UTC),
            school=school,
            actor=current_user,
        )
        db.session.commit()
        flash(f"Wave created. Now upload the roster for {wave.name}.")
        return redirect(url_for("school.wave", urn=urn, wave_id=wave.id))
    return render_template("school/new_wave.html", school=school, form=form, nav="schools")


@bp.route("/<int:urn>/waves/<int:wave_id>/", methods=["GET", "POST"])
@school_lead
def wave(urn: int, wave_id: int):
    school = school_or_404(urn)
    wave = wave_or_404(school, wave_id)
    form = RosterForm()
    problems: list[str] = []
    if form.validate_on_submit():
        data = form.roster.data.read(MAX_ROSTER_BYTES + 1)
        if len(data) > MAX_ROSTER_BYTES:
            form.roster.errors.append("The file must be smaller than 2 MB")
        else:
            try:
                added, updated = wave_data.import_roster(wave, school, io.BytesIO(data), actor=current_user)
            except ImportProblems as error:
                db.session.rollback()
                problems = error.problems
                form.roster.errors.append(
                    f"The file has {len(problems)} problem{'s' if len(problems) != 1 else ''}; "
                    "nothing was saved. Correct them and upload it again."
                )
            else:
                db.session.commit()
                flash(f"Roster saved: {added} pupils added, {updated} updated.")
                return redirect(url_for("school.wave", urn=urn, wave_id=wave_id))
    return render_template(
        "school/wave.html",
        school=school,
        wave=wave,
        form=form,
        class_form=ClassSessionForm(formdata=None, prefix="class"),
        problems=problems,
        progress=wave_data.wave_progress(wave, school),
        sessions=_class_sessions(wave, school),
        nav="schools",
    )


def _class_sessions(wave: Wave, school: School) -> list[tuple[ClassSession, int, int]]:
    sessions = db.session.scalars(
        select(ClassSession).filter_by(wave_id=wave.id, school_id=school.id).order_by(ClassSession.created_at)
    )
    rows = []
    for session in sessions:
        codes = db.session.scalar(
            select(db.func.count()).select_from(PupilCode).filter_by(class_session_id=session.id)
        )
        done = db.session.scalar(
            select(db.func.count())
            .select_from(PupilResponse)
            .join(PupilCode, PupilCode.id == PupilResponse.pupil_code_id)
            .where(PupilCode.class_session_id == session.id, PupilResponse.status == ResponseStatus.COMPLETE)
        )
        rows.append((session, codes, done))
    return rows


@bp.post("/<int:urn>/waves/<int:wave_id>/codes")
@school_lead
def codes(urn: int, wave_id: int):
    """New codes for every pupil who has not started (earlier unused codes stop working), as CSV or slips."""
    school = school_or_404(urn)
    wave = wave_or_404(school, wave_id)
    from flask_wtf import FlaskForm

    if not FlaskForm().validate_on_submit():
        abort(400)
    kind = request.form.get("format")
    if kind not in ("csv", "slips"):
        abort(400)
    issued = wave_data.replace_unused_codes(wave, school, actor=current_user)
    db.session.commit()
    if not issued:
        flash("Every pupil on the roster has started or finished: there are no codes to print.")
        return redirect(url_for("school.wave", urn=urn, wave_id=wave_id))
    slips = [
        {"reference": e.pupil_reference, "class": e.class_name or "", "year": e.year_group, "code": c}
        for e, c in issued
    ]
    if kind == "csv":
        # The same formula-safe writer as every other download: a class or reference the school
        # typed as "=HYPERLINK(...)" must not run when the file is opened in a spreadsheet.
        table = Table(
            id="codes",
            title="Pupil codes",
            columns=[Column(key, key) for key in ("reference", "class", "year", "code")],
            rows=slips,
        )
        return Response(
            to_csv(table),
            mimetype="text/csv",
            headers={
                "Content-Disposition": f'attachment; filename="codes-{school.urn}-wave-{wave.id}.csv"',
                "Cache-Control": "no-store",
            },
        )
    return _slips_page(school, wave, slips)


def _slips_page(school: School, wave: Wave, slips: list[dict]):
    page = render_template(
        "school/slips.html",
        school=school,
        wave=wave,
        slips=slips,
        start_url=url_for("pupil.start", _external=True),
    )
    return page, 200, {"Cache-Control": "no-store"}


@bp.post("/<int:urn>/waves/<int:wave_id>/class-sessions")
@school_lead
def class_session(urn: int, wave_id: int):
    school = school_or_404(urn)
    wave = wave_or_404(school, wave_id)
    form = ClassSessionForm(prefix="class")
    if not form.validate_on_submit():
        return render_template(
            "school/wave.html",
            school=school,
            wave=wave,
            form=RosterForm(formdata=None),
            class_form=form,
            problems=[],
            progress=wave_data.wave_progress(wave, school),
            sessions=_class_sessions(wave, school),
            nav="schools",
        ), 400
    issued = wave_data.open_class_session(wave, school, form.name.data, form.count.data, actor=current_user)
    db.session.commit()
    slips = [{"reference": "", "class": form.name.data, "year": "", "code": c} for c in issued]
    return _slips_page(school, wave, slips)


RATE_GROUPS = ["year_group", "class_name", "fsm", "sen", "ethnicity_major", "gender", "eal", "looked_after"]


def rate_tables(wave: Wave, school: School) -> list[Table]:
    """Response rates of the roster by year, class and pupil group; groups under 10 pupils hidden.

    Pupils whose response was withdrawn are left out of the roster, as if never on it."""
    rows = db.session.execute(
        select(
            RosterEntry.year_group,
            RosterEntry.class_name,
            RosterEntry.fsm,
            RosterEntry.sen,
            RosterEntry.ethnicity_major,
            RosterEntry.gender,
            RosterEntry.eal,
            RosterEntry.looked_after,
            PupilResponse.status,
        )
        .outerjoin(PupilCode, PupilCode.roster_entry_id == RosterEntry.id)
        .outerjoin(PupilResponse, PupilResponse.pupil_code_id == PupilCode.id)
        .where(
            RosterEntry.wave_id == wave.id,
            RosterEntry.school_id == school.id,
            RosterEntry.withdrawn_at.is_(None),  # withdrawn on request: not counted at all
        )
    ).all()
    frame = pd.DataFrame(rows, columns=[*RATE_GROUPS, "status"])
    frame["responded"] = (frame["status"] == ResponseStatus.COMPLETE).astype(float)
    frame["sen"] = frame["sen"].map(lambda s: getattr(s, "value", s), na_action="ignore")
    for flag in ("fsm", "eal", "looked_after"):
        frame[flag] = frame[flag].map({True: "Y", False: "N"})
    tables = []
    for group in RATE_GROUPS:
        label = "Class" if group == "class_name" else GROUP_LABELS[group]
        found = analysis.aggregate(frame, group, "responded") if len(frame) else pd.DataFrame()
        table_rows = [
            {
                "level": r[group]
                if group == "class_name" and isinstance(r[group], str)
                else level_label(group, r[group]),
                "n": r["n"],
                "rate": 100 * r["mean"],
                "_suppressed": Table.hidden(r["suppressed_reason"]),
            }
            for _, r in found.iterrows()
        ]
        tables.append(
            Table(
                id=f"rates-{group.replace('_', '-')}",
                title=f"Response rate by {label.lower()}",
                columns=[
                    Column("level", label),
                    Column("n", "Pupils on the roster", "count"),
                    Column("rate", "Finished the survey", "percent"),
                ],
                rows=table_rows,
            )
        )
    return tables


@bp.get("/<int:urn>/waves/<int:wave_id>/rates")
@school_lead
def rates(urn: int, wave_id: int):
    school = school_or_404(urn)
    wave = wave_or_404(school, wave_id)
    audit.record("view_response_rates", actor=current_user, target=f"wave:{wave.id}", school_urn=school.urn)
    db.session.commit()
    return render_template(
        "school/rates.html",
        school=school,
        wave=wave,
        progress=wave_data.wave_progress(wave, school),
        tables=rate_tables(wave, school),
        downloads=lambda table_id: (
            lambda fmt: url_for(
                "school.rates_download", urn=urn, wave_id=wave_id, table_id=table_id, file_format=fmt
            )
        ),
        nav="schools",
    )


@bp.get("/<int:urn>/waves/<int:wave_id>/rates/<table_id>.<file_format>")
@school_lead
def rates_download(urn: int, wave_id: int, table_id: str, file_format: str):
    school = school_or_404(urn)
    wave = wave_or_404(school, wave_id)
    response = download(rate_tables(wave, school), table_id, file_format, f"{school.urn}-wave-{wave.id}")
    audit.record("export_table", actor=current_user, target=f"wave:{wave.id}", school_urn=school.urn,
                 table=table_id, format=file_format)  # fmt: skip
    db.session.commit()
    return response
