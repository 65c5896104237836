"""Error pages: GOV.UK-style "there is a problem" pages with the right status codes."""

from __future__ import annotations

from flask import Flask, current_app, render_template
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

PAGES = (400, 403, 404, 405, 413, 429, 500)


def _headers(error: HTTPException) -> list[tuple[str, str]]:
    """Headers the error carries (Allow on 405, Retry-After on 429), without its Content-Type."""
    return [(name, value) for name, value in error.get_headers() if name.lower() != "content-type"]


def render_error(error: HTTPException, **context):
    code = error.code if error.code in PAGES else 500
    return render_template(f"errors/{code}.html", error=error, **context), code, _headers(error)


def csrf_error(error: CSRFError):
    # A missing or expired CSRF token: usually a form left open too long on a shared device.
    return render_error(error, timed_out=True)


def too_large(error: HTTPException):
    limit = current_app.config.get("MAX_CONTENT_LENGTH")
    megabytes = f"{limit / (1024 * 1024):g}" if limit else None
    return render_error(error, max_megabytes=megabytes)


def server_error(error: InternalServerError):
    return render_error(error)


def register(app: Flask) -> None:
    for code in (400, 403, 404, 405, 429):
        app.register_error_handler(code, render_error)
    app.register_error_handler(413, too_large)
    app.register_error_handler(CSRFError, csrf_error)
    # Also receives unhandled exceptions (as InternalServerError) when the app is not in debug mode.
    app.register_error_handler(InternalServerError, server_error)
