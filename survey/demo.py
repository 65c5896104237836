"""Synthetic demo data: schools in three local authorities, rosters, and complete responses.

Answers come from a simple latent model so the dashboards have something true to find: pupils with
SEN, on free school meals, looked after, or from Black Caribbean, Gypsy/Roma and Irish Traveller
backgrounds report lower belonging and more lost learning, as national data suggest. All of it is
random; no real pupil is described.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import timedelta
from typing import cast

from sqlalchemy import Table, delete, select

from questionnaires import Question, Questionnaire

from . import codes
from .data import audit
from .data import questionnaires as loaded
from .data.bulk import insert_rows
from .data.users import create_user
from .data.waves import issue_codes
from .extensions import db
from .models import (
    Answer,
    PupilCode,
    Response,
    ResponseStatus,
    Role,
    RosterEntry,
    School,
    ScopeKind,
    SenStatus,
    User,
    Wave,
    utcnow,
)  # fmt: skip

DEMO_URN_START = 990001
DEMO_PASSWORD = "demo-password-not-secret"
LOCAL_AUTHORITIES = [("990", "Demoshire"), ("991", "Sampleton"), ("992", "Caer Enghraifft")]
SECONDARY_SIZES = (520, 640, 460)
PRIMARY_SIZES = (210, 260, 180, 300)
RESPONSE_RATE = 0.86
TRUSTED_ADULT = "You can talk to any member of staff, or to Ms Patel in the pastoral office."
FREE_TEXT = [
    "More clubs at lunchtime and somewhere quiet to go.",
    "Teachers listening when we say something is unfair.",
    "Less shouting in the corridors.",
    "I wish the toilets were open in lessons.",
    "Help with reading because I find it hard.",
    "Stop people calling me names about my family.",
    "Better food and more time to eat it.",
    "I like my form tutor, she always checks on me.",
    "More trips and things that are fun.",
    "When I got sent out I missed the work and nobody helped me catch up.",
]
# Minor ethnicity codes with rough shares of the school population, and their major group.
ETHNICITIES = [
    ("WBRI", 0.62), ("WOTH", 0.06), ("WIRT", 0.005), ("WROM", 0.01), ("MWBC", 0.02), ("MOTH", 0.03),
    ("AIND", 0.03), ("APKN", 0.04), ("ABAN", 0.015), ("BCRB", 0.02), ("BAFR", 0.05), ("CHNE", 0.005),
    ("OOTH", 0.02), ("REFU", 0.01), ("BOTH", 0.01), ("AOTH", 0.02), ("MWBA", 0.01), ("MWAS", 0.02),
]  # fmt: skip
MAJOR = {"W": "WHIT", "M": "MIXD", "A": "ASIA", "B": "BLAC", "C": "CHIN", "O": "AOEG", "R": "REFU"}


@dataclass
class Pupil:
    year_group: int
    gender: str
    ethnicity_minor: str
    sen: str
    fsm: bool
    eal: bool
    looked_after: bool
    class_name: str

    @property
    def ethnicity_major(self) -> str:
        return MAJOR[self.ethnicity_minor[0]]

    def disadvantage(self) -> float:
        """How much lower this pupil's experience is on average, in latent SD units."""
        shift = {"N": 0.0, "K": 0.3, "E": 0.4}[self.sen] + 0.25 * self.fsm + 0.3 * self.looked_after
        shift += {"BCRB": 0.25, "MWBC": 0.2, "WIRT": 0.45, "WROM": 0.45}.get(self.ethnicity_minor, 0.0)
        shift += 0.45 if self.gender == "O" else 0.0
        return shift

    def exclusion_risk(self) -> float:
        """Extra log-odds of lost learning, a little larger than the gap in belonging."""
        logit = {"N": 0.0, "K": 0.6, "E": 0.8}[self.sen] + 0.5 * self.fsm + 0.6 * self.looked_after
        logit += {"BCRB": 0.7, "MWBC": 0.5, "WIRT": 0.9, "WROM": 0.9}.get(self.ethnicity_minor, 0.0)
        logit += 0.4 if self.gender == "M" else 0.0
        return logit


def _pupil(rng: random.Random, years: tuple[int, ...], classes_per_year: int) -> Pupil:
    year = rng.choice(years)
    minor = rng.choices([e for e, _ in ETHNICITIES], [w for _, w in ETHNICITIES])[0]
    fsm = rng.random() < 0.25
    return Pupil(
        year_group=year,
        gender=rng.choices("FMO", [0.49, 0.49, 0.02])[0],
        ethnicity_minor=minor,
        sen=rng.choices("NKE", [0.83, 0.13, 0.04])[0],
        fsm=fsm,
        eal=rng.random() < (0.5 if minor not in ("WBRI", "WIRT") else 0.02),
        looked_after=rng.random() < 0.01,
        class_name=f"{year}{'ABCDEFGH'[rng.randrange(classes_per_year)]}",
    )


def _ordinal(latent: float, values: tuple[int, ...]) -> int:
    """A latent score to an option: thresholds spread evenly, skewed towards agreement as in surveys."""
    k = len(values)
    cut = [(-1.2 + 2.4 * (i + 1) / k) - 0.55 for i in range(k - 1)]
    return values[sum(latent > c for c in cut)]


def _answers(rng: random.Random, q: Questionnaire, pupil: Pupil, school_effect: float) -> dict[str, dict]:
    general = rng.gauss(school_effect - pupil.disadvantage(), 1.0)
    scale_latent = {s.id: 0.7 * general + rng.gauss(0, 0.7) for s in q.scales}
    risk = pupil.exclusion_risk() - 0.3 * general
    chosen: dict[str, object] = {}
    rows: dict[str, dict] = {}
    for section in q.sections:
        if section.only_in == "anonymous":
            continue
        lost = "lost" in section.id
        for question in section.questions:
            if question.show_if and not question.show_if.applies(chosen):
                continue
            if rng.random() < 0.03:
                continue  # skipped, as pupils are free to
            row = _answer(rng, q, question, scale_latent, risk if lost else None)
            if row is None:
                continue
            chosen[question.id] = row.get("choices") or row.get("value")
            rows[question.id] = row
    return rows


def _answer(rng, q: Questionnaire, question: Question, scale_latent, risk) -> dict | None:
    if question.prefer_not_to_say and rng.random() < 0.02:
        return {"prefer_not_to_say": True}
    values = question.values
    if question.type == "single" and question.scale:
        scale = q.scale(question.scale)
        value = _ordinal(scale_latent[scale.id] + rng.gauss(0, 0.6), values)
        return {
            "value": int(scale.reverse_code(question.id, value)) if question.id in scale.reverse else value
        }
    if question.type == "single" and risk is not None:
        # Lost-learning items: the first option is "never" or "no"; more is worse.
        p = 1 / (1 + math.exp(-(risk - 1.6 - 0.4 * rng.random())))
        if rng.random() >= p:
            return {"value": values[0]}
        return {"value": rng.choice(values[1:3] if len(values) > 2 else values[1:])}
    if question.type == "single":
        return {"value": rng.choice(values)}
    if question.type == "multiple":
        plain = [o.value for o in question.options if not o.exclusive]
        return {"choices": sorted(rng.sample(plain, k=min(len(plain), rng.choice((1, 1, 2)))))}
    if question.type == "number":
        low, high = question.min or 0, question.max or 10
        return {"value": rng.randint(low, high)}
    if question.type == "text" and rng.random() < 0.12:
        return {"text": rng.choice(FREE_TEXT)}
    return None


def already_seeded() -> bool:
    return db.session.scalar(select(School.id).where(School.urn == DEMO_URN_START)) is not None


def seed(seed: int = 2026) -> dict:
    """Create the demo schools, waves, rosters, responses and staff; returns counts."""
    rng = random.Random(seed)
    now = utcnow()
    plans = [
        ("national-secondary", SECONDARY_SIZES, "Secondary", "Academy converter"),
        ("national-primary", PRIMARY_SIZES, "Primary", "Community school"),
    ]
    counts = {"schools": 0, "roster": 0, "responses": 0, "answers": 0}
    urn = DEMO_URN_START
    for questionnaire_id, sizes, phase, kind in plans:
        earlier: list[tuple[School, int, float]] = []
        version = loaded.latest(questionnaire_id)
        if version is None:
            raise LookupError(f"load the questionnaires first ({questionnaire_id} is missing)")
        q = loaded.definition(questionnaire_id, version.version)
        wave = Wave(
            name=f"Autumn 2026 ({q.audience})",
            questionnaire_id=q.id,
            questionnaire_version=q.version,
            opens_at=now - timedelta(days=21),
            closes_at=now + timedelta(days=60),
        )
        db.session.add(wave)
        db.session.flush()
        for la_code, la_name in LOCAL_AUTHORITIES:
            for i, size in enumerate(sizes):
                school = School(
                    urn=urn,
                    name=f"{la_name} {['Park', 'Hill', 'Valley', 'Bridge'][i]} {phase} School",
                    la_code=la_code,
                    la_name=la_name,
                    phase=phase,
                    type=kind,
                    trust="Demo Learning Trust" if i % 2 == 0 else None,
                    trusted_adult_text=TRUSTED_ADULT,
                )
                urn += 1
                db.session.add(school)
                db.session.flush()
                counts["schools"] += 1
                effect = rng.gauss(0, 0.25)
                _seed_school(rng, q, wave, school, size, counts, effect)
                if q.audience == "secondary" and la_code == LOCAL_AUTHORITIES[0][0]:
                    earlier.append((school, size, effect))
        if earlier:
            _seed_earlier_wave(rng, q, earlier, now, counts)
    _seed_staff()
    audit.record("demo_seed", actor="cli", **counts)  # type: ignore[arg-type]  # counts are details
    _seed_concern()
    return counts


# Synthetic, like everything here: one flagged answer waiting on the demo DSL's "Needs attention".
DISCLOSURE = "My stepdad hits me when he has been drinking and I am scared to go home."


def _seed_concern() -> None:
    from analysis.safeguarding import check

    from .data.safeguarding import raise_concern

    school: School = db.session.scalars(select(School).where(School.urn == DEMO_URN_START)).one()
    autumn = select(Wave.id).where(Wave.name.like("Autumn 2026 (%"))
    response: Response = db.session.scalars(
        select(Response)
        .where(Response.school_id == school.id)
        .where(Response.status == ResponseStatus.COMPLETE)
        .where(Response.wave_id.in_(autumn))
        .order_by(Response.id)
        .limit(1)
    ).one()
    question = "say_better" if school.phase == "Secondary" else "p_say_better"
    db.session.execute(
        delete(Answer).where(Answer.response_id == response.id, Answer.question_id == question)
    )
    db.session.add(Answer(response_id=response.id, question_id=question, text=DISCLOSURE))
    raise_concern(
        school_id=school.id,
        wave_id=response.wave_id,
        response_id=response.id,
        question_id=question,
        language="en",
        text=DISCLOSURE,
        matches=check(DISCLOSURE),
    )


def _seed_school(
    rng, q: Questionnaire, wave: Wave, school: School, size: int, counts: dict, school_effect: float
) -> None:
    pupils = [_pupil(rng, q.years, 4 if q.audience == "secondary" else 2) for _ in range(size)]
    entries = [
        RosterEntry(
            wave_id=wave.id,
            school_id=school.id,
            pupil_reference=f"D{school.urn % 1000:03d}-{n:04d}",
            year_group=p.year_group,
            gender=p.gender,
            ethnicity_major=p.ethnicity_major,
            ethnicity_minor=p.ethnicity_minor,
            sen=SenStatus(p.sen),
            fsm=p.fsm,
            eal=p.eal,
            looked_after=p.looked_after,
            class_name=p.class_name,
        )
        for n, p in enumerate(pupils, start=1)
    ]
    db.session.add_all(entries)
    db.session.flush()
    counts["roster"] += len(entries)
    answered = []
    for entry, pupil in zip(entries, pupils, strict=True):
        if rng.random() >= RESPONSE_RATE:
            continue  # left for real codes: these pupils have not started
        code = PupilCode(
            code_hash=codes.hash_code(codes.generate()),
            wave_id=wave.id,
            school_id=school.id,
            roster_entry_id=entry.id,
        )
        refused = rng.random() < 0.015
        started = wave.opens_at + timedelta(minutes=rng.randrange(0, 20 * 24 * 60))
        response = Response(
            wave_id=wave.id,
            school_id=school.id,
            pupil_code=code,
            language="cy" if school.la_code == "992" and rng.random() < 0.4 else "en",
            started_at=started,
            updated_at=started,
            status=ResponseStatus.REFUSED if refused else ResponseStatus.COMPLETE,
            completed_at=None if refused else started + timedelta(minutes=rng.randrange(8, 30)),
        )
        db.session.add_all([code, response])
        answered.append((response, None if refused else _answers(rng, q, pupil, school_effect)))
    db.session.flush()
    rows = [
        {
            "response_id": response.id,
            "question_id": qid,
            "value": a.get("value"),
            "choices": a.get("choices"),
            "text": a.get("text"),
            "prefer_not_to_say": a.get("prefer_not_to_say", False),
            "saved_at": response.updated_at,
        }
        for response, answers in answered
        if answers
        for qid, a in answers.items()
    ]
    insert_rows(cast(Table, Answer.__table__), rows)
    counts["responses"] += sum(1 for _, answers in answered if answers)
    counts["answers"] += len(rows)


def _seed_earlier_wave(rng, q: Questionnaire, schools, now, counts: dict) -> None:
    """Last summer's wave for one local authority's secondary schools, so dashboards show a trend."""
    wave = Wave(
        name=f"Summer 2026 ({q.audience})",
        questionnaire_id=q.id,
        questionnaire_version=q.version,
        opens_at=now - timedelta(days=200),
        closes_at=now - timedelta(days=170),
    )
    db.session.add(wave)
    db.session.flush()
    for school, size, effect in schools:
        # A little lower then: these schools have been working on belonging since.
        _seed_school(rng, q, wave, school, size, counts, effect - 0.15)


STAFF = [
    ("lead@demo.example", Role.SCHOOL_LEAD, ScopeKind.SCHOOLS, None),
    ("dsl@demo.example", Role.SAFEGUARDING_LEAD, ScopeKind.SCHOOLS, None),
    ("reviewer@demo.example", Role.REVIEWER, ScopeKind.NATIONAL, None),
    ("la-reviewer@demo.example", Role.REVIEWER, ScopeKind.LOCAL_AUTHORITY, LOCAL_AUTHORITIES[0][0]),
    ("admin@demo.example", Role.ADMIN, ScopeKind.NATIONAL, None),
]


def _seed_staff() -> None:
    first = db.session.scalars(select(School).where(School.urn == DEMO_URN_START)).one()
    for email, role, scope, value in STAFF:
        create_user(
            email=email,
            password=DEMO_PASSWORD,
            role=role,
            scope_kind=scope,
            scope_value=value,
            schools=[first] if scope is ScopeKind.SCHOOLS else None,
            actor="cli",
        )


def staff_logins() -> list[tuple[str, str, str]]:
    emails = [email for email, *_ in STAFF]
    users = db.session.scalars(select(User).where(User.email.in_(emails)).order_by(User.id))
    return [(u.email, DEMO_PASSWORD, u.role.value) for u in users]


def fresh_codes(per_questionnaire: int = 5) -> list[tuple[int, str, str]]:
    """Unused codes for trying the survey: (school URN, questionnaire, code).

    Codes are stored only as hashes, so each run replaces the demo's unused codes with new ones; codes
    a visitor has already started with are kept.
    """
    issued = []
    for wave in db.session.scalars(select(Wave).where(Wave.name.like("Autumn 2026 (%")).order_by(Wave.id)):
        school = db.session.scalar(
            select(School)
            .join(RosterEntry, RosterEntry.school_id == School.id)
            .where(RosterEntry.wave_id == wave.id, School.urn >= DEMO_URN_START)
            .order_by(School.urn)
            .limit(1)
        )
        if school is None:  # a demo wave whose schools were removed since
            continue
        unused = (
            select(PupilCode.id)
            .outerjoin(Response)
            .where(PupilCode.wave_id == wave.id, PupilCode.school_id == school.id, Response.id.is_(None))
        )
        db.session.execute(delete(PupilCode).where(PupilCode.id.in_(unused)))
        for _entry, code in issue_codes(wave, school, actor="cli", limit=per_questionnaire):
            issued.append((school.urn, wave.questionnaire_id, code))
    return issued
