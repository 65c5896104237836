"""Tables as staff see them: one object rendered on the page, and exported as CSV and XLSX.

A view builds each `Table` from `analysis` output that is already suppressed; the page, the chart's
data table and the downloads all read the same cells, so an export can never show more than the
screen. A hidden cell shows `HIDDEN` ("hidden to protect pupils"), never the number: one label for
every hidden cell, whatever hid it (fewer than 10 pupils, or hidden so that a small group cannot be
worked out), because two labels would tell an attacker which hidden cells are the small ones.
"""

from __future__ import annotations

import csv
import io
import math
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import pandas as pd
from flask import Response, abort, request

from .policy import HIDDEN

_SAFE_ID = re.compile(r"[a-z][a-z0-9-]*")
# Spreadsheet programs run cells that start with these as formulas (CSV injection).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    # "text", "number" (1 decimal), "count", "percent" (0–100, 0 decimals), "ratio" (2 decimals)
    kind: str = "text"


@dataclass
class Table:
    id: str
    title: str
    columns: list[Column]
    rows: list[dict] = field(default_factory=list)
    caption: str | None = None
    note: str | None = None

    def __post_init__(self) -> None:
        if not _SAFE_ID.fullmatch(self.id):
            raise ValueError(f"table id {self.id!r} must be lower-case letters, digits and hyphens")

    def cell(self, row: dict, column: Column) -> str:
        """The text shown for one cell: formatted, or `HIDDEN` where it is hidden."""
        return format_value(row.get(column.key), column.kind, hidden=row.get("_suppressed", False))

    @staticmethod
    def hidden(reason) -> str | bool:
        """The `_suppressed` value of a row from `analysis`'s ``suppressed_reason``: `HIDDEN` for
        any reason (primary or complementary alike), False when shown."""
        if reason is None or (isinstance(reason, float) and math.isnan(reason)) or reason is False:
            return False
        return HIDDEN

    def text_rows(self) -> list[list[str]]:
        return [[self.cell(row, column) for column in self.columns] for row in self.rows]

    def is_numeric(self, column: Column) -> bool:
        return column.kind != "text"


class CellTable(Table):
    """A table in which single cells may be hidden: ``row["_hidden"] = {column key: words}``."""

    def cell(self, row: dict, column: Column) -> str:
        words = (row.get("_hidden") or {}).get(column.key)
        if words and column.kind != "text":
            return format_value(None, column.kind, hidden=words)
        return super().cell(row, column)


def format_value(value, kind: str, *, hidden: bool | str = False) -> str:
    """A cell's text; any truthy `hidden` shows `HIDDEN` (an item of an earlier release may still
    carry another label: it is shown as the one label too)."""
    if kind != "text" and hidden:
        return HIDDEN
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return ""
    if value is None:
        return ""
    if kind in ("number", "ratio", "signed"):
        # Rounded first, and + 0.0 turns -0.0 into 0.0: a tiny negative gap shows as +0.00, not -0.00.
        value = round(float(value), 2) + 0.0
    if kind == "number":
        return f"{float(value):.2f}"
    if kind == "count":
        return f"{int(value):,}"
    if kind == "percent":
        return f"{float(value):.0f}%"
    if kind == "ratio":
        return f"{float(value):.2f}"
    if kind == "signed":
        return f"{float(value):+.2f}"
    return str(value)


def _safe_cell(text: str) -> str:
    return "'" + text if text.startswith(_FORMULA_START) and not _is_number(text) else text


def _is_number(text: str) -> bool:
    try:
        float(text.replace(",", "").rstrip("%"))
    except ValueError:
        return False
    return True


def _shown_number(text: str) -> float | None:
    """The number a cell shows ("1,234", "54%", "+0.12", "3.75"), or None for words or a blank."""
    try:
        number = float(text.replace(",", "").rstrip("%"))
    except ValueError:
        return None
    return int(number) if number.is_integer() and "." not in text else number


def to_csv(table: Table) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([c.label for c in table.columns])
    for row in table.text_rows():
        writer.writerow([_safe_cell(cell) for cell in row])
    return out.getvalue().encode("utf-8-sig")  # Excel reads UTF-8 only with the byte-order mark


def to_xlsx(table: Table) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    sheet = book.active
    sheet.title = table.title[:31].translate(str.maketrans("[]:*?/\\", "       "))
    sheet.append([c.label for c in table.columns])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in table.rows:
        values = []
        for column in table.columns:
            text = table.cell(row, column)
            # Numbers stay numbers (so they sort and sum), but exactly as shown: the rounded figure
            # on screen, never the full-precision value behind it (percentage × pupils would give
            # counts back). Hidden cells stay words.
            shown = _shown_number(text) if column.kind != "text" else None
            if shown is not None:
                values.append(shown * 0.01 if column.kind == "percent" else shown)
            else:
                values.append(_safe_cell(text))
        sheet.append(values)
    for index, column in enumerate(table.columns, start=1):
        if column.kind == "percent":
            for (cell,) in sheet.iter_rows(min_row=2, min_col=index, max_col=index):
                cell.number_format = "0%"
        elif column.kind in ("number", "ratio", "signed"):
            for (cell,) in sheet.iter_rows(min_row=2, min_col=index, max_col=index):
                cell.number_format = "0.00"
    if table.note:
        sheet.append([])
        sheet.append([table.note])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


FORMATS: dict[str, tuple[Callable[[Table], bytes], str]] = {
    "csv": (to_csv, "text/csv; charset=utf-8"),
    "xlsx": (to_xlsx, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
}


def download(tables: Iterable[Table], table_id: str, file_format: str, filename_stem: str) -> Response:
    """The response for `…/tables/<table_id>.<format>`: 404 for an unknown table or format."""
    if file_format not in FORMATS:
        abort(404)
    table = next((t for t in tables if t.id == table_id), None)
    if table is None:
        abort(404)
    render, mimetype = FORMATS[file_format]
    stem = re.sub(r"[^A-Za-z0-9-]+", "-", f"{filename_stem}-{table.id}").strip("-").lower()
    return Response(
        render(table),
        mimetype=mimetype,
        headers={"Content-Disposition": f'attachment; filename="{stem}.{file_format}"'},
    )


def query_without(*names: str) -> dict:
    """The current query string as a dict, less some keys: for links that keep the page's filters."""
    return {k: v for k, v in request.args.items() if k not in names}
