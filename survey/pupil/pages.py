"""Question pages without Jinja on every request.

A question page is the same for every pupil on the same page of the same questionnaire, in the same
language and place in their route, except for the script nonce, the CSRF token, the form's address
and the questions' ticks. So the page around the questions is rendered once with markers in those
places, compacted, and kept per app; each request only joins the pieces. Rendering the layout,
GOV.UK Frontend's page template and its macros took several milliseconds a page.

Pages with errors are rare and are rendered in full.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass

from flask import current_app, render_template
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup, escape

from ..security import csp_nonce
from .fields import compact

# Private-use characters: they cannot come from a template, a questionnaire or a translation.
NONCE, CSRF, ACTION, FIRST, SECOND = (f"\ue000{name}\ue001" for name in ("n", "c", "a", "1", "2"))
_MARKER = re.compile("(\ue000[a-z0-9]\ue001)")
MAX_SHELLS = 2048  # a few per page, language and route; the cache starts again if it ever fills


@dataclass(frozen=True)
class Shell:
    pieces: tuple[str, ...]  # text, marker, text, marker, ..., text
    between: str  # what separates two questions (the wrapper's end and the next one's start)

    def fill(self, questions: list[Markup], action: str) -> str:
        values = {
            NONCE: csp_nonce(),
            CSRF: generate_csrf(),
            ACTION: str(escape(action)),
            FIRST: self.between.join(questions),
        }
        return "".join(values[piece] if n % 2 else piece for n, piece in enumerate(self.pieces))


_lock = threading.Lock()


def section_page(questions: list[Markup], action: str, key: tuple, **context) -> str:
    """The question page for `context` (what section.html needs, besides `fields`, `errors` and
    `action`), with `questions` in it. `key` must tell apart everything in `context`."""
    shells: dict = current_app.extensions.setdefault("pupil_page_shells", {})
    shell = shells.get(key)
    if shell is None:
        shell = _shell(context)
        with _lock:
            if len(shells) >= MAX_SHELLS:
                shells.clear()
            shells[key] = shell
    return shell.fill(questions, action)


def _shell(context: dict) -> Shell:
    html = render_template(
        "pupil/section.html",
        fields=[Markup(FIRST), Markup(SECOND)],
        errors={},
        errors_list=[],
        action=ACTION,
        cspNonce=NONCE,
        csrf_token=lambda: CSRF,
        **context,
    )
    html = compact(html)
    first, second = html.index(FIRST), html.index(SECOND)
    between = html[first + len(FIRST) : second]
    html = html[:first] + FIRST + html[second + len(SECOND) :]
    pieces = tuple(_MARKER.split(html))
    assert all(pieces[n] in (NONCE, CSRF, ACTION, FIRST) for n in range(1, len(pieces), 2)), pieces
    return Shell(pieces, between)
