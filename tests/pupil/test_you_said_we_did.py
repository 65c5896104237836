"""What the school published ("you said, we did") greets its pupils before they start the next survey."""

from __future__ import annotations

import sqlalchemy as sa

from survey.extensions import db
from survey.models import School

from ..pages import check_page


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
