"""The risk check at save: a flagged answer shows the pupil help at once and raises a concern."""

from __future__ import annotations

import gzip
import socket
import time

import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller

from questionnaires import load
from survey.data.users import create_user
from survey.extensions import db
from survey.models import AuditEvent, ConcernState, Role, SafeguardingConcern, School, ScopeKind
from tests.pages import check_page

SECONDARY = load("national-secondary")
PRIMARY = load("national-primary")
DISCLOSURE = "My stepdad Gary hits me at home and I am scared to go home"


def _reach_your_say(pupil) -> None:
    for section in SECONDARY.sections:
        if section.id == "your_say":
            return
        pupil.post(f"/section/{section.id}", data={})


def _concerns(app) -> list[SafeguardingConcern]:
    with app.app_context():
        found = list(db.session.scalars(sa.select(SafeguardingConcern)))
        db.session.expunge_all()
        return found


def test_a_flagged_answer_shows_help_at_once_then_carries_on(pupil, app):
    _reach_your_say(pupil)
    saved = pupil.post("/section/your_say", data={"say_better": DISCLOSURE})
    assert saved.location == "/help"
    page = check_page(pupil.get("/help"))
    text = page.get_text(" ", strip=True)
    assert "Thank you for telling us" in text
    assert "0800 1111" in text  # Childline
    assert "Talk to Mr Evans in room 4." in text  # the school's trusted-adult text
    assert "They will not see your name" in text
    carry_on = page.find("a", string="Carry on with the survey")
    assert carry_on["href"] == "/section/about_you" or carry_on["href"].startswith("/")
    assert pupil.get(carry_on["href"]).status_code == 200

    (concern,) = _concerns(app)
    assert concern.state is ConcernState.NEW and concern.question_id == "say_better"
    assert "Gary" not in concern.text and "[name]" in concern.text  # redacted as analysis.text.redact does
    assert ["Being hurt", "hit* me"] in concern.matches


def test_saving_the_same_answer_again_raises_no_second_concern(pupil, app):
    _reach_your_say(pupil)
    pupil.post("/section/your_say", data={"say_better": DISCLOSURE})
    assert pupil.post("/section/your_say", data={"say_better": DISCLOSURE}).location == "/help"
    assert len(_concerns(app)) == 1
    pupil.post("/section/your_say", data={"say_better": "I want to kill myself"})
    (concern,) = _concerns(app)
    assert concern.text == "I want to kill myself"  # the DSL reads what the pupil wrote last
    with app.app_context():
        actions = db.session.scalars(sa.select(AuditEvent.action)).all()
    assert actions.count("raise_safeguarding_concern") == 1 and "update_safeguarding_concern" in actions


def test_an_ordinary_answer_goes_straight_on(pupil, app):
    _reach_your_say(pupil)
    saved = pupil.post("/section/your_say", data={"say_better": "We hit the ball really far in rounders"})
    assert saved.location != "/help"
    assert _concerns(app) == []


def test_save_and_come_back_later_still_shows_help(pupil, app):
    _reach_your_say(pupil)
    saved = pupil.post("/section/your_say", data={"say_better": DISCLOSURE, "action": "later"})
    assert saved.location == "/help"
    page = check_page(pupil.get("/help"))
    assert page.find("a", string="Done")["href"] == "/"
    assert pupil.get("/section/your_say").location == "/"  # the session has ended
    assert len(_concerns(app)) == 1


def test_help_page_in_welsh(pupil, app):
    _reach_your_say(pupil)
    pupil.get("/language/cy")
    pupil.post("/section/your_say", data={"say_better": "Mae fy llystad yn fy nharo i"})
    text = check_page(pupil.get("/help")).get_text(" ", strip=True)
    assert "Diolch am ddweud wrthon ni" in text and "0800 1111" in text
    assert _concerns(app)[0].language == "cy"


def test_help_page_without_a_flag_is_generic_and_safe(client):
    page = check_page(client.get("/help"))
    assert page.find("a", string="Done")["href"] == "/"


def test_before_you_start_says_what_happens_for_each_age_and_mode(client, new_code, app):
    expected = {
        ("national-secondary", False): "one other named member of staff can find out together",
        ("national-secondary", True): "nobody can find out who wrote it",
        ("national-primary", False): "they and one more grown-up can find out together who wrote it",
        ("national-primary", True): "Nobody can find out who wrote it",
    }
    for (questionnaire, anonymous), words in expected.items():
        pupil = app.test_client()
        pupil.post("/", data={"code": new_code(questionnaire, anonymous=anonymous)})
        text = check_page(pupil.get("/before-you-start")).get_text(" ", strip=True)
        assert words in text, (questionnaire, anonymous)
        assert "confidential, not secret" in text
        pupil.get("/language/cy")
        welsh = check_page(pupil.get("/before-you-start")).get_text(" ", strip=True)
        assert "gyfrinachol, nid cyfrinach" in welsh and "Os wyt ti’n ysgrifennu" in welsh


def test_primary_text_answers_are_checked_too(client, new_code, app):
    client.post("/", data={"code": new_code("national-primary")})
    client.post("/before-you-start", data={"choice": "yes"})
    for section in PRIMARY.sections:
        if any(q.type == "text" for q in section.questions):
            break
        client.post(f"/section/{section.id}", data={})
    question = next(q for q in section.questions if q.type == "text")
    saved = client.post(f"/section/{section.id}", data={question.id: "my dad hits me"})
    assert saved.location == "/help"


@pytest.fixture
def smtp_server():
    """A real SMTP server (aiosmtpd) on a free local port, keeping what it receives."""
    received: list = []

    class Keep:
        async def handle_DATA(self, server, session, envelope):
            received.append(envelope)
            return "250 OK"

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(Keep(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield port, received
    finally:
        controller.stop()


def test_the_schools_dsl_is_emailed_without_the_pupils_words(pupil, app, smtp_server):
    port, received = smtp_server
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=port, SMTP_FROM="alerts@pupil-voice.example")
    with app.app_context():
        school = db.session.scalar(sa.select(School))
        create_user(email="dsl@hillside.example", password="correct horse battery staple",
                    role=Role.SAFEGUARDING_LEAD, scope_kind=ScopeKind.SCHOOLS, schools=[school], actor="test")  # fmt: skip
        db.session.commit()
    _reach_your_say(pupil)
    assert pupil.post("/section/your_say", data={"say_better": DISCLOSURE}).location == "/help"
    deadline = time.monotonic() + 10
    while not received and time.monotonic() < deadline:
        time.sleep(0.05)
    (envelope,) = received
    assert envelope.rcpt_tos == ["dsl@hillside.example"]
    message = envelope.content.decode()
    assert "possible safeguarding concern" in message and "Hillside Academy" in message
    (concern,) = _concerns(app)
    assert f"/school/100001/safeguarding/{concern.id}" in message
    for words in ("stepdad", "hits me", "scared", "Gary"):
        assert words not in message
    # The same answer saved again is not a new concern: no second email.
    pupil.post("/section/your_say", data={"say_better": DISCLOSURE})
    time.sleep(0.5)
    assert len(received) == 1


def test_without_smtp_nothing_is_sent_and_the_pupil_still_gets_help(pupil, app, smtp_server):
    _, received = smtp_server
    assert not app.config["SMTP_HOST"]
    _reach_your_say(pupil)
    assert pupil.post("/section/your_say", data={"say_better": DISCLOSURE}).location == "/help"
    time.sleep(0.3)
    assert received == []


def test_help_page_keeps_the_15_kb_page_budget(pupil):
    _reach_your_say(pupil)
    pupil.post("/section/your_say", data={"say_better": DISCLOSURE})
    for language in ("en", "cy"):
        pupil.get(f"/language/{language}")
        body = pupil.get("/help").get_data()
        print(f"help page ({language}): {len(body)} bytes, {len(gzip.compress(body))} gzipped")
        assert len(body) <= 15 * 1024
