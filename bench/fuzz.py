"""Hostile requests against the app on gunicorn and PostgreSQL: never a 5xx.

Run it from the repository root (it prints figures; it is not a test):

    .venv/bin/pip install -e '.[dev,test]'     # gunicorn, aiohttp and hypothesis
    .venv/bin/python bench/fuzz.py --requests 10000     # about 2 minutes on 2 CPUs

What it does, all on 127.0.0.1:

1. Makes a fresh PostgreSQL schema `bench_<pid>` as bench/pupil_load.py does and, through the app's
   command line run in this process, migrates it and loads the questionnaires, two schools, a user of
   each role and an open wave for school 990001 with a roster and codes (`--demo` adds the demo data,
   so results pages have figures: slower). Then it serves `survey:create_app()` with gunicorn
   (2 workers × 4 threads by default). The network rate limits for codes and sign-ins are raised
   (`CODE_ATTEMPTS_PER_NETWORK`, `SIGN_IN_ATTEMPTS_PER_NETWORK`), as every request comes from one
   address; the per-browser and per-email limits stay, so some hostile posts get a 429.
2. Signs in the school lead, reviewer and admin, and pupils with fresh codes at each stage of
   the journey (code entered, agreed, first page saved, every page saved), each with a cookie jar and
   a real CSRF token; the admin makes a user to act on (deactivate, reset link) and its reset link.
3. Sends `--requests` hostile requests with `--concurrency` at once: a mix over every form route of
   testing/fuzz_forms.py (the same list the fuzz tests check against the URL map), signed in as the
   role the form is for, as another role or signed out, with bodies made by the same hypothesis
   strategies as the fuzz tests (odd text, NULs, invalid UTF-8, repeated and unknown fields, missing,
   tampered or repeated CSRF tokens, broken multipart, wrong content types, hostile uploads and file
   names), and a quarter GETs of every page with hostile addresses and query strings. A pupil or
   staff session that a request ended (signed out, finished) is replaced.
4. Prints the status-code histogram of the hostile requests, the number of 5xx (must be 0), requests
   a second, and for any 5xx the route and a short description of the input (never the body), then
   any exception gunicorn logged. Stops gunicorn and drops the schema, also on failure or Ctrl+C.

Exit status: 0 if no hostile request got a 5xx, 1 otherwise, 2 if the setup failed.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import os
import random
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urljoin

import aiohttp
from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path[:0] = [str(ROOT), str(BENCH)]

from pupil_load import (  # noqa: E402
    DEFAULT_DATABASE_URL,
    HOST,
    SetupError,
    WorkerConfig,
    bench_schema,
    free_port,
    stop,
    tail,
    wait_until_serving,
)

from testing.addresses import addresses  # noqa: E402
from testing.fuzz_forms import FORMS  # noqa: E402
from testing.hostile import Post, posts  # noqa: E402

PASSWORD = "fuzz-password-not-secret"
SCHOOL_URN = 990001
STAFF = {
    "school_lead": "lead@fuzz.example",
    "reviewer": "reviewer@fuzz.example",
    "admin": "admin@fuzz.example",
}
SCHOOLS_CSV = (
    "URN,EstablishmentName,LA (code),LA (name),PhaseOfEducation (name),"
    "TypeOfEstablishment (name),Trusts (name)\n"
    f"{SCHOOL_URN},Fuzz Park Secondary,201,Northshire,Secondary,Academy,Fuzz Trust\n"
    "990002,Fuzz Vale Primary,202,Southshire,Primary,Community school,\n"
)
ROSTER_HEADER = (
    "pupil_reference,year_group,gender,ethnicity_major,ethnicity_minor,sen,fsm,eal,looked_after,class\n"
)
PUPIL_STATES = ("pupil", "pupil_agreed", "pupil_saved", "pupil_done")
_TOKEN = re.compile(r'name="csrf_token"[^>]*?value="([^"]*)"|value="([^"]*)"[^>]*?name="csrf_token"')
_SECTION = re.compile(r"^/section/")


def token_in(html: str) -> str | None:
    found = _TOKEN.search(html)
    return (found.group(1) or found.group(2)) if found else None


@contextmanager
def gunicorn(env: dict, config: WorkerConfig, log: Path) -> Iterator[str]:
    """Serve the app on a free port until the block ends (as bench/pupil_load.py does, with longer to
    start: on a busy machine importing the app takes a while); yields the base URL."""
    port = free_port()
    command = [
        *(sys.executable, "-m", "gunicorn", "--bind", f"{HOST}:{port}", *config.args()),
        *("--timeout", "60", "--graceful-timeout", "5", "--log-level", "warning"),
        *("--error-logfile", str(log), "--chdir", str(ROOT), "survey:create_app()"),
    ]
    # The app's request log (one JSON line a request) goes to the log file too, not the terminal.
    with open(log, "ab") as app_log:
        server = subprocess.Popen(
            command, env=env, start_new_session=True, stdout=subprocess.DEVNULL, stderr=app_log
        )
    try:
        wait_until_serving(f"http://{HOST}:{port}", server, log, seconds=180)
        yield f"http://{HOST}:{port}"
    finally:
        stop(server)


# -- sessions -------------------------------------------------------------------------------------


@dataclass
class Client:
    role: str
    session: aiohttp.ClientSession
    token: str | None = None
    spent: bool = False  # signed out, finished or handed over: replace it


@dataclass
class Site:
    """What the hostile requests need to know about the served app, as tests/fuzz's `World` does."""

    base: str
    codes: list[str]
    wave_id: int = 0
    user_ids: dict[str, int] = field(default_factory=dict)
    link: str = "/staff/reset-password/none"
    pools: dict[str, list[Client]] = field(default_factory=lambda: defaultdict(list))
    setup_requests: int = 0

    def reset_link(self) -> str:
        return self.link

    async def session(self) -> aiohttp.ClientSession:
        jar = aiohttp.CookieJar(unsafe=True)  # unsafe: keep cookies from an IP address host
        return aiohttp.ClientSession(self.base, cookie_jar=jar, timeout=aiohttp.ClientTimeout(total=120))

    async def fetch(self, client: Client, method: str, path: str, **kwargs) -> tuple[int, str, str]:
        self.setup_requests += 1
        async with client.session.request(method, path, allow_redirects=False, **kwargs) as response:
            return (
                response.status,
                await response.text(errors="replace"),
                response.headers.get("Location", ""),
            )

    async def sign_in(self, role: str, email: str) -> Client:
        client = Client(role, await self.session())
        _, page, _ = await self.fetch(client, "GET", "/staff/sign-in")
        data = {"email": email, "password": PASSWORD, "csrf_token": token_in(page) or ""}
        status, _, location = await self.fetch(client, "POST", "/staff/sign-in", data=data)
        if status != 302:
            raise SetupError(f"{email} could not sign in: {status}")
        _, page, _ = await self.fetch(client, "GET", location)
        client.token = token_in(page)
        return client

    async def pupil(self, state: str) -> Client:
        """A pupil with a fresh code, taken as far as `state` (see tests/fuzz/conftest.py)."""
        if not self.codes:
            raise SetupError("out of pupil codes: ask for fewer requests or more --codes")
        client = Client(state, await self.session())
        _, page, _ = await self.fetch(client, "GET", "/")
        data = {"code": self.codes.pop(), "csrf_token": token_in(page) or ""}
        status, _, _ = await self.fetch(client, "POST", "/", data=data)
        if status != 302:
            raise SetupError(f"a fresh pupil code was refused: {status}")
        _, page, _ = await self.fetch(client, "GET", "/before-you-start")
        client.token = token_in(page)
        if state == "pupil":
            return client
        _, _, location = await self.fetch(
            client, "POST", "/before-you-start", data={"choice": "yes", "csrf_token": client.token}
        )
        while state in ("pupil_saved", "pupil_done") and _SECTION.match(location):
            _, _, location = await self.fetch(client, "POST", location, data={"csrf_token": client.token})
            if state == "pupil_saved":
                break
        return client

    async def client(self, role: str) -> Client:
        """A client as `role` from its pool (a few of each, so requests overlap), made when needed."""
        pool = self.pools[role]
        for spent in [c for c in pool if c.spent]:
            if spent in pool:  # another request may have got here first
                pool.remove(spent)
                await spent.session.close()
        if len(pool) < 3:
            if role == "anonymous":
                client = Client(role, await self.session())
                _, page, _ = await self.fetch(client, "GET", "/staff/sign-in")
                client.token = token_in(page)
                pool.append(client)
            elif role in PUPIL_STATES:
                pool.append(await self.pupil(role))
            else:
                email = STAFF.get(role) or STAFF["reviewer"]
                pool.append(await self.sign_in(role, email))
        return random.choice(pool)

    async def close(self) -> None:
        for pool in self.pools.values():
            for client in pool:
                await client.session.close()


async def make_target_user(site: Site) -> None:
    """A user for the admin's user actions, and a password reset link to fuzz."""
    admin = await site.client("admin")
    email = f"target-{os.getpid()}@fuzz.example"
    data = {"email": email, "role": "reviewer", "scope": "national", "csrf_token": admin.token}
    _, page, _ = await site.fetch(admin, "POST", "/admin/users/new", data=data)
    link = re.search(r"(/staff/reset-password/[A-Za-z0-9_.\-]+)", page)
    site.link = link.group(1) if link else site.link
    _, page, _ = await site.fetch(admin, "GET", f"/admin/users?q={email}")
    found = re.search(r"/admin/users/(\d+)", page)
    site.user_ids = {"target": int(found.group(1)) if found else 1, "admin": 1}
    _, page, _ = await site.fetch(admin, "GET", f"/school/{SCHOOL_URN}/")
    lead = await site.client("school_lead")
    _, page, _ = await site.fetch(lead, "GET", f"/school/{SCHOOL_URN}/")
    waves = [int(w) for w in re.findall(rf"/school/{SCHOOL_URN}/waves/(\d+)/", page)]
    site.wave_id = max(waves) if waves else 1


def prepare(env: dict, count: int, workdir: Path, demo: bool) -> tuple[list[str], list]:
    """In this process, through the app's own command line: migrate, load the questionnaires (and the
    demo data if asked), two schools, a user of each role, an open wave for school 990001 with a roster
    of `count` pupils and their codes. Returns the codes and the app's GET routes."""
    os.environ.update(env)
    from flask_migrate import upgrade

    from survey import create_app

    app = create_app()
    runner = app.test_cli_runner()

    def step(*args: str) -> str:
        began = time.monotonic()
        result = runner.invoke(args=list(args))
        if result.exit_code != 0:
            raise SetupError(f"`flask {' '.join(args)}` failed:\n{result.output}{result.exception!r}")
        print(f"  flask {args[0]:<20} {time.monotonic() - began:5.1f} s")
        return result.output

    with app.app_context():
        upgrade()
    step("load-questionnaires")
    if demo:
        step("demo")
    (workdir / "schools.csv").write_text(SCHOOLS_CSV)
    step("import-schools", str(workdir / "schools.csv"))
    for role, email in STAFF.items():
        where = ["--school", str(SCHOOL_URN)] if role == "school_lead" else []
        step("create-user", "--email", email, "--role", role, *where, "--password", PASSWORD)
    today = datetime.now(UTC).date()
    created = step(
        *("create-wave", "--questionnaire", "national-secondary", "--name", "Fuzz wave"),
        *("--opens", today.isoformat(), "--closes", (today + timedelta(days=30)).isoformat()),
        *("--school", str(SCHOOL_URN)),
    )
    wave = re.search(r"wave (\d+) created", created).group(1)
    rows = "".join(f"FZ{n:05d},{7 + n % 7},F,WHIT,WBRI,N,Y,N,N,{7 + n % 7}A\n" for n in range(count))
    (workdir / "roster.csv").write_text(ROSTER_HEADER + rows)
    step("import-roster", "--wave", wave, "--school", str(SCHOOL_URN), str(workdir / "roster.csv"))
    step("issue-codes", "--wave", wave, "--school", str(SCHOOL_URN), "--out", str(workdir / "codes.csv"))
    with (workdir / "codes.csv").open(encoding="utf-8", newline="") as stream:
        codes = [row["code"] for row in csv.DictReader(stream)]
    rules = [r for r in app.url_map.iter_rules() if "GET" in (r.methods or ()) and r.endpoint != "static"]
    with app.app_context():
        from survey.extensions import db

        db.engine.dispose()
    return codes, sorted(rules, key=lambda r: r.rule)


# -- hostile requests -----------------------------------------------------------------------------


@dataclass
class Hostile:
    endpoint: str
    role: str
    method: str
    path: str
    post: Post | None = None

    def describe(self) -> str:
        what = self.post.description if self.post else "hostile address and query"
        size = f", {len(self.post.body)} bytes, CSRF {self.post.csrf}" if self.post else ""
        return f"{self.method} {self.endpoint} as {self.role}: {what}{size} ({self.path[:80]!r})"


def draw_all(strategy, count: int, rng: random.Random) -> list:
    """`count` values of a hypothesis strategy, outside a test: hypothesis's own generator, no shrinking."""
    found: list = []

    @settings(
        max_examples=count,
        database=None,
        deadline=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @seed(rng.randrange(2**32))
    @given(strategy)
    def collect(value):
        found.append(value)

    collect()
    return found


PLACEHOLDER = "CSRFTOKENPLACEHOLDER0123456789"  # replaced by the sending client's own token


def batch(site: Site, count: int, rng: random.Random, get_rules) -> list[Hostile]:
    """`count` hostile requests, a quarter GETs, the rest posts spread over every form route."""
    endpoints = sorted(FORMS)
    gets = sum(rng.random() < 0.25 for _ in range(count))
    chosen = Counter(rng.choice(endpoints) for _ in range(count - gets))
    out: list[Hostile] = []
    pages = st.sampled_from(get_rules).flatmap(lambda rule: addresses(rule, site).map(lambda a: (rule, a)))
    for rule, path in draw_all(pages, gets, rng) if gets else []:
        role = rng.choice(["anonymous", "school_lead", "reviewer", "admin", "pupil_agreed"])
        out.append(Hostile(rule.endpoint, role, "GET", path))
    for endpoint, n in sorted(chosen.items()):
        form = FORMS[endpoint]
        for post in draw_all(posts(form.known, form.files, PLACEHOLDER), n, rng):
            path = form.url(site, rng.randrange(200))
            out.append(Hostile(endpoint, rng.choice(form.roles), "POST", path, post))
    rng.shuffle(out)
    return out


@dataclass
class Results:
    statuses: Counter = field(default_factory=Counter)
    by_route: dict[str, Counter] = field(default_factory=lambda: defaultdict(Counter))
    server_errors: list[str] = field(default_factory=list)
    transport: Counter = field(default_factory=Counter)
    sent: int = 0


async def send(site: Site, hostile: Hostile, results: Results) -> None:
    try:
        client = await site.client(hostile.role)
    except (TimeoutError, aiohttp.ClientError) as error:
        results.transport[f"setup: {type(error).__name__}"] += 1
        return
    headers = {}
    data = None
    if hostile.post is not None:
        data = hostile.post.body.replace(PLACEHOLDER.encode(), (client.token or "").encode())
        if hostile.post.content_type is not None:
            headers["Content-Type"] = hostile.post.content_type
    try:
        async with client.session.request(
            hostile.method, hostile.path, data=data, headers=headers, allow_redirects=False
        ) as response:
            await response.read()
            status, location = response.status, response.headers.get("Location", "")
    except (TimeoutError, aiohttp.ClientError) as error:
        results.transport[type(error).__name__] += 1
        client.spent = True
        return
    except RuntimeError as error:  # aiohttp: "Connection closed." while reading a refused request's answer
        results.transport[f"RuntimeError: {error}"] += 1
        client.spent = True
        return
    results.sent += 1
    results.statuses[status] += 1
    results.by_route[hostile.endpoint][status // 100 * 100] += 1
    if status >= 500:
        results.server_errors.append(f"{status} {hostile.describe()}")
    # A session this request ended is replaced: signed out, handed over, finished, or sent to start.
    target = urljoin("/", location).split("?")[0]
    ended = target in ("/", "/staff/sign-in", "/finished", "/no-thanks")
    if ended or (client.role == "anonymous" and target):
        client.spent = True  # (a signed-out visitor who signed in or entered a code is no longer one)


async def run(
    site: Site, total: int, concurrency: int, rng: random.Random, get_rules, seconds: float | None
) -> tuple[Results, float]:
    results = Results()
    began = time.monotonic()
    done = 0  # the time includes making the requests (hypothesis) and replacing spent sessions
    while done < total:
        if seconds is not None and time.monotonic() - began > seconds:
            print(f"  stopped after {seconds:g} s (--max-seconds)")
            break
        size = min(500, total - done)
        queue: asyncio.Queue = asyncio.Queue()
        for item in batch(site, size, rng, get_rules):
            queue.put_nowait(item)

        async def worker(queue=queue):
            while not queue.empty():
                await send(site, queue.get_nowait(), results)

        await asyncio.gather(*(worker() for _ in range(concurrency)))
        done += size
        print(f"  {done} sent, {sum(v for k, v in results.statuses.items() if k >= 500)} 5xx", flush=True)
    return results, time.monotonic() - began


def report(results: Results, seconds: float, setup_requests: int) -> None:
    print("\nstatus codes of the hostile requests")
    for status, count in sorted(results.statuses.items()):
        print(f"  {status}  {count:6d}")
    server_errors = sum(count for status, count in results.statuses.items() if status >= 500)
    print(f"  5xx   {server_errors:6d}   (must be 0)")
    if results.transport:
        print(f"  transport errors (no response): {dict(results.transport)}")
    print(f"\n{results.sent} hostile requests in {seconds:.1f} s: {results.sent / seconds:.0f} requests/s")
    print(f"({setup_requests} more requests signed sessions in and took pupils through the journey)")
    print("\nby route (status classes)")
    for endpoint, counts in sorted(results.by_route.items()):
        print(f"  {endpoint:<32} " + "  ".join(f"{k}: {v}" for k, v in sorted(counts.items())))
    if results.server_errors:
        print("\n5xx examples")
        for example in results.server_errors[:20]:
            print(f"  {example}")


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--requests", type=int, default=10_000, help="hostile requests to send (default 10,000)"
    )
    parser.add_argument("--concurrency", type=int, default=16, help="requests in flight at once (default 16)")
    parser.add_argument(
        "--database-url", default=DEFAULT_DATABASE_URL, help="PostgreSQL to make the schema in"
    )
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (default 2)")
    parser.add_argument("--threads", type=int, default=4, help="threads per gunicorn worker (default 4)")
    parser.add_argument("--seed", type=int, default=None, help="random seed, for a repeatable run")
    parser.add_argument(
        "--max-seconds",
        type=float,
        default=None,
        help="stop sending new batches after this long, and report what was sent (a busy machine)",
    )
    parser.add_argument(
        "--demo", action="store_true", help="also load the demo data, so results pages have figures (slower)"
    )
    return parser.parse_args()


def main() -> int:
    options = arguments()
    began = time.monotonic()
    seed_value = options.seed if options.seed is not None else secrets.randbelow(2**31)
    rng = random.Random(seed_value)
    random.seed(seed_value)
    config = WorkerConfig(workers=options.workers, threads=options.threads)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # so the clean-up below runs
    print(
        f"Fuzz: {options.requests} hostile requests, {options.concurrency} at once, "
        f"gunicorn {config}, seed {seed_value}"
    )
    keys = {"SECRET_KEY": secrets.token_hex(32), "CODE_HASH_KEY": secrets.token_hex(32)}
    limits = {
        "CODE_ATTEMPTS_PER_NETWORK": "1000000 per hour",
        "SIGN_IN_ATTEMPTS_PER_NETWORK": "1000000 per hour",
    }
    with tempfile.TemporaryDirectory(prefix="fuzz-") as temp, bench_schema(options.database_url) as url:
        workdir = Path(temp)
        env = {
            **os.environ,
            **keys,
            **limits,
            "DATABASE_URL": url,
            "PYTHONUNBUFFERED": "1",
            "LOCAL_HTTP": "true",
        }
        # Pupils are replaced as the requests finish or sign them out: roughly one in six requests.
        print("preparing the schema")
        codes, rules = prepare(env, max(300, options.requests // 4), workdir, options.demo)
        log = workdir / "survey.log"
        with gunicorn(env, config, log) as base:
            print(f"\nserving on {base}; signing in staff and pupils")

            async def go():
                site = Site(base, codes)
                try:
                    await make_target_user(site)
                    sent = await run(
                        site, options.requests, options.concurrency, rng, rules, options.max_seconds
                    )
                    return sent, site.setup_requests
                finally:
                    await site.close()

            (results, seconds), setup_requests = asyncio.run(go())
        report(results, seconds, setup_requests)
        if any(status >= 500 for status in results.statuses) or results.transport:
            kept = Path(tempfile.gettempdir()) / f"fuzz-gunicorn-{os.getpid()}.log"
            shutil.copy(log, kept)
            print(f"\ngunicorn's log is kept in {kept}; its last lines:\n{tail(log, 15)}")
    print(f"\ndone in {time.monotonic() - began:.0f} s")
    return 1 if any(status >= 500 for status in results.statuses) else 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except SetupError as error:
        print(f"setup failed: {error}", file=sys.stderr)
        sys.exit(2)
    except KeyboardInterrupt:
        sys.exit(130)
