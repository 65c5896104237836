"""Disclosure control over a release: the LP attacker finds what table-by-table suppression leaks,
and finds nothing once `protect` has chosen the secondary suppression across every table."""

from __future__ import annotations

import doctest
import io

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import analysis.disclosure
from analysis.__main__ import main
from analysis.disclosure import TOTAL, audit, feasible_ranges, primary, protect, stable_groups
from testing.disclosure_data import pupils, release, table_by_table

NESTED = ["la", "school", "fsm", "sen"]
HIERARCHY = {"school": "la"}


def nested_release(schools: int, sizes=(8, 40), seed: int = 1) -> pd.DataFrame:
    """School, school × FSM and school × FSM × SEN, with the same tables for the LA and the nation."""
    return release(
        pupils(schools, max(1, schools // 10), sizes, seed), ["fsm", "sen"], [("fsm", "sen")], None
    )


def test_the_docstring_examples_run():
    assert doctest.testmod(analysis.disclosure).failed == 0


def test_audit_finds_what_table_by_table_suppression_leaks():
    cells = nested_release(20)
    suppressed = table_by_table(cells, NESTED)
    assert not ((suppressed["n"] < 10) & ~suppressed["hidden"]).any()  # every small cell is hidden...
    findings = audit(suppressed, NESTED, hierarchy=HIERARCHY)
    assert len(findings) > 0  # ...yet the attacker pins some down
    exact = findings[findings["low"] == findings["high"]]
    assert len(exact) > 0, "some small counts are recovered exactly"
    for row in exact.head(5).itertuples():
        assert row.low == row.n


def test_a_hidden_pair_under_a_shown_group_by_group_table_is_narrowed():
    # FSM × SEN hidden table by table, but school × SEN shown: the four cells have one degree of freedom.
    cells = pd.DataFrame(
        [
            ("*", "*", 40), ("Y", "*", 12), ("N", "*", 28), ("*", "N", 30), ("*", "K", 10),
            ("Y", "N", 10), ("Y", "K", 2), ("N", "N", 20), ("N", "K", 8),
        ],
        columns=["fsm", "sen", "n"],
    )  # fmt: skip
    cells["hidden"] = cells["n"].isin([10, 2, 20, 8]) & (cells["fsm"] != "*") & (cells["sen"] != "*")
    ranges = feasible_ranges(cells, ["fsm", "sen"], exact=True).set_index(["fsm", "sen"])
    assert (ranges.loc[("Y", "K"), "low"], ranges.loc[("Y", "K"), "high"]) == (0, 10)
    assert list(audit(cells, ["fsm", "sen"])[["fsm", "sen"]].itertuples(index=False, name=None)) == [
        ("Y", "K"), ("N", "K")
    ]  # fmt: skip
    safe = protect(cells.drop(columns="hidden"), ["fsm", "sen"])
    assert audit(safe, ["fsm", "sen"]).empty


def test_protect_leaves_nothing_for_the_attacker_on_300_small_schools():
    # school → LA → national; FSM and ethnicity (rare groups: Chinese, Gypsy/Roma); FSM × ethnicity
    # nested under FSM; exclusions (an event) in total and by each group.
    groups = ["fsm", "ethnicity"]
    cells = release(pupils(300, 15, (8, 40), seed=2), groups, [("fsm", "ethnicity")], "excluded")
    dims = [c for c in cells.columns if c != "n"]
    out = protect(cells, dims, hierarchy=HIERARCHY, events="excluded")
    assert len(out) >= len(cells)  # plus the explicit 0 event cells
    shown = out[~out["hidden"]]
    event_zero = (shown["excluded"].astype(str) != TOTAL) & (shown["n"] == 0)
    assert (shown.loc[~event_zero, "n"] >= 10).all()
    assert set(out.loc[out["hidden"], "reason"]) == {"primary", "secondary"}
    assert out.loc[~out["hidden"], "reason"].isna().all()
    findings = audit(out, dims, hierarchy=HIERARCHY, events="excluded")
    assert findings.empty, findings.head()
    assert findings.attrs["checked"] == (out["reason"] == "primary").sum()


def test_protect_hides_a_lone_school_in_an_la_from_the_la_table():
    # One school's FSM split hidden is given back by the LA's unless another school's goes too.
    cells = pd.DataFrame(
        {
            "la": ["E1"] * 12,
            "school": [1, 1, 1, 2, 2, 2, 3, 3, 3, "*", "*", "*"],
            "fsm": ["*", "Y", "N"] * 4,
            "n": [30, 4, 26, 50, 20, 30, 60, 25, 35, 140, 49, 91],
        }
    )
    out = protect(cells, ["la", "school", "fsm"], hierarchy=HIERARCHY)
    hidden_schools = set(out.loc[out["hidden"] & (out["school"] != "*"), "school"])
    assert 1 in hidden_schools and len(hidden_schools) >= 2
    assert audit(out, ["la", "school", "fsm"], hierarchy=HIERARCHY).empty


def test_kept_cells_are_never_hidden_and_given_ones_stay_hidden():
    cells = pd.DataFrame(
        {
            "la": ["E1"] * 12,
            "school": [1, 1, 1, 2, 2, 2, 3, 3, 3, "*", "*", "*"],
            "fsm": ["*", "Y", "N"] * 4,
            "n": [30, 4, 26, 50, 20, 30, 60, 25, 35, 140, 49, 91],
        }
    )
    totals = (cells["fsm"] == "*").to_numpy()
    unpublished = ((cells["school"] == "*") & (cells["fsm"] != "*")).to_numpy()  # the LA's split
    out = protect(cells, ["la", "school", "fsm"], hierarchy=HIERARCHY, keep=totals, hidden=unpublished)
    assert not out.loc[totals, "hidden"].any()
    assert out.loc[unpublished, "hidden"].all() and (out.loc[unpublished, "reason"] == "given").all()
    # with the LA's split unknown, school 1's complement is enough: no other school is touched
    assert set(out.loc[out["hidden"] & (out["school"] != "*"), "school"]) == {1}
    assert audit(out, ["la", "school", "fsm"], hierarchy=HIERARCHY).empty


def test_a_count_only_a_kept_cell_could_protect_is_an_error_unless_capped_by_it():
    # 12 pupils, 3 FSM: with the total kept, the 3 can never reach 13
    cells = pd.DataFrame({"fsm": ["*", "Y", "N"], "n": [12, 3, 9]})
    with pytest.raises(RuntimeError, match="cannot be protected"):
        protect(cells, ["fsm"], keep=[True, False, False])
    # ...but the attacker learns no more than the stated 12 when both parts are hidden: 0 to 12
    ceiling = [np.inf, 12, 12]
    out = protect(cells, ["fsm"], keep=[True, False, False], ceiling=ceiling)
    assert out["hidden"].tolist() == [False, True, True]
    assert audit(out, ["fsm"], ceiling=ceiling).empty
    assert len(audit(out, ["fsm"])) == 2  # without it: 0 to 12 is short of 13 and of 19


# ------------------------------------------------------------------------------------------------
# Property: any release the generator can make, protected, leaves no small count narrower than 10
# ------------------------------------------------------------------------------------------------

counts = st.lists(st.integers(0, 30), min_size=4, max_size=4)


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(counts, min_size=1, max_size=3))
def test_property_no_small_count_is_shown_or_pinned(schools):
    rows = []
    for s, combo in enumerate(schools, start=1):
        for (fsm, sen), k in zip([("Y", "N"), ("Y", "K"), ("N", "N"), ("N", "K")], combo, strict=True):
            rows += [("E1", s, fsm, sen)] * k
    if not rows:
        return
    frame = pd.DataFrame(rows, columns=NESTED)
    cells = release(frame.assign(excluded="no"), ["fsm", "sen"], [("fsm", "sen")], None)
    out = protect(cells, NESTED, hierarchy=HIERARCHY)
    assert (out.loc[~out["hidden"], "n"] >= 10).all()
    ranges = feasible_ranges(out, NESTED, hierarchy=HIERARCHY, exact=True)
    assert (ranges["high"] >= ranges["n"] + 10).all()
    assert (ranges["low"] <= np.maximum(0, ranges["n"] - 10)).all()


# ------------------------------------------------------------------------------------------------
# Zeros and rare events
# ------------------------------------------------------------------------------------------------


def test_a_zero_event_count_is_hidden_in_a_small_group_and_shown_in_a_big_one():
    cells = pd.DataFrame(
        {
            "group": ["Roma", "Roma", "White", "White", "White", "*", "*", "*"],
            "excluded": ["*", "no", "*", "no", "yes", "*", "no", "yes"],
            "n": [12, 12, 200, 170, 30, 212, 182, 30],
        }
    )
    assert primary(cells, ["group", "excluded"], events="excluded").tolist() == [False] * 8
    out = protect(cells, ["group", "excluded"], events="excluded")
    added = out.iloc[len(cells) :]
    assert added[["group", "excluded", "n"]].values.tolist() == [["Roma", "yes", 0]]
    roma = out[out["group"] == "Roma"].set_index("excluded")
    assert roma.loc["yes", "hidden"] and roma.loc["no", "hidden"]  # "none of the 12" is not shown
    assert audit(out, ["group", "excluded"], events="excluded").empty


def test_an_event_count_of_1_to_9_is_hidden():
    cells = pd.DataFrame({"excluded": ["*", "no", "yes"], "n": [300, 297, 3]})
    assert primary(cells, ["excluded"], events="excluded").tolist() == [False, False, True]


# ------------------------------------------------------------------------------------------------
# Time: consecutive releases are no differencing pair
# ------------------------------------------------------------------------------------------------


def school_cells(rows: dict[int, tuple[int, int]]) -> pd.DataFrame:
    """Each school's total and FSM split from (fsm Y, fsm N)."""
    out = []
    for school, (y, no) in rows.items():
        out += [(school, "*", y + no), (school, "Y", y), (school, "N", no)]
    return pd.DataFrame(out, columns=["school", "fsm", "n"])


def test_a_school_whose_group_moved_by_under_10_keeps_its_previous_cells():
    before = school_cells({1: (14, 26), 2: (20, 30), 3: (15, 15)})
    after = school_cells({1: (16, 36), 2: (20, 40), 3: (25, 35), 4: (12, 12)})
    out = stable_groups(before, after, ["school", "fsm"])
    held = out.groupby("school")["held"].all()
    assert held.to_dict() == {1: True, 2: False, 3: False, 4: False}
    published = out.set_index(["school", "fsm"])["n"]
    previous = before.set_index(["school", "fsm"])["n"]
    # no cell of a school published in both releases differs by 1 to 9
    common = published.index.intersection(previous.index)
    moved = (published[common] - previous[common]).abs()
    assert not ((moved > 0) & (moved < 10)).any()
    assert published[(1, "Y")] == 14 and published[(3, "Y")] == 25


def test_a_group_that_appears_with_few_pupils_holds_the_school():
    before = pd.DataFrame({"school": [1, 1], "eth": ["*", "WHIT"], "n": [40, 40]})
    after = pd.DataFrame({"school": [1, 1, 1], "eth": ["*", "WHIT", "GRT"], "n": [52, 40, 12]})
    assert not stable_groups(before, after, ["school", "eth"])["held"].any()  # 12 new: a move of 12
    after["n"] = [43, 40, 3]
    out = stable_groups(before, after, ["school", "eth"])
    assert out["held"].all() and out["n"].tolist() == [40, 40]  # 3 new Gypsy/Roma pupils not shown


# ------------------------------------------------------------------------------------------------
# Clear errors for a malformed cells frame
# ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("frame", "kwargs", "message"),
    [
        (
            pd.DataFrame({"la": ["*"], "school": [1], "n": [5]}),
            {"hierarchy": HIERARCHY},
            "a concrete school must name its la",
        ),
        (
            pd.DataFrame({"la": ["A", "B"], "school": [1, 1], "n": [5, 6]}),
            {"hierarchy": HIERARCHY},
            "school 1 is in more than one la",
        ),
        (pd.DataFrame({"la": ["A", "A"], "school": [1, 1], "n": [5, 5]}), {}, "repeats an earlier cell"),
        (
            pd.DataFrame({"la": ["A", "A"], "school": [1, 2], "n": [5, -1]}),
            {},
            "n is -1, not a whole number ≥ 0",
        ),
        (pd.DataFrame({"la": ["A", "A", "A"], "school": ["*", 1, 2], "n": [10, 6, 7]}), {}, "add up to 13"),
        (
            pd.DataFrame({"la": ["A"], "school": [1], "n": [5]}),
            {"hierarchy": {"school": "trust"}},
            "not one of the dims",
        ),
    ],
)
def test_malformed_cells_get_a_clear_error(frame, kwargs, message):
    with pytest.raises(ValueError, match=message):
        protect(frame, ["la", "school"], **kwargs)


def test_min_n_and_interval_cannot_be_lowered_below_safe():
    cells = pd.DataFrame({"g": ["*", "a"], "n": [20, 20]})
    with pytest.raises(ValueError, match="min_n must be at least 10"):
        protect(cells, ["g"], min_n=5)
    with pytest.raises(ValueError, match="interval must be"):
        protect(cells, ["g"], interval=0)


# ------------------------------------------------------------------------------------------------
# python -m analysis audit
# ------------------------------------------------------------------------------------------------

LEAKY = """la,school,fsm,n,hidden
E1,1,*,30,false
E1,1,Y,3,true
E1,1,N,27,true
E1,2,*,40,no
E1,2,Y,15,no
E1,2,N,25,no
E1,*,*,70,false
E1,*,Y,18,false
E1,*,N,52,false
"""


def test_cli_audit_reports_the_pinned_count_and_fails(tmp_path, capsys):
    source = tmp_path / "cells.csv"
    source.write_text(LEAKY)
    status = main(["audit", "--in", str(source), "--dims", "la,school,fsm", "--hierarchy", "school:la"])
    captured = capsys.readouterr()
    assert status == 1
    findings = pd.read_csv(io.StringIO(captured.out))
    assert findings[["school", "fsm", "n", "low", "high"]].values.tolist() == [[1, "Y", 3, 3.0, 3.0]]
    assert "1 findings" in captured.err


def test_cli_audit_passes_a_protected_table(tmp_path, capsys):
    protected = LEAKY.replace("E1,2,Y,15,no", "E1,2,Y,15,yes").replace("E1,2,N,25,no", "E1,2,N,25,yes")
    source = tmp_path / "cells.csv"
    source.write_text(protected)
    out = tmp_path / "findings.csv"
    status = main(["audit", "--in", str(source), "--dims", "la,school,fsm", "--hierarchy", "school:la",
                   "--out", str(out)])  # fmt: skip
    assert status == 0
    assert pd.read_csv(out).empty
    assert "0 findings" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("edit", "args", "message"),
    [
        (
            ("E1,1,Y,3,true", "E1,1,Y,three,true"),
            [],
            "cells.csv line 3: n is 'three', not a whole number of pupils ≥ 0",
        ),
        (("E1,1,N,27,true", "E1,1,N,27,maybe"), [], "cells.csv line 4: hidden is 'maybe', not true or false"),
        (("E1,2,*,40,no", ",2,*,40,no"), [], "cells.csv line 5: la is empty (write * for all levels)"),
        (
            ("E1,*,*,70,false", "E1,*,*,60,false"),
            [],
            "cells.csv line 8 (la=E1, school=*, fsm=*) has n=60, but the cells it is the total of add up to 70",
        ),
        (
            ("", ""),
            ["--dims", "la,school,gender"],
            "cells.csv has no column gender (its columns: la, school, fsm, n, hidden)",
        ),
        (("", ""), ["--hierarchy", "school"], "--hierarchy 'school': write CHILD:PARENT, e.g. school:la"),
        (("", ""), ["--min-n", "5"], "min_n must be at least 10, not 5"),
    ],
)
def test_cli_audit_errors_name_the_line_and_field(tmp_path, capsys, edit, args, message):
    source = tmp_path / "cells.csv"
    source.write_text(LEAKY.replace(*edit) if edit[0] else LEAKY)
    argv = ["audit", "--in", str(source), "--dims", "la,school,fsm", "--hierarchy", "school:la"]
    for flag, value in zip(args[::2], args[1::2], strict=True):
        if flag in argv:
            argv[argv.index(flag) + 1] = value
        else:
            argv += [flag, value]
    assert main(argv) == 2
    assert capsys.readouterr().err.strip() == f"error: {message}"
