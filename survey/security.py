"""Security headers for every response, and a per-request nonce for the template's one inline script.

GOV.UK Frontend's page template has a one-line inline `<script>` that adds the `js-enabled` class to
<body>; it carries `nonce="{{ cspNonce }}"`, so the Content Security Policy can forbid every other
inline script and all inline styles.
"""

from __future__ import annotations

import secrets

from flask import Flask, Response, g

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


def init_app(app: Flask) -> None:
    @app.before_request
    def make_nonce() -> None:
        csp_nonce()

    @app.context_processor
    def nonce() -> dict:
        return {"cspNonce": csp_nonce()}

    @app.after_request
    def security_headers(response: Response) -> Response:
        response.headers.setdefault("Content-Security-Policy", CSP.format(nonce=csp_nonce()))
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        return response
