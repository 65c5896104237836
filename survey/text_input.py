"""Text typed into staff forms and search boxes, made safe to keep and to search with.

PostgreSQL can neither store nor compare a string holding a NUL character (SQLite can), so a NUL in a
school's text, a wave's name or a search was a server error there. No control character means
anything in a name, an email or a search, so all of them are removed, as the pupil pages remove them
from answers (`survey.pupil.questions.text`); tabs and new lines are kept.
"""

from __future__ import annotations

import re

CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def clean(value):
    """`value` without control characters and surrounding white space; anything but text as it is."""
    return CONTROL.sub("", value).strip() if isinstance(value, str) else value
