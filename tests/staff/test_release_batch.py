"""A release works out every school's tables at once (`survey.results.batch`); each school must get
exactly what the per-school definitions give it: its verdicts, its trend and who answered."""

from __future__ import annotations

import math
from datetime import timedelta

import pandas as pd
import pytest
from sqlalchemy import select

import analysis
from survey.data import questionnaires as loaded_questionnaires
from survey.extensions import db
from survey.models import School, Wave, utcnow
from survey.results import batch, summary
from survey.results.labels import GROUP_IDS, lost_learning_questions
from survey.results.publish import publish
from survey.results.scored import snapshot
from survey.results.tables import lost_learning, representativeness, scales, trend

from ..responses import make_pupils


@pytest.fixture
def published(loaded, schools):
    """Three schools (two in one local authority) over two waves, published."""
    with loaded.app_context():
        version = loaded_questionnaires.latest("national-secondary").version
        third = School(
            urn=100003,
            name="Brook School",
            la_code="201",
            la_name="Northshire",
            phase="Secondary",
            type="Academy",
        )
        db.session.add(third)
        waves = []
        # The summer wave has closed, so all of it is published (its 8 pupils at Brook too).
        for days, closes, name in ((60, -1, "Summer 2026"), (7, 30, "Autumn 2026")):
            wave = Wave(
                name=name,
                questionnaire_id="national-secondary",
                questionnaire_version=version,
                opens_at=utcnow() - timedelta(days=days),
                closes_at=utcnow() + timedelta(days=closes),
            )
            db.session.add(wave)
            waves.append(wave)
        db.session.flush()
        sizes = {100001: (40, 36), 100002: (25, 0), 100003: (8, 12)}
        for urn, counts in sizes.items():
            school = db.session.scalar(select(School).where(School.urn == urn))
            for wave, count in zip(waves, counts, strict=True):
                if count:
                    make_pupils(wave, school, count, prefix=f"{urn}{wave.name[0]}", seed=urn + count)
        db.session.commit()
        publish("test")
        return [w.id for w in waves]


def _close(a, b) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return (math.isnan(a) and math.isnan(b)) or math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-12)
    return a == b


def _same_rows(found: list[dict], expected: list[dict]) -> None:
    assert len(found) == len(expected)
    for mine, theirs in zip(found, expected, strict=True):
        assert mine.keys() == theirs.keys()
        for key in mine:
            assert _close(_plain(mine[key]), _plain(theirs[key])), (key, mine[key], theirs[key])


def _plain(value):
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else value


def test_every_schools_trend_is_its_own(loaded, published):
    with loaded.app_context():
        results = snapshot("national-secondary")
        trends = batch.trend_tables(results)
        schools = {s.urn: s for s in db.session.scalars(select(School))}
        assert sorted(trends) == [100001, 100002, 100003]
        assert [r["wave"] for r in trends[100001]["belonging"].rows] == ["Summer 2026", "Autumn 2026"]
        assert [r["wave"] for r in trends[100002]["belonging"].rows] == ["Summer 2026"]
        for urn, tables in trends.items():
            for scale in results.questionnaire.scales:
                expected = trend.trend_table(results, schools[urn], scale.id)
                assert tables[scale.id].title == expected.title
                _same_rows(tables[scale.id].rows, expected.rows)
        # Fewer than 10 pupils in a wave: hidden, as on its own.
        brook = trends[100003]["belonging"].rows
        assert [r["wave"] for r in brook] == ["Summer 2026", "Autumn 2026"]
        assert brook[0]["_suppressed"] and not brook[1]["_suppressed"]


def test_every_schools_marks_are_its_own_family(loaded, published):
    with loaded.app_context():
        results = snapshot("national-secondary")
        questionnaire = results.questionnaire
        wave_rows = results.for_wave(published[0])
        gaps = {
            (s.id, g): analysis.gaps(wave_rows, g, s.id, by="school_urn")
            for s in questionnaire.scales
            for g in GROUP_IDS
        }
        lost = {
            (q.id, g): analysis.disproportionality(
                wave_rows, q.id, g, by="school_urn", questionnaire=questionnaire
            )
            for q in lost_learning_questions(questionnaire)
            for g in GROUP_IDS
        }
        benchmarks = scales.benchmarks(questionnaire, wave_rows)
        every = batch.marked_families(questionnaire, gaps, lost, benchmarks)
        assert sorted(every) == [100001, 100002, 100003]
        for urn, marked in every.items():

            def own(frame, urn=urn):
                return frame[frame["school_urn"] == urn]

            scores = {s.id: benchmarks.schools[s.id].loc[[urn]].reset_index() for s in questionnaire.scales}
            expected = summary.marked_family(
                questionnaire,
                {k: own(v) for k, v in gaps.items()},
                {k: own(v) for k, v in lost.items()},
                scores,
                benchmarks.national,
            )
            assert list(marked.columns) == list(expected.columns)
            assert len(marked) == len(expected) > 0
            pd.testing.assert_frame_equal(marked, expected, check_dtype=False, rtol=1e-12)
            assert summary.verdicts_of(marked) == summary.verdicts_of(expected)


def test_who_answered_is_counted_for_each_school_and_its_area(loaded, published):
    with loaded.app_context():
        results = snapshot("national-secondary")
        wave_id = published[0]
        roster = representativeness.wave_roster(wave_id)
        counts = batch.Representativeness(results.for_wave(wave_id), roster, GROUP_IDS)
        for urn in (100001, 100002, 100003):
            school = db.session.scalar(select(School).where(School.urn == urn))
            for group in GROUP_IDS:
                found = counts.tables(school, group)
                expected = representativeness.representativeness(results, school, wave_id, group, roster)
                for mine, theirs in zip(found, expected, strict=True):
                    assert mine.title == theirs.title and mine.note == theirs.note
                    assert mine.columns == theirs.columns
                    assert [mine.text_rows()] == [theirs.text_rows()]
                    _same_rows(mine.rows, theirs.rows)
        # Northshire's roster is both of its schools' pupils in the summer (40 + 8).
        school = db.session.scalar(select(School).where(School.urn == 100003))
        _, area = counts.tables(school, "fsm")
        assert sum(r["area_share"] for r in area.rows) == pytest.approx(100)
        assert counts.n_area["201"] == 48


def test_every_schools_lost_learning_is_counted_from_its_own_pupils(loaded, published):
    with loaded.app_context():
        results = snapshot("national-secondary")
        questionnaire = results.questionnaire
        wave_rows = results.for_wave(published[0])
        found = batch.lost_learning_tables(questionnaire, wave_rows)
        assert sorted(found) == [100001, 100002, 100003]
        for urn, table in found.items():
            expected = lost_learning.lost_learning_table(questionnaire, results.for_school(urn, published[0]))
            assert table.title == expected.title and table.columns == expected.columns
            _same_rows(table.rows, expected.rows)
        # Brook's 8 pupils: every row hidden, as on its own.
        assert all(r["_suppressed"] for r in found[100003].rows)
