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

from analysis.safeguarding import check
from testing.safeguarding_sets import figures, held_out, labelled


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
