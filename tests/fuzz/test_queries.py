"""Every page that can be asked for, with hostile addresses and query strings (the search boxes and
filters are GET forms): never a 5xx, never a traceback. The routes come from the URL map, so a new
page is fuzzed without being listed anywhere."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from testing.addresses import addresses, get_rules

from .conftest import assert_no_server_error, fuzz_settings

pytestmark = pytest.mark.fuzz


def test_the_url_map_has_pages_to_fuzz(world):
    endpoints = {rule.endpoint for rule in get_rules(world.app)}
    assert {"admin.schools", "review.index", "school.results_page", "pupil.section"} <= endpoints


def test_hostile_addresses_and_queries(world):
    rules = get_rules(world.app)
    roles = ["anonymous", "school_lead", "reviewer", "admin", "pupil_agreed"]

    @fuzz_settings(world, 20 * len(rules) // 6)
    @given(data=st.data(), rule=st.sampled_from(rules), role=st.sampled_from(roles))
    def hostile_get(data, rule, role):
        client = world.kept_pupil() if role == "pupil_agreed" else world.client(role)
        address = data.draw(addresses(rule, world), label="address")
        response = client.get(address)
        assert_no_server_error(response, f"GET {rule.endpoint} as {role}: {address[:200]!r}")

    hostile_get()
