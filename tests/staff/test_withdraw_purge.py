"""Privacy operations: withdrawing one pupil's response on request, and purging old waves' pupil data."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from survey import codes as pupil_codes
from survey.data import purge as purging
from survey.extensions import db
from survey.models import (
    Answer,
    AuditEvent,
    ClassSession,
    PupilCode,
    Response,
    ResponseStatus,
    RosterEntry,
    School,
    User,
    Wave,
    utcnow,
)

from ..pages import check_page
from .conftest import USERS, upload

# Both databases: withdrawal and purge delete across tables, each database with its own SQL and cascades.
pytestmark = pytest.mark.both_databases

SECRET_TEXT = "my teacher Mrs Example shouts at me"


def text(element) -> str:
    return " ".join(element.get_text(" ").split())


def count(app, model, *conditions) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*conditions))


def add_wave(school_id: int | None, *, opened: int, closed: int, name: str = "Wave") -> Wave:
    """A wave that opened `opened` days ago and closes `closed` days ago (negative: in the future)."""
    now = utcnow()
    wave = Wave(name=name, questionnaire_id="national-secondary", questionnaire_version=1, school_id=school_id,
                opens_at=now - timedelta(days=opened), closes_at=now - timedelta(days=closed))  # fmt: skip
    db.session.add(wave)
    db.session.flush()
    return wave


def add_pupil(wave: Wave, school: School, reference: str, *, answers: int | None = 3) -> str:
    """A pupil on the roster with a code and (unless answers is None) a finished response; the code."""
    entry = RosterEntry(wave_id=wave.id, school_id=school.id, pupil_reference=reference, year_group=8)
    db.session.add(entry)
    db.session.flush()
    code = pupil_codes.generate()
    row = PupilCode(code_hash=pupil_codes.hash_code(code), wave_id=wave.id, school_id=school.id,
                    roster_entry_id=entry.id)  # fmt: skip
    db.session.add(row)
    db.session.flush()
    if answers is not None:
        response = Response(wave_id=wave.id, school_id=school.id, pupil_code_id=row.id,
                            status=ResponseStatus.COMPLETE, completed_at=utcnow())  # fmt: skip
        db.session.add(response)
        db.session.flush()
        for n in range(answers - 1):
            db.session.add(Answer(response_id=response.id, question_id=f"q{n}", value=1))
        db.session.add(Answer(response_id=response.id, question_id="better", text=SECRET_TEXT))
    return code


def add_class_session(wave: Wave, school: School, *, answers: int = 2) -> None:
    session = ClassSession(wave_id=wave.id, school_id=school.id, name="7B")
    db.session.add(session)
    db.session.flush()
    code = PupilCode(code_hash=pupil_codes.hash_code(pupil_codes.generate()), wave_id=wave.id,
                     school_id=school.id, class_session_id=session.id)  # fmt: skip
    db.session.add(code)
    db.session.flush()
    response = Response(wave_id=wave.id, school_id=school.id, pupil_code_id=code.id)
    db.session.add(response)
    db.session.flush()
    db.session.add_all(Answer(response_id=response.id, question_id=f"q{n}", value=2) for n in range(answers))


@pytest.fixture
def pupils(loaded, schools):
    """An open wave at Hillside Academy: P001 finished (3 answers), P002 finished, P003 has not started."""
    with loaded.app_context():
        school = db.session.scalars(sa.select(School).filter_by(urn=schools["a"])).one()
        wave = add_wave(school.id, opened=5, closed=-30, name="Autumn 2026")
        made = {
            ref: add_pupil(wave, school, ref, answers=n)
            for ref, n in [("P001", 3), ("P002", 4), ("P003", None)]
        }
        db.session.commit()
        return {"wave": wave.id, **made}


def responses_of(app, reference: str) -> int:
    with app.app_context():
        return db.session.scalar(
            sa.select(sa.func.count())
            .select_from(Response)
            .join(PupilCode, PupilCode.id == Response.pupil_code_id)
            .join(RosterEntry, RosterEntry.id == PupilCode.roster_entry_id)
            .where(RosterEntry.pupil_reference == reference)
        )


# -- withdrawal ----------------------------------------------------------------------------------


def by_code(code: str, **extra) -> dict:
    return {"by": "code", "code": code, **extra}


def by_reference(wave: int, reference: str, urn: str = "100001", **extra) -> dict:
    return {"by": "reference", "urn": urn, "wave": str(wave), "reference": reference, **extra}


def check_withdrawn(app, client, code: str) -> None:
    """P001's response, answers and code are gone, the roster entry is kept, and P002 is untouched."""
    assert responses_of(app, "P001") == 0
    assert responses_of(app, "P002") == 1
    assert count(app, Answer) == 4  # P002's
    assert count(app, Answer, Answer.text == SECRET_TEXT) == 1
    assert count(app, PupilCode, PupilCode.code_hash == _hash(app, code)) == 0
    assert count(app, RosterEntry, RosterEntry.pupil_reference == "P001") == 1
    with app.app_context():
        event = db.session.scalars(sa.select(AuditEvent).filter_by(action="withdraw_response")).one()
        assert event.actor == USERS["admin"][0]
        wave = db.session.scalars(sa.select(Wave)).one()
        assert event.detail == {"school_urn": 100001, "wave_id": wave.id}
        everything = str([(e.target, e.detail) for e in db.session.scalars(sa.select(AuditEvent))]).upper()
        assert "P001" not in everything
        assert pupil_codes.normalise(code) not in everything.replace("-", "")

    pupil = app.test_client()
    page = check_page(pupil.post("/", data={"code": code}))
    assert "We could not find that code" in text(page.select_one(".govuk-error-summary"))


def _hash(app, code: str) -> str:
    with app.app_context():
        return pupil_codes.hash_code(code)


def test_withdraw_by_code_confirms_then_deletes(admin_client, loaded, pupils):
    check_page(admin_client.get("/admin/withdraw"))
    typed = pupils["P001"].lower().replace("-", " ")
    response = admin_client.post("/admin/withdraw", data=by_code(typed))
    assert response.status_code == 200
    page = check_page(response)
    summary = {text(row.dt): text(row.dd) for row in page.select(".govuk-summary-list__row")}
    assert summary == {
        "School": "Hillside Academy (URN 100001)",
        "Wave": f"Autumn 2026, national-secondary (wave {pupils['wave']})",
        "Response": "Finished",
        "Answers to delete": "3 answers, including anything the pupil wrote",
    }
    assert SECRET_TEXT not in page.get_text()
    assert responses_of(loaded, "P001") == 1  # nothing deleted before confirming

    confirm = {i["name"]: i.get("value", "") for i in page.select("main form input[type=hidden]")}
    assert confirm["confirm"] == "yes"
    done = admin_client.post("/admin/withdraw", data=confirm)
    assert done.headers["Location"] == "/admin/withdraw"
    banner = check_page(admin_client.get("/admin/withdraw")).select_one(".govuk-notification-banner")
    assert "3 answers deleted, and the pupil's code no longer works" in text(banner)
    check_withdrawn(loaded, admin_client, pupils["P001"])

    again = check_page(admin_client.post("/admin/withdraw", data=confirm))
    assert "No pupil has this code" in text(again.select_one(".govuk-error-summary"))


def test_withdraw_by_roster_reference(admin_client, loaded, pupils):
    page = check_page(admin_client.post("/admin/withdraw", data=by_reference(pupils["wave"], "P001")))
    assert "Finished" in text(page.select_one(".govuk-summary-list"))
    done = admin_client.post("/admin/withdraw", data=by_reference(pupils["wave"], "P001", confirm="yes"))
    assert done.status_code == 302
    check_withdrawn(loaded, admin_client, pupils["P001"])

    again = check_page(admin_client.post("/admin/withdraw", data=by_reference(pupils["wave"], "P001")))
    assert "This pupil's response was withdrawn already, on " in text(
        again.select_one(".govuk-error-summary")
    )


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({}, "Choose how to find the response"),
        ({"by": "magic"}, "Choose how to find the response"),
        (by_code(""), "Enter the pupil's code"),
        (by_code("ABC"), "Enter a code of 10 letters and numbers, like ABCDE-23456"),
        (by_code("X" * 100_000), "Enter a code of 10 letters and numbers, like ABCDE-23456"),
        (by_code("ABCDE-23456"), "No pupil has this code"),
        (by_code("P003"), "This pupil has not started the survey, so there is no response to withdraw"),
        (by_reference(0, "P001"), "Choose the wave"),
        (by_reference(-1, "P001", urn=""), "Enter the school's URN"),
        (by_reference(-1, "P001", urn="12"), "Enter a URN of 5 to 7 digits"),
        (by_reference(-1, "P001", urn="999999"), "There is no school with URN 999999"),
        (by_reference(-1, "P001", urn="100002"), "Valley School does not take part in that wave"),
        (by_reference(-1, ""), "Enter the pupil reference"),
        (by_reference(-1, "p001"), "No pupil has the reference p001 on the roster of Hillside Academy"),
        (by_reference(-1, "R" * 1000), "Enter a pupil reference of 40 characters or fewer"),
        (
            by_reference(-1, "P003"),
            "This pupil has not started the survey, so there is no response to withdraw",
        ),
    ],
)
def test_withdrawal_problems_are_explained_and_nothing_is_deleted(
    admin_client, loaded, pupils, data, message
):
    if data.get("wave") == "-1":
        data = {**data, "wave": str(pupils["wave"])}
    if data.get("code") == "P003":
        data = {**data, "code": pupils["P003"]}
    if data.get("wave") == "0":
        data = {**data, "wave": "12345678901234567890"}
    response = admin_client.post("/admin/withdraw", data=data)
    assert response.status_code == 200
    page = check_page(response)
    assert page.title.get_text().startswith("Error:")
    assert message in text(page.select_one(".govuk-error-summary"))
    assert count(loaded, Response) == 2 and count(loaded, Answer) == 7 and count(loaded, PupilCode) == 3


@pytest.mark.parametrize("user", ["school_lead", "reviewer"])
def test_only_admins_can_withdraw(client_as, loaded, pupils, user):
    client = client_as(user)
    assert client.post("/admin/withdraw", data=by_code(pupils["P001"], confirm="yes")).status_code == 403
    assert responses_of(loaded, "P001") == 1


def test_a_withdrawn_pupil_stays_withdrawn(admin_client, school_lead_client, loaded, pupils):
    """No new code on reprinting, even after the roster is uploaded again; not counted in response rates."""
    wave = pupils["wave"]
    admin_client.post("/admin/withdraw", data=by_code(pupils["P001"], confirm="yes"))
    roster = (
        "pupil_reference,year_group,gender,ethnicity_major,ethnicity_minor,sen,fsm,eal,looked_after,class\n"
    )
    roster += "".join(f"{ref},8,F,WHIT,WBRI,N,N,N,N,8B\n" for ref in ("P001", "P002", "P003", "P004"))
    uploaded = upload(school_lead_client, wave, roster)
    assert uploaded.status_code == 302
    with loaded.app_context():
        entries = {e.pupil_reference: e for e in db.session.scalars(sa.select(RosterEntry))}
        assert entries["P001"].withdrawn_at is not None and entries["P001"].class_name == "8B"
        assert [ref for ref, e in sorted(entries.items()) if e.withdrawn_at] == ["P001"]

    slips = check_page(
        school_lead_client.post(
            f"/school/100001/waves/{wave}/codes", data={"format": "slips", "confirm": "yes"}
        )
    )
    printed = [text(m) for m in slips.select(".app-slip__meta[lang=en]")]
    assert printed == ["Hillside Academy · Class 8B · P003", "Hillside Academy · Class 8B · P004"]
    codes = school_lead_client.post(
        f"/school/100001/waves/{wave}/codes", data={"format": "csv", "confirm": "yes"}
    )
    rows = csv.DictReader(io.StringIO(codes.get_data(as_text=True).lstrip("\ufeff")))
    assert [row["reference"] for row in rows] == ["P003", "P004"]
    assert count(loaded, PupilCode, PupilCode.roster_entry_id == entries["P001"].id) == 0

    rates = check_page(school_lead_client.get(f"/school/100001/waves/{wave}/rates"))
    assert text(rates.select_one("main p.govuk-body-l")) == "1 of 3 pupils on the roster have finished (33%)."
    assert "Pupils whose response was withdrawn on request are not counted" in text(rates)
    page = check_page(school_lead_client.get(f"/school/100001/waves/{wave}/"))
    summary = {text(r.dt): text(r.dd) for r in page.select(".govuk-summary-list__row")}
    assert summary["Pupils on the roster"] == "3"
    assert summary["Withdrawn on request (not counted on the roster)"] == "1"


# -- purge ---------------------------------------------------------------------------------------


@pytest.fixture
def waves(loaded, schools):
    """Three waves with pupil data: closed 4 years ago, closed 1 year ago, and open now."""
    with loaded.app_context():
        school = db.session.scalars(sa.select(School).filter_by(urn=schools["a"])).one()
        made = {}
        for key, opened, closed in [("old", 4 * 365 + 30, 4 * 365), ("recent", 400, 365), ("open", 5, -30)]:
            wave = add_wave(school.id if key != "old" else None, opened=opened, closed=closed, name=key)
            add_pupil(wave, school, "P001")
            add_pupil(wave, school, "P002", answers=5)
            add_pupil(wave, school, "P003", answers=None)
            add_class_session(wave, school)
            made[key] = wave.id
        db.session.commit()
    return made


def pupil_data(app, wave_id: int) -> dict[str, int]:
    responses = sa.select(Response.id).where(Response.wave_id == wave_id)
    return {
        "answers": count(app, Answer, Answer.response_id.in_(responses)),
        "responses": count(app, Response, Response.wave_id == wave_id),
        "codes": count(app, PupilCode, PupilCode.wave_id == wave_id),
        "roster": count(app, RosterEntry, RosterEntry.wave_id == wave_id),
        "class_sessions": count(app, ClassSession, ClassSession.wave_id == wave_id),
    }


FULL = {"answers": 10, "responses": 3, "codes": 4, "roster": 3, "class_sessions": 1}
EMPTY = dict.fromkeys(FULL, 0)


def test_purge_deletes_only_pupil_data_of_waves_closed_before_the_cutoff(runner, loaded, waves):
    assert pupil_data(loaded, waves["old"]) == FULL
    result = runner.invoke(args=["purge", "--older-than", "3y"])
    assert result.exit_code == 0, result.output
    assert "Waves that closed before" in result.output and ": 1\n" in result.output
    assert f"wave {waves['old']}: old (national-secondary)" in result.output
    assert "Deleted: 10 answers, 3 responses, 4 codes, 3 roster entries, 1 class sessions" in result.output
    assert pupil_data(loaded, waves["old"]) == EMPTY
    assert pupil_data(loaded, waves["recent"]) == FULL
    assert pupil_data(loaded, waves["open"]) == FULL
    assert count(loaded, Wave) == 3 and count(loaded, School) == 2 and count(loaded, User) == len(USERS)
    with loaded.app_context():
        event = db.session.scalars(sa.select(AuditEvent).filter_by(action="purge")).one()
        assert event.actor == "cli"
        assert event.detail["waves"] == [waves["old"]]
        assert (event.detail["answers"], event.detail["roster_entries"]) == (10, 3)

    again = runner.invoke(args=["purge", "--older-than", "3y"])
    assert "Deleted: 0 answers, 0 responses, 0 codes, 0 roster entries, 0 class sessions" in again.output


@pytest.mark.parametrize(
    "older_than", ["6m", "200d", "11M", (utcnow() - timedelta(days=100)).date().isoformat()]
)
def test_purge_with_a_shorter_period_also_takes_the_recent_wave(runner, loaded, waves, older_than):
    result = runner.invoke(args=["purge", "--older-than", older_than])
    assert result.exit_code == 0, result.output
    assert pupil_data(loaded, waves["old"]) == EMPTY
    assert pupil_data(loaded, waves["recent"]) == EMPTY
    assert pupil_data(loaded, waves["open"]) == FULL


def test_purge_dry_run_changes_nothing(runner, loaded, waves):
    before = count(loaded, AuditEvent)
    result = runner.invoke(args=["purge", "--older-than", "6m", "--dry-run"])
    assert result.exit_code == 0, result.output
    assert (
        "Would delete: 20 answers, 6 responses, 8 codes, 6 roster entries, 2 class sessions" in result.output
    )
    assert "nothing was deleted" in result.output
    assert all(pupil_data(loaded, wave) == FULL for wave in waves.values())
    assert count(loaded, AuditEvent) == before


def test_purge_defaults_to_the_configured_retention(runner, loaded, waves):
    loaded.config["RETENTION_DAYS"] = 2 * 365
    result = runner.invoke(args=["purge"])
    assert result.exit_code == 0, result.output
    assert pupil_data(loaded, waves["old"]) == EMPTY
    assert pupil_data(loaded, waves["recent"]) == FULL


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("3x", "'3x' is not a period such as 3y, 18m or 365d, nor a date such as 2023-08-31"),
        ("three years", "is not a period"),
        ("0d", "'0d' is no time at all"),
        ("-3y", "is not a period"),
        ("2999-01-01", "2999-01-01 is in the future"),
        ("2023-02-30", "is not a period"),
        ("99999y", "is not a period"),
        ("3000y", "before the year 1"),
    ],
)
def test_a_bad_older_than_is_a_usage_error_naming_the_option(runner, loaded, waves, value, message):
    result = runner.invoke(args=["purge", "--older-than", value])
    assert result.exit_code == 2
    error = result.output.strip().splitlines()[-1]
    assert error.startswith("Error: Invalid value for") and "--older-than" in error.split(":")[1]
    assert message in error
    assert all(pupil_data(loaded, wave) == FULL for wave in waves.values())


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("3y", datetime(2022, 3, 31, 12, tzinfo=UTC)),
        ("1m", datetime(2025, 2, 28, 12, tzinfo=UTC)),
        ("13m", datetime(2024, 2, 29, 12, tzinfo=UTC)),
        ("365d", datetime(2024, 3, 31, 12, tzinfo=UTC)),
        ("2024-01-15", datetime(2024, 1, 15, tzinfo=UTC)),
    ],
)
def test_cutoffs_count_back_in_calendar_months(value, expected):
    assert purging.cutoff_from(value, now=datetime(2025, 3, 31, 12, tzinfo=UTC)) == expected
