"""Load benchmark of the pupil journey: many pupils at once, on gunicorn and PostgreSQL, against bare Flask.

Run it from the repository root (it prints figures; it is not a test):

    .venv/bin/pip install -e '.[dev]'     # gunicorn and aiohttp
    .venv/bin/python bench/pupil_load.py --pupils 300           # about 5 minutes
    .venv/bin/python bench/pupil_load.py --quick                # 100 pupils, shorter phases, about 2 minutes

What it does, all on 127.0.0.1:

1. Makes a PostgreSQL schema `bench_<pid>` in the database of `--database-url` (default the test
   database, `postgresql+psycopg://postgres@127.0.0.1:5432/test`), and with the app's own command
   line runs the migrations, loads the questionnaires and the demo data, creates a
   national-secondary wave for the demo school 990001 (open today for 30 days), imports a synthetic
   roster of 2N pupils (years 7–13) and issues them 2N fresh codes (a finished code cannot be used
   again, and each of the two survey phases needs N).
2. Serves `survey:create_app()` with gunicorn on a free port: one worker config for both apps,
   by default `--worker-class gthread --workers 2 --threads 4 --keep-alive 5` (2 CPUs here).
3. Simulated pupils, each with its own cookie jar, go through the whole journey by reading the HTML:
   start page and code, "before you start" (choice=yes), every section page (a random value for each
   radio group, 0–2 boxes per checkbox group, text areas mostly empty), check your answers, finished.
   Two phases on the same server:
   a. throughput: N pupils at once with no pause at all (a closed loop: each pupil always has a
      request in flight), giving answer posts a second at saturation. Its latencies are queueing,
      not service time: by Little's law a request waits about N ÷ throughput, so with N = 300 its
      p95 can never be under 100 ms on any server that does less than 3,000 requests a second.
   b. paced: N fresh pupils who read each page before answering, as children do: a page of 5–8
      questions takes roughly 20–60 s, so each waits a random `--think` ÷ 2 to 1.5 × `--think`
      seconds (default 40: 20–60 s) before posting a question page, and a tenth of that before
      typing their code, agreeing or finishing; they start spread over the first `--think` seconds.
      It runs for `--paced-seconds` (default 180: two to four pages each) and gives the latency a
      pupil sees when a whole school year is at the keyboard; pupils still part-way through at the
      end are stopped (not errors). This is the phase the p95 target is about.
4. Serves bench/bare_app.py (a bare Flask "GET a page, POST a form, redirect" app) on the same
   gunicorn config and drives N pupils, with no pause, through as many GET + POST + redirect cycles
   as a pupil posted section pages, then prints the figures beside the targets: answer-post
   throughput at least 40% of bare Flask's POST throughput, answer-post p95 under 100 ms at 300
   paced pupils, and no question page over 15 KB of HTML (KB = 1,024 bytes; bytes are printed too).
5. Stops gunicorn and drops the schema, also on failure or Ctrl+C.

`--timeout` (default 300 s) bounds each setup command and the throughput phases; pupils still running
then are stopped and counted as errors.

The load client runs on the same machine as the server, so part of the CPU goes to it (it reads forms
with a few regular expressions rather than a full HTML parser, to take as little as it can); the CPU
seconds of gunicorn, PostgreSQL, the client and anything else (read from /proc) are printed for each
phase so this can be judged, with the server-side CPU a request, which does not depend on the client.
Other processes busy on the machine before a phase are warned about: they lower every figure.
Exit status: 0 if every pupil finished with no errors, 1 otherwise, 2 if the setup failed.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import os
import random
import re
import secrets
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import Counter, defaultdict
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import aiohttp
import psycopg
from sqlalchemy.engine import make_url

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
if str(ROOT) not in sys.path:  # run as a script: `python bench/pupil_load.py`
    sys.path.insert(0, str(ROOT))

from testing.page_forms import (  # noqa: E402
    Form,
    fill_answers,
    hidden_fields,
    main_form,
    parse_forms,
    pick_button,
    shown_message,
)
from testing.serving import (  # noqa: E402
    DEFAULT_DATABASE_URL,
    HOST,
    SetupError,
    WorkerConfig,
    conninfo,
    free_port,
    gunicorn_pids,
    percentile,
    roster_rows,
    stop,
    tail,
    with_schema,
)

QUESTIONNAIRE = "national-secondary"
SCHOOL_URN = 990001
MAX_PAGES = 60  # a pupil who has seen this many section pages is going round in circles
TARGET_RATIO, TARGET_P95_MS, TARGET_PAGE_KB = 0.40, 100.0, 15.0
SECTION_PATH = re.compile(r"^/section/[^/?#]+")


# Reading forms and serving the app are shared with the soak test: testing/page_forms.py and
# testing/serving.py.

# -- measuring ------------------------------------------------------------------------------------


class JourneyError(Exception):
    """The pupil cannot go on: an error status, a transport error or an unexpected page."""


@dataclass
class Stats:
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))  # kind -> ms
    page_sizes: dict[str, int] = field(default_factory=dict)  # question page path -> largest bytes
    errors: Counter = field(default_factory=Counter)
    examples: dict[str, str] = field(default_factory=dict)
    completed: int = 0
    stopped: int = 0
    posts_per_pupil: list[int] = field(default_factory=list)
    started: float = 0.0
    ended: float = 0.0

    def error(self, key: str, example: str = "") -> JourneyError:
        self.errors[key] += 1
        self.examples.setdefault(key, example)
        return JourneyError(key)

    @property
    def seconds(self) -> float:
        return max(self.ended - self.started, 1e-9)

    def rate(self, kind: str) -> float:
        return len(self.latencies[kind]) / self.seconds


def template(path: str) -> str:
    return SECTION_PATH.sub("/section/<id>", urlsplit(path).path)


@dataclass
class Page:
    url: str
    status: int
    body: str
    location: str | None


class Pupil:
    """One simulated pupil: an aiohttp session with its own cookie jar, timing every request."""

    def __init__(self, session: aiohttp.ClientSession, base: str, stats: Stats, rng, think: float):
        self.session, self.base, self.stats, self.rng, self.think = session, base, stats, rng, think

    async def pause(self, kind: str) -> None:
        """Before a form: a question page is read for think ÷ 2 to 1.5 × think seconds, a code typed or
        a button found in a tenth of that (4–12 s at think 40); pupils start in the first think seconds."""
        if self.think > 0:
            low, high = {"start": (0, 1), "answer post": (0.5, 1.5)}.get(kind, (0.1, 0.3))
            await asyncio.sleep(self.rng.uniform(low * self.think, high * self.think))

    async def request(self, method: str, url: str, kind: str, data=None) -> Page:
        where = f"{method} {template(url)}"
        if urlsplit(url).hostname != HOST:
            raise self.stats.error(f"{where}: leaves {HOST}", url)
        began = time.perf_counter()
        try:
            async with self.session.request(method, url, data=data, allow_redirects=False) as response:
                body = await response.read()
        except (aiohttp.ClientError, TimeoutError) as error:
            raise self.stats.error(f"{where}: {type(error).__name__}", f"{url}: {error}") from None
        self.stats.latencies[kind].append((time.perf_counter() - began) * 1000)
        if not 200 <= response.status < 400:
            raise self.stats.error(f"{where} -> {response.status}", url)
        if kind == "question page":
            path = urlsplit(url).path
            self.stats.page_sizes[path] = max(self.stats.page_sizes.get(path, 0), len(body))
        location = response.headers.get("Location")
        text = body.decode(response.charset or "utf-8", errors="replace")
        return Page(url, response.status, text, urljoin(url, location) if location else None)

    async def get(self, url: str, kind: str = "page") -> Page:
        page = await self.request("GET", url, kind)
        if page.status != 200:
            raise self.stats.error(f"GET {template(url)} -> {page.status}, not a page", url)
        return page

    async def submit(self, page: Page, form: Form, data, kind: str) -> str:
        """Post a form and return where the redirect goes."""
        await self.pause(kind)
        url = urljoin(page.url, form.action)
        answer = await self.request("POST", url, kind, data=data)
        if answer.status not in (301, 302, 303, 307, 308) or not answer.location:
            message = shown_message(answer.body)
            raise self.stats.error(
                f"POST {template(url)} -> {answer.status}, no redirect", f"{url} {message}"
            )
        return answer.location

    def form(self, page: Page, needs: str | None = None) -> Form:
        form = main_form(parse_forms(page.body), page.url, needs=needs)
        if form is None:
            raise self.stats.error(f"no form on {template(page.url)}", page.url)
        return form

    def expect(self, url: str, path: str | re.Pattern, after: str) -> None:
        found = urlsplit(url).path
        if not (path.match(found) if isinstance(path, re.Pattern) else found == path):
            raise self.stats.error(f"{after} redirected to {template(found)}", url)


async def survey_journey(pupil: Pupil, code: str) -> int:
    """The whole journey by following the HTML; returns how many section pages were posted."""
    await pupil.pause("start")
    page = await pupil.get(pupil.base + "/")
    form = pupil.form(page, needs="code")
    data = [(n, v) for n, v in hidden_fields(form) if n != "code"] + [("code", code)] + pick_button(form)
    where = await pupil.submit(page, form, data, "code post")
    pupil.expect(where, "/before-you-start", "the code")
    page = await pupil.get(where)
    form = pupil.form(page, needs="choice")
    where = await pupil.submit(page, form, [*hidden_fields(form), ("choice", "yes")], "assent post")
    pupil.expect(where, SECTION_PATH, "choice=yes")
    posted = 0
    while SECTION_PATH.match(urlsplit(where).path):
        if posted >= MAX_PAGES:
            raise pupil.stats.error(f"more than {MAX_PAGES} section pages", where)
        page = await pupil.get(where, kind="question page")
        form = pupil.form(page)
        where = await pupil.submit(page, form, fill_answers(form, pupil.rng), "answer post")
        posted += 1
    pupil.expect(where, "/check-your-answers", "the last section")
    page = await pupil.get(where)
    form = pupil.form(page)
    where = await pupil.submit(page, form, hidden_fields(form) + pick_button(form), "confirm post")
    pupil.expect(where, "/finished", "check your answers")
    await pupil.get(where)
    return posted


async def bare_journey(pupil: Pupil, cycles: int) -> int:
    """The same shape against the bare app: GET the page, then POST its form and follow the redirect."""
    await pupil.pause("start")
    page = await pupil.get(pupil.base + "/", kind="page GET")
    for _ in range(cycles):
        form = pupil.form(page)
        where = await pupil.submit(page, form, fill_answers(form, pupil.rng), "POST")
        page = await pupil.get(where, kind="page GET")
    return cycles


async def drive(
    base: str,
    count: int,
    journey: Callable[[Pupil, int], Awaitable[int]],
    args_for: Callable[[int], object],
    *,
    think: float,
    seed: int,
    seconds: float,
    stop_is_error: bool = True,
) -> Stats:
    """Run `count` pupils at once, each through `journey`, for at most `seconds`; pupils still going
    then are stopped, and counted as errors if `stop_is_error`."""
    stats = Stats()
    connector = aiohttp.TCPConnector(limit=count, keepalive_timeout=4)  # closes before gunicorn's 5 s
    timeout = aiohttp.ClientTimeout(total=60)

    async def one(i: int) -> None:
        jar = aiohttp.CookieJar(unsafe=True)  # unsafe: keep cookies from an IP address host
        async with aiohttp.ClientSession(
            connector=connector, connector_owner=False, cookie_jar=jar, timeout=timeout
        ) as session:
            pupil = Pupil(session, base, stats, random.Random(seed * 100_003 + i), think)
            with suppress(JourneyError):
                stats.posts_per_pupil.append(await journey(pupil, args_for(i)))
                stats.completed += 1

    stats.started = time.perf_counter()
    tasks = [asyncio.create_task(one(i)) for i in range(count)]
    try:
        _, pending = await asyncio.wait(tasks, timeout=max(seconds, 1))
        for task in pending:
            task.cancel()
        if pending and stop_is_error:
            stats.errors[f"still running when the time ran out ({seconds:.0f} s)"] += len(pending)
        stats.stopped = len(pending)
        if pending:
            await asyncio.wait(pending)
    finally:
        stats.ended = time.perf_counter()
        await connector.close()
    return stats


# -- preparing the database -----------------------------------------------------------------------


@contextmanager
def bench_schema(database_url: str) -> Iterator[str]:
    """A fresh schema `bench_<pid>`, dropped afterwards whatever happens; yields the app's DATABASE_URL."""
    schema = f"bench_{os.getpid()}"
    with psycopg.connect(conninfo(database_url), autocommit=True) as connection:
        connection.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        connection.execute(f'CREATE SCHEMA "{schema}"')
    try:
        yield with_schema(database_url, schema)
    finally:
        with psycopg.connect(conninfo(database_url), autocommit=True) as connection:
            connection.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        print(f"dropped schema {schema}")


def flask(env: dict, *args: str, seconds: float) -> str:
    command = [sys.executable, "-m", "flask", "--app", "survey", *args]
    done = subprocess.run(
        command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=max(seconds, 1), check=False
    )
    if done.returncode != 0:
        raise SetupError(f"`flask {' '.join(args)}` failed:\n{done.stdout}{done.stderr}")
    return done.stdout


def prepare(env: dict, count: int, workdir: Path, rng: random.Random, seconds: float) -> list[str]:
    """Migrate, load questionnaires and demo data, then make a wave and `count` fresh codes."""

    def step(*args: str) -> str:
        began = time.monotonic()
        output = flask(env, *args, seconds=seconds)
        print(f"  flask {args[0]:<20} {time.monotonic() - began:5.1f} s")
        return output

    step("db", "upgrade")
    step("load-questionnaires")
    step("demo", "--codes-out", str(workdir / "demo-codes.csv"))
    today = datetime.now(UTC).date()
    created = step(
        "create-wave",
        *("--questionnaire", QUESTIONNAIRE, "--name", f"Load test {os.getpid()}"),
        *("--opens", today.isoformat(), "--closes", (today + timedelta(days=30)).isoformat()),
        *("--school", str(SCHOOL_URN)),
    )
    found = re.search(r"wave (\d+) created", created)
    if not found:
        raise SetupError(f"could not read the new wave's id from: {created!r}")
    wave = found.group(1)
    roster = workdir / "roster.csv"
    with roster.open("w", newline="", encoding="utf-8") as out:
        csv.writer(out).writerows(roster_rows(count, rng))
    step("import-roster", "--wave", wave, "--school", str(SCHOOL_URN), str(roster))
    issued = workdir / "codes.csv"
    step("issue-codes", "--wave", wave, "--school", str(SCHOOL_URN), "--out", str(issued))
    with issued.open(encoding="utf-8", newline="") as stream:
        codes = [row["code"] for row in csv.DictReader(stream)]
    if len(codes) < count:
        raise SetupError(f"asked for {count} codes, got {len(codes)}")
    return codes[:count]


# -- serving --------------------------------------------------------------------------------------


def database_pids(database_url: str) -> list[int]:
    """The PostgreSQL backends serving the bench: those with its application_name."""
    name = make_url(database_url).query["application_name"]
    with psycopg.connect(conninfo(database_url), autocommit=True) as connection:
        query = "SELECT pid FROM pg_stat_activity WHERE application_name = %s AND pid <> pg_backend_pid()"
        return [pid for (pid,) in connection.execute(query, (name,))]


def cpu_seconds(pids: list[int]) -> dict[int, float]:
    """User + system CPU seconds so far of each process still running, read from /proc."""
    ticks = os.sysconf("SC_CLK_TCK")
    found = {}
    for pid in pids:
        with suppress(OSError, ValueError, IndexError):
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            found[pid] = (int(fields[11]) + int(fields[12])) / ticks
    return found


def machine_busy() -> tuple[int, int]:
    """(busy, total) jiffies of all CPUs so far."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = values[3] + (values[4] if len(values) > 4 else 0)
    return sum(values) - idle, sum(values)


def idle_check(seconds: float = 2.0) -> None:
    """Warn if other processes keep the CPUs busy: the throughput figures would be low by that much."""
    busy, total = machine_busy()
    time.sleep(seconds)
    busy_after, total_after = machine_busy()
    share = (busy_after - busy) / max(total_after - total, 1)
    if share > 0.1:
        print(f"  warning: the CPUs were {share:.0%} busy before the load started (other processes)")


@contextmanager
def gunicorn(
    app: str, env: dict, config: WorkerConfig, log: Path, start_seconds: float = 30
) -> Iterator[tuple[str, int]]:
    """Serve `app` on a free port on 127.0.0.1 until the block ends; yields (base URL, master pid)."""
    port = free_port()
    command = [
        *(sys.executable, "-m", "gunicorn", "--bind", f"{HOST}:{port}", *config.args()),
        *("--timeout", "60", "--graceful-timeout", "5", "--log-level", "warning"),
        *("--error-logfile", str(log), "--chdir", str(ROOT), "--pythonpath", str(BENCH), app),
    ]
    # The app's request log (one JSON line a request, as in production) goes to the log file too.
    with open(log, "ab") as app_log:
        server = subprocess.Popen(
            command, env=env, start_new_session=True, stdout=subprocess.DEVNULL, stderr=app_log
        )
    base = f"http://{HOST}:{port}"
    try:
        wait_until_serving(base, server, log, start_seconds)
        idle_check()
        yield base, server.pid
    finally:
        stop(server)


def wait_until_serving(base: str, server: subprocess.Popen, log: Path, seconds: float = 30) -> None:
    give_up = time.monotonic() + seconds
    while time.monotonic() < give_up:
        if server.poll() is not None:
            raise SetupError(f"gunicorn stopped (status {server.returncode}):\n{tail(log)}")
        try:
            with urllib.request.urlopen(base + "/", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.2)
    raise SetupError(f"gunicorn did not serve {base}/ within {seconds:.0f} s:\n{tail(log)}")


# -- reporting ------------------------------------------------------------------------------------


@dataclass
class Usage:
    server_cpu: float  # gunicorn's processes
    database_cpu: float  # PostgreSQL's processes
    client_cpu: float  # this process, the load client
    busy_cpu: float  # all CPUs of the machine, anything else included
    busy: float  # the share of all CPUs that was busy

    def server_side_ms(self, requests: int) -> float:
        """CPU milliseconds per request of gunicorn and PostgreSQL."""
        return (self.server_cpu + self.database_cpu) / max(requests, 1) * 1000


@contextmanager
def usage(server_pid: int, database_url: str, into: list[Usage]) -> Iterator[None]:
    """Append to `into` the CPU used while the block runs. Processes that end meanwhile are left out."""

    def used(before: dict[int, float], after: dict[int, float]) -> float:
        return sum(seconds - before.get(pid, 0.0) for pid, seconds in after.items())

    server, database = cpu_seconds(gunicorn_pids(server_pid)), cpu_seconds(database_pids(database_url))
    client, (busy, total) = time.process_time(), machine_busy()
    yield
    client_after, (busy_after, total_after) = time.process_time(), machine_busy()
    into.append(
        Usage(
            server_cpu=used(server, cpu_seconds(gunicorn_pids(server_pid))),
            database_cpu=used(database, cpu_seconds(database_pids(database_url))),
            client_cpu=client_after - client,
            busy_cpu=(busy_after - busy) / os.sysconf("SC_CLK_TCK"),
            busy=(busy_after - busy) / max(total_after - total, 1),
        )
    )


def ms(values: list[float]) -> str:
    if not values:
        return "no requests"
    p50, p95, p99 = (percentile(values, p) for p in (50, 95, 99))
    return f"p50 {p50:7.1f} ms   p95 {p95:7.1f} ms   p99 {p99:7.1f} ms   (n={len(values)})"


def verdict(ok: bool) -> str:
    return "MET" if ok else "NOT MET"


def report_errors(stats: Stats) -> None:
    total = sum(stats.errors.values())
    print(f"  errors                 {total}")
    for key, n in stats.errors.most_common():
        example = f"   e.g. {stats.examples[key][:150]}" if stats.examples.get(key) else ""
        print(f"    {n:5d} × {key}{example}")


def report_usage(used: Usage, stats: Stats) -> None:
    requests = sum(len(v) for v in stats.latencies.values())
    other = used.busy_cpu - used.server_cpu - used.database_cpu - used.client_cpu
    print(
        f"  CPU seconds            gunicorn {used.server_cpu:.1f}, PostgreSQL {used.database_cpu:.1f}, "
        f"load client {used.client_cpu:.1f}, other {max(other, 0):.1f} in {stats.seconds:.1f} s "
        f"({used.busy:.0%} of {os.cpu_count()} CPUs busy)"
    )
    print(
        f"  server-side CPU        {used.server_side_ms(requests):.2f} ms a request (gunicorn + PostgreSQL)"
    )


def report_survey(stats: Stats, pupils: int, used: Usage, think: float) -> None:
    answers = stats.latencies["answer post"]
    gets = stats.latencies["page"] + stats.latencies["question page"]
    others = stats.latencies["code post"] + stats.latencies["assent post"] + stats.latencies["confirm post"]
    every = [v for values in stats.latencies.values() for v in values]
    stopped = f", {stats.stopped} stopped part-way at the end of the phase" if stats.stopped else ""
    print(f"  pupils completed       {stats.completed} of {pupils} in {stats.seconds:.1f} s{stopped}")
    print(f"  answer posts           {len(answers)}, {stats.rate('answer post'):.1f} /s")
    print(f"  all requests           {len(every)}, {len(every) / stats.seconds:.1f} /s")
    print(f"  answer post latency    {ms(answers)}")
    if answers:
        p95 = percentile(answers, 95)
        if think:
            print(f"    target p95 < {TARGET_P95_MS:.0f} ms at 300 pupils: {verdict(p95 < TARGET_P95_MS)}")
        else:
            floor = pupils / (len(every) / stats.seconds) * 1000
            print(
                f"    (no pauses: queueing at saturation; by Little's law a request waits about "
                f"{pupils} ÷ {len(every) / stats.seconds:.0f} requests/s = {floor:.0f} ms)"
            )
    print(f"  all requests latency   {ms(every)}")
    print(f"  page GET latency       {ms(gets)}")
    print(f"    of which questions   {ms(stats.latencies['question page'])}")
    print(f"  code/assent/confirm    {ms(others)}")
    report_errors(stats)
    if stats.page_sizes:
        path, largest = max(stats.page_sizes.items(), key=lambda item: item[1])
        median = statistics.median(stats.page_sizes.values())
        print(
            f"  question page HTML     largest {largest / 1024:.1f} KB ({largest:,} bytes, {path}), "
            f"median {median / 1024:.1f} KB over {len(stats.page_sizes)} pages"
        )
        print(f"    target ≤ {TARGET_PAGE_KB:.0f} KB: {verdict(largest <= TARGET_PAGE_KB * 1024)}")
    report_usage(used, stats)


def report_bare(stats: Stats, pupils: int, cycles: int, used: Usage) -> None:
    posts = stats.latencies["POST"]
    total = sum(len(v) for v in stats.latencies.values())
    print(
        f"  pupils completed       {stats.completed} of {pupils} ({cycles} cycles each) "
        f"in {stats.seconds:.1f} s"
    )
    print(f"  POSTs                  {len(posts)}, {stats.rate('POST'):.1f} /s")
    print(f"  all requests           {total}, {total / stats.seconds:.1f} /s")
    print(f"  POST latency           {ms(posts)}")
    print(f"  page GET latency       {ms(stats.latencies['page GET'])}")
    report_errors(stats)
    report_usage(used, stats)


# -- main -----------------------------------------------------------------------------------------


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pupils", type=int, default=None, help="simulated pupils at once (default 300)")
    parser.add_argument(
        "--think",
        type=float,
        default=None,
        help="paced phase: mean seconds a pupil reads a page before sending it, spread ±50%% (default 40)",
    )
    parser.add_argument(
        "--paced-seconds",
        type=float,
        default=None,
        help="length of the paced phase (default 180 s; 0 skips it)",
    )
    parser.add_argument(
        "--quick", action="store_true", help="100 pupils, think 10 s, a 45 s paced phase: about 2 minutes"
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=300.0,
        help="bound on each throughput phase and each setup step (default 300 s)",
    )
    parser.add_argument(
        "--database-url", default=DEFAULT_DATABASE_URL, help="PostgreSQL to make the schema in"
    )
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (default 2)")
    parser.add_argument("--threads", type=int, default=4, help="threads per gunicorn worker (default 4)")
    parser.add_argument("--seed", type=int, default=None, help="random seed, for a repeatable run")
    parser.add_argument(
        "--app",
        default="survey:create_app()",
        help="the WSGI app for the journey (default survey:create_app())",
    )
    options = parser.parse_args()
    quick = {"pupils": 100, "think": 10.0, "paced_seconds": 45.0}
    full = {"pupils": 300, "think": 40.0, "paced_seconds": 180.0}
    for name, value in (quick if options.quick else full).items():
        if getattr(options, name) is None:
            setattr(options, name, value)
    return options


def main() -> int:
    options = arguments()
    began = time.monotonic()
    seed = options.seed if options.seed is not None else secrets.randbelow(2**31)
    rng = random.Random(seed)
    config = WorkerConfig(workers=options.workers, threads=options.threads)
    keys = {"SECRET_KEY": secrets.token_hex(32), "CODE_HASH_KEY": secrets.token_hex(32)}
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # so the clean-up below runs
    pupils, paced = options.pupils, options.paced_seconds > 0
    print(
        f"Pupil journey load: {pupils} pupils, gunicorn {config}, {os.cpu_count()} CPUs, seed {seed}; "
        f"paced phase: think {options.think / 2:g}–{1.5 * options.think:g} s a page, "
        f"{options.paced_seconds:g} s"
    )

    with tempfile.TemporaryDirectory(prefix="pupil-load-") as temp, bench_schema(options.database_url) as url:
        workdir = Path(temp)
        # LOCAL_HTTP: served on plain http://127.0.0.1, so the session cookie must not be Secure.
        env = {**os.environ, **keys, "DATABASE_URL": url, "PYTHONUNBUFFERED": "1", "LOCAL_HTTP": "true"}
        print(f"preparing schema {make_url(url).query['application_name']} in {options.database_url}")
        codes = prepare(env, pupils * (2 if paced else 1), workdir, rng, options.timeout)

        used: list[Usage] = []
        with gunicorn(options.app, env, config, workdir / "survey.log") as (base, pid):
            print(f"\nsurvey app ({options.app}) on {base}")
            print(f"\nthroughput: {pupils} pupils at once, no pauses")
            with usage(pid, url, used):
                survey = asyncio.run(
                    drive(
                        base,
                        pupils,
                        survey_journey,
                        lambda i: codes[i],
                        think=0,
                        seed=seed,
                        seconds=options.timeout,
                    )
                )
            report_survey(survey, pupils, used[-1], 0)
            paced_stats = None
            if paced:
                print(
                    f"\npaced: {pupils} more pupils at once, each reading a page for "
                    f"{options.think / 2:g}–{1.5 * options.think:g} s, for {options.paced_seconds:g} s"
                )
                idle_check()
                with usage(pid, url, used):
                    paced_stats = asyncio.run(
                        drive(
                            base,
                            pupils,
                            survey_journey,
                            lambda i: codes[pupils + i],
                            think=options.think,
                            seed=seed + 1,
                            seconds=options.paced_seconds,
                            stop_is_error=False,
                        )
                    )
                report_survey(paced_stats, pupils, used[-1], options.think)
        if (survey.errors or (paced_stats and paced_stats.errors)) and tail(workdir / "survey.log").strip():
            print(f"  gunicorn's log:\n{tail(workdir / 'survey.log', 15)}")

        cycles = round(statistics.median(survey.posts_per_pupil)) if survey.posts_per_pupil else 11
        with (
            gunicorn("bare_app:app", env, config, workdir / "bare.log") as (base, pid),
            usage(pid, url, used),
        ):
            print(f"\nbare Flask (bench/bare_app.py) on {base}, same gunicorn config, no pauses")
            bare = asyncio.run(
                drive(
                    base, pupils, bare_journey, lambda _: cycles, think=0, seed=seed, seconds=options.timeout
                )
            )
        report_bare(bare, pupils, cycles, used[-1])

        print("\ncomparison")
        if bare.rate("POST") and survey.rate("answer post"):
            ratio = survey.rate("answer post") / bare.rate("POST")
            survey_all = sum(len(v) for v in survey.latencies.values()) / survey.seconds
            bare_all = sum(len(v) for v in bare.latencies.values()) / bare.seconds
            rates = f"{survey.rate('answer post'):.1f} ÷ {bare.rate('POST'):.1f}"
            target = f"target ≥ {TARGET_RATIO:.2f}: {verdict(ratio >= TARGET_RATIO)}"
            print(f"  answer posts/s ÷ bare POSTs/s   {rates} = {ratio:.2f}   {target}")
            print(f"  all requests/s ÷ bare           {survey_all / bare_all:.2f}   (for reference)")
            survey_cpu = used[0].server_side_ms(sum(len(v) for v in survey.latencies.values()))
            bare_cpu = used[-1].server_side_ms(sum(len(v) for v in bare.latencies.values()))
            note = "(CPU a request of gunicorn + PostgreSQL: the ratio without the load client's share)"
            print(
                f"  bare ÷ survey server-side CPU   {bare_cpu:.2f} ÷ {survey_cpu:.2f} ms = "
                f"{bare_cpu / survey_cpu:.2f}   {note}"
            )
        else:
            print("  no throughput to compare")
        if paced_stats is not None and paced_stats.latencies["answer post"]:
            p95 = percentile(paced_stats.latencies["answer post"], 95)
            print(
                f"  paced answer-post p95            {p95:.1f} ms at {pupils} pupils   "
                f"target < {TARGET_P95_MS:.0f} ms at 300: {verdict(p95 < TARGET_P95_MS and pupils >= 300)}"
            )
    print(f"\ndone in {time.monotonic() - began:.0f} s")
    failed = survey.errors or bare.errors or survey.completed < pupils
    failed = failed or (paced_stats is not None and bool(paced_stats.errors))
    return 1 if failed else 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except SetupError as error:
        print(f"setup failed: {error}", file=sys.stderr)
        sys.exit(2)
    except KeyboardInterrupt:
        sys.exit(130)
