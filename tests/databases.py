"""The tests' databases: one migrated database and one app per kind for the whole run, emptied after
each test.

Why not a fresh database per test, as before: building the app, copying a SQLite file or TRUNCATE-ing
every PostgreSQL table, and loading the questionnaires cost more than most tests themselves.

Why not a transaction rolled back after each test: the pupil store writes on a connection of its own
in autocommit mode, and the race tests need commits that other connections see. So tests commit for
real, and afterwards the rows are DELETEd from only the tables that hold any (one query finds them),
and the id sequences are set back, so each test starts from an empty migrated database as before.

A database `with_questionnaires` has the shipped questionnaires loaded once and kept between tests;
they are loaded again only if a test changed them.
"""

from __future__ import annotations

import copy

import sqlalchemy as sa
from flask import Flask

from survey.extensions import db, limiter

QUESTIONNAIRES = "questionnaire_version"
# A test that leaves a transaction open holding locks must fail the clean-up, not hang the run.
LOCK_TIMEOUT = "10s"


class AppState:
    """What a test may change on an app shared by many tests, kept to be put back afterwards: its
    settings, the caches made in `app.extensions` since (page shells and the like), and the rate
    limits counted in memory."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.config = dict(app.config)
        self.extensions = set(app.extensions)

    def restore(self) -> None:
        self.app.config.clear()
        self.app.config.update(copy.copy(self.config))
        for name in set(self.app.extensions) - self.extensions:
            del self.app.extensions[name]
        with self.app.app_context():
            limiter.reset()


class TestDatabase:
    """A migrated database with its app, shared by the tests of a run and emptied after each."""

    __test__ = False  # not a test class, whatever pytest thinks of the name

    def __init__(self, url: str, app: Flask, *, with_questionnaires: bool) -> None:
        self.url = url
        self.app = app
        self.with_questionnaires = with_questionnaires
        with app.app_context():
            self.engine = db.engine
        self.dialect = self.engine.dialect.name
        self._app_state = AppState(app)
        with self.engine.connect() as connection:
            self.tables = _children_first(connection)
        if with_questionnaires:
            self._load_questionnaires()
        with self.engine.connect() as connection:
            self._questionnaires = _rows(connection, QUESTIONNAIRES)
            self._sequences = self._read_sequences(connection)
        self.dirty = False

    # -- after each test ------------------------------------------------------------------------

    def reset_app(self) -> None:
        self._app_state.restore()

    def clean(self) -> None:
        """Delete every row a test left (keeping unchanged questionnaires) and set the ids back."""
        with self.engine.begin() as connection:
            if self.dialect == "postgresql":
                connection.execute(sa.text(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'"))
            occupied = _occupied(connection, self.tables)
            keep = QUESTIONNAIRES in occupied and _rows(connection, QUESTIONNAIRES) == self._questionnaires
            for table in self.tables:
                if table in occupied and not (table == QUESTIONNAIRES and keep):
                    connection.execute(sa.text(f'DELETE FROM "{table}"'))
            self._restore_sequences(connection, keep)
        if self.with_questionnaires and not keep:
            self._load_questionnaires()
        self.dirty = False

    # -- id sequences ---------------------------------------------------------------------------

    def _read_sequences(self, connection) -> dict:
        if self.dialect == "postgresql":
            rows = connection.execute(
                sa.text(
                    "SELECT sequencename, last_value FROM pg_sequences WHERE schemaname = current_schema()"
                )
            )
            return dict(rows.all())
        if connection.execute(sa.text("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_sequence'")).first():
            return dict(connection.execute(sa.text("SELECT name, seq FROM sqlite_sequence")).all())
        return {}

    def _restore_sequences(self, connection, questionnaires_kept: bool) -> None:
        now = self._read_sequences(connection)
        wanted = dict(self._sequences)
        if not questionnaires_kept:  # they are loaded again, from the first id on
            wanted = {name: value for name, value in wanted.items() if not name.startswith(QUESTIONNAIRES)}
        changed = {name for name in {*now, *wanted} if now.get(name) != wanted.get(name)}
        if not changed:
            return
        if self.dialect == "postgresql":
            for name in changed:
                value = wanted.get(name)
                connection.execute(
                    sa.text("SELECT setval(CAST(:name AS regclass), :value, :called)"),
                    {"name": f'"{name}"', "value": value or 1, "called": value is not None},
                )
        else:
            connection.execute(sa.text("DELETE FROM sqlite_sequence"))
            for name, value in wanted.items():
                connection.execute(
                    sa.text("INSERT INTO sqlite_sequence (name, seq) VALUES (:name, :value)"),
                    {"name": name, "value": value},
                )

    def _load_questionnaires(self) -> None:
        result = self.app.test_cli_runner().invoke(args=["load-questionnaires"])
        assert result.exit_code == 0, result.output


def _children_first(connection) -> list[str]:
    """Every table but Alembic's, as the migrations made them, each before the tables it refers to."""
    metadata = sa.MetaData()
    metadata.reflect(connection)
    return [t.name for t in reversed(metadata.sorted_tables) if t.name != "alembic_version"]


def _occupied(connection, tables: list[str]) -> set[str]:
    """The tables holding at least one row, in one round trip."""
    probes = ", ".join(f'(SELECT 1 FROM "{table}" LIMIT 1)' for table in tables)
    found = connection.execute(sa.text(f"SELECT {probes}")).one()
    return {table for table, row in zip(tables, found, strict=True) if row is not None}


def _rows(connection, table: str) -> list[tuple]:
    return [tuple(row) for row in connection.execute(sa.text(f'SELECT * FROM "{table}" ORDER BY id'))]
