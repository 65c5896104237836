"""Pupil codes: random, easy to type, never stored in the clear.

A code is 10 characters from a 30-character alphabet without look-alikes (no O or 0, I or 1, L, U),
shown as ABCDE-23456: log2(30**10) ≈ 49 bits, far beyond guessing under a rate limit.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets

from flask import current_app

ALPHABET = "ABCDEFGHJKMNPQRSTVWXYZ23456789"
LENGTH = 10
_SEPARATORS = re.compile(r"[\s\-_.]+")


def generate() -> str:
    raw = "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))
    return f"{raw[:5]}-{raw[5:]}"


def normalise(typed: str) -> str:
    """What the pupil typed, forgivingly: case, spaces and hyphens do not matter."""
    return _SEPARATORS.sub("", typed or "").upper()


def looks_like_a_code(typed: str) -> bool:
    code = normalise(typed)
    return len(code) == LENGTH and all(c in ALPHABET for c in code)


def hash_code(typed: str, key: str | None = None) -> str:
    key = key or current_app.config["CODE_HASH_KEY"]
    return hmac.new(key.encode(), normalise(typed).encode(), hashlib.sha256).hexdigest()
