"""Fault test of the pupil journey: two app instances, a killed worker, a restarted instance, and a
check that every answer a pupil saw saved is in the database exactly once.

Run it from the repository root (it prints figures and exits non-zero if anything was lost):

    .venv/bin/pip install -e '.[dev]'     # gunicorn and aiohttp
    .venv/bin/python bench/soak.py                  # 1,000 pupils, a few minutes on 2 CPUs
    .venv/bin/python bench/soak.py --pupils 100 --think 0.01 --workers 2 --threads 2   # what CI runs

What it does, all on 127.0.0.1:

1. Makes a fresh PostgreSQL schema `soak_<pid>_<hex>` in `--database-url` (default the test database)
   and, with the app's own command line run in this process (`db upgrade`, `load-questionnaires`,
   `import-schools`, `create-wave`, `import-roster`, `issue-codes`), one school, an open
   national-secondary wave and one code per pupil.
2. Serves the app with two gunicorn masters on two free ports (`--workers` × `--threads` gthread each,
   otherwise the app's production settings `survey/gunicorn_conf.py`: preloaded app, graceful
   shutdown, workers recycled after about 1,000 requests), sharing SECRET_KEY and CODE_HASH_KEY, with
   rate limits in Redis (`--redis-url`, default database 0) under a key prefix of this run's own.
3. Drives N pupils at once through the whole secondary questionnaire by reading the HTML, each request
   to either instance at random (the signed-cookie session and CSRF token must work on both). Pupils
   wait a random think-time (0 to 2 × `--think` s) before each form; some type a wrong code first;
   some press "Save and continue" twice (one after the other, or both at once); some go Back to an
   earlier section, change an answer, save and continue. A request that fails with a connection error
   is sent again, the same request, with backoff, until it is answered (for up to `--retry-seconds`).
   Each pupil keeps what it believes is saved: a page is saved when the server answers its POST with
   the redirect to the next page (or back to the same page to show a follow-up question it asked
   for), and the expected answers are the last saved value of each question, with the questionnaire's
   own `show_if` rules applied. Every page a pupil opens must show exactly those saved answers.
   Reading pages uses the form reader it shares with bench/pupil_load.py (testing/page_forms.py); its
   setup (`flask demo` in subprocesses, over a minute) and its client (no retries, one instance) do
   not fit here, so they are not reused.
4. Meanwhile: when 15% of the pages have been saved, SIGKILLs one worker of the first instance (its
   master starts another); at 40%, restarts the second instance (SIGTERM to its master, which lets
   requests in flight finish; then a new master on the same port).
5. Afterwards reads the results back through the app's export (`export-responses`, run in this
   process) and directly in SQL, and checks: every pupil who finished has one complete response whose
   answers equal what the pupil saw saved, value by value (in SQL and in the export); no code has two
   responses and no response two answers to one question; no response is half-written (each page's
   answers in the database are one version of that page the pupil sent, or none; a pupil who did not
   finish has the answers of its last saved page, or of a page it sent that was not yet answered).
6. Stops gunicorn, drops the schema and deletes the Redis keys, also on failure or Ctrl+C.

Exit status: 0 if nothing was lost, duplicated, mismatched or half-written, no answer was a 5xx and
every pupil finished; 1 otherwise; 2 if the setup failed (no PostgreSQL or Redis, gunicorn not serving).
"""

from __future__ import annotations

import argparse
import asyncio
import concurrent.futures
import csv
import json
import os
import random
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

import aiohttp
import psycopg
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script: `python testing/soak.py`
    sys.path.insert(0, str(ROOT))

import questionnaires  # noqa: E402
from testing import page_forms, serving  # noqa: E402

HOST = serving.HOST
DEFAULT_DATABASE_URL = serving.DEFAULT_DATABASE_URL
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"
QUESTIONNAIRE = "national-secondary"
SCHOOL_URN = 990077
PREFER_NOT_TO_SAY = page_forms.PREFER_NOT_TO_SAY
# Texts with characters that must survive the form, the database and the export.
TEXTS = [
    *page_forms.SHORT_TEXTS,
    "Mwy o amser i siarad â'r athrawon & clybiau <cinio>",
    'A "quiet" room, please',
]
MAX_PAGES = 80  # section pages one pupil may open before it is going round in circles
SECTION = re.compile(r"^/section/([^/?#]+)$")
BACK_LINK = re.compile(r"<a\b[^>]*govuk-back-link[^>]*>", re.I)

# An answer as stored: (value, choices, text, prefer_not_to_say), exactly one of them set.
Answer = tuple[int | None, tuple[int, ...] | None, str | None, bool]
State = dict[str, Answer]


class SetupError(serving.SetupError):
    """Preparing the database, Redis or gunicorn failed: the run cannot start."""


class PupilStuck(Exception):
    """The pupil cannot go on: an unexpected page or status, or retries ran out."""


# -- the questionnaire's rules, as a pupil's expectation ---------------------------------------------


def routing_values(state: State) -> dict[str, object]:
    values: dict[str, object] = {}
    for qid, (value, choices, _text, prefer_not) in state.items():
        chosen = choices if choices is not None else value
        if chosen is not None and not prefer_not:
            values[qid] = chosen
    return values


def after_save(
    questionnaire: questionnaires.Questionnaire, state: State, section: questionnaires.Section, given: State
) -> State:
    """The answers after saving `given` on `section`: the questionnaire's rules (a follow-up whose
    `show_if` does not hold is not saved, and an earlier answer to it goes), not the app's code."""
    values = routing_values(state)
    kept: State = {}
    for question in section.questions:
        if question.show_if is not None and not question.show_if.applies(values):
            values.pop(question.id, None)
            continue
        values.pop(question.id, None)
        if question.id in given:
            kept[question.id] = given[question.id]
            values.update(routing_values({question.id: given[question.id]}))
    page = {q.id for q in section.questions}
    merged = {qid: a for qid, a in state.items() if qid not in page} | kept
    result: State = {}
    values = {}
    for question in questionnaire.questions:
        answer = merged.get(question.id)
        if answer is None or (question.show_if is not None and not question.show_if.applies(values)):
            continue
        result[question.id] = answer
        values.update(routing_values({question.id: answer}))
    return result


def export_cell(answer: Answer | None) -> str:
    """The export's cell for an answer (docs/data-format.md): blank if skipped or "prefer not to say"."""
    if answer is None or answer[3]:
        return ""
    if answer[1] is not None:
        return ";".join(str(v) for v in sorted(answer[1]))
    return "" if answer[0] is None else str(answer[0])


# -- reading and filling a question page ----------------------------------------------------------


@dataclass
class PageForm:
    """A question page's form: its hidden fields, the button, and each question's controls."""

    path: str
    form: page_forms.Form
    questions: dict[str, list[page_forms.Control]]  # question id -> its controls, in page order
    back: str | None


def read_page(path: str, html: str, known: set[str]) -> PageForm:
    form = page_forms.main_form(page_forms.parse_forms(html), f"http://{HOST}{path}")
    if form is None:
        raise PupilStuck(f"no form on {path}")
    questions: dict[str, list[page_forms.Control]] = defaultdict(list)
    for control in form.controls:
        if control.name in known:
            questions[control.name].append(control)
    found = BACK_LINK.search(html)
    back = page_forms.tag_attributes(found.group(0)).get("href") if found else None
    return PageForm(path, form, dict(questions), back)


def as_answer(kind: str, raws: list[str]) -> Answer | None:
    """What the server stores for these posted values of one question (my fill sends valid ones)."""
    raws = [r for r in raws if r != ""]
    if kind == "text":
        text = raws[0].replace("\r\n", "\n").strip() if raws else ""
        return (None, None, text, False) if text else None
    if not raws:
        return None
    if PREFER_NOT_TO_SAY in raws:
        return (None, None, None, True)
    if kind == "multiple":
        return (None, tuple(sorted({int(r) for r in raws})), None, False)
    return (int(raws[0]), None, None, False)


def shown(page: PageForm, kinds: dict[str, str]) -> State:
    """The answers the page shows as already given (ticked, or typed into a text area)."""
    found: State = {}
    for qid, controls in page.questions.items():
        if kinds[qid] == "text":
            raws = [c.value.removeprefix("\n") for c in controls if c.kind == "textarea"]
        else:
            raws = [c.value for c in controls if c.kind in ("radio", "checkbox") and c.checked]
        answer = as_answer(kinds[qid], raws)
        if answer is not None:
            found[qid] = answer
    return found


def random_answer(kind: str, controls: list[page_forms.Control], rng: random.Random) -> Answer | None:
    """A pupil's answer: any option of a radio group (sometimes none), 0–2 boxes, text now and then."""
    if kind == "single":
        options = [c.value for c in controls if c.kind == "radio"]
        return as_answer(kind, [rng.choice(options)]) if options and rng.random() < 0.9 else None
    if kind == "multiple":
        boxes = [c for c in controls if c.kind == "checkbox"]
        ticked = rng.sample(boxes, min(len(boxes), rng.randint(0, 2)))
        alone = [box for box in ticked if box.exclusive]
        return as_answer(kind, [box.value for box in (alone[:1] or ticked)])
    if kind == "text":
        return as_answer(kind, [rng.choice(TEXTS)]) if rng.random() < 0.15 else None
    return None


def encode(page: PageForm, answers: State, kinds: dict[str, str]) -> list[tuple[str, str]]:
    """The form data a browser sends for these answers, with "Save and continue"."""
    data = page_forms.hidden_fields(page.form)
    for qid in page.questions:
        answer = answers.get(qid)
        if kinds[qid] == "text":
            data.append((qid, answer[2] if answer else ""))
        elif answer is None:
            continue
        elif answer[3]:
            data.append((qid, PREFER_NOT_TO_SAY))
        elif answer[1] is not None:
            data.extend((qid, str(v)) for v in answer[1])
        else:
            data.append((qid, str(answer[0])))
    return data + page_forms.pick_button(page.form, prefer=("save", "continue"))


# -- the pupils -----------------------------------------------------------------------------------


@dataclass
class Record:
    """What one pupil did and believes is saved."""

    reference: str
    code: str
    agreed: bool = False  # "yes" answered with a redirect
    finished: bool = False  # "Finish" answered with the redirect to the thank-you page
    finish_sent: bool = False
    stuck: str | None = None
    expected: State = field(default_factory=dict)  # the answers after the last saved page
    saved: list[State] = field(default_factory=list)  # the answers after each saved page, in order
    unanswered: list[State] = field(default_factory=list)  # pages sent since, not yet answered
    sent: list[State] = field(default_factory=list)  # the answers after every page sent


@dataclass
class Stats:
    requests: int = 0
    answer_posts: list[float] = field(default_factory=list)  # ms of answered section POSTs
    connection_errors: int = 0
    retries: int = 0
    server_errors: int = 0
    double_submits: int = 0
    concurrent_double_submits: int = 0
    back_navigations: int = 0
    wrong_codes: int = 0
    saved_pages: int = 0
    shown_mismatches: int = 0  # pages that showed answers other than those saved
    errors: Counter = field(default_factory=Counter)
    examples: dict[str, str] = field(default_factory=dict)
    started: float = 0.0
    ended: float = 0.0

    def note(self, key: str, example: str = "") -> None:
        self.errors[key] += 1
        self.examples.setdefault(key, example)

    @property
    def seconds(self) -> float:
        return max(self.ended - self.started, 1e-9)


@dataclass
class Behaviour:
    think: float = 0.3  # mean seconds before each form (uniform 0 to 2 × think)
    wrong_code: float = 0.05  # pupils who type a wrong code first
    double_submit: float = 0.08  # pages posted twice one after the other
    concurrent_submit: float = 0.08  # pages posted twice at once
    back: float = 0.08  # chance on each page to go Back and change an earlier answer
    retry_seconds: float = 90.0  # how long a request is retried before the pupil gives up


@dataclass
class Response:
    status: int
    location: str | None  # path?query#fragment of a redirect
    body: str


class Pupil:
    def __init__(self, client: Client, record: Record, rng: random.Random):
        self.client, self.record, self.rng = client, record, rng
        self.questionnaire, self.kinds = client.questionnaire, client.kinds
        self.stats, self.behaviour = client.stats, client.behaviour
        self.session: aiohttp.ClientSession | None = None

    async def think(self, scale: float = 1.0) -> None:
        if self.behaviour.think > 0:
            await asyncio.sleep(self.rng.uniform(0, 2 * self.behaviour.think * scale))

    async def send(self, method: str, path: str, data=None, *, kind: str = "page") -> Response:
        """One request to either instance, sent again on a connection error (or a 5xx) until answered."""
        assert self.session is not None
        base = self.rng.choice(self.client.bases())
        began_retrying = time.monotonic()
        attempt = 0
        while True:
            self.stats.requests += 1
            began = time.perf_counter()
            problem = ""
            try:
                async with self.session.request(
                    method, base + path, data=data, allow_redirects=False
                ) as answer:
                    body = await answer.read()
            except (aiohttp.ClientError, TimeoutError) as error:
                self.stats.connection_errors += 1
                problem = f"{type(error).__name__}: {error}"
                self.stats.note(
                    f"connection error: {type(error).__name__}", f"{method} {base}{path}: {error}"
                )
            else:
                if answer.status < 500:
                    if kind == "answer post":
                        self.stats.answer_posts.append((time.perf_counter() - began) * 1000)
                    location = answer.headers.get("Location")
                    if location:
                        parts = urlsplit(location)
                        location = parts.path + (f"?{parts.query}" if parts.query else "")
                        location += f"#{parts.fragment}" if parts.fragment else ""
                    text = body.decode(answer.charset or "utf-8", errors="replace")
                    return Response(answer.status, location, text)
                self.stats.server_errors += 1
                self.stats.note(f"{method} {template(path)} -> {answer.status}", base + path)
                problem = f"status {answer.status}"
                if attempt >= 3:
                    raise PupilStuck(f"{method} {path}: {problem} {attempt + 1} times")
            if time.monotonic() - began_retrying > self.behaviour.retry_seconds:
                raise PupilStuck(f"{method} {path}: still failing after retries: {problem}")
            attempt += 1
            self.stats.retries += 1
            await asyncio.sleep(min(2.0, 0.05 * 2**attempt) * self.rng.uniform(0.5, 1.5))

    async def get(self, path: str) -> Response:
        page = await self.send("GET", path)
        if page.status != 200:
            raise PupilStuck(f"GET {path} -> {page.status} {page.location or ''}")
        return page

    async def post(self, path: str, data, kind: str, expect: Callable[[str], bool]) -> str:
        answer = await self.send("POST", path, data, kind=kind)
        if answer.status not in (302, 303) or not answer.location or not expect(answer.location):
            message = page_forms.shown_message(answer.body)
            raise PupilStuck(f"POST {path} -> {answer.status} {answer.location or ''} {message}".strip())
        return answer.location

    async def journey(self) -> None:
        async with aiohttp.ClientSession(
            connector=self.client.connector,
            connector_owner=False,
            cookie_jar=aiohttp.CookieJar(unsafe=True),  # unsafe: keep cookies from an IP address
            # Long: a request given up while the server still has it could be saved after a later one.
            timeout=aiohttp.ClientTimeout(total=300),
        ) as self.session:
            await self.sign_in()
            await self.sections()
            await self.finish()

    async def sign_in(self) -> None:
        record = self.record
        page = await self.get("/")
        form = page_forms.main_form(page_forms.parse_forms(page.body), f"http://{HOST}/", needs="code")
        if form is None:
            raise PupilStuck("no code form on /")
        others = [(n, v) for n, v in page_forms.hidden_fields(form) if n != "code"] + page_forms.pick_button(
            form
        )
        if self.rng.random() < self.behaviour.wrong_code:
            await self.think(0.3)
            wrong = record.code[:-1] + ("A" if record.code[-1] != "A" else "B")
            answer = await self.send("POST", "/", [*others, ("code", wrong)])
            if answer.status != 200 or "govuk-error" not in answer.body:
                raise PupilStuck(f"a wrong code was answered {answer.status} {answer.location or ''}")
            self.stats.wrong_codes += 1
        await self.think(0.3)
        await self.post(
            "/", [*others, ("code", record.code)], "code post", lambda to: to == "/before-you-start"
        )
        page = await self.get("/before-you-start")
        form = page_forms.main_form(
            page_forms.parse_forms(page.body), f"http://{HOST}/before-you-start", needs="choice"
        )
        if form is None:
            raise PupilStuck("no choice form on /before-you-start")
        await self.think(0.3)
        first = f"/section/{self.client.order[0]}"
        await self.post(
            "/before-you-start",
            [*page_forms.hidden_fields(form), ("choice", "yes")],
            "assent post",
            lambda to: to == first,
        )
        record.agreed = True

    async def sections(self) -> None:
        record, order = self.record, self.client.order
        path = f"/section/{order[0]}"
        change = False  # came Back to change an answer here
        opened = 0
        while (found := SECTION.match(path)) is not None:
            opened += 1
            if opened > MAX_PAGES:
                raise PupilStuck(f"more than {MAX_PAGES} section pages")
            section_id = found.group(1)
            section = self.questionnaire.sections[section_id]
            page = read_page(path, (await self.get(path)).body, set(self.kinds))
            on_page = {q.id for q in section.questions}
            expected = {qid: a for qid, a in record.expected.items() if qid in on_page}
            showing = shown(page, self.kinds)
            if showing != expected:
                self.stats.shown_mismatches += 1
                self.stats.note(f"{path} showed answers other than those saved", f"{showing} != {expected}")
            index = order.index(section_id)
            back_again = change and self.rng.random() < 0.3
            if index > 0 and page.back and (back_again or self.rng.random() < self.behaviour.back):
                if not page.back.startswith("/section/"):
                    raise PupilStuck(f"Back on {path} goes to {page.back}")
                self.stats.back_navigations += 1
                await self.think(0.2)
                path, change = page.back, True
                continue
            if change:  # change one answer on this earlier page, keep the others
                answers = dict(showing)
                qid = self.rng.choice(list(page.questions))
                for _ in range(10):
                    new = random_answer(self.kinds[qid], page.questions[qid], self.rng)
                    if new != answers.get(qid):
                        break
                if new is None:
                    answers.pop(qid, None)
                else:
                    answers[qid] = new
            elif expected and self.rng.random() < 0.7:  # saved already: keep it, fill what is new
                answers = dict(showing)
                for qid, controls in page.questions.items():
                    if qid not in answers and qid not in expected:
                        new = random_answer(self.kinds[qid], controls, self.rng)
                        if new is not None:
                            answers[qid] = new
            else:
                answers = {}
                for qid, controls in page.questions.items():
                    new = random_answer(self.kinds[qid], controls, self.rng)
                    if new is not None:
                        answers[qid] = new
            change = False
            await self.think()
            path = await self.save(section, path, page, answers)

    async def save(self, section, path: str, page: PageForm, answers: State) -> str:
        """Post a section page (sometimes twice); once answered with the next page, it is saved."""
        record, order = self.record, self.client.order
        data = encode(page, answers, self.kinds)
        after = after_save(self.questionnaire, record.expected, section, answers)
        index = order.index(section.id)
        following = f"/section/{order[index + 1]}" if index + 1 < len(order) else "/check-your-answers"

        on_page = {q.id for q in section.questions}

        def saved(to: str) -> bool:
            # the next page, or this one again to show a follow-up question this post asked for
            return to == following or (to.startswith(path + "#") and to[len(path) + 1 :] in on_page)

        record.sent.append(after)
        record.unanswered.append(after)
        roll = self.rng.random()
        if roll < self.behaviour.concurrent_submit:
            self.stats.double_submits += 1
            self.stats.concurrent_double_submits += 1
            places = await asyncio.gather(
                self.post(path, data, "answer post", saved), self.post(path, data, "answer post", saved)
            )
            where = places[0]
        else:
            where = await self.post(path, data, "answer post", saved)
            if roll < self.behaviour.concurrent_submit + self.behaviour.double_submit:
                self.stats.double_submits += 1
                where = await self.post(path, data, "answer post", saved)
        record.expected = after
        record.saved.append(after)
        record.unanswered.clear()
        self.stats.saved_pages += 1
        return where.split("#", 1)[0]

    async def finish(self) -> None:
        page = await self.get("/check-your-answers")
        form = page_forms.main_form(page_forms.parse_forms(page.body), f"http://{HOST}/check-your-answers")
        if form is None:
            raise PupilStuck("no form on /check-your-answers")
        await self.think(0.3)
        self.record.finish_sent = True
        data = page_forms.hidden_fields(form) + page_forms.pick_button(form)
        await self.post("/check-your-answers", data, "confirm post", lambda to: to == "/finished")
        self.record.finished = True
        await self.get("/finished")


def template(path: str) -> str:
    return re.sub(r"^/section/[^/?#]+", "/section/<id>", urlsplit(path).path)


class Client:
    """Everything the pupils share: the instances, the questionnaire, the counts."""

    def __init__(self, bases: Callable[[], list[str]], behaviour: Behaviour, pupils: int):
        self.bases = bases
        self.behaviour = behaviour
        self.stats = Stats()
        self.questionnaire = questionnaires.load(QUESTIONNAIRE)
        self.kinds = {q.id: q.type for q in self.questionnaire.questions}
        self.order = [s.id for s in self.questionnaire.sections if s.only_in is None]
        self.pupils = pupils
        self.connector: aiohttp.TCPConnector | None = None


async def drive_pupils(client: Client, records: list[Record], seed: int, seconds: float, faults) -> None:
    stats = client.stats
    client.connector = aiohttp.TCPConnector(limit=client.pupils, keepalive_timeout=4)  # under gunicorn's 5 s

    async def one(i: int, record: Record) -> None:
        rng = random.Random(seed * 100_003 + i)
        await asyncio.sleep(rng.uniform(0, min(5.0, 10 * client.behaviour.think)))  # not all at once
        pupil = Pupil(client, record, rng)
        try:
            await pupil.journey()
        except PupilStuck as error:
            record.stuck = str(error)
            stats.note(f"pupil stuck: {re.sub(r'/section/[^ /?#]+', '/section/<id>', str(error))[:90]}")

    stats.started = time.perf_counter()
    tasks = [asyncio.create_task(one(i, r)) for i, r in enumerate(records)]
    injector = asyncio.create_task(faults())
    try:
        _, pending = await asyncio.wait(tasks, timeout=seconds)
        stats.ended = time.perf_counter()
        for task in pending:
            task.cancel()
        if pending:
            stats.note(f"still running after {seconds:.0f} s", str(len(pending)))
            for record, task in zip(records, tasks, strict=True):
                if task in pending:
                    record.stuck = record.stuck or "still running at the end"
            await asyncio.wait(pending)
        await injector
    finally:
        injector.cancel()
        await client.connector.close()


# -- the app instances ----------------------------------------------------------------------------


PRODUCTION_SETTINGS = ROOT / "survey" / "gunicorn_conf.py"


def gunicorn_settings() -> list[str]:
    """gunicorn's production settings (preloaded app, graceful timeout, worker recycling), with the
    workers, threads, port and logs of the command line; or, where the app has none, their gist."""
    if PRODUCTION_SETTINGS.exists():
        return ["--config", "python:survey.gunicorn_conf"]
    return ["--preload", "--timeout", "30", "--graceful-timeout", "30"]


class Instance:
    """One gunicorn master on a fixed port: start, SIGKILL a worker, restart gracefully, stop."""

    def __init__(self, name: str, app: str, env: dict, config: serving.WorkerConfig, log: Path):
        self.name, self.app, self.env, self.config, self.log = name, app, env, config, log
        self.output = log.with_suffix(".out")
        self.port = serving.free_port()
        self.base = f"http://{HOST}:{self.port}"
        self.server: subprocess.Popen | None = None

    def start(self) -> None:
        self.launch()
        self.wait()

    def launch(self) -> None:
        command = [
            *(sys.executable, "-m", "gunicorn", "--bind", f"{HOST}:{self.port}", *self.config.args()),
            *gunicorn_settings(),
            *("--log-level", "warning", "--error-logfile", str(self.log), "--chdir", str(ROOT), self.app),
        ]
        with self.output.open("ab") as output:  # the app's own log lines, kept out of the report
            self.server = subprocess.Popen(
                command, env=self.env, start_new_session=True, stdout=output, stderr=subprocess.STDOUT
            )

    def wait(self, seconds: float = 120) -> None:
        """Until the port takes connections (the preloaded app is ready before gunicorn binds it) and
        then answers one request, however many retrying pupils queue in front of it. (bench/pupil_load's
        `wait_until_serving` gives each try 2 s: too little for an instance that 1,000 pupils wait for.)"""
        assert self.server is not None
        give_up = time.monotonic() + seconds
        while True:
            if self.server.poll() is not None:
                raise SetupError(
                    f"{self.name} stopped (status {self.server.returncode}):\n{serving.tail(self.log)}"
                )
            try:
                socket.create_connection((HOST, self.port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > give_up:
                    raise SetupError(
                        f"{self.name} did not listen within {seconds:.0f} s:\n{serving.tail(self.log)}"
                    ) from None
                time.sleep(0.1)
        try:
            with urllib.request.urlopen(
                self.base + "/", timeout=max(give_up - time.monotonic(), 10)
            ) as answer:
                answer.read()
        except OSError as error:
            raise SetupError(f"{self.name} did not answer: {error}\n{serving.tail(self.log)}") from None

    def workers(self) -> list[int]:
        assert self.server is not None
        return serving.gunicorn_pids(self.server.pid)[1:]

    def kill_worker(self, rng: random.Random) -> int:
        workers = self.workers()
        if not workers:
            raise SetupError(f"{self.name} has no workers to kill")
        pid = rng.choice(workers)
        os.kill(pid, signal.SIGKILL)
        return pid

    def restart(self) -> tuple[float, float]:
        """SIGTERM the master (graceful: requests in flight finish), wait, start anew on the same port;
        returns the seconds until the old master stopped and until the new one served."""
        assert self.server is not None
        began = time.monotonic()
        self.server.terminate()
        self.server.wait(timeout=60)
        stopped = time.monotonic() - began
        self.start()
        return stopped, time.monotonic() - began

    def stop(self) -> None:
        if self.server is not None:
            serving.stop(self.server)


def logged_errors(paths: list[Path]) -> Counter:
    """The app's unhandled exceptions in its JSON log lines (survey/logs.py): type and innermost frames."""
    found: Counter = Counter()
    for path in paths:
        if not path.exists():
            continue
        with path.open(encoding="utf-8", errors="replace") as lines:
            for line in lines:
                if '"error"' not in line:
                    continue
                with suppress(ValueError):
                    entry = json.loads(line)
                    if entry.get("event") == "error" or entry.get("level") == "error":
                        frames = " <- ".join(reversed(entry.get("frames", [])[-3:]))
                        found[f"{entry.get('error')} in {entry.get('endpoint')}: {frames}"] += 1
    return found


# -- the database, Redis and the app's command line ------------------------------------------------


def services_problem(database_url: str, redis_url: str) -> str | None:
    """Why the soak cannot run here (no PostgreSQL or no Redis), or None."""
    try:
        with psycopg.connect(serving.conninfo(database_url), connect_timeout=5):
            pass
    except psycopg.Error as error:
        return f"PostgreSQL is not reachable at {database_url}: {str(error).splitlines()[0]}"
    import redis

    try:
        redis.Redis.from_url(redis_url, socket_connect_timeout=5).ping()
    except redis.exceptions.RedisError as error:
        return f"Redis is not reachable at {redis_url}: {error}"
    return None


@contextmanager
def soak_schema(database_url: str) -> Iterator[str]:
    """A fresh schema, dropped afterwards whatever happens; yields the app's DATABASE_URL."""
    schema = f"soak_{os.getpid()}_{secrets.token_hex(3)}"
    with psycopg.connect(serving.conninfo(database_url), autocommit=True) as connection:
        connection.execute(f'CREATE SCHEMA "{schema}"')
    try:
        yield serving.with_schema(database_url, schema)
    finally:
        with psycopg.connect(serving.conninfo(database_url), autocommit=True) as connection:
            connection.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


@contextmanager
def redis_prefix(redis_url: str) -> Iterator[tuple[str, list[int]]]:
    """A rate-limit key prefix of this run's own; its keys are deleted afterwards (their count is
    appended to the yielded list)."""
    import redis

    prefix = f"soak-{os.getpid()}-{secrets.token_hex(4)}"
    deleted: list[int] = []
    try:
        yield prefix, deleted
    finally:
        connection = redis.Redis.from_url(redis_url)
        keys = list(connection.scan_iter(match=f"*{prefix}*", count=1000))
        if keys:
            connection.delete(*keys)
        deleted.append(len(keys))


def app_config(url: str, keys: dict) -> dict:
    return {"SQLALCHEMY_DATABASE_URI": url, **keys}


def cli(app, *args: str) -> str:
    """Run one of the app's commands in this process (no new interpreter to start each time)."""
    result = app.test_cli_runner().invoke(args=list(args))
    if result.exit_code != 0:
        raise SetupError(f"`flask {' '.join(args)}` failed:\n{result.output}{result.exception or ''}")
    return result.output


@dataclass
class Prepared:
    wave: int
    pupils: list[tuple[str, str]]  # (pupil reference, code)


def prepare(url: str, keys: dict, count: int, workdir: Path, rng: random.Random) -> Prepared:
    """Migrate, load the questionnaires, then one school, an open wave, a roster and its codes."""
    from flask_migrate import upgrade

    from survey import create_app
    from survey.extensions import db

    app = create_app(app_config(url, keys))
    try:
        with app.app_context():
            upgrade()
        cli(app, "load-questionnaires")
        schools = workdir / "schools.csv"
        schools.write_text(
            "URN,EstablishmentName,LA (code),LA (name),PhaseOfEducation (name),"
            "TypeOfEstablishment (name),Trusts (name)\n"
            f"{SCHOOL_URN},Soak Test Secondary School,999,Soakshire,Secondary,Academy,\n",
            encoding="utf-8",
        )
        cli(app, "import-schools", str(schools))
        today = datetime.now(UTC).date()
        created = cli(
            app,
            *("create-wave", "--questionnaire", QUESTIONNAIRE, "--name", f"Soak {os.getpid()}"),
            *("--opens", today.isoformat(), "--closes", (today + timedelta(days=30)).isoformat()),
            *("--school", str(SCHOOL_URN)),
        )
        found = re.search(r"wave (\d+) created", created)
        if not found:
            raise SetupError(f"could not read the new wave's id from: {created!r}")
        wave = found.group(1)
        roster = workdir / "roster.csv"
        with roster.open("w", newline="", encoding="utf-8") as out:
            csv.writer(out).writerows(serving.roster_rows(count, rng))
        cli(app, "import-roster", "--wave", wave, "--school", str(SCHOOL_URN), str(roster))
        issued = workdir / "codes.csv"
        cli(app, "issue-codes", "--wave", wave, "--school", str(SCHOOL_URN), "--out", str(issued))
        with issued.open(encoding="utf-8", newline="") as stream:
            pupils = [(row["pupil_reference"], row["code"]) for row in csv.DictReader(stream)]
        if len(pupils) != count:
            raise SetupError(f"asked for {count} codes, got {len(pupils)}")
        rng.shuffle(pupils)
        return Prepared(int(wave), pupils)
    finally:
        with app.app_context():
            db.engine.dispose()


def export(url: str, keys: dict, wave: int, workdir: Path) -> tuple[list[dict], list[dict]]:
    """The app's `export-responses` of the wave: (response rows, free-text rows)."""
    from survey import create_app
    from survey.extensions import db

    out, text_out = workdir / "responses.csv", workdir / "free-text.csv"
    app = create_app(app_config(url, keys))
    try:
        cli(app, "export-responses", "--out", str(out), "--text-out", str(text_out), "--wave", str(wave))
    finally:
        with app.app_context():
            db.engine.dispose()
    with out.open(encoding="utf-8", newline="") as a, text_out.open(encoding="utf-8", newline="") as b:
        return list(csv.DictReader(a)), list(csv.DictReader(b))


# -- the check ------------------------------------------------------------------------------------


@dataclass
class Findings:
    pupils: int = 0
    finished: int = 0
    stuck: int = 0
    responses: int = 0
    lost_responses: int = 0  # finished, but no complete response (or agreed and no response at all)
    duplicated_responses: int = 0  # codes with more than one response
    duplicated_answers: int = 0  # (response, question) pairs with more than one row
    mismatched_answers: int = 0  # answers of finished pupils unlike what they saw saved, in SQL
    mismatched_responses: int = 0
    lost_saves: int = 0  # responses holding an earlier saved version instead of the last
    export_mismatches: int = 0  # cells (or text rows) of the export unlike the saved answers
    half_written: int = 0  # responses with a page in no version the pupil sent, or stuck between
    unexpected_responses: int = 0  # responses of codes no pupil agreed with, or complete unasked
    examples: list[str] = field(default_factory=list)

    def failures(self) -> dict[str, int]:
        names = [
            "lost_responses", "duplicated_responses", "duplicated_answers", "mismatched_answers",
            "lost_saves", "export_mismatches", "half_written", "unexpected_responses",
        ]  # fmt: skip
        return {name: getattr(self, name) for name in names if getattr(self, name)}

    def example(self, text: str) -> None:
        if len(self.examples) < 10:
            self.examples.append(text)


def stored_answers(url: str) -> tuple[dict[str, tuple[int, str]], dict[int, State], list, list]:
    """From SQL: pupil reference -> (response id, status); response id -> answers; duplicates."""
    with psycopg.connect(serving.conninfo(url)) as connection:
        responses = {
            reference: (response_id, status)
            for response_id, status, reference in connection.execute(
                "SELECT r.id, r.status, e.pupil_reference FROM response r "
                "JOIN pupil_code c ON c.id = r.pupil_code_id JOIN roster_entry e ON e.id = c.roster_entry_id"
            )
        }
        answers: dict[int, State] = defaultdict(dict)
        for response_id, qid, value, choices, text, prefer_not in connection.execute(
            "SELECT response_id, question_id, value, choices, text, prefer_not_to_say FROM answer"
        ):
            if isinstance(choices, str):
                choices = json.loads(choices)
            answers[response_id][qid] = (
                value,
                tuple(choices) if choices is not None else None,
                text,
                bool(prefer_not),
            )
        duplicate_responses = connection.execute(
            "SELECT pupil_code_id, count(*) FROM response GROUP BY pupil_code_id HAVING count(*) > 1"
        ).fetchall()
        duplicate_answers = connection.execute(
            "SELECT response_id, question_id, count(*) FROM answer "
            "GROUP BY response_id, question_id HAVING count(*) > 1"
        ).fetchall()
        (total,) = connection.execute("SELECT count(*) FROM response").fetchone()
    if total != len(responses):
        raise AssertionError(f"{total} responses, but {len(responses)} with a roster code")
    return responses, answers, duplicate_responses, duplicate_answers


def check(
    records: list[Record],
    url: str,
    exported: tuple[list[dict], list[dict]],
    questionnaire: questionnaires.Questionnaire,
) -> Findings:
    """Compare what every pupil saw saved with the database (SQL) and the export."""
    found = Findings(pupils=len(records))
    responses, answers, duplicate_responses, duplicate_answers = stored_answers(url)
    found.responses = len(responses)
    found.duplicated_responses = len(duplicate_responses)
    found.duplicated_answers = len(duplicate_answers)
    for row in [*duplicate_responses, *duplicate_answers][:3]:
        found.example(f"duplicated: {row}")
    pages = [(s.id, {q.id for q in s.questions}) for s in questionnaire.sections if s.only_in is None]
    by_reference = {r.reference: r for r in records}
    for reference in responses.keys() - by_reference.keys():
        found.unexpected_responses += 1
        found.example(f"response of a code no pupil used: {reference}")
    rows, texts = exported
    export_rows = {int(row["response_id"]): row for row in rows}
    export_texts: dict[int, dict[str, str]] = defaultdict(dict)
    for row in texts:
        export_texts[int(row["response_id"])][row["question_id"]] = row["text"]
    if len(export_rows) != len(responses):
        found.export_mismatches += abs(len(export_rows) - len(responses))
        found.example(f"the export has {len(export_rows)} responses, SQL {len(responses)}")
    columns = [q.id for q in questionnaire.questions if q.type != "text"]

    for record in records:
        found.finished += record.finished
        found.stuck += record.stuck is not None
        stored = responses.get(record.reference)
        if stored is None:
            if record.finished or (record.agreed and record.saved):
                found.lost_responses += 1
                found.example(f"{record.reference}: finished={record.finished} but no response")
            continue
        response_id, status = stored
        state = answers.get(response_id, {})
        # Every page all or nothing: its answers are one version the pupil sent, or none.
        for section_id, ids in pages:
            part = {qid: a for qid, a in state.items() if qid in ids}
            versions = [{qid: a for qid, a in s.items() if qid in ids} for s in record.sent]
            if part and part not in versions:
                found.half_written += 1
                found.example(f"{record.reference}: {section_id} holds {part}, never sent as such")
                break
        if record.finished:
            if status != "complete":
                found.lost_responses += 1
                found.example(f"{record.reference}: finished, but the response is {status}")
            wrong = sorted(
                q for q in state.keys() | record.expected.keys() if state.get(q) != record.expected.get(q)
            )
            if wrong:
                found.mismatched_answers += len(wrong)
                found.mismatched_responses += 1
                found.lost_saves += state in record.saved[:-1]
                q = wrong[0]
                found.example(f"{record.reference}: {q} is {state.get(q)}, saved {record.expected.get(q)}")
        else:
            if status == "complete" and not record.finish_sent:
                found.unexpected_responses += 1
                found.example(f"{record.reference}: complete, but the pupil never sent Finish")
            candidates = [record.expected, *record.unanswered]
            if state not in candidates:
                if state in record.saved[:-1]:
                    found.lost_saves += 1
                    found.example(f"{record.reference}: holds an earlier saved version")
                else:
                    found.half_written += 1
                    found.example(f"{record.reference}: in progress, answers match no saved page")
        # The export: the same values, cell by cell, and the free text.
        row = export_rows.get(response_id)
        if row is None:
            found.export_mismatches += 1
            found.example(f"{record.reference}: response {response_id} not in the export")
            continue
        if row["status"] != status:
            found.export_mismatches += 1
        # Finished pupils against what they saw saved; the others against SQL.
        truth = record.expected if record.finished else state
        for qid in columns:
            if row.get(qid, "") != export_cell(truth.get(qid)):
                found.export_mismatches += 1
                found.example(f"{record.reference}: export {qid}={row.get(qid)!r}, expected {truth.get(qid)}")
        wanted = {qid: a[2] for qid, a in truth.items() if a[2] is not None and not a[3]}
        if export_texts.get(response_id, {}) != wanted:
            found.export_mismatches += 1
            found.example(
                f"{record.reference}: free text exported {export_texts.get(response_id)}, wanted {wanted}"
            )
    return found


# -- a whole run ----------------------------------------------------------------------------------


@dataclass
class Options:
    pupils: int = 1000
    behaviour: Behaviour = field(default_factory=Behaviour)
    workers: int = 2
    threads: int = 4
    database_url: str = DEFAULT_DATABASE_URL
    redis_url: str = DEFAULT_REDIS_URL
    seed: int | None = None
    timeout: float = 900.0  # bound on the pupils' part
    kill_at: float = 0.15  # share of the pages saved when a worker is killed
    restart_at: float = 0.40  # ... and when the second instance is restarted
    quiet: bool = False


@dataclass
class Outcome:
    options: Options
    seed: int
    records: list[Record]
    stats: Stats
    findings: Findings
    faults: list[str]
    redis_keys: int
    setup_seconds: float
    total_seconds: float
    logs: dict[str, str]
    app_errors: Counter
    sabotaged: Findings | None = None

    @property
    def failed(self) -> bool:
        return bool(
            self.findings.failures()
            or self.stats.server_errors
            or self.app_errors
            or self.stats.shown_mismatches
            or self.findings.stuck
            or self.findings.finished < self.findings.pupils
            or len(self.faults) < 2
        )


def run_to_end(coroutine):
    """`asyncio.run`, in a thread of its own if this thread runs an event loop already (in the test
    suite, pytest-playwright's sync API leaves one running after the browser tests)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coroutine)
    with concurrent.futures.ThreadPoolExecutor(1) as thread:
        return thread.submit(asyncio.run, coroutine).result()


def run(options: Options, *, sabotage: Callable[[str, list[Record]], None] | None = None) -> Outcome:
    """The whole soak. `sabotage(url, records)`, if given, then spoils the database and the check runs
    again into `Outcome.sabotaged`: proof that the check can fail."""
    began = time.monotonic()
    seed = options.seed if options.seed is not None else secrets.randbelow(2**31)
    rng = random.Random(seed)
    say = (lambda *a: None) if options.quiet else (lambda *a: print(*a, flush=True))
    problem = services_problem(options.database_url, options.redis_url)
    if problem:
        raise SetupError(problem)
    keys = {"SECRET_KEY": secrets.token_hex(32), "CODE_HASH_KEY": secrets.token_hex(32)}
    config = serving.WorkerConfig(workers=options.workers, threads=options.threads)
    with (
        tempfile.TemporaryDirectory(prefix="soak-") as temp,
        soak_schema(options.database_url) as url,
        redis_prefix(options.redis_url) as (prefix, deleted),
    ):
        workdir = Path(temp)
        say(f"schema {make_url(url).query['application_name']}, Redis key prefix {prefix}, seed {seed}")
        prepared = prepare(url, keys, options.pupils, workdir, rng)
        say(f"schema ready with {options.pupils} codes after {time.monotonic() - began:.0f} s")
        env = {
            **os.environ,
            **keys,
            "DATABASE_URL": url,
            "RATELIMIT_STORAGE_URI": options.redis_url,
            "RATELIMIT_KEY_PREFIX": prefix,
            "LOCAL_HTTP": "true",  # plain http://127.0.0.1: no Secure flag on the session cookie
            "LOG_REQUESTS": "true",  # one JSON line a request; an unhandled exception with its frames
            "WEB_CONCURRENCY": str(options.workers),
            "GUNICORN_THREADS": str(options.threads),  # the app sizes its database pool to the threads
            "PYTHONUNBUFFERED": "1",
        }
        settings = {"RATELIMIT_KEY_PREFIX": prefix, "SESSION_COOKIE_SECURE": False}
        app = f"survey:create_app({settings!r})"
        instances = [
            Instance(n, app, env, config, workdir / f"{n}.log") for n in ("instance-1", "instance-2")
        ]
        faults: list[str] = []
        records = [Record(reference, code) for reference, code in prepared.pupils]
        client = Client(lambda: [i.base for i in instances], options.behaviour, options.pupils)
        try:
            for instance in instances:  # both at once: the app takes seconds to import
                instance.launch()
            for instance in instances:
                instance.wait()
            setup_seconds = time.monotonic() - began
            say(
                f"{options.pupils} pupils on {instances[0].base} and {instances[1].base} "
                f"(gunicorn {config} each, {' '.join(gunicorn_settings())}), "
                f"ready after {setup_seconds:.0f} s"
            )

            async def inject() -> None:
                pages = options.pupils * len(client.order)

                async def reach(share: float) -> bool:
                    while client.stats.saved_pages < share * pages:
                        if all(r.finished or r.stuck for r in records):
                            return False
                        await asyncio.sleep(0.05)
                    return True

                if await reach(options.kill_at):
                    pid = instances[0].kill_worker(rng)
                    at = time.perf_counter() - client.stats.started
                    faults.append(f"SIGKILL worker {pid} of {instances[0].name} at {at:.1f} s")
                    say(f"  {faults[-1]}")
                if await reach(options.restart_at):
                    at = time.perf_counter() - client.stats.started
                    stopped, down = await asyncio.to_thread(instances[1].restart)
                    faults.append(
                        f"restarted {instances[1].name} at {at:.1f} s (old master gone in {stopped:.1f} s, "
                        f"serving again after {down:.1f} s)"
                    )
                    say(f"  {faults[-1]}")

            run_to_end(drive_pupils(client, records, seed, options.timeout, inject))
        finally:
            for instance in instances:
                instance.stop()
            logs = {i.name: serving.tail(i.log, 15) for i in instances}
            app_errors = logged_errors([i.output for i in instances])
            if app_errors or client.stats.server_errors:  # keep the logs: the temporary folder goes
                kept = Path(tempfile.mkdtemp(prefix="soak-logs-"))
                for instance in instances:
                    for path in (instance.log, instance.output):
                        if path.exists():
                            shutil.copy(path, kept / path.name)
                logs["kept in"] = str(kept)
        findings = check(records, url, export(url, keys, prepared.wave, workdir), client.questionnaire)
        sabotaged = None
        if sabotage is not None:  # spoil the database on purpose: the check must see it
            sabotage(url, records)
            sabotaged = check(records, url, export(url, keys, prepared.wave, workdir), client.questionnaire)
    return Outcome(
        options,
        seed,
        records,
        client.stats,
        findings,
        faults,
        deleted[0] if deleted else 0,
        setup_seconds,
        time.monotonic() - began,
        logs,
        app_errors,
        sabotaged,
    )


def report(outcome: Outcome) -> str:
    s, f = outcome.stats, outcome.findings
    answers = s.answer_posts
    p50, p95, p99 = (serving.percentile(answers, p) for p in (50, 95, 99))
    lines = [
        f"pupils                  {f.pupils}",
        f"finished                {f.finished}   (stuck: {f.stuck})",
        f"requests sent           {s.requests} in {s.seconds:.1f} s, {s.requests / s.seconds:.1f} /s",
        f"answer posts            {len(answers)}",
        f"answer post latency     p50 {p50:.1f} ms, p95 {p95:.1f} ms, p99 {p99:.1f} ms",
        f"pages saved             {s.saved_pages}",
        f"connection errors       {s.connection_errors}   retries {s.retries}",
        f"5xx answers             {s.server_errors}",
        f"double submits          {s.double_submits}   (at once: {s.concurrent_double_submits})",
        f"back-navigations        {s.back_navigations}",
        f"wrong codes first       {s.wrong_codes}  (rate-limit keys in Redis: {outcome.redis_keys}, deleted)",
        f"faults                  {'; '.join(outcome.faults) or 'none injected'}",
        f"responses in SQL        {f.responses}",
        f"lost responses          {f.lost_responses}",
        f"duplicated responses    {f.duplicated_responses}   duplicated answers {f.duplicated_answers}",
        f"mismatched answers      {f.mismatched_answers}   (in {f.mismatched_responses} responses; "
        f"lost saves {f.lost_saves})",
        f"export mismatches       {f.export_mismatches}",
        f"half-written responses  {f.half_written}",
        f"pages shown unlike saved {s.shown_mismatches}",
        f"setup {outcome.setup_seconds:.0f} s, whole run {outcome.total_seconds:.0f} s, seed {outcome.seed}",
    ]
    for key, n in outcome.app_errors.most_common(10):
        lines.append(f"  {n:5d} × logged by the app: {key}")
    for key, n in s.errors.most_common(10):
        example = f"   e.g. {s.examples[key][:150]}" if s.examples.get(key) else ""
        lines.append(f"  {n:5d} × {key}{example}")
    lines += [f"  {example[:200]}" for example in f.examples]
    lines.append("RESULT: FAILED" if outcome.failed else "RESULT: nothing lost, duplicated or half-written")
    return "\n".join(lines)


def arguments() -> Options:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pupils", type=int, default=1000, help="simulated pupils at once (default 1000)")
    parser.add_argument(
        "--think",
        type=float,
        default=0.3,
        help="mean seconds before each form, 0 to twice this (default 0.3)",
    )
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers per instance (default 2)")
    parser.add_argument("--threads", type=int, default=4, help="threads per worker (default 4)")
    parser.add_argument(
        "--database-url", default=DEFAULT_DATABASE_URL, help="PostgreSQL to make the schema in"
    )
    parser.add_argument("--redis-url", default=DEFAULT_REDIS_URL, help="Redis for the rate limits")
    parser.add_argument("--seed", type=int, default=None, help="random seed")
    parser.add_argument(
        "--timeout", type=float, default=900.0, help="bound on the pupils' part (default 900 s)"
    )
    parser.add_argument(
        "--retry-seconds",
        type=float,
        default=90.0,
        help="how long a pupil retries one request (default 90 s)",
    )
    given = parser.parse_args()
    return Options(
        pupils=given.pupils,
        behaviour=Behaviour(think=given.think, retry_seconds=given.retry_seconds),
        workers=given.workers,
        threads=given.threads,
        database_url=given.database_url,
        redis_url=given.redis_url,
        seed=given.seed,
        timeout=given.timeout,
    )


def main() -> int:
    options = arguments()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # so the clean-up runs
    print(f"Soak: {options.pupils} pupils, two instances, {os.cpu_count()} CPUs")
    outcome = run(options)
    print(report(outcome))
    if outcome.failed:
        for name, log in outcome.logs.items():
            print(f"{name}'s log:\n{log}")
    return 1 if outcome.failed else 0


def command_line() -> None:
    """`python bench/soak.py`: exit 0 if nothing was lost, 1 if something was, 2 if the setup failed."""
    try:
        sys.exit(main())
    except serving.SetupError as error:
        print(f"setup failed: {error}", file=sys.stderr)
        sys.exit(2)
    except KeyboardInterrupt:
        sys.exit(130)


if __name__ == "__main__":
    command_line()
