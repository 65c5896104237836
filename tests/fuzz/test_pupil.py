"""A pupil's section page with tampered posts: a rejected post leaves the pupil's earlier answers
exactly as they were, and the same page sent twice (token and all) is saved once."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from hypothesis import given
from hypothesis import strategies as st
from werkzeug.datastructures import MultiDict

from questionnaires import load
from survey.extensions import db
from survey.models import Answer, Response
from testing.hostile import hostile_text

from .conftest import assert_no_server_error, fuzz_settings

pytestmark = pytest.mark.fuzz

SECONDARY = load("national-secondary")
BELONGING = list(SECONDARY.sections["belonging"].questions)
KNOWN = {q.id for q in BELONGING} | {"csrf_token", "switch_language", "action"}


def saved(world) -> tuple[list, list]:
    """Every answer and every response's status and progress (not when it was last saved)."""
    with world.app.app_context():
        answers_ = db.session.execute(
            sa.select(Answer.response_id, Answer.question_id, Answer.value, Answer.choices, Answer.text,
                      Answer.prefer_not_to_say).order_by(Answer.response_id, Answer.question_id)
        ).all()  # fmt: skip
        responses = db.session.execute(
            sa.select(Response.id, Response.status, Response.progress).order_by(Response.id)
        ).all()
    return answers_, responses


def _as_int(text: str) -> int | None:
    try:
        return int(text)
    except ValueError:
        return None


def _offered(question, value: str) -> bool:
    """Whether the page offers `value` (as int() reads it: " 1" and "١" count as 1)."""
    if value == "prefer-not-to-say":
        return question.prefer_not_to_say
    return value == "" or _as_int(value) in question.values


@st.composite
def answers(draw) -> list[tuple[str, str]]:
    questions = draw(st.lists(st.sampled_from(BELONGING), unique_by=lambda q: q.id))
    return [(q.id, draw(st.sampled_from([str(v) for v in q.values]))) for q in questions]


@st.composite
def tampered(draw) -> tuple[list[tuple[str, str]], str]:
    """Plausible answers with one thing the page could not have sent, and what it is."""
    pairs = [(k, v) for k, v in draw(answers())]
    question = draw(st.sampled_from(BELONGING))
    kind = draw(st.sampled_from(["option", "repeated", "unknown field"]))
    if kind == "option":
        value = draw(
            st.one_of(st.integers(), hostile_text()).map(str).filter(lambda v: not _offered(question, v))
        )
        pairs = [(k, v) for k, v in pairs if k != question.id] + [(question.id, value)]
    elif kind == "repeated":
        pairs += [(question.id, "1"), (question.id, "2")]
    else:
        pairs.append((draw(hostile_text(20).filter(lambda name: name not in KNOWN)), "1"))
    return draw(st.permutations(pairs)), kind


def test_a_tampered_page_changes_no_answer(world):
    pupil = world.pupil("pupil_saved")

    @fuzz_settings(world, 40)
    @given(post=tampered())
    def tampered_page(post):
        pairs, kind = post
        before = world.snapshot()
        response = pupil.post("/section/belonging", data=MultiDict([("csrf_token", pupil.token), *pairs]))
        assert_no_server_error(response, f"a page with a tampered {kind}")
        assert response.status_code in (400, 413), f"{kind}: {response.status_code}"
        assert world.snapshot() == before, f"a page with a tampered {kind} changed the saved answers"

    tampered_page()


def test_a_page_sent_twice_is_saved_once(world):
    pupil = world.pupil("pupil_saved")

    @fuzz_settings(world, 20)
    @given(pairs=answers())
    def twice(pairs):
        data = MultiDict([("csrf_token", pupil.token), *pairs])
        first = pupil.post("/section/belonging", data=data)
        assert first.status_code == 302, first.status_code
        after_first = saved(world)
        second = pupil.post("/section/belonging", data=data)
        assert second.status_code == 302 and second.location == first.location
        assert saved(world) == after_first

    twice()
