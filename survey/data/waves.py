from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import IO

import pandas as pd
from sqlalchemy import case, func, select
from sqlalchemy.orm import selectinload

from .. import codes
from ..extensions import db
from ..importers import read_roster
from ..models import (
    ClassSession,
    PupilCode,
    Response,
    ResponseStatus,
    RosterEntry,
    School,
    User,
    Wave,
    utcnow,
)
from ..sorting import natural_key
from . import audit
from . import questionnaires as loaded
from .actions import user_action
from .scope import scope_condition


@user_action
def create_wave(
    *,
    name: str,
    questionnaire_id: str,
    first_day: date,
    last_day: date,
    school: School | None,
    actor: User | str,
) -> Wave:
    """A wave of the latest version of a loaded questionnaire, open from the start of `first_day` to
    the end of `last_day` (UTC): both days are in it, whichever form or command names them."""
    version = loaded.latest(questionnaire_id)
    if version is None:
        raise LookupError(f"questionnaire '{questionnaire_id}' has not been loaded (run load-questionnaires)")
    if last_day < first_day:
        raise ValueError("the wave must close after it opens")
    opens_at = datetime.combine(first_day, time.min, tzinfo=UTC)
    closes_at = datetime.combine(last_day, time.max, tzinfo=UTC)
    wave = Wave(
        name=name,
        questionnaire_id=questionnaire_id,
        questionnaire_version=version.version,
        opens_at=opens_at,
        closes_at=closes_at,
        school=school,
    )
    db.session.add(wave)
    db.session.flush()
    audit.record(
        "create_wave", actor=actor, target=f"wave:{wave.id}", school_urn=school.urn if school else None
    )
    return wave


@user_action
def import_roster(wave: Wave, school: School, stream: IO, *, actor: str) -> tuple[int, int]:
    """Add or update a school's roster for a wave; (added, updated). Raises ImportProblems, saving nothing.

    Pupils are matched by the school's reference: one whose response was withdrawn stays withdrawn.
    """
    if wave.school_id not in (None, school.id):
        raise ValueError(f"wave {wave.id} belongs to another school")
    questionnaire = loaded.definition(wave.questionnaire_id, wave.questionnaire_version)
    rows = read_roster(stream, questionnaire.years)
    existing = {
        e.pupil_reference: e
        for e in db.session.scalars(db.select(RosterEntry).filter_by(wave_id=wave.id, school_id=school.id))
    }
    added = updated = 0
    for row in rows:
        entry = existing.get(row["pupil_reference"])
        if entry is None:
            db.session.add(RosterEntry(wave_id=wave.id, school_id=school.id, **row))
            added += 1
        else:
            for key, value in row.items():
                setattr(entry, key, value)
            updated += 1
    audit.record(
        "import_roster",
        actor=actor,
        target=f"wave:{wave.id}",
        school_urn=school.urn,
        added=added,
        updated=updated,
    )
    return added, updated


class CannotReissue(ValueError):
    """Why a code cannot be reissued, in words for the school lead."""


def _slip_order(issued: list[tuple[RosterEntry, str]]) -> list[tuple[RosterEntry, str]]:
    """By year, then class in natural order (7A before 10C before 11A), then reference."""
    return sorted(
        issued,
        key=lambda pair: (
            pair[0].year_group,
            natural_key(pair[0].class_name),
            natural_key(pair[0].pupil_reference),
        ),
    )


def count_on_roster(wave: Wave, school: School, references: list[str]) -> int:
    """How many of these references are already on the school's roster for the wave."""
    existing = db.session.scalars(
        db.select(RosterEntry.pupil_reference).where(
            RosterEntry.wave_id == wave.id, RosterEntry.school_id == school.id
        )
    )
    return len(set(existing) & set(references))


@user_action
def issue_codes(
    wave: Wave, school: School, *, actor: str, limit: int | None = None, class_name: str | None = None
) -> list[tuple[RosterEntry, str]]:
    """A new code for every roster entry (of one class, if named) that has none yet, except pupils
    whose response was withdrawn. Sorted for slips: by year, class in natural order, reference.

    The codes are returned once, never stored.
    """
    query = (
        db.select(RosterEntry)
        .outerjoin(PupilCode, PupilCode.roster_entry_id == RosterEntry.id)
        .where(
            RosterEntry.wave_id == wave.id,
            RosterEntry.school_id == school.id,
            RosterEntry.withdrawn_at.is_(None),
            PupilCode.id.is_(None),
        )
        .order_by(
            RosterEntry.year_group, RosterEntry.class_name.asc().nulls_last(), RosterEntry.pupil_reference
        )
        .limit(limit)
    )
    if class_name is not None:
        query = query.where(RosterEntry.class_name == class_name)
    issued = []
    for entry in db.session.scalars(query):
        code = codes.generate()
        db.session.add(
            PupilCode(
                code_hash=codes.hash_code(code),
                wave_id=wave.id,
                school_id=school.id,
                roster_entry_id=entry.id,
            )
        )
        issued.append((entry, code))
    detail = {"count": len(issued)} if class_name is None else {"count": len(issued), "scope": "class"}
    audit.record("issue_codes", actor=actor, target=f"wave:{wave.id}", school_urn=school.urn, **detail)
    return _slip_order(issued)


def _unused_codes(wave: Wave, school: School, class_name: str | None = None):
    """The roster codes (of one class, if named) whose pupil has not started."""
    query = (
        db.select(PupilCode.id)
        .join(RosterEntry, RosterEntry.id == PupilCode.roster_entry_id)
        .outerjoin(Response, Response.pupil_code_id == PupilCode.id)
        .where(PupilCode.wave_id == wave.id, PupilCode.school_id == school.id, Response.id.is_(None))
    )
    if class_name is not None:
        query = query.where(RosterEntry.class_name == class_name)
    return query


def _roster_entry(wave: Wave, school: School, reference: str) -> RosterEntry:
    entry = db.session.scalars(
        db.select(RosterEntry).filter_by(wave_id=wave.id, school_id=school.id, pupil_reference=reference)
    ).one_or_none()
    if entry is None:
        raise CannotReissue(f"There is no pupil with the reference {reference} on this wave’s roster")
    if entry.withdrawn_at is not None:
        raise CannotReissue(f"{reference}’s response was withdrawn on request: they get no new code")
    return entry


def _pupil_code(entry: RosterEntry) -> PupilCode | None:
    code = db.session.scalars(db.select(PupilCode).filter_by(roster_entry_id=entry.id)).one_or_none()
    if code is not None and code.response is not None and code.response.status == ResponseStatus.COMPLETE:
        raise CannotReissue(
            f"{entry.pupil_reference} has finished the survey: a new code would have nothing left to open"
        )
    return code


def codes_to_replace(
    wave: Wave, school: School, *, class_name: str | None = None, reference: str | None = None
) -> int:
    """How many printed codes stop working if codes are reissued: for everyone or one class, the
    codes of pupils who have not started; for one pupil, their code unless they have finished.
    Raises CannotReissue for a reference that cannot have a new code."""
    if reference is not None:
        return int(_pupil_code(_roster_entry(wave, school, reference)) is not None)
    return (
        db.session.scalar(
            db.select(func.count()).select_from(_unused_codes(wave, school, class_name).subquery())
        )
        or 0
    )


@user_action
def replace_unused_codes(
    wave: Wave, school: School, *, actor, class_name: str | None = None
) -> list[tuple[RosterEntry, str]]:
    """New codes for every rostered pupil (of one class, if named) who has not started; their earlier
    codes stop working. Pupils whose response was withdrawn get none.

    Codes are kept only as hashes, so a lost slip cannot be printed again: it is replaced.
    """
    unused = _unused_codes(wave, school, class_name)
    db.session.execute(db.delete(PupilCode).where(PupilCode.id.in_(unused)))
    return issue_codes(wave, school, actor=actor, class_name=class_name)


@user_action
def reissue_code(wave: Wave, school: School, reference: str, *, actor) -> list[tuple[RosterEntry, str]]:
    """A new code for one pupil, for a lost slip: their old code stops working. A pupil who has
    started keeps their answers (the new code resumes them) and any device still signed in with
    the old code is signed out. Raises CannotReissue for a pupil who finished or was withdrawn."""
    entry = _roster_entry(wave, school, reference)
    existing = _pupil_code(entry)
    code = codes.generate()
    if existing is None:
        db.session.add(
            PupilCode(
                code_hash=codes.hash_code(code),
                wave_id=wave.id,
                school_id=school.id,
                roster_entry_id=entry.id,
            )
        )
    else:
        existing.code_hash = codes.hash_code(code)
        existing.session_ended_at = utcnow()
    audit.record(
        "issue_codes", actor=actor, target=f"wave:{wave.id}", school_urn=school.urn, count=1, scope="pupil"
    )
    return [(entry, code)]


def roster_class_names(wave: Wave, school: School) -> list[str]:
    """The classes on a school's roster for a wave, in natural order."""
    names = db.session.scalars(
        db.select(RosterEntry.class_name)
        .where(
            RosterEntry.wave_id == wave.id,
            RosterEntry.school_id == school.id,
            RosterEntry.class_name.is_not(None),
        )
        .distinct()
    )
    return sorted(names, key=natural_key)


MAX_CLASS_CODES = 60


@user_action
def open_class_session(wave: Wave, school: School, name: str, count: int, *, actor) -> list[str]:
    """An anonymous class session with `count` codes not linked to any roster entry."""
    if not 1 <= count <= MAX_CLASS_CODES:
        raise ValueError(f"a class session has between 1 and {MAX_CLASS_CODES} codes")
    session = ClassSession(wave_id=wave.id, school_id=school.id, name=name)
    db.session.add(session)
    db.session.flush()
    issued = [codes.generate() for _ in range(count)]
    db.session.add_all(
        PupilCode(
            code_hash=codes.hash_code(c), wave_id=wave.id, school_id=school.id, class_session_id=session.id
        )
        for c in issued
    )
    audit.record(
        "open_class_session", actor=actor, target=f"wave:{wave.id}", school_urn=school.urn, count=count
    )
    return issued


def waves_for_school(school: School) -> list[Wave]:
    """National waves and the school's own, newest first."""
    query = (
        db.select(Wave)
        .where((Wave.school_id.is_(None)) | (Wave.school_id == school.id))
        .order_by(Wave.opens_at.desc(), Wave.id.desc())
    )
    return list(db.session.scalars(query))


def wave_progress(wave: Wave, school: School) -> dict[str, int]:
    """Counts for a school's wave: roster (less withdrawn pupils), withdrawn, codes issued, refused,
    started, complete."""
    everyone, withdrawn = db.session.execute(
        db.select(db.func.count(), db.func.count(RosterEntry.withdrawn_at)).where(
            RosterEntry.wave_id == wave.id, RosterEntry.school_id == school.id
        )
    ).one()
    issued = db.session.scalar(
        db.select(db.func.count()).select_from(PupilCode).filter_by(wave_id=wave.id, school_id=school.id)
    )
    statuses = dict(
        db.session.execute(
            db.select(Response.status, db.func.count())
            .where(Response.wave_id == wave.id, Response.school_id == school.id)
            .group_by(Response.status)
        ).all()
    )
    return {
        "roster": everyone - withdrawn,
        "withdrawn": withdrawn,
        "codes": issued or 0,
        "complete": statuses.get(ResponseStatus.COMPLETE, 0),
        "in_progress": statuses.get(ResponseStatus.IN_PROGRESS, 0),
        "refused": statuses.get(ResponseStatus.REFUSED, 0),
    }


def get(wave_id: int) -> Wave | None:
    return db.session.get(Wave, wave_id) if 0 < wave_id <= 2**31 - 1 else None


def all_waves() -> list[Wave]:
    """Every wave with its school, newest first."""
    query = select(Wave).options(selectinload(Wave.school)).order_by(Wave.opens_at.desc(), Wave.id.desc())
    return list(db.session.scalars(query))


def all_waves_with_counts() -> list[tuple[Wave, int, int]]:
    """Every wave, newest first, with how many pupils started (saying "No thanks" is not starting)
    and how many finished."""
    started = func.count(Response.id)
    finished = func.coalesce(func.sum(case((Response.status == ResponseStatus.COMPLETE, 1), else_=0)), 0)
    refused = func.coalesce(func.sum(case((Response.status == ResponseStatus.REFUSED, 1), else_=0)), 0)
    rows = db.session.execute(
        select(Wave, started - refused, finished)
        .outerjoin(Response, Response.wave_id == Wave.id)
        .group_by(Wave.id)
        .options(selectinload(Wave.school))
        .order_by(Wave.opens_at.desc(), Wave.id.desc())
    ).all()
    return [(wave, int(started), int(finished)) for wave, started, finished in rows]


def class_sessions(wave: Wave, school: School) -> list[tuple[ClassSession, int, int]]:
    """A school's anonymous class sessions in a wave, with their codes and finished responses."""
    sessions = db.session.scalars(
        select(ClassSession).filter_by(wave_id=wave.id, school_id=school.id).order_by(ClassSession.created_at)
    )
    rows = []
    for session in sessions:
        issued = db.session.scalar(
            select(func.count()).select_from(PupilCode).filter_by(class_session_id=session.id)
        )
        done = db.session.scalar(
            select(func.count())
            .select_from(Response)
            .join(PupilCode, PupilCode.id == Response.pupil_code_id)
            .where(PupilCode.class_session_id == session.id, Response.status == ResponseStatus.COMPLETE)
        )
        rows.append((session, issued or 0, done or 0))
    return rows


RATE_GROUPS = ["year_group", "class_name", "fsm", "sen", "ethnicity_major", "gender", "eal", "looked_after"]


def roster_statuses(wave: Wave, school: School) -> list[tuple]:
    """Each pupil on a school's roster for a wave: their `RATE_GROUPS` and response status (None
    before they start). Pupils whose response was withdrawn are left out, as if never on it."""
    return list(
        db.session.execute(
            select(*(getattr(RosterEntry, group) for group in RATE_GROUPS), Response.status)
            .outerjoin(PupilCode, PupilCode.roster_entry_id == RosterEntry.id)
            .outerjoin(Response, Response.pupil_code_id == PupilCode.id)
            .where(
                RosterEntry.wave_id == wave.id,
                RosterEntry.school_id == school.id,
                RosterEntry.withdrawn_at.is_(None),  # withdrawn on request: not counted at all
            )
        ).all()
    )


def not_started(wave: Wave, school: School) -> list[tuple[str | None, int, str]]:
    """(class, year, reference) of each pupil on the school's roster for the wave who has not
    started: no response at all. Pupils who said "No thanks" have one (taking part is their choice),
    and pupils whose response was withdrawn are left out."""
    return list(
        db.session.execute(
            select(RosterEntry.class_name, RosterEntry.year_group, RosterEntry.pupil_reference)
            .outerjoin(PupilCode, PupilCode.roster_entry_id == RosterEntry.id)
            .outerjoin(Response, Response.pupil_code_id == PupilCode.id)
            .where(
                RosterEntry.wave_id == wave.id,
                RosterEntry.school_id == school.id,
                RosterEntry.withdrawn_at.is_(None),
                Response.id.is_(None),
            )
        ).all()
    )


def response_times(wave: Wave, school: School) -> list[tuple[datetime, datetime | None]]:
    """(started, finished or None) of each of the school's responses in the wave, less refusals."""
    return list(
        db.session.execute(
            select(Response.started_at, Response.completed_at).where(
                Response.wave_id == wave.id,
                Response.school_id == school.id,
                Response.status != ResponseStatus.REFUSED,
            )
        ).all()
    )


def national_waves() -> list[Wave]:
    """Waves every school may take part in, newest first."""
    return list(
        db.session.scalars(
            select(Wave).where(Wave.school_id.is_(None)).order_by(Wave.opens_at.desc(), Wave.id.desc())
        )
    )


def participation(wave: Wave, user: User) -> list[tuple[int, str, str, int, int]]:
    """(URN, name, local authority, pupils on the roster, finished) of each school in `user`'s scope
    with a roster for the wave; withdrawn pupils are left out, as if never on the roster."""
    finished = func.count(Response.id)
    rows = db.session.execute(
        select(School.urn, School.name, School.la_name, func.count(RosterEntry.id), finished)
        .join(RosterEntry, RosterEntry.school_id == School.id)
        .outerjoin(PupilCode, PupilCode.roster_entry_id == RosterEntry.id)
        .outerjoin(
            Response,
            (Response.pupil_code_id == PupilCode.id) & (Response.status == ResponseStatus.COMPLETE),
        )
        .where(RosterEntry.wave_id == wave.id, RosterEntry.withdrawn_at.is_(None), scope_condition(user))
        .group_by(School.id, School.urn, School.name, School.la_name)
        .order_by(School.name)
    ).all()
    return [(urn, name, la_name, int(roster), int(done)) for urn, name, la_name, roster, done in rows]


# The roster columns a school's respondents are compared with, by pupil group.
ROSTER_GROUPS = ("year_group", "gender", "ethnicity_major", "sen", "fsm", "eal", "looked_after")


def roster_levels(wave_id: int, school_ids: list[int], group: str) -> list[tuple]:
    """(school id, the pupil's level of `group`) for each pupil on these schools' rosters for a wave,
    less those whose response was withdrawn (as if never on the roster)."""
    if group not in ROSTER_GROUPS:
        raise ValueError(f"{group!r} is not a roster group")
    column = getattr(RosterEntry, group)
    return list(
        db.session.execute(
            select(RosterEntry.school_id, column.label("level")).where(
                RosterEntry.wave_id == wave_id,
                RosterEntry.school_id.in_(school_ids),
                RosterEntry.withdrawn_at.is_(None),
            )
        ).all()
    )


def roster_frame(wave_id: int) -> pd.DataFrame:
    """Every pupil on the wave's rosters (less withdrawals): school id, local authority and each
    group, for the release pipeline to read once rather than per school and group."""
    columns = [getattr(RosterEntry, group).label(group) for group in ROSTER_GROUPS]
    rows = db.session.execute(
        select(RosterEntry.school_id, School.la_code, *columns)
        .join(School, School.id == RosterEntry.school_id)
        .where(RosterEntry.wave_id == wave_id, RosterEntry.withdrawn_at.is_(None))
    ).all()
    return pd.DataFrame(rows, columns=["school_id", "la_code", *ROSTER_GROUPS])
