"""Configuration from the environment; every variable is listed in README.md."""

from __future__ import annotations

import os
from pathlib import Path


def from_environment(instance_path: str) -> dict:
    database_url = os.environ.get("DATABASE_URL") or f"sqlite:///{Path(instance_path) / 'survey.db'}"
    # Heroku-style URLs name the old driver; SQLAlchemy needs the psycopg 3 dialect spelled out.
    if database_url.startswith(("postgres://", "postgresql://")):
        database_url = "postgresql+psycopg://" + database_url.split("://", 1)[1]
    secret_key = os.environ.get("SECRET_KEY", "dev-only-secret-change-me")
    return {
        "SECRET_KEY": secret_key,
        # Codes are kept only as keyed hashes; a separate key lets the session key rotate on its own.
        "CODE_HASH_KEY": os.environ.get("CODE_HASH_KEY", secret_key),
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        "SERVICE_NAME": os.environ.get("SERVICE_NAME", "Pupil Voice"),
        "SERVICE_OWNER": os.environ.get("SERVICE_OWNER", "Your school and the national pupil voice team"),
        "PUPIL_IDLE_TIMEOUT_MINUTES": int(os.environ.get("PUPIL_IDLE_TIMEOUT_MINUTES", "20")),
        "STAFF_IDLE_TIMEOUT_MINUTES": int(os.environ.get("STAFF_IDLE_TIMEOUT_MINUTES", "30")),
        "PASSWORD_RESET_HOURS": int(os.environ.get("PASSWORD_RESET_HOURS", "72")),
        "SIGN_IN_ATTEMPTS_PER_EMAIL": os.environ.get(
            "SIGN_IN_ATTEMPTS_PER_EMAIL", "5 per minute;20 per hour"
        ),
        "SIGN_IN_ATTEMPTS_PER_NETWORK": os.environ.get("SIGN_IN_ATTEMPTS_PER_NETWORK", "100 per hour"),
        "RETENTION_DAYS": int(os.environ.get("RETENTION_DAYS", str(3 * 365))),
        "BABEL_DEFAULT_LOCALE": "en",
        "LANGUAGES": ("en", "cy"),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": os.environ.get("SESSION_COOKIE_SECURE", "false").lower() == "true",
        "MAX_CONTENT_LENGTH": 5 * 1024 * 1024,
        # In memory by default (one process); set redis://… so many instances share one count.
        "RATELIMIT_STORAGE_URI": os.environ.get("RATELIMIT_STORAGE_URI", "memory://"),
        "RATELIMIT_HEADERS_ENABLED": True,
        "CODE_ATTEMPTS_PER_CLIENT": os.environ.get("CODE_ATTEMPTS_PER_CLIENT", "10 per minute;40 per hour"),
        "CODE_ATTEMPTS_PER_NETWORK": os.environ.get("CODE_ATTEMPTS_PER_NETWORK", "300 per hour"),
    }
