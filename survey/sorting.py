"""Natural order for what schools name with numbers: class 7A before 10C before 11A."""

from __future__ import annotations

import re

_PARTS = re.compile(r"(\d+)")


def natural_key(text: str | None) -> tuple:
    """A sort key that compares the digits in `text` as numbers, case-insensitively; blank last."""
    if not text:
        return (1, ())
    parts = tuple(
        (0, int(part), "") if part.isdigit() else (1, 0, part.casefold())
        for part in _PARTS.split(text)
        if part
    )
    return (0, parts)
