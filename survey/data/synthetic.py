"""Synthetic national data for benchmarks: `flask --app survey synthetic --responses N`.

Adds N complete responses across about N/300 new schools in up to 150 local authorities (a share
of schools in trusts), both questionnaires by phase, on rosters: roster entries (including pupils
who did not answer), pupil codes, responses and answers. Generation is vectorised (`synthetic_answers`)
and rows go in with COPY on PostgreSQL, a chunk of schools at a time; SQLite gets plain inserts.

Only new schools are touched, so the demo logins' own school (and every real school) gets nothing.
No code exists for a synthetic pupil: the stored "hash" is random bytes that no code can match.
"""

from __future__ import annotations

import io
import json
import os
from dataclasses import dataclass, field
from datetime import UTC, timedelta

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
import sqlalchemy as sa

from ..extensions import db
from ..models import Answer, PupilCode, Response, RosterEntry, School, Wave, utcnow
from . import audit, synthetic_answers
from . import questionnaires as loaded
from .synthetic_answers import FREE_TEXT

LOCAL_AUTHORITIES = 150
LA_PREFIX = "X"  # "X001": never a real DfE local authority code
RESPONSES_PER_SCHOOL = 300
SECONDARY_SHARE = 0.45  # of schools; secondary schools are bigger, so most responses
RESPONSE_RATE = 0.86
WELSH_LAS = 22  # the last 22 authorities answer partly in Welsh, as Wales has 22
CHUNK_PUPILS = 50_000
PHASES = {
    "national-secondary": ("Secondary", "Academy converter", 2.2),
    "national-primary": ("Primary", "Community school", 1.0),
}  # questionnaire: (phase, type, relative size)
MAX_RESPONSES = 20_000_000


@dataclass
class Counts:
    schools: int = 0
    roster: int = 0
    responses: int = 0
    answers: int = 0
    waves: list[int] = field(default_factory=list)


def check(responses: int) -> None:
    if responses < 1:
        raise ValueError("--responses must be at least 1")
    if responses > MAX_RESPONSES:
        raise ValueError(f"--responses must be at most {MAX_RESPONSES:,}")


def generate(responses: int, *, seed: int | None = None, actor: str) -> Counts:
    """Add `responses` complete synthetic responses, in the current transaction."""
    check(responses)
    for questionnaire_id in PHASES:
        if loaded.latest(questionnaire_id) is None:
            raise LookupError(f"load the questionnaires first ({questionnaire_id} is missing)")
    rng = np.random.default_rng(seed)
    counts = Counts()
    plan = _plan(rng, responses)
    connection = db.session.connection()
    checks_skipped = _skip_foreign_key_checks(connection)
    first_urn = (db.session.scalar(sa.select(sa.func.max(School.urn))) or 100000) + 1
    schools = _insert_schools(connection, plan, first_urn)
    counts.schools = len(schools)
    for questionnaire_id in PHASES:
        wave = _national_wave(questionnaire_id)
        counts.waves.append(wave.id)
        mine = [s for s in schools if s.questionnaire_id == questionnaire_id]
        for batch in _batches(mine):
            _add_batch(connection, rng, wave, batch, counts)
    if checks_skipped:
        connection.exec_driver_sql("SET LOCAL session_replication_role = origin")
    if connection.dialect.name == "postgresql":
        # Fresh statistics, so the next queries are planned for the tables' new size.
        connection.exec_driver_sql("ANALYZE school, roster_entry, pupil_code, response, answer")
    audit.record(
        "synthetic_data",
        actor=actor,
        schools=counts.schools,
        responses=counts.responses,
        answers=counts.answers,
        seed=seed,
    )
    return counts


def _skip_foreign_key_checks(connection) -> bool:
    """Skip PostgreSQL's per-row foreign-key triggers for this transaction, where allowed.

    Every key written here is one just reserved or read, so the checks cannot fail, and they are
    half the load time (as `pg_restore --disable-triggers` knows). Only a superuser may skip them;
    anyone else gets the same rows, checked, more slowly.
    """
    if connection.dialect.name != "postgresql":
        return False
    try:
        with db.session.begin_nested():
            connection.exec_driver_sql("SET LOCAL session_replication_role = replica")
    except sa.exc.DBAPIError:
        return False
    return True


@dataclass
class _School:
    id: int
    urn: int
    questionnaire_id: str
    la: int
    responses: int
    effect: float
    fsm_rate: float


def _plan(rng: np.random.Generator, responses: int) -> list[dict]:
    """Schools with their authority, trust, phase and share of the responses (summing to N)."""
    n = max(1, round(responses / RESPONSES_PER_SCHOOL))
    secondary = rng.random(n) < SECONDARY_SHARE
    if n >= 2:
        secondary[:2] = [True, False]  # both questionnaires, however few schools
    size = np.where(secondary, PHASES["national-secondary"][2], PHASES["national-primary"][2])
    size = size * rng.lognormal(0, 0.35, n)
    share = rng.multinomial(responses, size / size.sum())
    if (share == 0).any():  # a school with no responses is not one "with responses": share fairly
        share = np.full(n, responses // n) + (np.arange(n) < responses % n)
    la_size = rng.lognormal(0, 0.6, LOCAL_AUTHORITIES)
    la = rng.choice(LOCAL_AUTHORITIES, size=n, p=la_size / la_size.sum())
    trusts = max(1, n // 12)
    in_trust = rng.random(n) < 0.4
    trust = rng.integers(0, trusts, size=n)
    effect = rng.normal(0, 0.25, n)
    fsm = np.clip(rng.beta(2.5, 7.5, n), 0.02, 0.8)
    return [
        {
            "questionnaire_id": "national-secondary" if secondary[i] else "national-primary",
            "la": int(la[i]),
            "trust": f"Synthetic Learning Trust {trust[i] + 1}" if in_trust[i] else None,
            "responses": int(share[i]),
            "effect": float(effect[i]),
            "fsm_rate": float(fsm[i]),
        }
        for i in range(n)
    ]


def _insert_schools(connection, plan: list[dict], first_urn: int) -> list[_School]:
    ids = reserve_ids(connection, School.__table__, len(plan))
    rows, made = [], []
    for i, (school_id, p) in enumerate(zip(ids.tolist(), plan, strict=True)):
        urn = first_urn + i
        phase, kind, _ = PHASES[p["questionnaire_id"]]
        rows.append(
            {
                "id": school_id,
                "urn": urn,
                "name": f"Synthetic {phase} School {urn}",
                "la_code": f"{LA_PREFIX}{p['la'] + 1:03d}",
                "la_name": f"Synthetic Authority {p['la'] + 1}",
                "phase": phase,
                "type": kind,
                "trust": p["trust"],
            }
        )
        made.append(
            _School(
                school_id, urn, p["questionnaire_id"], p["la"], p["responses"], p["effect"], p["fsm_rate"]
            )
        )
    connection.execute(School.__table__.insert(), rows)
    return made


def _national_wave(questionnaire_id: str) -> Wave:
    """The questionnaire's latest national wave, or a new one open now."""
    wave = db.session.scalar(
        sa.select(Wave)
        .where(Wave.questionnaire_id == questionnaire_id, Wave.school_id.is_(None))
        .order_by(Wave.opens_at.desc(), Wave.id.desc())
        .limit(1)
    )
    if wave is None:
        version = loaded.latest(questionnaire_id)
        now = utcnow()
        wave = Wave(
            name=f"Synthetic national wave ({questionnaire_id})",
            questionnaire_id=questionnaire_id,
            questionnaire_version=version.version,
            opens_at=now - timedelta(days=21),
            closes_at=now + timedelta(days=60),
        )
        db.session.add(wave)
        db.session.flush()
    return wave


def _batches(schools: list[_School]):
    batch, pupils = [], 0
    for school in schools:
        batch.append(school)
        pupils += school.responses
        if pupils >= CHUNK_PUPILS:
            yield batch
            batch, pupils = [], 0
    if batch:
        yield batch


def _add_batch(
    connection, rng: np.random.Generator, wave: Wave, batch: list[_School], counts: Counts
) -> None:
    q = loaded.definition(wave.questionnaire_id, wave.questionnaire_version)
    answered = np.array([s.responses for s in batch])
    on_roster = np.maximum(answered, np.ceil(answered / RESPONSE_RATE).astype(int))
    school_of = np.repeat(np.arange(len(batch)), on_roster)
    n = len(school_of)
    fsm_rate = np.array([s.fsm_rate for s in batch])[school_of]
    who = synthetic_answers.pupils(rng, q.years, fsm_rate)
    # The first `answered` pupils of each school's roster answered; the rest have no code yet.
    starts = np.concatenate([[0], np.cumsum(on_roster)[:-1]])
    position = np.arange(n) - starts[school_of]
    responded = position < answered[school_of]
    school_ids = np.array([s.id for s in batch])[school_of]
    urns = np.array([s.urn for s in batch])[school_of]

    roster_ids = reserve_ids(connection, RosterEntry.__table__, n)
    classes = np.array(list("ABCDEFGH"))[rng.integers(0, 4 if q.audience == "secondary" else 2, n)]
    copy_rows(
        connection,
        RosterEntry.__table__,
        {
            "id": roster_ids,
            "wave_id": np.full(n, wave.id),
            "school_id": school_ids,
            "pupil_reference": _strings("S", urns, "-", position + 1, width=5),
            "year_group": who.year_group,
            "gender": who.gender,
            "ethnicity_major": who.ethnicity_major,
            "ethnicity_minor": who.ethnicity_minor,
            "sen": who.sen,
            "fsm": who.fsm,
            "eal": who.eal,
            "looked_after": who.looked_after,
            "class_name": _strings("", who.year_group, "", classes),
        },
    )
    counts.roster += n

    k = int(responded.sum())
    chosen = np.flatnonzero(responded)
    code_ids = reserve_ids(connection, PupilCode.__table__, k)
    response_ids = reserve_ids(connection, Response.__table__, k)
    now = utcnow()
    started = np.datetime64(wave.opens_at.replace(tzinfo=None), "s") + rng.integers(
        0, max(60, int((min(now, wave.closes_at) - wave.opens_at).total_seconds())), k
    ).astype("timedelta64[s]")
    completed = started + rng.integers(8 * 60, 30 * 60, k).astype("timedelta64[s]")
    copy_rows(
        connection,
        PupilCode.__table__,
        {
            "id": code_ids,
            "code_hash": _random_hashes(k),
            "wave_id": np.full(k, wave.id),
            "school_id": school_ids[chosen],
            "roster_entry_id": roster_ids[chosen],
            "issued_at": started - np.timedelta64(3, "D"),
        },
    )
    la = np.array([s.la for s in batch])[school_of[chosen]]
    welsh = la >= LOCAL_AUTHORITIES - WELSH_LAS
    copy_rows(
        connection,
        Response.__table__,
        {
            "id": response_ids,
            "wave_id": np.full(k, wave.id),
            "school_id": school_ids[chosen],
            "pupil_code_id": code_ids,
            "status": np.full(k, "complete"),
            "language": np.where(welsh & (rng.random(k) < 0.4), "cy", "en"),
            "progress": np.full(k, sum(1 for s in q.sections if s.only_in != "anonymous")),
            "started_at": started,
            "updated_at": completed,
            "completed_at": completed,
        },
    )
    counts.responses += k

    effect = np.array([s.effect for s in batch])[school_of[chosen]]
    answers = synthetic_answers.answers(rng, q, _subset(who, chosen), effect)
    m = len(answers.response)
    copy_rows(
        connection,
        Answer.__table__,
        {
            "response_id": response_ids[answers.response],
            "question_id": pa.array(answers.questions).take(pa.array(answers.question)),
            "value": pa.array(answers.value, mask=answers.value < 0, type=pa.int32()),
            "choices": _lookup(answers.choices, answers.choice_texts),
            "text": _lookup(answers.text, FREE_TEXT),
            "prefer_not_to_say": answers.prefer_not,
            "saved_at": completed[answers.response],
        },
    )
    counts.answers += m


def _random_hashes(k: int) -> np.ndarray:
    """64 hex digits each, like a real code's keyed hash, but of no code at all."""
    digits = os.urandom(32 * k).hex()
    return np.array([digits[i : i + 64] for i in range(0, 64 * k, 64)], dtype="<U64")


def _subset(who: synthetic_answers.Pupils, rows: np.ndarray) -> synthetic_answers.Pupils:
    return synthetic_answers.Pupils(**{k: v[rows] for k, v in vars(who).items()})


def _lookup(index: np.ndarray, texts: list[str]) -> pa.Array:
    if not texts:
        return pa.nulls(len(index), type=pa.string())
    return pa.array(texts).take(pa.array(index, mask=index < 0, type=pa.int32()))


def _strings(*parts, width: int = 0) -> np.ndarray:
    """Concatenate string constants and arrays elementwise (numbers zero-padded to `width`)."""
    out = None
    for part in parts:
        if isinstance(part, np.ndarray) and part.dtype.kind in "iu":
            part = np.char.zfill(part.astype(str), width) if width else part.astype(str)
        out = part if out is None else np.char.add(out, part)
    return out


def reserve_ids(connection, table: sa.Table, n: int) -> np.ndarray:
    """`n` new primary keys for `table`: from its sequence on PostgreSQL, after the largest on SQLite."""
    if n == 0:
        return np.array([], dtype=np.int64)
    if connection.dialect.name == "postgresql":
        sql = f"SELECT nextval(pg_get_serial_sequence('{table.name}', 'id')) FROM generate_series(1, {n})"
        return np.array(connection.exec_driver_sql(sql).scalars().all(), dtype=np.int64)
    start = connection.execute(sa.select(sa.func.max(table.c.id))).scalar() or 0
    return np.arange(start + 1, start + 1 + n, dtype=np.int64)


def copy_rows(connection, table: sa.Table, columns: dict) -> None:
    """Insert columns (numpy or pyarrow arrays): one COPY on PostgreSQL, executemany elsewhere."""
    data = pa.table({name: _arrow(values) for name, values in columns.items()})
    times = [name for name in columns if pa.types.is_timestamp(data.schema.field(name).type)]
    if connection.dialect.name != "postgresql":
        rows = data.to_pylist()
        for name in times:  # numpy times are UTC without a zone; the models want aware datetimes
            for row in rows:
                row[name] = row[name].replace(tzinfo=UTC)
        for name in columns:
            if isinstance(table.c[name].type, sa.JSON):  # COPY takes the JSON text; Core wants values
                for row in rows:
                    row[name] = None if row[name] is None else json.loads(row[name])
        if rows:
            connection.execute(table.insert(), rows)
        return
    for name in times:
        # Written as text with "+00": pyarrow formats zoned timestamps 20 times slower than strings.
        text = pc.binary_join_element_wise(data[name].cast(pa.string()), "+00", "")
        data = data.set_column(data.schema.get_field_index(name), name, text)
    buffer = io.BytesIO()
    pa_csv.write_csv(data, buffer, pa_csv.WriteOptions(include_header=False, quoting_style="needed"))
    names = ", ".join(f'"{c}"' for c in columns)
    cursor = connection.connection.dbapi_connection.cursor()
    with cursor.copy(f'COPY "{table.name}" ({names}) FROM STDIN WITH (FORMAT csv)') as copy:
        copy.write(buffer.getbuffer())


def _arrow(values) -> pa.Array:
    if isinstance(values, pa.Array | pa.ChunkedArray):
        return values
    if values.dtype.kind == "U":
        return pa.array(values.astype(object), type=pa.string())
    return pa.array(values)
