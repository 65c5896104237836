"""How well each redactor hides what identifies a child, on a labelled set of child-written comments.

    python -m bench.redaction [--show-misses]

The sets (`tests/data/redaction_comments.jsonl`, 343 comments the rules were developed on, and
`redaction_heldout.jsonl`, 60 written afterwards and never tuned on; English and Welsh, written for
this project) mark
every identifying span with its kind: name, email, phone, handle (social handles and profile URLs),
address (street addresses and postcodes) and nhs_number. Everything else is a clean word, place and
shop names included ("Caerdydd", "Co-op"), which must stay.

Each candidate turns a text into a redacted text with "[kind]" placeholders. The original's words
are aligned with the output's (difflib over word tokens), so every candidate is scored the same way:

- recall of a kind: the share of its spans with **every** word removed ("Jack [name]" is a miss);
- precision of a kind: of the words a candidate removed as that kind, the share inside any labelled
  span;
- clean words lost: the share of words outside every span that were removed.

Candidates: the project's `analysis.text.redact`; Microsoft Presidio's pattern recognisers (no
spaCy model: its default engine would download one); scrubadub with its en_GB detectors (its
TextBlob name detector needs an NLTK download, so it finds no names). Presidio and scrubadub are
optional (`pip install -e .[bench]`; scrubadub pins an old TextBlob, so install it alone with
`pip install --no-deps scrubadub`): a missing one is reported and skipped.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable

from testing.redaction_scoring import DATA, HELD_OUT, KINDS, Scores, evaluate, load

# Written after the rules were settled and never used to tune them: the honest figure.


# ------------------------------------------------------------------------------------------------
# Candidates
# ------------------------------------------------------------------------------------------------


def _from_spans(text: str, spans: list[tuple[int, int, str]]) -> str:
    """Replace non-overlapping spans (longest first where they overlap) with "[kind]"."""
    chosen: list[tuple[int, int, str]] = []
    for start, end, kind in sorted(spans, key=lambda s: (s[0], -(s[1] - s[0]))):
        if chosen and start < chosen[-1][1]:
            continue
        chosen.append((start, end, kind))
    pieces, last = [], 0
    for start, end, kind in chosen:
        pieces += [text[last:start], f"[{kind.replace('_', ' ')}]"]
        last = end
    return "".join(pieces) + text[last:]


def project() -> Callable[[str], str]:
    from analysis.text import redact

    return redact


def presidio() -> Callable[[str], str]:
    from presidio_analyzer import predefined_recognizers as known

    # Its URL check asks the network for the public suffix list, and logs the failure at length.
    logging.getLogger("tldextract").setLevel(logging.CRITICAL)

    # Pattern recognisers only: the default AnalyzerEngine loads a spaCy model (a download).
    # leniency=0: the test set's numbers are Ofcom's drama range, which libphonenumber calls
    # invalid; children's real numbers would pass its default check.
    kinds = {"EMAIL_ADDRESS": "email", "PHONE_NUMBER": "phone", "URL": "handle", "UK_NHS": "nhs_number",
             "UK_POSTCODE": "address"}  # fmt: skip
    recognisers = [known.EmailRecognizer(), known.NhsRecognizer(), known.UrlRecognizer(),
                   known.PhoneRecognizer(supported_regions=("GB",), leniency=0)]  # fmt: skip
    if hasattr(known, "UkPostcodeRecognizer"):
        recognisers.append(known.UkPostcodeRecognizer())

    def redact(text: str) -> str:
        spans = []
        for recogniser in recognisers:
            for found in recogniser.analyze(text, recogniser.supported_entities, None):
                if found.entity_type in kinds and found.score >= 0.3:
                    spans.append((found.start, found.end, kinds[found.entity_type]))
        return _from_spans(text, spans)

    return redact


def scrubadub() -> Callable[[str], str]:
    import scrubadub as scrub

    scrubber = scrub.Scrubber(locale="en_GB")
    # Its only name detector without spaCy, TextBlobNameDetector, needs NLTK's punkt corpus (a
    # download), so scrubadub finds no names here.
    kinds = {"email": "email", "phone": "phone", "url": "handle", "twitter": "handle", "name": "name",
             "postalcode": "address", "postal_code": "address"}  # fmt: skip

    def redact(text: str) -> str:
        spans = [(f.beg, f.end, kinds.get(f.type, "name")) for f in scrubber.iter_filth(text)]
        return _from_spans(text, spans)

    return redact


def combined() -> Callable[[str], str]:
    """The project's redaction, then Presidio's recognisers over what is left."""
    first, second = project(), presidio()
    return lambda text: second(first(text))


CANDIDATES = {"analysis.text.redact": project, "presidio": presidio, "scrubadub": scrubadub,
              "analysis + presidio": combined}  # fmt: skip


def _percent(value: float) -> str:
    return "   -  " if value != value else f"{100 * value:5.1f}%"


def report(name: str, scores: Scores) -> str:
    lines = [f"{name}: recall {_percent(scores.recall())}, precision {_percent(scores.precision())}, "
             f"clean words lost {_percent(scores.clean_lost_share())} "
             f"({scores.clean_lost} of {scores.clean_words})"]  # fmt: skip
    lines.append(f"  {'kind':<11} {'spans':>5} {'recall':>7} {'precision':>9}")
    for kind in KINDS:
        lines.append(f"  {kind:<11} {scores.spans[kind]:>5} {_percent(scores.recall(kind)):>7} "
                     f"{_percent(scores.precision(kind)):>9}")  # fmt: skip
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--show-misses", action="store_true", help="print each missed span and lost word")
    parser.add_argument("--only", choices=sorted(CANDIDATES), help="one candidate")
    args = parser.parse_args(argv)
    for path in (DATA, HELD_OUT):
        rows = load(path)
        print(f"== {path.name}: {len(rows)} comments ({sum(r['lang'] == 'cy' for r in rows)} in Welsh), "
              f"{sum(len(r['spans']) for r in rows)} identifying spans\n")  # fmt: skip
        for name, make in CANDIDATES.items():
            if args.only and name != args.only:
                continue
            try:
                redactor = make()
            except ImportError as missing:
                print(f"{name}: not installed ({missing})\n")
                continue
            scores = evaluate(redactor, rows)
            print(report(name, scores))
            if args.show_misses:
                for kind, span, output in scores.misses:
                    print(f"    missed {kind}: {span!r} in {output!r}")
                for word, output in scores.losses:
                    print(f"    lost {word!r} in {output!r}")
            print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
