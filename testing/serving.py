"""Serving the app for a soak or load run: a PostgreSQL schema of its own, gunicorn on a free port of
127.0.0.1, a synthetic roster, and stopping it all again."""

from __future__ import annotations

import math
import os
import random
import signal
import socket
import subprocess
from collections.abc import Iterator
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import make_url

HOST = "127.0.0.1"
DEFAULT_DATABASE_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
YEARS = range(7, 14)
ETHNICITIES = [("WHIT", "WBRI"), ("WHIT", "WOTH"), ("ASIA", "APKN"), ("BLAC", "BAFR"), ("MIXD", "MWBC")]
ROSTER_COLUMNS = ["pupil_reference", "year_group", "gender", "ethnicity_major", "ethnicity_minor", "sen"]
ROSTER_COLUMNS += ["fsm", "eal", "looked_after", "class"]


class SetupError(Exception):
    """Preparing the database or starting gunicorn failed: the run cannot start."""


def percentile(values: list[float], p: float) -> float:
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


def with_schema(url: str, schema: str) -> str:
    """The URL with the schema first on the search path, and the schema's name as application_name
    so that the bench's own PostgreSQL backends can be told apart."""
    query = {"options": f"-csearch_path={schema}", "application_name": schema}
    return make_url(url).update_query_dict(query).render_as_string(hide_password=False)


def conninfo(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def roster_rows(count: int, rng: random.Random) -> Iterator[list[str]]:
    yield ROSTER_COLUMNS
    for i in range(count):
        year = rng.choice(YEARS)
        major, minor = rng.choice(ETHNICITIES)
        yield [
            f"LOAD{os.getpid()}P{i:05d}",
            str(year),
            rng.choice("FMO"),
            major,
            minor,
            rng.choices("NKE", [0.83, 0.13, 0.04])[0],
            rng.choice("YN"),
            rng.choice("YN"),
            "Y" if rng.random() < 0.01 else "N",
            f"{year}{rng.choice('ABCD')}",
        ]


@dataclass
class WorkerConfig:
    worker_class: str = "gthread"
    workers: int = 2
    threads: int = 4
    keep_alive: int = 5

    def args(self) -> list[str]:
        return [
            *("--worker-class", self.worker_class, "--workers", str(self.workers)),
            *("--threads", str(self.threads), "--keep-alive", str(self.keep_alive)),
        ]

    def __str__(self) -> str:
        threads = f"{self.workers} workers × {self.threads} threads"
        return f"{self.worker_class}, {threads}, keep-alive {self.keep_alive} s"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def gunicorn_pids(master: int) -> list[int]:
    """gunicorn's master and its workers."""
    pids = [master]
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with suppress(OSError, ValueError, IndexError):
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == master:
                pids.append(int(stat.parent.name))
    return pids


def stop(server: subprocess.Popen) -> None:
    """SIGTERM to gunicorn's master (it stops its workers), then SIGKILL to its process group if need be."""
    if server.poll() is None:
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            with suppress(ProcessLookupError):
                os.killpg(server.pid, signal.SIGKILL)
            server.wait(timeout=5)
    with suppress(ProcessLookupError):  # a worker left behind by a master that died first
        os.killpg(server.pid, signal.SIGKILL)


def tail(log: Path, lines: int = 30) -> str:
    return "\n".join(log.read_text(errors="replace").splitlines()[-lines:]) if log.exists() else "(no log)"
