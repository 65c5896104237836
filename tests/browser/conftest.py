"""Browser tests: Debian's Chromium through Playwright, against the app served on a free local port.

- `browser_type_launch_args` points pytest-playwright at `chromium` on the PATH (never a downloaded
  browser). Without it the browser tests are skipped locally and fail in CI (CI=true).
- `live_server` is the app on a migrated SQLite database, with the questionnaires loaded and CSRF on,
  served by werkzeug in a thread; pages use it as their base URL, so `page.goto("/")` works.
- `new_code("national-secondary")` gives a fresh pupil code for an open wave of that questionnaire.
- `run_axe(page)` / `assert_no_axe_violations(page)` check a page with axe-core (WCAG 2.2 A and AA).
- Every test fails if the browser saw a JavaScript error, a Content Security Policy violation or a
  response of 400 or more, or if the server raised an exception (`browser_problems`).
"""

from __future__ import annotations

import csv
import functools
import io
import os
import re
import shutil
import threading
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import NamedTuple

import pytest
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask import Flask, got_request_exception
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from survey import create_app
from survey.data.waves import issue_codes
from survey.extensions import db
from survey.models import School, Wave
from tests.conftest import migrate

ROOT = Path(__file__).resolve().parents[2]
AXE_SCRIPT = ROOT / "node_modules" / "axe-core" / "axe.min.js"
TRANSLATIONS = ROOT / "survey" / "translations"
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SECRET_KEY = "browser-test-secret"
ROSTER_BATCH = 300
SCHOOLS = {"national-secondary": 100001, "national-primary": 100002}
YEARS = {"national-secondary": range(7, 14), "national-primary": range(3, 7)}
GIAS_CSV = """URN,EstablishmentName,LA (code),LA (name),PhaseOfEducation (name),TypeOfEstablishment (name),Trusts (name),Postcode
100001,Hillside Academy,201,Northshire,Secondary,Academy converter,Hill Trust,AB1 2CD
100002,Brook Primary School,201,Northshire,Primary,Community school,,AB1 3CD
"""
ROSTER_COLUMNS = [
    "pupil_reference",
    "year_group",
    "gender",
    "ethnicity_major",
    "ethnicity_minor",
    "sen",
    "fsm",
    "eal",
    "looked_after",
    "class",
]
ETHNICITIES = [("WHIT", "WBRI"), ("ASIA", "APKN"), ("BLAC", "BAFR"), ("MIXD", "MWBC"), ("", "")]


def _in_ci() -> bool:
    return os.environ.get("CI", "").lower() == "true"


def _missing(message: str) -> None:
    if _in_ci():
        pytest.fail(f"{message} (CI must run the browser tests)", pytrace=False)
    pytest.skip(f"{message} — skipping the browser tests")


# The browser -----------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict) -> dict:
    executable = shutil.which("chromium")
    if executable is None:
        _missing("Debian's chromium is not on the PATH (`make chromium` installs it, as root)")
    return {
        **browser_type_launch_args,
        "executable_path": executable,
        "args": [*browser_type_launch_args.get("args", []), *CHROMIUM_ARGS],
    }


@pytest.fixture(scope="session")
def base_url(live_server: str) -> str:
    """pytest-playwright gives every context this base URL, so tests `page.goto("/")`.

    `browser_context_args` is left as it is: contexts keep the app's Content Security Policy
    (no `bypass_csp`), since `run_axe` does not need it.
    """
    return live_server


@pytest.fixture
def browser_problems() -> list[str]:
    """What went wrong in the browser during a test; tests that expect a problem may clear it."""
    return []


@pytest.fixture
def new_context(new_context, browser_problems: list[str]):
    """pytest-playwright's context factory, with every context watched for errors."""

    def make(**kwargs):
        context = new_context(**kwargs)
        watch(context, browser_problems)
        return context

    return make


def watch(context, problems: list[str]) -> None:
    """Record JavaScript errors, CSP violations (console errors) and responses of 400 or more."""

    def on_console(message) -> None:
        # "Failed to load resource" repeats a bad response, which on_response reports with its URL.
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            problems.append(f"console error on {message.page.url if message.page else '?'}: {message.text}")

    def on_response(response) -> None:
        if response.status >= 400:
            problems.append(f"{response.status} for {response.request.method} {response.url}")

    context.on("console", on_console)
    context.on("weberror", lambda error: problems.append(f"JavaScript error: {error.error}"))
    context.on("response", on_response)


@pytest.fixture(autouse=True)
def no_browser_or_server_problems(request, browser_problems: list[str]) -> Iterator[None]:
    """Fail a test whose pages had errors or whose requests raised an exception in the app."""
    errors = request.getfixturevalue("server_errors") if "server_errors" in request.fixturenames else []
    errors.clear()
    yield
    found = [*browser_problems, *(f"server exception: {e!r}" for e in errors)]
    errors.clear()
    assert not found, "problems in the browser or the app:\n" + "\n".join(found)


# axe-core --------------------------------------------------------------------------------------------


@functools.cache
def _axe_script() -> str:
    if not AXE_SCRIPT.exists():
        _missing(f"{AXE_SCRIPT.relative_to(ROOT)} is missing (run `npm ci`)")
    return AXE_SCRIPT.read_text(encoding="utf-8")


def run_axe(page) -> list[dict]:
    """The page's axe-core violations of WCAG 2.0, 2.1 and 2.2 A and AA.

    axe is evaluated through the DevTools protocol rather than added as a <script> tag: the app's
    Content Security Policy rightly refuses inline scripts (`page.add_script_tag` would need a
    context with `bypass_csp=True`, which would also hide the app's own CSP mistakes).
    """
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(_axe_script())
    return page.evaluate(
        "async (tags) => (await axe.run(document, {runOnly: {type: 'tag', values: tags},"
        " resultTypes: ['violations']})).violations",
        WCAG_TAGS,
    )


def describe_violations(violations: list[dict]) -> str:
    lines = []
    for violation in violations:
        lines.append(f"- {violation['id']} ({violation['impact']}): {violation['help']}")
        for node in violation["nodes"]:
            lines.append(f"    {' '.join(map(str, node['target']))}: {node['html'][:160]}")
            messages = [check["message"] for check in node.get("any", []) + node.get("all", [])]
            if messages:
                lines.append(f"      {messages[0]}")
    return "\n".join(lines)


def assert_no_axe_violations(page, where: str = "") -> None:
    violations = run_axe(page)
    if violations:
        report = describe_violations(violations)
        print(f"axe violations on {where or page.url}:\n{report}")
        raise AssertionError(f"{len(violations)} axe violation(s) on {where or page.url}:\n{report}")


# Layout ----------------------------------------------------------------------------------------------

OVERFLOW = """() => {
  const root = document.documentElement;
  const width = root.clientWidth;
  const wide = [...document.querySelectorAll('body *')]
    .filter((e) => e.getBoundingClientRect().right > width + 0.5)
    .slice(0, 5)
    .map((e) => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') + (e.className && typeof e.className === 'string' ? '.' + e.className.trim().split(/\\s+/).join('.') : ''));
  return {scrollWidth: root.scrollWidth, clientWidth: width, innerWidth: window.innerWidth, wide};
}"""
NARROW = {"width": 320, "height": 640}


def assert_no_horizontal_scroll(page, where: str = "") -> None:
    """At 320 CSS pixels (WCAG 1.4.10 Reflow) the page must not scroll sideways."""
    size = page.viewport_size
    page.set_viewport_size(NARROW)
    try:
        layout = page.evaluate(OVERFLOW)
    finally:
        if size:
            page.set_viewport_size(size)
    assert layout["scrollWidth"] <= layout["clientWidth"], (
        f"{where or page.url} scrolls sideways at 320px: scrollWidth {layout['scrollWidth']} > "
        f"{layout['clientWidth']}; widest elements: {layout['wide']}"
    )


# Welsh -----------------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def compiled_welsh() -> None:
    """Compile the Welsh catalogue if it is missing or older than the .po (`make` normally does this)."""
    for po in TRANSLATIONS.glob("*/LC_MESSAGES/messages.po"):
        mo = po.with_suffix(".mo")
        if not mo.exists() or mo.stat().st_mtime < po.stat().st_mtime:
            with po.open("rb") as source:
                catalogue = read_po(source, locale=po.parent.parent.name)
            with mo.open("wb") as target:
                write_mo(target, catalogue)


@pytest.fixture(scope="session")
def translate(compiled_welsh) -> Callable[[str, str], str]:
    """translate("Start", "cy") → the text the app shows for it (the English if not translated yet)."""
    from babel.support import Translations

    catalogues = {"cy": Translations.load(str(TRANSLATIONS), ["cy"])}

    def text(message: str, language: str) -> str:
        return catalogues[language].gettext(message) if language in catalogues else message

    return text


# The app ---------------------------------------------------------------------------------------------


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, code="-", size="-") -> None:  # only problems, not every asset
        if str(code)[:1] in ("4", "5"):
            super().log_request(code, size)


@pytest.fixture(scope="session")
def server_errors() -> list[BaseException]:
    return []


LIVE_CONFIG = {
    "TESTING": False,  # as in production: error pages, not tracebacks
    "WTF_CSRF_ENABLED": True,  # real forms with real tokens
    "SECRET_KEY": SECRET_KEY,
    "CODE_HASH_KEY": "browser-test-code-key",
    "SERVICE_NAME": "Pupil Voice",
    "SERVICE_OWNER": "Your school and the national pupil voice team",
    "PUPIL_IDLE_TIMEOUT_MINUTES": 20,
    "SESSION_COOKIE_SECURE": False,
    "RATELIMIT_STORAGE_URI": "memory://",
}


class LiveServer(NamedTuple):
    app: Flask
    url: str


@pytest.fixture(scope="session")
def start_live_server(tmp_path_factory, compiled_welsh, server_errors) -> Iterator[Callable[..., LiveServer]]:
    """start_live_server(**config) → the app (LIVE_CONFIG with `config` on top) on a fresh migrated
    SQLite database with the questionnaires loaded, served on a free port of 127.0.0.1 until the
    end of the session. start_live_server(database_url, ...) serves a database of the caller's
    (migrated, with the questionnaires loaded) instead."""
    started: list[tuple[LiveServer, BaseWSGIServer, threading.Thread]] = []

    def start(database_url: str | None = None, **config) -> LiveServer:
        url = database_url
        if url is None:
            url = f"sqlite:///{tmp_path_factory.mktemp('browser') / 'survey.db'}"
            migrate(url)
        app = create_app({**LIVE_CONFIG, "SQLALCHEMY_DATABASE_URI": url, **config})
        if database_url is None:
            result = app.test_cli_runner().invoke(args=["load-questionnaires"])
            assert result.exit_code == 0, result.output
        # weak=False: blinker holds receivers weakly, and a lambda would be collected at once.
        got_request_exception.connect(
            lambda sender, exception, **extra: server_errors.append(exception), app, weak=False
        )
        server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=_QuietHandler)
        thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
        thread.start()
        live = LiveServer(app, f"http://127.0.0.1:{server.server_port}")
        started.append((live, server, thread))
        return live

    yield start
    for live, server, thread in reversed(started):
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()
        with live.app.app_context():
            db.engine.dispose()


@pytest.fixture(scope="session")
def default_server(start_live_server) -> LiveServer:
    return start_live_server()


@pytest.fixture(scope="session")
def live_app(default_server: LiveServer) -> Flask:
    return default_server.app


@pytest.fixture(scope="session")
def live_server(default_server: LiveServer) -> str:
    """The app served on a free port of 127.0.0.1: its base URL."""
    return default_server.url


@pytest.fixture(scope="session")
def short_timeout_server(start_live_server) -> LiveServer:
    """The app with a one-minute idle timeout and CSRF off (tests sign in with plain posts)."""
    return start_live_server(PUPIL_IDLE_TIMEOUT_MINUTES=1, WTF_CSRF_ENABLED=False)


def _run(app, *args: str) -> str:
    result = app.test_cli_runner().invoke(args=list(args))
    assert result.exit_code == 0, f"flask {' '.join(args)} failed:\n{result.output}"
    return result.output


def _roster(questionnaire_id: str, start: int, count: int) -> str:
    years = list(YEARS[questionnaire_id])
    prefix = "S" if questionnaire_id == "national-secondary" else "P"
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(ROSTER_COLUMNS)
    for n in range(start, start + count):
        year = years[n % len(years)]
        major, minor = ETHNICITIES[n % len(ETHNICITIES)]
        writer.writerow(
            [
                f"{prefix}{n:05d}",
                year,
                "FMO"[n % 3],
                major,
                minor,
                "NNNKE"[n % 5],
                "YN"[n % 2],
                "NNY"[n % 3],
                "N" if n % 17 else "Y",
                f"{year}{'ABC'[n % 3]}",
            ]
        )
    return out.getvalue()


@pytest.fixture(scope="session")
def new_code(live_app, live_server, tmp_path_factory) -> Callable[[str], str]:
    """new_code("national-secondary") → a fresh, unused code for an open wave of that questionnaire."""
    return code_maker(live_app, tmp_path_factory.mktemp("cli"))


def code_maker(live_app: Flask, folder: Path) -> Callable[[str], str]:
    """A new_code function for `live_app`: schools, waves and rosters go in through the CLI."""
    waves: dict[str, int] = {}
    rostered: dict[str, int] = {}

    def setup(questionnaire_id: str) -> int:
        if not waves:
            schools = folder / "schools.csv"
            schools.write_text(GIAS_CSV, encoding="utf-8")
            _run(live_app, "import-schools", str(schools))
        today = date.today()
        output = _run(
            live_app,
            "create-wave",
            "--questionnaire",
            questionnaire_id,
            "--name",
            "Browser tests",
            "--opens",
            (today - timedelta(days=1)).isoformat(),
            "--closes",
            (today + timedelta(days=30)).isoformat(),
            "--school",
            str(SCHOOLS[questionnaire_id]),
        )
        waves[questionnaire_id] = int(re.search(r"wave (\d+) created", output).group(1))
        rostered[questionnaire_id] = 0
        return waves[questionnaire_id]

    def add_roster(questionnaire_id: str) -> None:
        path = folder / f"roster-{questionnaire_id}-{rostered[questionnaire_id]}.csv"
        path.write_text(_roster(questionnaire_id, rostered[questionnaire_id], ROSTER_BATCH), encoding="utf-8")
        _run(
            live_app,
            "import-roster",
            "--wave",
            str(waves[questionnaire_id]),
            "--school",
            str(SCHOOLS[questionnaire_id]),
            str(path),
        )
        rostered[questionnaire_id] += ROSTER_BATCH

    def make(questionnaire_id: str = "national-secondary") -> str:
        if questionnaire_id not in waves:
            setup(questionnaire_id)
            add_roster(questionnaire_id)
        with live_app.app_context():
            wave = db.session.get(Wave, waves[questionnaire_id])
            school = db.session.scalar(db.select(School).filter_by(urn=SCHOOLS[questionnaire_id]))
            issued = issue_codes(wave, school, actor="test", limit=1)
            if not issued:  # every roster entry has a code: add more pupils
                db.session.rollback()
                add_roster(questionnaire_id)
                issued = issue_codes(wave, school, actor="test", limit=1)
            db.session.commit()
            ((_, code),) = issued
            return code

    return make
