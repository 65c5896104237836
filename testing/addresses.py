"""Hostile addresses and query strings for every page of the app, as a hypothesis strategy.

Used by the fuzz tests (`tests/fuzz/test_queries.py`) and by `bench/fuzz.py`. `world` is anything
with the ids of a seeded app: `wave_id` and `user_ids["target"]`.
"""

from __future__ import annotations

import re
from urllib.parse import quote_from_bytes

from hypothesis import strategies as st
from werkzeug.routing import IntegerConverter

from .fuzz_forms import URN
from .hostile import hostile_bytes

# Every query parameter a page reads, and a few it does not.
PARAMETERS = [
    "q", "page", "questionnaire", "wave", "scale", "group", "la", "trust", "phase", "measure", "gap",
    "adjust", "outcome", "theme", "action", "user", "print", "next", "review", "return", "format",
]  # fmt: skip
PLAUSIBLE = st.sampled_from(
    ["1", "2", "national-secondary", "belonging", "fsm", "fsm:Y", "raw", "contextualised", "201",
     "Hill Trust", "Secondary", "ll_sent_out", "safeguarding", "sign_in", "/school/", "//evil.example",
     "9" * 30, "-1", "²"]
)  # fmt: skip


def get_rules(app) -> list:
    """Every rule of the app's URL map that answers GET, but the static files, in a stable order."""
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
