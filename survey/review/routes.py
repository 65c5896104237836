"""Reviewer views: aggregate results only, for the schools of the reviewer's area; never free text.

Every page checks its query (`params`: unknown values are a 404), builds its tables (`tables`,
`school`), records that results were viewed in the audit log, and offers each table as CSV and
XLSX at ``…/<table_id>.<csv|xlsx>`` with the same query (recorded as an export).
"""

from __future__ import annotations

from flask import abort, render_template, request, url_for
from flask_login import current_user

from ..access import role_required, school_or_404
from ..data import audit, scope
from ..data import waves as wave_data
from ..models import Role, School, ScopeKind, Wave
from ..results.areas import areas_page
from ..results.compare import compare_page, released_compare
from ..results.disproportionality import disproportionality_page, released_disproportionality
from ..results.page import Page, kept_page
from ..results.released import about
from ..results.table import FORMATS, Column, Table, download
from ..text_input import clean
from . import bp
from . import params as p
from .school import school_page

MAX_FOUND = 50
MAX_URN = 2**31 - 1
reviewer = role_required(Role.REVIEWER)


@bp.get("/")
@reviewer
def index():
    """Find a school by name or URN."""
    query = clean(request.args.get("q") or "")[:200]  # PostgreSQL cannot compare a NUL
    found: list[School] | None = None
    if query:
        found = scope.find_in_scope(current_user, query, limit=MAX_FOUND + 1)
    return render_template("review/index.html", query=query, found=found, max_found=MAX_FOUND, nav="find")


# -- participation by school ----------------------------------------------------------------------

MIN_SHOWN = 10


def participation_table(rows: list[tuple[int, str, str, int, int]]) -> Table:
    """Each school's roster, finished responses and rate; a school with fewer than 10 on its roster
    or fewer than 10 finished shows no numbers at all."""
    shown = []
    for urn, name, la_name, roster, finished in rows:
        hidden = roster < MIN_SHOWN or finished < MIN_SHOWN
        rate = 100 * finished / roster if roster else None
        shown.append({"school": f"{name} ({urn})", "la": la_name, "roster": roster, "finished": finished,
                      "rate": rate, "_suppressed": hidden})  # fmt: skip
    return Table(
        id="participation",
        title="Participation by school",
        columns=[
            Column("school", "School (URN)"),
            Column("la", "Local authority"),
            Column("roster", "Pupils on the roster", "count"),
            Column("finished", "Finished the survey", "count"),
            Column("rate", "Response rate", "percent"),
        ],
        rows=shown,
        note="Schools with fewer than 10 pupils on the roster, or fewer than 10 finished, show no numbers.",
    )


def _participation() -> tuple[list[Wave], Wave | None, Table | None]:
    waves = wave_data.national_waves()
    chosen = request.args.get("wave")
    if chosen is not None and chosen not in {str(w.id) for w in waves}:
        abort(404)
    wave = next((w for w in waves if str(w.id) == chosen), waves[0] if waves else None)
    if wave is None:
        return waves, None, None
    return waves, wave, participation_table(wave_data.participation(wave, current_user))


@bp.get("/participation")
@reviewer
def participation():
    """How many pupils took part at each school in the reviewer's area, for a national wave."""
    waves, wave, table = _participation()
    if wave is not None and table is not None:
        audit.record_view("view_participation", actor=current_user, target=f"wave:{wave.id}",
                          schools=len(table.rows))  # fmt: skip
    return render_template(
        "review/participation.html",
        waves=waves,
        wave=wave,
        table=table,
        downloads=(lambda fmt: url_for("review.participation_table_download", file_format=fmt, wave=wave.id))
        if wave
        else None,
        nav="participation",
    )


@bp.get("/participation/participation.<file_format>")
@reviewer
def participation_table_download(file_format: str):
    _waves, wave, table = _participation()
    if wave is None or table is None or file_format not in FORMATS:
        abort(404)
    audit.record_view("export_table", actor=current_user, target=f"wave:{wave.id}", table=table.id,
                      format=file_format)  # fmt: skip
    return download([table], table.id, file_format, f"participation-wave-{wave.id}")


# -- shared --------------------------------------------------------------------------------------


def _release_id(filters: p.Filters) -> int | None:
    return filters.results.release.id if filters.results else None


def _viewed(target: str, filters: p.Filters, endpoint: str) -> None:
    audit.record_view("view_results", actor=current_user, target=target, page=endpoint,
                      **{**filters.query(), "release": _release_id(filters)})  # fmt: skip


def _export(page: Page, filters: p.Filters, target: str, table_id: str, file_format: str, stem: str):
    if file_format not in FORMATS or page.table(table_id) is None:
        abort(404)
    audit.record_view(
        "export_table",
        actor=current_user,
        target=target,
        table=table_id,
        format=file_format,
        **{**filters.query(), "release": _release_id(filters)},
    )
    return download(page.tables, table_id, file_format, stem)


def _downloads(endpoint: str, filters: p.Filters, **keys):
    """For the data_table macro: table → (format → URL of that table's download, same filters)."""

    def for_table(table):
        return lambda file_format: url_for(
            endpoint, table_id=table.id, file_format=file_format, **keys, **filters.query()
        )

    return for_table


def _wave(filters: p.Filters, school_id: int | None = None) -> None:
    p.choose_wave(filters, filters.results.latest_wave(school_id))
    if filters.wave_id is None:
        abort(404)


# -- a school ------------------------------------------------------------------------------------


def _school(urn: int) -> tuple[School, p.Filters, Page | None]:
    if urn > MAX_URN:  # larger than the database's integers: no such school (and no overflow error)
        abort(404)
    school = school_or_404(urn)
    filters = p.choose_questionnaire(p.questionnaires_of_school(school))
    if filters.results is None:
        return school, filters, None
    _wave(filters, school.id)
    scales = p.scale_options(filters)
    filters.values["scale"] = p.choose("scale", dict(scales), scales[0][0])
    filters.values["group"] = p.choose("group", dict(p.group_options()), "fsm")
    page = school_page(
        filters.results, school, filters.wave_id, scale_id=filters["scale"], group=filters["group"]
    )
    page.facts["release"] = about(
        filters.results.release, filters.results.school_part(school.id, filters.wave_id)
    )
    return school, filters, page


@bp.get("/schools/<int:urn>")
@reviewer
def school(urn: int):
    school, filters, page = _school(urn)
    _viewed(f"school:{urn}", filters, "review.school")
    return render_template(
        "review/school.html",
        school=school,
        filters=filters,
        page=page,
        scales=p.scale_options(filters) if filters.results else [],
        groups=p.group_options(),
        downloads=_downloads("review.school_table", filters, urn=urn),
        nav="find",
    )


@bp.get("/schools/<int:urn>/<table_id>.<file_format>")
@reviewer
def school_table(urn: int, table_id: str, file_format: str):
    _, filters, page = _school(urn)
    if page is None:
        abort(404)
    return _export(page, filters, f"school:{urn}", table_id, file_format, f"school-{urn}")


# -- compare schools -----------------------------------------------------------------------------


def _compare() -> tuple[p.Filters, dict, Page | None]:
    filters = p.choose_questionnaire(p.questionnaires_in_scope())
    scope = p.scope_frame()
    options = p.area_options(scope)
    for name in ("la", "trust", "phase"):
        filters.values[name] = p.choose(name, dict(options[name]))
    if filters.results is None:
        return filters, options, None
    _wave(filters)
    options["measure"] = p.scale_options(filters)
    options["gap"] = p.gap_options(filters)
    options["adjust"] = list(p.ADJUSTMENTS.items())
    filters.values["measure"] = p.choose("measure", dict(options["measure"]), options["measure"][0][0])
    filters.values["gap"] = p.choose("gap", dict(options["gap"]))
    filters.values["adjust"] = p.choose("adjust", p.ADJUSTMENTS, "raw")
    chosen = scope
    for name, column in (("la", "la_code"), ("trust", "trust"), ("phase", "phase")):
        if filters[name]:
            chosen = chosen[chosen[column] == filters[name]]
    gap = tuple(filters["gap"].split(":", 1)) if filters["gap"] else None
    national = released_compare(filters.results, filters.wave_id, filters["measure"], gap, filters["adjust"])
    if national is None:
        abort(404)
    query = {"questionnaire": filters.questionnaire_id, "wave": filters.wave_id}
    page = kept_page(
        filters.results.release,
        "compare",
        filters.query(),
        chosen,
        lambda: compare_page(
            filters.questionnaire,
            national,
            chosen,
            measure=filters["measure"],
            gap=gap,
            link=lambda urn: url_for("review.school", urn=urn, **query),
        ),
    )
    page.facts["release"] = about(filters.results.release)
    return filters, options, page


@bp.get("/compare")
@reviewer
def compare():
    filters, options, page = _compare()
    _viewed("compare", filters, "review.compare")
    return render_template(
        "review/compare.html",
        filters=filters,
        options=options,
        page=page,
        downloads=_downloads("review.compare_table", filters),
        nav="compare",
    )


@bp.get("/compare/<table_id>.<file_format>")
@reviewer
def compare_table(table_id: str, file_format: str):
    filters, _, page = _compare()
    if page is None:
        abort(404)
    return _export(page, filters, "compare", table_id, file_format, "compare-schools")


# -- areas ---------------------------------------------------------------------------------------


def _areas() -> tuple[p.Filters, dict, Page | None]:
    filters = p.choose_questionnaire(p.questionnaires_in_scope())
    options: dict = {}
    if filters.results is None:
        return filters, options, None
    _wave(filters)
    options["measure"] = p.scale_options(filters)
    filters.values["measure"] = p.choose("measure", dict(options["measure"]), options["measure"][0][0])
    national = current_user.scope_kind is ScopeKind.NATIONAL
    released = filters.results.item("areas", f"{filters.wave_id}:{filters['measure']}")
    if released is None:
        abort(404)
    scope = p.scope_frame()
    page = kept_page(
        filters.results.release,
        "areas",
        filters.query(national=national),
        scope,
        lambda: areas_page(
            filters.questionnaire, released, scope, measure=filters["measure"], national=national
        ),
    )
    page.facts["release"] = about(filters.results.release)
    return filters, options, page


@bp.get("/areas")
@reviewer
def areas():
    filters, options, page = _areas()
    _viewed("areas", filters, "review.areas")
    return render_template(
        "review/areas.html",
        filters=filters,
        options=options,
        page=page,
        downloads=_downloads("review.areas_table", filters),
        nav="areas",
    )


@bp.get("/areas/<table_id>.<file_format>")
@reviewer
def areas_table(table_id: str, file_format: str):
    filters, _, page = _areas()
    if page is None:
        abort(404)
    return _export(page, filters, "areas", table_id, file_format, "areas")


# -- disproportionality --------------------------------------------------------------------------


def _scope_area() -> tuple[tuple[str, tuple], str]:
    """The reviewer's whole area, as `tables.AREA_FAMILIES` names it, and its name."""
    kind, value = current_user.scope_kind, current_user.scope_value
    if kind is ScopeKind.NATIONAL:
        return ("national", ()), "all schools"
    if kind is ScopeKind.LOCAL_AUTHORITY:
        name = scope.local_authority_name(value)
        return ("la", (value,)), f"{name or 'local authority'} ({value})"
    if kind is ScopeKind.TRUST:
        return ("trust", (value,)), str(value)
    abort(404)  # a reviewer of single schools has no area to compare groups across


def _disproportionality() -> tuple[p.Filters, dict, Page | None]:
    filters = p.choose_questionnaire(p.questionnaires_in_scope())
    options: dict = {"group": p.group_options()}
    filters.values["group"] = p.choose("group", dict(options["group"]), "fsm")
    if filters.results is None:
        return filters, options, None
    _wave(filters)
    options["outcome"] = p.outcome_options(filters)
    if not options["outcome"]:
        filters.values["outcome"] = p.choose("outcome", {})
        return filters, options, None
    filters.values["outcome"] = p.choose("outcome", dict(options["outcome"]), options["outcome"][0][0])
    area, name = _scope_area()
    scope = p.scope_frame()
    page = kept_page(
        filters.results.release,
        "disproportionality",
        filters.query(area=area, area_name=name),
        scope,
        lambda: disproportionality_page(
            filters.questionnaire,
            released_disproportionality(filters.results, filters.wave_id, filters["group"], area),
            scope,
            outcome=filters["outcome"],
            group=filters["group"],
            scope_area=area,
            area_name=name,
        ),
    )
    page.facts["area_name"] = name
    page.facts["release"] = about(filters.results.release)
    return filters, options, page


@bp.get("/disproportionality")
@reviewer
def disproportionality():
    filters, options, page = _disproportionality()
    _viewed("disproportionality", filters, "review.disproportionality")
    return render_template(
        "review/disproportionality.html",
        filters=filters,
        options=options,
        page=page,
        downloads=_downloads("review.disproportionality_table", filters),
        nav="disproportionality",
    )


@bp.get("/disproportionality/<table_id>.<file_format>")
@reviewer
def disproportionality_table(table_id: str, file_format: str):
    filters, _, page = _disproportionality()
    if page is None:
        abort(404)
    return _export(page, filters, "disproportionality", table_id, file_format, "disproportionality")
