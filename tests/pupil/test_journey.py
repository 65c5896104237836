"""The pupil journey through the Flask test client.

Tests that save and read answers run on SQLite as well as PostgreSQL (`store`): the pupil store
reads and saves with different SQL on each (one JSON row and one statement on PostgreSQL, rows and
a locking transaction on SQLite). The pages and rules around it run on PostgreSQL only.
"""

from __future__ import annotations

import csv
import io
import time

import pytest
import sqlalchemy as sa

from questionnaires import load
from survey.data.export import export_responses
from survey.extensions import db
from survey.models import Answer, Response, ResponseStatus, School
from survey.pupil import messages
from tests.pages import check_page

SECONDARY = load("national-secondary")
PRIMARY = load("national-primary")
BELONGING = [q.id for q in SECONDARY.sections["belonging"].questions]
store = pytest.mark.both_databases


def answers(app) -> dict[str, tuple]:
    with app.app_context():
        rows = db.session.scalars(sa.select(Answer)).all()
        return {a.question_id: (a.value, a.choices, a.text, a.prefer_not_to_say) for a in rows}


def responses(app) -> list[tuple]:
    with app.app_context():
        return [(r.status, r.progress) for r in db.session.scalars(sa.select(Response))]


def error_text(response) -> str:
    page = check_page(response)
    summary = page.select_one(".govuk-error-summary")
    return summary.get_text(" ", strip=True) if summary else ""


# Code entry -----------------------------------------------------------------------------------------


def test_code_is_forgiving_about_case_spaces_and_hyphens(client, new_code):
    code = new_code()
    typed = " " + code.lower().replace("-", " ") + " "
    response = client.post("/", data={"code": typed})
    assert response.status_code == 302 and response.location == "/before-you-start"


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        (lambda new_code: "", messages.CODE_MISSING),
        (lambda new_code: "ABC", messages.CODE_FORMAT),
        (lambda new_code: "OOOOO-11111", messages.CODE_FORMAT),  # letters we never issue
        (lambda new_code: "ABCDE-23456", messages.CODE_UNKNOWN),
        (lambda new_code: new_code(opens=-30, closes=-1), messages.WAVE_CLOSED),
        (lambda new_code: new_code(opens=2, closes=30), messages.WAVE_NOT_OPEN),
    ],
    ids=["empty", "malformed", "ambiguous", "unknown", "closed", "not-open"],
)
def test_wrong_codes_get_distinct_kind_messages(client, new_code, setup, message):
    response = client.post("/", data={"code": setup(new_code)})
    assert response.status_code == 200
    assert str(message) in error_text(response)
    assert check_page(response).title.string.startswith("Error:")


@store
def test_used_code_cannot_reopen_the_answers(client, pupil, app):
    pupil.post("/section/belonging", data={"belong_part": "4"})
    _finish(pupil)
    pupil.post("/hand-over")
    again = client.post("/", data={"code": pupil.code})
    assert str(messages.CODE_USED) in error_text(again)
    assert client.get("/check-your-answers").status_code == 302


def test_guessing_is_rate_limited_but_a_class_sharing_a_network_is_not(app, new_code):
    guesser = app.test_client()
    for _ in range(10):
        assert guesser.post("/", data={"code": "ABCDE-23456"}).status_code == 200
    assert guesser.post("/", data={"code": "ABCDE-23456"}).status_code == 429
    # Another pupil on the same school network still gets in.
    classmate = app.test_client()
    assert classmate.post("/", data={"code": new_code()}).status_code == 302


def test_correct_codes_do_not_count_towards_the_limit(app, new_code):
    for _ in range(12):
        client = app.test_client()
        assert client.post("/", data={"code": new_code()}).status_code == 302


# Assent ---------------------------------------------------------------------------------------------


def test_assent_page_tells_pupils_their_rights(client, new_code):
    client.post("/", data={"code": new_code()})
    page = check_page(client.get("/before-you-start")).get_text(" ", strip=True)
    for words in (
        "not a test",
        "skip any question",
        "stop at any time",
        "groups of 10 or more",
        "confidential, not secret",
        "Yes, I want to take part",
        "No thanks",
    ):
        assert words in page


@pytest.mark.parametrize("anonymous", [False, True])
@pytest.mark.parametrize("language", ["en", "cy"])
def test_the_primary_before_you_start_is_at_most_80_words(client, new_code, anonymous, language):
    client.post("/", data={"code": new_code("national-primary", anonymous=anonymous)})
    client.get(f"/language/{language}")
    page = check_page(client.get("/before-you-start"))
    main = page.find("main")
    for nav in main.select("nav"):
        nav.decompose()
    words = main.get_text(" ", strip=True).split()
    assert len(words) <= 80, (len(words), " ".join(words))
    # All of it but the buttons is one block that read-aloud reads.
    assert len(page.select("[data-read-aloud]")) == 1
    assert "skip" in page.select_one("[data-read-aloud]").get_text() or language == "cy"


@store
def test_no_thanks_asks_first_records_a_refusal_and_ends_kindly(client, new_code, app):
    code = new_code()
    client.post("/", data={"code": code})
    confirm = check_page(client.post("/before-you-start", data={"choice": "no"}))
    assert confirm.h1.get_text(strip=True) == "Are you sure you do not want to take part?"
    assert responses(app) == []  # one tap records nothing
    response = client.post("/before-you-start", data={"choice": "no", "confirm": "yes"})
    assert response.location == "/no-thanks"
    page = check_page(client.get("/no-thanks")).get_text(" ", strip=True)
    assert "That is fine" in page and "0800 1111" in page
    assert "If you change your mind, enter your code again before the survey closes" in page
    assert "already been used" not in page
    assert responses(app) == [(ResponseStatus.REFUSED, 0)]
    assert answers(app) == {}


@store
def test_the_confirmation_can_take_the_pupil_in_after_all(client, new_code, app):
    client.post("/", data={"code": new_code()})
    client.post("/before-you-start", data={"choice": "no"})
    response = client.post("/before-you-start", data={"choice": "yes", "confirm": "yes"})
    assert response.location == "/section/belonging"
    assert responses(app) == [(ResponseStatus.IN_PROGRESS, 0)]


@store
def test_no_thanks_is_undone_with_the_same_code_while_the_wave_is_open(client, new_code, app):
    code = new_code()
    client.post("/", data={"code": code})
    client.post("/before-you-start", data={"choice": "no", "confirm": "yes"})
    client.post("/hand-over")
    later = app.test_client()
    entered = later.post("/", data={"code": code})
    assert entered.location == "/before-you-start"
    page = check_page(later.get("/before-you-start")).get_text(" ", strip=True)
    assert "You said no thanks before" in page
    assert later.get("/section/belonging").location == "/before-you-start"  # not until they say yes
    assert later.post("/before-you-start", data={"choice": "yes"}).location == "/section/belonging"
    assert responses(app) == [(ResponseStatus.IN_PROGRESS, 0)]
    later.post("/section/belonging", data={"belong_part": "4"})
    assert answers(app)  # their answers now count


def test_no_thanks_cannot_be_undone_after_the_wave_closes(client, new_code, app):
    code = new_code(opens=-30, closes=-1)
    assert str(messages.WAVE_CLOSED) in error_text(client.post("/", data={"code": code}))


def test_stop_and_hand_over_from_a_question_page(pupil, app):
    page = check_page(pupil.get("/section/belonging"))
    link = page.find("a", string="Stop and hand over")
    assert link["href"] == "/stop"
    stop = check_page(pupil.get("/stop"))
    assert stop.h1.get_text(strip=True) == "Do you want to stop now?"
    assert stop.find("a", string="Go back to the survey")["href"] == "/section/belonging"
    assert stop.find("form")["action"] == "/hand-over"
    handed = pupil.post("/hand-over")
    assert handed.location == "/"
    assert pupil.get("/section/belonging").location == "/"


def test_pages_need_a_code(client):
    response = client.get("/section/belonging")
    assert response.status_code == 302 and response.location == "/"


# Question pages -------------------------------------------------------------------------------------


def test_section_page_is_generated_from_the_questionnaire(pupil):
    page = check_page(pupil.get("/section/belonging"))
    text = page.get_text(" ", strip=True)
    assert "Section 1 of 10" in text  # About you is only for class sessions
    assert page.h1.get_text(strip=True) == SECONDARY.sections["belonging"].title["en"]
    for qid in BELONGING:
        assert len(page.select(f'input[type=radio][name="{qid}"]')) == 5
    assert page.select_one(".govuk-back-link")["href"].startswith("/before-you-start")
    assert page.find("button", string=lambda s: s and "Save and continue" in s)


@store
def test_saving_a_page_is_idempotent(pupil, app):
    data = {"belong_part": "4", "belong_accepted": "5"}
    first = pupil.post("/section/belonging", data=data)
    second = pupil.post("/section/belonging", data=data)  # a double click, or a retry
    assert first.location == second.location == "/section/adults"
    assert answers(app) == {"belong_part": (4, None, None, False), "belong_accepted": (5, None, None, False)}
    assert responses(app) == [(ResponseStatus.IN_PROGRESS, 1)]


def shown_version(pupil, url: str) -> str:
    return check_page(pupil.get(url)).select_one("input[name=version]")["value"]


@store
def test_a_double_submit_of_a_shown_page_saves_once_and_moves_on(pupil, app):
    data = {"belong_part": "4", "version": shown_version(pupil, "/section/belonging")}
    first = pupil.post("/section/belonging", data=data)
    second = pupil.post("/section/belonging", data=data)
    assert first.location == second.location == "/section/adults"
    assert answers(app) == {"belong_part": (4, None, None, False)}


@store
def test_a_late_post_of_an_old_page_does_not_overwrite_newer_answers(pupil, app):
    old_page = shown_version(pupil, "/section/belonging")
    pupil.post("/section/belonging", data={"belong_part": "4", "version": old_page})
    # The pupil comes back to the page and changes the answer...
    newer = shown_version(pupil, "/section/belonging")
    assert newer != old_page
    pupil.post("/section/belonging", data={"belong_part": "2", "version": newer})
    # ...and then the first post arrives again (a retry held up on the network, or another tab).
    late = pupil.post("/section/belonging", data={"belong_part": "4", "version": old_page})
    assert late.location == "/section/belonging"
    assert answers(app) == {"belong_part": (2, None, None, False)}
    page = check_page(pupil.get("/section/belonging"))
    assert str(messages.PAGE_CHANGED) in page.select_one(".govuk-notification-banner").get_text(
        " ", strip=True
    )
    assert page.select_one("input[name=belong_part][checked]")["value"] == "2"
    # Saving the page as now shown works, and the message has gone.
    again = pupil.post(
        "/section/belonging", data={"belong_part": "3", "version": shown_version(pupil, "/section/belonging")}
    )
    assert again.location == "/section/adults"
    assert answers(app) == {"belong_part": (3, None, None, False)}
    assert not check_page(pupil.get("/section/belonging")).select(".govuk-notification-banner")


def test_a_page_changed_message_is_in_welsh_too(pupil, app):
    old_page = shown_version(pupil, "/section/belonging")
    pupil.post("/section/belonging", data={"belong_part": "4", "version": old_page, "switch_language": "cy"})
    pupil.post("/section/belonging", data={"belong_part": "1", "version": old_page})
    page = check_page(pupil.get("/section/belonging"))
    assert page.html["lang"] == "cy"
    assert "Cafodd y dudalen hon ei chadw" in page.select_one(".govuk-notification-banner").get_text()
    assert answers(app) == {"belong_part": (4, None, None, False)}


@store
def test_leaving_an_answer_blank_removes_it(pupil, app):
    pupil.post("/section/belonging", data={"belong_part": "4", "belong_accepted": "5"})
    pupil.post("/section/belonging", data={"belong_part": "2"})
    assert answers(app) == {"belong_part": (2, None, None, False)}


@store
def test_prefer_not_to_say_and_multiple_choice(pupil, app):
    for section in list(SECONDARY.sections)[:2]:
        pupil.post(f"/section/{section.id}", data={})
    why = SECONDARY.question("unfair_why")
    pupil.post("/section/being_heard", data={})
    pupil.post(
        "/section/fairness",
        data={"unfair_who": "3", "unfair_why": [str(why.options[0].value), str(why.options[2].value)]},
    )
    assert answers(app)["unfair_why"] == (None, [why.options[0].value, why.options[2].value], None, False)
    pupil.post("/section/fairness", data={"unfair_who": "3", "unfair_why": "prefer-not-to-say"})
    assert answers(app)["unfair_why"] == (None, None, None, True)
    both = pupil.post("/section/fairness", data={"unfair_who": "3", "unfair_why": ["1", "prefer-not-to-say"]})
    assert "Prefer not to say" in error_text(both)


@store
def test_routing_asks_follow_ups_only_when_they_apply_and_removes_stale_answers(pupil, app):
    for section in ("belonging", "adults", "being_heard"):
        pupil.post(f"/section/{section}", data={})
    page = check_page(pupil.get("/section/fairness"))
    assert not page.select('input[name="unfair_why"]')
    pupil.post("/section/fairness", data={"unfair_who": "2"})
    page = check_page(pupil.get("/section/fairness"))
    assert page.select('input[name="unfair_why"]')
    pupil.post("/section/fairness", data={"unfair_who": "2", "unfair_why": "1"})
    assert "unfair_why" in answers(app)
    pupil.post("/section/fairness", data={"unfair_who": "1"})  # never: the follow-up no longer applies
    assert "unfair_why" not in answers(app)


@store
def test_resume_goes_to_the_first_unsaved_section_with_answers_shown(pupil, app):
    pupil.post("/section/belonging", data={"belong_part": "4"})
    pupil.post("/section/adults", data={})
    elsewhere = app.test_client()  # the browser was closed; same code on another device
    response = elsewhere.post("/", data={"code": pupil.code})
    assert response.location == "/section/being_heard"
    back = check_page(elsewhere.get("/section/belonging"))
    assert back.select_one('input[name="belong_part"][value="4"]').has_attr("checked")


def test_pupils_cannot_skip_ahead(pupil):
    assert pupil.get("/section/safety").location == "/section/belonging"


@store
def test_text_is_capped_and_counted(pupil, app):
    for section in SECONDARY.sections:
        if section.id == "your_say":
            break
        pupil.post(f"/section/{section.id}", data={})
    text_ids = [q.id for q in SECONDARY.sections["your_say"].questions]
    page = check_page(pupil.get("/section/your_say"))
    assert page.select_one(f"#{text_ids[0]}").find_parent(attrs={"data-module": "govuk-character-count"})
    too_long = pupil.post("/section/your_say", data={text_ids[0]: "x" * 1501})
    assert "must be 1,500 characters or fewer" in error_text(too_long)
    assert "x" * 1501 in too_long.get_data(as_text=True)  # what they wrote is not thrown away
    assert text_ids[0] not in answers(app)
    pupil.post("/section/your_say", data={text_ids[0]: "  More clubs\x00 please\x07 "})
    assert answers(app)[text_ids[0]] == (None, None, "More clubs please", False)


@store
def test_check_answers_then_finish(pupil, app):
    pupil.post("/section/belonging", data={"belong_part": "4"})
    for section in list(SECONDARY.sections)[1:]:
        if section.only_in is None:
            pupil.post(f"/section/{section.id}", data={})
    page = check_page(pupil.get("/check-your-answers"))
    # One row per section, not per question: how many were answered, and a Change link.
    rows = {
        row.select_one(".govuk-summary-list__key").get_text(strip=True): row.select_one(
            ".govuk-summary-list__value"
        ).get_text(strip=True)
        for row in page.select(".govuk-summary-list__row")
    }
    sections = [s for s in SECONDARY.sections if s.only_in is None]
    assert list(rows) == [s.title["en"] for s in sections]
    belonging = SECONDARY.sections["belonging"]
    assert rows[belonging.title["en"]] == f"1 of {len(belonging.questions)} answered"
    assert rows[sections[1].title["en"]].startswith("0 of ")
    change = page.select_one('a[href="/section/belonging?return=check"]')
    assert change is not None and belonging.title["en"] in change.get_text()
    assert (
        pupil.post("/section/belonging?return=check", data={"belong_part": "5"}).location
        == "/check-your-answers"
    )
    assert pupil.post("/check-your-answers").location == "/finished"
    finished = check_page(pupil.get("/finished")).get_text(" ", strip=True)
    assert "0800 1111" in finished and "Talk to Mr Evans in room 4." in finished
    assert responses(app)[0][0] == ResponseStatus.COMPLETE
    # Finished answers can no longer be changed or read.
    assert pupil.get("/section/belonging").location == "/finished"
    assert pupil.post("/section/belonging", data={"belong_part": "1"}).location == "/finished"
    assert answers(app)["belong_part"] == (5, None, None, False)


def _finish(client):
    for section in SECONDARY.sections:
        if section.only_in is None:
            client.post(f"/section/{section.id}", data={})
    assert client.post("/check-your-answers").location == "/finished"


@store
def test_hand_over_clears_the_session_for_the_next_pupil(pupil, new_code, app):
    pupil.post("/section/belonging", data={"belong_part": "4"})
    _finish(pupil)
    response = pupil.post("/hand-over")
    assert response.location == "/"
    assert str(messages.HANDED_OVER) in pupil.get("/").get_data(as_text=True)
    assert pupil.get("/section/belonging").location == "/"
    # The next pupil on the same device sees none of the first pupil's answers.
    assert pupil.post("/", data={"code": new_code()}).status_code == 302
    pupil.post("/before-you-start", data={"choice": "yes"})
    page = check_page(pupil.get("/section/belonging"))
    assert not page.select("input[checked]")


def test_every_pupil_page_is_never_cached(pupil):
    for url in ("/", "/before-you-start?review=1", "/section/belonging"):
        assert pupil.get(url).headers["Cache-Control"] == "no-store"


def test_idle_timeout_clears_the_session(pupil):
    with pupil.session_transaction() as session:
        session["pupil"] = {**session["pupil"], "seen": int(time.time()) - 21 * 60}
    response = pupil.get("/section/belonging")
    assert response.location == "/"
    assert "nobody used it for a while" in pupil.get("/").get_data(as_text=True)
    assert pupil.get("/section/belonging").location == "/"


# Bad input ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "data",
    [
        {"belong_part": "9"},  # not an option
        {"belong_part": "four"},
        {"belong_part": " 4"},  # what int() would take, but no page sends
        {"belong_part": "04"},
        {"belong_part": "\u0664"},  # ٤, an Arabic-Indic four
        {"belong_part": "0_4"},  # int("0_4") is 4
        {"belong_part": ["1", "2"]},  # two answers to a single question
        {"belong_part": "prefer-not-to-say"},  # not offered for this question
        {"belong_part": "4", "ghost_question": "1"},  # unknown field
        {"belong_part": "4", "safe_lessons": "1"},  # a question from another page
        {"belong_part": "4", "version": "not-a-version"},
    ],
    ids=[
        "value",
        "not-a-number",
        "space",
        "leading-zero",
        "other-digits",
        "underscore",
        "two-values",
        "prefer-not-offered",
        "unknown-id",
        "other-page",
        "version",
    ],
)
def test_tampered_posts_get_a_400_and_save_nothing(pupil, app, data):
    pupil.post("/section/belonging", data={"belong_accepted": "3"})
    response = pupil.post("/section/belonging", data=data)
    assert response.status_code == 400
    assert "Traceback" not in response.get_data(as_text=True)
    assert answers(app) == {"belong_accepted": (3, None, None, False)}


def test_unknown_section_is_404_and_one_not_asked_is_400(pupil):
    assert pupil.get("/section/nowhere").status_code == 404
    # About you is only asked in anonymous class sessions; this pupil is on the roster.
    assert pupil.get("/section/about_you").status_code == 404


def test_oversized_post_is_refused(pupil, app):
    response = pupil.post("/section/belonging", data={"belong_part": "4", "x": "y" * 100_000})
    assert response.status_code == 413
    assert answers(app) == {}


def test_missing_csrf_token_is_refused(database_url, new_code):
    from tests.conftest import make_app

    strict = make_app(database_url, WTF_CSRF_ENABLED=True)
    client = strict.test_client()
    response = client.post("/", data={"code": new_code()})
    assert response.status_code == 400


# Languages and versions -----------------------------------------------------------------------------


def test_language_switch_keeps_answers_and_sets_lang(pupil, app):
    response = pupil.post("/section/belonging", data={"belong_part": "4", "switch_language": "cy"})
    assert response.location == "/section/belonging"
    page = check_page(pupil.get("/section/belonging"))
    assert page.html["lang"] == "cy"
    assert page.h1.get_text(strip=True) == SECONDARY.sections["belonging"].title["cy"]
    assert page.select_one('input[name="belong_part"][value="4"]').has_attr("checked")
    assert answers(app)["belong_part"] == (4, None, None, False)
    english = pupil.get("/language/en?next=/section/belonging")
    assert english.location == "/section/belonging"
    assert check_page(pupil.get("/section/belonging")).html["lang"] == "en"
    assert pupil.get("/language/en?next=https://evil.example/").location == "/"


def test_primary_version_has_symbols_and_larger_targets(client, new_code):
    client.post("/", data={"code": new_code("national-primary")})
    client.post("/before-you-start", data={"choice": "yes"})
    page = check_page(client.get(f"/section/{PRIMARY.sections[0].id}"))
    assert "app-primary" in page.body["class"]
    first = PRIMARY.sections[0].questions[0]
    labels = page.select(f'label[for^="{first.id}"]')
    assert [label.get_text(strip=True) for label in labels] == [o.label["en"] for o in first.options]
    assert page.select(".app-symbol--happy[aria-hidden=true]")


@store
def test_anonymous_pupils_answer_about_you_and_it_reaches_the_export(client, new_code, app):
    client.post("/", data={"code": new_code(anonymous=True)})
    client.post("/before-you-start", data={"choice": "yes"})
    about = SECONDARY.sections["about_you"]
    year = next(q for q in about.questions if q.profile == "year_group")
    for section in SECONDARY.sections:
        data = {year.id: str(year.options[2].value)} if section.id == "about_you" else {}
        if section.id == "belonging":
            data = {"belong_part": "2"}
        assert client.post(f"/section/{section.id}", data=data).status_code == 302
    assert client.post("/check-your-answers").location == "/finished"
    out = io.StringIO()
    with app.app_context():
        export_responses(out, actor="test")
        db.session.rollback()
    row = next(csv.DictReader(io.StringIO(out.getvalue())))
    assert (row["status"], row["year_group"], row["belong_part"]) == ("complete", year.options[2].code, "2")


def test_a_follow_up_on_the_same_page_is_shown_without_javascript(pupil, app):
    for section in ("belonging", "adults", "being_heard"):
        pupil.post(f"/section/{section}", data={})
    response = pupil.post("/section/fairness", data={"unfair_who": "2"})
    assert response.location == "/section/fairness#unfair_why"  # back to the page, at the new question
    page = check_page(pupil.get("/section/fairness"))
    assert page.select('input[name="unfair_why"]')
    # The follow-up says why it appeared, just before it; the question that asked it does not.
    notes = page.select(".app-follow-up")
    assert [n.get_text(strip=True) for n in notes] == ["One more question, because of your answer"]
    assert notes[0].find_next("input")["name"] == "unfair_why"
    assert (
        pupil.post("/section/fairness", data={"unfair_who": "2", "unfair_why": "1"}).location
        == "/section/safety"
    )


@store
def test_simultaneous_double_submits_leave_one_set_of_answers(pupil, app):
    import threading

    with pupil.session_transaction() as session:
        cookie = dict(session)
    results = []

    def submit(value):
        client = app.test_client()
        with client.session_transaction() as session:
            session.update(cookie)
        results.append(
            client.post("/section/belonging", data={"belong_part": value, "belong_myself": "3"}).status_code
        )

    threads = [threading.Thread(target=submit, args=(v,)) for v in ("4", "4", "5", "5")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [302] * 4
    saved = answers(app)
    assert set(saved) == {"belong_part", "belong_myself"}
    assert saved["belong_part"][0] in (4, 5)
    assert responses(app) == [(ResponseStatus.IN_PROGRESS, 1)]


def test_code_attempts_are_counted_across_instances_through_redis(database_url, new_code):
    """Many app instances behind a load balancer share one count when RATELIMIT_STORAGE_URI is Redis."""
    import os

    import redis

    from tests.conftest import make_app

    url = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
    try:
        redis.Redis.from_url(url).flushdb()  # database 15 is the tests' own
    except redis.exceptions.ConnectionError:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"Redis is not reachable at {url}")
        pytest.skip(f"Redis is not reachable at {url}")
    config = {"RATELIMIT_STORAGE_URI": url, "CODE_ATTEMPTS_PER_NETWORK": "4 per hour"}
    first, second = make_app(database_url, **config), make_app(database_url, **config)
    for app in (first, second, first, second):
        assert app.test_client().post("/", data={"code": "ABCDE-23456"}).status_code == 200
    assert first.test_client().post("/", data={"code": "ABCDE-23456"}).status_code == 429
    assert second.test_client().post("/", data={"code": new_code()}).status_code == 429


def test_an_old_session_cookie_does_not_come_back_after_hand_over(pupil):
    pupil.post("/section/belonging", data={"belong_part": "4"})
    with pupil.session_transaction() as session:
        before = dict(session)  # e.g. a keep-alive answered just before "hand over"
    _finish(pupil)
    pupil.post("/hand-over")
    with pupil.session_transaction() as session:
        session.update(before)  # the late response puts the old cookie back
    assert pupil.get("/finished").location == "/"
    assert pupil.get("/section/belonging").location == "/"


@store
def test_save_and_come_back_later_ends_the_session_and_resumes(pupil, app):
    response = pupil.post("/section/belonging", data={"belong_part": "4", "action": "later"})
    assert response.location == "/"
    assert str(messages.SAVED_FOR_LATER) in pupil.get("/").get_data(as_text=True)
    assert pupil.get("/section/adults").location == "/"
    assert answers(app)["belong_part"] == (4, None, None, False)
    assert pupil.post("/", data={"code": pupil.code}).location == "/section/adults"


@pytest.mark.parametrize(
    "query",
    ["switch_language=cy", "_external=1", "section_id=about-you", "_anchor=x", "_scheme=ftp", "_method=GET"],
)
def test_a_query_string_cannot_make_a_page_post_fail(pupil, app, query):
    """A crafted query string on a page's address is ignored when the page is shown again.

    It used to be passed to url_for as keywords: a 500 for names url_for takes itself."""
    switched = pupil.post(f"/section/belonging?{query}", data={"belong_part": "4", "switch_language": "cy"})
    assert switched.status_code == 302
    assert switched.location == "/section/belonging"
    old_page = shown_version(pupil, "/section/belonging")
    pupil.post(
        "/section/belonging", data={"belong_part": "2", "version": shown_version(pupil, "/section/belonging")}
    )
    late = pupil.post(f"/section/belonging?{query}", data={"belong_part": "4", "version": old_page})
    assert late.status_code == 302
    assert late.location == "/section/belonging"
    assert answers(app)["belong_part"] == (2, None, None, False)


def test_the_check_answers_return_is_kept_when_the_page_is_shown_again(pupil):
    switched = pupil.post(
        "/section/belonging?return=check&x=1", data={"belong_part": "4", "switch_language": "cy"}
    )
    assert switched.location == "/section/belonging?return=check"


def test_the_character_count_speaks_welsh_on_a_welsh_page(pupil):
    path = "/section/belonging"
    for _ in range(20):
        page = check_page(pupil.get(path))
        if page.select(".govuk-character-count"):
            break
        path = pupil.post(path, data={"action": "save"}).location.split("#")[0]
    english = page.select_one(".govuk-character-count")
    assert "You can enter up to" in english.get_text()
    pupil.get("/language/cy")
    welsh = check_page(pupil.get(path)).select_one(".govuk-character-count")
    assert "Gelli di ysgrifennu hyd at" in welsh.get_text() and "You can enter" not in welsh.get_text()
    assert welsh["data-i18n.characters-under-limit.other"] == "Mae gen ti %{count} nod ar ôl"
    assert welsh["data-i18n.characters-over-limit.two"] == "Mae gen ti %{count} nod yn ormod"


def test_switching_language_on_a_page_with_an_error_shows_the_error_in_the_new_language(pupil):
    path = "/section/belonging"
    for _ in range(20):
        page = check_page(pupil.get(path))
        if page.select(".govuk-character-count"):
            break
        path = pupil.post(path, data={"action": "save"}).location.split("#")[0]
    name = page.select_one(".govuk-character-count textarea")["name"]
    too_long = pupil.post(path, data={name: "x" * 1501})
    assert "characters or fewer" in check_page(too_long).select_one(".govuk-error-summary").get_text()
    switched = pupil.post(path, data={name: "x" * 1501, "switch_language": "cy"})
    page = check_page(switched)
    assert page.html["lang"] == "cy"
    summary = page.select_one(".govuk-error-summary").get_text(" ", strip=True)
    assert "characters or fewer" not in summary and "1,500" in summary
    assert page.select_one(f"textarea[name={name}]").get_text() == "x" * 1501  # the text is kept


@pytest.mark.parametrize(("la_code", "wales"), [("201", False), ("661", True)])
def test_the_extra_help_question_uses_wales_words_where_the_school_is_in_wales(
    client, new_code, app, school, la_code, wales
):
    with app.app_context():
        db.session.get(School, school).la_code = la_code
        db.session.commit()
    client.post("/", data={"code": new_code(anonymous=True)})
    client.post("/before-you-start", data={"choice": "yes"})
    for section in SECONDARY.sections:
        if section.id == "about_you":
            break
        client.post(f"/section/{section.id}", data={})
    page = check_page(client.get("/section/about_you"))
    labels = [label.get_text(" ", strip=True) for label in page.select('label[for^="about_sen"]')]
    assert any("IDP (Individual Development Plan)" in label for label in labels) is wales
    assert any("EHCP" in label for label in labels) is not wales
    client.get("/language/cy")
    welsh = check_page(client.get("/section/about_you")).get_text(" ", strip=True)
    assert ("Cynllun Datblygu Unigol" in welsh) is wales
    # The answer keeps its value and code: an IDP is recorded as a statutory plan (E), as an EHCP is.
    assert client.post("/section/about_you", data={"about_sen": "3"}).status_code == 302
    again = check_page(client.get("/section/about_you?return=check"))
    chosen = again.select_one('input[name="about_sen"][checked]')
    label = again.select_one(f'label[for="{chosen["id"]}"]').get_text(" ", strip=True)
    assert ("CDU (Cynllun Datblygu Unigol)" in label) is wales


@pytest.mark.parametrize(
    ("opens", "english", "welsh"),
    [
        ((2026, 9, 7), "Since 1 September, how often", "Ers 1 Medi, pa mor aml"),
        ((2026, 1, 5), "Since 1 January (this term), how often", "Ers 1 Ionawr (y tymor hwn), pa mor aml"),
        (
            (2026, 5, 11),
            "This term (since the Easter holidays), how often",
            "Y tymor hwn (ers gwyliau’r Pasg)",
        ),
    ],
    ids=["autumn", "spring", "summer"],
)
def test_time_periods_are_worded_from_the_waves_term(client, new_code, app, opens, english, welsh):
    from datetime import UTC, datetime

    from survey.models import Wave

    client.post("/", data={"code": new_code()})
    with app.app_context():
        for wave in db.session.scalars(sa.select(Wave)):
            wave.opens_at = datetime(*opens, tzinfo=UTC)
        db.session.commit()
    client.post("/before-you-start", data={"choice": "yes"})
    for section in SECONDARY.sections:
        if section.id == "lost_learning":
            break
        client.post(f"/section/{section.id}", data={})
    page = check_page(client.get("/section/lost_learning")).get_text(" ", strip=True)
    assert english in page and "Since September" not in page and "since September" not in page
    client.get("/language/cy")
    assert welsh in check_page(client.get("/section/lost_learning")).get_text(" ", strip=True)
