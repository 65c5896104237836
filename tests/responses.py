"""Pupils who have answered, made quickly for staff-side tests: a roster, codes and complete responses.

Answers come from the demo's model (`survey.demo`), so every scale has a score; free text is the
test's own. Groups are even and large enough to be shown: half the pupils are on free school meals,
half are girls, half in year 7, half White and half Asian (in a pattern that crosses them).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from sqlalchemy import select

from survey import demo
from survey.data import questionnaires as loaded
from survey.data.bulk import insert_rows
from survey.data.waves import issue_codes
from survey.extensions import db
from survey.models import (
    Answer,
    PupilCode,
    Response,
    ResponseStatus,
    RosterEntry,
    School,
    SenStatus,
    Wave,
    utcnow,
)

TEXT_QUESTION = "say_better"


@dataclass
class Pupil:
    reference: str
    code: str
    fsm: bool
    year_group: int
    response_id: int | None = None
    code_id: int | None = None
    roster_id: int | None = None


@dataclass
class Made:
    pupils: dict[str, Pupil] = field(default_factory=dict)

    def __getitem__(self, reference: str) -> Pupil:
        return self.pupils[reference]


def make_pupils(
    wave: Wave,
    school: School,
    count: int,
    *,
    not_started: int = 0,
    texts: dict[str, str] | None = None,
    prefix: str = "P",
    seed: int = 7,
) -> Made:
    """`count` pupils on the roster with codes; all but the last `not_started` finished the survey.

    `texts` gives a pupil (by reference) what they wrote for "what would make school better";
    everyone else who finished wrote `"More clubs at lunchtime."`. The caller commits.
    """
    rng = random.Random(seed)
    questionnaire = loaded.definition(wave.questionnaire_id, wave.questionnaire_version)
    texts = texts or {}
    made = Made()
    entries = []
    for n in range(count):
        pupil = demo.Pupil(
            year_group=questionnaire.years[0] + n % 2,
            gender="FM"[(n // 2) % 2],
            ethnicity_minor="WBRI" if n % 4 < 2 else "AIND",
            sen="N",
            fsm=(n // 4) % 2 == 0,
            eal=False,
            looked_after=False,
            class_name=f"{questionnaire.years[0] + n % 2}A",
        )
        entry = RosterEntry(
            wave_id=wave.id,
            school_id=school.id,
            pupil_reference=f"{prefix}{n + 1:03d}",
            year_group=pupil.year_group,
            gender=pupil.gender,
            ethnicity_major=pupil.ethnicity_major,
            ethnicity_minor=pupil.ethnicity_minor,
            sen=SenStatus.NONE,
            fsm=pupil.fsm,
            eal=False,
            looked_after=False,
            class_name=pupil.class_name,
        )
        entries.append((entry, pupil))
    db.session.add_all(e for e, _ in entries)
    db.session.flush()
    codes = {entry.pupil_reference: code for entry, code in issue_codes(wave, school, actor="test")}
    db.session.flush()
    now = utcnow()
    rows = []
    for n, (entry, pupil) in enumerate(entries):
        code = db.session.scalars(select(PupilCode).filter_by(roster_entry_id=entry.id)).one()
        made.pupils[entry.pupil_reference] = Pupil(
            entry.pupil_reference, codes[entry.pupil_reference], pupil.fsm, pupil.year_group,
            code_id=code.id, roster_id=entry.id,
        )  # fmt: skip
        if n >= count - not_started:
            continue
        response = Response(wave_id=wave.id, school_id=school.id, pupil_code_id=code.id,
                            status=ResponseStatus.COMPLETE, started_at=now, updated_at=now, completed_at=now)  # fmt: skip
        db.session.add(response)
        db.session.flush()
        made.pupils[entry.pupil_reference].response_id = response.id
        answers = {k: a for k, a in demo._answers(rng, questionnaire, pupil, 0.0).items() if "text" not in a}
        answers[TEXT_QUESTION] = {"text": texts.get(entry.pupil_reference, "More clubs at lunchtime.")}
        rows += [
            {"response_id": response.id, "question_id": question_id, "value": a.get("value"),
             "choices": a.get("choices"), "text": a.get("text"),
             "prefer_not_to_say": a.get("prefer_not_to_say", False), "saved_at": now}
            for question_id, a in answers.items()
        ]  # fmt: skip
    insert_rows(Answer.__table__, rows)
    return made
