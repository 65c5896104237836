"""Results releases: staff see only published, immutable releases, and no release reflects one pupil.

Driven through the web pages and downloads a school lead and a reviewer use, on SQLite and
PostgreSQL: one or nine more finished pupils change nothing anyone can see, the tenth does at the
next release; a withdrawal is gone after the next release; a failed release leaves the previous one.
"""

from __future__ import annotations

import io
import logging
import re
from datetime import timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

import analysis
from survey.data import questionnaires as loaded_questionnaires
from survey.data import withdraw
from survey.data.export import export_frame
from survey.extensions import db
from survey.models import AuditEvent, Release, ReleaseItem, ReleaseStatus, Response, School, Wave, utcnow
from survey.results import build, release_disclosure, store
from survey.results.policy import HIDDEN
from survey.results.publish import PublishError, publish
from survey.results.scored import RELEASED_IDS_SQL

from ..conftest import make_app
from ..responses import make_pupils
from .conftest import sign_in

LEAD_PAGES = [
    "/school/100001/results",
    "/school/100001/results?group=gender&scale=safety",
    "/school/100001/results/scales.csv",
    "/school/100001/results/gaps.csv?group=year_group",
    "/school/100001/results/lost-learning.csv",
    "/school/100001/results/scales.xlsx",
    "/school/100001/comments",
]
REVIEWER_PAGES = [
    "/review/schools/100001",
    "/review/schools/100001/scales.csv",
    "/review/compare",
    "/review/compare/schools.csv",
    "/review/areas",
    "/review/areas/areas.csv",
    "/review/disproportionality",
]
# What may differ between two releases with the same figures: the note saying when it was published.
_VOLATILE = re.compile(
    r'<p class="govuk-body[^"]*" id="release-note">.*?</p>|name="csrf_token"[^>]*>|nonce="[^"]*"', re.S
)


@pytest.fixture
def wave(loaded, schools):
    with loaded.app_context():
        found = Wave(
            name="Autumn 2026",
            questionnaire_id="national-secondary",
            questionnaire_version=loaded_questionnaires.latest("national-secondary").version,
            opens_at=utcnow() - timedelta(days=7),
            closes_at=utcnow() + timedelta(days=30),
        )
        db.session.add(found)
        db.session.commit()
        return found.id


def _add(app, wave_id: int, count: int, prefix: str, urn: int = 100001) -> None:
    with app.app_context():
        school = db.session.scalar(select(School).where(School.urn == urn))
        make_pupils(db.session.get(Wave, wave_id), school, count, prefix=prefix, seed=len(prefix) + count)
        db.session.commit()


def _publish(app) -> Release:
    with app.app_context():
        release = publish("test")
        db.session.expunge(release)
        return release


def _seen(clients) -> dict[str, bytes]:
    """Every page and download the school lead and a reviewer can open, as they see it."""
    found = {}
    for client, urls in clients:
        for url in urls:
            response = client.get(url)
            assert response.status_code == 200, (url, response.status_code)
            body = response.get_data()
            if response.mimetype == "text/html":
                body = _VOLATILE.sub("", body.decode()).encode()
            elif url.endswith(".xlsx"):  # the cells; the file itself carries the time it was made
                sheet = load_workbook(io.BytesIO(body)).active
                body = repr([[cell.value for cell in row] for row in sheet.iter_rows()]).encode()
            found[url] = body
    return found


@pytest.fixture
def seen(loaded, school_lead_client, reviewer_client):
    return lambda: _seen([(school_lead_client, LEAD_PAGES), (reviewer_client, REVIEWER_PAGES)])


def test_nothing_is_shown_before_the_first_release(loaded, wave, school_lead_client):
    _add(loaded, wave, 30, "A")
    page = school_lead_client.get("/school/100001/results").get_data(as_text=True)
    assert "No results have been published yet" in page
    assert school_lead_client.get("/school/100001/results/scales.csv").status_code == 404


def test_one_or_nine_more_pupils_change_nothing_and_the_tenth_does(loaded, wave, seen, school_lead_client):
    _add(loaded, wave, 30, "A")
    _publish(loaded)
    before = seen()
    assert "30" in before["/school/100001/results/scales.csv"].decode("utf-8-sig")
    _add(loaded, wave, 1, "B")
    _publish(loaded)
    assert seen() == before  # one more pupil: every page and download as it was
    _add(loaded, wave, 8, "C")
    _publish(loaded)
    assert seen() == before  # nine more: still nothing moves
    _add(loaded, wave, 1, "D")
    release = _publish(loaded)
    after = seen()
    changed = [url for url in before if after[url] != before[url]]
    assert "/school/100001/results/scales.csv" in changed
    assert ",40," in after["/school/100001/results/scales.csv"].decode("utf-8-sig")
    page = school_lead_client.get("/school/100001/results").get_data(as_text=True)
    assert re.search(r"Published on \d+ \w+ \d{4} at \d\d:\d\d from 40 responses", page)
    with loaded.app_context():
        assert db.session.scalar(select(func.count()).where(Response.released_in == release.id)) == 10


def test_a_withdrawal_is_gone_after_the_next_release(loaded, wave, seen, school_lead_client):
    made = _add_made(loaded, wave, 30)
    _publish(loaded)
    before = seen()
    with loaded.app_context():
        withdraw.withdraw(withdraw.by_reference(100001, wave, "A001"), actor="test")
        db.session.commit()
    assert seen() == before  # published figures stay until the next release (SECURITY.md says so)
    _publish(loaded)
    after = seen()
    for url in ("/school/100001/results/scales.csv", "/review/schools/100001/scales.csv"):
        assert ",29," in after[url].decode("utf-8-sig"), url
    assert made


def _add_made(app, wave_id: int, count: int):
    with app.app_context():
        school = db.session.scalar(select(School).where(School.urn == 100001))
        made = make_pupils(db.session.get(Wave, wave_id), school, count, prefix="A")
        db.session.commit()
        return made


def test_a_failed_release_keeps_the_previous_one(loaded, wave, seen, monkeypatch):
    _add(loaded, wave, 30, "A")
    first = _publish(loaded)
    before = seen()
    _add(loaded, wave, 12, "B")

    def broken(results, carry):
        raise ZeroDivisionError("a bug in a table")
        yield

    monkeypatch.setattr(build, "questionnaire_items", broken)
    with loaded.app_context(), pytest.raises(PublishError):
        publish("test")
    assert seen() == before
    with loaded.app_context():
        statuses = dict(db.session.execute(select(Release.id, Release.status)).all())
        assert statuses[first.id] is ReleaseStatus.PUBLISHED
        failed = db.session.scalar(select(Release).where(Release.status == ReleaseStatus.FAILED))
        assert failed.failure == "ZeroDivisionError"  # the kind of error, never a value
        # Its responses were not taken in: the next release still sees 12 new ones.
        assert db.session.scalar(select(func.count()).where(Response.released_in.is_(None))) == 12


def test_releases_are_immutable_and_earlier_ones_stay_readable(loaded, wave, school_lead_client):
    _add(loaded, wave, 30, "A")
    first = _publish(loaded)
    with loaded.app_context():
        stored = dict(
            db.session.execute(
                select(ReleaseItem.key, ReleaseItem.payload).where(ReleaseItem.release_id == first.id)
            ).all()
        )
    _add(loaded, wave, 10, "B")
    _publish(loaded)
    with loaded.app_context():
        again = dict(
            db.session.execute(
                select(ReleaseItem.key, ReleaseItem.payload).where(ReleaseItem.release_id == first.id)
            ).all()
        )
    assert again == stored
    old = school_lead_client.get(f"/school/100001/results/scales.csv?release={first.id}")
    new = school_lead_client.get("/school/100001/results/scales.csv")
    assert ",30," in old.get_data(as_text=True) and ",40," in new.get_data(as_text=True)
    page = school_lead_client.get(f"/school/100001/results?release={first.id}").get_data(as_text=True)
    assert f"an earlier release, number {first.id}" in page
    assert school_lead_client.get("/school/100001/results?release=999999").status_code == 404
    assert school_lead_client.get("/school/100001/results?release=abc").status_code == 404


def test_two_app_instances_show_identical_figures(loaded, wave, schools):
    _add(loaded, wave, 30, "A")
    _publish(loaded)
    url = loaded.config["SQLALCHEMY_DATABASE_URI"]
    pages = []
    for _ in range(2):
        other = make_app(url)
        client = other.test_client()
        sign_in(client, "lead@a.example")
        pages.append([client.get(u).get_data() for u in LEAD_PAGES if u.endswith(".csv")])
        with other.app_context():
            db.engine.dispose()
    assert pages[0] == pages[1]


def test_release_tables_equal_analysis_on_the_same_snapshot(loaded, wave, schools):
    _add(loaded, wave, 30, "A")
    _add(loaded, wave, 25, "B", urn=100002)
    release = _publish(loaded)
    with loaded.app_context():
        questionnaire = loaded_questionnaires.definition("national-secondary", 1)
        exported = export_frame("national-secondary", RELEASED_IDS_SQL)  # what export-responses writes
        scored = analysis.score(exported, questionnaire)
        for urn in (100001, 100002):
            scales = store.read(
                db.session.get(Release, release.id), "table:scales", f"national-secondary:{wave}:{urn}:"
            )
            rows = {r["scale_id"]: r for r in scales.rows}
            own = scored[scored["school_urn"].astype(int) == urn]
            for scale in questionnaire.scales:
                expected = analysis.aggregate(own, "school_urn", scale.id).iloc[0]
                assert rows[scale.id]["n"] == expected["n"]
                assert rows[scale.id]["mean"] == pytest.approx(expected["mean"], abs=1e-9)
        assert len(scored) == release.responses == 55


def test_the_worker_publishes_from_a_real_redis_queue(loaded, wave):
    import os

    from redis import Redis
    from rq import SimpleWorker

    from survey.results import jobs

    url = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
    try:
        Redis.from_url(url, socket_connect_timeout=1).ping()
    except Exception as error:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"Redis is not reachable at {url}: {error}")
        pytest.skip(f"Redis is not reachable at {url}")
    loaded.config["RESULTS_REDIS_URL"] = url
    _add(loaded, wave, 30, "A")
    with loaded.app_context():
        queue = jobs.queue(loaded)
        queue.empty()
        job_id = jobs.enqueue_publish(loaded, "worker test")
        SimpleWorker([queue], connection=queue.connection).work(burst=True)
        job = queue.fetch_job(job_id)
        assert job.is_finished, job.latest_result()
        release = db.session.get(Release, job.return_value())
        assert release.status is ReleaseStatus.PUBLISHED and release.responses == 30
        assert release.reason == "worker test"


def test_an_admin_publishes_now_and_sees_every_release(loaded, wave, admin_client, school_lead_client):
    _add(loaded, wave, 30, "A")
    page = admin_client.get("/admin/releases")
    assert page.status_code == 200 and "No release has been published yet" in page.get_data(as_text=True)
    response = admin_client.post("/admin/releases", follow_redirects=True)
    text = response.get_data(as_text=True)
    assert "published from 30 complete responses" in text
    assert "Published" in text
    assert "30" in school_lead_client.get("/school/100001/results/scales.csv").get_data(as_text=True)
    assert school_lead_client.get("/admin/releases").status_code in (403, 404)
    with loaded.app_context():
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "publish_results"))
        assert event.actor == "admin@national.example"


def test_every_results_view_and_export_records_its_release(loaded, wave, school_lead_client, reviewer_client):
    _add(loaded, wave, 30, "A")
    release = _publish(loaded)
    school_lead_client.get("/school/100001/results")
    school_lead_client.get("/school/100001/results/scales.csv")
    school_lead_client.get("/school/100001/comments")
    reviewer_client.get("/review/compare")
    reviewer_client.get("/review/areas/areas.csv")
    with loaded.app_context():
        events = db.session.scalars(
            select(AuditEvent).where(
                AuditEvent.action.in_(["view_results", "export_table", "view_free_text"])
            )
        ).all()
        assert len(events) == 5
        assert all(str(e.detail.get("release")) == str(release.id) for e in events), [
            e.detail for e in events
        ]


def test_unexpected_query_parameters_are_ignored_not_a_server_error(loaded, wave, school_lead_client):
    _add(loaded, wave, 30, "A")
    _publish(loaded)
    for query in ("table_id=x", "urn=1", "file_format=x", "_external=1", "_anchor=x"):
        response = school_lead_client.get(f"/school/100001/results?{query}")
        assert response.status_code == 200, query
        assert f"{query}" not in response.get_data(as_text=True)


def test_markers_allow_for_every_comparison_and_a_two_level_split_shows_one_row(
    loaded, wave, school_lead_client
):
    import csv as csv_module

    _add(loaded, wave, 40, "A")
    _publish(loaded)
    text = school_lead_client.get("/school/100001/results/gaps.csv?group=fsm").get_data(as_text=True)
    rows = list(csv_module.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert rows[0][-1] == "What it shows"
    assert len(rows) == 2  # free school meals yes / no is one comparison: one row, not its mirror
    words = {"Higher: a clear difference", "Lower: a clear difference", "No clear difference",
             "Too few pupils to tell"}  # fmt: skip
    # Disclosure control across the release may hide the row (every figure then says so, with no
    # verdict); otherwise the marker is in words.
    assert rows[1][-1] in words or (rows[1][1] == HIDDEN and rows[1][-1] == "")
    lost = school_lead_client.get("/school/100001/results/lost-learning-groups.csv?group=gender")
    assert "What it shows" in lost.get_data(as_text=True).splitlines()[0]
    page = school_lead_client.get("/school/100001/results?group=fsm").get_data(as_text=True)
    assert "false discovery rate 2.5%" in page


def _tables_on(client, url: str) -> dict[str, str]:
    """Table id → the table's HTML, in the order the page shows them. The two-minute summary's
    tables (in its section) restate the page's figures and are not among the page's tables."""
    page = client.get(url).get_data(as_text=True)
    page = re.sub(r'<section class="app-summary".*?</section>', "", page, flags=re.S)
    found = re.findall(
        r'<table class="govuk-table app-data-table" id="table-([a-z0-9-]+)">(.*?)</table>', page, re.S
    )
    return dict(found)


def test_school_lead_and_reviewer_pages_show_the_same_tables_from_one_list(
    loaded, wave, school_lead_client, reviewer_client, monkeypatch
):
    """Both portals render `SCHOOL_TABLES`, in its order, with the same cells (the reviewer's page then
    adds representativeness): a table taken off the list leaves both pages at once."""
    from survey.results import school as school_results
    from survey.results.tables import REVIEWER_TABLES, SCHOOL_TABLES, lost_learning

    _add(loaded, wave, 30, "A")
    _publish(loaded)
    query = "?group=gender&scale=safety"
    lead = _tables_on(school_lead_client, f"/school/100001/results{query}")
    reviewer = _tables_on(reviewer_client, f"/review/schools/100001{query}")
    listed = [module.ID for module in SCHOOL_TABLES]
    assert listed == ["scales", "gaps", "lost-learning", "lost-learning-groups", "trend"]
    assert list(lead) == listed
    assert list(reviewer) == [*listed, "respondents", "roster-local-authority"]
    assert REVIEWER_TABLES and all(lead[t] == reviewer[t] for t in listed)
    assert "Feeling safe" in lead["gaps"] and ">Gender</th>" in lead["gaps"]  # the chosen scale and group

    monkeypatch.setattr(
        school_results, "SCHOOL_TABLES", tuple(m for m in SCHOOL_TABLES if m is not lost_learning)
    )
    lead = _tables_on(school_lead_client, f"/school/100001/results{query}")
    reviewer = _tables_on(reviewer_client, f"/review/schools/100001{query}")
    assert "lost-learning" not in lead and "lost-learning" not in reviewer
    assert list(lead) == [t for t in listed if t != "lost-learning"] == list(reviewer)[: len(listed) - 1]


def test_a_release_stored_before_the_tables_were_split_still_shows_the_same_tables(
    loaded, wave, school_lead_client
):
    """Earlier releases stay readable: one published with every table of a school inside one item
    (and its trend in another) shows exactly what the same release shows stored table by table."""
    from sqlalchemy import delete

    from survey.results import school as school_results
    from survey.results.tables import gaps, lost_learning_groups, representativeness

    _add(loaded, wave, 30, "A")
    release = _publish(loaded)
    query = "?group=gender&scale=safety"
    split = _tables_on(school_lead_client, f"/school/100001/results{query}")
    with loaded.app_context():
        current = db.session.get(Release, release.id)
        q, urn, head = "national-secondary", 100001, f"national-secondary:{wave}:100001"

        def item(kind, key):
            return store.read(current, kind, key)

        legacy = {
            "n": item("school", head)["n"],
            "scales": item("table:scales", f"{head}:"),
            "lost-learning": item("table:lost-learning", f"{head}:"),
            "gaps": {
                f"{scale}:{group}": table
                for group in gaps.variants(None)
                for scale, table in item("table:gaps", f"{head}:{group}").items()
            },
            "lost-learning-groups": {
                g: item("table:lost-learning-groups", f"{head}:{g}")
                for g in lost_learning_groups.variants(None)
            },
            "representativeness": {
                g: item("table:representativeness", f"{head}:{g}") for g in representativeness.variants(None)
            },
        }
        trends = item("table:trend", f"{q}:{urn}:")
        db.session.execute(
            delete(ReleaseItem).where(
                ReleaseItem.release_id == release.id,
                ReleaseItem.kind.in_(["school", "trend"]) | ReleaseItem.kind.like("table:%"),
            )
        )
        store.write(release.id, {("school", head): legacy, ("trend", f"{q}:{urn}"): trends})
        db.session.commit()
    store._items.clear()
    store._large.clear()
    school_results._shown.clear()
    assert _tables_on(school_lead_client, f"/school/100001/results{query}") == split


def test_a_release_the_attacker_can_break_is_refused_and_logged_without_values(
    loaded, wave, monkeypatch, caplog
):
    _add(loaded, wave, 40, "A")
    _publish(loaded)
    with loaded.app_context():
        previous = db.session.scalar(select(Release.id).where(Release.status == ReleaseStatus.PUBLISHED))
    _add(loaded, wave, 12, "B", urn=100002)
    protect_items = release_disclosure.apply

    def forgetful(results, control, items):
        """A table builder that forgot to hide small groups: the audit reads what items show."""
        protect_items(results, control, items)
        for (kind, _), every in items.items():
            if kind not in ("disproportionality", "disproportionality-las"):
                continue
            for frame in every.values():  # one area's cells of each outcome
                if len(frame):
                    frame["hidden"] = frame["hidden"] & (frame["_n"] >= 10)

    monkeypatch.setattr(release_disclosure, "apply", forgetful)
    caplog.set_level(logging.INFO, logger="survey.results")
    with loaded.app_context(), pytest.raises(PublishError, match="DisclosureError"):
        publish("test")
    with loaded.app_context():
        failed = db.session.scalar(select(Release).order_by(Release.id.desc()))
        assert failed.status is ReleaseStatus.FAILED and failed.failure == "DisclosureError"
        current = db.session.scalar(
            select(Release.id).where(Release.status == ReleaseStatus.PUBLISHED).order_by(Release.id.desc())
        )
        assert current == previous  # the previous release stays
    (refused,) = [r.getMessage() for r in caplog.records if "refused the release" in r.getMessage()]
    assert "national-secondary:" in refused and ":question:" in refused and " × " in refused
    assert "100001" not in refused and "100002" not in refused  # tables and counts, no school, no value
