"""The labelled safeguarding sets in tests/data and how often the flag check catches each.

Shared by ``bench/safeguarding_flags.py`` (prints the figures) and ``tests/analysis/test_safeguarding.py``
(asserts them).
"""

from __future__ import annotations

import csv
from pathlib import Path

from analysis.safeguarding import check

DATA = Path(__file__).resolve().parents[1] / "tests" / "data"


SETS = {"disclosures": "safeguarding_disclosures.csv", "ordinary": "safeguarding_ordinary.csv"}


HELD_OUT = "safeguarding_heldout.csv"


def labelled() -> dict[str, list[tuple[str, str]]]:
    """{"disclosures": [(language, text), ...], "ordinary": [...]}"""
    found = {}
    for name, filename in SETS.items():
        with (DATA / filename).open(encoding="utf-8", newline="") as rows:
            found[name] = [(row["language"], row["text"]) for row in csv.DictReader(rows)]
    return found


def held_out() -> dict[str, list[tuple[str, str]]]:
    """The held-out set, in the same shape as `labelled`."""
    found: dict[str, list[tuple[str, str]]] = {"disclosures": [], "ordinary": []}
    with (DATA / HELD_OUT).open(encoding="utf-8", newline="") as rows:
        for row in csv.DictReader(rows):
            found["disclosures" if row["label"] == "disclosure" else "ordinary"].append(
                (row["language"], row["text"])
            )
    return found


def figures(sets: dict[str, list[tuple[str, str]]] | None = None) -> dict[str, dict[str, tuple[int, int]]]:
    """{set: {language or "all": (flagged, total)}}"""
    result: dict[str, dict[str, tuple[int, int]]] = {}
    for name, texts in (sets or labelled()).items():
        counts: dict[str, list[int]] = {}
        for language, text in texts:
            flagged = bool(check(text))
            for key in (language, "all"):
                tally = counts.setdefault(key, [0, 0])
                tally[0] += flagged
                tally[1] += 1
        result[name] = {key: (flagged, total) for key, (flagged, total) in counts.items()}
    return result
