"""What the school published ("you said, we did") greets its pupils before they start the next survey."""

from __future__ import annotations

import sqlalchemy as sa

from questionnaires import load
from survey.extensions import db
from survey.models import School

from ..pages import check_page

SECONDARY = load("national-secondary")


def _publish(app, school_id: int, text: str | None) -> None:
    with app.app_context():
        db.session.get(School, school_id).you_said_we_did = text
        db.session.commit()


def test_pupils_see_what_their_school_is_changing(client, loaded, school, new_code):
    _publish(loaded, school, "Quiet room open at lunch.\nMore clubs after school.")
    client.post("/", data={"code": new_code()})
    page = check_page(client.get("/before-you-start"))
    heading = page.find("h2", string="What your school is changing because of what pupils said")
    assert heading is not None
    lines = [
        p.get_text(strip=True) for p in heading.find_next("div", class_="govuk-inset-text").find_all("p")
    ]
    assert lines == ["Quiet room open at lunch.", "More clubs after school."]

    client.get("/language/cy?next=/before-you-start")
    welsh = check_page(client.get("/before-you-start"))
    assert welsh.find("h2", string="Beth mae dy ysgol yn ei newid oherwydd yr hyn ddywedodd disgyblion")


def test_nothing_is_shown_when_the_school_has_published_nothing(client, loaded, school, new_code):
    client.post("/", data={"code": new_code()})
    page = check_page(client.get("/before-you-start"))
    assert "What your school is changing" not in page.get_text()
    with loaded.app_context():
        assert db.session.scalar(sa.select(School.you_said_we_did)) is None


def test_a_changed_text_is_shown_at_once(client, loaded, school, new_code):
    _publish(loaded, school, "Quiet room open at lunch.")
    client.post("/", data={"code": new_code()})
    assert "Quiet room open at lunch." in client.get("/before-you-start").get_data(as_text=True)
    _publish(loaded, school, "Lunch queues shorter.")
    page = client.get("/before-you-start").get_data(as_text=True)
    assert "Lunch queues shorter." in page and "Quiet room" not in page


def _set(app, school_id: int, **values) -> None:
    with app.app_context():
        school = db.session.get(School, school_id)
        for name, value in values.items():
            setattr(school, name, value)
        db.session.commit()


def test_welsh_pages_show_the_schools_welsh_text_or_the_english_marked_as_english(
    client, loaded, school, new_code
):
    _set(
        loaded,
        school,
        you_said_we_did="Quiet room open at lunch.",
        you_said_we_did_cy="Ystafell dawel ar agor amser cinio.",
    )
    client.post("/", data={"code": new_code()})
    client.get("/language/cy")
    page = check_page(client.get("/before-you-start"))
    assert "Ystafell dawel ar agor amser cinio." in page.get_text() and "Quiet room" not in page.get_text()
    assert not page.select("main p[lang=en]")
    _set(loaded, school, you_said_we_did_cy=None)
    english = check_page(client.get("/before-you-start")).select_one("main p[lang=en]")
    assert english.get_text(strip=True) == "Quiet room open at lunch."  # read out with English sounds


def test_the_trusted_adult_text_in_welsh_on_the_welsh_thank_you_page(pupil, loaded, school):
    _set(loaded, school, trusted_adult_text_cy="Siarada â Mr Evans yn ystafell 4.")
    for section in SECONDARY.sections:
        if section.only_in is None:
            pupil.post(f"/section/{section.id}", data={})
    assert pupil.post("/check-your-answers").location == "/finished"
    assert "Talk to Mr Evans in room 4." in check_page(pupil.get("/finished")).get_text()
    pupil.get("/language/cy")
    welsh = check_page(pupil.get("/finished")).get_text()
    assert "Siarada â Mr Evans yn ystafell 4." in welsh and "Talk to Mr Evans" not in welsh
