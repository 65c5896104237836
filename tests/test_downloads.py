"""Downloads hold exactly the cells on screen: XLSX numbers are the rounded figures shown, never the
full-precision values behind them (a percentage times its pupils would give a count back)."""

from __future__ import annotations

import csv
import io

from openpyxl import load_workbook

from survey.results.table import HIDDEN, Column, Table, to_csv, to_xlsx

TABLE = Table(
    id="scales",
    title="Scores",
    columns=[
        Column("scale", "Scale"),
        Column("n", "Pupils", "count"),
        Column("mean", "Score", "number"),
        Column("pct", "Positive", "percent"),
        Column("gap", "Gap", "signed"),
        Column("rr", "Risk ratio", "ratio"),
    ],
    rows=[
        {"scale": "Belonging", "n": 1234, "mean": 3.749123831775701, "pct": 53.50467289719627,
         "gap": -0.1234567, "rr": 1.987654},
        {"scale": "Safety", "n": 7, "mean": 4.1, "pct": 40.0, "gap": 0.2, "rr": 1.0, "_suppressed": True},
    ],
)  # fmt: skip


def test_xlsx_numbers_are_the_figures_shown_on_screen():
    sheet = load_workbook(io.BytesIO(to_xlsx(TABLE))).active
    rows = [[cell.value for cell in row] for row in sheet.iter_rows(min_row=2, max_row=3)]
    assert rows[0] == ["Belonging", 1234, 3.75, 0.54, -0.12, 1.99]
    assert rows[1] == ["Safety", HIDDEN, HIDDEN, HIDDEN, HIDDEN, HIDDEN]
    assert sheet.cell(2, 4).number_format == "0%"


def test_csv_and_xlsx_hold_the_same_cells_as_the_page():
    shown = TABLE.text_rows()
    written = list(csv.reader(io.StringIO(to_csv(TABLE).decode("utf-8-sig"))))[1:]
    assert written == shown
    assert shown[0] == ["Belonging", "1,234", "3.75", "54%", "-0.12", "1.99"]


def test_a_gap_that_rounds_to_zero_is_not_shown_as_minus_zero():
    table = Table(id="gaps", title="Gaps", columns=[Column("gap", "Gap", "signed")], rows=[{"gap": -0.001}])
    assert table.text_rows() == [["+0.00"]]
    sheet = load_workbook(io.BytesIO(to_xlsx(table))).active
    assert sheet.cell(2, 1).value == 0
