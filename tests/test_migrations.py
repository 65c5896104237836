"""Migrations run up and down on SQLite and PostgreSQL, and match the models exactly."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade

from survey.extensions import db
from tests.conftest import make_app

TABLES = {
    "school",
    "wave",
    "roster_entry",
    "class_session",
    "pupil_code",
    "response",
    "answer",
    "user",
    "user_school",
    "audit_event",
    "questionnaire_version",
    "release",
    "release_school",
    "release_item",
    "safeguarding_concern",
    "staff_session",
}


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_database(request, tmp_path):
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'empty.db'}"
    return request.getfixturevalue("postgres_schema")()


def _tables(app) -> set[str]:
    return set(sa.inspect(db.engine).get_table_names()) - {"alembic_version"}


def test_upgrade_then_downgrade_leaves_nothing(empty_database):
    app = make_app(empty_database)
    with app.app_context():
        upgrade()
        assert _tables(app) == TABLES
        downgrade(revision="base")
        assert _tables(app) == set()
        upgrade()
        assert _tables(app) == TABLES
        db.engine.dispose()


def test_models_match_the_migrations(empty_database):
    app = make_app(empty_database)
    with app.app_context():
        upgrade()
        with db.engine.connect() as connection:
            differences = compare_metadata(MigrationContext.configure(connection), db.metadata)
        db.engine.dispose()
    # Changes to a model need a new migration: `flask --app survey db migrate -m "what changed"`.
    assert differences == []
