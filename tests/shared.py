"""What a test run builds once and shares between its pytest-xdist workers (or its one process).

`make test` runs the tests on two workers (`-n 2`). A session-scoped fixture runs once per worker,
so what is slow to build and the same for every worker (the demo data: about a minute on each
database) is built by whichever worker needs it first, under a file lock, and the others wait for
it and read what it left: a PostgreSQL database to copy (`CREATE DATABASE ... TEMPLATE`) or a
SQLite file to copy. A test that writes gets a copy of its own; the original is never opened again.

Everything a run makes is named after the run's id (xdist's `testrunuid`, shared by its workers):
databases `pvt_<run>_...` on the PostgreSQL server and the folder `<tmp>/pupil-voice-tests-<run>`.
The process that started the run (xdist's controller, or the only process) drops them at the end
(`cleanup`), so nothing is left behind even if a worker dies.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
import tempfile
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest
import sqlalchemy as sa

RUN_ID = pytest.StashKey[str]()
PREFIX = "pvt_"


def configure(config: pytest.Config) -> str:
    """Give the run an id shared by its workers (call from pytest_configure); returns it."""
    workerinput = getattr(config, "workerinput", None)
    if workerinput is not None:
        run = workerinput["testrunuid"]
    else:
        run = getattr(config.option, "testrunuid", None) or uuid.uuid4().hex
        if hasattr(config.option, "testrunuid"):  # xdist hands it to the workers
            config.option.testrunuid = run
    config.stash[RUN_ID] = run[:12]
    return config.stash[RUN_ID]


def is_controller(config: pytest.Config) -> bool:
    return not hasattr(config, "workerinput")


def worker_number() -> int:
    """0 for the first xdist worker (gw0) or a run without xdist, 1 for gw1, and so on."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
    return int(worker[2:]) if worker.startswith("gw") and worker[2:].isdigit() else 0


def folder(run: str) -> Path:
    path = Path(tempfile.gettempdir()) / f"pupil-voice-tests-{run}"
    path.mkdir(exist_ok=True)
    return path


@contextlib.contextmanager
def _locked(path: Path):
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def built_once(run: str, name: str, build: Callable[[], dict]) -> dict:
    """`build()` run once for the whole run (whichever worker asks first); the others wait for it and
    get the same JSON-able result. A build that failed is tried again by the next worker that asks."""
    place = folder(run)
    result = place / f"{name}.json"
    with _locked(place / f"{name}.lock"):
        if result.exists():
            return json.loads(result.read_text(encoding="utf-8"))
        value = build()
        result.write_text(json.dumps(value), encoding="utf-8")
        return value


# -- PostgreSQL databases -----------------------------------------------------------------------


def database_name(run: str, name: str) -> str:
    return f"{PREFIX}{run}_{name}"


def url_of(server_url: str, database: str) -> str:
    return sa.make_url(server_url).set(database=database).render_as_string(hide_password=False)


def create_database(server_url: str, database: str, template: str | None = None) -> str:
    """A new database on the server (a copy of `template` if given); returns its URL."""
    engine = sa.create_engine(server_url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            copy = f' TEMPLATE "{template}"' if template else ""
            connection.execute(sa.text(f'CREATE DATABASE "{database}"{copy}'))
    finally:
        engine.dispose()
    return url_of(server_url, database)


def drop_databases(server_url: str, run: str) -> None:
    """Drop every database this run made (their connections are ended first)."""
    engine = sa.create_engine(server_url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            names = connection.scalars(
                sa.text("SELECT datname FROM pg_database WHERE datname LIKE :prefix"),
                {"prefix": database_name(run, "%")},
            ).all()
            for name in names:
                connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        engine.dispose()


def cleanup(run: str, server_url: str) -> None:
    """At the end of the run, in the process that started it: its databases and its folder go."""
    with contextlib.suppress(sa.exc.OperationalError):  # no PostgreSQL server: nothing was made on it
        drop_databases(server_url, run)
    shutil.rmtree(Path(tempfile.gettempdir()) / f"pupil-voice-tests-{run}", ignore_errors=True)
