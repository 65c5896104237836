"""The risk check on a pupil's free text: does it suggest the child may be at risk?

The keywords are data, not code, so that a designated safeguarding lead can read (and a reviewer
can change) exactly what raises a flag: ``analysis/data/safeguarding_en.txt`` and ``..._cy.txt``.
Each file has themes (a line ``[theme]``) and one keyword or phrase per line under each; ``#``
starts a comment. How a keyword matches (the same rules as `analysis.text` themes, plus one):

- whole words only, whatever the case: "hit me" matches "Hit me" but not "white mess";
- ``*`` at the end of a word matches any ending: "punch* me" matches "punches me";
- a space matches any run of spaces or hyphens; a hyphen also matches a space or nothing
  ("self-harm" matches "self harm" and "selfharm"); an apostrophe may be curly or left out
  ("don't" matches "dont" and "don’t");
- ``...`` matches up to three words in between: "scared ... go home" matches "scared to go home"
  and "scared to even go home".

Both languages' lists are checked on every text: pupils mix English and Welsh. A match is a
prompt for a trained person to read the text today, not a finding; the lists favour flagging.
Measured on labelled examples by ``bench/safeguarding_flags.py``.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

__all__ = ["LANGUAGES", "Match", "check", "keyword_lists"]

DATA = Path(__file__).parent / "data"
LANGUAGES = ("en", "cy")
_APOSTROPHES = str.maketrans({"’": "'", "‘": "'", "ʼ": "'", "`": "'"})
_GAP = r"(?:[\s\-‐‑]+[^\W_]+(?:'[^\W_]+)?){0,3}"


@dataclass(frozen=True)
class Match:
    theme: str
    keyword: str


def keyword_lists(language: str) -> dict[str, list[str]]:
    """Theme → keywords, in file order, from ``safeguarding_<language>.txt``."""
    if language not in LANGUAGES:
        raise ValueError(f"no safeguarding keywords for language {language!r}; use one of {LANGUAGES}")
    themes: dict[str, list[str]] = {}
    current: list[str] | None = None
    path = DATA / f"safeguarding_{language}.txt"
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        if line.startswith("[") and line.endswith("]"):
            current = themes.setdefault(line[1:-1].strip(), [])
        elif current is None:
            raise ValueError(f"{path.name} line {number}: a keyword before the first [theme]")
        else:
            current.append(line)
    return themes


def _pattern(keyword: str) -> str:
    keyword = unicodedata.normalize("NFC", keyword).translate(_APOSTROPHES).lower()
    parts: list[str] = []
    for word in keyword.replace("...", " \x00 ").split():
        if word == "\x00":
            parts.append(_GAP)
            continue
        if parts:
            parts.append(r"[\s\-‐‑]+")
        for char in word:
            if char in "-‐‑":
                parts.append(r"[\s\-‐‑]?")
            elif char == "'":
                parts.append("'?")
            elif char == "*":
                parts.append(r"\w*")
            else:
                parts.append(re.escape(char))
    body = "".join(parts)
    return rf"(?<!\w){body}(?!\w)"


@lru_cache(maxsize=1)
def _compiled() -> tuple[re.Pattern[str], list[Match]]:
    keywords = [
        Match(theme, keyword)
        for language in LANGUAGES
        for theme, words in keyword_lists(language).items()
        for keyword in words
    ]
    alternatives = [f"(?P<k{i}>{_pattern(m.keyword)})" for i, m in enumerate(keywords)]
    return re.compile("|".join(alternatives), re.IGNORECASE), keywords


def check(text: object) -> list[Match]:
    """The keywords in `text` that suggest a risk, in text order (empty: no flag). Never raises."""
    if not isinstance(text, str) or not text.strip():
        return []
    pattern, keywords = _compiled()
    normalised = unicodedata.normalize("NFC", text).translate(_APOSTROPHES)
    found: list[Match] = []
    position = 0
    while (hit := pattern.search(normalised, position)) is not None:
        match = keywords[int(hit.lastgroup[1:])]  # type: ignore[index]
        if match not in found:
            found.append(match)
        position = hit.start() + 1  # overlapping phrases: "hit me" inside "dad hit me and ..."
    return found
