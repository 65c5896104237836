"""Pupil pages without Jinja on every request.

A question page is the same for every pupil on the same page of the same questionnaire, in the same
language and place in their route, except for the script nonce, the CSRF token, the form's address
and the questions' ticks; "Check your answers" differs only in the answers. So such a page is
rendered once with markers in those places, compacted, and kept per app; each request only joins
the pieces with its own values (escaped). Rendering the layout, GOV.UK Frontend's page template and
its macros took several milliseconds a page, and the summary list of "Check your answers" 10 ms.

Pages with errors are rare and are rendered in full.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from flask import current_app, render_template
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup, escape

from ...cache import KeyedCache
from ...security import csp_nonce
from .compact import compact


def marker(name: str) -> Markup:
    """A place for a per-request value. Private-use characters: they cannot come from a template,
    a questionnaire or a translation, and escaping leaves them alone."""
    return Markup(f"\ue000{name}\ue001")


_MARKER = re.compile("\ue000([a-z0-9_]+)\ue001")
NONCE, CSRF = "nonce", "csrf"
MAX_SHELLS = 2048  # a few per page, language and route; past that the least recently used go


@dataclass(frozen=True)
class Shell:
    pieces: tuple[str, ...]  # text, marker name, text, marker name, ..., text
    between: str = ""  # on a question page, what separates two questions

    def fill(self, values: Mapping[str, str]) -> str:
        values = {NONCE: csp_nonce(), CSRF: generate_csrf(), **values}
        return "".join(values[piece] if n % 2 else piece for n, piece in enumerate(self.pieces))


def _kept(key: tuple, make: Callable[[], Shell]) -> Shell:
    # Per app: the shells are cut from its templates, with its settings.
    shells = current_app.extensions.get("pupil_page_shells")
    if shells is None:
        shells = current_app.extensions.setdefault(
            "pupil_page_shells", KeyedCache[tuple, Shell]("pupil page shells", maxsize=MAX_SHELLS)
        )
    return shells.get(key, make)


def _cut(html: str) -> Shell:
    return Shell(tuple(_MARKER.split(compact(html))))


def render(key: tuple, template: str, values: Mapping[str, str], **context) -> str:
    """The page: `template` rendered with `context` (where per-request values are `marker`s) and kept
    under `key`, which must tell apart everything in `context` but the markers; with `values` (HTML,
    already escaped) in the markers, and this request's nonce and CSRF token."""
    return render_lazily(key, template, values, lambda: context)


def render_lazily(
    key: tuple, template: str, values: Mapping[str, str], make_context: Callable[[], dict]
) -> str:
    """`render`, with a context made only when the page is not kept yet (it may cost more than the page)."""

    def make() -> Shell:
        context = make_context()
        return _cut(
            render_template(template, **context, cspNonce=marker(NONCE), csrf_token=lambda: marker(CSRF))
        )

    return _kept(key, make).fill(values)


def render_once(key: tuple, make_page: Callable[[], str]) -> str:
    """A page with no per-request values but the nonce and CSRF token, rendered in full by `make_page`
    the first time; those two are then cut out of it into markers."""

    def make() -> Shell:
        html = (
            make_page().replace(csp_nonce(), str(marker(NONCE))).replace(generate_csrf(), str(marker(CSRF)))
        )
        return _cut(html)

    return _kept(key, make).fill({})


def section_page(questions: list[Markup], action: str, version: str, key: tuple, **context) -> str:
    """The question page for `context` (what section.html needs, besides `fields`, `errors`,
    `action` and `version`), with `questions` in it."""

    def make() -> Shell:
        # Two questions, to find what separates them (the end of one wrapper and the start of the next).
        first, second = marker("first"), marker("second")
        html = compact(
            render_template(
                "pupil/section.html",
                fields=[first, second],
                errors={},
                errors_list=[],
                action=marker("action"),
                version=marker("version"),
                cspNonce=marker(NONCE),
                csrf_token=lambda: marker(CSRF),
                **context,
            )
        )
        one, two = str(first), str(second)  # (Markup + str would escape the str)
        between = html[html.index(one) + len(one) : html.index(two)]
        html = html.replace(one + between + two, str(marker("questions")))
        return Shell(tuple(_MARKER.split(html)), between)

    found = _kept(("section", *key), make)
    values = {"action": str(escape(action)), "version": str(escape(version))}
    return found.fill({**values, "questions": found.between.join(questions)})
