"""Privacy operations end to end: a withdrawn pupil disappears from everything staff can see or export,
and a retention purge takes old waves out of every dashboard.

One story per database, built once for the module: a school whose pupil groups are large enough to be
shown, with an earlier wave that closed four years ago. Staff look at every results page, table
download and export first (so every cache is warm); an admin withdraws one pupil through the admin
pages; staff look again. Then the retention purge runs, first as a dry run. Each test reads what was
seen at each step.
"""

from __future__ import annotations

import csv
import io
import shutil
from dataclasses import dataclass, field
from datetime import timedelta

import openpyxl
import pytest
import sqlalchemy as sa
from bs4 import BeautifulSoup

from survey.data import questionnaires as loaded
from survey.data.users import create_user
from survey.extensions import db
from survey.models import (
    Answer,
    AuditEvent,
    PupilCode,
    Response,
    Role,
    RosterEntry,
    School,
    ScopeKind,
    Wave,
    utcnow,
)
from survey.results.policy import HIDDEN

from .conftest import make_app, migrate
from .pages import check_page
from .responses import make_pupils

PASSWORD = "correct horse battery staple"
LEAD, REVIEWER, ADMIN = "lead@hillside.example", "reviewer@national.example", "admin@national.example"
URN = 100001
# What the withdrawn pupil wrote: the only comment about bullying, and flagged for safeguarding.
WITHDRAWN_TEXT = "The older kids bully me and hit me at the bus stop every day"
WITHDRAWN = "P006"  # year 8, not on free school meals


def text(element) -> str:
    return " ".join(element.get_text(" ").split())


def table_cells(page, table_id: str, key: int = 1) -> dict:
    """A table on a page as {first cell: the other cells}, or {first `key` cells: the others}."""
    table = page.find(id=f"table-{table_id}")
    assert table is not None, table_id
    rows = [[text(c) for c in row.find_all(["th", "td"])] for row in table.select("tbody tr")]
    return {(row[0] if key == 1 else tuple(row[:key])): row[key:] for row in rows}


def csv_rows(response) -> list[list[str]]:
    assert response.status_code == 200
    return list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))


def xlsx_rows(response) -> list[list]:
    assert response.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(response.data)).active
    return [list(row) for row in sheet.iter_rows(values_only=True) if any(v is not None for v in row)]


def count(model, *conditions) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*conditions))


@dataclass
class Story:
    app: object
    wave_id: int
    old_wave_id: int
    withdrawn: object  # tests.responses.Pupil
    seen: dict[str, dict] = field(default_factory=dict)


def _client(app, email: str):
    client = app.test_client()
    response = client.post("/staff/sign-in", data={"email": email, "password": PASSWORD})
    assert response.status_code == 302, response.get_data(as_text=True)
    return client


def parse(response) -> BeautifulSoup:
    """A page, parsed leniently: markup is checked elsewhere, and these pages are large."""
    assert response.status_code == 200, response.status_code
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


def _look(story: Story, lead, reviewer, tmp_path, *, full: bool = True) -> dict:
    """What staff can see of the school's pupils, read off the pages, downloads and exports."""
    wave = story.wave_id
    seen: dict = {}
    results = parse(lead.get(f"/school/{URN}/results?group=fsm"))
    for table_id in ("scales", "gaps", "trend"):
        seen[f"school {table_id}"] = table_cells(results, table_id)
    comments = parse(lead.get(f"/school/{URN}/comments"))
    seen["comments"] = [text(c) for c in comments.select(".app-comment__text")]
    review = parse(reviewer.get(f"/review/schools/{URN}?group=fsm"))
    for table_id in ("scales", "gaps", "trend", "respondents"):
        seen[f"review {table_id}"] = table_cells(review, table_id)
    out, text_out = tmp_path / f"export-{len(story.seen)}.csv", tmp_path / f"text-{len(story.seen)}.csv"
    result = story.app.test_cli_runner().invoke(
        args=["export-responses", "--out", str(out), "--text-out", str(text_out)]
    )
    assert result.exit_code == 0, result.output
    seen["export"] = list(csv.DictReader(out.open(encoding="utf-8")))
    seen["export text"] = list(csv.DictReader(text_out.open(encoding="utf-8")))
    if not full:
        return seen

    seen["school scales.csv"] = csv_rows(lead.get(f"/school/{URN}/results/scales.csv?group=fsm"))
    seen["school gaps.xlsx"] = xlsx_rows(lead.get(f"/school/{URN}/results/gaps.xlsx?group=fsm"))
    seen["comment meta"] = [text(c) for c in comments.select(".app-comment__meta")]
    seen["themes"] = [text(li) for li in comments.select("main ul.govuk-list li")]
    bullying = parse(lead.get(f"/school/{URN}/comments?theme=bullying"))
    seen["bullying comments"] = [text(c) for c in bullying.select(".app-comment__text")]

    rates = parse(lead.get(f"/school/{URN}/waves/{wave}/rates"))
    seen["rates summary"] = text(rates.select_one("main p.govuk-body-l"))
    seen["rates text"] = text(rates.select_one("main"))
    seen["rates-year-group"] = table_cells(rates, "rates-year-group")
    seen["rates-year-group.csv"] = csv_rows(
        lead.get(f"/school/{URN}/waves/{wave}/rates/rates-year-group.csv")
    )
    seen["rates-fsm.xlsx"] = xlsx_rows(lead.get(f"/school/{URN}/waves/{wave}/rates/rates-fsm.xlsx"))
    wave_page = parse(lead.get(f"/school/{URN}/waves/{wave}/"))
    seen["wave"] = {text(r.dt): text(r.dd) for r in wave_page.select(".govuk-summary-list__row")}

    seen["review respondents.csv"] = csv_rows(
        reviewer.get(f"/review/schools/{URN}/respondents.csv?group=fsm")
    )
    seen["review scales.xlsx"] = xlsx_rows(reviewer.get(f"/review/schools/{URN}/scales.xlsx?group=fsm"))
    seen["compare"] = table_cells(parse(reviewer.get("/review/compare")), "schools")
    seen["compare.csv"] = csv_rows(reviewer.get("/review/compare/schools.csv"))
    seen["areas"] = table_cells(parse(reviewer.get("/review/areas")), "areas")
    seen["areas.csv"] = csv_rows(reviewer.get("/review/areas/areas.csv"))
    disproportionality = parse(reviewer.get("/review/disproportionality"))
    seen["disproportionality"] = table_cells(disproportionality, "risk-ratios", key=2)
    return seen


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def story(request, tmp_path_factory) -> Story:
    tmp_path = tmp_path_factory.mktemp("privacy")
    if request.param == "sqlite":
        path = tmp_path / "survey.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        url = f"sqlite:///{path}"
    else:
        url = request.getfixturevalue("postgres_schema")()
        migrate(url)
    app = make_app(url)
    assert app.test_cli_runner().invoke(args=["load-questionnaires"]).exit_code == 0
    with app.app_context():
        school = School(urn=URN, name="Hillside Academy", la_code="201", la_name="Northshire",
                        phase="Secondary", type="Academy", trust="Hill Trust")  # fmt: skip
        db.session.add(school)
        db.session.flush()
        for email, role in ((LEAD, Role.SCHOOL_LEAD), (REVIEWER, Role.REVIEWER), (ADMIN, Role.ADMIN)):
            lead = role is Role.SCHOOL_LEAD
            create_user(email=email, password=PASSWORD, role=role, actor="test",
                        scope_kind=ScopeKind.SCHOOLS if lead else ScopeKind.NATIONAL, scope_value=None,
                        schools=[school] if lead else None)  # fmt: skip
        version = loaded.latest("national-secondary").version
        now = utcnow()
        waves = {}
        for name, opened, closes in (("Autumn 2022", 4 * 365 + 30, -4 * 365), ("Autumn 2026", 10, 30)):
            waves[name] = Wave(name=name, questionnaire_id="national-secondary", questionnaire_version=version,
                               opens_at=now - timedelta(days=opened), closes_at=now + timedelta(days=closes))  # fmt: skip
        db.session.add_all(waves.values())
        db.session.flush()
        make_pupils(waves["Autumn 2022"], school, 24, prefix="R", seed=1)
        made = make_pupils(waves["Autumn 2026"], school, 44, not_started=4, texts={WITHDRAWN: WITHDRAWN_TEXT})
        db.session.commit()
        story = Story(app, waves["Autumn 2026"].id, waves["Autumn 2022"].id, made[WITHDRAWN])

    runner = app.test_cli_runner()
    publish = ["publish-results"]  # staff see only published releases; a withdrawal shows at the next
    assert runner.invoke(args=publish).exit_code == 0
    lead, reviewer, admin = (_client(app, email) for email in (LEAD, REVIEWER, ADMIN))
    story.seen["before"] = _look(story, lead, reviewer, tmp_path)

    asked = {"by": "reference", "urn": str(URN), "wave": str(story.wave_id), "reference": WITHDRAWN}
    confirm = check_page(admin.post("/admin/withdraw", data=asked))
    assert text(confirm.find("h1")) == "Withdraw this response?"
    done = admin.post("/admin/withdraw", data={**asked, "confirm": "yes"})
    assert done.status_code == 302, done.get_data(as_text=True)
    assert runner.invoke(args=publish).exit_code == 0
    story.seen["after"] = _look(story, lead, reviewer, tmp_path)
    story.seen["codes"] = {"csv": csv_rows(lead.post(f"/school/{URN}/waves/{story.wave_id}/codes",
                                                     data={"format": "csv", "confirm": "yes"}))}  # fmt: skip

    with app.app_context():
        story.seen["before purge"] = {"events": count(AuditEvent), "responses": count(Response),
                                      "answers": count(Answer)}  # fmt: skip
    dry = runner.invoke(args=["purge", "--older-than", "3y", "--dry-run"])
    with app.app_context():
        story.seen["after dry run"] = {"events": count(AuditEvent), "responses": count(Response),
                                       "answers": count(Answer)}  # fmt: skip
    purged = runner.invoke(args=["purge", "--older-than", "3y"])
    with app.app_context():
        story.seen["after purge"] = {"answers": count(Answer)}
    assert dry.exit_code == 0 and purged.exit_code == 0, dry.output + purged.output
    story.seen["purge output"] = {"dry": dry.output, "real": purged.output}
    assert runner.invoke(args=publish).exit_code == 0
    story.seen["purged"] = _look(story, lead, reviewer, tmp_path, full=False)
    yield story
    with app.app_context():
        db.engine.dispose()


def numbers(cells: list[str], *columns: int) -> list[int]:
    return [int(cells[c].replace(",", "")) for c in columns]


# -- withdrawal ----------------------------------------------------------------------------------


def test_the_school_dashboard_and_its_downloads_count_one_pupil_fewer(story):
    before, after = story.seen["before"], story.seen["after"]
    assert numbers(before["school scales"]["Belonging"], 0) == [40]
    for scale, cells in before["school scales"].items():
        assert numbers(after["school scales"][scale], 0) == [numbers(cells, 0)[0] - 1], scale
    # The pupil was not on free school meals: the eligible group's row is unchanged, its 20 or, where
    # disclosure control over the whole release hid the row to protect a small group, still hidden.
    # (A two-level split is one comparison, shown as one row: the eligible group against the rest.)
    assert "Not eligible" not in after["school gaps"]
    eligible = "Eligible for free school meals"
    assert after["school gaps"][eligible] == before["school gaps"][eligible]
    assert after["school gaps"][eligible][0] in ("20", HIDDEN)
    assert numbers(after["school trend"]["Autumn 2026"], 0) == [39]
    assert numbers(after["school trend"]["Autumn 2022"], 0) == [24]
    assert after["school scales.csv"][1:] == [[k, *v] for k, v in after["school scales"].items()]
    assert after["school scales.csv"] != before["school scales.csv"]
    sheet = {row[0]: row[1] for row in after["school gaps.xlsx"][1:]}
    assert sheet["Eligible for free school meals"] in (20, HIDDEN) and "Not eligible" not in sheet


def test_reviewers_pages_and_downloads_count_one_pupil_fewer(story):
    before, after = story.seen["before"], story.seen["after"]
    assert numbers(after["review scales"]["Belonging"], 0) == [39]
    eligible = "Eligible for free school meals"
    assert after["review gaps"][eligible] == before["review gaps"][eligible]
    assert after["review gaps"][eligible][0] in ("20", HIDDEN)
    assert numbers(after["review trend"]["Autumn 2026"], 0) == [39]
    # Representativeness: the withdrawn pupil leaves the roster as well as the respondents.
    # On the roster, then who answered (which the release may hide to protect a small group).
    assert numbers(before["review respondents"]["Not eligible"], 0) == [20]
    assert numbers(after["review respondents"]["Not eligible"], 0) == [19]
    assert numbers(after["review respondents"][eligible], 0) == [24]
    assert before["review respondents"]["Not eligible"][2] in ("20", HIDDEN)
    assert after["review respondents"]["Not eligible"][2] in ("19", HIDDEN)
    assert after["review respondents"][eligible][2] in ("20", HIDDEN)
    assert after["review respondents.csv"][1:] == [[k, *v] for k, v in after["review respondents"].items()]
    assert next(r for r in after["review scales.xlsx"] if r[0] == "Belonging")[1] == 39
    assert numbers(after["compare"]["Hillside Academy"], 1) == [39]
    assert after["compare.csv"][1][:3] == ["Hillside Academy", "Northshire", "39"]
    for area, cells in after["areas"].items():
        assert numbers(cells, 2) == [39], area
    assert [row[3] for row in after["areas.csv"][1:]] == ["39"] * len(after["areas"])


def test_disproportionality_counts_one_pupil_fewer(story):
    """Lost-learning items the pupil answered count one pupil fewer in their group; nothing else moves."""
    before, after = story.seen["before"], story.seen["after"]
    assert before["disproportionality"].keys() == after["disproportionality"].keys()
    drops: dict[str, set[int]] = {"Not eligible": set(), "Eligible for free school meals": set()}
    for (experience, group), cells in before["disproportionality"].items():
        now = after["disproportionality"][(experience, group)]
        if HIDDEN not in (cells[0], now[0]):
            drops[group].add(numbers(cells, 0)[0] - numbers(now, 0)[0])
    # (Some items were skipped or not asked, so the pupil's group may keep its count on those.)
    assert drops["Not eligible"] in ({1}, {0, 1}) and drops["Eligible for free school meals"] == {0}


def test_what_the_pupil_wrote_is_gone_from_comments_and_themes(story):
    before, after = story.seen["before"], story.seen["after"]
    assert WITHDRAWN_TEXT in before["comments"] and WITHDRAWN_TEXT not in after["comments"]
    assert (len(before["comments"]), len(after["comments"])) == (40 + 24, 39 + 24)  # this wave and the last
    assert before["bullying comments"] == [WITHDRAWN_TEXT] and after["bullying comments"] == []
    assert any(t.startswith("Bullying") for t in before["themes"])
    assert any(t.startswith("Possible safeguarding concern") for t in before["themes"])
    assert not any(t.startswith(("Bullying", "Possible safeguarding")) for t in after["themes"])
    assert not any("safeguarding" in meta for meta in after["comment meta"])


def test_response_rates_leave_the_withdrawn_pupil_out_and_say_so(story):
    before, after = story.seen["before"], story.seen["after"]
    assert before["rates summary"].startswith("40 of 44 pupils on the roster have finished")
    assert after["rates summary"].startswith("39 of 43 pupils on the roster have finished")
    assert "withdrawn on request are not counted" in after["rates text"]
    assert before["rates-year-group"]["Year 8"] == ["22", "91%"]
    assert after["rates-year-group"]["Year 8"] == ["21", "90%"]
    assert after["rates-year-group"]["Year 7"] == before["rates-year-group"]["Year 7"]
    assert after["rates-year-group.csv"][1:] == [[k, *v] for k, v in after["rates-year-group"].items()]
    assert next(r for r in after["rates-fsm.xlsx"] if r[0] == "Not eligible")[1] == 19
    assert before["wave"]["Pupils on the roster"] == "44" and after["wave"]["Pupils on the roster"] == "43"
    assert after["wave"]["Finished"] == "39"
    assert after["wave"]["Withdrawn on request (not counted on the roster)"] == "1"


def test_the_export_has_neither_the_response_nor_what_the_pupil_wrote(story):
    before, after = story.seen["before"], story.seen["after"]
    pupil = str(story.withdrawn.response_id)
    assert pupil in {r["response_id"] for r in before["export"]}
    assert pupil not in {r["response_id"] for r in after["export"]}
    assert len(after["export"]) == len(before["export"]) - 1
    assert WITHDRAWN_TEXT in {r["text"] for r in before["export text"]}
    assert WITHDRAWN_TEXT not in {r["text"] for r in after["export text"]}
    assert pupil not in {r["response_id"] for r in after["export text"]}


def test_no_row_in_the_database_refers_to_the_withdrawn_response_or_code(story):
    pupil = story.withdrawn
    with story.app.app_context():
        for table in db.metadata.sorted_tables:
            for column in table.columns:
                refers = {fk.column.table.name for fk in column.foreign_keys}
                if "response" in refers or (table.name == "response" and column.name == "id"):
                    found = db.session.scalar(sa.select(sa.func.count()).where(column == pupil.response_id))
                    assert found == 0, f"{table.name}.{column.name}"
                if "pupil_code" in refers or (table.name == "pupil_code" and column.name == "id"):
                    found = db.session.scalar(sa.select(sa.func.count()).where(column == pupil.code_id))
                    assert found == 0, f"{table.name}.{column.name}"
                if isinstance(column.type, sa.String | sa.Text | sa.JSON):
                    as_text = sa.cast(column, sa.Text)
                    for secret in (WITHDRAWN_TEXT, pupil.code.replace("-", ""), pupil.code):
                        found = db.session.scalar(sa.select(sa.func.count()).where(as_text.contains(secret)))
                        assert found == 0, f"{secret!r} in {table.name}.{column.name}"
        from survey import codes

        assert count(PupilCode, PupilCode.code_hash == codes.hash_code(pupil.code)) == 0
        entry = db.session.get(RosterEntry, pupil.roster_id)
        assert entry is not None and entry.withdrawn_at is not None


def test_the_withdrawal_is_audited_without_the_pupil_or_their_answers(story):
    with story.app.app_context():
        events = list(db.session.scalars(sa.select(AuditEvent).filter_by(action="withdraw_response")))
        assert len(events) == 1
        assert events[0].actor == ADMIN
        assert events[0].detail == {"school_urn": URN, "wave_id": story.wave_id}
        everything = str([(e.target, e.detail) for e in db.session.scalars(sa.select(AuditEvent))])
    assert WITHDRAWN not in everything and WITHDRAWN_TEXT not in everything


def test_reprinted_codes_leave_out_the_withdrawn_pupil(story):
    printed = {row[0] for row in story.seen["codes"]["csv"][1:]}
    assert printed == {"P041", "P042", "P043", "P044"}  # the four who had not started
    assert WITHDRAWN not in printed


# -- retention purge -----------------------------------------------------------------------------


def test_a_dry_run_changes_nothing_and_prints_what_the_purge_then_deletes(story):
    assert story.seen["after dry run"] == story.seen["before purge"]
    dry, real = story.seen["purge output"]["dry"], story.seen["purge output"]["real"]
    would = dry.split("Would delete: ")[1].strip()
    deleted = real.split("Deleted: ")[1].strip()
    assert would == deleted
    assert deleted.endswith("answers, 24 responses, 24 codes, 24 roster entries, 0 class sessions")
    answers = story.seen["before purge"]["answers"] - story.seen["after purge"]["answers"]
    assert deleted == f"{answers} answers, 24 responses, 24 codes, 24 roster entries, 0 class sessions"
    assert f"wave {story.old_wave_id}: Autumn 2022" in real
    with story.app.app_context():
        event = db.session.scalars(sa.select(AuditEvent).filter_by(action="purge")).one()
        assert event.actor == "cli" and event.detail["waves"] == [story.old_wave_id]
        assert event.detail["responses"] == 24
        old = [Response, PupilCode, RosterEntry]
        assert [count(m, m.wave_id == story.old_wave_id) for m in old] == [0, 0, 0]
        assert count(Response, Response.wave_id == story.wave_id) == 39
        assert db.session.get(Wave, story.old_wave_id) is not None


def test_purged_waves_leave_every_dashboard(story):
    after, purged = story.seen["after"], story.seen["purged"]
    assert set(after["school trend"]) == {"Autumn 2022", "Autumn 2026"}
    assert set(purged["school trend"]) == {"Autumn 2026"}
    assert set(purged["review trend"]) == {"Autumn 2026"}
    assert purged["school scales"] == after["school scales"]
    assert not {r["wave_id"] for r in purged["export"]} & {str(story.old_wave_id)}
    assert len(purged["comments"]) == len(after["comments"]) - 24
