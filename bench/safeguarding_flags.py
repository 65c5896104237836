"""How well the safeguarding keyword lists flag pupils' free text, on the labelled examples.

    .venv/bin/python -m bench.safeguarding_flags [--misses]

Reads tests/data/safeguarding_disclosures.csv (texts that must reach the DSL) and
tests/data/safeguarding_ordinary.csv (everyday comments, many with words like "hit" or "scared"
used harmlessly), in English and Welsh, and prints the share of each that the risk check in
analysis/safeguarding.py flags, per language and overall. The target: at least 95% of
disclosures flagged, at most 10% of ordinary comments. `--misses` lists the texts it gets wrong.

Read the figures with care: the keyword lists were written with those two sets in view, so they
flatter the lists. tests/data/safeguarding_heldout.csv (28 disclosures, 28 ordinary comments) was
written after the lists, as a check of how they generalise. Its first run flagged only 2 of 28
disclosures (7%) and 5 of 28 ordinary comments: phrase lists miss disclosures worded in ways
nobody listed. The lists were then widened by kind of harm, so the held-out figures printed now
are optimistic too. A fresh set written by someone else is the honest test.
"""

from __future__ import annotations

import argparse
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--misses", action="store_true", help="list missed disclosures and false flags")
    args = parser.parse_args()
    for name, by_language in figures().items():
        for key in ("en", "cy", "all"):
            flagged, total = by_language[key]
            print(f"{name:12} {key:3} flagged {flagged:3} of {total:3} = {flagged / total:6.1%}")
    for name, by_language in figures(held_out()).items():
        flagged, total = by_language["all"]
        print(f"held-out {name:12} flagged {flagged:3} of {total:3} = {flagged / total:6.1%}")
    if args.misses:
        sets = labelled()
        for language, text in sets["disclosures"]:
            if not check(text):
                print(f"MISSED  [{language}] {text}")
        for language, text in sets["ordinary"]:
            if found := check(text):
                print(f"FLAGGED [{language}] {text}  <- {', '.join(m.keyword for m in found)}")


if __name__ == "__main__":
    main()
