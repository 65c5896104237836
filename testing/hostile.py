"""Hostile input, as hypothesis strategies: odd text, wrong types, broken bodies and uploads.

Used by the fuzz tests (`tests/fuzz/`) and by `bench/fuzz.py`, so both send the same kinds of input.
A `Post` is a whole request body with its Content-Type and a short description of what is hostile
about it (for reports: never the body itself).
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from urllib.parse import quote_from_bytes

from hypothesis import strategies as st

# -- values --------------------------------------------------------------------------------------

SPECIAL_TEXT = [
    "",
    " ",
    "\x00",
    "a\x00b",
    "\x00" * 20,
    "\r\n",
    "\t\x0b\x0c",
    "\x1b[31mred\x1b[0m",
    "\x7f\x08",
    "\u0085\u2028\u2029",
    "<script>alert(1)</script>",
    "' OR '1'='1' --",
    "%' ESCAPE '\\",
    "\\",
    "%00",
    "%s%s%n",
    "{{ 7 * 7 }}",
    "${jndi:ldap://x}",
    "²",  # isdigit() is True, int() fails
    "١٢٣",  # Arabic-Indic digits: int() accepts them
    "𝟗𝟗",
    "Ⅻ",
    "½",
    "-1",
    "0",
    "-0",
    "+7",
    "07",
    "1e309",
    "NaN",
    "inf",
    "9" * 30,
    "2147483648",
    "-2147483649",
    "\u202egnp.exe",  # right-to-left override
    "\ufeff",
    "\u200b\u200d",
    "\ufffd",
    "İstanbul ß ﬃ",
    "😀" * 20,
    "a\u0301" * 10,
    "Ｆｕｌｌｗｉｄｔｈ",
    "null",
    "None",
    "[]",
    "{}",
    "true",
    "prefer-not-to-say",
    "yes",
    "no",
    "later",
    "cy",
    "en",
    "csv",
    "slips",
]
HUGE_SIZES = [
    300,
    2_000,
    70_000,
    600_000,
]  # past the text limits, the pupil post limit, the form memory limit
INVALID_UTF8 = [
    b"\xff",
    b"\xfe\xff",
    b"\xed\xa0\x80",
    b"\xc0\xaf",
    b"\x80abc",
    b"abc\xe2\x82",
    b"\xf4\x90\x80\x80",
]

text_characters = st.characters(exclude_categories=("Cs",))  # lone surrogates cannot be sent as UTF-8


@cache  # a strategy made once: hypothesis's checks of a new strategy cost more than drawing from it
def hostile_text(max_size: int = 40, *, huge: bool = True) -> st.SearchStrategy[str]:
    """Random and known-awkward text, now and then huge (`huge=False`: never over a few KB)."""
    sizes = HUGE_SIZES if huge else HUGE_SIZES[:2]
    return st.one_of(
        st.text(text_characters, max_size=max_size),
        st.sampled_from(SPECIAL_TEXT),
        st.text(st.characters(codec="ascii"), max_size=max_size),
        # Plausible text with control characters in it: NUL is what PostgreSQL refuses.
        st.builds(
            lambda before, control, after: before + control + after,
            st.sampled_from(["", "Ms Patel", "100001", "lead@fuzz.example", "F001", "national-secondary"]),
            st.text(st.sampled_from("\x00\x01\x08\x0b\x1b\x7f"), min_size=1, max_size=3),
            st.sampled_from(["", "x", " room 4"]),
        ),
        st.builds(lambda c, n: c * n, st.sampled_from(["x", "\x00", "é"]), st.sampled_from(sizes)),
    )


@cache
def hostile_bytes(max_size: int = 40, *, huge: bool = True) -> st.SearchStrategy[bytes]:
    """A value as it goes on the wire: UTF-8 text, invalid UTF-8, Latin-1 or random bytes."""
    return st.one_of(
        hostile_text(max_size, huge=huge).map(lambda s: s.encode("utf-8")),
        st.sampled_from(INVALID_UTF8),
        st.binary(max_size=max_size),
        st.text(st.characters(codec="latin-1"), max_size=max_size).map(lambda s: s.encode("latin-1")),
    )


@cache
def value_for(plausible: st.SearchStrategy[str] | None) -> st.SearchStrategy[bytes]:
    """Mostly hostile, often plausible (so the checks behind the first ones are reached too)."""
    if plausible is None:
        return hostile_bytes()
    return st.one_of(plausible.map(lambda s: s.encode("utf-8")), hostile_bytes())


# -- file uploads --------------------------------------------------------------------------------

FILENAMES = [
    "roster.csv",
    "schools.csv",
    "../../etc/passwd",
    "..\\..\\windows\\win.ini",
    "/etc/passwd",
    "roster.csv\x00.exe",
    "roster\x00.csv",
    "roster.exe",
    "roster.CSV",
    "roster.csv.",
    ".csv",
    "",
    ".",
    "..",
    "CON.csv",
    "a" * 5_000 + ".csv",
    "roster\r\nContent-Type: text/html.csv",
    'ro"ster.csv',
    "\u202evsc.exe",
    "%2e%2e%2fpasswd.csv",
    "röster ﬁle.csv",
]

BINARY_FILES = [
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
    b"PK\x03\x04\x14\x00\x06\x00",  # an XLSX (zip) saved instead of CSV
    b"%PDF-1.7\n%\xe2\xe3\xcf\xd3",
    b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",  # an old .xls
    b"\x00\x01\x02\x03" * 64,
    b"\xff\xfeU\x00R\x00N\x00",  # UTF-16
]


def csv_text(
    columns: Sequence[str], plausible_rows: st.SearchStrategy[list[str]]
) -> st.SearchStrategy[bytes]:
    """CSV files with the right header and odd rows, odd headers, odd quoting and line endings."""
    cell = st.one_of(
        hostile_text(12), st.sampled_from(["", '"', '""', '"a""b"', "a,b", "=cmd|' /C calc'!A0", "\n"])
    )
    rows = st.lists(
        st.one_of(plausible_rows, st.lists(cell, min_size=0, max_size=len(columns) + 3)), max_size=8
    )
    header = st.one_of(
        st.just(list(columns)),
        st.just(list(columns)),
        st.permutations(list(columns)),
        st.lists(cell, max_size=len(columns) + 2),
        st.just([c.upper() for c in columns]),
        st.just([*columns, *columns[:1]]),  # a column twice
    )
    ending = st.sampled_from(["\n", "\r\n", "\r", "\n\n"])
    bom = st.sampled_from(["", "\ufeff"])

    def join(head: list[str], body: list[list[str]], end: str, mark: str) -> bytes:
        lines = [",".join(head)] + [",".join(row) for row in body]
        return (mark + end.join(lines) + end).encode("utf-8")

    return st.builds(join, header, rows, ending, bom)


def upload_content(csv_files: st.SearchStrategy[bytes]) -> st.SearchStrategy[bytes]:
    return st.one_of(
        csv_files,
        csv_files,
        st.sampled_from(BINARY_FILES),
        st.binary(max_size=300),
        st.sampled_from([b"", b"\n", b"\r\n\r\n", b",,,,\n,,,", b'"unterminated\n', b"\x00"]),
        st.sampled_from([2 * 1024 * 1024 + 10, 6 * 1024 * 1024]).map(
            lambda n: b"a,b\n" * (n // 4)
        ),  # too big
        csv_files.map(lambda b: b.decode("utf-8", "replace").encode("utf-16")),
        csv_files.map(lambda b: b.decode("utf-8", "replace").encode("latin-1", "replace")),
    )


# -- bodies --------------------------------------------------------------------------------------


@dataclass
class Upload:
    name: bytes
    filename: bytes | None
    content: bytes
    content_type: bytes = b"text/csv"


@dataclass
class Post:
    """A request body with its Content-Type (None: no header), and what is hostile about it."""

    content_type: str | None
    body: bytes
    description: str
    csrf: str = "valid"

    def __repr__(self) -> str:  # hypothesis prints this on failure: keep it short
        return f"Post({self.description}, {len(self.body)} bytes, csrf {self.csrf})"


@dataclass
class Fields:
    pairs: list[tuple[bytes, bytes]] = field(default_factory=list)
    uploads: list[Upload] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def urlencoded(pairs: Sequence[tuple[bytes, bytes]]) -> bytes:
    return b"&".join(quote_from_bytes(k).encode() + b"=" + quote_from_bytes(v).encode() for k, v in pairs)


def multipart(pairs: Sequence[tuple[bytes, bytes]], uploads: Sequence[Upload], boundary: bytes) -> bytes:
    out = []
    for name, value in pairs:
        out.append(
            b"--"
            + boundary
            + b'\r\nContent-Disposition: form-data; name="'
            + name
            + b'"\r\n\r\n'
            + value
            + b"\r\n"
        )
    for upload in uploads:
        disposition = b'Content-Disposition: form-data; name="' + upload.name + b'"'
        if upload.filename is not None:
            disposition += b'; filename="' + upload.filename + b'"'
        out.append(
            b"--"
            + boundary
            + b"\r\n"
            + disposition
            + b"\r\nContent-Type: "
            + upload.content_type
            + b"\r\n\r\n"
            + upload.content
            + b"\r\n"
        )
    out.append(b"--" + boundary + b"--\r\n")
    return b"".join(out)


CSRF_MODES = ["valid", "valid", "valid", "valid", "missing", "tampered", "empty", "twice", "huge"]


def csrf_pairs(mode: str, token: str | None) -> list[tuple[bytes, bytes]]:
    token_bytes = (token or "").encode()
    return {
        "valid": [(b"csrf_token", token_bytes)],
        "missing": [],
        "tampered": [(b"csrf_token", token_bytes[:-3] + b"xyz")],
        "empty": [(b"csrf_token", b"")],
        "twice": [(b"csrf_token", b"not-a-token"), (b"csrf_token", token_bytes)],
        "huge": [(b"csrf_token", b"A" * 100_000)],
    }[mode]


@cache
def _names(names: tuple[str, ...]) -> st.SearchStrategy[list[str]]:
    return st.lists(st.sampled_from(names), max_size=len(names) + 3)


UNKNOWN_FIELDS = st.lists(st.tuples(hostile_bytes(20), hostile_bytes()), max_size=2)
UPLOAD_NAMES = st.one_of(st.sampled_from(FILENAMES).map(str.encode), hostile_bytes(30), st.none())


@st.composite
def fields_for(
    draw,
    known: Mapping[str, st.SearchStrategy[str] | None],
    files: Mapping[str, st.SearchStrategy[bytes]] | None = None,
) -> Fields:
    """Some of the form's own fields (some repeated, some with hostile values), unknown fields, files."""
    result = Fields()
    names = list(known)
    chosen = draw(_names(tuple(names))) if names else []
    if names and draw(st.booleans()):
        chosen = names + chosen  # the whole form, plus repeats
    for name in chosen:
        result.pairs.append((name.encode(), draw(value_for(known[name]))))
    if len(chosen) != len(set(chosen)):
        result.notes.append("repeated fields")
    unknown = draw(UNKNOWN_FIELDS)
    if unknown:
        result.pairs += unknown
        result.notes.append("unknown fields")
    for name, contents in (files or {}).items():
        if draw(st.integers(0, 5)) == 0:
            result.notes.append(f"no {name} file")
            continue
        filename = draw(UPLOAD_NAMES)
        part_type = draw(
            st.sampled_from([b"text/csv", b"application/octet-stream", b"image/png", b"text/html", b""])
        )
        result.uploads.append(Upload(name.encode(), filename, draw(contents), part_type))
        result.notes.append(f"file {(filename or b'(no filename)')[:30]!r}")
    return result


ENCODINGS = [
    "urlencoded",
    "urlencoded",
    "multipart",
    "multipart",
    "urlencoded-raw",
    "multipart-truncated",
    "multipart-wrong-boundary",
    "multipart-no-boundary",
    "json",
    "text/plain",
    "none",
    "garbage",
]


@st.composite
def posts(
    draw,
    known: Mapping[str, st.SearchStrategy[str] | None],
    files: Mapping[str, st.SearchStrategy[bytes]] | None = None,
    token: str | None = None,
) -> Post:
    """A hostile POST body for a form with fields `known` (name → plausible values, or None) and
    file fields `files`, carrying `token` as its CSRF token unless the drawn CSRF mode says otherwise."""
    found = draw(fields_for(known, files))
    mode = draw(st.sampled_from(CSRF_MODES))
    pairs = found.pairs
    if draw(st.booleans()):
        pairs = draw(st.permutations(pairs))
    pairs = csrf_pairs(mode, token) + pairs  # first, so that "twice" means the bad token is the one read
    encoding = draw(st.sampled_from(ENCODINGS if not found.uploads else ENCODINGS[2:4] + ENCODINGS[5:8]))
    boundary = b"----fuzz" + secrets.token_hex(8).encode()
    notes = ", ".join(found.notes) or "form fields"
    if encoding == "urlencoded":
        post = Post("application/x-www-form-urlencoded", urlencoded(pairs), notes)
    elif encoding == "urlencoded-raw":
        raw = b"&".join(k + b"=" + v for k, v in pairs) + draw(
            st.sampled_from([b"", b"%", b"%zz", b"&&==", b"=x"])
        )
        post = Post(
            "application/x-www-form-urlencoded; charset=latin-1", raw, f"unescaped urlencoded, {notes}"
        )
    elif encoding.startswith("multipart"):
        body = multipart(pairs, found.uploads, boundary)
        content_type = f"multipart/form-data; boundary={boundary.decode()}"
        if encoding == "multipart-truncated":
            body = body[: draw(st.integers(0, max(len(body) - 1, 0)))]
            notes = f"truncated multipart, {notes}"
        elif encoding == "multipart-wrong-boundary":
            content_type = "multipart/form-data; boundary=" + draw(
                st.sampled_from(["other", "", '"', "x" * 200])
            )
            notes = f"multipart with the wrong boundary, {notes}"
        elif encoding == "multipart-no-boundary":
            content_type = "multipart/form-data"
            notes = f"multipart without a boundary, {notes}"
        else:
            notes = f"multipart, {notes}"
        post = Post(content_type, body, notes)
    elif encoding == "json":
        as_text = {k.decode("utf-8", "replace"): [v.decode("utf-8", "replace")] for k, v in pairs}
        post = Post("application/json", json.dumps(as_text).encode(), f"JSON, {notes}")
    elif encoding == "text/plain":
        post = Post("text/plain", urlencoded(pairs), f"text/plain, {notes}")
    elif encoding == "none":
        post = Post(None, urlencoded(pairs), f"no Content-Type, {notes}")
    else:
        post = Post(
            draw(st.sampled_from(["application/octet-stream", "image/png", "x/y; charset=nope", ""])),
            draw(st.binary(max_size=200)),
            "random bytes",
        )
    post.csrf = mode
    return post
