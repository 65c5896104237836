"""Every form, pupil and staff, with random and hostile posts: never a 5xx, never a traceback, and a
post that is turned down (an error status or a page saying there is a problem), or that lacks a
valid CSRF token, changes nothing in the database."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from survey import create_app
from testing.fuzz_forms import FORMS
from testing.hostile import posts

from .conftest import CONFIG, assert_no_server_error, fuzz_settings, rejected

pytestmark = pytest.mark.fuzz


def post(client, url: str, body) -> object:
    return client.post(url, data=body.body, content_type=body.content_type)


def test_every_post_route_is_fuzzed():
    """A new route that takes POST must be described in forms.FORMS, so it is fuzzed too."""
    app = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://", **CONFIG})
    posting = {rule.endpoint for rule in app.url_map.iter_rules() if "POST" in (rule.methods or ())}
    assert posting - set(FORMS) == set(), (
        "POST routes without fuzz coverage: add them to testing/fuzz_forms.py"
    )
    assert set(FORMS) - posting == set(), "testing/fuzz_forms.py describes routes that no longer take POST"


@pytest.mark.parametrize("endpoint", sorted(FORMS))
def test_hostile_posts(world, endpoint):
    form = FORMS[endpoint]

    @fuzz_settings(world, form.examples)
    @given(data=st.data(), role=st.sampled_from(form.roles), n=st.integers(0, 200), replay=st.integers(0, 9))
    def hostile_post(data, role, n, replay):
        client = world.client(role)
        url = form.url(world, n)
        body = data.draw(posts(form.known, form.files, client.token), label="post")
        before = world.snapshot()
        response = post(client, url, body)
        assert_no_server_error(response, f"{endpoint} as {role}: {body!r}")
        if rejected(response) or body.csrf != "valid":
            assert world.snapshot() == before, f"{endpoint} turned down {body!r} but saved something"
        if replay == 0:  # the same form, token and all, sent again (a double click, a resend)
            again = post(client, url, body)
            assert_no_server_error(again, f"{endpoint} as {role}, sent twice: {body!r}")

    hostile_post()
