"""`python -m analysis`: each command on a small export, and one clear error line for every mistake."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import questionnaires
from analysis.__main__ import main

ROOT = Path(__file__).resolve().parents[2]
PUPIL_COLUMNS = [
    "response_id", "wave_id", "school_urn", "questionnaire", "status", "language",
    "year_group", "gender", "ethnicity_major", "ethnicity_minor", "sen", "fsm", "eal", "looked_after",
]  # fmt: skip
SCHOOLS = {100001: 60, 100002: 50, 100003: 8, 100004: 30}
SMALL = 100003  # too small to show; then, in a table of schools, 100004 is hidden so it cannot be derived
QID = "national-secondary"


@pytest.fixture(scope="module")
def secondary():
    return questionnaires.load(QID)


def make_export(questionnaire, seed: int = 3) -> pd.DataFrame:
    """A response export: answers driven by a pupil trait, so scales hang together."""
    rng = np.random.default_rng(seed)
    urns = np.repeat(list(SCHOOLS), list(SCHOOLS.values()))
    n = len(urns)
    school_effect = {100001: 0.4, 100002: -0.4, 100003: 0.0, 100004: 0.1}
    trait = np.array([school_effect[u] for u in urns]) + rng.normal(0, 0.8, n)
    frame = pd.DataFrame(
        {
            "response_id": np.arange(1, n + 1),
            "wave_id": 1,
            "school_urn": urns,
            "questionnaire": QID,
            "status": np.where(np.arange(n) % 10 == 9, "in_progress", "complete"),
            "language": "en",
            "year_group": rng.integers(7, 12, n),
            "gender": rng.choice(["F", "M", ""], n, p=[0.48, 0.48, 0.04]),
            "ethnicity_major": rng.choice(["WHIT", "ASIA", "BLAC"], n),
            "ethnicity_minor": "",
            "sen": rng.choice(["N", "K", "E"], n, p=[0.75, 0.2, 0.05]),
            "fsm": np.where(np.arange(n) % 3 == 0, "Y", "N"),
            "eal": "N",
            "looked_after": "N",
        }
    )
    reverse = {item for scale in questionnaire.scales for item in scale.reverse}
    for question in questionnaire.questions:
        if question.type == "text":
            continue
        if question.type == "multiple":
            frame[question.id] = rng.choice(["1", "2;5", ""], n)
            continue
        low, high = (min(question.values), max(question.values)) if question.values else (0, 10)
        middle = (low + high) / 2
        sign = -1 if question.id in reverse else 1
        values = np.clip(np.rint(middle + sign * trait + rng.normal(0, 0.7, n)), low, high)
        values[rng.random(n) < 0.05] = np.nan  # skipped
        frame[question.id] = values
    return frame


@pytest.fixture
def export(tmp_path, secondary):
    path = tmp_path / "responses.csv"
    make_export(secondary).to_csv(path, index=False)
    return path


def run(*args):
    return main([str(a) for a in args])


def analyse(command, export, out, *extra):
    return run(command, "--questionnaire", QID, "--in", export, "--out", out, *extra)


# ------------------------------------------------------------------------------------------------
# Commands
# ------------------------------------------------------------------------------------------------


def test_score_writes_every_scale_for_complete_responses(export, tmp_path, capsys):
    pytest.importorskip("analysis.scores")
    out = tmp_path / "scored.csv"
    assert analyse("score", export, out) == 0
    scored = pd.read_csv(out)
    complete = sum(SCHOOLS.values()) - sum(SCHOOLS.values()) // 10
    assert len(scored) == complete
    assert {"belonging", "belonging_n_items", "belonging_positive", "wellbeing"} <= set(scored.columns)
    assert (scored["status"] == "complete").all()
    assert scored["belonging"].between(1, 5).all()
    assert capsys.readouterr().out.strip() == f"wrote {complete} rows to {out}"


def test_include_partial_keeps_in_progress_responses(export, tmp_path):
    pytest.importorskip("analysis.scores")
    out = tmp_path / "scored.csv"
    assert analyse("score", export, out, "--include-partial") == 0
    assert len(pd.read_csv(out)) == sum(SCHOOLS.values())


def test_rows_of_another_questionnaire_are_left_out(secondary, tmp_path):
    pytest.importorskip("analysis.scores")
    frame = make_export(secondary)
    frame.loc[:9, "questionnaire"] = "national-primary"
    frame.loc[:9, "p_extra"] = 3
    path = tmp_path / "mixed.csv"
    frame.to_csv(path, index=False)
    out = tmp_path / "scored.csv"
    assert analyse("score", path, out) == 0
    scored = pd.read_csv(out)
    assert (scored["questionnaire"] == QID).all()
    assert 1 not in scored["response_id"].tolist()


def test_aggregate_by_school_and_fsm(export, tmp_path, capsys):
    pytest.importorskip("analysis.aggregate")
    out = tmp_path / "by_fsm.csv"
    assert analyse("aggregate", export, out, "--measure", "belonging", "--by", "school_urn, fsm") == 0
    table = pd.read_csv(out)
    assert list(table.columns[:3]) == ["school_urn", "fsm", "n"]
    assert {"mean", "ci_low", "ci_high", "pct_positive", "suppressed"} <= set(table.columns)
    small = table[table["school_urn"] == SMALL]
    assert small["suppressed"].all() and small["mean"].isna().all()
    shown = table[~table["suppressed"]]
    assert (shown["n"] >= 10).all()
    hidden = int(table["suppressed"].sum())
    assert f"({hidden} suppressed)" in capsys.readouterr().out


def test_aggregate_groups_by_school_by_default_and_writes_parquet(export, tmp_path):
    pytest.importorskip("analysis.aggregate")
    out = tmp_path / "schools.parquet"
    assert analyse("aggregate", export, out, "--measure", "wellbeing", "--min-n", "12") == 0
    table = pd.read_parquet(out)
    assert sorted(table["school_urn"].astype(int)) == sorted(SCHOOLS)
    mean = table.set_index(table["school_urn"].astype(int))["mean"]
    assert mean[100001] > mean[100002]  # the simulated school effects
    assert np.isnan(mean[SMALL])


def test_out_dash_writes_csv_to_standard_output(export, capsys):
    pytest.importorskip("analysis.aggregate")
    assert analyse("aggregate", export, "-", "--measure", "belonging") == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("school_urn,n,mean,")
    assert len(lines) == 1 + len(SCHOOLS)


def test_gaps_per_school(export, tmp_path):
    pytest.importorskip("analysis.gaps")
    out = tmp_path / "gaps.csv"
    assert analyse("gaps", export, out, "--measure", "belonging", "--group", "fsm") == 0
    table = pd.read_csv(out)
    assert {"school_urn", "fsm", "gap", "comparison", "national_gap"} <= set(table.columns)
    assert set(table["fsm"]) == {"Y", "N"}


def test_gaps_nationally_against_a_numeric_reference_level(export, tmp_path):
    pytest.importorskip("analysis.gaps")
    out = tmp_path / "gaps.csv"
    args = ["--measure", "belonging", "--group", "year_group", "--reference", "7", "--national"]
    assert analyse("gaps", export, out, *args) == 0
    table = pd.read_csv(out)
    assert "school_urn" not in table.columns
    assert 7 not in table["year_group"].tolist()  # the reference has no row of its own
    assert (table["comparison"] == 7).all()


def test_reliability_by_year_group_and_per_item(export, tmp_path):
    pytest.importorskip("analysis.reliability")
    out = tmp_path / "alpha.csv"
    assert analyse("reliability", export, out, "--measure", "belonging") == 0
    summary = pd.read_csv(out)
    assert len(summary) == 1 and summary.loc[0, "alpha"] > 0.7
    assert analyse("reliability", export, out, "--measure", "belonging", "--by", "fsm") == 0
    assert pd.read_csv(out)["fsm"].tolist() == ["N", "Y"]
    assert analyse("reliability", export, out, "--measure", "belonging", "--items") == 0
    items = pd.read_csv(out)
    assert items["item"].tolist() == list(questionnaires.load(QID).scales["belonging"].items)


@pytest.mark.parametrize("statistic", ["mean", "pct_positive"])
def test_funnel_from_responses(export, tmp_path, statistic):
    pytest.importorskip("analysis.funnel")
    out = tmp_path / "funnel.csv"
    args = ["--measure", "belonging", "--statistic", statistic, "--overdispersion", "none"]
    assert analyse("funnel", export, out, *args) == 0
    table = pd.read_csv(out)
    assert SMALL not in table["school_urn"].tolist()  # suppressed: not compared
    assert {100001, 100002} <= set(table["school_urn"])
    assert {"target", "lower998", "upper998", "flag"} <= set(table.columns)
    assert set(table["flag"]) <= {"above", "below", "within"}


def test_funnel_with_a_target(export, tmp_path):
    pytest.importorskip("analysis.funnel")
    out = tmp_path / "funnel.csv"
    assert analyse("funnel", export, out, "--measure", "belonging", "--target", "3.5") == 0
    assert (pd.read_csv(out)["target"] == 3.5).all()


def test_disproportionality(export, tmp_path):
    pytest.importorskip("analysis.disproportionality")
    out = tmp_path / "rr.csv"
    assert (
        analyse("disproportionality", export, out, "--outcome", "belonging_positive", "--group", "sen") == 0
    )
    table = pd.read_csv(out)
    assert "sen" in table.columns
    assert len(table) >= 1


def test_disproportionality_against_a_reference_by_school(export, tmp_path):
    pytest.importorskip("analysis.disproportionality")
    out = tmp_path / "rr.csv"
    args = ["--outcome", "belonging_positive", "--group", "fsm", "--reference", "N", "--by", "school_urn"]
    assert analyse("disproportionality", export, out, *args) == 0
    assert "school_urn" in pd.read_csv(out).columns


# ------------------------------------------------------------------------------------------------
# Errors: one line, "error: ...", exit status 2, never a traceback
# ------------------------------------------------------------------------------------------------


def check_error(capsys, status, expected):
    captured = capsys.readouterr()
    assert status == 2
    lines = captured.err.splitlines()
    assert len(lines) == 1, captured.err
    assert lines[0].startswith("error: ")
    assert expected in lines[0]
    assert "Traceback" not in captured.err


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (
            ["frobnicate"],
            "unknown command 'frobnicate': use one of score, aggregate, gaps, reliability, funnel, disproportionality",
        ),
        ([], "no command given: use one of score, aggregate"),
        (
            ["aggregate", "--measure", "belonging"],
            "the following arguments are required: --questionnaire, --in, --out",
        ),
        (
            ["aggregate", "--questionnaire", QID, "--in", "x.csv", "--out", "y.csv"],
            "the following arguments are required: --measure",
        ),
        (
            ["gaps", "--questionnaire", QID, "--in", "x.csv", "--out", "y.csv", "--measure", "belonging"],
            "required: --group",
        ),
        (["aggregate", "--min-n", "ten"], "argument --min-n: invalid int value: 'ten'"),
        (
            ["score", "--questionnaire", QID, "--in", "x.csv", "--out", "y.csv", "--bogus"],
            "unrecognized arguments: --bogus",
        ),
        (["funnel", "--overdispersion", "wild"], "argument --overdispersion: invalid choice: 'wild'"),
    ],
)
def test_command_line_mistakes(capsys, args, expected):
    check_error(capsys, run(*args), expected)


@pytest.mark.parametrize(
    ("command", "extra", "expected"),
    [
        (
            "aggregate",
            ["--measure", "belong"],
            "national-secondary has no scale 'belong' (its scales: belonging, trusted_adult",
        ),
        (
            "aggregate",
            ["--measure", "belonging", "--by", "school_urn,postcode"],
            "responses.csv has no column 'postcode'",
        ),
        ("gaps", ["--measure", "belonging", "--group", "religion"], "responses.csv has no column 'religion'"),
        ("aggregate", ["--measure", "belonging", "--min-n", "5"], "min_n must be at least 10, not 5"),
        ("reliability", ["--measure", "belonging", "--by", "nope"], "responses.csv has no column 'nope'"),
        ("aggregate", ["--measure", "belonging", "--level", "95"], "level must be between 0 and 1"),
    ],
)
def test_analysis_mistakes(export, tmp_path, capsys, command, extra, expected):
    pytest.importorskip(f"analysis.{command}" if command != "aggregate" else "analysis.aggregate")
    pytest.importorskip("analysis.scores")
    check_error(capsys, analyse(command, export, tmp_path / "out.csv", *extra), expected)
    assert not (tmp_path / "out.csv").exists()


def test_unknown_questionnaire(export, tmp_path, capsys):
    status = run("score", "--questionnaire", "national-tertiary", "--in", export, "--out", tmp_path / "o.csv")
    check_error(
        capsys,
        status,
        "no questionnaire called 'national-tertiary' (available: national-primary, national-secondary",
    )


def test_questionnaire_not_in_the_file(export, tmp_path, capsys):
    status = run("score", "--questionnaire", "national-primary", "--in", export, "--out", tmp_path / "o.csv")
    check_error(
        capsys, status, "responses.csv has no responses to 'national-primary' (it has: national-secondary)"
    )


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        (
            "ragged.csv",
            "response_id,school_urn,questionnaire,status\n1,1,q,complete\n2,1,q,complete,x\n",
            "ragged.csv: malformed CSV: expected 4 fields in line 3, saw 5",
        ),
        ("empty.csv", "", "empty.csv: the file is empty"),
        ("other.csv", "a,b\n1,2\n", "other.csv: not a response export: no column response_id"),
        ("fake.parquet", "not parquet", "fake.parquet: not a readable Parquet file"),
        ("responses.xlsx", "x", "responses.xlsx: unknown file type (.xlsx): use .csv or .parquet"),
        (
            "words.csv",
            f"response_id,school_urn,questionnaire,status,belong_part\n1,1,{QID},complete,Agree\n",
            "words.csv: line 2: column 'belong_part' holds 'Agree', not a number",
        ),
    ],
)
def test_malformed_input(tmp_path, capsys, name, content, expected):
    path = tmp_path / name
    path.write_text(content)
    check_error(capsys, analyse("score", path, tmp_path / "out.csv"), expected)


def test_missing_input_file(tmp_path, capsys):
    check_error(
        capsys, analyse("score", tmp_path / "nowhere.csv", tmp_path / "o.csv"), "nowhere.csv: no such file"
    )


def test_unknown_output_type_fails_before_reading(tmp_path, capsys):
    check_error(
        capsys, analyse("score", tmp_path / "nowhere.csv", tmp_path / "o.xlsx"), "o.xlsx: unknown file type"
    )


def test_output_folder_missing(export, tmp_path, capsys):
    pytest.importorskip("analysis.scores")
    check_error(capsys, analyse("score", export, tmp_path / "no" / "o.csv"), "there is no folder")


def test_a_command_whose_module_is_missing(export, tmp_path, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "analysis.disproportionality", None)  # import raises ModuleNotFoundError
    args = ["--outcome", "x", "--group", "fsm"]
    check_error(capsys, analyse("disproportionality", export, tmp_path / "o.csv", *args), "is not available")


def test_help_exits_cleanly(capsys):
    assert run("--help") == 0
    assert "aggregate" in capsys.readouterr().out
    assert run("gaps", "--help") == 0
    assert "--reference" in capsys.readouterr().out


def test_python_dash_m(tmp_path):
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "analysis",
            "score",
            "--questionnaire",
            QID,
            "--in",
            str(tmp_path / "x.csv"),
            "--out",
            "-",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [f"error: {tmp_path / 'x.csv'}: no such file"]
