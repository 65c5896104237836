"""Configuration from the environment; every variable is listed in README.md and SECURITY.md."""

from __future__ import annotations

import os
from pathlib import Path

DEV_SECRET_KEY = "dev-only-secret-change-me"
TRUE = ("1", "true", "yes", "on")
HSTS = "max-age=31536000; includeSubDomains"


def flag(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    return default if value is None or not value.strip() else value.strip().lower() in TRUE


def number(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    return int(value) if value else default


def engine_options(database_url: str) -> dict:
    """SQLAlchemy engine options. On a database server, each gunicorn worker holds one pool: size it
    to the worker's threads, so that a thread never waits for a connection and many instances do not
    exhaust PostgreSQL's `max_connections` (instances × workers × (size + overflow) must fit).

    A request holds one connection, but can briefly need a second (the first page after a worker
    starts reads the questionnaire through the ORM; a double-submitted page is saved under a lock),
    so the overflow, which is opened only then and closed after, matches the threads too."""
    # Parameters are never formatted into error messages: they can hold pupils' answers.
    # Not `pool_pre_ping`, a round trip on every checkout: see survey/connections.py.
    options: dict = {"pool_pre_ping": False, "hide_parameters": True}
    if not database_url.startswith("sqlite"):
        threads = number("GUNICORN_THREADS", 4)
        options |= {
            "pool_size": number("DATABASE_POOL_SIZE", threads),
            "max_overflow": number("DATABASE_MAX_OVERFLOW", threads),
            "pool_timeout": number("DATABASE_POOL_TIMEOUT", 10),
            "pool_recycle": number("DATABASE_POOL_RECYCLE", 1800),
        }
    return options


def from_environment(instance_path: str) -> dict:
    database_url = os.environ.get("DATABASE_URL") or f"sqlite:///{Path(instance_path) / 'survey.db'}"
    # Heroku-style URLs name the old driver; SQLAlchemy needs the psycopg 3 dialect spelled out.
    if database_url.startswith(("postgres://", "postgresql://")):
        database_url = "postgresql+psycopg://" + database_url.split("://", 1)[1]
    secret_key = os.environ.get("SECRET_KEY", DEV_SECRET_KEY)
    # Served over HTTPS unless this is a developer's own machine reached on plain http://127.0.0.1
    # (`make demo`, browser tests, benchmarks): LOCAL_HTTP=true drops the Secure cookie flag and HSTS.
    local_http = flag("LOCAL_HTTP")
    return {
        "SECRET_KEY": secret_key,
        # Codes are kept only as keyed hashes; a separate key lets the session key rotate on its own.
        "CODE_HASH_KEY": os.environ.get("CODE_HASH_KEY", secret_key),
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SQLALCHEMY_ENGINE_OPTIONS": engine_options(database_url),
        "DATABASE_PING_AFTER_SECONDS": float(os.environ.get("DATABASE_PING_AFTER_SECONDS", "10")),
        "SERVICE_NAME": os.environ.get("SERVICE_NAME", "Pupil Voice"),
        "SERVICE_OWNER": os.environ.get("SERVICE_OWNER", "Your school and the national pupil voice team"),
        "PUPIL_IDLE_TIMEOUT_MINUTES": int(os.environ.get("PUPIL_IDLE_TIMEOUT_MINUTES", "20")),
        "STAFF_IDLE_TIMEOUT_MINUTES": int(os.environ.get("STAFF_IDLE_TIMEOUT_MINUTES", "30")),
        # A staff session ends this long after sign-in, however busy (the idle limit ends it sooner).
        "STAFF_SESSION_HOURS": float(os.environ.get("STAFF_SESSION_HOURS", "12")),
        "PASSWORD_RESET_HOURS": int(os.environ.get("PASSWORD_RESET_HOURS", "72")),
        "SIGN_IN_ATTEMPTS_PER_EMAIL": os.environ.get(
            "SIGN_IN_ATTEMPTS_PER_EMAIL", "5 per minute;20 per hour"
        ),
        "SIGN_IN_ATTEMPTS_PER_NETWORK": os.environ.get("SIGN_IN_ATTEMPTS_PER_NETWORK", "100 per hour"),
        "RETENTION_DAYS": int(os.environ.get("RETENTION_DAYS", str(3 * 365))),
        "BABEL_DEFAULT_LOCALE": "en",
        "LANGUAGES": ("en", "cy"),
        "LOCAL_HTTP": local_http,
        "HSTS": None if local_http else HSTS,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": not local_http,
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_SECURE": not local_http,
        # How many proxies (load balancer, ingress) sit in front of the app and set X-Forwarded-For
        # and X-Forwarded-Proto. 0: the headers are ignored, so a client cannot forge its address.
        "TRUSTED_PROXIES": number("TRUSTED_PROXIES", 0),
        "MAX_CONTENT_LENGTH": 5 * 1024 * 1024,
        # In memory by default (one process); set redis://… so many instances share one count.
        "RATELIMIT_STORAGE_URI": os.environ.get("RATELIMIT_STORAGE_URI", "memory://"),
        "RATELIMIT_KEY_PREFIX": os.environ.get("RATELIMIT_KEY_PREFIX", "pupil-voice"),
        # A Redis that hangs must not hang code entry and sign-in: give up after a second (see below).
        "RATELIMIT_STORAGE_OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        # If Redis cannot be reached, each instance goes on counting in its own memory (the limits
        # still hold, per instance) rather than failing the request; it goes back to Redis when it can.
        "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": True,
        "RATELIMIT_HEADERS_ENABLED": True,
        "CODE_ATTEMPTS_PER_CLIENT": os.environ.get("CODE_ATTEMPTS_PER_CLIENT", "10 per minute;40 per hour"),
        "CODE_ATTEMPTS_PER_NETWORK": os.environ.get("CODE_ATTEMPTS_PER_NETWORK", "300 per hour"),
        # One JSON line a request (no personal data) on standard error; LOG_REQUESTS=false turns it off.
        "LOG_REQUESTS": flag("LOG_REQUESTS", True),
        "INSTANCE_NAME": os.environ.get("INSTANCE_NAME", ""),
        # Safeguarding alert emails to a school's DSL (survey/alerts.py). No SMTP_HOST: no email;
        # concerns still appear at once on the DSL's "Needs attention" page.
        "SMTP_HOST": os.environ.get("SMTP_HOST", ""),
        "SMTP_PORT": number("SMTP_PORT", 587 if flag("SMTP_STARTTLS") else 25),
        "SMTP_FROM": os.environ.get("SMTP_FROM", "pupil-voice@localhost"),
        "SMTP_USERNAME": os.environ.get("SMTP_USERNAME", ""),
        "SMTP_PASSWORD": os.environ.get("SMTP_PASSWORD", ""),
        "SMTP_STARTTLS": flag("SMTP_STARTTLS"),
        "SMTP_TIMEOUT": number("SMTP_TIMEOUT", 10),
        # Results releases (survey/results): the worker's queue, when releases are published (cron,
        # UTC; nightly by default, and whenever a wave closes), and how many new complete responses
        # a school needs before its figures change (never fewer than 10).
        "RESULTS_REDIS_URL": os.environ.get("RESULTS_REDIS_URL", "redis://127.0.0.1:6379/0"),
        "RESULTS_RELEASE_SCHEDULE": os.environ.get("RESULTS_RELEASE_SCHEDULE", "0 2 * * *"),
        "RELEASE_MIN_NEW": max(10, int(os.environ.get("RELEASE_MIN_NEW", "10"))),
    }
