"""Fixtures: the app on SQLite and on PostgreSQL, a test client and a CLI runner.

Every database test runs twice, once per database. PostgreSQL comes from TEST_DATABASE_URL; the
tests make their own schema in it and drop it afterwards. Without a PostgreSQL server the
PostgreSQL half is skipped locally and fails in CI (CI=true).
"""

from __future__ import annotations

import os
import secrets
import shutil
from pathlib import Path
from urllib.parse import quote

import pytest
import sqlalchemy as sa

from survey import create_app
from survey.extensions import db

DEFAULT_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
TEST_CONFIG = {
    "TESTING": True,
    "SECRET_KEY": "test-secret",
    "CODE_HASH_KEY": "test-code-key",
    "WTF_CSRF_ENABLED": False,
    "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",  # scrypt's cost is the point in production, not here
}


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


def _empty_postgres(url: str) -> None:
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        tables = [t.name for t in reversed(db.metadata.sorted_tables)]
        connection.execute(
            sa.text(
                f"TRUNCATE {', '.join(f'{chr(34)}{t}{chr(34)}' for t in tables)} RESTART IDENTITY CASCADE"
            )
        )
    engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path):
    """A migrated, empty database: a copied SQLite file, or the PostgreSQL test schema emptied after use."""
    if request.param == "sqlite":
        path = tmp_path / "survey.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        yield f"sqlite:///{path}"
    else:
        url = request.getfixturevalue("postgres_migrated")
        yield url
        _empty_postgres(url)


@pytest.fixture
def app(database_url):
    app = make_app(database_url)
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def loaded(app, runner):
    """The app with the shipped questionnaires loaded."""
    result = runner.invoke(args=["load-questionnaires"])
    assert result.exit_code == 0, result.output
    return app
