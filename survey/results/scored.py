"""The snapshot a results release is worked out from: complete responses read from the database
into the export format and scored with `analysis`.

The frame is pupil-level: only the release pipeline (`survey.results.publish`) reads it, never a
web request. It turns it into suppressed tables before anything is stored or shown.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from sqlalchemy import select

import analysis
from questionnaires import Questionnaire

from ..data import questionnaires as loaded
from ..extensions import db
from ..models import Answer, PupilCode, Response, ResponseStatus, RosterEntry, School, Wave

# The pupil groups dashboards break results down by: (column, label, {code: label}).
GROUPS: list[tuple[str, str]] = [
    ("fsm", "Free school meals"),
    ("sen", "Special educational needs"),
    ("ethnicity_major", "Ethnicity"),
    ("gender", "Gender"),
    ("year_group", "Year group"),
    ("eal", "English as an additional language"),
    ("looked_after", "Looked after"),
]
SCHOOL_COLUMNS = ["la_code", "la_name", "trust", "phase", "school_name"]


@dataclass(frozen=True)
class Results:
    """Complete responses to one questionnaire (every wave and school), scored."""

    questionnaire: Questionnaire
    scored: pd.DataFrame
    waves: pd.DataFrame  # wave_id, name, opens_at: in date order

    @property
    def scales(self) -> list:
        return list(self.questionnaire.scales)

    def for_school(self, urn: int, wave_id: int | None = None) -> pd.DataFrame:
        rows = self.scored[self.scored["school_urn"] == urn]
        return rows if wave_id is None else rows[rows["wave_id"] == wave_id]

    def for_wave(self, wave_id: int | None) -> pd.DataFrame:
        return self.scored if wave_id is None else self.scored[self.scored["wave_id"] == wave_id]

    def latest_wave(self, urn: int | None = None) -> int | None:
        rows = self.scored if urn is None else self.for_school(urn)
        present = set(rows["wave_id"].dropna().astype(int))
        ordered = [w for w in self.waves["wave_id"] if w in present]
        return ordered[-1] if ordered else None


def _waves_of(questionnaire_id: str):
    return select(Wave.id).where(Wave.questionnaire_id == questionnaire_id)


def _chosen(released: bool):
    """Complete responses; with `released`, only those a release has taken in (`Response.released_in`)."""
    condition = Response.status == ResponseStatus.COMPLETE
    return condition & Response.released_in.is_not(None) if released else condition


def questionnaire_ids() -> list[str]:
    return list(db.session.scalars(select(Wave.questionnaire_id).distinct().order_by(Wave.questionnaire_id)))


def _load(questionnaire_id: str, *, released: bool = False) -> Results:
    version = loaded.latest(questionnaire_id)
    if version is None:
        raise LookupError(f"questionnaire {questionnaire_id!r} is not loaded")
    questionnaire = loaded.definition(questionnaire_id, version.version)
    pupils = _pupils(questionnaire_id, released)
    answers = _answers(questionnaire_id, questionnaire, released)
    frame = pupils.join(answers, on="response_id") if len(answers.columns) else pupils
    for question in questionnaire.questions:
        if question.type != "text" and question.id not in frame.columns:
            frame[question.id] = np.nan
    _profile_from_answers(frame, questionnaire)
    extra = frame[["response_id", *SCHOOL_COLUMNS]].copy()
    tidy = analysis.from_frame(frame.drop(columns=[*SCHOOL_COLUMNS, "roster_id"]), questionnaire)
    scored = analysis.score(tidy, questionnaire)
    for column in SCHOOL_COLUMNS:
        scored[column] = extra[column].astype("category").to_numpy()
    scored["school_urn"] = scored["school_urn"].astype("int64")
    return Results(questionnaire=questionnaire, scored=scored, waves=_waves(questionnaire_id))


def _waves(questionnaire_id: str) -> pd.DataFrame:
    """The questionnaire's waves (wave_id, name, opens_at), in date order."""
    return pd.DataFrame(
        db.session.execute(
            select(Wave.id.label("wave_id"), Wave.name, Wave.opens_at)
            .where(Wave.questionnaire_id == questionnaire_id)
            .order_by(Wave.opens_at, Wave.id)
        ).all(),
        columns=["wave_id", "name", "opens_at"],
    )


def _pupils(questionnaire_id: str, released: bool = False) -> pd.DataFrame:
    rows = db.session.execute(
        select(
            Response.id.label("response_id"),
            Response.wave_id,
            School.urn.label("school_urn"),
            Response.language,
            RosterEntry.id.label("roster_id"),
            RosterEntry.year_group,
            RosterEntry.gender,
            RosterEntry.ethnicity_major,
            RosterEntry.ethnicity_minor,
            RosterEntry.sen,
            RosterEntry.fsm,
            RosterEntry.eal,
            RosterEntry.looked_after,
            School.la_code,
            School.la_name,
            School.trust,
            School.phase,
            School.name.label("school_name"),
        )
        .join(School, School.id == Response.school_id)
        .join(PupilCode, PupilCode.id == Response.pupil_code_id)
        .outerjoin(RosterEntry, RosterEntry.id == PupilCode.roster_entry_id)
        .where(Response.wave_id.in_(_waves_of(questionnaire_id)), _chosen(released))
        .order_by(Response.id)
    ).all()
    frame = pd.DataFrame(rows, columns=list(rows[0]._fields) if rows else _PUPIL_FIELDS)
    frame["questionnaire"] = questionnaire_id
    frame["status"] = ResponseStatus.COMPLETE.value
    frame["sen"] = frame["sen"].map(lambda s: getattr(s, "value", s), na_action="ignore")
    for flag in ("fsm", "eal", "looked_after"):
        frame[flag] = frame[flag].map({True: "Y", False: "N"})
    return frame


_PUPIL_FIELDS = [
    "response_id", "wave_id", "school_urn", "language", "roster_id", "year_group", "gender",
    "ethnicity_major", "ethnicity_minor", "sen", "fsm", "eal", "looked_after",
    "la_code", "la_name", "trust", "phase", "school_name",
]  # fmt: skip


def _answers(questionnaire_id: str, questionnaire: Questionnaire, released: bool = False) -> pd.DataFrame:
    """One column per question, one row per response (indexed by response id); text left out."""
    rows = db.session.execute(
        select(Answer.response_id, Answer.question_id, Answer.value, Answer.choices)
        .join(Response, Response.id == Answer.response_id)
        .where(
            Response.wave_id.in_(_waves_of(questionnaire_id)),
            _chosen(released),
            Answer.text.is_(None),
            Answer.prefer_not_to_say.is_(False),
        )
    ).all()
    if not rows:
        return pd.DataFrame(index=pd.Index([], name="response_id"))
    long = pd.DataFrame(rows, columns=["response_id", "question_id", "value", "choices"])
    single = long[long["choices"].isna()].pivot(index="response_id", columns="question_id", values="value")
    multiple = long[long["choices"].notna()]
    if len(multiple):
        joined = multiple["choices"].map(lambda c: ";".join(str(v) for v in sorted(c)) if c else None)
        chosen = multiple.assign(cell=joined).pivot(index="response_id", columns="question_id", values="cell")
        single = single.join(chosen, how="outer")
    return single.astype({c: "float64" for c in single.columns if c not in _multiple(questionnaire)})


def _multiple(questionnaire: Questionnaire) -> set[str]:
    return {q.id for q in questionnaire.questions if q.type == "multiple"}


def _profile_from_answers(frame: pd.DataFrame, questionnaire: Questionnaire) -> None:
    """Anonymous class sessions: the pupil's own "About you" answers stand in for the roster."""
    anonymous = frame["roster_id"].isna()
    if not anonymous.any():
        return
    for question in questionnaire.questions:
        if not question.profile or question.id not in frame.columns:
            continue
        codes = {float(o.value): o.code for o in question.options if o.code is not None}
        mapped = pd.to_numeric(frame[question.id], errors="coerce").map(codes)
        if question.profile == "year_group":
            mapped = pd.to_numeric(mapped, errors="coerce")
        frame.loc[anonymous, question.profile] = mapped[anonymous]


RELEASED_IDS_SQL = "SELECT id FROM response WHERE released_in IS NOT NULL"


def snapshot(questionnaire_id: str) -> Results:
    """The responses releases have taken in (`Response.released_in`), read through the streaming
    export (`survey.data.export.export_frame`: COPY on PostgreSQL), scored, with each school's area.

    The same figures as `_load(questionnaire_id, released=True)`, at national speed."""
    from ..data.export import export_frame

    version = loaded.latest(questionnaire_id)
    if version is None:
        raise LookupError(f"questionnaire {questionnaire_id!r} is not loaded")
    questionnaire = loaded.definition(questionnaire_id, version.version)
    tidy = export_frame(questionnaire_id, RELEASED_IDS_SQL)
    scored = analysis.score(tidy, questionnaire)
    scored["school_urn"] = scored["school_urn"].astype("int64")
    scored["wave_id"] = scored["wave_id"].astype("int64")
    schools = pd.DataFrame(
        db.session.execute(
            select(School.urn, School.la_code, School.la_name, School.trust, School.phase, School.name)
        ).all(),
        columns=["school_urn", *SCHOOL_COLUMNS],
    ).set_index("school_urn")
    for column in SCHOOL_COLUMNS:
        scored[column] = pd.Categorical(scored["school_urn"].map(schools[column]).to_numpy())
    return Results(questionnaire=questionnaire, scored=scored, waves=_waves(questionnaire_id))
