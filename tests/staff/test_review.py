"""The reviewer portal on the demo data: a school's page, compare, areas, disproportionality.

What a reviewer notices: each page has a chart and the table of its figures, every table downloads
as CSV and XLSX with the same cells, a local-authority reviewer sees only their own schools, no
figure rests on fewer than 10 pupils (nor can one be worked out by filtering or subtracting), and
nothing a pupil wrote ever appears.
"""

from __future__ import annotations

import csv
import io
import re
from urllib.parse import urlencode

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from survey.demo import FREE_TEXT
from survey.extensions import db
from survey.models import AuditEvent, School
from survey.results.table import HIDDEN as HIDDEN_LABEL

from ..pages import check_page

NATIONAL = "reviewer@demo.example"
LOCAL = "la-reviewer@demo.example"  # local authority 990
LEAD = "lead@demo.example"
HIDDEN = {HIDDEN_LABEL}
# Columns counting the pupils a figure rests on.
PUPIL_COLUMN = re.compile(r"^Pupils\b")

PAGES = [
    "/review/schools/990001",
    "/review/schools/990012?group=ethnicity_major&scale=wellbeing",
    "/review/compare",
    "/review/compare?questionnaire=national-primary&adjust=contextualised",
    "/review/compare?gap=ethnicity_major:BLAC&measure=safety",
    "/review/areas?measure=fairness",
    "/review/disproportionality?group=ethnicity_major",
]


@pytest.fixture
def national(demo_client_as):
    return demo_client_as(NATIONAL)


@pytest.fixture
def local(demo_client_as):
    return demo_client_as(LOCAL)


# -- reading pages and downloads -------------------------------------------------------------------


def _cell_text(cell) -> str:
    for tag in cell.select(".govuk-tag"):  # "Higher", "More likely": a mark beside the figure
        tag.extract()
    return cell.get_text(" ", strip=True)


def tables_of(page) -> dict[str, tuple[list[str], list[list[str]]]]:
    """Every data table on a page: id → (headers, rows of cell texts). The two-minute summary's
    tables (in its section) restate the page's figures and are not downloads."""
    found = {}
    for table in page.select("table.app-data-table"):
        if table.find_parent("section", class_="app-summary"):
            continue
        headers = [th.get_text(" ", strip=True) for th in table.select("thead th")]
        rows = [[_cell_text(c) for c in tr.find_all(["th", "td"])] for tr in table.select("tbody tr")]
        rows = [r for r in rows if r != ["No results yet."]]
        found[table["id"].removeprefix("table-")] = (headers, rows)
    return found


def get_page(client, url: str):
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return check_page(response)


def download_links(page) -> list[str]:
    return [a["href"] for a in page.select(".app-downloads a")]


def read_csv(response) -> tuple[list[str], list[list[str]]]:
    assert response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(response.get_data().decode("utf-8-sig"))))
    return rows[0], rows[1:]


def read_xlsx(response) -> tuple[list, list[list]]:
    sheet = load_workbook(io.BytesIO(response.get_data())).active
    rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    end = rows.index([None] * len(rows[0])) if [None] * len(rows[0]) in rows else len(rows)
    rows = rows[:end]  # the note follows a blank row
    return rows[0], rows[1:]


def same_figure(screen: str, value) -> bool:
    """A spreadsheet cell (a number, or words) shows the same as the page's cell."""
    if value is None:
        return screen == ""
    if isinstance(value, str):
        return value.lstrip("'") == screen
    text = screen.replace(",", "").replace("+", "")
    if text.endswith("%"):
        return round(value * 100) == int(text[:-1])
    decimals = len(text.split(".")[1]) if "." in text else 0
    return f"{value:.{decimals}f}" == f"{float(text):.{decimals}f}"


def pupil_counts_ok(headers: list[str], rows: list[list[str]], where: str) -> None:
    for index, header in enumerate(headers):
        if not PUPIL_COLUMN.match(str(header)):
            continue
        for row in rows:
            cell = row[index]
            if cell in HIDDEN or cell == "":
                continue
            assert int(str(cell).replace(",", "")) >= 10, f"{where}: {header} shows {cell}"


# -- every page ------------------------------------------------------------------------------------


@pytest.mark.parametrize("url", PAGES)
def test_page_has_chart_and_tables_that_download_with_the_same_cells(national, url):
    page = get_page(national, url)
    svg = page.select("svg.app-chart")
    assert svg and all(s.find("title").get_text(strip=True) for s in svg)
    shown = tables_of(page)
    assert shown
    text = page.get_text(" ")
    assert not any(sentence in text for sentence in FREE_TEXT)
    links = download_links(page)
    assert len(links) == 2 * len(shown)
    for table_id, (headers, rows) in shown.items():
        pupil_counts_ok(headers, rows, f"{url} {table_id}")
        for file_format in ("csv", "xlsx"):
            link = next(h for h in links if re.search(rf"/{table_id}\.{file_format}(\?|$)", h))
            response = national.get(link)
            assert response.status_code == 200, link
            assert "attachment" in response.headers["Content-Disposition"]
            if file_format == "csv":
                assert read_csv(response) == (headers, rows), link
                assert not any(s in response.get_data(as_text=True) for s in FREE_TEXT)
            else:
                got_headers, got_rows = read_xlsx(response)
                assert got_headers == headers
                assert len(got_rows) == len(rows)
                for screen_row, sheet_row in zip(rows, got_rows, strict=True):
                    assert all(same_figure(s, v) for s, v in zip(screen_row, sheet_row, strict=True)), (
                        screen_row,
                        sheet_row,
                    )
                pupil_counts_ok(got_headers, [[("" if v is None else v) for v in r] for r in got_rows], link)


def test_school_page_is_the_schools_dashboard_with_representativeness(national):
    page = get_page(national, "/review/schools/990001")
    shown = tables_of(page)
    assert {"scales", "gaps", "lost-learning", "lost-learning-groups", "trend"} <= set(shown)
    headers, rows = shown["respondents"]
    assert headers[:4] == [
        "Free school meals",
        "Pupils on the roster",
        "Share of the roster",
        "Pupils who answered",
    ]
    assert {r[0] for r in rows} == {"Eligible for free school meals", "Not eligible"}
    roster = sum(int(r[1].replace(",", "")) for r in rows)
    # Who answered is a count the release's disclosure control may hide (one label) to protect a
    # small group elsewhere; what is shown is a count no larger than the roster's.
    assert all(r[3] in HIDDEN or r[3].replace(",", "").isdigit() for r in rows)
    answered = sum(int(r[3].replace(",", "")) for r in rows if r[3] not in HIDDEN)
    assert 0 <= answered < roster
    assert "roster-local-authority" in shown
    for chart in ("scales-chart", "gaps-chart", "lost-learning-chart", "trend-chart"):
        assert page.find("svg", id=chart) is not None


def test_compare_lists_schools_against_limits_with_contextualised_scores(national):
    page = get_page(national, "/review/compare?questionnaire=national-primary")
    headers, rows = tables_of(page)["schools"]
    assert "Score" in headers and "Contextualised score" in headers
    assert len(rows) == 12  # the demo's primary schools, each with 10 or more respondents
    position = headers.index("Funnel plot (score)")
    assert {r[position] for r in rows} <= {
        "Within the limits",
        "Above the 99.8% limits",
        "Below the 99.8% limits",
        "Above the 95% limits only",
        "Below the 95% limits only",
    }
    funnel = page.find("svg", id="funnel")
    assert "99.8%" in funnel.get_text(" ")


def test_audit_records_each_view_and_export(national, demo_app):
    with demo_app.app_context():
        before = db.session.scalar(select(db.func.count(AuditEvent.id)))
    national.get("/review/areas")
    national.get("/review/areas/areas.csv")
    with demo_app.app_context():
        events = db.session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc()).limit(2)).all()
        after = db.session.scalar(select(db.func.count(AuditEvent.id)))
    assert after == before + 2
    assert [e.action for e in reversed(events)] == ["view_results", "export_table"]
    assert events[0].actor == NATIONAL and events[0].detail["table"] == "areas"


# -- scope -----------------------------------------------------------------------------------------


def test_local_authority_reviewer_sees_only_their_schools(local, demo_app):
    with demo_app.app_context():
        schools = db.session.execute(select(School.urn, School.name, School.la_code)).all()
    mine = {name for _, name, la in schools if la == "990"}
    others = {name for _, name, la in schools if la != "990"}
    for questionnaire in ("national-secondary", "national-primary"):
        page = get_page(local, f"/review/compare?questionnaire={questionnaire}")
        names = {row[0] for row in tables_of(page)["schools"][1]}
        assert names and names <= mine
        assert not any(name in page.get_text(" ") for name in others)
    areas = tables_of(get_page(local, "/review/areas"))["areas"][1]
    assert {row[0] for row in areas} >= {"England and Wales", "Demoshire (990)"}
    assert not any("Sampleton" in row[0] or "Caer Enghraifft" in row[0] for row in areas)
    outside = next(urn for urn, _, la in schools if la == "991")
    assert local.get(f"/review/schools/{outside}").status_code == 404
    assert local.get(f"/review/schools/{outside}/scales.csv").status_code == 404
    assert local.get("/review/compare?la=991").status_code == 404
    inside = next(urn for urn, _, la in schools if la == "990")
    assert local.get(f"/review/schools/{inside}").status_code == 200


def test_school_lead_is_refused_and_signed_out_users_sign_in(demo_client_as, demo_app):
    lead = demo_client_as(LEAD)
    signed_out = demo_app.test_client()
    for url in [*PAGES, "/review/compare/schools.csv", "/review/schools/990001/scales.xlsx"]:
        assert lead.get(url).status_code == 403, url
        response = signed_out.get(url)
        assert response.status_code == 302 and "/staff/sign-in" in response.headers["Location"], url


@pytest.mark.parametrize(
    "url",
    [
        "/review/compare?questionnaire=nope",
        "/review/compare?wave=abc",
        "/review/compare?wave=999999",
        "/review/compare?measure=nope",
        "/review/compare?gap=fsm:Q",
        "/review/compare?gap=name:Y",
        "/review/compare?adjust=sideways",
        "/review/compare?la=999",
        "/review/compare?trust=Nobody",
        "/review/compare?phase=Nursery",
        "/review/compare?measure=" + "x" * 5000,
        "/review/areas?measure=belonging_positive",
        "/review/disproportionality?group=name",
        "/review/disproportionality?outcome=belonging",
        "/review/schools/990001?scale=nope",
        "/review/schools/990001?group=class_name",
        "/review/schools/990001?questionnaire=national-primary",
        "/review/schools/1",
        "/review/schools/99999999999999999999",
        "/review/compare/nope.csv",
        "/review/compare/schools.pdf",
        "/review/areas/areas.csv?measure=nope",
    ],
)
def test_bad_parameters_are_not_found_never_an_error(national, url):
    response = national.get(url)
    assert response.status_code == 404, (url, response.status_code)
    check_page(response)


def test_empty_values_fall_back_to_defaults(national):
    for url in (
        "/review/compare?la=&trust=&phase=&gap=&measure=",
        "/review/disproportionality?outcome=&group=",
    ):
        get_page(national, url)


def test_pages_before_any_results(reviewer_client):
    for url in ("/review/compare", "/review/areas", "/review/disproportionality"):
        page = check_page(reviewer_client.get(url))
        assert "No pupil in your area has finished the survey yet." in page.get_text(" ")


# -- no small groups, however the tables are combined ----------------------------------------------


def _numbers(cell: str) -> float:
    return float(cell.replace(",", "").replace("%", "").replace("+", ""))


def test_filters_only_remove_rows(national):
    """A filter never shows a school, or a figure, that the unfiltered page hides."""
    for base in ("measure=belonging", "measure=wellbeing&gap=ethnicity_major:ASIA", "adjust=contextualised"):
        everything = tables_of(get_page(national, f"/review/compare?{base}"))["schools"][1]
        for extra in ("la=990", "la=992", "trust=Demo Learning Trust", "phase=Secondary"):
            url = f"/review/compare?{base}&{urlencode(dict([extra.split('=')]))}"
            filtered = tables_of(get_page(national, url))["schools"][1]
            assert all(row in everything for row in filtered), url


def test_a_local_authority_reviewer_sees_their_authoritys_figures_as_published_for_all(national, local):
    """Each reviewer reads only their own area's cells from the release: a local authority
    reviewer's risk ratios are exactly their authority's rows of the national reviewer's table."""
    query = "/review/disproportionality?questionnaire=national-secondary&group=fsm&outcome=ll_sent_out"
    everywhere = tables_of(get_page(national, query))["by-local-authority"][1]
    mine = [row for row in everywhere if row[0] == "Demoshire (990)"]
    shown = tables_of(get_page(local, query))
    assert mine and shown["by-local-authority"][1] == mine
    by_experience: dict[str, list] = {}
    for row in shown["risk-ratios"][1]:
        by_experience.setdefault(row[0], []).append(row[1:])
    assert [row[1:] for row in mine] in by_experience.values()
    assert len(by_experience) > 1  # every lost-learning experience, for the authority alone


def test_areas_are_sums_of_the_schools_shown(national):
    """An area minus its schools on the compare page leaves nothing: no hidden school is counted."""
    for questionnaire in ("national-secondary", "national-primary"):
        query = f"questionnaire={questionnaire}&measure=belonging"
        areas = {r[0]: r for r in tables_of(get_page(national, f"/review/areas?{query}"))["areas"][1]}
        headers, schools = tables_of(get_page(national, f"/review/compare?{query}"))["schools"]
        pupils, la = headers.index("Pupils"), headers.index("Local authority")
        assert _numbers(areas["England and Wales"][3]) == sum(_numbers(r[pupils]) for r in schools)
        for code, name in (("990", "Demoshire"), ("991", "Sampleton"), ("992", "Caer Enghraifft")):
            in_la = [r for r in schools if r[la] == name]
            assert _numbers(areas[f"{name} ({code})"][3]) == sum(_numbers(r[pupils]) for r in in_la)


def test_area_groups_minus_school_groups_reveal_no_small_group(national):
    """For each local authority: its group's pupils minus the groups its schools' pages show are
    either nothing, or several hidden groups together holding 10 pupils or more."""
    group, outcome = "ethnicity_major", "ll_sent_out"
    headers, rows = tables_of(
        get_page(national, f"/review/disproportionality?group={group}&outcome={outcome}")
    )["by-local-authority"]
    pupils = headers.index("Pupils")
    school_pages = {}
    for urn in range(990001, 990010):  # the secondary schools
        page = get_page(national, f"/review/schools/{urn}?group={group}")
        la = page.select_one(".govuk-caption-l").get_text().split(", ")[1]
        table_headers, table_rows = tables_of(page)["lost-learning-groups"]
        first = [r for r in table_rows if r[0] == table_rows[0][0]]  # the first experience: sent out
        school_pages[urn] = (la, {r[1]: r[table_headers.index("Pupils")] for r in first})
    checked = 0
    for row in rows:
        area, level, cell = row[0], row[1], row[pupils]
        if cell in HIDDEN:
            continue
        name = area.rsplit(" (", 1)[0]
        cells = [cells.get(level) for la, cells in school_pages.values() if la == name]
        hidden = [c for c in cells if c in HIDDEN]
        shown = sum(_numbers(c) for c in cells if c is not None and c not in HIDDEN)
        left = _numbers(cell) - shown
        assert left == 0 or (len(hidden) >= 2 and left >= 10), (area, level, cell, cells)
        checked += 1
    assert checked


def test_protection_hides_an_area_group_that_one_hidden_school_group_would_reveal():
    """`disclosure.protect`: an area shown beside all but one of its schools' groups is hidden."""
    import numpy as np

    from survey.results.disclosure import Relation, protect

    # Cells: the area (20 pupils), school A (8, hidden by its own table), school B (12, shown).
    n = np.array([20, 8, 12])
    hidden = np.array([False, True, False])
    fixed = np.array([False, True, True])
    assert protect(n, hidden, fixed, [Relation.of([0], [1, 2])]).tolist() == [True, True, False]
    # Two hidden school groups of 4 and 5: their sum (9 pupils) would be known, so the area is hidden.
    n = np.array([30, 4, 5, 21])
    hidden = np.array([False, True, True, False])
    fixed = np.array([False, True, True, True])
    assert protect(n, hidden, fixed, [Relation.of([0], [1, 2, 3])]).tolist()[0] is True
    # Hidden groups of 6 and 7 (13 together) are safe to leave: the area is shown.
    n = np.array([34, 6, 7, 21])
    assert protect(n, hidden, fixed, [Relation.of([0], [1, 2, 3])]).tolist()[0] is False


def test_a_school_with_fewer_than_10_respondents_is_in_no_figure(demo_app):
    """With one school cut to 6 respondents: it and the school hidden to protect it are not compared,
    and every area total is exactly the sum of the schools shown, with or without a filter."""
    import pandas as pd

    from survey.results.areas import area_statistics, areas_page
    from survey.results.compare import compare_national, compare_page
    from survey.results.scored import Results, _load

    with demo_app.app_context():
        full = _load("national-secondary")
        scored = full.scored
        cut = pd.concat(
            [scored[scored["school_urn"] != 990002], scored[scored["school_urn"] == 990002].head(6)]
        )
        trimmed = Results(full.questionnaire, cut, full.waves)
        columns = [School.urn, School.name, School.la_code, School.la_name, School.trust, School.phase]
        scope = pd.DataFrame(
            db.session.execute(select(*columns)).all(),
            columns=["urn", "name", "la_code", "la_name", "trust", "phase"],
        )
        wave = trimmed.latest_wave()
        q = trimmed.questionnaire

        def national(adjust):
            return compare_national(trimmed, wave, measure="belonging", gap=None, adjust=adjust)

        compared = compare_page(q, national("raw"), scope, measure="belonging", gap=None)
        filtered = compare_page(q, national("contextualised"), scope[scope["la_code"] == "990"],
                                measure="belonging", gap=None)  # fmt: skip
        stats = area_statistics(trimmed, wave, measure="belonging")
        areas = areas_page(q, stats, scope, measure="belonging", national=True).table("areas")

    assert compared.facts["hidden"] == 2  # one too small, one hidden to protect it: one label
    rows = compared.table("schools").rows
    assert len(rows) == 7 and "Demoshire Hill Secondary School" not in {r["school"] for r in rows}
    assert filtered.facts["hidden"] >= 1
    assert {r["school"] for r in filtered.table("schools").rows} < {r["school"] for r in rows}
    by_area = {r["area"]: r for r in areas.rows}
    assert by_area["England and Wales"]["n"] == sum(r["n"] for r in rows)
    assert by_area["England and Wales"]["schools"] == 7
    demoshire = [r for r in rows if r["la"] == "Demoshire"]
    assert by_area["Demoshire (990)"]["n"] == sum(r["n"] for r in demoshire)
    for r in areas.rows:
        for column in areas.columns:
            if column.key == "n" and not r.get("_suppressed"):
                assert r["n"] >= 10


def test_disproportionality_when_nobody_in_the_wave_answered_an_outcome(demo_app):
    """An outcome no pupil answered (all skipped it) is left out of the tables: never a server error."""
    import pandas as pd

    from survey.results.disproportionality import disproportionality_for_release, disproportionality_page
    from survey.results.labels import lost_learning_questions, short_question
    from survey.results.scored import Results, _load

    with demo_app.app_context():
        full = _load("national-secondary")
        questions = lost_learning_questions(full.questionnaire)
        skipped, answered = questions[0].id, questions[1].id
        scored = full.scored.copy()
        scored[skipped] = pd.NA
        blank = Results(full.questionnaire, scored, full.waves)
        columns = [School.urn, School.name, School.la_code, School.la_name, School.trust, School.phase]
        scope = pd.DataFrame(
            db.session.execute(select(*columns)).all(),
            columns=["urn", "name", "la_code", "la_name", "trust", "phase"],
        )
        for outcome in (skipped, answered):
            page = disproportionality_page(
                blank.questionnaire,
                disproportionality_for_release(blank, blank.latest_wave(), "fsm"),
                scope,
                outcome=outcome,
                group="fsm",
                scope_area=("national", ()),
                area_name="England",
            )
            outcomes = {row["outcome"] for row in page.table("risk-ratios").rows}
            assert outcomes and short_question(questions[0].text.get_for("en")) not in outcomes
