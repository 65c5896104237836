"""Where the server's CPU goes on the pupil journey: the app in-process, on PostgreSQL, under cProfile.

Run it from the repository root (it prints figures; it is not a test):

    .venv/bin/python bench/profile_pupil.py --pupils 30
    .venv/bin/python bench/profile_pupil.py --pupils 30 --sort tottime --limit 60
    .venv/bin/python bench/profile_pupil.py --pupils 30 --out /tmp/pupil.prof   # for snakeviz etc.

It prepares a schema exactly as bench/pupil_load.py does, then takes `--pupils` pupils one after
another through the whole journey with the same form-filling rules, calling the WSGI app directly
(no gunicorn, no sockets). It prints the CPU milliseconds the app spent on each kind of request
(answer post, question page, ...) and the SQL statements a request, then the profile, timed in
process CPU seconds (time.process_time), so waiting for PostgreSQL does not count; the CPU of the
app's PostgreSQL backends (read from /proc) is printed separately.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import random
import secrets
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from urllib.parse import urljoin, urlsplit

from sqlalchemy import event
from werkzeug.datastructures import MultiDict

BENCH = Path(__file__).resolve().parent
sys.path[:0] = [str(BENCH), str(BENCH.parent)]  # pupil_load, and this tree's `survey` package

from pupil_load import (  # noqa: E402
    DEFAULT_DATABASE_URL,
    SECTION_PATH,
    bench_schema,
    cpu_seconds,
    database_pids,
    fill_answers,
    hidden_fields,
    main_form,
    parse_forms,
    pick_button,
    prepare,
)


class Meter:
    """Wraps the WSGI app: CPU time and SQL statements per request kind, and the profiler switched on
    only while the app runs (so the driver's own HTML parsing is left out)."""

    def __init__(self, app, profiler: cProfile.Profile) -> None:
        self.app, self.wsgi, self.profiler = app, app.wsgi_app, profiler
        self.cpu: dict[str, list[float]] = defaultdict(list)
        self.database: dict[str, float] = defaultdict(float)  # kind -> PostgreSQL CPU seconds
        self.backends: list[int] = []
        self.statements: dict[str, list[int]] = defaultdict(list)
        self.kind = "page"
        self._count = 0
        app.wsgi_app = self

    def count(self, *args) -> None:
        self._count += 1

    def __call__(self, environ, start_response):
        self._count = 0
        database = cpu_seconds(self.backends)
        began = time.process_time()
        self.profiler.enable()
        try:
            body = b"".join(self.wsgi(environ, start_response))
        finally:
            self.profiler.disable()
        self.cpu[self.kind].append((time.process_time() - began) * 1000)
        after = cpu_seconds(self.backends)
        self.database[self.kind] += sum(after[pid] - database.get(pid, after[pid]) for pid in after)
        self.statements[self.kind].append(self._count)
        return [body]


def count_driver_statements(meter: Meter) -> None:
    """The pupil store sends its two hot statements through psycopg's own cursor, which SQLAlchemy's
    events do not see: each `store._driver` call is followed by one such statement, so count those."""
    from survey.pupil import store

    driver = store._driver

    def counted(conn):
        meter.count()
        return driver(conn)

    store._driver = counted


class NoProfile:
    def enable(self) -> None:
        pass

    def disable(self) -> None:
        pass


def journey(client, meter: Meter, code: str, rng: random.Random) -> int:
    def go(method: str, url: str, kind: str, data=None):
        meter.kind = kind
        response = client.open(url, method=method, data=MultiDict(data) if data else None)
        if response.status_code >= 400:
            raise RuntimeError(f"{method} {url} -> {response.status_code}")
        return response

    def post(url: str, form, data, kind: str) -> str:
        response = go("POST", urljoin(url, form.action), kind, data)
        if response.status_code != 302:
            raise RuntimeError(f"POST {url} -> {response.status_code}, no redirect")
        return response.headers["Location"]

    def forms(url: str, kind: str, needs: str | None = None):
        html = go("GET", url, kind).get_data(as_text=True)
        return main_form(parse_forms(html), "http://localhost" + url, needs=needs)

    form = forms("/", "page", needs="code")
    data = [(n, v) for n, v in hidden_fields(form) if n != "code"] + [("code", code)] + pick_button(form)
    where = post("/", form, data, "code post")
    form = forms(where, "page", needs="choice")
    where = post(where, form, [*hidden_fields(form), ("choice", "yes")], "assent post")
    posted = 0
    while SECTION_PATH.match(urlsplit(where).path):
        form = forms(where, "question page")
        where = post(where, form, fill_answers(form, rng), "answer post")
        posted += 1
    form = forms(where, "page")
    where = post(where, form, hidden_fields(form) + pick_button(form), "confirm post")
    go("GET", where, "page")
    return posted


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pupils", type=int, default=30, help="pupils, one after another (default 30)")
    parser.add_argument("--warm", type=int, default=3, help="pupils first, not measured (default 3)")
    parser.add_argument("--sort", default="cumulative", help="pstats sort key (default cumulative)")
    parser.add_argument("--limit", type=int, default=45, help="profile lines to print (default 45)")
    parser.add_argument("--out", help="also write the raw profile here")
    parser.add_argument(
        "--no-profile", action="store_true", help="CPU a request only: cProfile itself triples the times"
    )
    parser.add_argument("--database-url", default=DEFAULT_DATABASE_URL)
    parser.add_argument("--seed", type=int, default=1)
    return parser.parse_args()


def main() -> int:
    options = arguments()
    rng = random.Random(options.seed)
    keys = {"SECRET_KEY": secrets.token_hex(32), "CODE_HASH_KEY": secrets.token_hex(32)}
    with (
        tempfile.TemporaryDirectory(prefix="pupil-profile-") as temp,
        bench_schema(options.database_url) as url,
    ):
        env = {**os.environ, **keys, "DATABASE_URL": url}
        codes = prepare(env, options.pupils + options.warm, Path(temp), rng, 300)
        os.environ.update(keys, DATABASE_URL=url)
        from survey import create_app
        from survey.extensions import db

        app = create_app()
        profiler = cProfile.Profile(time.process_time)
        meter = Meter(app, profiler)
        with app.app_context():
            event.listen(db.engine, "before_cursor_execute", meter.count)
        count_driver_statements(meter)
        for code in codes[: options.warm]:
            journey(app.test_client(), meter, code, rng)
        profiler = meter.profiler = cProfile.Profile(time.process_time)  # the warm-up is not counted
        if options.no_profile:
            meter.profiler = NoProfile()
        meter.cpu.clear()
        meter.statements.clear()
        meter.backends = database_pids(url)
        for code in codes[options.warm :]:
            journey(app.test_client(), meter, code, rng)
        with app.app_context():
            db.engine.dispose()

    print(
        f"\n{options.pupils} pupils, CPU ms a request: the app (process time) and its "
        f"{len(meter.backends)} PostgreSQL backend(s) (from /proc, in 10 ms ticks: averages only)"
    )
    for kind, values in sorted(meter.cpu.items()):
        values.sort()
        statements = meter.statements[kind]
        database = meter.database[kind] * 1000 / len(values)
        print(
            f"  {kind:<15} n={len(values):5d}   app mean {sum(values) / len(values):6.2f}   "
            f"p50 {values[len(values) // 2]:6.2f}   PostgreSQL {database:5.2f}"
            f"   SQL statements {sum(statements) / len(statements):4.1f}"
        )
    every = [v for values in meter.cpu.values() for v in values]
    statements = [s for values in meter.statements.values() for s in values]
    print(
        f"  {'all':<15} n={len(every):5d}   app mean {sum(every) / len(every):6.2f}   {'':11}"
        f"PostgreSQL {sum(meter.database.values()) * 1000 / len(every):5.2f}"
        f"   SQL statements {sum(statements) / len(statements):4.1f}"
    )
    if options.no_profile:
        return 0
    if options.out:
        profiler.dump_stats(options.out)
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.strip_dirs().sort_stats(options.sort).print_stats(options.limit)
    print(out.getvalue())
    return 0


if __name__ == "__main__":
    sys.exit(main())
