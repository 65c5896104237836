from __future__ import annotations

from typing import IO

from ..extensions import db
from ..importers import read_schools
from ..models import School
from . import audit


def import_schools(stream: IO, *, actor: str) -> tuple[int, int]:
    """Add or update schools from a GIAS CSV; (added, updated). Raises ImportProblems, saving nothing."""
    rows = read_schools(stream)
    existing = {
        s.urn: s
        for s in db.session.scalars(db.select(School).where(School.urn.in_([r["urn"] for r in rows])))
    }
    added = updated = 0
    for row in rows:
        school = existing.get(row["urn"])
        if school is None:
            db.session.add(School(**row))
            added += 1
        else:
            for key, value in row.items():
                setattr(school, key, value)
            updated += 1
    audit.record("import_schools", actor=actor, added=added, updated=updated)
    return added, updated


def by_urn(urn: int) -> School | None:
    return db.session.scalar(db.select(School).filter_by(urn=urn))
