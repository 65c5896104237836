"""Question pages stay small for slow school Wi-Fi, without losing what makes them accessible."""

from __future__ import annotations

from datetime import timedelta

import pytest

from questionnaires import load
from survey.models import utcnow
from survey.pupil import periods
from tests.pages import check_page

MAX_PAGE_BYTES = 15 * 1024  # issue #4: a question page is at most 15 KB of HTML


def _every_page(client, questionnaire, language):
    """(section id, response) for every section page, with every follow-up question shown: each page
    is posted once with the answers that ask its follow-ups, then read back."""
    triggers = {q.show_if.question: str(q.show_if.any_of[0]) for q in questionnaire.questions if q.show_if}
    for section in questionnaire.sections:
        data = {q.id: triggers[q.id] for q in section.questions if q.id in triggers}
        if data:
            assert client.post(f"/section/{section.id}", data=data).status_code == 302
        yield section, client.get(f"/section/{section.id}")
        assert client.post(f"/section/{section.id}", data=data).status_code == 302


@pytest.mark.parametrize("language", ["en", "cy"])
@pytest.mark.parametrize("questionnaire_id", ["national-secondary", "national-primary"])
def test_every_question_page_is_at_most_15_kb(client, new_code, questionnaire_id, language):
    questionnaire = load(questionnaire_id)
    client.get(f"/language/{language}")
    # A class-session code: its pupils also get the "About you" section.
    assert client.post("/", data={"code": new_code(questionnaire_id, anonymous=True)}).status_code == 302
    assert client.post("/before-you-start", data={"choice": "yes"}).status_code == 302
    sizes = {}
    for section, response in _every_page(client, questionnaire, language):
        assert response.status_code == 200, section.id
        sizes[section.id] = len(response.get_data())
        page = check_page(response)
        assert page.html["lang"] == language
        assert page.h1.get_text(strip=True) == section.title.get_for(language)
        shown = [q for q in section.questions if page.select(f'[name="{q.id}"]')]
        assert len(shown) == len(section.questions), section.id  # every follow-up was shown
        # The wave opened yesterday: its questions name the period in that term's words.
        period = periods.term(utcnow() - timedelta(days=1))
        for question in (periods.question(q, period) for q in shown):
            if question.type in ("single", "multiple"):
                fieldset = page.select_one(f'[name="{question.id}"]').find_parent("fieldset")
                assert fieldset.legend.get_text(strip=True) == question.text.get_for(language)
                if question.hint:
                    assert question.hint.get_for(language) in fieldset.get_text(" ", strip=True)
            for control in page.select(f'[name="{question.id}"]'):
                label = page.select_one(f'label[for="{control["id"]}"]')
                assert label is not None and label.get_text(strip=True), control
    too_big = {section: size for section, size in sizes.items() if size > MAX_PAGE_BYTES}
    assert not too_big, f"over {MAX_PAGE_BYTES:,} bytes: {too_big}"
