from __future__ import annotations

from datetime import datetime
from typing import IO

from .. import codes
from ..extensions import db
from ..importers import read_roster
from ..models import PupilCode, RosterEntry, School, Wave
from . import audit
from . import questionnaires as loaded


def create_wave(
    *,
    name: str,
    questionnaire_id: str,
    opens_at: datetime,
    closes_at: datetime,
    school: School | None,
    actor: str,
) -> Wave:
    version = loaded.latest(questionnaire_id)
    if version is None:
        raise LookupError(f"questionnaire '{questionnaire_id}' has not been loaded (run load-questionnaires)")
    if closes_at <= opens_at:
        raise ValueError("the wave must close after it opens")
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


def import_roster(wave: Wave, school: School, stream: IO, *, actor: str) -> tuple[int, int]:
    """Add or update a school's roster for a wave; (added, updated). Raises ImportProblems, saving nothing."""
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


def issue_codes(
    wave: Wave, school: School, *, actor: str, limit: int | None = None
) -> list[tuple[RosterEntry, str]]:
    """A new code for every roster entry that has none yet. The codes are returned once, never stored."""
    query = (
        db.select(RosterEntry)
        .outerjoin(PupilCode, PupilCode.roster_entry_id == RosterEntry.id)
        .where(RosterEntry.wave_id == wave.id, RosterEntry.school_id == school.id, PupilCode.id.is_(None))
        .order_by(RosterEntry.class_name.asc().nulls_last(), RosterEntry.pupil_reference)
        .limit(limit)
    )
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
    audit.record(
        "issue_codes", actor=actor, target=f"wave:{wave.id}", school_urn=school.urn, count=len(issued)
    )
    return issued
