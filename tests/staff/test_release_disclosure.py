"""Disclosure control over a whole release: the LP attacker, holding every table published together
(each school's gap, lost learning and "Who answered" tables for every group, the compare page's gap
rows, the reviewer's risk ratios by local authority, trust and nationally), finds nothing on the demo
release, and finds the leaks of table-by-table suppression on the same data. (A release it can break
is refused and logged without values: `tests/staff/test_releases.py`.)
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from survey.extensions import db
from survey.models import Release, ReleaseItem, ReleaseStatus
from survey.results import release_disclosure as disclosure
from survey.results import store
from survey.results.scored import snapshot
from testing.disclosure_data import table_by_table

QUESTIONNAIRES = ("national-primary", "national-secondary")
KINDS = disclosure.KINDS


@pytest.fixture(scope="module")
def demo_release(demo_state):
    """The demo's published release as an attacker holds it: every wave's items and snapshot."""
    app = demo_state.app
    with app.app_context():
        release = db.session.scalar(
            select(Release).where(Release.status == ReleaseStatus.PUBLISHED).order_by(Release.id.desc())
        )
        rows = db.session.execute(
            select(ReleaseItem.kind, ReleaseItem.key, ReleaseItem.payload).where(
                ReleaseItem.release_id == release.id, ReleaseItem.kind.in_(KINDS)
            )
        ).all()
        items = {(kind, key): store.decode(payload) for kind, key, payload in rows}
        found = {}
        for questionnaire in QUESTIONNAIRES:
            results = snapshot(questionnaire)
            for wave_id in disclosure._waves(results, items):
                found[(questionnaire, wave_id)] = (results, disclosure.wave_cells(results, wave_id))
        yield items, found


def test_the_attacker_finds_nothing_in_the_demo_release(demo_app, demo_release):
    items, waves = demo_release
    assert len(waves) == 3  # two waves of the secondary questionnaire, one of the primary
    small = 0
    for (_questionnaire, wave_id), (results, cells) in waves.items():
        findings, published = disclosure.audit_items(results, items, wave_id, cells)
        assert findings.empty, disclosure.summary(findings)
        # every count under 10 that any table shows as a group is hidden, with the one label
        groups = (published[disclosure.GROUP_IDS] != "*").any(axis=1)
        shown = published[groups & ~published["hidden"]]
        assert (shown["n"] >= 10).all()
        checked = findings.attrs["checked"]  # each hidden small count: its range reaches ±10
        assert checked == (published["hidden"] & (published["n"] < 10)).sum() > 0
        small += int((groups & (published["n"] < 10)).sum())
    assert small > 100  # the demo has many small groups to protect


def test_table_by_table_suppression_of_the_same_release_leaks(demo_app, demo_release):
    _, waves = demo_release
    (_results, cells) = waves[next(k for k in waves if k[0] == "national-primary")]
    naive = table_by_table(cells[cells["published"]].drop(columns="published"), disclosure.DIMS)
    assert naive.loc[naive["n"] < 10, "hidden"].all()  # every small cell is hidden...
    findings = disclosure.audit(naive, disclosure.DIMS, hierarchy=disclosure.HIERARCHY)
    assert len(findings) > 20, "...yet hiding each table's small cells and a complement leaks"
    levels = {disclosure.table_id(r | {"wave": ""}).split()[1] for r in findings.to_dict("records")}
    assert "school" in levels and levels & {"la", "trust", "national", "la × trust"}
