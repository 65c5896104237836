"""The "Check your answers" list: one row per question, with a link to change it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask_babel import gettext as _

from questionnaires import Question


def summary_rows(
    questions: list[Question], texts: Mapping[str, str], language: str, change_url: str
) -> list[dict[str, Any]]:
    """GOV.UK summary list rows: each question, `texts[question id]` as its answer, a Change link."""
    return [
        {
            "key": {"text": q.text.get_for(language)},
            "value": {"text": texts[q.id]},
            "actions": {
                "items": [
                    {"href": change_url, "text": _("Change"), "visuallyHiddenText": q.text.get_for(language)}
                ]
            },
        }
        for q in questions
    ]
