"""`flask synthetic`: national-scale benchmark data that the questionnaires, scoring and analysis accept."""

from __future__ import annotations

from datetime import timedelta

import pandas as pd
import pytest
import sqlalchemy as sa

import analysis
from survey.data import questionnaires as loaded_questionnaires
from survey.data.export import export_frame
from survey.extensions import db
from survey.models import (
    Answer,
    PupilCode,
    Response,
    ResponseStatus,
    RosterEntry,
    School,
    Wave,
    utcnow,
)  # fmt: skip

# The data is written with COPY on PostgreSQL and with executemany on SQLite: the test of what is
# written runs on both databases, the rest (the same data, read back) on PostgreSQL only.
both_databases = pytest.mark.both_databases


def _count(model, *where) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where))


def _existing_school() -> tuple[int, int]:
    """Stands for the demo logins' own school, with its own wave."""
    school = School(
        urn=990001, name="Own School", la_code="990", la_name="Demoshire", phase="Secondary", type="x"
    )
    db.session.add(school)
    db.session.flush()
    now = utcnow()
    db.session.add(
        Wave(
            name="Own",
            questionnaire_id="national-secondary",
            questionnaire_version=1,
            school_id=school.id,
            opens_at=now - timedelta(days=1),
            closes_at=now + timedelta(days=9),
        )
    )
    db.session.commit()
    return school.id, school.urn


@both_databases
def test_synthetic_adds_complete_valid_responses_on_rosters_in_new_schools(loaded, runner):
    with loaded.app_context():
        own_id, own_urn = _existing_school()
    result = runner.invoke(args=["synthetic", "--responses", "1500", "--seed", "7"])
    assert result.exit_code == 0, result.output
    assert "Added 1500 complete responses" in result.output and "in 5 new schools" in result.output
    with loaded.app_context():
        new = list(db.session.scalars(sa.select(School).where(School.id != own_id)))
        assert len(new) == 5 and all(s.urn > own_urn for s in new)
        assert {s.phase for s in new} == {"Secondary", "Primary"}
        assert all(s.la_code.startswith("X") and len(s.la_code) == 4 for s in new)
        assert _count(Response, Response.school_id == own_id) == 0
        assert _count(RosterEntry, RosterEntry.school_id == own_id) == 0
        assert _count(Response, Response.status == ResponseStatus.COMPLETE) == 1500
        # On rosters: every response has a code for a roster entry of its own school and wave, and
        # some pupils on the roster have not answered, as in a real school.
        linked = db.session.execute(
            sa.select(sa.func.count())
            .select_from(Response)
            .join(PupilCode, PupilCode.id == Response.pupil_code_id)
            .join(RosterEntry, RosterEntry.id == PupilCode.roster_entry_id)
            .where(
                RosterEntry.school_id == Response.school_id,
                RosterEntry.wave_id == Response.wave_id,
                PupilCode.school_id == Response.school_id,
            )
        ).scalar()
        assert linked == 1500 < _count(RosterEntry)
        waves = {
            w.questionnaire_id: w for w in db.session.scalars(sa.select(Wave).where(Wave.school_id.is_(None)))
        }
        assert set(waves) == {"national-secondary", "national-primary"}
        for questionnaire_id, wave in waves.items():
            phase = "Secondary" if questionnaire_id == "national-secondary" else "Primary"
            schools = {
                r.school_id
                for r in db.session.execute(sa.select(Response.school_id).where(Response.wave_id == wave.id))
            }
            assert schools and all(db.session.get(School, s).phase == phase for s in schools)
            _assert_valid(wave)


def _assert_valid(wave: Wave) -> None:
    """Every answer is one the questionnaire allows, routing included."""
    q = loaded_questionnaires.definition(wave.questionnaire_id, wave.questionnaire_version)
    asked = {
        question.id: question for s in q.sections if s.only_in != "anonymous" for question in s.questions
    }
    rows = db.session.execute(
        sa.select(
            Answer.response_id,
            Answer.question_id,
            Answer.value,
            Answer.choices,
            Answer.text,
            Answer.prefer_not_to_say,
        )
        .join(Response, Response.id == Answer.response_id)
        .where(Response.wave_id == wave.id)
    ).all()
    by_response: dict[int, dict] = {}
    for row in rows:
        by_response.setdefault(row.response_id, {})[row.question_id] = row
    assert len(by_response) > 100 and len(rows) / len(by_response) > 0.8 * len(asked) * 0.9
    for answers in by_response.values():
        for question_id, a in answers.items():
            question = asked[question_id]
            if a.prefer_not_to_say:
                assert question.prefer_not_to_say and a.value is None and a.choices is None and a.text is None
                continue
            if question.type == "single":
                assert a.value in question.values and a.choices is None and a.text is None
            elif question.type == "multiple":
                plain = {o.value for o in question.options if not o.exclusive}
                assert (
                    a.choices == sorted(set(a.choices))
                    and set(a.choices) <= plain
                    and 1 <= len(a.choices) <= 2
                )
            elif question.type == "number":
                assert (question.min or 0) <= a.value <= (question.max or 10)
            else:
                assert (
                    question.type == "text"
                    and a.text.strip()
                    and len(a.text) <= (question.max_length or 10_000)
                )
            if question.show_if:
                earlier = answers.get(question.show_if.question)
                shown = earlier is not None and not earlier.prefer_not_to_say
                chosen = (earlier.choices or [earlier.value]) if shown else []
                assert set(chosen) & set(question.show_if.any_of), f"{question_id} asked though routed away"
    scored = analysis.score(export_frame(wave.questionnaire_id), q)
    assert scored[q.scales[0].id].notna().mean() > 0.95


def _answers_of_run(urns: set[int]) -> pd.DataFrame:
    frame = export_frame("national-secondary")
    frame = frame[frame["school_urn"].astype(int).isin(urns)].sort_values("response_id")
    return frame.drop(columns=["response_id", "school_urn"]).reset_index(drop=True)


def test_the_same_seed_gives_the_same_data(loaded, runner):
    runs = []
    for seed in (11, 11, 12):
        with loaded.app_context():
            before = set(db.session.scalars(sa.select(School.urn)))
        result = runner.invoke(args=["synthetic", "--responses", "600", "--seed", str(seed)])
        assert result.exit_code == 0, result.output
        with loaded.app_context():
            urns = set(db.session.scalars(sa.select(School.urn))) - before
            runs.append(_answers_of_run(urns))
    pd.testing.assert_frame_equal(runs[0], runs[1], check_categorical=False)
    assert len(runs[2]) != len(runs[0]) or not runs[2].equals(runs[0])


def test_planted_gaps_show_in_analysis(loaded, runner):
    result = runner.invoke(args=["synthetic", "--responses", "4000", "--seed", "3"])
    assert result.exit_code == 0, result.output
    with loaded.app_context():
        frame = export_frame("national-secondary")
        q = loaded_questionnaires.definition("national-secondary", 1)
    scored = analysis.score(frame, q)
    sen = analysis.gaps(scored, "sen", "belonging", by=None, reference="N").set_index("sen")
    fsm = analysis.gaps(scored, "fsm", "belonging", by=None, reference="N").set_index("fsm")
    assert sen.loc["K", "gap"] < -0.1 and sen.loc["E", "gap"] < -0.1
    assert fsm.loc["Y", "gap"] < -0.05
    sent_out = frame["ll_sent_out"].dropna().astype(int) > 1
    rate = sent_out.groupby(frame.loc[sent_out.index, "sen"].astype(str)).mean()
    assert rate["K"] > 1.3 * rate["N"]


def test_bad_arguments_get_a_clear_message(loaded, runner):
    for value in ("0", "-5", "lots", "30000000"):
        result = runner.invoke(args=["synthetic", "--responses", value])
        assert result.exit_code == 2 and "Invalid value for '--responses'" in result.output, value
    result = runner.invoke(args=["synthetic"])
    assert result.exit_code == 2 and "Missing option '--responses'" in result.output


def test_synthetic_needs_the_questionnaires(app, runner):
    result = runner.invoke(args=["synthetic", "--responses", "10"])
    assert result.exit_code == 1
    assert "load the questionnaires first" in result.output
    with app.app_context():
        assert _count(School) == 0
