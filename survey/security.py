"""Security headers for every response, and a per-request nonce for the template's one inline script.

GOV.UK Frontend's page template has a one-line inline `<script>` that adds the `js-enabled` class to
<body>; it carries `nonce="{{ cspNonce }}"`, so the Content Security Policy can forbid every other
inline script and all inline styles.

Every response also gets: `X-Content-Type-Options`, `Referrer-Policy`, `X-Frame-Options` (for
browsers older than `frame-ancestors`), `Strict-Transport-Security` unless the app runs with
LOCAL_HTTP=true (see config.py), and `Cache-Control: no-store` unless the view chose its own (pages
are read on shared school computers: Back or the cache must not show the last user's page).
Static files keep Flask's own caching.

Behind a load balancer, TRUSTED_PROXIES=n takes the client's address and scheme from the last n
X-Forwarded-For / X-Forwarded-Proto entries, so the per-network rate limits count real clients.
"""

from __future__ import annotations

import secrets

from flask import Flask, Response, abort, g, request
from werkzeug.middleware.proxy_fix import ProxyFix

CSP = (
    "default-src 'self'; "
    "script-src 'self' 'nonce-{nonce}'; "
    "style-src 'self'; "
    "img-src 'self' data:; "
    "object-src 'none'; "
    "base-uri 'none'; "
    "form-action 'self'; "
    "frame-ancestors 'none'"
)


def csp_nonce() -> str:
    """The nonce for this request, made on first use (error handlers may run before `before_request`)."""
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(18)
    return g.csp_nonce


def reject_unnamed_fields(app: Flask) -> None:
    """A multipart post may carry a part with no field name, which Werkzeug keeps under the key None;
    Flask-WTF's CSRF check then fails on it with a server error. No form here has such a field: it
    is a bad request. Registered before the CSRF check, which runs as a before_request hook too."""

    @app.before_request
    def unnamed_field_is_a_bad_request() -> None:
        multipart = request.method == "POST" and request.mimetype == "multipart/form-data"
        if multipart and (None in request.form or None in request.files):
            abort(400)


def init_app(app: Flask) -> None:
    proxies = int(app.config.get("TRUSTED_PROXIES") or 0)
    if proxies > 0:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies)  # type: ignore[method-assign]
    if app.config.get("LOCAL_HTTP"):
        # Plain http on a developer's machine: a Secure cookie would not come back from some clients.
        app.config["SESSION_COOKIE_SECURE"] = app.config["REMEMBER_COOKIE_SECURE"] = False
        app.config["HSTS"] = None
    hsts = app.config.get("HSTS")

    @app.before_request
    def make_nonce() -> None:
        csp_nonce()

    @app.context_processor
    def nonce() -> dict:
        return {"cspNonce": csp_nonce()}

    @app.after_request
    def security_headers(response: Response) -> Response:
        headers = response.headers
        headers.setdefault("Content-Security-Policy", CSP.format(nonce=csp_nonce()))
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("Referrer-Policy", "same-origin")
        headers.setdefault("X-Frame-Options", "DENY")
        if hsts:
            headers.setdefault("Strict-Transport-Security", hsts)
        if "Cache-Control" not in headers and request.endpoint != "static":
            headers["Cache-Control"] = "no-store"
        return response
