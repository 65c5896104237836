"""Each question type's handler: every declared type has one, and each reads, draws and shows its answers.

No database: the handlers work on a questionnaire and a posted form only.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from bs4 import BeautifulSoup
from werkzeug.datastructures import MultiDict

import questionnaires
from survey import create_app
from survey.pupil.answers import PREFER_NOT_TO_SAY, BadInput, Given
from survey.pupil.questions import HANDLERS, answer_text, parse, shown_values
from survey.pupil.rendering import render_question
from survey.pupil.store import Saved

MINIMAL = Path(__file__).parents[1] / "questionnaires" / "minimal.yaml"


def every_type() -> questionnaires.Questionnaire:
    """The tests' small questionnaire with a number question added, and "Prefer not to say" offered."""
    data = yaml.safe_load(MINIMAL.read_text())
    more = data["sections"][1]["questions"]
    more[0]["prefer_not_to_say"] = more[1]["prefer_not_to_say"] = True
    more.append({"id": "pets", "type": "number", "max": 20, "text": {"en": "Pets?", "cy": "Anifeiliaid?"}})
    return questionnaires.loads(yaml.safe_dump(data, allow_unicode=True), filename="every-type.yaml")


QUESTIONNAIRE = every_type()


def first_of(kind: str) -> questionnaires.Question:
    return next(q for q in QUESTIONNAIRE.questions if q.type == kind)


def saved(given: Given) -> Saved:
    return Saved(given.value, given.choices, given.text, given.prefer_not_to_say)


@pytest.fixture(scope="module")
def app_context():
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://", "WTF_CSRF_ENABLED": False})
    with app.test_request_context("/"):
        yield app


def test_every_declared_type_has_a_handler_and_no_more():
    assert sorted(HANDLERS) == sorted(questionnaires.QUESTION_TYPES)


def test_the_questionnaire_here_has_every_type():
    # So the tests below, which take each type's first question, cover every handler.
    assert {q.type for q in QUESTIONNAIRE.questions} == set(questionnaires.QUESTION_TYPES)


@pytest.mark.parametrize(
    ("kind", "posted"),
    [("single", None), ("multiple", None), ("text", ["I like the library"]), ("number", ["12"])],
)
def test_an_answer_is_read_shown_again_and_put_in_words(app_context, kind, posted):
    q = first_of(kind)
    if posted is None:  # a choice question: its first option (and, for checkboxes, its last too)
        values = [str(q.options[0].value)] + ([str(q.options[-1].value)] if kind == "multiple" else [])
        values = [v for v in dict.fromkeys(values) if not (kind == "multiple" and q.option(int(v)).exclusive)]
        posted = values or [str(q.options[0].value)]
    parsed = parse(q, MultiDict([(q.id, value) for value in posted]))
    assert parsed.error is None and parsed.answer is not None
    answer = saved(parsed.answer)
    shown = shown_values([q], {q.id: answer}, {})[q.id]
    assert shown == (posted if kind == "multiple" else posted[0])
    words = answer_text(q, answer, "en")
    if kind in questionnaires.CHOICE_TYPES:
        assert words == ", ".join(q.option(int(v)).label.get_for("en") for v in posted)
    else:
        assert words == posted[0]
    html = BeautifulSoup(render_question(q, shown, "en", None, False), "html.parser")
    for value in posted:
        field = html.find(["input", "textarea"], attrs={"name": q.id, **({"value": value} if kind in
                          questionnaires.CHOICE_TYPES else {})})  # fmt: skip
        assert field is not None, value
        if kind in questionnaires.CHOICE_TYPES:
            assert field.has_attr("checked")
        elif kind == "text":
            assert field.get_text() == value
        else:
            assert field["value"] == value


@pytest.mark.parametrize("kind", list(questionnaires.QUESTION_TYPES))
def test_a_blank_answer_is_no_answer(app_context, kind):
    q = first_of(kind)
    assert parse(q, MultiDict()).answer is None
    assert answer_text(q, None, "en") == "Not answered"


@pytest.mark.parametrize(
    ("kind", "posted", "message"),
    [
        ("number", "twelve", "Enter a whole number, like 5"),
        ("number", "21", "Enter a number from 0 to 20"),
        ("text", "x" * 5001, "characters or fewer"),
    ],
)
def test_a_wrong_answer_gets_a_message_and_is_shown_again(app_context, kind, posted, message):
    q = first_of(kind)
    parsed = parse(q, MultiDict([(q.id, posted)]))
    assert parsed.answer is None and message in (parsed.error or "")
    html = str(render_question(q, parsed.raw, "en", parsed.error, False))
    assert message.split(" from")[0] in html and posted[:50] in html


def test_a_choice_that_was_never_offered_is_bad_input(app_context):
    q = first_of("single")
    with pytest.raises(BadInput):
        parse(q, MultiDict([(q.id, "999")]))
    with pytest.raises(BadInput):
        parse(q, MultiDict([(q.id, str(q.options[0].value)), (q.id, str(q.options[1].value))]))


def test_prefer_not_to_say_is_shown_and_worded_for_each_choice_type(app_context):
    for kind in questionnaires.CHOICE_TYPES:
        q = next(q for q in QUESTIONNAIRE.questions if q.type == kind and q.prefer_not_to_say)
        answer = saved(Given(prefer_not_to_say=True))
        shown = shown_values([q], {q.id: answer}, {})[q.id]
        assert shown == ([PREFER_NOT_TO_SAY] if kind == "multiple" else PREFER_NOT_TO_SAY)
        assert answer_text(q, answer, "en") == "Prefer not to say"
