"""How near 40% of bare Flask any pupil answer page could come on this machine: the floor app.

Run it from the repository root (it prints figures; it is not a test):

    .venv/bin/python bench/floor.py                 # 300 pupils, two rounds, about a minute
    .venv/bin/python bench/floor.py --pupils 100 --rounds 3

bench/pupil_load.py compares the survey's answer posts with bench/bare_app.py. This script serves,
on the same gunicorn config and driven by the same load client in the same way (GET, POST, follow
the redirect, 12 times a pupil), bench/bare_app.py and then bench/floor_app.py: bare Flask plus only
what every pupil page must do (a signed-cookie session, a CSRF token and its check, one read of
the pupil's answers on PostgreSQL per page and one transaction to save them per post, no-store).
Bare and floor take turns `--rounds` times, so a busy machine slows both alike. It prints each
one's POSTs a second and server-side CPU a request, and the floor's POST ratio to bare: the best
answer-post ratio an app with those parts alone can reach, before any questionnaire, validation,
template, logging, security header or rate limit is added.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import statistics
import sys
import tempfile
from pathlib import Path

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent))

from pupil_load import (
    DEFAULT_DATABASE_URL,
    WorkerConfig,
    bare_journey,
    bench_schema,
    conninfo,
    drive,
    gunicorn,
    report_bare,
    usage,
)

TABLE = "CREATE TABLE floor_answer (pupil text NOT NULL, question text NOT NULL, value text NOT NULL)"
INDEX = "CREATE INDEX floor_answer_pupil ON floor_answer (pupil, question)"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pupils", type=int, default=300)
    parser.add_argument("--cycles", type=int, default=12, help="GET + POST cycles a pupil (default 12)")
    parser.add_argument("--rounds", type=int, default=2, help="bare then floor, this many times (default 2)")
    parser.add_argument("--database-url", default=DEFAULT_DATABASE_URL)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--without", default="", help="leave parts out of the floor app: csrf, database (comma-separated)"
    )
    options = parser.parse_args()
    config = WorkerConfig()
    without = f", floor without {options.without}" if options.without else ""
    print(
        f"bare Flask against the floor app{without}: {options.pupils} pupils, "
        f"gunicorn {config}, {os.cpu_count()} CPUs"
    )
    rates: dict[str, list[float]] = {"bare": [], "floor": []}
    cpu: dict[str, list[float]] = {"bare": [], "floor": []}
    with tempfile.TemporaryDirectory(prefix="floor-") as temp, bench_schema(options.database_url) as url:
        info = conninfo(url)
        with psycopg.connect(info, autocommit=True) as connection:
            connection.execute(TABLE)
            connection.execute(INDEX)
        env = {**os.environ, "SECRET_KEY": secrets.token_hex(32), "FLOOR_CONNINFO": info}
        env["FLOOR_WITHOUT"] = options.without
        env["PYTHONUNBUFFERED"] = "1"
        for round_ in range(options.rounds):
            for name in ("bare", "floor"):
                used = []
                log = Path(temp) / f"{name}.log"
                with gunicorn(f"{name}_app:app", env, config, log) as (base, pid), usage(pid, url, used):
                    stats = asyncio.run(
                        drive(
                            base,
                            options.pupils,
                            bare_journey,
                            lambda _: options.cycles,
                            think=0,
                            seed=options.seed + round_,
                            seconds=300,
                        )
                    )
                print(f"\nround {round_ + 1}: {name} ({name}_app.py)")
                report_bare(stats, options.pupils, options.cycles, used[-1])
                if stats.errors:
                    print(f"  log:\n{(Path(temp) / f'{name}.log').read_text()[-2000:]}")
                    return 1
                rates[name].append(stats.rate("POST"))
                cpu[name].append(used[-1].server_side_ms(sum(len(v) for v in stats.latencies.values())))
    bare, floor = statistics.mean(rates["bare"]), statistics.mean(rates["floor"])
    print("\nsummary (means over the rounds)")
    print(f"  POSTs/s                        bare {bare:.1f}, floor {floor:.1f}")
    print(
        f"  server-side CPU a request      bare {statistics.mean(cpu['bare']):.2f} ms, "
        f"floor {statistics.mean(cpu['floor']):.2f} ms"
    )
    print(f"  floor POSTs/s ÷ bare POSTs/s   {floor / bare:.2f}   (the best any pupil answer post could do)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
