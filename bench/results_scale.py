"""Scale benchmark of results at national size: seeding, export, publishing a release, staff pages.

Run it from the repository root (it prints figures; it is not a test):

    .venv/bin/python bench/results_scale.py --responses 100000
    .venv/bin/python bench/results_scale.py                       # 1,000,000 responses

What it does, all on this machine and a fresh PostgreSQL schema `bench_<pid>` (dropped at the end):

1. Migrates, loads the questionnaires and the demo (for the staff logins and the lead's school).
2. Seeding: what `flask synthetic --responses N --seed S` runs (new schools in 150 local
   authorities, on rosters), committed; prints responses a second.
3. Export: what `flask export-responses` runs, as CSV and as Parquet, of every response, then
   `export_frame` (the results pipeline's snapshot) of each questionnaire; prints responses a
   second for each. Steps 2 and 3 run in one process (its peak memory is printed), timed around
   the calls, so the app's start is not counted.
4. Publishing: `flask publish-results` under `/usr/bin/time`: seconds and peak memory (max RSS). If
   the command does not exist yet it says "publish-results not available" and carries on.
5. Staff pages: serves `survey:create_app()` with gunicorn (`--workers`, `--threads`), signs in 20
   (`--staff`) concurrent staff, a third each as the demo's school lead, national reviewer and local
   authority reviewer, finds each role's results pages and downloads by following links from its
   home page, requests each once (the first request, printed apart), then has every member of staff
   request their role's pages in turn, with no pause, for `--seconds`. Prints p50/p95 per role and
   per page (ids in the path shown as N), errors, and each gunicorn worker's RSS (now and peak).

Targets (issue 13, at 1 M responses): seeding and export ≥ 20,000 responses/s; a release published
in under 5 minutes using at most 4 GB; every staff page p95 < 500 ms; a worker's RSS < 300 MB and
not growing with N (run 100 k and 1 M and compare). Other processes busy on the machine lower every
figure: the load average is printed before each phase.

Exit status: 0 when every step ran (whatever the figures), 2 if the setup failed.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import secrets
import signal
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from contextlib import suppress
from pathlib import Path

import aiohttp

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.pupil_load import (
    ROOT,
    SetupError,
    WorkerConfig,
    bench_schema,
    flask,
    gunicorn,
    gunicorn_pids,
    percentile,
)

STAFF = [
    ("school lead", "lead@demo.example"),
    ("national reviewer", "reviewer@demo.example"),
    ("LA reviewer", "la-reviewer@demo.example"),
]
PASSWORD = "demo-password-not-secret"
# Pages that change things or are not results: never requested.
SKIP = re.compile(
    r"sign-out|/waves/new|trusted-adult|you-said-we-did|/codes|/admin|/language/|/safeguarding|/reveal|#"
)
RESULTS = re.compile(r"^/(school|review)/")
PER_PATTERN = 3
PER_ROLE = 60
# Run in one process, so the figures leave out the app's start (about a second on a quiet machine).
SCALE_SCRIPT = """
import os, resource, sys, time
from bench.pupil_load import cpu_seconds, database_pids
from survey import create_app
from survey.extensions import db
from survey.data.export import export_frame, export_responses
from survey.data.synthetic import generate

responses, seed, folder = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
url = os.environ["DATABASE_URL"]


def database_cpu():
    return sum(cpu_seconds(database_pids(url)).values())


def step(name, work):
    wall, cpu, before = time.perf_counter(), time.process_time(), database_cpu()
    count, *more = work()
    db.session.commit()
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    print(name, count, f"{wall:.3f}", f"{cpu:.3f}", f"{database_cpu() - before:.3f}", *more, flush=True)


def export(form):
    with open(f"{folder}/responses.{form}", "w" if form == "csv" else "wb") as out:
        return (export_responses(out, actor="bench", format=form),)


app = create_app()
with app.app_context():
    db.session.execute(db.text("SELECT 1"))  # the pool's connections exist before the first count
    def seeding():
        counts = generate(responses, seed=seed, actor="bench")
        return counts.responses, counts.answers, counts.schools
    step("synthetic", seeding)
    for form in ("csv", "parquet"):
        step(f"export-{form}", lambda: export(form))
    for questionnaire in ("national-secondary", "national-primary"):
        step(f"frame-{questionnaire}", lambda: (len(export_frame(questionnaire)),))
print(f"peak {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}")
"""


def load() -> str:
    one, five, _ = os.getloadavg()
    return f"(load average {one:.1f}, {five:.1f}; {os.cpu_count()} CPUs)"


def timed_flask(env: dict, *args: str, seconds: float) -> tuple[float, str]:
    started = time.perf_counter()
    output = flask(env, *args, seconds=seconds)
    return time.perf_counter() - started, output


def rate(count: int, seconds: float) -> str:
    return f"{count:,} in {seconds:.1f} s = {count / seconds:,.0f} responses/s"


def seed_and_export(
    env: dict, responses: int, seed: int, workdir: Path, timeout: float, summary: dict
) -> None:
    print(f"\nseeding {responses:,} responses, then exporting everything {load()}")
    done = subprocess.run(
        [sys.executable, "-c", SCALE_SCRIPT, str(responses), str(seed), str(workdir)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if done.returncode != 0:
        raise SetupError(f"seeding or export failed:\n{done.stdout}{done.stderr[-3000:]}")
    for line in done.stdout.splitlines():
        name, *values = line.split()
        if name == "peak":
            print(f"  peak memory of that process: {int(values[0]) / 1024:,.0f} MB")
            summary["seed_export_peak_mb"] = int(values[0]) / 1024
            continue
        count, took, python_cpu, database_cpu = int(values[0]), *map(float, values[1:4])
        if name == "synthetic":
            print(f"  synthetic: {rate(count, took)} ({int(values[4]):,} answers, {values[5]} new schools)")
        elif name.startswith("export-"):
            size = (workdir / f"responses.{name[7:]}").stat().st_size / 2**20
            print(f"  export-responses --format {name[7:]}: {rate(count, took)}, {size:,.0f} MB")
        else:
            print(f"  export_frame({name[6:]!r}) (complete responses): {rate(count, took)}")
        # Each step runs Python and PostgreSQL in turn, so on an idle machine it takes about their
        # CPU time added up; on a busy one, the wall time above is mostly waiting for a CPU.
        busy = python_cpu + database_cpu
        print(
            f"    CPU: Python {python_cpu:.1f} s + PostgreSQL {database_cpu:.1f} s = {busy:.1f} s, "
            f"{count / busy:,.0f} responses per CPU second"
        )
        if not name.startswith("synthetic"):
            # The export reads the next chunk (PostgreSQL) while Python works on this one.
            print(
                f"    run side by side on 2 idle cores: about {max(python_cpu, database_cpu):.1f} s, "
                f"{count / max(python_cpu, database_cpu, 1e-9):,.0f} responses/s (the larger of the two)"
            )
        summary[name] = {"count": count, "wall": took, "python_cpu": python_cpu, "database_cpu": database_cpu}


def publish(env: dict, timeout: float, summary: dict) -> None:
    print(f"\npublishing a release {load()}")
    check = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "survey", "publish-results", "--help"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if check.returncode != 0:
        print("  publish-results could not start: no release time or memory to show")
        print("  " + check.stderr.strip().replace("\n", "\n  ")[-1500:])
        return
    started = time.perf_counter()
    done = subprocess.run(
        [
            "/usr/bin/time",
            "-f",
            "maxrss_kb %M user %U sys %S",
            sys.executable,
            "-m",
            "flask",
            "--app",
            "survey",
            "publish-results",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    took = time.perf_counter() - started
    used = re.search(r"maxrss_kb (\d+) user ([\d.]+) sys ([\d.]+)", done.stderr)
    peak, cpu = (int(used.group(1)) / 1024, float(used.group(2)) + float(used.group(3))) if used else (0, 0)
    status = "ok" if done.returncode == 0 else f"FAILED (status {done.returncode})"
    print(
        f"  publish-results: {status}, {took:.1f} s wall, {cpu:.1f} s CPU (Python), "
        f"peak memory {peak:,.0f} MB"
    )
    print("  " + (done.stdout.strip() or done.stderr.strip()).replace("\n", "\n  ")[-2000:])
    summary.update(publish_wall=took, publish_cpu=cpu, publish_peak_mb=peak, publish_ok=done.returncode == 0)


async def sign_in(session: aiohttp.ClientSession, base: str, email: str) -> str:
    async with session.get(f"{base}/staff/sign-in") as response:
        html = await response.text()
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
    form = {"email": email, "password": PASSWORD, **({"csrf_token": token.group(1)} if token else {})}
    async with session.post(f"{base}/staff/sign-in", data=form) as response:
        if response.status != 200 or "/sign-in" in str(response.url):
            raise SetupError(f"could not sign in as {email} (status {response.status})")
        return str(response.url.path)


async def find_pages(
    session: aiohttp.ClientSession, base: str, home: str, timeout: float
) -> dict[str, float]:
    """The role's results pages, by following links two steps from its home: path -> first time."""
    seen: dict[str, float] = {}
    per_pattern: dict[str, int] = defaultdict(int)
    frontier = [home]
    for _depth in range(3):
        found = []
        for path in frontier:
            if path in seen or len(seen) >= PER_ROLE:
                continue
            started = time.perf_counter()
            try:
                async with session.get(base + path, timeout=aiohttp.ClientTimeout(total=timeout)) as response:
                    body = await response.text() if "html" in response.content_type else ""
                    ok = response.status == 200
            except TimeoutError:
                ok, body = False, ""
            seen[path] = time.perf_counter() - started if ok else float("nan")
            for link in re.findall(r'href="([^"]+)"', body):
                link = link.replace("&amp;", "&")
                if RESULTS.match(link) and not SKIP.search(link) and link not in seen:
                    pattern = pattern_of(link)
                    if per_pattern[pattern] < PER_PATTERN:
                        per_pattern[pattern] += 1
                        found.append(link)
        frontier = found
    return seen


def pattern_of(path: str) -> str:
    return re.sub(r"\d+", "N", path.split("?")[0]) + ("?…" if "?" in path else "")


async def staff_load(base: str, staff: int, seconds: float, timeout: float, summary: dict) -> None:
    print(f"\nstaff pages: {staff} concurrent staff for {seconds:.0f} s {load()}")
    connector = aiohttp.TCPConnector(limit=staff * 2, keepalive_timeout=4)
    sessions = [
        # unsafe: keep cookies from http://127.0.0.1 (aiohttp ignores cookies of IP addresses otherwise)
        aiohttp.ClientSession(
            connector=connector, connector_owner=False, cookie_jar=aiohttp.CookieJar(unsafe=True)
        )
        for _ in range(staff)
    ]
    try:
        homes = [await sign_in(s, base, STAFF[i % len(STAFF)][1]) for i, s in enumerate(sessions)]
        pages: dict[str, list[str]] = {}
        for i, (role, _email) in enumerate(STAFF):
            first = await find_pages(sessions[i], base, homes[i], timeout)
            pages[role] = list(first)
            slow = max(first.values(), default=0)
            failed = sum(1 for v in first.values() if v != v)
            print(
                f"  {role}: {len(first)} pages and downloads found; first request of each: "
                f"slowest {slow * 1000:,.0f} ms, {failed} failed or timed out"
            )
        times: dict[tuple[str, str], list[float]] = defaultdict(list)
        errors: dict[tuple[str, str], int] = defaultdict(int)
        stop_at = time.perf_counter() + seconds

        async def member(i: int) -> None:
            role = STAFF[i % len(STAFF)][0]
            paths = pages[role]
            k = i
            while time.perf_counter() < stop_at and paths:
                path = paths[k % len(paths)]
                k += 1
                started = time.perf_counter()
                try:
                    async with sessions[i].get(
                        base + path, timeout=aiohttp.ClientTimeout(total=timeout)
                    ) as r:
                        await r.read()
                        ok = r.status == 200
                except (TimeoutError, aiohttp.ClientError):
                    ok = False
                key = (role, pattern_of(path))
                if ok:
                    times[key].append(time.perf_counter() - started)
                else:
                    errors[key] += 1

        await asyncio.gather(*(member(i) for i in range(staff)))
    finally:
        for session in sessions:
            await session.close()
        await connector.close()
    total = sum(len(v) for v in times.values())
    print(f"  {total:,} requests answered, {sum(errors.values())} errors, {total / seconds:,.1f} a second")
    for role, _email in STAFF:
        mine = [t for (r, _), v in times.items() if r == role for t in v]
        if not mine:
            print(f"  {role}: no page answered")
            continue
        summary.setdefault("pages", {})[role] = [percentile(mine, 50), percentile(mine, 95)]
        print(
            f"  {role}: p50 {percentile(mine, 50) * 1000:,.0f} ms, p95 {percentile(mine, 95) * 1000:,.0f} ms "
            f"over {len(mine):,} requests"
        )
        for (r, pattern), values in sorted(times.items()):
            if r == role:
                bad = errors.get((r, pattern), 0)
                print(
                    f"    {pattern:<55} p50 {percentile(values, 50) * 1000:7,.0f} ms  "
                    f"p95 {percentile(values, 95) * 1000:7,.0f} ms  n {len(values):5}"
                    + (f"  errors {bad}" if bad else "")
                )


def worker_memory(master: int, summary: dict) -> None:
    print("\nweb workers' memory")
    for pid in gunicorn_pids(master):
        if pid == master:
            continue
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            continue
        rss = int(re.search(r"VmRSS:\s+(\d+)", status).group(1)) / 1024
        peak = int(re.search(r"VmHWM:\s+(\d+)", status).group(1)) / 1024
        print(f"  worker {pid}: RSS {rss:,.0f} MB now, {peak:,.0f} MB at most")
        summary.setdefault("worker_rss_mb", []).append(rss)
        summary.setdefault("worker_peak_mb", []).append(peak)


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--responses", type=int, default=1_000_000, help="synthetic responses (default 1,000,000)"
    )
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument(
        "--no-pages", action="store_true", help="stop after publishing (no gunicorn, no staff)"
    )
    parser.add_argument("--staff", type=int, default=20, help="concurrent staff (default 20)")
    parser.add_argument("--seconds", type=float, default=60, help="length of the staff load (default 60)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (default 2)")
    parser.add_argument("--threads", type=int, default=4, help="threads per gunicorn worker (default 4)")
    parser.add_argument("--timeout", type=float, default=3600, help="seconds allowed for each step")
    parser.add_argument(
        "--record",
        type=Path,
        default=ROOT / "bench" / "results_scale.jsonl",
        help="file the run's figures are added to; runs recorded there (100k, 1M) are printed side by side",
    )
    parser.add_argument("--page-timeout", type=float, default=120, help="seconds allowed for one page")
    parser.add_argument(
        "--database-url",
        default=os.environ.get("TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"),
        help="PostgreSQL database to make the bench schema in (default: the test database)",
    )
    options = parser.parse_args()
    if options.responses < 1 or options.staff < 1 or options.seconds <= 0:
        parser.error("--responses and --staff must be at least 1, --seconds more than 0")
    return options


def main() -> int:
    options = arguments()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # so the clean-up below runs
    keys = {"SECRET_KEY": secrets.token_hex(32), "CODE_HASH_KEY": secrets.token_hex(32)}
    print(f"Results at scale: {options.responses:,} synthetic responses, seed {options.seed} {load()}")
    summary: dict = {
        "responses": options.responses,
        "started": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "load": os.getloadavg()[0],
    }
    try:
        with (
            tempfile.TemporaryDirectory(prefix="results-scale-") as temp,
            bench_schema(options.database_url) as url,
        ):
            workdir = Path(temp)
            env = {**os.environ, **keys, "DATABASE_URL": url, "PYTHONUNBUFFERED": "1", "LOCAL_HTTP": "true"}
            env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p)
            flask(env, "db", "upgrade", seconds=options.timeout)
            flask(env, "load-questionnaires", seconds=options.timeout)
            took, _ = timed_flask(env, "demo", seconds=options.timeout)
            print(f"demo loaded in {took:.0f} s (staff logins and the lead's school)")
            seed_and_export(env, options.responses, options.seed, workdir, options.timeout, summary)
            publish(env, options.timeout, summary)
            if not options.no_pages:
                config = WorkerConfig(workers=options.workers, threads=options.threads)
                log = workdir / "survey.log"
                with gunicorn("survey:create_app()", env, config, log, start_seconds=180) as (base, master):
                    print(f"\ngunicorn {config} on {base}")
                    asyncio.run(
                        staff_load(base, options.staff, options.seconds, options.page_timeout, summary)
                    )
                    worker_memory(master, summary)
    except SetupError as error:
        print(f"setup failed: {error}", file=sys.stderr)
        return 2
    side_by_side(options.record, summary)
    return 0


def side_by_side(record: Path, summary: dict) -> None:
    """Add this run to `record` and print every recorded run's figures in columns, by size."""
    with record.open("a") as out:
        out.write(json.dumps(summary) + "\n")
    runs: dict[int, dict] = {}
    for line in record.read_text().splitlines():
        with suppress(ValueError):
            run = json.loads(line)
            runs[int(run["responses"])] = run  # the latest run of each size
    ordered = [runs[n] for n in sorted(runs)]
    print(f"\nruns recorded in {record.name}, side by side (machine shared: see each run's load)")

    def rate(run: dict, step: str) -> str:
        found = run.get(step)
        if not found:
            return "-"
        cpu = found["python_cpu"] + found["database_cpu"]
        return f"{found['count'] / found['wall']:,.0f}/s ({found['count'] / cpu:,.0f}/CPU-s)"

    rows = [
        ("responses", lambda r: f"{r['responses']:,}"),
        ("started", lambda r: r.get("started", "-")),
        ("load average at start", lambda r: f"{r.get('load', 0):.1f}"),
        ("synthetic", lambda r: rate(r, "synthetic")),
        ("export CSV", lambda r: rate(r, "export-csv")),
        ("export Parquet", lambda r: rate(r, "export-parquet")),
        (
            "publish wall / CPU",
            lambda r: f"{r.get('publish_wall', 0):,.0f} s / {r.get('publish_cpu', 0):,.0f} s",
        ),
        ("publish peak memory", lambda r: f"{r.get('publish_peak_mb', 0):,.0f} MB"),
        *((f"{role} p50 / p95", lambda r, role=role: _pages(r, role)) for role, _email in STAFF),
        ("web worker RSS", lambda r: ", ".join(f"{v:,.0f} MB" for v in r.get("worker_rss_mb", [])) or "-"),
        ("web worker peak", lambda r: ", ".join(f"{v:,.0f} MB" for v in r.get("worker_peak_mb", [])) or "-"),
    ]
    for label, show in rows:
        print(f"  {label:<28}" + "".join(f"{show(run):>34}" for run in ordered))


def _pages(run: dict, role: str) -> str:
    found = run.get("pages", {}).get(role)
    return f"{found[0] * 1000:,.0f} / {found[1] * 1000:,.0f} ms" if found else "-"


if __name__ == "__main__":
    sys.exit(main())
