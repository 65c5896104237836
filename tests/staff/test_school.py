"""The school lead's portal: waves, roster upload, codes, class sessions, response rates, results."""

from __future__ import annotations

import csv
import io
import re

import openpyxl
import pytest
import segno
import sqlalchemy as sa

from survey import codes
from survey.demo import FREE_TEXT
from survey.extensions import db
from survey.models import AuditEvent, PupilCode, RosterEntry, School
from survey.results.policy import HIDDEN

from ..pages import check_page
from .conftest import preview, upload

HEADER = "pupil_reference,year_group,gender,ethnicity_major,ethnicity_minor,sen,fsm,eal,looked_after,class\n"


def roster_csv(count: int, *, year=7, start=1, klass="7A") -> str:
    rows = [f"P{n:04d},{year},F,WHIT,WBRI,N,N,N,N,{klass}" for n in range(start, start + count)]
    return HEADER + "\n".join(rows) + "\n"


@pytest.fixture
def wave_id(school_lead_client):
    response = school_lead_client.post(
        "/school/100001/waves/new",
        data={
            "name": "Spring 2027",
            "questionnaire": "national-secondary",
            "opens": ["1", "1", "2026"],
            "closes": ["1", "1", "2030"],
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    return int(re.search(r"/waves/(\d+)/", response.headers["Location"]).group(1))


def test_overview_lists_the_school_and_its_waves(school_lead_client, wave_id):
    page = check_page(school_lead_client.get("/school/100001/"))
    assert page.find("h1").get_text(strip=True) == "Hillside Academy"
    assert "Spring 2027" in page.get_text()


def test_a_single_school_lead_goes_straight_to_the_school(school_lead_client):
    assert school_lead_client.get("/school/").headers["Location"] == "/school/100001/"


def test_another_schools_pages_are_not_found(school_lead_client, wave_id):
    for url in ["/school/100002/", "/school/100002/results", "/school/100002/comments", "/school/999999/"]:
        assert school_lead_client.get(url).status_code == 404, url


def test_a_wave_must_close_after_it_opens(school_lead_client):
    page = check_page(
        school_lead_client.post(
            "/school/100001/waves/new",
            data={
                "name": "Backwards",
                "questionnaire": "national-secondary",
                "opens": ["2", "2", "2027"],
                "closes": ["1", "2", "2027"],
            },
        )
    )
    assert (
        "The last day must be the same as or after the first day"
        in page.select_one(".govuk-error-summary").get_text()
    )


def test_a_bad_roster_lists_every_problem_and_saves_nothing(school_lead_client, wave_id, loaded):
    bad = (
        HEADER
        + "P0001,7,F,WHIT,WBRI,N,N,N,N,7A\nJohn Smith,99,F,WHIT,WBRI,N,N,N,N,7A\nP0003,7,Q,XXXX,WBRI,N,N,N,N,7A\n"
    )
    page = check_page(upload(school_lead_client, wave_id, bad))
    text = page.get_text(" ")
    assert "nothing was saved" in text
    assert "line 3, column 'pupil_reference'" in text
    assert "line 3, column 'year_group'" in text
    assert "line 4, column 'gender'" in text
    with loaded.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(RosterEntry)) == 0


def test_a_file_that_is_not_csv_is_refused(school_lead_client, wave_id):
    page = check_page(upload(school_lead_client, wave_id, "hello", name="roster.exe"))
    assert "The roster must be a CSV file" in page.select_one(".govuk-error-summary").get_text()


# An export from a school's MIS as it comes, with its own column names and spellings.
MIS_EXPORT = """Admission No,Surname Initial,Year,Reg Group,Gender,Ethnicity,SEN Status,FSM Eligible,First Language,In Care
A1001,S,Year 7,7A,Female,White - British,No Special Educational Needs,Yes,English,No
A1002,K,Year 7,7A,Male,Asian or Asian British - Pakistani,SEN Support,No,Urdu,No
A1003,O,Year 8,8B,Female,Black or Black British - African,EHC Plan,False,Other than English,Yes
A1004,W,Yr 9,9C,Male,Mixed - White and Black Caribbean,School-maintained IDP,N,Believed to be English,
A1005,P,Y10,10A,Unknown,Information Not Yet Obtained,,Y,Polish,N
A1006,J,Year 11,11Z,F,White,IDP maintained by the local authority,,Unclassified,
A1007,L,Year 7,7B,Female,Any Other White Background,SEN support,No,English,No
"""


def test_an_mis_export_is_previewed_with_its_values_mapped_then_saved(school_lead_client, wave_id, loaded):
    page = check_page(preview(school_lead_client, wave_id, MIS_EXPORT))
    assert page.find("h1").get_text(strip=True) == "Check how your roster was read"
    assert "7 pupils in 6 classes" in page.get_text(" ")
    columns = {
        r.th.get_text(strip=True): r.td.get_text(strip=True) for r in page.select("#roster-columns tbody tr")
    }
    assert columns["Admission No"] == "pupil_reference" and columns["Reg Group"] == "class"
    assert columns["First Language"] == "eal" and "Surname Initial" not in columns
    values = {
        (r.select("td")[0].get_text(strip=True), r.th.get_text(strip=True)): (
            r.select("td")[1].get_text(strip=True), r.select("td")[2].get_text(strip=True)
        )
        for r in page.select("#roster-values tbody tr")
    }  # fmt: skip
    assert values[("Year", "Year 7")] == ("Year 7", "3")
    assert values[("Gender", "Female")] == ("Female (F)", "3")
    assert values[("Ethnicity", "White - British")] == ("White – British (WHIT, WBRI)", "1")
    assert values[("SEN Status", "School-maintained IDP")][0].endswith("(K)")
    assert values[("SEN Status", "IDP maintained by the local authority")][0].endswith("(E)")
    assert values[("First Language", "Polish")][0].startswith("Y (yes)")
    with loaded.app_context():  # nothing saved yet
        assert db.session.scalar(sa.select(sa.func.count()).select_from(RosterEntry)) == 0
    assert upload(school_lead_client, wave_id, MIS_EXPORT).status_code == 302
    with loaded.app_context():
        saved = {e.pupil_reference: e for e in db.session.scalars(sa.select(RosterEntry))}
    assert {r: (e.year_group, e.class_name, e.gender) for r, e in saved.items() if r in ("A1001", "A1005")} == {
        "A1001": (7, "7A", "F"), "A1005": (10, "10A", None)
    }  # fmt: skip
    a2, a3, a4, a6 = saved["A1002"], saved["A1003"], saved["A1004"], saved["A1006"]
    assert (a2.ethnicity_major, a2.ethnicity_minor, a2.sen.value, a2.eal) == ("ASIA", "APKN", "K", True)
    assert (a3.ethnicity_minor, a3.sen.value, a3.fsm, a3.looked_after) == ("BAFR", "E", False, True)
    assert (a4.ethnicity_major, a4.ethnicity_minor, a4.sen.value, a4.eal) == ("MIXD", "MWBC", "K", False)
    assert (a6.ethnicity_major, a6.ethnicity_minor, a6.sen.value, a6.eal) == ("WHIT", None, "E", None)


def test_an_mis_export_with_problems_names_each_by_line_and_its_own_column(school_lead_client, wave_id):
    bad = MIS_EXPORT.replace("Year 8,8B,Female", "Year 14,8B,Femme").replace("Urdu,No", "Urdu,Maybe")
    page = check_page(preview(school_lead_client, wave_id, bad))
    problems = [li.get_text(" ", strip=True) for li in page.select(".govuk-inset-text li")]
    assert problems == [
        "line 3, column 'In Care': 'Maybe' is not Y, N or blank (or Yes, No)",
        "line 4, column 'Year': 14 is not a year this questionnaire is for (7–13)",
        "line 4, column 'Gender': 'Femme' is not one of F, M, O (Female, Male, Other) or blank",
    ]
    missing = check_page(preview(school_lead_client, wave_id, "Admission No,Year\nA1,7\n"))
    assert "missing column(s) 'gender'" in missing.get_text(" ")


def test_the_roster_template_reads_back_without_mapping(school_lead_client, wave_id):
    response = school_lead_client.get("/school/100001/roster-template.csv")
    assert response.headers["Content-Disposition"] == 'attachment; filename="roster-template.csv"'
    text = response.get_data(as_text=True).lstrip("\ufeff")
    assert text.splitlines()[0] == HEADER.strip()
    page = check_page(preview(school_lead_client, wave_id, text))
    assert "3 pupils in 3 classes" in page.get_text(" ")
    assert "Every value was already in the template’s codes" in page.get_text()
    assert not page.select("#roster-columns")


def test_a_tampered_or_stale_preview_saves_nothing(school_lead_client, wave_id, loaded):
    response = school_lead_client.post(f"/school/100001/waves/{wave_id}/roster", data={"roster": "x.y.z"})
    assert response.status_code == 302
    page = check_page(school_lead_client.get(response.headers["Location"]))
    assert "Upload the roster again" in page.get_text()
    with loaded.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(RosterEntry)) == 0


def test_codes_are_issued_once_as_csv_and_reprinting_replaces_unused_ones(
    school_lead_client, wave_id, loaded
):
    response = upload(school_lead_client, wave_id, roster_csv(12))
    assert response.status_code == 302
    first = school_lead_client.post(f"/school/100001/waves/{wave_id}/codes", data={"format": "csv"})
    assert first.headers["Content-Disposition"].startswith("attachment")
    assert first.headers["Cache-Control"] == "no-store"
    rows = list(csv.DictReader(io.StringIO(first.get_data(as_text=True).lstrip("\ufeff"))))
    assert len(rows) == 12 and {r["reference"] for r in rows} == {f"P{n:04d}" for n in range(1, 13)}
    assert all(codes.looks_like_a_code(r["code"]) for r in rows)
    assert "name" not in rows[0]

    # Printing again would stop the 12 printed codes working: the lead is told so first, and
    # nothing changes until they confirm.
    confirm = check_page(
        school_lead_client.post(f"/school/100001/waves/{wave_id}/codes", data={"format": "slips"})
    )
    assert confirm.find("h1").get_text(strip=True) == "12 printed codes will stop working"
    assert not confirm.select(".app-slip__code")
    with loaded.app_context():
        stored = set(db.session.scalars(sa.select(PupilCode.code_hash)))
        assert {codes.hash_code(r["code"]) for r in rows} == stored  # the first codes still work
    hidden = {i["name"]: i["value"] for i in confirm.select("form input[type=hidden]")}
    slips = check_page(
        school_lead_client.post(f"/school/100001/waves/{wave_id}/codes", data={**hidden, "confirm": "yes"})
    )
    printed = [s.get_text(strip=True) for s in slips.select(".app-slip__code")]
    assert len(printed) == 12 and not set(printed) & {r["code"] for r in rows}
    # Each slip tells its pupil, in English and Welsh, that the code is theirs alone.
    for slip in slips.select(".app-slip"):
        assert "keep it to yourself" in slip.get_text(" ", strip=True)
        assert slip.select_one("[lang=cy]:-soup-contains('cadwa fe i ti dy hun')")
    with loaded.app_context():
        stored = set(db.session.scalars(sa.select(PupilCode.code_hash)))
        assert {codes.hash_code(c) for c in printed} == stored  # the first codes no longer work


def test_the_first_print_needs_no_confirmation(school_lead_client, wave_id):
    upload(school_lead_client, wave_id, roster_csv(3))
    page = check_page(
        school_lead_client.post(f"/school/100001/waves/{wave_id}/codes", data={"format": "slips"})
    )
    assert len(page.select(".app-slip__code")) == 3


def _slip_codes(page) -> dict[str, str]:
    """{reference: code} of a slips page."""
    found = {}
    for slip in page.select(".app-slip"):
        reference = slip.select_one(".app-slip__meta").get_text(strip=True).rsplit("·", 1)[-1].strip()
        found[reference] = slip.select_one(".app-slip__code").get_text(strip=True)
    return found


def test_slips_come_by_year_and_class_in_natural_order_a_page_each_with_a_qr_code(
    school_lead_client, wave_id
):
    rows = [
        "R11,11,F,,,,,,,11A", "R10,10,M,,,,,,,10C", "R2,7,F,,,,,,,7B", "R1,7,M,,,,,,,7A",
        "R3,7,F,,,,,,,7A", "R9,9,F,,,,,,,", "R4,10,F,,,,,,,10A",
    ]  # fmt: skip
    assert upload(school_lead_client, wave_id, HEADER + "\n".join(rows) + "\n").status_code == 302
    page = check_page(
        school_lead_client.post(f"/school/100001/waves/{wave_id}/codes", data={"format": "slips"})
    )
    headings = [h.get_text(" ", strip=True) for h in page.select(".app-slip-group > h2")]
    assert headings == [
        "Class 7A, year 7: 2 slips",
        "Class 7B, year 7: 1 slip",
        "No class, year 9: 1 slip",
        "Class 10A, year 10: 1 slip",
        "Class 10C, year 10: 1 slip",
        "Class 11A, year 11: 1 slip",
    ]
    assert list(_slip_codes(page)) == ["R1", "R3", "R2", "R9", "R4", "R10", "R11"]
    # Each QR code is the start page's address with that pupil's code, drawn without inline styles.
    for slip in page.select(".app-slip"):
        code = slip.select_one(".app-slip__code").get_text(strip=True)
        qr = slip.select_one("svg.app-slip__qr")
        expected = segno.make(f"http://localhost/?code={code}", error="m").svg_inline(scale=3)
        assert qr.find("path")["d"] in expected and qr["aria-hidden"] == "true"
        assert not qr.find(attrs={"style": True})


def test_the_qr_code_opens_the_start_page_with_the_code_filled_in(school_lead_client, loaded):
    page = check_page(loaded.test_client().get("/?code=ABCDE-23456"))
    assert page.find("input", attrs={"name": "code"})["value"] == "ABCDE-23456"
    ignored = check_page(loaded.test_client().get("/?code=<script>"))
    assert ignored.find("input", attrs={"name": "code"})["value"] == ""


def test_new_codes_for_one_class_leave_other_classes_working(school_lead_client, wave_id, loaded):
    upload(
        school_lead_client,
        wave_id,
        roster_csv(3, klass="7A") + roster_csv(2, start=10, klass="7B")[len(HEADER) :],
    )
    first = _slip_codes(
        check_page(school_lead_client.post(f"/school/100001/waves/{wave_id}/codes", data={"format": "slips"}))
    )
    data = {"format": "slips", "scope": "class", "class": "7B"}
    confirm = check_page(school_lead_client.post(f"/school/100001/waves/{wave_id}/codes", data=data))
    assert confirm.find("h1").get_text(strip=True) == "2 printed codes will stop working"
    assert "in class 7B" in confirm.get_text(" ")
    again = _slip_codes(
        check_page(
            school_lead_client.post(f"/school/100001/waves/{wave_id}/codes", data={**data, "confirm": "yes"})
        )
    )
    assert set(again) == {"P0010", "P0011"} and not set(again.values()) & set(first.values())
    expected = {first[r] for r in ("P0001", "P0002", "P0003")} | set(again.values())
    with loaded.app_context():
        stored = set(db.session.scalars(sa.select(PupilCode.code_hash)))
        assert stored == {codes.hash_code(c) for c in expected}
    missing = school_lead_client.post(f"/school/100001/waves/{wave_id}/codes", data={**data, "class": "12Z"})
    assert missing.status_code == 400
    assert "Choose a class on the roster" in check_page(missing).select_one(".govuk-error-summary").get_text()


def test_a_new_code_for_one_pupil_keeps_their_answers_and_signs_out_the_old_code(
    school_lead_client, wave_id, loaded
):
    upload(school_lead_client, wave_id, roster_csv(3))
    first = _slip_codes(
        check_page(school_lead_client.post(f"/school/100001/waves/{wave_id}/codes", data={"format": "slips"}))
    )
    pupil = loaded.test_client()
    assert pupil.post("/", data={"code": first["P0002"]}).status_code == 302
    assert pupil.post("/before-you-start", data={"choice": "yes"}).status_code == 302
    data = {"format": "slips", "scope": "pupil", "reference": "P0002"}
    confirm = check_page(school_lead_client.post(f"/school/100001/waves/{wave_id}/codes", data=data))
    assert confirm.find("h1").get_text(strip=True) == "The code on P0002’s printed slip will stop working"
    new = _slip_codes(
        check_page(
            school_lead_client.post(f"/school/100001/waves/{wave_id}/codes", data={**data, "confirm": "yes"})
        )
    )
    assert list(new) == ["P0002"] and new["P0002"] != first["P0002"]
    # The device still signed in with the old code is signed out; the old code no longer opens.
    assert pupil.get("/section/belonging").headers["Location"] == "/"
    assert "could not find that code" in loaded.test_client().post(
        "/", data={"code": first["P0002"]}
    ).get_data(as_text=True)
    # The new code goes back to the pupil's answers; the other pupils' codes still work.
    resumed = loaded.test_client().post("/", data={"code": new["P0002"]})
    assert resumed.status_code == 302 and "/section/" in resumed.headers["Location"]
    assert loaded.test_client().post("/", data={"code": first["P0001"]}).status_code == 302
    with loaded.app_context():
        event = db.session.scalars(
            sa.select(AuditEvent).filter_by(action="issue_codes").order_by(AuditEvent.id.desc())
        ).first()
        assert event.detail["count"] == 1 and event.detail["scope"] == "pupil"
        assert "P0002" not in str(event.detail)


@pytest.mark.parametrize(
    ("reference", "message"),
    [
        ("P0099", "There is no pupil with the reference P0099 on this wave’s roster"),
        ("Jane Smith", "Enter a reference as on your roster"),
        ("", "Enter the pupil’s reference"),
    ],
)
def test_a_new_code_for_a_pupil_not_on_the_roster_is_explained(
    school_lead_client, wave_id, reference, message
):
    upload(school_lead_client, wave_id, roster_csv(3))
    response = school_lead_client.post(
        f"/school/100001/waves/{wave_id}/codes",
        data={"format": "slips", "scope": "pupil", "reference": reference},
    )
    assert response.status_code == 400
    page = check_page(response)
    assert message in page.select_one(".govuk-error-summary").get_text()
    assert page.select_one(".govuk-error-summary a")["href"] == "#reissue-reference"


def test_the_code_csv_is_safe_to_open_in_a_spreadsheet(school_lead_client, wave_id):
    """A class name typed as a formula comes out as text, as in every other download."""
    upload(school_lead_client, wave_id, roster_csv(2, klass='=HYPERLINK("http://x.example")'))
    upload(school_lead_client, wave_id, roster_csv(1, start=3, klass="+1-2"))
    response = school_lead_client.post(f"/school/100001/waves/{wave_id}/codes", data={"format": "csv"})
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    formula = '\'=HYPERLINK("http://x.example")'
    assert sorted(r["class"] for r in rows) == ["'+1-2", formula, formula]
    assert all(codes.looks_like_a_code(r["code"]) for r in rows)
    assert {r["year"] for r in rows} == {"7"}


def test_an_anonymous_class_session_prints_codes_without_references(school_lead_client, wave_id, loaded):
    page = check_page(
        school_lead_client.post(
            f"/school/100001/waves/{wave_id}/class-sessions", data={"class-name": "8B", "class-count": "5"}
        )
    )
    assert len(page.select(".app-slip__code")) == 5
    too_many = school_lead_client.post(
        f"/school/100001/waves/{wave_id}/class-sessions", data={"class-name": "8B", "class-count": "500"}
    )
    assert too_many.status_code == 400
    assert "Enter a number from 1 to 60" in check_page(too_many).select_one(".govuk-error-summary").get_text()


def test_response_rates_hide_groups_under_ten(school_lead_client, wave_id):
    upload(
        school_lead_client, wave_id, roster_csv(30, year=7) + roster_csv(4, year=8, start=100)[len(HEADER) :]
    )
    page = check_page(school_lead_client.get(f"/school/100001/waves/{wave_id}/rates"))
    table = page.find(id="table-rates-year-group")
    cells = {r.find("th").get_text(strip=True): [td.get_text(strip=True) for td in r.find_all("td")]
             for r in table.select("tbody tr")}  # fmt: skip
    assert cells["Year 8"][0] == HIDDEN
    # With one small group hidden, the next smallest is hidden too, or the total would give it away.
    assert cells["Year 7"][0] != "30"
    download = school_lead_client.get(f"/school/100001/waves/{wave_id}/rates/rates-year-group.csv")
    rows = list(csv.reader(io.StringIO(download.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[1:] == [[k, *v] for k, v in cells.items()]


def test_trusted_adult_text_and_you_said_we_did_are_saved_and_audited(school_lead_client, loaded):
    school_lead_client.post("/school/100001/trusted-adult", data={"text": "Talk to Mr Evans in room 4."})
    school_lead_client.post("/school/100001/you-said-we-did", data={"text": "Longer lunch queues fixed."})
    with loaded.app_context():
        school = db.session.scalar(sa.select(School).filter_by(urn=100001))
        assert school.trusted_adult_text == "Talk to Mr Evans in room 4."
        assert school.you_said_we_did == "Longer lunch queues fixed." and school.you_said_we_did_at
        actions = set(db.session.scalars(sa.select(AuditEvent.action)))
    assert {"set_trusted_adult_text", "publish_you_said_we_did"} <= actions


def test_the_school_writes_its_texts_for_pupils_in_welsh_too(school_lead_client, loaded):
    form = check_page(school_lead_client.get("/school/100001/trusted-adult"))
    assert form.select_one("textarea[name=text_cy]")["lang"] == "cy"
    school_lead_client.post(
        "/school/100001/trusted-adult", data={"text": "Talk to Mr Evans.", "text_cy": "Siarada â Mr Evans."}
    )
    school_lead_client.post(
        "/school/100001/you-said-we-did", data={"text": "More clubs.", "text_cy": "Mwy o glybiau."}
    )
    too_long = check_page(
        school_lead_client.post("/school/100001/you-said-we-did", data={"text": "x", "text_cy": "y" * 2001})
    )
    assert "2,000 characters or fewer in the Welsh" in too_long.select_one(".govuk-error-summary").get_text()
    with loaded.app_context():
        school = db.session.scalar(sa.select(School).filter_by(urn=100001))
        assert (school.trusted_adult_text_cy, school.you_said_we_did_cy) == (
            "Siarada â Mr Evans.",
            "Mwy o glybiau.",
        )
    school_lead_client.post("/school/100001/you-said-we-did", data={"text": "", "text_cy": "Mwy o glybiau."})
    with loaded.app_context():  # removing the English removes what pupils see, in both languages
        school = db.session.scalar(sa.select(School).filter_by(urn=100001))
        assert (school.you_said_we_did, school.you_said_we_did_cy) == (None, None)


def test_other_roles_cannot_use_the_school_portal(reviewer_client, admin_client, anonymous_client):
    assert reviewer_client.get("/school/100001/").status_code == 403
    assert admin_client.get("/school/100001/").status_code == 403
    assert anonymous_client.get("/school/100001/").status_code == 302


# -- results on the demo data -------------------------------------------------------------------


def _table_cells(table) -> list[list[str]]:
    return [[c.get_text(" ", strip=True).split(" Higher")[0].split(" Lower")[0].split(" More likely")[0]
             .split(" Less likely")[0] for c in row.find_all(["th", "td"])] for row in table.select("tbody tr")]  # fmt: skip


def _small_counts(page) -> list[str]:
    """Every number of pupils shown under 10 (which must never happen)."""
    found = []
    for table in page.select("table"):
        headers = [th.get_text(strip=True) for th in table.select("thead th")]
        columns = [i for i, h in enumerate(headers) if h.startswith("Pupils")]
        for row in table.select("tbody tr"):
            cells = row.find_all(["th", "td"])
            for i in columns:
                text = cells[i].get_text(strip=True).replace(",", "") if i < len(cells) else ""
                if text.isdigit() and int(text) < 10:
                    found.append(f"{table.get('id')}: {text}")
    return found


@pytest.mark.parametrize("group", ["fsm", "sen", "ethnicity_major", "gender", "year_group", "looked_after"])
def test_results_show_every_table_with_a_chart_and_no_small_groups(demo_client_as, group):
    client = demo_client_as("lead@demo.example")
    page = check_page(client.get(f"/school/990001/results?group={group}"))
    ids = {t.get("id") for t in page.select("table")}
    assert {
        "table-scales",
        "table-gaps",
        "table-lost-learning",
        "table-lost-learning-groups",
        "table-trend",
    } <= ids
    for svg in page.select("svg[role=img]"):
        assert svg.find("title") and svg.find("desc")
    assert len(page.select("svg[role=img]")) >= 3
    assert _small_counts(page) == []


def test_downloads_hold_exactly_the_table_on_screen(demo_client_as):
    client = demo_client_as("lead@demo.example")
    page = check_page(client.get("/school/990001/results?group=ethnicity_major"))
    for table_id in ["scales", "gaps", "lost-learning-groups"]:
        screen = _table_cells(page.find(id=f"table-{table_id}"))
        as_csv = client.get(f"/school/990001/results/{table_id}.csv?group=ethnicity_major")
        rows = list(csv.reader(io.StringIO(as_csv.get_data(as_text=True).lstrip("\ufeff"))))
        assert rows[1:] == screen, table_id
        as_xlsx = client.get(f"/school/990001/results/{table_id}.xlsx?group=ethnicity_major")
        sheet = openpyxl.load_workbook(io.BytesIO(as_xlsx.data)).active
        assert sheet.max_row - 1 >= len(screen)
        hidden_on_screen = sum(row.count(HIDDEN) for row in screen)
        hidden_in_sheet = sum(1 for row in sheet.iter_rows(values_only=True) for v in row if v == HIDDEN)
        assert hidden_in_sheet == hidden_on_screen, table_id


def test_an_unknown_table_or_filter_is_not_found(demo_client_as):
    client = demo_client_as("lead@demo.example")
    assert client.get("/school/990001/results/nope.csv").status_code == 404
    assert client.get("/school/990001/results/scales.pdf").status_code == 404
    assert client.get("/school/990001/results?scale=nope").status_code == 404
    assert client.get("/school/990001/results?wave=999999").status_code == 404


def test_the_school_lead_reads_redacted_free_text(demo_client_as, demo_app):
    client = demo_client_as("lead@demo.example")
    page = check_page(client.get("/school/990001/comments"))
    text = page.get_text(" ")
    assert any(t.split(".")[0] in text for t in FREE_TEXT)
    assert "Possible safeguarding concern" in text
    with demo_app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).where(AuditEvent.action == "view_free_text")) >= 1


def test_results_views_and_exports_are_audited(demo_client_as, demo_app):
    client = demo_client_as("lead@demo.example")
    with demo_app.app_context():
        before = db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent))
    client.get("/school/990001/results")
    client.get("/school/990001/results/scales.csv")
    with demo_app.app_context():
        events = db.session.scalars(sa.select(AuditEvent).order_by(AuditEvent.id.desc()).limit(2)).all()
        assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent)) == before + 2
    assert [e.action for e in events] == ["export_table", "view_results"]
    assert events[0].detail["table"] == "scales" and events[0].actor == "lead@demo.example"


def test_the_wave_page_in_welsh(school_lead_client, wave_id):
    """The wave page follows the Welsh chosen on the language switch: its words, form labels and error
    messages; the importer's line-by-line problems stay English and are marked so."""
    school_lead_client.get("/staff/language/cy")
    url = f"/school/100001/waves/{wave_id}/"
    page = check_page(school_lead_client.get(url))
    assert page.html["lang"] == "cy"
    assert (
        page.find("h2", id="section-roster").get_text(strip=True) == "1. Llwytho’r rhestr ddisgyblion i fyny"
    )
    assert page.select_one("label[for=roster]").get_text(strip=True) == "Llwytho’r rhestr i fyny"
    assert page.select_one("label[for=class-name]").get_text(strip=True) == "Enw’r dosbarth"
    assert "1 Ionawr 2026 i 1 Ionawr 2030" in page.get_text(" ", strip=True)
    assert page.find("button", string="Argraffu slipiau’r codau")
    not_csv = check_page(upload(school_lead_client, wave_id, "hello", name="roster.exe"))
    summary = not_csv.select_one(".govuk-error-summary")
    assert "Mae problem" in summary.get_text() and "Rhaid i’r rhestr fod yn ffeil CSV" in summary.get_text()
    bad = check_page(upload(school_lead_client, wave_id, HEADER + "John Smith,99,F,WHIT,WBRI,N,N,N,N,7A\n"))
    assert (
        "Mae 2 broblem yn y ffeil; chafodd dim byd ei gadw"
        in bad.select_one(".govuk-error-summary").get_text()
    )
    problems = bad.select_one(".govuk-inset-text ul")
    assert problems["lang"] == "en" and "line 2, column 'pupil_reference'" in problems.get_text()
    too_many = school_lead_client.post(
        f"/school/100001/waves/{wave_id}/class-sessions", data={"class-name": "8B", "class-count": "500"}
    )
    assert too_many.status_code == 400
    assert "Rhowch rif o 1 i 60" in check_page(too_many).select_one(".govuk-error-summary").get_text()
    no_reference = school_lead_client.post(
        f"/school/100001/waves/{wave_id}/codes", data={"format": "slips", "scope": "pupil", "reference": ""}
    )
    assert no_reference.status_code == 400
    assert (
        "Rhowch gyfeirnod y disgybl" in check_page(no_reference).select_one(".govuk-error-message").get_text()
    )
    # Why a code cannot be reissued comes from the data layer in English: marked so.
    unknown = check_page(
        school_lead_client.post(
            f"/school/100001/waves/{wave_id}/codes",
            data={"format": "slips", "scope": "pupil", "reference": "NOPE1"},
        )
    )
    reason = unknown.select_one(".govuk-error-summary [lang=en]")
    assert reason.get_text() == "There is no pupil with the reference NOPE1 on this wave’s roster"
    # In English, the same page is as before.
    school_lead_client.get("/staff/language/en")
    english = check_page(school_lead_client.get(url))
    assert english.html["lang"] == "en" and english.find("h2", string="1. Upload the roster")


def test_the_roster_preview_and_the_reprint_confirmation_in_welsh(school_lead_client, wave_id):
    school_lead_client.get("/staff/language/cy")
    page = check_page(preview(school_lead_client, wave_id, MIS_EXPORT))
    assert page.html["lang"] == "cy"
    assert page.h1.get_text(strip=True) == "Gwiriwch sut cafodd eich rhestr ei darllen"
    assert "Mae 7 disgybl yn y ffeil, mewn 6 dosbarth." in page.get_text(" ")
    assert page.select_one("#roster-values th").get_text(strip=True) == "Colofn"
    assert page.select_one("#roster-values tbody td[lang=en]")  # how a value was read: English
    assert page.find("button", string="Cadw’r rhestr")
    assert upload(school_lead_client, wave_id, roster_csv(12)).status_code == 302
    again = check_page(preview(school_lead_client, wave_id, roster_csv(13)))
    assert (
        "bydd 12 sydd ar y rhestr yn barod yn cael eu diweddaru, a 1 yn cael eu hychwanegu"
        in again.get_text(" ")
    )
    school_lead_client.post(f"/school/100001/waves/{wave_id}/codes", data={"format": "csv"})
    confirm = check_page(
        school_lead_client.post(f"/school/100001/waves/{wave_id}/codes", data={"format": "slips"})
    )
    assert confirm.html["lang"] == "cy"
    assert confirm.h1.get_text(strip=True) == "Bydd 12 cod printiedig yn stopio gweithio"
    assert "Mae gan 12 disgybl god ond dydyn nhw ddim wedi dechrau." in confirm.get_text(" ")
    assert confirm.find("button", string="Creu codau newydd")
    one = check_page(
        school_lead_client.post(
            f"/school/100001/waves/{wave_id}/codes",
            data={"format": "slips", "scope": "pupil", "reference": "P0002"},
        )
    )
    assert one.h1.get_text(strip=True) == "Bydd y cod ar slip printiedig P0002 yn stopio gweithio"
    school_lead_client.get("/staff/language/en")
    english = check_page(
        school_lead_client.post(f"/school/100001/waves/{wave_id}/codes", data={"format": "slips"})
    )
    assert english.html["lang"] == "en"
    assert "12 pupils have a code but have not started." in english.get_text(" ")


def test_code_slips_in_welsh_keep_their_english_and_welsh_lines(school_lead_client, wave_id):
    school_lead_client.get("/staff/language/cy")
    page = check_page(
        school_lead_client.post(
            f"/school/100001/waves/{wave_id}/class-sessions", data={"class-name": "8B", "class-count": "2"}
        )
    )
    assert page.html["lang"] == "cy" and page.h1.get_text(strip=True) == "2 slip cod"
    assert page.select_one(".app-slip-group > h2").get_text(" ", strip=True) == "Dosbarth 8B: 2 slip"
    assert "Argraffwch neu cadwch y dudalen hon nawr." in page.select_one(".govuk-warning-text").get_text()
    for slip in page.select(".app-slip"):  # the slips are for pupils: English and Welsh, each marked
        assert (
            "keep it to yourself"
            in slip.select_one("[lang=en]:-soup-contains('keep it to yourself')").get_text()
        )
        assert slip.select_one("[lang=cy]:-soup-contains('cadwa fe i ti dy hun')")
