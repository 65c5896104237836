"""Rate limits shared by many app instances through Redis, and what happens when Redis is away.

Two `create_app()` instances stand for two servers behind a load balancer. With the same Redis
(RATELIMIT_STORAGE_URI), a wrong code or password on one counts on the other; with in-memory
storage each instance counts on its own (the control, which shows the instances really are
separate). Redis comes from TEST_REDIS_URL (default redis://127.0.0.1:6379/15): skipped locally
without it, failed in CI (CI=true). Each test counts under its own key prefix and deletes its keys.
"""

from __future__ import annotations

import os
import secrets

import pytest

from survey.data.users import create_user
from survey.extensions import db
from survey.models import Role, ScopeKind
from tests.conftest import make_app
from tests.pupil.conftest import new_code, school  # noqa: F401  (fixtures: a school and fresh codes)

WRONG_CODE = "ABCDE-23456"
EMAIL, PASSWORD = "reviewer@national.example", "correct horse battery staple"


@pytest.fixture
def redis_storage():
    """(storage URI, key prefix) on a reachable Redis; the prefix's keys are deleted afterwards."""
    import redis

    url = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
    client = redis.Redis.from_url(url, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.exceptions.ConnectionError as error:
        message = f"Redis is not reachable at {url}: {error}"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message + " (CI must test the shared rate limits)", pytrace=False)
        pytest.skip(message + " — skipping the shared rate-limit tests")
    prefix = f"test-{os.getpid()}-{secrets.token_hex(6)}"
    yield url, prefix
    keys = list(client.scan_iter(match=f"*{prefix}*"))
    if keys:
        client.delete(*keys)
    client.close()


def two_instances(database_url: str, **config):
    apps = make_app(database_url, **config), make_app(database_url, **config)
    yield apps
    for app in apps:
        with app.app_context():
            db.engine.dispose()


@pytest.fixture
def instances(database_url, redis_storage):
    url, prefix = redis_storage
    config = {
        "RATELIMIT_STORAGE_URI": url,
        "RATELIMIT_KEY_PREFIX": prefix,
        "CODE_ATTEMPTS_PER_NETWORK": "4 per hour",
        "SIGN_IN_ATTEMPTS_PER_EMAIL": "3 per hour",
    }
    yield from two_instances(database_url, **config)


@pytest.fixture
def reviewer(loaded):
    with loaded.app_context():
        create_user(
            email=EMAIL, password=PASSWORD, role=Role.REVIEWER, scope_kind=ScopeKind.NATIONAL, actor="test"
        )
        db.session.commit()


def enter(app, code: str) -> int:
    """A code typed into a fresh browser (so only the per-network limit is shared)."""
    return app.test_client().post("/", data={"code": code}).status_code


def sign_in(app, password: str) -> int:
    return app.test_client().post("/staff/sign-in", data={"email": EMAIL, "password": password}).status_code


def test_wrong_codes_count_on_every_instance(instances, redis_storage, new_code):  # noqa: F811
    a, b = instances
    for app in (a, b, a, b):
        assert enter(app, WRONG_CODE) == 200  # "check the code" page
    assert enter(a, WRONG_CODE) == 429
    assert enter(b, new_code()) == 429  # the network's 4 wrong codes were spread over both instances
    import redis

    url, prefix = redis_storage
    assert list(redis.Redis.from_url(url).scan_iter(match=f"*{prefix}*code-entry-network*"))


def test_wrong_passwords_count_on_every_instance(instances, reviewer):
    a, b = instances
    for app in (a, b, a):
        assert sign_in(app, "wrong password") == 200  # the form again, with its error
    assert sign_in(b, PASSWORD) == 429  # even the right password: 3 wrong ones for this email already


def test_right_codes_and_passwords_do_not_count(instances, reviewer, new_code):  # noqa: F811
    a, b = instances
    for app in (a, b, a, b, a, b):
        assert enter(app, new_code()) == 302
    assert sign_in(a, PASSWORD) == 302
    assert sign_in(b, PASSWORD) == 302
    assert enter(a, WRONG_CODE) == 200


def test_without_redis_each_instance_counts_alone(database_url, new_code):  # noqa: F811
    """The control: in-memory storage is per instance, so the tests above can only pass through Redis."""
    config = {"RATELIMIT_STORAGE_URI": "memory://", "CODE_ATTEMPTS_PER_NETWORK": "2 per hour"}
    for a, b in two_instances(database_url, **config):
        assert [enter(a, WRONG_CODE) for _ in range(3)] == [200, 200, 429]
        assert enter(b, WRONG_CODE) == 200
        assert enter(b, new_code()) == 302


def test_when_redis_is_unreachable_limits_hold_per_instance(database_url, new_code):  # noqa: F811
    """No Redis (nothing listens on port 1): no 500, codes still work, wrong ones still run out."""
    config = {"RATELIMIT_STORAGE_URI": "redis://127.0.0.1:1/0", "CODE_ATTEMPTS_PER_NETWORK": "3 per hour"}
    for a, _ in two_instances(database_url, **config):
        assert enter(a, new_code()) == 302
        assert [enter(a, WRONG_CODE) for _ in range(4)] == [200, 200, 200, 429]
