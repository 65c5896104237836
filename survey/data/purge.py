"""Retention: delete pupil-level data of waves that closed before a cutoff.

Answers, responses, codes, roster entries and class sessions go; schools, waves, users and the
audit log stay, so past waves are still listed (with no responses) and the log says what was purged.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import delete, func, select

from ..extensions import db
from ..models import Answer, ClassSession, PupilCode, Response, RosterEntry, User, Wave
from . import audit

_AGE = re.compile(r"(\d{1,4})\s*([dmy])", re.IGNORECASE)


def cutoff_from(value: str, *, now: datetime) -> datetime:
    """The cutoff for `--older-than`: "3y", "18m", "365d" before `now`, or an ISO date (midnight UTC).

    Raises ValueError with a message for the user if the value is not one of those, or not in the past.
    """
    text = (value or "").strip()
    match = _AGE.fullmatch(text)
    if match:
        amount, unit = int(match.group(1)), match.group(2).lower()
        if amount == 0:
            raise ValueError(f"'{value}' is no time at all; give a period such as 3y, 18m or 365d")
        if unit == "d":
            return now - timedelta(days=amount)
        months = amount * (12 if unit == "y" else 1)
        return _months_before(now, months)
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise ValueError(
            f"'{value}' is not a period such as 3y, 18m or 365d, nor a date such as 2023-08-31"
        ) from None
    cutoff = datetime.combine(day, time.min, tzinfo=UTC)
    if cutoff > now:
        raise ValueError(f"{day.isoformat()} is in the future; the cutoff must be a date in the past")
    return cutoff


def _months_before(moment: datetime, months: int) -> datetime:
    index = moment.year * 12 + (moment.month - 1) - months
    year, month = divmod(index, 12)
    if year < 1:
        raise ValueError("that period goes back before the year 1")
    month += 1
    day = min(moment.day, calendar.monthrange(year, month)[1])  # 31 March - 1 month = 28/29 February
    return moment.replace(year=year, month=month, day=day)


@dataclass
class Purged:
    """What a purge deleted (or, in a dry run, would delete)."""

    cutoff: datetime
    waves: list[Wave] = field(default_factory=list)
    answers: int = 0
    responses: int = 0
    codes: int = 0
    roster_entries: int = 0
    class_sessions: int = 0

    def counts(self) -> dict[str, int]:
        return {
            "answers": self.answers,
            "responses": self.responses,
            "codes": self.codes,
            "roster_entries": self.roster_entries,
            "class_sessions": self.class_sessions,
        }


def purge(cutoff: datetime, *, dry_run: bool = False, actor: User | str) -> Purged:
    """Delete the pupil-level data of every wave that closed before `cutoff`; the caller commits.

    A dry run only counts, changes nothing and records nothing. A real run is recorded in the audit log
    even when there was nothing to delete. Dashboards stop counting purged responses on their next
    request: the results cache is keyed by the responses there are (`results._version`).
    """
    waves = list(db.session.scalars(select(Wave).where(Wave.closes_at < cutoff).order_by(Wave.closes_at)))
    result = Purged(cutoff=cutoff, waves=waves)
    wave_ids = [w.id for w in waves]
    responses = select(Response.id).where(Response.wave_id.in_(wave_ids))
    targets = [
        ("answers", Answer, Answer.response_id.in_(responses)),
        ("responses", Response, Response.wave_id.in_(wave_ids)),
        ("codes", PupilCode, PupilCode.wave_id.in_(wave_ids)),
        ("roster_entries", RosterEntry, RosterEntry.wave_id.in_(wave_ids)),
        ("class_sessions", ClassSession, ClassSession.wave_id.in_(wave_ids)),
    ]
    # Counted first, then deleted children before parents (SQLite does not enforce the cascades).
    if wave_ids:
        for name, model, condition in targets:
            setattr(result, name, db.session.scalar(select(func.count()).select_from(model).where(condition)))
    if dry_run:
        return result
    if wave_ids:
        for _, model, condition in targets:
            db.session.execute(delete(model).where(condition).execution_options(synchronize_session=False))
        db.session.expire_all()
    audit.record(
        "purge",
        actor=actor,
        cutoff=cutoff.isoformat(timespec="seconds"),
        waves=wave_ids,
        **result.counts(),  # type: ignore[arg-type]  # counts are details, not `target`
    )
    return result
