"""Pupil pages without Jinja on every request, kept small.

- `render_question`: one question's HTML (its handler's GOV.UK component), compacted and kept;
  radios and checkboxes are kept with their ticks cut out.
- `render`, `render_lazily`, `render_once`, `section_page`: whole pages kept as shells with markers
  for the per-request values (`pages`).
- `compact`: the whitespace and module trimming that keeps every page under 15 KB.
"""

from .compact import compact
from .pages import marker, render, render_lazily, render_once, section_page
from .question import render_question
from .summary import summary_rows

__all__ = [
    "compact",
    "marker",
    "render",
    "render_lazily",
    "render_once",
    "render_question",
    "section_page",
    "summary_rows",
]
