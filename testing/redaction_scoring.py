"""Scoring a redactor on the labelled child-written comments in tests/data: recall and precision of
each kind of identifying span, and the clean words lost (bench/redaction.py says how).

Shared by ``bench/redaction.py`` (every candidate) and ``tests/analysis/test_redaction.py``.
"""

from __future__ import annotations

import difflib
import json
import re
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

DATA = Path(__file__).resolve().parent.parent / "tests" / "data" / "redaction_comments.jsonl"


HELD_OUT = DATA.with_name("redaction_heldout.jsonl")


KINDS = ("name", "email", "phone", "handle", "address", "nhs_number")


_WORD = re.compile(r"\w+")


_OUT_TOKEN = re.compile(r"\[[a-z ]+\]|\w+")


_PLACEHOLDER_KIND = {"name": "name", "email": "email", "phone": "phone", "handle": "handle",
                     "address": "address", "nhs number": "nhs_number"}  # fmt: skip


def load(path: Path = DATA) -> list[dict]:
    with path.open(encoding="utf-8") as lines:
        return [json.loads(line) for line in lines if line.strip()]


@dataclass
class Scores:
    spans: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    caught: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    removed: dict[str, int] = field(default_factory=lambda: defaultdict(int))  # words, by given kind
    removed_right: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    clean_words: int = 0
    clean_lost: int = 0
    misses: list[tuple[str, str, str]] = field(default_factory=list)  # (kind, span, output)
    losses: list[tuple[str, str]] = field(default_factory=list)  # (word, output)

    def recall(self, kind: str | None = None) -> float:
        kinds = [kind] if kind else KINDS
        total = sum(self.spans[k] for k in kinds)
        return sum(self.caught[k] for k in kinds) / total if total else float("nan")

    def precision(self, kind: str | None = None) -> float:
        kinds = [kind] if kind else list(self.removed)
        total = sum(self.removed[k] for k in kinds)
        return sum(self.removed_right[k] for k in kinds) / total if total else float("nan")

    def clean_lost_share(self) -> float:
        return self.clean_lost / self.clean_words if self.clean_words else 0.0


def _removed_words(text: str, output: str) -> dict[int, str]:
    """Index of each removed word of `text` → the kind of placeholder that replaced it."""
    words = [m.group() for m in _WORD.finditer(text)]
    out = _OUT_TOKEN.findall(output)
    removed: dict[int, str] = {}
    matcher = difflib.SequenceMatcher(None, words, out, autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op in ("replace", "delete"):
            kinds = [_PLACEHOLDER_KIND.get(t[1:-1], "other") for t in out[j1:j2] if t.startswith("[")]
            for index in range(i1, i2):
                removed[index] = (
                    kinds[min(len(kinds) - 1, (index - i1) * len(kinds) // (i2 - i1))] if kinds else "other"
                )
    return removed


def evaluate(redactor: Callable[[str], str], rows: list[dict]) -> Scores:
    scores = Scores()
    for row in rows:
        text = row["text"]
        output = redactor(text)
        removed = _removed_words(text, output)
        words = list(_WORD.finditer(text))
        in_span = set()
        for start, end, kind in row["spans"]:
            inside = [i for i, w in enumerate(words) if w.start() < end and w.end() > start]
            in_span.update(inside)
            scores.spans[kind] += 1
            if all(i in removed for i in inside):
                scores.caught[kind] += 1
            else:
                scores.misses.append((kind, text[start:end], output))
        for index, word in enumerate(words):
            given = removed.get(index)
            if given is not None:
                scores.removed[given] += 1
                scores.removed_right[given] += index in in_span
            if index not in in_span:
                scores.clean_words += 1
                if given is not None:
                    scores.clean_lost += 1
                    scores.losses.append((word.group(), output))
    return scores
