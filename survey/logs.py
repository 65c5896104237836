"""Structured logs: one JSON line a request and one a server error, with no personal data.

A request line holds the method, the endpoint and its URL rule (`/section/<section_id>`, never the
path as sent: paths carry ids and reset tokens, query strings carry anything), the status, the time
taken in milliseconds, the instance and the worker's process id:

    {"time": "2026-11-23T16:40:01.123Z", "level": "info", "event": "request", "method": "POST",
     "endpoint": "pupil.section", "rule": "/section/<section_id>", "status": 302, "ms": 11.8,
     "instance": "web-1", "pid": 4242}

Never logged: pupil codes, answers, free text, emails, passwords, IP addresses, cookies, headers,
form values, query strings or raw paths. An unhandled exception is logged as its type and the
frames it went through (file, line, function), without its message, which can quote user input or
SQL parameters; Flask's "Exception on /path" message is replaced by the endpoint. Flask-Limiter's
"limit exceeded" line loses its key (an email address or an IP address). Successful health checks
are not logged (a load balancer asks every few seconds).
"""

from __future__ import annotations

import functools
import json
import logging
import os
import socket
import sys
import time
import traceback
from pathlib import Path

from flask import Flask, g, has_request_context, request

LOGGER = "survey"
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
ROOT = str(Path(__file__).resolve().parent.parent) + os.sep
MAX_FRAMES = 12

request_log = logging.getLogger("survey.requests")


def _where() -> dict:
    """Method and endpoint of the request being handled, if any: never its path or its data."""
    if not has_request_context():
        return {}
    rule = request.url_rule
    return {
        "method": request.method if request.method in METHODS else "other",
        "endpoint": request.endpoint,
        "rule": rule.rule if rule is not None else None,
    }


def _name(kind: type) -> str:
    return kind.__qualname__ if kind.__module__ == "builtins" else f"{kind.__module__}.{kind.__qualname__}"


def _frames(exc_info) -> list[str]:
    frames = traceback.extract_tb(exc_info[2])[-MAX_FRAMES:]
    return [f"{f.filename.removeprefix(ROOT)}:{f.lineno} in {f.name}" for f in frames]


class NoPersonalData(logging.Filter):
    """On the `survey` logger (Flask's app.logger): an exception becomes its type and frames.

    Runs before any handler sees the record, so the message and traceback text are gone for every
    handler, a test's caplog included.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and record.exc_info[0] is not None:
            record.error = _name(record.exc_info[0])
            record.frames = _frames(record.exc_info)
            record.msg, record.args = "unhandled exception", ()
            record.exc_info, record.exc_text, record.stack_info = None, None, None
            record.event = "error"
            record.__dict__.update(_where())
        return True


class LimiterKeyFilter(logging.Filter):
    """Flask-Limiter logs "ratelimit 5 per 1 minute (KEY) exceeded at endpoint: scope" at info,
    where KEY is an email address or an IP address: keep the limit and the scope, drop the key."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args if isinstance(record.args, tuple) else ()
        if isinstance(record.msg, str) and record.msg.startswith("ratelimit ") and len(args) == 3:
            limit, _, scope = args
            record.msg, record.args = "ratelimit %s exceeded at endpoint: %s", (limit, scope)
            record.event = "rate_limited"
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object a line. Extra fields come from the record (`extra=` or the filters above)."""

    FIELDS = ("event", "method", "endpoint", "rule", "status", "ms", "error", "frames")

    def __init__(self, instance: str) -> None:
        super().__init__()
        self.instance = instance
        self._instance_json = json.dumps(instance)
        self._second, self._time_prefix = -1, ""

    def _time(self, created: float) -> str:
        second = int(created)
        if second != self._second:  # strftime once a second, not once a line
            self._second = second
            self._time_prefix = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(second))
        return f"{self._time_prefix}.{int((created - second) * 1000):03d}Z"

    def format(self, record: logging.LogRecord) -> str:
        fields = record.__dict__
        if fields.get("event") == "request" and record.name == request_log.name:
            return self._request_line(record, fields)
        line: dict[str, object] = {
            "time": self._time(record.created),
            "level": record.levelname.lower(),
            "logger": record.name,
        }
        for name in self.FIELDS:
            if name in fields:
                line[name] = fields[name]
        line["message"] = record.getMessage()
        if record.exc_info:  # a logger other than `survey`: type and frames only, as above
            line["error"] = _name(record.exc_info[0]) if record.exc_info[0] else None
            line["frames"] = _frames(record.exc_info)
        line["instance"] = self.instance
        line["pid"] = record.process
        return json.dumps(line, separators=(",", ":"), default=str)

    def _request_line(self, record: logging.LogRecord, fields: dict) -> str:
        """The one line of every request, built without json.dumps of a dict: it runs on every page."""
        ms = fields.get("ms")
        return (
            f'{{"time":"{self._time(record.created)}","level":"info","logger":"{record.name}",'
            f'"event":"request","method":"{fields["method"]}","endpoint":{_json(fields["endpoint"])},'
            f'"rule":{_json(fields["rule"])},"status":{int(fields["status"])},'
            f'"ms":{"null" if ms is None else float(ms)},"instance":{self._instance_json},'
            f'"pid":{record.process}}}'
        )


@functools.lru_cache(maxsize=1024)
def _json(value: str | None) -> str:
    """JSON of an endpoint name or URL rule: a few hundred values, fixed by the code, so cached."""
    return json.dumps(value)


class StandardError(logging.StreamHandler):
    """Writes to whatever sys.stderr is at the time (pytest swaps it), not the one at start-up."""

    @property
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, value) -> None:
        pass


_handler: logging.Handler | None = None


def _install_handler(instance: str) -> None:
    """One JSON handler on standard error for the process, however many apps it makes (tests)."""
    global _handler
    if _handler is not None:
        return
    _handler = StandardError()
    _handler.setFormatter(JsonFormatter(instance))
    survey = logging.getLogger(LOGGER)
    survey.addHandler(_handler)
    survey.setLevel(logging.INFO)
    limiter = logging.getLogger("flask-limiter")
    limiter.addHandler(_handler)
    limiter.setLevel(logging.INFO)
    # Under `flask run` (make demo) werkzeug would also log each request with the client's address
    # and the query string; our line replaces it. Its warnings and errors still show.
    logging.getLogger("werkzeug").setLevel(logging.WARNING)


def init_app(app: Flask) -> None:
    survey = logging.getLogger(LOGGER)
    if not any(isinstance(f, NoPersonalData) for f in survey.filters):
        survey.addFilter(NoPersonalData())
    limiter = logging.getLogger("flask-limiter")
    if not any(isinstance(f, LimiterKeyFilter) for f in limiter.filters):
        limiter.addFilter(LimiterKeyFilter())
    if not app.config.get("LOG_REQUESTS", True):
        return
    _install_handler(app.config.get("INSTANCE_NAME") or socket.gethostname())
    info = logging.INFO
    log = request_log

    @app.before_request
    def start_clock() -> None:
        g.request_started = time.perf_counter()

    @app.after_request
    def log_request(response):
        status = response.status_code
        endpoint = request.endpoint
        if endpoint == "health.healthz" and status == 200:
            return response
        if log.isEnabledFor(info):
            started = g.get("request_started")
            rule = request.url_rule
            method = request.method
            # A record made directly: Logger.info would also look up the calling frame, for nothing.
            record = logging.LogRecord(log.name, info, __file__, 0, "request", (), None)
            record.event = "request"
            record.method = method if method in METHODS else "other"
            record.endpoint = endpoint
            record.rule = rule.rule if rule is not None else None
            record.status = status
            record.ms = round((time.perf_counter() - started) * 1000, 1) if started else None
            log.handle(record)
        return response
