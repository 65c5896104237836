"""Fixtures: the app on PostgreSQL (and SQLite where they differ), a test client and a CLI runner.

Database tests run on PostgreSQL, the production database. Tests of what differs between the two
databases (the data layer, the pupil store and its races, migrations, purge and withdrawal) are
marked `both_databases` and run on SQLite too. Each kind of database is migrated once per run, with
one app on it, and emptied after each test (tests/databases.py), so every test still starts from an
empty migrated database.

PostgreSQL comes from TEST_DATABASE_URL; the tests make their own schemas in it and drop them
afterwards. Without a PostgreSQL server its tests are skipped locally and fail in CI (CI=true).
"""

from __future__ import annotations

import contextlib
import itertools
import os
import secrets
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

import pytest
import sqlalchemy as sa

from survey import create_app
from survey.extensions import db
from tests import shared
from tests.databases import TestDatabase

DEFAULT_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
TEST_CONFIG = {
    "TESTING": True,
    "SECRET_KEY": "test-secret",
    "CODE_HASH_KEY": "test-code-key",
    "WTF_CSRF_ENABLED": False,
    "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",  # scrypt's cost is the point in production, not here
}
DATABASES = ("sqlite", "postgresql")
REDIS_DATABASE = 15  # the tests' own; xdist's worker gw1 takes 14, and so on


def pytest_configure(config) -> None:
    """The run's id, shared by its xdist workers (tests/shared.py); a Redis database per worker, as
    some tests empty theirs."""
    shared.configure(config)
    number = shared.worker_number()
    if number:
        url = urlsplit(os.environ.get("TEST_REDIS_URL", f"redis://127.0.0.1:6379/{REDIS_DATABASE}"))
        base = int(url.path.strip("/") or 0) if url.path.strip("/").isdigit() else REDIS_DATABASE
        os.environ["TEST_REDIS_URL"] = urlunsplit(url._replace(path=f"/{(base - number) % 16}"))


def pytest_unconfigure(config) -> None:
    """The process that started the run drops what its workers built (tests/shared.py)."""
    if shared.RUN_ID in config.stash and shared.is_controller(config):
        shared.cleanup(config.stash[shared.RUN_ID], os.environ.get("TEST_DATABASE_URL", DEFAULT_POSTGRES))


def make_app(database_url: str, **config):
    return create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": database_url, **config})


def migrate(database_url: str, revision: str = "head") -> None:
    from flask_migrate import upgrade

    app = make_app(database_url)
    with app.app_context():
        upgrade(revision=revision)
        db.engine.dispose()


def with_schema(url: str, schema: str) -> str:
    separator = "&" if "?" in url else "?"
    return f"{url}{separator}options={quote(f'-csearch_path={schema}')}"


@pytest.fixture(scope="session")
def postgres_server() -> str:
    url = os.environ.get("TEST_DATABASE_URL", DEFAULT_POSTGRES)
    engine = sa.create_engine(url)
    try:
        with engine.connect():
            pass
    except sa.exc.OperationalError as error:
        message = f"PostgreSQL is not reachable at {url}: {str(error).splitlines()[0]}"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message + " (CI must test on PostgreSQL)", pytrace=False)
        pytest.skip(message + " — skipping the PostgreSQL half of the tests")
    finally:
        engine.dispose()
    return url


@pytest.fixture(scope="session")
def postgres_schema(postgres_server):
    """A fresh schema in the test database, dropped at the end; yields a factory of more schemas."""
    engine = sa.create_engine(postgres_server, isolation_level="AUTOCOMMIT")
    made: list[str] = []

    def new_schema() -> str:
        name = f"t_{os.getpid()}_{secrets.token_hex(4)}"
        with engine.connect() as connection:
            connection.execute(sa.text(f'CREATE SCHEMA "{name}"'))
        made.append(name)
        return with_schema(postgres_server, name)

    yield new_schema
    with engine.connect() as connection:
        for name in made:
            connection.execute(sa.text(f'DROP SCHEMA IF EXISTS "{name}" CASCADE'))
    engine.dispose()


@pytest.fixture(scope="session")
def postgres_migrated(postgres_schema) -> str:
    url = postgres_schema()
    migrate(url)
    return url


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("template") / "survey.db"
    migrate(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def shared_databases(tmp_path_factory) -> Iterator[dict[str, TestDatabase]]:
    """The databases tests share, by URL; their engines are closed at the end of the run."""
    made: dict[str, TestDatabase] = {}
    yield made
    for database in made.values():
        database.engine.dispose()


def _shared(request, kind: str, with_questionnaires: bool) -> TestDatabase:
    if kind == "postgresql":
        url = request.getfixturevalue("postgres_schema")()
        migrate(url)
    else:
        folder = request.getfixturevalue("tmp_path_factory").mktemp("shared")
        shutil.copy(request.getfixturevalue("sqlite_template"), folder / "survey.db")
        url = f"sqlite:///{folder / 'survey.db'}"
    database = TestDatabase(url, make_app(url), with_questionnaires=with_questionnaires)
    request.getfixturevalue("shared_databases")[url] = database
    return database


@pytest.fixture(scope="session")
def postgresql_empty(request) -> TestDatabase:
    return _shared(request, "postgresql", with_questionnaires=False)


@pytest.fixture(scope="session")
def postgresql_loaded(request) -> TestDatabase:
    return _shared(request, "postgresql", with_questionnaires=True)


@pytest.fixture(scope="session")
def sqlite_empty(request) -> TestDatabase:
    return _shared(request, "sqlite", with_questionnaires=False)


@pytest.fixture(scope="session")
def sqlite_loaded(request) -> TestDatabase:
    return _shared(request, "sqlite", with_questionnaires=True)


def pytest_generate_tests(metafunc) -> None:
    """`database_url` is PostgreSQL, the production database; tests marked `both_databases` (what
    differs between the two) run on SQLite too."""
    if "database_url" in metafunc.fixturenames:
        both = metafunc.definition.get_closest_marker("both_databases") is not None
        metafunc.parametrize("database_url", DATABASES if both else DATABASES[1:], indirect=True)


@pytest.fixture
def database_url(request) -> Iterator[str]:
    """A migrated, empty database (with the questionnaires loaded if the test uses `loaded`): one
    per kind shared by the whole run, emptied after each test (tests/databases.py)."""
    kind = getattr(request, "param", "postgresql")
    flavour = "loaded" if "loaded" in request.fixturenames else "empty"
    database: TestDatabase = request.getfixturevalue(f"{kind}_{flavour}")
    if database.dirty:  # the last clean-up failed
        database.clean()
    database.dirty = True
    yield database.url
    database.clean()


@pytest.fixture
def app(request, database_url):
    """The app on `database_url`. It is shared by the tests of a run: a test may change its settings
    (they are put back afterwards) but must not add routes or hooks; `make_app(database_url)` makes
    an app of its own."""
    database = request.getfixturevalue("shared_databases").get(database_url)
    if database is None:  # a test module's own `database_url`
        app = make_app(database_url)
        yield app
        with app.app_context():
            db.engine.dispose()
        return
    yield database.app
    database.reset_app()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def loaded(request, app, database_url):
    """The app with the shipped questionnaires loaded (once per run, not per test)."""
    database = request.getfixturevalue("shared_databases").get(database_url)
    if database is None or not database.with_questionnaires:
        result = app.test_cli_runner().invoke(args=["load-questionnaires"])
        assert result.exit_code == 0, result.output
    return app


# -- the demo data, loaded once per run and database kind ------------------------------------------


@pytest.fixture(scope="session")
def run_id(request) -> str:
    return request.config.stash[shared.RUN_ID]


@pytest.fixture(scope="session")
def demo_built(request, run_id) -> Callable[[str], dict]:
    """demo_built("postgresql" or "sqlite") → the demo (`flask demo`: 21 schools, about 8,000
    responses, a results release) loaded once for the whole run, whichever xdist worker asks first:
    {"source": the database name or SQLite file to copy, "output": what that first `flask demo`
    printed, "codes": the CSV its --codes-out wrote}. Never open the source: `demo_copy` copies it."""

    def get(kind: str) -> dict:
        def build() -> dict:
            place = shared.folder(run_id)
            if kind == "postgresql":
                name = shared.database_name(run_id, "demo")
                url = shared.create_database(request.getfixturevalue("postgres_server"), name)
                migrate(url)
                source = name
            else:
                path = place / "demo.db"
                shutil.copy(request.getfixturevalue("sqlite_template"), path)
                url, source = f"sqlite:///{path}", str(path)
            app = make_app(url)
            runner = app.test_cli_runner()
            result = runner.invoke(args=["load-questionnaires"])
            assert result.exit_code == 0, result.output
            codes = place / f"demo-codes-{kind}.csv"
            first = runner.invoke(args=["demo", "--codes-out", str(codes)])
            assert first.exit_code == 0, first.output
            with app.app_context():
                db.engine.dispose()
            return {"source": source, "output": first.output, "codes": codes.read_text(encoding="utf-8")}

        return shared.built_once(run_id, f"demo-{kind}", build)

    return get


USES_DEMO = pytest.StashKey[bool]()


# The modules that take longest, longest first (measured: `--durations`). Under xdist (`--dist
# loadscope`) modules are handed to the workers in collection order, so these go first and the short
# ones fill in at the end, rather than one worker running a long module alone while the other idles.
LONGEST_FIRST = (
    "tests/test_export_stream.py",
    "tests/staff/test_releases.py",
    "tests/analysis/test_disclosure.py",
    "tests/test_demo.py",
    "tests/staff/test_audit.py",
    "tests/staff/test_review.py",
    "tests/test_privacy.py",
    "tests/browser/test_staff.py",
    "tests/browser/test_journey.py",
    "tests/fuzz/test_forms.py",
    "tests/test_serving.py",
    "tests/soak/test_soak.py",
    "tests/test_synthetic.py",
    "tests/browser/test_javascript.py",
    "tests/browser/test_safeguarding.py",
)


def pytest_collection_modifyitems(config, items) -> None:
    config.stash[USES_DEMO] = any("demo_built" in getattr(item, "fixturenames", ()) for item in items)
    if "PYTEST_XDIST_WORKER" in os.environ:  # each module's own order is kept (a stable sort)
        rank = {path: n for n, path in enumerate(LONGEST_FIRST)}
        items.sort(key=lambda item: rank.get(item.nodeid.split("::")[0], len(rank)))


@pytest.fixture(scope="session", autouse=True)
def demo_built_early(request) -> None:
    """With xdist, the first two workers build the run's demo at their start, gw0 on PostgreSQL and
    gw1 on SQLite, if any collected test uses it: built on first use instead, a worker whose tests
    need it while the other builds it would wait idle for a minute. A failure here is left for the
    tests that use the demo to meet (and report) when they build it themselves."""
    number = shared.worker_number()
    if (
        "PYTEST_XDIST_WORKER" not in os.environ
        or number > 1
        or not request.config.stash.get(USES_DEMO, False)
    ):
        return
    with contextlib.suppress(Exception, pytest.skip.Exception, pytest.fail.Exception):
        request.getfixturevalue("demo_built")(DATABASES[::-1][number])


@pytest.fixture(scope="session")
def demo_copy(request, run_id, demo_built) -> Callable[[str], str]:
    """demo_copy("postgresql" or "sqlite") → the URL of a fresh copy of the demo (a second or two:
    `CREATE DATABASE ... TEMPLATE`, or a file copy). Copies are dropped at the end of the run."""
    numbers = itertools.count()

    def make(kind: str) -> str:
        built = demo_built(kind)
        if kind == "postgresql":
            name = shared.database_name(run_id, f"demo_{shared.worker_number()}_{next(numbers)}")
            server = request.getfixturevalue("postgres_server")
            return shared.create_database(server, name, template=built["source"])
        path = request.getfixturevalue("tmp_path_factory").mktemp("demo") / "survey.db"
        shutil.copy(built["source"], path)
        return f"sqlite:///{path}"

    return make
