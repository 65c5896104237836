"""gunicorn settings for production: `make serve`, or

    gunicorn -c python:survey.gunicorn_conf 'survey:create_app()'

Every setting can be changed from the environment (below) or on gunicorn's command line, which wins.
TLS ends at the load balancer in front; set TRUSTED_PROXIES (see SECURITY.md) so the app sees the
client's address for its rate limits.

- `gthread` workers: each worker process runs GUNICORN_THREADS threads (default 4); a slow client or
  a PostgreSQL round trip holds one thread, not the process. Workers default to the CPUs this
  process may use (WEB_CONCURRENCY sets them). Each worker has its own database pool, sized to its
  threads (config.py), so one instance holds at most workers × (DATABASE_POOL_SIZE +
  DATABASE_MAX_OVERFLOW) PostgreSQL connections.
- The app is loaded once in the master and forked (`preload_app`): a worker starts in milliseconds
  instead of the seconds pandas and SciPy take to import, so recycling workers is cheap. Each
  worker drops the database connections it inherited (none are opened before the fork, but a
  shared socket would corrupt both sides).
- `max_requests` with jitter recycles each worker after 1,000–1,100 requests, so a slow leak can
  never grow without bound and workers do not all restart at once.
- `timeout` kills a worker silent for 30 s; `graceful_timeout` lets in-flight requests finish for
  up to 30 s on a restart or SIGTERM (a pupil's save is never cut in half by a deploy).
- `keepalive` 5 s; behind a load balancer that reuses connections, set GUNICORN_KEEPALIVE above its
  idle timeout (e.g. 75 for a 60 s timeout) so gunicorn never closes a connection the balancer is
  about to use.
- Logs: the app writes one JSON line a request to standard error (survey/logs.py), so gunicorn's
  own access log is off. If you turn it on (GUNICORN_ACCESS_LOG=-), its format below has no path,
  no query string, no client address, no headers and no cookies.
"""

from __future__ import annotations

import os

from survey.config import DEV_SECRET_KEY, flag


def _cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def _env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    return int(value) if value else default


bind = f"{os.environ.get('HOST', '0.0.0.0')}:{_env_int('PORT', 8000)}"
worker_class = "gthread"
workers = _env_int("WEB_CONCURRENCY", max(_cpus(), 2))
threads = _env_int("GUNICORN_THREADS", 4)
preload_app = True
timeout = _env_int("GUNICORN_TIMEOUT", 30)
graceful_timeout = _env_int("GUNICORN_GRACEFUL_TIMEOUT", 30)
keepalive = _env_int("GUNICORN_KEEPALIVE", 5)
max_requests = _env_int("GUNICORN_MAX_REQUESTS", 1000)
max_requests_jitter = _env_int("GUNICORN_MAX_REQUESTS_JITTER", max_requests // 10)
# Refuse absurd request lines and headers before they reach the app.
limit_request_line = 4094
limit_request_fields = 100
limit_request_field_size = 8190

errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
accesslog = os.environ.get("GUNICORN_ACCESS_LOG") or None
access_log_format = (
    '{"event":"access","method":"%(m)s","status":"%(s)s","bytes":"%(B)s","ms":"%(M)s","pid":"%(p)s"}'
)
proc_name = "pupil-voice"
# gunicorn 27's control socket (~/.gunicorn/gunicorn.ctl) is one path for every instance on a host and
# nothing here uses it: off. Signals (HUP to reload, TERM to stop) still work.
control_socket_disable = True


def on_starting(server) -> None:
    """Refuse to serve with the development secret: sessions could be forged and codes hashed with a
    key anyone can read in the source."""
    secret = os.environ.get("SECRET_KEY", "")
    if (not secret or secret == DEV_SECRET_KEY) and not flag("LOCAL_HTTP"):
        raise SystemExit(
            "SECRET_KEY is not set: set it (and CODE_HASH_KEY) to long random values before serving. "
            "For plain http on your own machine only, set LOCAL_HTTP=true."
        )


def post_fork(server, worker) -> None:
    app = getattr(server.app, "callable", None)  # the preloaded Flask app
    if app is None:
        return
    from survey.extensions import db

    with app.app_context():
        db.engine.dispose(close=False)
