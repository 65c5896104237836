"""A school's waves: create one, upload the roster, issue codes and slips, class sessions, response rates."""

from __future__ import annotations

import csv
import io
import itertools
from collections import Counter
from datetime import date, timedelta

import pandas as pd
import segno
from flask import Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from flask_wtf import FlaskForm
from itsdangerous import BadData, URLSafeTimedSerializer
from markupsafe import Markup

import analysis

from ..access import school_or_404
from ..data import audit
from ..data import questionnaires as loaded
from ..data import waves as wave_data
from ..data.waves import RATE_GROUPS
from ..importers import PUPIL_REFERENCE, ROSTER_COLUMNS, ImportProblems, RosterCheck, check_roster
from ..models import ResponseStatus, School, Wave, utcnow
from ..results.labels import GROUP_LABELS, level_label
from ..results.table import Column, Table, download, to_csv
from ..sorting import natural_key
from . import bp
from .forms import MAX_ROSTER_BYTES, ClassSessionForm, RosterForm, WaveForm
from .routes import school_lead

PREVIEW_MAX_AGE = 60 * 60  # seconds: a preview left over lunch still saves
PHASE_QUESTIONNAIRES = {"primary": "national-primary", "secondary": "national-secondary"}


def wave_or_404(school: School, wave_id: int) -> Wave:
    wave = wave_data.get(wave_id)
    if wave is None or wave.school_id not in (None, school.id):
        abort(404)
    return wave


def _questionnaire_choices(school: School) -> list[tuple[str, str]]:
    ids = loaded.loaded_ids()
    preferred = PHASE_QUESTIONNAIRES.get(school.phase.strip().lower())
    if preferred in ids:
        ids = [preferred] + [i for i in ids if i != preferred]
    return [
        (i, loaded.definition(i, version.version).title.get_for("en"))
        for i in ids
        if (version := loaded.latest(i)) is not None
    ]


@bp.route("/<int:urn>/waves/new", methods=["GET", "POST"])
@school_lead
def new_wave(urn: int):
    school = school_or_404(urn)
    form = WaveForm()
    form.questionnaire.choices = _questionnaire_choices(school)
    if request.method == "GET" and form.questionnaire.choices:
        form.questionnaire.data = form.questionnaire.choices[0][0]
    if form.validate_on_submit() and form.opens.data and form.closes.data:
        wave = wave_data.create_wave(
            name=form.name.data,
            questionnaire_id=form.questionnaire.data,
            first_day=form.opens.data,
            last_day=form.closes.data,
            school=school,
            actor=current_user,
        )
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
            form.roster.errors.append(_("The file must be smaller than 2 MB"))
        else:
            try:
                years = loaded.definition(wave.questionnaire_id, wave.questionnaire_version).years
                check = check_roster(io.BytesIO(data), years)
            except ImportProblems as error:
                problems = error.problems
                form.roster.errors.append(_problems_message(len(problems)))
            else:
                return _roster_preview(school, wave, check, data.decode("utf-8-sig"))
    return _wave_page(school, wave, form=form, problems=problems)


def _problems_message(count: int) -> str:
    return ngettext(
        "The file has %(num)d problem; nothing was saved. Correct it and upload it again.",
        "The file has %(num)d problems; nothing was saved. Correct them and upload it again.",
        count,
    )


def _wave_page(
    school: School,
    wave: Wave,
    *,
    form: RosterForm | None = None,
    class_form: ClassSessionForm | None = None,
    problems: list[str] | None = None,
    reissue_errors: dict[str, str] | None = None,
    reissue_values: dict[str, str] | None = None,
) -> str:
    return render_template(
        "school/wave.html",
        school=school,
        wave=wave,
        form=form or RosterForm(formdata=None),
        class_form=class_form or ClassSessionForm(formdata=None, prefix="class"),
        problems=problems or [],
        reissue_errors=reissue_errors or {},
        reissue_values=reissue_values or {},
        class_names=wave_data.roster_class_names(wave, school),
        progress=wave_data.wave_progress(wave, school),
        sessions=wave_data.class_sessions(wave, school),
        nav="schools",
    )


def _preview_signer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="roster-preview")


def _roster_preview(school: School, wave: Wave, check: RosterCheck, text: str) -> str:
    """How the file was read, before anything is saved: the file goes back signed (and compressed)
    in the form, so saving reads exactly the file that was previewed."""
    references = [entry["pupil_reference"] for entry in check.entries]
    return render_template(
        "school/roster_preview.html",
        school=school,
        wave=wave,
        check=check,
        pupils=len(check.entries),
        already=wave_data.count_on_roster(wave, school, references),
        classes=sorted({e["class_name"] for e in check.entries if e["class_name"]}, key=natural_key),
        payload=_preview_signer().dumps({"wave": wave.id, "school": school.id, "roster": text}),
        nav="schools",
    )


@bp.post("/<int:urn>/waves/<int:wave_id>/roster")
@school_lead
def save_roster(urn: int, wave_id: int):
    """Save the roster the lead has just previewed."""
    school = school_or_404(urn)
    wave = wave_or_404(school, wave_id)
    if not FlaskForm().validate_on_submit():
        abort(400)
    try:
        signed = _preview_signer().loads(request.form.get("roster", ""), max_age=PREVIEW_MAX_AGE)
    except BadData:
        signed = None
    if not isinstance(signed, dict) or (signed.get("wave"), signed.get("school")) != (wave.id, school.id):
        flash("That preview has expired or is not for this wave. Upload the roster again.")
        return redirect(url_for("school.wave", urn=urn, wave_id=wave_id, _anchor="section-roster"))
    try:
        added, updated = wave_data.import_roster(
            wave, school, io.StringIO(str(signed.get("roster", ""))), actor=current_user
        )
    except ImportProblems as error:  # the questionnaire's years cannot change, but be safe
        form = RosterForm(formdata=None)
        form.roster.errors.append(_problems_message(len(error.problems)))
        return _wave_page(school, wave, form=form, problems=error.problems), 400
    flash(f"Roster saved: {added} pupils added, {updated} updated.")
    return redirect(url_for("school.wave", urn=urn, wave_id=wave_id))


TEMPLATE_ROWS = [
    ["A1001", "7", "F", "WHIT", "WBRI", "N", "N", "N", "N", "7A"],
    ["A1002", "7", "M", "ASIA", "APKN", "K", "Y", "Y", "N", "7B"],
    ["A1003", "8", "F", "BLAC", "BAFR", "E", "N", "N", "Y", "8A"],
]


@bp.get("/<int:urn>/roster-template.csv")
@school_lead
def roster_template(urn: int):
    """A roster CSV with the columns and three made-up pupils, to copy a school's MIS export into."""
    school_or_404(urn)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(ROSTER_COLUMNS)
    writer.writerows(TEMPLATE_ROWS)
    return Response(
        "\ufeff" + out.getvalue(),
        mimetype="text/csv",
        headers={"Content-Disposition": 'attachment; filename="roster-template.csv"'},
    )


@bp.post("/<int:urn>/waves/<int:wave_id>/codes")
@school_lead
def codes(urn: int, wave_id: int):
    """New codes, as CSV or slips: for every pupil who has not started, one class or one pupil.

    Codes are kept only as hashes, so printing again replaces codes: when printed codes would stop
    working, the lead first sees how many and confirms."""
    school = school_or_404(urn)
    wave = wave_or_404(school, wave_id)
    if not FlaskForm().validate_on_submit():
        abort(400)
    kind = request.form.get("format")
    scope = request.form.get("scope", "all")
    if kind not in ("csv", "slips") or scope not in ("all", "class", "pupil"):
        abort(400)
    class_name = reference = None
    errors: dict[str, str] = {}
    if scope == "class":
        class_name = request.form.get("class", "")
        if class_name not in wave_data.roster_class_names(wave, school):
            errors["class"] = _("Choose a class on the roster")
    elif scope == "pupil":
        reference = request.form.get("reference", "").strip()
        if not reference:
            errors["reference"] = _("Enter the pupil’s reference, as on your roster")
        elif not PUPIL_REFERENCE.fullmatch(reference):
            errors["reference"] = _(
                "Enter a reference as on your roster: letters, digits, hyphens and underscores"
            )
    if not errors:
        try:
            replaced = wave_data.codes_to_replace(wave, school, class_name=class_name, reference=reference)
        except wave_data.CannotReissue as problem:
            # The data layer words it in English: marked so on a page in Welsh.
            errors["reference"] = Markup('<span lang="en">%s</span>') % str(problem)
    if errors:
        values = {"class": class_name or "", "reference": (reference or "")[:40]}
        return _wave_page(school, wave, reissue_errors=errors, reissue_values=values), 400
    if replaced and request.form.get("confirm") != "yes":
        return render_template(
            "school/codes_confirm.html",
            school=school,
            wave=wave,
            replaced=replaced,
            choice={"format": kind, "scope": scope, "class": class_name or "", "reference": reference or ""},
            nav="schools",
        )
    if reference is not None:
        issued = wave_data.reissue_code(wave, school, reference, actor=current_user)
    else:
        issued = wave_data.replace_unused_codes(wave, school, actor=current_user, class_name=class_name)
    if not issued:
        flash(
            f"Every pupil in class {class_name} has started or finished: there are no codes to print."
            if class_name
            else "Every pupil on the roster has started or finished: there are no codes to print."
        )
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


def _qr_svg(url: str) -> Markup:
    """A QR code of `url` as inline SVG, without inline styles (the CSP forbids them). It repeats the
    address and code printed beside it, so it is hidden from screen readers."""
    svg = segno.make(url, error="m").svg_inline(scale=3, svgclass="app-slip__qr", lineclass=None)
    return Markup(svg.replace("<svg ", '<svg aria-hidden="true" focusable="false" ', 1))  # segno's own markup


def _slips_page(school: School, wave: Wave, slips: list[dict]):
    """Slips in groups by year and class (a printed page each), each with a QR code that opens the
    start page with the pupil's code filled in."""
    for slip in slips:
        slip["qr"] = _qr_svg(url_for("pupil.start", code=slip["code"], _external=True))
    groups = [
        {"year": year, "class": class_name, "slips": list(members)}
        for (year, class_name), members in itertools.groupby(slips, key=lambda s: (s["year"], s["class"]))
    ]
    page = render_template(
        "school/slips.html",
        school=school,
        wave=wave,
        slips=slips,
        groups=groups,
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
        return _wave_page(school, wave, class_form=form), 400
    issued = wave_data.open_class_session(wave, school, form.name.data, form.count.data, actor=current_user)
    slips = [{"reference": "", "class": form.name.data, "year": "", "code": c} for c in issued]
    return _slips_page(school, wave, slips)


def _class_order(rows: list[dict], *, by_name: bool) -> list[dict]:
    """Classes lowest rate first (to see where to follow up), ties and hidden classes in natural
    order of their names (7A before 10C); or all by name."""
    if by_name:
        return sorted(rows, key=lambda r: natural_key(str(r["level"])))
    return sorted(
        rows,
        key=lambda r: (
            bool(r["_suppressed"]),
            0 if r["_suppressed"] else r["rate"],
            natural_key(str(r["level"])),
        ),
    )


def rate_tables(wave: Wave, school: School, class_order: str = "rate") -> list[Table]:
    """Response rates of the roster by year, class and pupil group; groups under 10 pupils hidden.

    Pupils whose response was withdrawn are left out of the roster, as if never on it."""
    rows = wave_data.roster_statuses(wave, school)
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
        if group == "class_name":
            table_rows = _class_order(table_rows, by_name=class_order == "name")
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


MAX_DAYS_SHOWN = 28


def daily_table(wave: Wave, school: School, today: date) -> Table:
    """Pupils who started and finished on each of the wave's last days (up to 4 weeks, to today)."""
    first = wave.opens_at.date()
    last = min(today, (wave.closes_at - timedelta(microseconds=1)).date())
    times = wave_data.response_times(wave, school)
    started = Counter(s.date() for s, _ in times)
    finished = Counter(f.date() for _, f in times if f is not None)
    rows = []
    total = sum(
        count
        for day, count in finished.items()
        if day < max(first, last - timedelta(days=MAX_DAYS_SHOWN - 1))
    )
    day = max(first, last - timedelta(days=MAX_DAYS_SHOWN - 1))
    while day <= last:
        total += finished[day]
        rows.append(
            {
                "day": day.strftime("%a %-d %b"),
                "started": started[day],
                "finished": finished[day],
                "total": total,
            }
        )
        day += timedelta(days=1)
    return Table(
        id="rates-by-day",
        title="Responses per day",
        columns=[
            Column("day", "Day"),
            Column("started", "Started", "count"),
            Column("finished", "Finished", "count"),
            Column("total", "Finished so far", "count"),
        ],
        rows=rows,
        note=f"The last {MAX_DAYS_SHOWN} days of the wave at most. Pupils who said no thanks are not "
        "counted.",
    )


@bp.get("/<int:urn>/waves/<int:wave_id>/rates")
@school_lead
def rates(urn: int, wave_id: int):
    school = school_or_404(urn)
    wave = wave_or_404(school, wave_id)
    class_order = "name" if request.args.get("classes") == "name" else "rate"
    audit.record_view(
        "view_response_rates", actor=current_user, target=f"wave:{wave.id}", school_urn=school.urn
    )
    return render_template(
        "school/rates.html",
        school=school,
        wave=wave,
        progress=wave_data.wave_progress(wave, school),
        tables=rate_tables(wave, school, class_order),
        daily=daily_table(wave, school, utcnow().date()) if wave.opens_at <= utcnow() else None,
        class_order=class_order,
        downloads=lambda table_id: (
            lambda fmt: url_for(
                "school.rates_download", urn=urn, wave_id=wave_id, table_id=table_id, file_format=fmt
            )
        ),
        nav="schools",
    )


@bp.get("/<int:urn>/waves/<int:wave_id>/not-started")
@school_lead
def not_started(urn: int, wave_id: int):
    """A printable list of the pupils not yet started, a page per class, to follow up in class."""
    school = school_or_404(urn)
    wave = wave_or_404(school, wave_id)
    pupils = sorted(
        wave_data.not_started(wave, school),
        key=lambda p: (natural_key(p[0]), natural_key(p[2])),
    )
    groups = [
        {"class": class_name, "references": [reference for _, _, reference in members]}
        for class_name, members in itertools.groupby(pupils, key=lambda p: p[0])
    ]
    audit.record_view("view_not_started", actor=current_user, target=f"wave:{wave.id}", school_urn=school.urn,
                      count=len(pupils))  # fmt: skip
    page = render_template(
        "school/not_started.html", school=school, wave=wave, groups=groups, count=len(pupils), nav="schools"
    )
    return page, 200, {"Cache-Control": "no-store"}


@bp.get("/<int:urn>/waves/<int:wave_id>/rates/<table_id>.<file_format>")
@school_lead
def rates_download(urn: int, wave_id: int, table_id: str, file_format: str):
    school = school_or_404(urn)
    wave = wave_or_404(school, wave_id)
    tables = [*rate_tables(wave, school), daily_table(wave, school, utcnow().date())]
    response = download(tables, table_id, file_format, f"{school.urn}-wave-{wave.id}")
    audit.record_view("export_table", actor=current_user, target=f"wave:{wave.id}", school_urn=school.urn,
                      table=table_id, format=file_format)  # fmt: skip
    return response
