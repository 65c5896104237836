"""Every form route of the app, with who posts it, where, and the fields it expects.

`FORMS` is checked against the app's URL map (`test_every_post_route_is_fuzzed` in
tests/fuzz/test_forms.py): a new route that takes POST fails that test until it is described here,
so it cannot go unfuzzed.
`bench/fuzz.py` sends its hostile requests to the same routes.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from hypothesis import strategies as st

from questionnaires import load

from .hostile import csv_text, hostile_text, upload_content

SECONDARY = load("national-secondary")
URN, OTHER_URN = 100001, 100002
IDS = st.one_of(
    st.integers(0, 40), st.sampled_from([2**31 - 1, 2**31, 10**30, -1])
)  # a path segment; the world's ids are small


def answers_of(section_id: str) -> dict[str, st.SearchStrategy[str] | None]:
    """The section's fields, with the values its page offers and tampered ones."""
    known: dict[str, st.SearchStrategy[str] | None] = {}
    for question in SECONDARY.sections[section_id].questions:
        offered = [str(v) for v in question.values] + (
            ["prefer-not-to-say"] if question.prefer_not_to_say else []
        )
        tampered = st.sampled_from(
            ["0", "6", "99", "-1", "1.0", " 1", "1 ", "01", "prefer-not-to-say", "²", "１"]
        )
        if question.type == "text":
            known[question.id] = st.one_of(hostile_text(), st.sampled_from(["More clubs.", "x" * 1501]))
        elif question.type == "number":
            known[question.id] = st.one_of(st.integers(-(10**12), 10**12).map(str), tampered)
        else:
            known[question.id] = st.one_of(st.sampled_from(offered), st.sampled_from(offered), tampered)
    known["switch_language"] = st.sampled_from(["cy", "en", "fr", ""])
    known["action"] = st.sampled_from(["later", "continue", ""])
    return known


DAY = st.one_of(
    st.integers(0, 40).map(str), st.sampled_from(["2026", "2027", "02", "0000", "99999", "²", "١"])
)
YEAR = st.one_of(st.sampled_from(["2026", "2027", "1", "0001", "9999", "10000", "0"]), DAY)

ROSTER_COLUMNS = (
    "pupil_reference", "year_group", "gender", "ethnicity_major", "ethnicity_minor",
    "sen", "fsm", "eal", "looked_after", "class",
)  # fmt: skip
ROSTER_ROW = st.tuples(
    st.one_of(
        st.from_regex(r"R[0-9]{1,5}", fullmatch=True), st.sampled_from(["Jane Smith", "", "R1", "x" * 41])
    ),
    st.sampled_from(["7", "8", "Y8", "Year 8", "13", "14", "0", "", "eight"]),
    st.sampled_from(["F", "M", "O", "", "X", "f"]),
    st.sampled_from(["WHIT", "ASIA", "", "ZZZZ"]),
    st.sampled_from(["WBRI", "APKN", "", "ZZZZ"]),
    st.sampled_from(["N", "K", "E", "", "ehcp", "Q"]),
    st.sampled_from(["Y", "N", "", "yes", "maybe"]),
    st.sampled_from(["Y", "N", ""]),
    st.sampled_from(["Y", "N", ""]),
    st.sampled_from(["8A", "", "x" * 41]),
).map(list)
ROSTER_FILES = upload_content(csv_text(ROSTER_COLUMNS, ROSTER_ROW))

GIAS_COLUMNS = (
    "URN", "EstablishmentName", "LA (code)", "LA (name)", "PhaseOfEducation (name)",
    "TypeOfEstablishment (name)", "Trusts (name)",
)  # fmt: skip
GIAS_ROW = st.tuples(
    st.sampled_from(["100001", "100002", "123456", "1234", "12345678", "", "abc", "١٢٣٤٥٦"]),
    st.sampled_from(["Fuzz School", "", "x" * 201, "Ysgol Gymraeg"]),
    st.sampled_from(["201", "", "x" * 11]),
    st.sampled_from(["Northshire", "", "x" * 101]),
    st.sampled_from(["Secondary", "Primary", "", "x" * 61]),
    st.sampled_from(["Academy", "", "x" * 101]),
    st.sampled_from(["", "Hill Trust", "x" * 201]),
).map(list)
SCHOOL_FILES = upload_content(csv_text(GIAS_COLUMNS, GIAS_ROW))


@dataclass
class FormRoute:
    """A form: who posts it (roles drawn per example, the first is the one it is for), its address
    (from the world's ids and a drawn id for any other path segment), its fields and file fields."""

    roles: tuple[str, ...]
    url: Callable[[object, int], str]
    known: Mapping[str, st.SearchStrategy[str] | None] = field(default_factory=dict)
    files: Mapping[str, st.SearchStrategy[bytes]] = field(default_factory=dict)
    examples: int = 20  # on SQLite, at the default profile; a third on PostgreSQL


def _school(path: str) -> Callable[[object, int], str]:
    return lambda world, n: f"/school/{URN if n % 5 else OTHER_URN}{path}"


def _wave(path: str) -> Callable[[object, int], str]:
    return lambda world, n: f"/school/{URN}/waves/{world.wave_id if n % 5 else n}{path}"


def _user(path: str) -> Callable[[object, int], str]:
    def url(world, n: int) -> str:
        user = world.user_ids["target"] if n % 3 else world.user_ids["admin"] if n % 2 else n
        return f"/admin/users/{user}{path}"

    return url


def _reset(world, n: int) -> str:
    return world.reset_link() if n % 4 else "/staff/reset-password/" + "x" * n + ".not-a-token"


STAFF_TEXT = st.one_of(hostile_text(), st.sampled_from(["Talk to Ms Patel.", "Shorter queues.\nMore clubs."]))
EMAIL = st.sampled_from(["someone@fuzz.example", "admin@fuzz.example", "ADMIN@FUZZ.EXAMPLE ", "a@b", "@", ""])
QUESTIONNAIRE = st.sampled_from(
    ["national-secondary", "national-primary", "", "nope", "../national-secondary"]
)

FORMS: dict[str, FormRoute] = {
    # -- pupils ----------------------------------------------------------------------------------
    "pupil.start": FormRoute(
        ("anonymous", "pupil"),
        lambda world, n: "/",
        {"code": st.sampled_from(["ABCDE-23456", "abcde 23456", "OOOOO-11111", "", "ABCDE-2345６"])},
    ),
    "pupil.before_you_start": FormRoute(
        ("pupil", "pupil_agreed", "anonymous"),
        lambda world, n: "/before-you-start" + ("?review=1" if n % 2 else ""),
        {
            "choice": st.sampled_from(["yes", "no", "maybe", "YES", ""]),
            "confirm": st.sampled_from(["yes", "", "no"]),
        },
    ),
    "pupil.section": FormRoute(
        ("pupil_saved", "pupil_agreed", "pupil", "anonymous"),
        lambda world, n: [
            "/section/belonging",
            "/section/adults",
            "/section/fairness",
            "/section/your_say",
            "/section/about_you",
            "/section/nope",
            "/section/" + "x" * n,
        ][n % 7],
        {**answers_of("belonging"), **answers_of("fairness"), **answers_of("your_say")},
        examples=15,  # a fresh pupil each time: test_pupil.py fuzzes this page further
    ),
    "pupil.check_answers": FormRoute(
        ("pupil_done", "pupil_saved", "anonymous"), lambda world, n: "/check-your-answers", {}, examples=12
    ),
    "pupil.hand_over": FormRoute(
        ("pupil_agreed", "anonymous"), lambda world, n: "/hand-over", {}, examples=20
    ),
    # -- staff sign-in ---------------------------------------------------------------------------
    "auth.sign_in": FormRoute(
        ("anonymous",),
        lambda world, n: "/staff/sign-in" + ("?next=//evil.example" if n % 3 == 0 else ""),
        {"email": EMAIL, "password": st.sampled_from(["wrong", "", "correct horse battery staple"])},
    ),
    "auth.sign_out": FormRoute(("leaving", "anonymous"), lambda world, n: "/staff/sign-out", {}, examples=20),
    "auth.reset_password": FormRoute(
        ("anonymous", "admin"),
        _reset,
        {
            "password": st.sampled_from(["short", "a long enough password", ""]),
            "confirm": st.just("a long enough password"),
        },
        examples=20,
    ),
    # -- school leads ----------------------------------------------------------------------------
    # Safeguarding concerns: the world holds none, so every address is a concern that is not there
    # (or another school's): hostile notes and credentials must still never be a server error.
    "school.safeguarding_acknowledge": FormRoute(
        ("school_lead", "reviewer", "anonymous"), _school("/safeguarding/1/acknowledge"), {"note": STAFF_TEXT}
    ),
    "school.safeguarding_close": FormRoute(
        ("school_lead", "reviewer", "anonymous"), _school("/safeguarding/1/close"), {"note": STAFF_TEXT}
    ),
    "school.safeguarding_reveal": FormRoute(
        ("school_lead", "reviewer", "anonymous"),
        _school("/safeguarding/1/reveal"),
        {"reason": STAFF_TEXT, "email": EMAIL, "password": STAFF_TEXT},
    ),
    "school.trusted_adult": FormRoute(
        ("school_lead", "reviewer", "anonymous"),
        _school("/trusted-adult"),
        {"text": STAFF_TEXT, "text_cy": STAFF_TEXT},
    ),
    "school.you_said_we_did": FormRoute(
        ("school_lead", "reviewer", "anonymous"),
        _school("/you-said-we-did"),
        {"text": STAFF_TEXT, "text_cy": STAFF_TEXT},
    ),
    "school.new_wave": FormRoute(
        ("school_lead", "admin", "anonymous"),
        _school("/waves/new"),
        {"name": STAFF_TEXT, "questionnaire": QUESTIONNAIRE, "opens": DAY, "closes": YEAR},
    ),
    "school.wave": FormRoute(("school_lead", "anonymous"), _wave("/"), {}, {"roster": ROSTER_FILES}),
    # A previewed roster comes back signed: anything else (tampered, another wave's) saves nothing.
    "school.save_roster": FormRoute(
        ("school_lead", "anonymous"),
        _wave("/roster"),
        {"roster": st.one_of(STAFF_TEXT, st.sampled_from(["", "eyJ3YXZlIjoxfQ.x.y", "x" * 5000]))},
        examples=20,
    ),
    "school.codes": FormRoute(
        ("school_lead", "anonymous"),
        _wave("/codes"),
        {
            "format": st.sampled_from(["csv", "slips", "pdf", ""]),
            "scope": st.sampled_from(["all", "class", "pupil", "school", ""]),
            "class": st.one_of(STAFF_TEXT, st.sampled_from(["8A", "7A", ""])),
            "reference": st.one_of(STAFF_TEXT, st.sampled_from(["R1", "R12", "Jane Smith", "x" * 41])),
            "confirm": st.sampled_from(["yes", "no", ""]),
        },
        examples=20,
    ),
    "school.class_session": FormRoute(
        ("school_lead", "anonymous"),
        _wave("/class-sessions"),
        {
            "class-name": STAFF_TEXT,
            "class-count": st.sampled_from(["1", "60", "61", "0", "-1", "9" * 30, "1.5", "²"]),
        },
        examples=20,
    ),
    # -- admins ----------------------------------------------------------------------------------
    "admin.schools": FormRoute(
        ("admin", "school_lead", "anonymous"), lambda world, n: "/admin/schools", {}, {"file": SCHOOL_FILES}
    ),
    "admin.new_user": FormRoute(
        ("admin", "anonymous"),
        lambda world, n: "/admin/users/new",
        {
            "email": EMAIL,
            "role": st.sampled_from(["school_lead", "reviewer", "admin", "root", ""]),
            "scope": st.sampled_from(["schools", "local_authority", "trust", "national", "galaxy", ""]),
            "urns": st.sampled_from(["100001", "100001, 100002", "1", "99999999", "100001 " * 501, ""]),
            "la_code": st.sampled_from(["201", "", "x" * 11]),
            "trust": st.sampled_from(["Hill Trust", "", "x" * 201]),
        },
    ),
    "admin.reset_link": FormRoute(
        ("admin", "school_lead", "anonymous"), _user("/reset-link"), {}, examples=15
    ),
    # Publishes a release of the world's responses: a few examples are enough.
    "admin.publish_now": FormRoute(
        ("admin", "school_lead", "anonymous"), lambda world, n: "/admin/releases", {}, examples=4
    ),
    "admin.deactivate": FormRoute(("admin", "anonymous"), _user("/deactivate"), {}, examples=15),
    "admin.reactivate": FormRoute(("admin", "anonymous"), _user("/reactivate"), {}, examples=15),
    "admin.new_wave": FormRoute(
        ("admin", "school_lead", "anonymous"),
        lambda world, n: "/admin/waves/new",
        {
            "name": STAFF_TEXT,
            "questionnaire": QUESTIONNAIRE,
            "school_urn": st.sampled_from(["", "100001", "999999", "١٠٠٠٠١", "12"]),
            "opens": DAY,
            "closes": YEAR,
        },
    ),
    "admin.withdraw": FormRoute(
        ("admin", "anonymous"),
        lambda world, n: "/admin/withdraw",
        {
            "by": st.sampled_from(["code", "reference", "both", ""]),
            "code": st.sampled_from(["ABCDE-23456", "", "x" * 41]),
            "urn": st.sampled_from(["100001", "", "99999999", "١٠٠٠٠١"]),
            "wave": st.one_of(st.integers(-1, 5).map(str), st.sampled_from(["", "x", "9" * 30])),
            "reference": st.sampled_from(["F001", "", "x" * 41]),
            "confirm": st.sampled_from(["yes", "", "no"]),
        },
    ),
}
