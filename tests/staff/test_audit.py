"""The audit log: every staff view of pupil data, every download and export, and every change is in it.

Every staff address of the app (`app.url_map`, less the pupil pages) is either a data view, requested
here and expected to add an audit event naming the user, the action and the school or wave (and never
a pupil's answers, code or reference), or listed in `NOT_DATA` with the reason it shows no pupil data.
A new address in neither list fails `test_every_staff_address_is_audited_or_shows_no_pupil_data`.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import timedelta

import pytest
import sqlalchemy as sa
from itsdangerous import URLSafeTimedSerializer

from survey.data.safeguarding import raise_concern
from survey.extensions import db
from survey.models import AuditEvent, School, User, Wave, utcnow
from survey.results.publish import publish

from ..conftest import make_app
from ..responses import make_pupils
from .conftest import PASSWORD, USERS

SECRET = "I am scared of walking home past the park"
NO_METHODS = {"HEAD", "OPTIONS"}

# Addresses that show no pupil data (nor change anything unaudited), and why.
NOT_DATA: dict[tuple[str, str], str] = {
    ("static", "GET"): "styles, scripts and images",
    ("health.healthz", "GET"): "whether this instance reaches its database, for load balancers",
    ("auth.home", "GET"): "sends each role to its portal",
    ("auth.sign_in", "GET"): "the sign-in form",
    ("auth.switch_language", "GET"): "English or Cymraeg for the staff pages in Welsh",
    ("auth.sign_in", "POST"): "signing in (recorded as sign_in)",
    ("auth.sign_out", "POST"): "signing out (recorded as sign_out)",
    ("auth.reset_password", "GET"): "the new-password form of a reset link",
    ("auth.reset_password", "POST"): "setting a password (recorded as set_password)",
    ("school.index", "GET"): "the list of the lead's schools",
    ("school.overview", "GET"): "the school's waves with whole-wave totals only (roster size, finished)",
    ("school.wave", "GET"): "the roster and code forms with whole-wave totals; no roster line is ever shown",
    ("school.new_wave", "GET"): "a form",
    ("school.wave", "POST"): "reads an uploaded roster and shows how it was read; saves nothing",
    ("school.roster_template", "GET"): "a blank roster template with three made-up pupils",
    ("school.trusted_adult", "GET"): "a form holding the school's own text",
    ("school.you_said_we_did", "GET"): "a form holding the school's own text",
    ("review.index", "GET"): "finding a school by name or URN",
    ("admin.index", "GET"): "sends admins to the schools register",
    ("admin.schools", "GET"): "the schools register (public data)",
    ("admin.users", "GET"): "staff accounts",
    ("admin.new_user", "GET"): "a form",
    ("admin.waves", "GET"): "waves with whole-wave totals only",
    ("admin.new_wave", "GET"): "a form",
    ("admin.withdraw", "GET"): "the empty withdrawal form",
    ("admin.releases", "GET"): "results releases: their dates, states and whole-release totals",
    ("school.safeguarding_home", "GET"): "the DSL's schools with a count of new concerns",
    ("school.safeguarding_keywords", "GET"): "the keyword lists that raise a safeguarding flag",
}


@dataclass
class Step:
    """One request as one of `USERS`, and the audit event it must add."""

    user: str
    method: str
    url: str
    action: str
    names: tuple[str, ...] = ("school", "wave")  # what the event must name
    data: dict = field(default_factory=dict)
    files: bool = False
    wave: str = "wave"  # which of the test's waves the event must name


def roster_text() -> str:
    header = (
        "pupil_reference,year_group,gender,ethnicity_major,ethnicity_minor,sen,fsm,eal,looked_after,class"
    )
    return header + "\nN001,7,F,WHIT,WBRI,N,N,N,N,7A\n"


def steps(ids: dict) -> dict[tuple[str, str], list[Step]]:
    """What to request for every audited address, with the ids of the test's data."""
    urn, wave = ids["urn"], ids["wave"]
    register = "URN,EstablishmentName,LA (code),LA (name),PhaseOfEducation (name),"
    register += "TypeOfEstablishment (name),Trusts (name)\n100009,New School,203,Eastshire,Primary,Academy,\n"
    dates = {"opens": ["1", "1", "2026"], "closes": ["1", "1", "2030"], "questionnaire": "national-secondary"}
    lead, reviewer, admin, dsl = "school_lead", "reviewer", "admin", "dsl"
    concern = ids.get("concern", 1)
    national = ids.get("national", 1)
    withdraw = {"by": "reference", "urn": str(urn), "wave": str(wave), "reference": "P002"}
    return {
        # the school lead
        ("school.results_page", "GET"): [Step(lead, "GET", f"/school/{urn}/results", "view_results")],
        ("school.results_download", "GET"): [
            Step(lead, "GET", f"/school/{urn}/results/scales.xlsx", "export_table"),
            Step(lead, "GET", f"/school/{urn}/results/gaps.csv?group=gender", "export_table"),
        ],
        ("school.results_report", "GET"): [
            Step(lead, "GET", f"/school/{urn}/results/report-en.pdf", "download_report"),
            Step(lead, "GET", f"/school/{urn}/results/report-cy.pdf", "download_report"),
        ],
        ("school.comments", "GET"): [
            Step(lead, "GET", f"/school/{urn}/comments", "view_free_text", ("school",))
        ],
        ("school.rates", "GET"): [
            Step(lead, "GET", f"/school/{urn}/waves/{wave}/rates", "view_response_rates")
        ],
        ("school.not_started", "GET"): [
            Step(lead, "GET", f"/school/{urn}/waves/{wave}/not-started", "view_not_started")
        ],
        ("review.participation", "GET"): [
            Step(
                reviewer,
                "GET",
                f"/review/participation?wave={national}",
                "view_participation",
                ("wave",),
                wave="national",
            )
        ],
        ("review.participation_table_download", "GET"): [
            Step(
                reviewer,
                "GET",
                f"/review/participation/participation.csv?wave={national}",
                "export_table",
                ("wave",),
                wave="national",
            )
        ],
        ("school.rates_download", "GET"): [
            Step(lead, "GET", f"/school/{urn}/waves/{wave}/rates/rates-fsm.csv", "export_table")
        ],
        ("school.save_roster", "POST"): [
            Step(
                lead,
                "POST",
                f"/school/{urn}/waves/{wave}/roster",
                "import_roster",
                data={"roster": ids.get("roster_preview", "")},
            )
        ],
        ("school.codes", "POST"): [
            Step(
                lead,
                "POST",
                f"/school/{urn}/waves/{wave}/codes",
                "issue_codes",
                data={"format": "csv", "confirm": "yes"},
            ),
            Step(
                lead,
                "POST",
                f"/school/{urn}/waves/{wave}/codes",
                "issue_codes",
                data={"format": "slips", "confirm": "yes"},
            ),
            Step(
                lead,
                "POST",
                f"/school/{urn}/waves/{wave}/codes",
                "issue_codes",
                data={"format": "slips", "scope": "pupil", "reference": "P024", "confirm": "yes"},
            ),
        ],
        ("school.class_session", "POST"): [
            Step(
                lead,
                "POST",
                f"/school/{urn}/waves/{wave}/class-sessions",
                "open_class_session",
                data={"class-name": "9C", "class-count": "3"},
            )
        ],
        ("school.new_wave", "POST"): [
            Step(lead, "POST", f"/school/{urn}/waves/new", "create_wave", data={"name": "Summer", **dates})
        ],
        ("school.trusted_adult", "POST"): [
            Step(
                lead,
                "POST",
                f"/school/{urn}/trusted-adult",
                "set_trusted_adult_text",
                ("school",),
                data={"text": "Ms Shah in room 2"},
            )
        ],
        ("school.you_said_we_did", "POST"): [
            Step(
                lead,
                "POST",
                f"/school/{urn}/you-said-we-did",
                "publish_you_said_we_did",
                ("school",),
                data={"text": "More benches"},
            )
        ],
        # the designated safeguarding lead, on the concern raised from P001's answer
        ("school.safeguarding_list", "GET"): [
            Step(dsl, "GET", f"/school/{urn}/safeguarding/", "view_safeguarding_concerns", ("school",))
        ],
        ("school.safeguarding_concern", "GET"): [
            Step(dsl, "GET", f"/school/{urn}/safeguarding/{concern}", "view_safeguarding_concern")
        ],
        ("school.safeguarding_acknowledge", "POST"): [
            Step(
                dsl,
                "POST",
                f"/school/{urn}/safeguarding/{concern}/acknowledge",
                "acknowledge_safeguarding_concern",
                data={"acknowledge-note": "Spoke to them"},
            )
        ],
        ("school.safeguarding_reveal", "POST"): [
            Step(
                dsl,
                "POST",
                f"/school/{urn}/safeguarding/{concern}/reveal",
                "reveal_safeguarding_reference",
                data={
                    "reveal-reason": "At risk",
                    "reveal-email": USERS["school_lead"][0],
                    "reveal-password": PASSWORD,
                },
            )
        ],
        ("school.safeguarding_close", "POST"): [
            Step(
                dsl,
                "POST",
                f"/school/{urn}/safeguarding/{concern}/close",
                "close_safeguarding_concern",
                data={"close-note": "Referred"},
            )
        ],
        # reviewers
        ("review.school", "GET"): [Step(reviewer, "GET", f"/review/schools/{urn}", "view_results")],
        ("review.school_table", "GET"): [
            Step(reviewer, "GET", f"/review/schools/{urn}/respondents.xlsx", "export_table")
        ],
        ("review.compare", "GET"): [Step(reviewer, "GET", "/review/compare", "view_results", ("wave",))],
        ("review.compare_table", "GET"): [
            Step(reviewer, "GET", "/review/compare/schools.csv", "export_table", ("wave",))
        ],
        ("review.areas", "GET"): [Step(reviewer, "GET", "/review/areas", "view_results", ("wave",))],
        ("review.areas_table", "GET"): [
            Step(reviewer, "GET", "/review/areas/areas.csv", "export_table", ("wave",))
        ],
        ("review.disproportionality", "GET"): [
            Step(reviewer, "GET", "/review/disproportionality", "view_results", ("wave",))
        ],
        ("review.disproportionality_table", "GET"): [
            Step(reviewer, "GET", "/review/disproportionality/risk-ratios.xlsx", "export_table", ("wave",))
        ],
        # admins
        ("admin.withdraw", "POST"): [
            Step(admin, "POST", "/admin/withdraw", "view_withdrawal", data=withdraw),  # the confirmation
            Step(admin, "POST", "/admin/withdraw", "withdraw_response", data={**withdraw, "confirm": "yes"}),
        ],
        ("admin.publish_now", "POST"): [Step(admin, "POST", "/admin/releases", "publish_results", ())],
        ("admin.audit", "GET"): [
            Step(admin, "GET", "/admin/audit?action=view_results", "view_audit_log", ())
        ],
        ("admin.user", "GET"): [Step(admin, "GET", f"/admin/users/{ids['lead_id']}", "view_audit_log", ())],
        ("admin.schools", "POST"): [
            Step(
                admin,
                "POST",
                "/admin/schools",
                "import_schools",
                (),
                files=True,
                data={"file": (register, "gias.csv")},
            )
        ],
        ("admin.new_user", "POST"): [
            Step(
                admin,
                "POST",
                "/admin/users/new",
                "create_user",
                (),
                data={"email": "new@x.example", "role": "reviewer", "scope": "national"},
            )
        ],
        ("admin.reset_link", "POST"): [
            Step(admin, "POST", f"/admin/users/{ids['lead_id']}/reset-link", "issue_reset_link", ())
        ],
        ("admin.deactivate", "POST"): [
            Step(admin, "POST", f"/admin/users/{ids['lead_id']}/deactivate", "deactivate_user", ())
        ],
        ("admin.reactivate", "POST"): [
            Step(admin, "POST", f"/admin/users/{ids['lead_id']}/reactivate", "reactivate_user", ())
        ],
        ("admin.new_wave", "POST"): [
            Step(
                admin,
                "POST",
                "/admin/waves/new",
                "create_wave",
                ("wave",),
                data={"name": "Spring", "school_urn": "", **dates},
            )
        ],
    }


def staff_routes() -> set[tuple[str, str]]:
    app = make_app("sqlite://")
    return {
        (rule.endpoint, method)
        for rule in app.url_map.iter_rules()
        if not rule.endpoint.startswith("pupil.")
        for method in rule.methods - NO_METHODS
    }


def test_every_staff_address_is_audited_or_shows_no_pupil_data():
    audited = set(steps({"urn": 1, "wave": 1, "lead_id": 1, "concern": 1}))
    routes = staff_routes()
    unlisted = routes - audited - NOT_DATA.keys()
    assert not unlisted, (
        f"{sorted(unlisted)}: add each to steps() with the audit event it records, or to NOT_DATA with "
        "the reason it shows no pupil data"
    )
    assert not (audited | NOT_DATA.keys()) - routes, "listed addresses that no longer exist"
    assert not audited & NOT_DATA.keys()


# -- the data views, requested --------------------------------------------------------------------


@pytest.fixture
def ids(loaded, schools) -> dict:
    """A school wave at Hillside Academy with 22 finished responses (one with worrying free text)."""
    with loaded.app_context():
        school = db.session.scalars(sa.select(School).filter_by(urn=schools["a"])).one()
        now = utcnow()
        wave = Wave(name="Autumn 2026", questionnaire_id="national-secondary", questionnaire_version=1,
                    school_id=school.id, opens_at=now - timedelta(days=10), closes_at=now + timedelta(days=30))  # fmt: skip
        db.session.add(wave)
        db.session.flush()
        made = make_pupils(wave, school, 24, not_started=2, texts={"P001": SECRET})
        db.session.commit()
        publish("test")  # staff see results only once they are published
        secrets = [SECRET]
        for pupil in made.pupils.values():
            secrets += [pupil.reference, pupil.code, pupil.code.replace("-", "")]
        lead_id = db.session.scalar(sa.select(User.id).filter_by(email=USERS["school_lead"][0]))
        concern = raise_concern(school_id=school.id, wave_id=wave.id, response_id=made["P001"].response_id,
                                question_id="say_better", language="en", text=SECRET, matches=[])  # fmt: skip
        national = Wave(name="National autumn", questionnaire_id="national-secondary", questionnaire_version=1,
                        opens_at=now - timedelta(days=3), closes_at=now + timedelta(days=30))  # fmt: skip
        db.session.add(national)
        db.session.commit()
        signer = URLSafeTimedSerializer(loaded.config["SECRET_KEY"], salt="roster-preview")
        preview = signer.dumps({"wave": wave.id, "school": school.id, "roster": roster_text()})
        return {"urn": schools["a"], "wave": wave.id, "lead_id": lead_id, "secrets": secrets,
                "concern": concern.id, "roster_preview": preview, "national": national.id}  # fmt: skip


def _named(event: AuditEvent) -> dict[str, str]:
    """The school (URN) and wave (id) an audit event names, in its target or its detail."""
    detail = event.detail or {}
    kind, _, value = (event.target or "").partition(":")
    found = {kind: value} if kind in ("school", "wave") else {}
    if detail.get("school_urn"):
        found.setdefault("school", str(detail["school_urn"]))
    for key in ("wave", "wave_id"):
        if detail.get(key):
            found.setdefault("wave", str(detail[key]))
    return found


def _send(client, step: Step):
    data = dict(step.data)
    if step.files:
        data = {k: (io.BytesIO(v[0].encode()), v[1]) for k, v in data.items()}
        return client.post(step.url, data=data, content_type="multipart/form-data")
    return client.open(step.url, method=step.method, data=data)


def test_every_view_of_pupil_data_every_export_and_every_change_is_audited(client_as, loaded, ids):
    clients = {}
    for key, plan in steps(ids).items():
        for step in plan:
            if step.user not in clients:
                clients[step.user] = client_as(step.user)
            with loaded.app_context():
                last = db.session.scalar(sa.select(sa.func.max(AuditEvent.id)))
            response = _send(clients[step.user], step)
            assert response.status_code in (200, 302), (key, step.url, response.status_code)
            with loaded.app_context():
                new = list(db.session.scalars(sa.select(AuditEvent).where(AuditEvent.id > last)))
                user = db.session.scalar(sa.select(User.id).filter_by(email=USERS[step.user][0]))
            recorded = [e for e in new if e.action == step.action]
            assert recorded, (
                f"{key}: {step.method} {step.url} recorded {[e.action for e in new]}, not {step.action}"
            )
            event = recorded[-1]
            assert (event.actor, event.user_id) == (USERS[step.user][0], user), key
            named = _named(event)
            assert set(step.names) <= set(named), f"{key}: {step.url} names {named}, not {step.names}"
            if "school" in step.names:
                assert named["school"] == str(ids["urn"]), key
            if "wave" in step.names and step.action != "create_wave":
                assert named["wave"] == str(ids[step.wave]), key
            recorded_text = str([(e.target, e.detail) for e in new]).upper()
            leaked = [s for s in ids["secrets"] if s.upper() in recorded_text]
            assert not leaked, f"{key}: the audit log holds {leaked}"


def test_command_line_exports_and_purges_are_audited(runner, loaded, ids, tmp_path):
    def events(action: str) -> list[AuditEvent]:
        with loaded.app_context():
            return list(db.session.scalars(sa.select(AuditEvent).filter_by(action=action)))

    out = tmp_path / "responses.csv"
    result = runner.invoke(
        args=["export-responses", "--out", str(out), "--text-out", str(tmp_path / "t.csv")]
    )
    assert result.exit_code == 0, result.output
    (export,) = events("export_responses")
    assert (export.actor, export.user_id) == ("cli", None)
    assert export.detail == {
        "rows": 22,
        "waves": [ids["wave"], ids["national"]],
        "free_text": True,
        "format": "csv",
    }

    dry = runner.invoke(args=["purge", "--older-than", "3y", "--dry-run"])
    assert dry.exit_code == 0 and events("purge") == []  # a dry run changes nothing, the log included
    result = runner.invoke(args=["purge", "--older-than", "3y"])
    assert result.exit_code == 0 and "Deleted: 0 answers" in result.output
    (purge,) = events("purge")  # recorded though nothing was old enough to delete
    assert (purge.actor, purge.user_id, purge.detail["waves"], purge.detail["responses"]) == (
        "cli",
        None,
        [],
        0,
    )

    codes = tmp_path / "codes.csv"
    args = ["issue-codes", "--wave", str(ids["wave"]), "--school", str(ids["urn"]), "--out", str(codes)]
    assert runner.invoke(args=args).exit_code == 0
    issued = [e for e in events("issue_codes") if e.actor == "cli" and e.detail["count"] == 0]
    assert len(issued) == 1 and _named(issued[0]) == {"school": str(ids["urn"]), "wave": str(ids["wave"])}
