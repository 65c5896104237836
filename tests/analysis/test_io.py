"""Reading the response export into compact dtypes, writing tables, and clear errors for bad files."""

from __future__ import annotations

import gzip

import numpy as np
import pandas as pd
import pytest

import questionnaires
from analysis import io
from analysis.io import REQUIRED_COLUMNS, complete, read_responses, write_table

HEADER = (
    "response_id,wave_id,school_urn,questionnaire,status,language,year_group,gender,ethnicity_major,"
    "ethnicity_minor,sen,fsm,eal,looked_after,belong_part,belong_alone,hard_things,days_missed"
)
ROWS = [
    "1,3,100001,national-secondary,complete,en,7,F,WHIT,WBRI,N,Y,N,N,4,2,2;5,3",
    "2,3,100001,national-secondary,in_progress,cy,8,M,ASIA,APKN,K,N,Y,N,5,,1,",
    "3,3,100002,national-secondary,refused,en,9,,,,,,,,,,,",
    "4,3,100002,national-secondary,complete,en,,O,NA,,E,N,N,Y,1,5,,120",
]


@pytest.fixture(scope="module")
def secondary():
    return questionnaires.load("national-secondary")


@pytest.fixture
def export(tmp_path):
    path = tmp_path / "responses.csv"
    path.write_text("\n".join([HEADER, *ROWS]) + "\n", encoding="utf-8")
    return path


def write(tmp_path, name, text, encoding="utf-8"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding) if isinstance(text, str) else text)
    return path


# ------------------------------------------------------------------------------------------------
# Reading
# ------------------------------------------------------------------------------------------------


def test_read_csv_gives_compact_dtypes(export):
    frame = read_responses(export)
    dtypes = frame.dtypes.astype(str).to_dict()
    assert dtypes["response_id"] == "int64"
    assert dtypes["wave_id"] == "Int32"
    assert dtypes["year_group"] == "Int8"
    for column in ("school_urn", "questionnaire", "status", "language", "gender", "sen", "fsm", "eal"):
        assert dtypes[column] == "category", column
    assert dtypes["belong_part"] == "Int8"
    assert dtypes["days_missed"] == "Int8"
    assert dtypes["hard_things"] == "category"  # a multiple question: "2;5"
    assert frame["hard_things"].tolist()[:2] == ["2;5", "1"]
    assert list(frame["school_urn"].cat.categories) == [100001, 100002]
    assert frame["school_urn"].cat.categories.dtype == np.int64


def test_read_keeps_values_and_blanks(export):
    frame = read_responses(export)
    assert frame["response_id"].tolist() == [1, 2, 3, 4]
    assert frame["belong_alone"].isna().tolist() == [False, True, True, False]
    assert frame["gender"].isna().tolist() == [False, False, True, False]
    assert frame["year_group"].isna().tolist() == [False, False, False, True]
    # Only a blank cell is missing: "NA" is a value here, not pandas' default missing marker.
    assert frame.loc[3, "ethnicity_major"] == "NA"


def test_read_with_the_questionnaire_uses_its_question_types(tmp_path, secondary):
    # One pupil chose a single option of a multiple question: still a category, not a number.
    path = write(
        tmp_path,
        "r.csv",
        "response_id,school_urn,questionnaire,status,hidden_needs,belong_part\n1,1,q,complete,3,4\n",
    )
    frame = read_responses(path, secondary)
    assert str(frame["hidden_needs"].dtype) == "category"
    assert frame["hidden_needs"].tolist() == ["3"]
    assert str(frame["belong_part"].dtype) == "Int8"


def test_read_numbers_that_need_more_room(tmp_path):
    path = write(
        tmp_path,
        "r.csv",
        "response_id,school_urn,questionnaire,status,big,half\n1,1,q,complete,300,1.5\n2,1,q,complete,,2\n",
    )
    frame = read_responses(path)
    assert str(frame["big"].dtype) == "Int16"
    assert str(frame["half"].dtype) == "float32"
    assert frame["half"].tolist() == [1.5, 2.0]


def test_read_text_urns_stay_text(tmp_path):
    path = write(
        tmp_path,
        "r.csv",
        "response_id,school_urn,questionnaire,status\n1,W123,q,complete\n2,100001,q,complete\n",
    )
    frame = read_responses(path)
    assert frame["school_urn"].tolist() == ["W123", "100001"]


def test_read_in_chunks_gives_one_consistent_frame(tmp_path, monkeypatch):
    monkeypatch.setattr(io, "_CHUNK_ROWS", 2)
    lines = [
        "response_id,school_urn,questionnaire,status,hard_things,belong_part,sen",
        "1,100001,q,complete,1,4,N",
        "2,100001,q,complete,3,2,N",
        "3,100002,q,complete,2;5,,K",
        "4,100003,q,complete,,300,",
        "5,100003,q,complete,4,1,E",
    ]
    frame = read_responses(write(tmp_path, "r.csv", "\n".join(lines) + "\n"))
    assert len(frame) == 5
    assert frame.index.tolist() == [0, 1, 2, 3, 4]
    assert str(frame["hard_things"].dtype) == "category"
    assert frame["hard_things"].tolist() == ["1", "3", "2;5", np.nan, "4"]
    assert str(frame["belong_part"].dtype) == "Int16"
    assert sorted(frame["sen"].cat.categories) == ["E", "K", "N"]
    assert list(frame["school_urn"].cat.categories) == [100001, 100002, 100003]


def test_read_accepts_a_byte_order_mark_and_gzip(tmp_path, export):
    with_bom = write(tmp_path, "bom.csv", "\ufeff" + export.read_text())
    assert read_responses(with_bom).columns[0] == "response_id"
    zipped = tmp_path / "responses.csv.gz"
    zipped.write_bytes(gzip.compress(export.read_bytes()))
    pd.testing.assert_frame_equal(read_responses(zipped), read_responses(export))


def test_parquet_round_trip_keeps_values_and_dtypes(tmp_path, export):
    frame = read_responses(export)
    written = write_table(frame, tmp_path / "responses.parquet")
    pd.testing.assert_frame_equal(read_responses(written), frame)


def test_parquet_written_elsewhere_is_compacted(tmp_path):
    plain = pd.DataFrame(
        {
            "response_id": [1, 2],
            "school_urn": [100001, 100002],
            "questionnaire": ["q", "q"],
            "status": ["complete", "complete"],
            "fsm": ["Y", None],
            "belong_part": [4.0, np.nan],
        }
    )
    plain.to_parquet(tmp_path / "plain.parquet")
    frame = read_responses(tmp_path / "plain.parquet")
    assert str(frame["fsm"].dtype) == "category"
    assert str(frame["belong_part"].dtype) == "Int8"
    assert str(frame["school_urn"].dtype) == "category"


def test_read_output_scores(export, secondary):
    scores = pytest.importorskip("analysis.scores")
    frame = read_responses(export, secondary)
    for item in {i for scale in secondary.scales for i in scale.items} - set(frame.columns):
        frame[item] = pd.array([pd.NA] * len(frame), dtype="Int8")
    scored = scores.score(frame, secondary)
    assert scored["belonging_n_items"].tolist() == [2, 1, 0, 2]


# ------------------------------------------------------------------------------------------------
# Errors
# ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("responses.xlsx", "x", r"responses.xlsx: unknown file type \(.xlsx\): use .csv or .parquet"),
        ("responses", "x", r"responses: unknown file type \(no extension\)"),
        ("empty.csv", "", "empty.csv: the file is empty"),
        (
            "latin.csv",
            "response_id,school_urn,questionnaire,status,text\n1,1,q,complete,caf\xe9\n".encode("latin-1"),
            "latin.csv: not UTF-8 text",
        ),
        (
            "ragged.csv",
            "response_id,school_urn,questionnaire,status\n1,1,q,complete\n2,1,q,complete,extra\n",
            "ragged.csv: malformed CSV: expected 4 fields in line 3, saw 5",
        ),
        (
            "quote.csv",
            'response_id,school_urn,questionnaire,status\n1,1,"q,complete\n',
            "quote.csv: malformed CSV: EOF inside string",
        ),
        (
            "other.csv",
            "name,score\nx,1\n",
            "other.csv: not a response export: no column response_id, school_urn, questionnaire, status",
        ),
        (
            "some.csv",
            "response_id,school_urn\n1,2\n",
            "some.csv: not a response export: no column questionnaire, status",
        ),
        (
            "twice.csv",
            "response_id,school_urn,questionnaire,status,fsm,fsm\n",
            "twice.csv: column fsm appears more than once",
        ),
        ("fake.parquet", "response_id,school_urn\n", "fake.parquet: not a readable Parquet file"),
        (
            "blank_id.csv",
            "response_id,school_urn,questionnaire,status\n1,1,q,complete\n,1,q,complete\n",
            "blank_id.csv: line 3: column 'response_id' is blank",
        ),
        (
            "bad_id.csv",
            "response_id,school_urn,questionnaire,status\n1,1,q,complete\nx7,1,q,complete\n",
            "bad_id.csv: line 3: column 'response_id' holds 'x7', not a whole number",
        ),
        (
            "bad_year.csv",
            "response_id,school_urn,questionnaire,status,year_group\n1,1,q,complete,7.5\n",
            "bad_year.csv: line 2: column 'year_group' holds 7.5, not a whole number",
        ),
    ],
)
def test_read_explains_a_bad_file(tmp_path, name, content, message):
    path = write(tmp_path, name, content)
    with pytest.raises(ValueError, match=message):
        read_responses(path)


def test_read_names_the_line_of_a_non_number_in_a_single_question(tmp_path, secondary):
    path = write(
        tmp_path,
        "r.csv",
        "response_id,school_urn,questionnaire,status,belong_part\n1,1,q,complete,4\n2,1,q,complete,Agree\n",
    )
    with pytest.raises(
        ValueError,
        match=r"r.csv: line 3: column 'belong_part' holds 'Agree', not a number \(it is a single question\)",
    ):
        read_responses(path, secondary)


def test_read_a_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"nowhere\.csv: no such file"):
        read_responses(tmp_path / "nowhere.csv")


def test_read_a_folder(tmp_path):
    (tmp_path / "folder.csv").mkdir()
    with pytest.raises(ValueError, match="is a folder"):
        read_responses(tmp_path / "folder.csv")


def test_required_columns_are_the_documented_ones():
    assert REQUIRED_COLUMNS == ("response_id", "school_urn", "questionnaire", "status")


# ------------------------------------------------------------------------------------------------
# Writing
# ------------------------------------------------------------------------------------------------


def test_write_csv_writes_blanks_and_no_row_numbers(tmp_path):
    table = pd.DataFrame(
        {"school_urn": [100001, 100002], "mean": [3.5, np.nan], "fsm": pd.Categorical(["Y", None])}
    )
    path = write_table(table, tmp_path / "out.csv")
    assert path.read_text() == "school_urn,mean,fsm\n100001,3.5,Y\n100002,,\n"


def test_write_keeps_a_named_index_as_columns(tmp_path):
    table = pd.DataFrame({"school_urn": [1, 1, 2], "n": [10, 20, 30]}).groupby("school_urn").sum()
    assert write_table(table, tmp_path / "out.csv").read_text() == "school_urn,n\n1,30\n2,30\n"


def test_write_parquet(tmp_path):
    table = pd.DataFrame({"school_urn": [100001], "mean": np.array([3.25], dtype="float32")})
    path = write_table(table, tmp_path / "out.parquet")
    pd.testing.assert_frame_equal(pd.read_parquet(path), table)


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("out.json", r"out.json: unknown file type \(.json\)"),
        ("missing/out.csv", "cannot write .*out.csv: there is no folder"),
    ],
)
def test_write_explains_what_it_cannot_do(tmp_path, name, message):
    with pytest.raises(ValueError, match=message):
        write_table(pd.DataFrame({"a": [1]}), tmp_path / name)


def test_write_needs_a_frame(tmp_path):
    with pytest.raises(TypeError, match="must be a pandas DataFrame"):
        write_table([1, 2], tmp_path / "out.csv")


# ------------------------------------------------------------------------------------------------
# complete
# ------------------------------------------------------------------------------------------------


def test_complete_keeps_complete_responses(export):
    frame = read_responses(export)
    kept = complete(frame)
    assert kept["response_id"].tolist() == [1, 4]
    assert kept.index.tolist() == [0, 3]


def test_complete_drops_a_missing_status():
    frame = pd.DataFrame({"status": ["complete", None, np.nan, "refused"]})
    assert complete(frame).index.tolist() == [0]


def test_complete_needs_a_status_column():
    with pytest.raises(ValueError, match="the responses has no column 'status'"):
        complete(pd.DataFrame({"x": [1]}))
