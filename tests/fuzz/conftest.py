"""Fixtures for the fuzz tests: one seeded app on PostgreSQL for the whole fuzz run, with CSRF on.

`world` is the app on PostgreSQL (made once: migrating is the slow part) with the questionnaires, two schools, an open wave with a roster, and a user of every role. Tests
must not rely on it being untouched: they take what they need (a fresh pupil code, a fresh client)
from it. CSRF protection is on, as in production, so every client carries a real token.

Hypothesis profiles, applied to the fuzz properties only (`fuzz_settings`): `fuzz` (the default: 60
examples a property, no shrinking, as shrinking replays whole journeys), `ci` (the same, derandomized,
so a CI run is reproducible; CI=true picks it) and `shrink` (to shrink a failure). FUZZ_PROFILE=name
overrides the choice. The world is on PostgreSQL, the stricter database (`world`).
"""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass, field
from datetime import timedelta

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, Phase, settings

import questionnaires
from survey import codes as pupil_codes
from survey.data.users import create_user, reset_token
from survey.data.waves import import_roster, issue_codes
from survey.extensions import db
from survey.models import PupilCode, Role, School, ScopeKind, User, Wave, utcnow

from ..conftest import make_app, migrate

settings.register_profile(
    "fuzz",
    max_examples=60,
    deadline=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
    print_blob=True,
    # Shrinking re-runs whole journeys and can take minutes: the failing example is reported as found
    # (each Post describes itself). HYPOTHESIS_PROFILE=shrink to shrink it.
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
)
settings.register_profile("ci", settings.get_profile("fuzz"), derandomize=True, database=None)
settings.register_profile("shrink", settings.get_profile("fuzz"), phases=list(Phase))
# Applied per property (`fuzz_settings`), not loaded globally: the other hypothesis tests keep theirs.
PROFILE = settings.get_profile(
    os.environ.get("FUZZ_PROFILE") or ("ci" if os.environ.get("CI", "").lower() == "true" else "fuzz")
)

PASSWORD = "correct horse battery staple"
URN, OTHER_URN, PRIMARY_URN = 100001, 100002, 100003
USERS = {
    "school_lead": ("lead@fuzz.example", Role.SCHOOL_LEAD, ScopeKind.SCHOOLS, None),
    "reviewer": ("reviewer@fuzz.example", Role.REVIEWER, ScopeKind.NATIONAL, None),
    "admin": ("admin@fuzz.example", Role.ADMIN, ScopeKind.NATIONAL, None),
    # Signed in afresh for each sign-out example; never sent to the sign-in fuzzing (rate limits).
    "leaving": ("leaving@fuzz.example", Role.REVIEWER, ScopeKind.NATIONAL, None),
    # The target of the admin's user actions (deactivate, reactivate, reset link); never signs in.
    "target": ("target@fuzz.example", Role.REVIEWER, ScopeKind.LOCAL_AUTHORITY, "201"),
    # The holder of the password reset links fuzzed.
    "resetting": ("resetting@fuzz.example", Role.REVIEWER, ScopeKind.NATIONAL, None),
}
STAFF_ROLES = ("school_lead", "reviewer", "admin")
CONFIG = {
    "WTF_CSRF_ENABLED": True,
    # Per network address: every test client is 127.0.0.1. The per-browser and per-email limits stay.
    "CODE_ATTEMPTS_PER_NETWORK": "100000 per hour",
    "SIGN_IN_ATTEMPTS_PER_NETWORK": "100000 per hour",
}
ROSTER = (
    "pupil_reference,year_group,gender,ethnicity_major,ethnicity_minor,sen,fsm,eal,looked_after,class\n"
    + "".join(f"F{n:03d},8,F,WHIT,WBRI,N,Y,N,N,8A\n" for n in range(1, 13))
)
_TOKEN = re.compile(rb'name="csrf_token"[^>]*?value="([^"]*)"|value="([^"]*)"[^>]*?name="csrf_token"')
TRACEBACK = re.compile(
    rb"Traceback \(most recent call last\)|sqlalchemy\.exc|psycopg\.errors|werkzeug\.debug"
)


def fuzz_settings(world: World, examples: int) -> settings:
    """The profile's settings with half of `examples` (scaled by the profile's max_examples against
    the default 60). `examples` is what SQLite ran when the fuzz world was on both databases, with a
    third of it on PostgreSQL; PostgreSQL alone now runs half of it."""
    n = max(1, round(examples * PROFILE.max_examples / 60))
    return settings(PROFILE, max_examples=max(1, n // 2))


def token_in(body: bytes) -> str | None:
    found = _TOKEN.search(body)
    return (found.group(1) or found.group(2)).decode() if found else None


def assert_no_server_error(response, what: str = "") -> None:
    """Never a 5xx and never a traceback, whatever was sent."""
    body = response.get_data()
    assert response.status_code < 500, f"{response.status_code} for {what}"
    assert not TRACEBACK.search(body), f"a traceback in the page for {what}"


def rejected(response) -> bool:
    """The post was turned down: an error status, or the page says there is a problem."""
    return response.status_code >= 400 or b"govuk-error-summary" in response.get_data()


@dataclass
class World:
    app: object
    database: str
    wave_id: int = 0
    primary_wave_id: int = 0
    user_ids: dict[str, int] = field(default_factory=dict)
    _clients: dict = field(default_factory=dict)
    _sessions: dict = field(default_factory=dict)

    # -- clients ---------------------------------------------------------------------------------

    def anonymous(self):
        client = self.app.test_client()
        client.token = token_in(client.get("/staff/sign-in").get_data())
        return client

    def sign_in(self, role: str):
        client = self.anonymous()
        response = client.post(
            "/staff/sign-in",
            data={"email": USERS[role][0], "password": PASSWORD, "csrf_token": client.token},
        )
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
        client.token = token_in(client.get(response.location, follow_redirects=True).get_data())
        assert client.token, "no CSRF token on the signed-in home page"
        return client

    def staff(self, role: str):
        """The signed-in client of a role, kept for the session (its token stays valid)."""
        if role not in self._clients:
            self._clients[role] = self.sign_in(role)
        return self._clients[role]

    def client(self, role: str):
        """A client as `role`: 'anonymous', a staff role (kept), or a pupil state (always fresh)."""
        if role == "anonymous":
            return self.anonymous()
        if role in STAFF_ROLES:
            return self.staff(role)
        if role == "leaving":
            return self.sign_in("leaving")
        return self.pupil(role)

    # -- pupils ----------------------------------------------------------------------------------

    def kept_pupil(self):
        """A pupil who has agreed, kept for the session: for requests that change nothing."""
        if "pupil" not in self._clients:
            self._clients["pupil"] = self.pupil("pupil_agreed")
        return self._clients["pupil"]

    def new_code(self, *, wave: str = "secondary", anonymous: bool = False) -> str:
        """A fresh code for the open wave: a class-session code, or one for a new roster entry."""
        wave_id = self.wave_id if wave == "secondary" else self.primary_wave_id
        with self.app.app_context():
            code = pupil_codes.generate()
            wave_row = db.session.get(Wave, wave_id)
            if anonymous:
                from survey.models import ClassSession

                session = ClassSession(wave_id=wave_id, school_id=wave_row.school_id, name="Fuzz")
                db.session.add(session)
                db.session.flush()
                db.session.add(
                    PupilCode(
                        code_hash=pupil_codes.hash_code(code),
                        wave_id=wave_id,
                        school_id=wave_row.school_id,
                        class_session_id=session.id,
                    )
                )
            else:
                from survey.models import RosterEntry

                n = db.session.scalar(sa.select(sa.func.count()).select_from(RosterEntry)) + 1
                entry = RosterEntry(
                    wave_id=wave_id,
                    school_id=wave_row.school_id,
                    pupil_reference=f"Z{n:05d}",
                    year_group=8 if wave == "secondary" else 4,
                )
                db.session.add(entry)
                db.session.flush()
                db.session.add(
                    PupilCode(
                        code_hash=pupil_codes.hash_code(code),
                        wave_id=wave_id,
                        school_id=wave_row.school_id,
                        roster_entry_id=entry.id,
                    )
                )
            db.session.commit()
        return code

    def pupil(self, state: str = "pupil_agreed", *, wave: str = "secondary", anonymous: bool = False):
        """A fresh pupil's client: 'pupil' (code entered), 'pupil_agreed', 'pupil_saved' (first page
        saved) or 'pupil_done' (every page saved, not finished). `client.token` is its CSRF token."""
        client = self.app.test_client()
        token = token_in(client.get("/").get_data())
        response = client.post(
            "/", data={"code": self.new_code(wave=wave, anonymous=anonymous), "csrf_token": token}
        )
        assert response.status_code == 302, response.get_data(as_text=True)[:300]
        client.token = token_in(client.get("/before-you-start").get_data())
        if state == "pupil":
            return client
        response = client.post("/before-you-start", data={"choice": "yes", "csrf_token": client.token})
        assert response.status_code == 302
        if state == "pupil_agreed":
            return client
        location = response.location
        while location.startswith("/section/"):
            data = {"csrf_token": client.token}
            if state == "pupil_saved" and location == "/section/belonging":
                data.update({"belong_part": "4", "belong_accepted": "1", "belong_alone": "2"})
            response = client.post(location, data=data)
            assert response.status_code == 302, response.get_data(as_text=True)[:300]
            location = response.location
            if state == "pupil_saved":
                break
        return client

    # -- the database ----------------------------------------------------------------------------

    def snapshot(self) -> dict[str, str]:
        """A digest of every table's rows: equal snapshots, nothing saved, changed or deleted."""
        found = {}
        with self.app.app_context():
            for table in db.metadata.sorted_tables:
                rows = db.session.execute(sa.select(table).order_by(*table.primary_key.columns)).all()
                found[table.name] = (
                    f"{len(rows)} rows, " + hashlib.sha256(repr(rows).encode()).hexdigest()[:16]
                )
        return found

    def count(self, model) -> int:
        with self.app.app_context():
            return db.session.scalar(sa.select(sa.func.count()).select_from(model))

    def reset_link(self) -> str:
        with self.app.app_context():
            return f"/staff/reset-password/{reset_token(db.session.get(User, self.user_ids['resetting']))}"


def _seed(world: World) -> None:
    app = world.app
    result = app.test_cli_runner().invoke(args=["load-questionnaires"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        a = School(urn=URN, name="Hillside Academy", la_code="201", la_name="Northshire",
                   phase="Secondary", type="Academy", trust="Hill Trust")  # fmt: skip
        b = School(urn=OTHER_URN, name="Valley School", la_code="202", la_name="Southshire",
                   phase="Secondary", type="Community school")  # fmt: skip
        c = School(urn=PRIMARY_URN, name="Brook Primary", la_code="201", la_name="Northshire",
                   phase="Primary", type="Community school")  # fmt: skip
        db.session.add_all([a, b, c])
        db.session.flush()
        for name, (email, role, kind, value) in USERS.items():
            user = create_user(email=email, password=PASSWORD, role=role, scope_kind=kind, scope_value=value,
                               schools=[a, c] if role is Role.SCHOOL_LEAD else None, actor="fuzz")  # fmt: skip
            world.user_ids[name] = user.id
        now = utcnow()
        waves = []
        for questionnaire, school in (("national-secondary", a), ("national-primary", c)):
            wave = Wave(name=f"Fuzz {questionnaire}", questionnaire_id=questionnaire,
                        questionnaire_version=questionnaires.load(questionnaire).version,
                        school_id=school.id, opens_at=now - timedelta(days=1), closes_at=now + timedelta(days=30))  # fmt: skip
            db.session.add(wave)
            db.session.flush()
            waves.append(wave)
        import io

        import_roster(waves[0], a, io.BytesIO(ROSTER.encode()), actor="fuzz")
        issue_codes(waves[0], a, actor="fuzz")
        world.wave_id, world.primary_wave_id = waves[0].id, waves[1].id
        db.session.commit()


def _world(url: str, database: str):
    app = make_app(url, **CONFIG)
    world = World(app, database)
    _seed(world)
    for role in STAFF_ROLES:
        world.staff(role)
    return world


@pytest.fixture(scope="session")
def fuzz_postgres(postgres_schema):
    url = postgres_schema()
    migrate(url)
    world = _world(url, "postgresql")
    yield world
    with world.app.app_context():
        db.engine.dispose()


@pytest.fixture
def world(fuzz_postgres) -> World:
    """The seeded fuzz app on PostgreSQL, one for the whole run. PostgreSQL is the stricter of the
    two databases (a NUL in text, a string longer than its column and a 32-bit integer overflow all
    fail there, and pass silently on SQLite), and the forms and pages are the same on both."""
    return fuzz_postgres
