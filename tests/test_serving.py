"""Serving in production: /healthz, the database pool from the environment, logs without personal
data, plain http for `make demo`, and gunicorn with survey/gunicorn_conf.py (`make serve`)."""

from __future__ import annotations

import http.cookiejar
import json
import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import request
from werkzeug.serving import make_server

from questionnaires import load
from survey import create_app
from survey.data.users import create_user
from survey.extensions import db
from survey.logs import JsonFormatter
from survey.models import Answer, Role, ScopeKind
from tests.conftest import make_app, migrate
from tests.pupil.conftest import new_code, school  # noqa: F401  (fixtures: a school and fresh codes)

ROOT = Path(__file__).resolve().parent.parent
SECONDARY = load("national-secondary")
EMAIL, PASSWORD = "zara.okonkwo@national.example", "a password nobody may log 7"
ADDRESS = "203.0.113.77"  # the client's IP address, as the app sees it
FREE_TEXT = "My name is Zebedee Quartz and I sit next to the radiator"


# /healthz ----------------------------------------------------------------------------------------


def test_healthz_says_ok_on_a_working_database(app):
    client = app.test_client()
    response = client.get("/healthz")
    assert (response.status_code, response.json) == (200, {"status": "ok"})
    assert response.headers["Cache-Control"] == "no-store"
    assert response.mimetype == "application/json"
    assert "Set-Cookie" not in response.headers
    assert client.head("/healthz").status_code == 200


@pytest.mark.parametrize(
    "url",
    [
        "sqlite:////nonexistent-folder/for/sure/survey.db",
        "postgresql+psycopg://survey:a-db-password@127.0.0.1:1/survey",  # nothing listens on port 1
    ],
    ids=["sqlite-missing-file", "postgresql-refused"],
)
def test_healthz_is_503_without_a_database_and_tells_nothing(url, caplog):
    app = make_app(url, TESTING=False)
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_data(as_text=True).strip() == '{"status":"unavailable"}'
    assert response.headers["Cache-Control"] == "no-store"
    assert "Set-Cookie" not in response.headers
    logged = "\n".join(JsonFormatter("test").format(record) for record in caplog.records)
    assert "OperationalError" in logged and "a-db-password" not in logged and "nonexistent" not in logged
    with app.app_context():
        db.engine.dispose()


def test_healthz_is_not_rate_limited_or_csrf_checked(database_url):
    app = make_app(database_url, WTF_CSRF_ENABLED=True, TESTING=False)
    client = app.test_client()
    assert all(client.get("/healthz").status_code == 200 for _ in range(30))
    assert client.post("/healthz").status_code == 405  # GET and HEAD only: nothing to protect
    with app.app_context():
        db.engine.dispose()


# The database pool -------------------------------------------------------------------------------


def test_the_pool_is_sized_from_the_environment(postgres_server, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", postgres_server)
    monkeypatch.setenv("DATABASE_POOL_SIZE", "3")
    monkeypatch.setenv("DATABASE_MAX_OVERFLOW", "1")
    monkeypatch.setenv("DATABASE_POOL_TIMEOUT", "7")
    monkeypatch.setenv("DATABASE_POOL_RECYCLE", "600")
    app = create_app({"TESTING": True})
    with app.app_context():
        pool = db.engine.pool
        assert (pool.size(), pool._max_overflow, pool.timeout(), pool._recycle) == (3, 1, 7, 600)
        assert db.engine.hide_parameters
        assert app.test_client().get("/healthz").status_code == 200
        db.engine.dispose()


def test_the_pool_defaults_to_the_threads_of_a_gunicorn_worker(postgres_server, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", postgres_server)
    for name in ("DATABASE_POOL_SIZE", "DATABASE_MAX_OVERFLOW", "GUNICORN_THREADS"):
        monkeypatch.delenv(name, raising=False)
    app = create_app({"TESTING": True})
    with app.app_context():
        assert (db.engine.pool.size(), db.engine.pool._max_overflow) == (4, 4)
        db.engine.dispose()
    monkeypatch.setenv("GUNICORN_THREADS", "8")
    app = create_app({"TESTING": True})
    with app.app_context():
        assert db.engine.pool.size() == 8
        db.engine.dispose()


def test_sql_errors_do_not_quote_what_was_saved(app):
    """A failed statement's message (which may reach a log) leaves out its parameters: answers."""
    with app.app_context():
        with pytest.raises(sa.exc.DBAPIError) as error:
            db.session.execute(sa.text("INSERT INTO no_such_table (x) VALUES (:x)"), {"x": FREE_TEXT})
        db.session.rollback()
    assert "Zebedee" not in str(error.value)


# Logs --------------------------------------------------------------------------------------------


def _everything_logged(caplog) -> str:
    formatter = JsonFormatter("test")
    lines = [formatter.format(record) for record in caplog.records]
    return "\n".join([caplog.text, *lines, *(record.getMessage() for record in caplog.records)])


def test_logs_hold_no_personal_data(database_url, new_code, caplog):  # noqa: F811
    caplog.set_level(logging.DEBUG)  # every logger, every level
    app = make_app(database_url, TESTING=False, SIGN_IN_ATTEMPTS_PER_EMAIL="2 per hour")

    @app.post("/test-only/boom")
    def boom():  # an unhandled exception whose message quotes what was typed
        raise ValueError(f"could not read {request.form['text']!r}")

    code = new_code()
    with app.app_context():
        create_user(email=EMAIL, password=PASSWORD, role=Role.REVIEWER, scope_kind=ScopeKind.NATIONAL,
                    actor="test")  # fmt: skip
        db.session.commit()

    pupil = app.test_client()
    pupil.environ_base["REMOTE_ADDR"] = ADDRESS
    assert pupil.post("/", data={"code": code.lower().replace("-", " ")}).location == "/before-you-start"
    assert pupil.post("/before-you-start", data={"choice": "yes"}).status_code == 302
    for section in SECONDARY.sections:
        if section.id == "your_say":
            break
        pupil.post(f"/section/{section.id}", data={"belong_part": "4"} if section.id == "belonging" else {})
    assert pupil.post("/section/your_say", data={"say_better": FREE_TEXT}).status_code == 302
    pupil.get(f"/section/your_say?code={code}&say_better={FREE_TEXT}")
    pupil.get(f"/no-such-page/{code}?email={EMAIL}")
    assert pupil.post("/test-only/boom", data={"text": FREE_TEXT}).status_code == 500

    staff = app.test_client()
    staff.environ_base["REMOTE_ADDR"] = ADDRESS
    for _ in range(2):
        assert (
            staff.post("/staff/sign-in", data={"email": EMAIL, "password": "wrong " + PASSWORD}).status_code
            == 200
        )
    assert staff.post("/staff/sign-in", data={"email": EMAIL, "password": PASSWORD}).status_code == 429
    app.config["SIGN_IN_ATTEMPTS_PER_EMAIL"] = "100 per hour"
    staff = app.test_client()
    assert (
        staff.post("/staff/sign-in", data={"email": f" {EMAIL.upper()} ", "password": PASSWORD}).status_code
        == 302
    )
    cookie = staff.get_cookie("session").value

    with app.app_context():
        saved = db.session.scalar(sa.select(Answer.text).where(Answer.question_id == "say_better"))
        db.session.rollback()
        db.engine.dispose()
    assert saved == FREE_TEXT  # it was really saved, so it really went through the app

    requests = [r for r in caplog.records if getattr(r, "event", None) == "request"]
    assert {r.endpoint for r in requests} >= {"pupil.start", "pupil.section", "auth.sign_in", None}
    assert {(r.endpoint, r.rule) for r in requests} >= {("pupil.section", "/section/<section_id>")}
    assert {r.status for r in requests} >= {200, 302, 404, 429, 500}
    assert all(isinstance(r.ms, float) and r.method in ("GET", "POST") for r in requests)
    errors = [r for r in caplog.records if getattr(r, "event", None) == "error"]
    assert [e.error for e in errors] == ["ValueError"] and errors[0].endpoint == "boom"
    assert any("tests/test_serving.py" in frame for frame in errors[0].frames)

    logged = _everything_logged(caplog)
    secrets = {
        "the code": code,
        "the code as typed": code.lower().replace("-", " "),
        "the code's letters": code.replace("-", ""),
        "the free text": "Zebedee",
        "the email": EMAIL.split("@")[0],
        "the password": PASSWORD,
        "the wrong password": "wrong " + PASSWORD,
        "the client's address": ADDRESS,
        "the session cookie": cookie[:20],
        "the query string": "say_better=",
    }
    leaked = {what for what, value in secrets.items() if value.lower() in logged.lower()}
    assert not leaked, f"the logs hold {leaked}"


def test_log_lines_are_json_with_the_documented_fields(app, capfd):
    app.test_client().get("/no-such-page")
    lines = [json.loads(line) for line in capfd.readouterr().err.splitlines() if line.startswith("{")]
    (line,) = [entry for entry in lines if entry.get("event") == "request"]
    assert set(line) == {"time", "level", "logger", "event", "method", "endpoint", "rule", "status", "ms",
                         "instance", "pid"}  # fmt: skip
    assert (line["method"], line["endpoint"], line["rule"], line["status"]) == ("GET", None, None, 404)
    assert line["pid"] == os.getpid()


def test_successful_health_checks_are_not_logged(app, caplog):
    caplog.set_level(logging.INFO)
    app.test_client().get("/healthz")
    assert not [r for r in caplog.records if getattr(r, "event", None) == "request"]


# Plain http for `make demo` ----------------------------------------------------------------------


def _served(app):
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    return server, f"http://127.0.0.1:{server.server_port}"


def _browser_sign_in(base: str) -> int:
    """Sign in the way a browser would over http: cookies kept by the standard library's cookie jar,
    which, like a browser, never sends a Secure cookie over plain http. Returns the status of the
    first staff page after signing in."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    page = opener.open(f"{base}/staff/sign-in").read().decode()
    token = page.split('name="csrf_token" type="hidden" value="', 1)[1].split('"', 1)[0]
    form = urllib.parse.urlencode({"email": EMAIL, "password": PASSWORD, "csrf_token": token}).encode()
    try:
        response = opener.open(f"{base}/staff/sign-in", data=form)
    except urllib.error.HTTPError as error:
        return error.code
    return response.status if response.url.startswith(f"{base}/review") else 401


@pytest.mark.parametrize("local_http", [True, False], ids=["LOCAL_HTTP", "https-only"])
def test_sign_in_over_plain_http_works_only_with_local_http(tmp_path, monkeypatch, local_http):
    url = f"sqlite:///{tmp_path / 'survey.db'}"
    migrate(url)
    monkeypatch.setenv("LOCAL_HTTP", "true" if local_http else "false")
    app = create_app(
        {"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "test", "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000"}
    )
    with app.app_context():
        create_user(email=EMAIL, password=PASSWORD, role=Role.REVIEWER, scope_kind=ScopeKind.NATIONAL,
                    actor="test")  # fmt: skip
        db.session.commit()
    server, base = _served(app)
    try:
        status = _browser_sign_in(base)
    finally:
        server.shutdown()
        server.server_close()
        with app.app_context():
            db.engine.dispose()
    # Without LOCAL_HTTP the session cookie is Secure: over http the browser never sends it back, so
    # the CSRF check fails (400). This is what `make demo` avoids by setting LOCAL_HTTP=true.
    assert status == (200 if local_http else 400)


def test_make_demo_serves_with_local_http_and_make_serve_does_not():
    dry_run = {
        target: subprocess.run(
            ["make", "-n", target, "PYTHON=true"], cwd=ROOT, capture_output=True, text=True, check=False
        ).stdout
        for target in ("demo", "serve")
    }
    assert "LOCAL_HTTP=true .venv/bin/flask --app survey run" in dry_run["demo"]
    assert "gunicorn --config python:survey.gunicorn_conf 'survey:create_app()'" in dry_run["serve"]
    assert "LOCAL_HTTP" not in dry_run["serve"]
    for target in ("demo", "serve"):
        assert "db upgrade" in dry_run[target] and "load-questionnaires" in dry_run[target]


# gunicorn ----------------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _gunicorn(env: dict) -> subprocess.Popen:
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "--config",
        "python:survey.gunicorn_conf",
        "survey:create_app()",
    ]
    return subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def test_gunicorn_refuses_to_serve_with_the_development_secret(tmp_path):
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}", "PORT": str(_free_port())}
    env.pop("SECRET_KEY", None)
    env.pop("LOCAL_HTTP", None)
    server = _gunicorn(env)
    _, err = server.communicate(timeout=120)
    assert server.returncode != 0
    assert "SECRET_KEY is not set" in err


def test_gunicorn_serves_health_and_json_logs_then_stops_gracefully(tmp_path):
    url = f"sqlite:///{tmp_path / 'survey.db'}"
    migrate(url)
    port = _free_port()
    env = {**os.environ, "DATABASE_URL": url, "PORT": str(port), "HOST": "127.0.0.1", "SECRET_KEY": "s" * 32,
           "WEB_CONCURRENCY": "2", "GUNICORN_THREADS": "2", "INSTANCE_NAME": "web-test"}  # fmt: skip
    env.pop("LOCAL_HTTP", None)
    server = _gunicorn(env)
    try:
        body = None
        for _ in range(600):  # until it answers (the app takes a few seconds to import), or it dies
            if server.poll() is not None:
                break
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as response:
                    body, headers = json.loads(response.read()), response.headers
                    break
            except OSError:
                time.sleep(0.2)
        assert body == {"status": "ok"}, server.stderr.read() if server.poll() is not None else "no answer"
        assert headers["Strict-Transport-Security"].startswith("max-age=31536000")
        with pytest.raises(urllib.error.HTTPError) as missing:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/no-such-page?code=ABCDE-23456", timeout=5)
        assert missing.value.code == 404
    finally:
        server.send_signal(signal.SIGTERM)
        _, err = server.communicate(timeout=60)
    assert server.returncode == 0, err
    lines = [json.loads(line) for line in err.splitlines() if line.startswith("{")]
    (request,) = [line for line in lines if line.get("event") == "request"]
    assert (request["endpoint"], request["status"], request["instance"]) == (None, 404, "web-test")
    assert request["pid"] != server.pid  # a worker answered, not the master
    assert "ABCDE" not in err and "Booting worker" in err and "gthread" in err
