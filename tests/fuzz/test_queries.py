"""Every page that can be asked for, with hostile addresses and query strings (the search boxes and
filters are GET forms): never a 5xx, never a traceback. The routes come from the URL map, so a new
page is fuzzed without being listed anywhere."""

from __future__ import annotations

import re
from urllib.parse import quote_from_bytes

import pytest
from hypothesis import given
from hypothesis import strategies as st
from werkzeug.routing import IntegerConverter

from .conftest import URN, assert_no_server_error, fuzz_settings
from .hostile import hostile_bytes

pytestmark = pytest.mark.fuzz

# Every query parameter a page reads, and a few it does not.
PARAMETERS = [
    "q", "page", "questionnaire", "wave", "scale", "group", "la", "trust", "phase", "measure", "gap",
    "adjust", "outcome", "theme", "action", "user", "print", "next", "review", "return", "format",
]  # fmt: skip
PLAUSIBLE = st.sampled_from(
    ["1", "2", "national-secondary", "belonging", "fsm", "fsm:Y", "raw", "contextualised", "201", "Hill Trust",
     "Secondary", "ll_sent_out", "safeguarding", "sign_in", "/school/", "//evil.example", "9" * 30, "-1", "²"]
)  # fmt: skip


def _get_rules(app) -> list:
    return sorted(
        (
            rule
            for rule in app.url_map.iter_rules()
            if "GET" in (rule.methods or ()) and rule.endpoint != "static"
        ),
        key=lambda rule: rule.rule,
    )


@st.composite
def addresses(draw, rule, world) -> str:
    """The rule's path with each variable filled (a real id, or a hostile one) and a hostile query."""
    path = rule.rule
    for name in sorted(rule.arguments):
        if name == "urn":
            value = draw(st.sampled_from([str(URN), str(URN), "100002", "0", str(2**31 - 1), "9" * 25]))
        elif isinstance(rule._converters[name], IntegerConverter):
            real = str(world.wave_id if name == "wave_id" else world.user_ids["target"])
            value = draw(st.sampled_from([real, real, "0", "1", str(2**31), "9" * 25]))
        else:
            chosen = draw(
                st.one_of(
                    st.sampled_from(
                        ["csv", "xlsx", "pdf", "rates-year-group", "scales", "cy", "en", "x" * 300]
                    ),
                    hostile_bytes(20, huge=False).filter(bool),
                )
            )
            value = quote_from_bytes(chosen if isinstance(chosen, bytes) else chosen.encode(), safe="")
        path = re.sub(rf"<(?:[^:<>]+:)?{name}>", lambda _, value=value: value, path)
    pairs = draw(
        st.lists(
            st.tuples(
                st.one_of(st.sampled_from(PARAMETERS).map(str.encode), hostile_bytes(10, huge=False)),
                st.one_of(PLAUSIBLE.map(str.encode), hostile_bytes(huge=False)),
            ),
            max_size=5,
        )
    )
    query = "&".join(quote_from_bytes(k) + "=" + quote_from_bytes(v) for k, v in pairs)
    return path + ("?" + query if query else "")


def test_the_url_map_has_pages_to_fuzz(world):
    endpoints = {rule.endpoint for rule in _get_rules(world.app)}
    assert {"admin.schools", "review.index", "school.results_page", "pupil.section"} <= endpoints


def test_hostile_addresses_and_queries(world):
    rules = _get_rules(world.app)
    roles = ["anonymous", "school_lead", "reviewer", "admin", "pupil_agreed"]

    @fuzz_settings(world, 20 * len(rules) // 6)
    @given(data=st.data(), rule=st.sampled_from(rules), role=st.sampled_from(roles))
    def hostile_get(data, rule, role):
        client = world.kept_pupil() if role == "pupil_agreed" else world.client(role)
        address = data.draw(addresses(rule, world), label="address")
        response = client.get(address)
        assert_no_server_error(response, f"GET {rule.endpoint} as {role}: {address[:200]!r}")

    hostile_get()
