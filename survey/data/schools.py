from __future__ import annotations

from typing import IO

from sqlalchemy import ColumnElement, Select, or_, select

from ..extensions import db
from ..importers import read_schools
from ..models import School, User, utcnow
from . import audit
from .actions import user_action


@user_action
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


def get(school_id: int) -> School | None:
    return db.session.get(School, school_id)


def by_urns(urns: list[int]) -> list[School]:
    return list(db.session.scalars(select(School).where(School.urn.in_(urns))))


def search(text: str = "") -> Select:
    """Schools by name whose name contains the text, or whose URN it is."""
    query = select(School).order_by(School.name, School.urn)
    if text:
        condition: ColumnElement[bool] = School.name.ilike(audit.contains(text), escape="\\")
        if text.isdigit() and len(text) <= 7:
            condition = or_(condition, School.urn == int(text))
        query = query.where(condition)
    return query


@user_action
def set_trusted_adult_text(
    school: School, text: str | None, *, actor: User, welsh: str | None = None
) -> None:
    """Who pupils can talk to, in English and (for Welsh pages) Welsh."""
    school.trusted_adult_text = text or None
    school.trusted_adult_text_cy = welsh or None
    audit.record("set_trusted_adult_text", actor=actor, target=f"school:{school.urn}")


@user_action
def publish_you_said_we_did(
    school: School, text: str | None, *, actor: User, welsh: str | None = None
) -> None:
    """Show pupils what the school will change (or stop showing it, with no text), in English and
    (for Welsh pages) Welsh."""
    school.you_said_we_did = text or None
    school.you_said_we_did_cy = (welsh or None) if text else None
    school.you_said_we_did_at = utcnow() if text else None
    audit.record("publish_you_said_we_did", actor=actor, target=f"school:{school.urn}")


def ids_in_local_authority(la_code: str) -> list[int]:
    return list(db.session.scalars(select(School.id).where(School.la_code == la_code)))
