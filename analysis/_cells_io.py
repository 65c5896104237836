"""Read a cells table (CSV or Parquet) for ``python -m analysis audit``, with errors naming the line.

The file has one row per published count: a column per dimension (``*`` for "all levels"), ``n``
(the true count) and a hidden flag column (``true``/``false``, ``yes``/``no`` or ``1``/``0``).
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from ._linked import TOTAL

_TRUE = {"true", "yes", "1", "y", "t"}
_FALSE = {"false", "no", "0", "n", "f", ""}


def _line(path: Path, row: int) -> str:
    # a CSV's header is line 1, so frame row r is line r + 2; a Parquet file has rows, not lines
    return (
        f"{path.name} line {row + 2}" if path.suffix.lower() != ".parquet" else f"{path.name} row {row + 1}"
    )


def read_cells(source: str, dims: list[str], hidden: str) -> pd.DataFrame:
    """The cells with ``n`` as integers and `hidden` as booleans; `ValueError` names line and field."""
    from .io import _kind

    path = Path(source)
    kind = _kind(path)
    if not path.exists():
        raise FileNotFoundError(f"{source}: no such file")
    try:
        if kind == "csv":
            frame = pd.read_csv(path, dtype=str, keep_default_na=False, skipinitialspace=True)
        else:
            frame = pd.read_parquet(path).astype(str)
    except (pd.errors.ParserError, UnicodeDecodeError, OSError, ValueError) as error:
        raise ValueError(f"{path.name}: cannot read it as {kind.upper()}: {error}") from None
    missing = [c for c in [*dims, "n", hidden] if c not in frame.columns]
    if missing:
        found = ", ".join(frame.columns[:12]) or "none"
        raise ValueError(f"{path.name} has no column {', '.join(missing)} (its columns: {found})")
    for d in dims:
        blank = (frame[d].str.strip() == "").to_numpy()
        if blank.any():
            row = int(np.flatnonzero(blank)[0])
            raise ValueError(f"{_line(path, row)}: {d} is empty (write {TOTAL} for all levels)")
        frame[d] = frame[d].str.strip()
    text = frame["n"].str.strip()
    n = pd.to_numeric(text, errors="coerce")
    bad = (n.isna() | (n < 0) | (n % 1 != 0)).to_numpy()
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise ValueError(f"{_line(path, row)}: n is {text.iloc[row]!r}, not a whole number of pupils ≥ 0")
    frame["n"] = n.astype(np.int64)
    flag = frame[hidden].str.strip().str.lower()
    unknown = (~flag.isin(_TRUE | _FALSE)).to_numpy()
    if unknown.any():
        row = int(np.flatnonzero(unknown)[0])
        raise ValueError(f"{_line(path, row)}: {hidden} is {frame[hidden].iloc[row]!r}, not true or false")
    frame[hidden] = flag.isin(_TRUE).to_numpy()
    return frame


def name_lines(message: str, source: str) -> str:
    """'cells row 4 (…)' from the analysis as '<file> line 6 (…)'."""
    path = Path(source)
    return re.sub(r"cells row (\d+)", lambda m: _line(path, int(m.group(1))), message)
