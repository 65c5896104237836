"""The questionnaire loader: the shipped questionnaires load, broken files are explained."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
import yaml

import questionnaires
from questionnaires import QuestionnaireError

MINIMAL = Path(__file__).parent / "minimal.yaml"
NATIONAL = ["national-primary", "national-secondary"]
DOMAIN_SCALES = {
    "belonging",
    "trusted_adult",
    "being_heard",
    "fairness",
    "safety",
    "wellbeing",
    "learning_support",
    "identity_community",
}


def test_available_lists_both_national_questionnaires():
    assert set(NATIONAL) <= set(questionnaires.available())


@pytest.mark.parametrize("name", NATIONAL)
def test_national_questionnaire_covers_every_domain(name):
    q = questionnaires.load(name)
    assert q.id == name
    assert q.version >= 1
    assert q.languages == ("en", "cy")
    assert q.audience == name.removeprefix("national-")
    assert set(q.scales.ids()) >= DOMAIN_SCALES
    for scale in q.scales:
        assert len(scale.items) >= 4, scale.id
        assert 1 <= scale.min_answered <= len(scale.items)
        assert scale.range[0] <= scale.positive_at <= scale.range[1]
        assert scale.reverse <= set(scale.items)
        for item in scale.items:
            assert q.question(item).scale == scale.id
    belonging = q.scales["belonging"]
    assert len(belonging.items) >= (6 if q.audience == "secondary" else 5)
    assert belonging.reverse, "belonging needs negatively worded items"
    types = {question.type for question in q.questions}
    assert {"single", "multiple", "text"} <= types
    assert sum(question.type == "text" for question in q.questions) >= 2
    about_you = [s for s in q.sections if s.only_in == "anonymous"]
    assert len(about_you) == 1 and all(question.profile for question in about_you[0].questions[:2])


@pytest.mark.parametrize("name", NATIONAL)
def test_every_pupil_facing_text_is_in_english_and_welsh(name):
    q = questionnaires.load(name)
    texts = [q.title] + [s.title for s in q.sections] + [s.title for s in q.scales]
    for question in q.questions:
        texts += [question.text, *(o.label for o in question.options)]
        texts += [question.hint] if question.hint else []
    for text in texts:
        assert set(text) == {"en", "cy"}, text
        assert text["en"] != text["cy"] or len(text["en"]) <= 4, text  # untranslated copies
    # Machine-made Welsh is flagged for a fluent speaker, and the flags can be listed.
    assert q.texts_for_review("cy")


def test_primary_uses_the_three_point_symbol_scale():
    q = questionnaires.load("national-primary")
    belonging = q.scales["belonging"]
    options = q.question(belonging.items[0]).options
    assert belonging.range == (1, 3)
    assert [o.symbol for o in options] == ["sad", "neutral", "happy"]
    assert len(q.questions) < len(questionnaires.load("national-secondary").questions)


def test_primary_faces_follow_the_scoring_of_negative_statements():
    q = questionnaires.load("national-primary")
    for scale in q.scales:
        for item in scale.reverse:
            options = q.question(item).options
            assert [o.symbol for o in options] == ["happy", "neutral", "sad"], item
            assert options[0].label["en"] == "Never"


def test_a_scale_may_mix_response_sets_with_the_same_values(tmp_path):
    def never4(data):
        data["response_sets"]["never4"] = {
            "options": [
                {"value": v, "label": {"en": en, "cy": cy}, "symbol": symbol}
                for v, en, cy, symbol in [
                    (1, "Never", "Byth", "happy"),
                    (2, "Sometimes", "Weithiau", "neutral"),
                    (3, "Often", "Yn aml", "neutral"),
                    (4, "A lot", "Llawer", "sad"),
                ]
            ]
        }
        _question(data, 0, 3)["response_set"] = "never4"

    data = yaml.safe_load(MINIMAL.read_text(encoding="utf-8"))
    never4(data)
    path = tmp_path / "minimal.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    q = questionnaires.load(path)
    assert q.scales["belonging"].range == (1, 4)


def test_secondary_asks_about_the_whole_lost_learning_continuum():
    q = questionnaires.load("national-secondary")
    lost = next(s for s in q.sections if "lost" in s.id)
    assert len(lost.questions) >= 6
    why = [question for question in lost.questions if question.type == "multiple"]
    assert why and why[0].show_if is not None and why[0].prefer_not_to_say


def test_minimal_file_builds_the_public_api():
    q = questionnaires.load(MINIMAL)
    assert [s.id for s in q.sections] == ["first", "second"]
    assert q.questions.ids() == ["part", "liked", "myself", "left_out", "sent_out", "why", "better"]
    belonging = q.scales["belonging"]
    assert belonging.items == ("part", "liked", "myself", "left_out")
    assert belonging.reverse == {"left_out"}
    assert belonging.min_answered == math.ceil(4 / 2)
    assert belonging.range == (1, 4)
    assert belonging.reverse_code("left_out", 1) == 4
    assert belonging.reverse_code("part", 1) == 1
    part = q.question("part")
    assert part.type == "single" and part.optional and part.scale == "belonging"
    assert [o.value for o in part.options] == [1, 2, 3, 4]
    assert part.options[0].label["cy"] == "Anghytuno'n fawr"
    assert q.question("better").max_length == 1500 and q.question("better").scale is None
    why = q.question("why")
    assert why.show_if.applies({"sent_out": 2}) and not why.show_if.applies({"sent_out": 1})
    assert not why.show_if.applies({})
    assert q.texts_for_review("cy") == [("why.text", "Pam?")]
    with pytest.raises(KeyError, match="no question 'nope'"):
        q.question("nope")


def _broken(tmp_path, change) -> str:
    data = yaml.safe_load(MINIMAL.read_text())
    change(data)
    path = tmp_path / "minimal.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True))
    with pytest.raises(QuestionnaireError) as caught:
        questionnaires.load(path)
    return str(caught.value)


def _question(data, s, q):
    return data["sections"][s]["questions"][q]


BROKEN = [
    (
        "unknown response set",
        lambda d: _question(d, 0, 1).update(response_set="agree6"),
        "minimal.yaml: sections[0].questions[1].response_set: 'agree6' is not defined",
    ),
    (
        "duplicate question id",
        lambda d: _question(d, 1, 2).update(id="part"),
        "minimal.yaml: sections[1].questions[2].id: 'part' is used more than once",
    ),
    (
        "duplicate section id",
        lambda d: d["sections"][1].update(id="first"),
        "minimal.yaml: sections: id 'first' is used more than once",
    ),
    (
        "unknown scale item",
        lambda d: d["scales"][0]["items"].append("nothing"),
        "minimal.yaml: scales[0].items[4]: 'nothing' is not defined",
    ),
    (
        "reverse item outside its scale",
        lambda d: d["scales"][0].update(reverse=["sent_out"]),
        "minimal.yaml: scales[0].reverse[0]: 'sent_out' is not one of the scale's items",
    ),
    (
        "routing to a later question",
        lambda d: _question(d, 0, 0).update(show_if={"question": "sent_out", "any_of": [2]}),
        "minimal.yaml: sections[0].questions[0].show_if.question: 'sent_out' comes later; routing may only point backwards",
    ),
    (
        "routing to nothing",
        lambda d: _question(d, 1, 1)["show_if"].update(question="ghost"),
        "minimal.yaml: sections[1].questions[1].show_if.question: 'ghost' is not defined",
    ),
    (
        "routing on a value that is not an option",
        lambda d: _question(d, 1, 1)["show_if"].update(any_of=[7]),
        "minimal.yaml: sections[1].questions[1].show_if.any_of: 7 is not an option of 'sent_out'",
    ),
    (
        "missing Welsh",
        lambda d: _question(d, 0, 2)["text"].pop("cy"),
        "minimal.yaml: sections[0].questions[2].text: has no 'cy' text",
    ),
    (
        "missing Welsh option label",
        lambda d: d["response_sets"]["yes_no"]["options"][1]["label"].pop("cy"),
        "minimal.yaml: response_sets.yes_no.options[1].label: has no 'cy' text",
    ),
    (
        "duplicate option value",
        lambda d: d["response_sets"]["agree4"]["options"][3].update(value=2),
        "minimal.yaml: response_sets.agree4.options: value 2 is used more than once",
    ),
    (
        "unknown question type",
        lambda d: _question(d, 0, 0).update(type="slider"),
        "minimal.yaml: sections[0].questions[0].type: 'slider' is not allowed; use 'single', 'multiple', 'text' or 'number'",
    ),
    (
        "unknown key",
        lambda d: _question(d, 0, 0).update(colour="red"),
        "minimal.yaml: sections[0].questions[0].colour: is not a known key",
    ),
    (
        "missing question text",
        lambda d: _question(d, 0, 0).pop("text"),
        "minimal.yaml: sections[0].questions[0].text: is required",
    ),
    (
        "scale with too few items",
        lambda d: d["scales"][0].update(items=["part", "liked"], reverse=[]),
        "minimal.yaml: scales[0].items: needs at least 4 (has 2)",
    ),
    (
        "positive_at outside the range",
        lambda d: d["scales"][0].update(positive_at=9),
        "minimal.yaml: scales[0].positive_at: 9.0 is outside 1–4",
    ),
    (
        "scale mixing response sets",
        lambda d: d["scales"][0]["items"].append("sent_out"),
        "minimal.yaml: scales[0].items: items use response sets with different values (agree4, yes_no)",
    ),
    (
        "happy face on the worse answer of a reverse-scored item",
        lambda d: d["response_sets"]["agree4"]["options"][3].update(symbol="happy"),
        "minimal.yaml: scales[0]: reverse-scored item 'left_out' uses response set 'agree4', which puts a "
        "happy symbol on 'Agree a lot', the worse answer; give it a response set whose symbols follow the "
        "scoring (e.g. never / sometimes / a lot for a negative statement)",
    ),
    (
        "sad face on the better answer of an ordinary item",
        lambda d: d["response_sets"]["agree4"]["options"][3].update(symbol="sad"),
        "minimal.yaml: scales[0]: item 'part' uses response set 'agree4', which puts a sad symbol on "
        "'Agree a lot', the better answer; give it a response set whose symbols follow the scoring "
        "(e.g. never / sometimes / a lot for a negative statement)",
    ),
    (
        "id that does not match the file",
        lambda d: d.update(id="other"),
        "minimal.yaml: id: 'other' does not match the file name 'minimal.yaml'",
    ),
    (
        "version that is not a number",
        lambda d: d.update(version="one"),
        "minimal.yaml: version: 'one' is not a whole number",
    ),
    (
        "review flag for an undeclared language",
        lambda d: d["title"].update(review=["fr"]),
        "minimal.yaml: title.review: 'fr' is not one of the languages",
    ),
]


@pytest.mark.parametrize(("change", "message"), [b[1:] for b in BROKEN], ids=[b[0] for b in BROKEN])
def test_broken_file_is_explained(tmp_path, change, message):
    assert message in _broken(tmp_path, change).splitlines()


def test_every_problem_is_reported_at_once(tmp_path):
    def two_problems(data):
        _question(data, 0, 1).update(response_set="agree6")
        _question(data, 0, 2)["text"].pop("cy")

    assert len(_broken(tmp_path, two_problems).splitlines()) >= 2


def test_invalid_yaml_names_the_line(tmp_path):
    path = tmp_path / "minimal.yaml"
    path.write_text("id: minimal\nsections: [\n")
    with pytest.raises(QuestionnaireError, match=r"minimal.yaml: line 3, column 1: not valid YAML"):
        questionnaires.load(path)


def test_unknown_name_lists_what_is_available():
    with pytest.raises(FileNotFoundError, match=r"available: .*national-secondary"):
        questionnaires.load("national-tertiary")


def test_check_command_reports_problems_with_exit_code(tmp_path, capsys):
    from questionnaires.__main__ import main

    assert main(["check", str(MINIMAL)]) == 0
    assert "minimal v1: ok" in capsys.readouterr().out
    broken = tmp_path / "minimal.yaml"
    broken.write_text(
        MINIMAL.read_text().replace(
            "response_set: agree4, text: {en: I am liked", "response_set: agree9, text: {en: I am liked"
        )
    )
    assert main(["check", str(broken)]) == 1
    assert "'agree9' is not defined" in capsys.readouterr().err
