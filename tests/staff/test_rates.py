"""Response rates that help a school follow up: classes lowest rate first (or in natural order), a
printable list of who has not started by class, responses per day; and participation by school for
reviewers, with nothing under 10 shown."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from survey.extensions import db
from survey.models import AuditEvent, RosterEntry, School, Wave, utcnow

from ..pages import check_page
from ..responses import make_pupils

# (reference prefix, pupils, not started, class): rates 50%, 100%, 73% and 0%.
CLASSES = [("A", 12, 6, "7A"), ("B", 12, 0, "10C"), ("C", 11, 3, "11A"), ("D", 12, 12, "9B")]


def _wave(school: School | None, days_open: int = 10) -> Wave:
    now = utcnow()
    wave = Wave(name="Autumn 2026", questionnaire_id="national-secondary", questionnaire_version=1,
                school_id=school.id if school else None, opens_at=now - timedelta(days=days_open),
                closes_at=now + timedelta(days=30))  # fmt: skip
    db.session.add(wave)
    db.session.flush()
    return wave


def _classes(wave: Wave, school: School, plan) -> None:
    for prefix, count, not_started, class_name in plan:
        make_pupils(wave, school, count, not_started=not_started, prefix=prefix)
        db.session.execute(
            sa.update(RosterEntry)
            .where(RosterEntry.pupil_reference.like(f"{prefix}%"), RosterEntry.school_id == school.id)
            .values(class_name=class_name)
        )
    db.session.commit()


@pytest.fixture
def wave_id(loaded, schools) -> int:
    with loaded.app_context():
        school = db.session.scalars(sa.select(School).filter_by(urn=schools["a"])).one()
        wave = _wave(school)
        _classes(wave, school, CLASSES)
        return wave.id


def _rows(page, table_id: str) -> list[list[str]]:
    return [
        [cell.get_text(strip=True) for cell in row.find_all(["th", "td"])]
        for row in page.select(f"#table-{table_id} tbody tr")
    ]


def test_classes_come_lowest_rate_first_or_in_natural_order(school_lead_client, wave_id):
    page = check_page(school_lead_client.get(f"/school/100001/waves/{wave_id}/rates"))
    assert _rows(page, "rates-class-name") == [
        ["9B", "12", "0%"], ["7A", "12", "50%"], ["11A", "11", "73%"], ["10C", "12", "100%"]
    ]  # fmt: skip
    by_name = check_page(school_lead_client.get(f"/school/100001/waves/{wave_id}/rates?classes=name"))
    assert [r[0] for r in _rows(by_name, "rates-class-name")] == ["7A", "9B", "10C", "11A"]
    assert by_name.find("a", string="Show the lowest rate first")
    # In Welsh: the page's words in Welsh; the tables (labels from the results code) English, marked so.
    school_lead_client.get("/staff/language/cy")
    welsh = check_page(school_lead_client.get(f"/school/100001/waves/{wave_id}/rates?classes=name"))
    assert welsh.html["lang"] == "cy" and welsh.h1.get_text(strip=True) == "Cyfraddau ymateb"
    assert "Mae 26 o’r 47 disgybl ar y rhestr wedi gorffen (55%)." in welsh.get_text(" ")
    assert welsh.find("a", string="Dangos y gyfradd isaf yn gyntaf")
    assert welsh.find(id="table-rates-class-name").find_parent(attrs={"lang": "en"})
    assert welsh.find(id="heading-rates-class-name")["lang"] == "en"


def test_responses_per_day_count_today_and_the_days_before(school_lead_client, wave_id):
    page = check_page(school_lead_client.get(f"/school/100001/waves/{wave_id}/rates"))
    rows = _rows(page, "rates-by-day")
    assert len(rows) == 11  # the day it opened to today
    assert rows[-1][0] == utcnow().strftime("%a %-d %b") and rows[-1][1:] == ["26", "26", "26"]
    assert all(r[1:] == ["0", "0", "0"] for r in rows[:-1])
    download = school_lead_client.get(f"/school/100001/waves/{wave_id}/rates/rates-by-day.csv")
    assert download.status_code == 200 and download.get_data(as_text=True).count("\n") == 12


def test_the_not_started_list_is_by_class_in_natural_order_and_audited(school_lead_client, wave_id, loaded):
    page = check_page(school_lead_client.get(f"/school/100001/waves/{wave_id}/not-started"))
    assert page.find("h1").get_text(strip=True) == "21 pupils not started yet"
    groups = {
        g.find("h2").get_text(strip=True): [li.get_text(strip=True) for li in g.select("li")]
        for g in page.select(".app-print-group")
    }
    assert list(groups) == ["Class 7A: 6 not started", "Class 9B: 12 not started", "Class 11A: 3 not started"]
    assert groups["Class 7A: 6 not started"] == [f"A{n:03d}" for n in range(7, 13)]
    assert groups["Class 11A: 3 not started"] == ["C009", "C010", "C011"]
    with loaded.app_context():
        event = db.session.scalars(sa.select(AuditEvent).filter_by(action="view_not_started")).one()
        assert event.detail["count"] == 21 and "A007" not in str(event.detail)
    # In Welsh, for a teacher who reads Welsh: the same list, the words in Welsh.
    school_lead_client.get("/staff/language/cy")
    welsh = check_page(school_lead_client.get(f"/school/100001/waves/{wave_id}/not-started"))
    assert welsh.html["lang"] == "cy" and welsh.h1.get_text(strip=True) == "21 disgybl heb ddechrau eto"
    group = welsh.select_one(".app-print-group")
    assert group.h2.get_text(strip=True) == "Dosbarth 7A: 6 heb ddechrau"
    assert "Yn cau" in group.p.get_text() and group.find("li").get_text(strip=True) == "A007"
    assert welsh.find("a", string="Yn ôl i’r cyfraddau ymateb")


@pytest.fixture
def national(loaded, schools) -> int:
    """A national wave: Hillside (LA 201) with 25 finished of 25, Valley (LA 202) 5 finished of 12."""
    with loaded.app_context():
        a, b = (db.session.scalars(sa.select(School).filter_by(urn=schools[k])).one() for k in "ab")
        wave = _wave(None)
        _classes(wave, a, [("H", 25, 0, "8A")])
        _classes(wave, b, [("V", 12, 7, "8A")])
        return wave.id


def test_participation_by_school_shows_nothing_under_ten(client_as, national):
    page = check_page(client_as("reviewer").get("/review/participation"))
    assert _rows(page, "participation") == [
        ["Hillside Academy (100001)", "Northshire", "25", "25", "100%"],
        ["Valley School (100002)", "Southshire", *["hidden to protect pupils"] * 3],
    ]
    la = check_page(client_as("la_reviewer").get(f"/review/participation?wave={national}"))
    assert [r[0] for r in _rows(la, "participation")] == ["Hillside Academy (100001)"]
    assert client_as("la_reviewer").get("/review/participation?wave=999").status_code == 404
    assert client_as("school_lead").get("/review/participation").status_code in (302, 403)
