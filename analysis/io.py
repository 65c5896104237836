"""Read the response export (CSV or Parquet) into compact pandas dtypes, and write result tables.

The export format is described in ``docs/data-format.md``: one row per response, the pupil columns
``response_id, wave_id, school_urn, questionnaire, status, language, year_group, gender,
ethnicity_major, ethnicity_minor, sen, fsm, eal, looked_after``, then one column per question.
A national export has millions of rows, so `read_responses` reads a CSV in chunks and stores
answers in the smallest dtype that holds them:

=====================  ==========================================================================
column                 dtype
=====================  ==========================================================================
``response_id``        ``int64``
``wave_id``            ``Int32`` (nullable)
``year_group``         ``Int8`` (nullable)
``school_urn``         ``category`` (integer categories when every URN is a whole number)
other pupil columns    ``category`` (blank is missing)
single, number         ``Int8`` or ``Int16`` (nullable) for whole numbers, else ``float32``
multiple               ``category`` of the ``;``-joined values, e.g. ``"2;5"``
=====================  ==========================================================================

Errors are `ValueError` (or `FileNotFoundError`) with one clear message naming the file and, for a
CSV, the line when it is known.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd

from questionnaires import Questionnaire

from ._checks import require_columns, require_frame

__all__ = ["PUPIL_COLUMNS", "REQUIRED_COLUMNS", "complete", "from_frame", "read_responses", "write_table"]

REQUIRED_COLUMNS = ("response_id", "school_urn", "questionnaire", "status")
PUPIL_COLUMNS = (
    "response_id", "wave_id", "school_urn", "questionnaire", "status", "language",
    "year_group", "gender", "ethnicity_major", "ethnicity_minor", "sen", "fsm", "eal", "looked_after",
)  # fmt: skip
_CATEGORY_COLUMNS = (
    "questionnaire", "status", "language", "gender", "ethnicity_major", "ethnicity_minor",
    "sen", "fsm", "eal", "looked_after",
)  # fmt: skip
_INTEGER_COLUMNS = {"response_id": "int64", "wave_id": "Int32", "year_group": "Int8"}
_COMPRESSION = (".gz", ".bz2", ".zip", ".xz", ".zst")
_CHUNK_ROWS = 250_000


def _kind(path: Path) -> str:
    suffixes = [s.lower() for s in path.suffixes]
    if suffixes and suffixes[-1] in _COMPRESSION:
        suffixes = suffixes[:-1]
    if suffixes and suffixes[-1] == ".csv":
        return "csv"
    if path.suffix.lower() in (".parquet", ".pq"):
        return "parquet"
    shown = "".join(path.suffixes[-2:]) or "no extension"
    raise ValueError(f"{path.name}: unknown file type ({shown}): use .csv or .parquet")


def _describe(error: BaseException) -> str:
    text = " ".join(str(error).split())
    return text or type(error).__name__


def _line_of(error: BaseException) -> str:
    """'line 12: ...' from a pandas parser message, which already names the line when it knows it."""
    text = _describe(error)
    for prefix in ("Error tokenizing data. C error: ", "C error: "):
        if text.startswith(prefix):
            text = text[len(prefix) :]
    if len(text) > 1 and text[0].isupper() and text[1].islower():
        text = text[0].lower() + text[1:]
    return text


def _show(value: object) -> str:
    """A cell for a message: 7.5 and 'x7', not np.float64(7.5)."""
    if isinstance(value, np.generic):
        value = value.item()
    return repr(value)


# ------------------------------------------------------------------------------------------------
# Reading
# ------------------------------------------------------------------------------------------------


def read_responses(path: str | os.PathLike[str], questionnaire: Questionnaire | None = None) -> pd.DataFrame:
    """Read a response export written as CSV or Parquet, with compact dtypes.

    Parameters
    ----------
    path : str or path-like
        ``….csv`` (optionally compressed: ``.csv.gz``, ``.csv.zip``, …) or ``….parquet``.
    questionnaire : Questionnaire, optional
        When given, its question types decide the dtypes: ``multiple`` columns are always
        categories and ``single``/``number`` columns must hold numbers. Without it, a question
        column holding a ``;`` or any other text becomes a category.

    Returns
    -------
    pandas.DataFrame
        The export's rows and columns, with the dtypes in the module docstring.

    Raises
    ------
    FileNotFoundError
        There is no such file.
    ValueError
        Unknown extension; a file that is empty, not UTF-8, not CSV or Parquet, or malformed
        (naming the line when pandas reports it); a missing required column (``response_id``,
        ``school_urn``, ``questionnaire``, ``status``); a non-number in a numeric column.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from analysis.io import read_responses
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (folder / "responses.csv").write_text(
    ...     "response_id,school_urn,questionnaire,status,fsm,belong_part,hard_things\\n"
    ...     "1,100001,national-secondary,complete,Y,4,2;5\\n"
    ...     "2,100001,national-secondary,in_progress,,,\\n"
    ... )
    >>> responses = read_responses(folder / "responses.csv")
    >>> responses.dtypes.astype(str).to_dict()  # doctest: +NORMALIZE_WHITESPACE
    {'response_id': 'int64', 'school_urn': 'category', 'questionnaire': 'category',
     'status': 'category', 'fsm': 'category', 'belong_part': 'Int8', 'hard_things': 'category'}
    """
    path = Path(path)
    kind = _kind(path)
    if not path.exists():
        raise FileNotFoundError(f"{path}: no such file")
    if path.is_dir():
        raise ValueError(f"{path}: is a folder, not a {kind.upper()} file")
    if kind == "csv":
        return _read_csv(path, questionnaire)
    return _read_parquet(path, questionnaire)


def from_frame(
    frame: pd.DataFrame, questionnaire: Questionnaire | None = None, *, name: str = "responses"
) -> pd.DataFrame:
    """Give an in-memory table in the export format the same dtypes as `read_responses`.

    For callers that build the export's rows themselves (the web app reads its own database this
    way, without a file in between). ``name`` is used in error messages in place of a file name.

    Examples
    --------
    >>> import pandas as pd
    >>> from analysis.io import from_frame
    >>> rows = pd.DataFrame({"response_id": [1], "school_urn": ["100001"],
    ...                      "questionnaire": ["national-secondary"], "status": ["complete"],
    ...                      "belong_part": [4.0]})
    >>> from_frame(rows).dtypes.astype(str).to_dict()  # doctest: +NORMALIZE_WHITESPACE
    {'response_id': 'int64', 'school_urn': 'category', 'questionnaire': 'category',
     'status': 'category', 'belong_part': 'Int8'}
    """
    require_frame(frame, "frame")
    path = Path(name)
    _check_header(path, [str(c) for c in frame.columns])
    kinds = _question_kinds(questionnaire)
    frame = _numeric_chunk(path, frame.reset_index(drop=True).copy(), kinds, line_offset=None)
    return _compact(path, frame, kinds, where="row", offset=1)


def _question_kinds(questionnaire: Questionnaire | None) -> dict[str, str]:
    if questionnaire is None:
        return {}
    return {q.id: q.type for q in questionnaire.questions if q.type != "text"}


ENCODING = "utf-8-sig"  # Excel's UTF-8 starts with a byte order mark


def _read_csv(path: Path, questionnaire: Questionnaire | None) -> pd.DataFrame:
    try:
        # The header as written (read as a row, so that pandas does not rename a repeated name).
        header = pd.read_csv(
            path, header=None, nrows=1, dtype="str", encoding=ENCODING, keep_default_na=False, na_values=[""]
        )
    except pd.errors.EmptyDataError:
        raise ValueError(f"{path.name}: the file is empty (expected a header row and responses)") from None
    except UnicodeDecodeError as error:
        raise ValueError(f"{path.name}: not UTF-8 text ({error.reason} at byte {error.start})") from None
    except pd.errors.ParserError as error:
        raise ValueError(f"{path.name}: malformed CSV: {_line_of(error)}") from None
    except (ValueError, OSError) as error:
        raise ValueError(f"{path.name}: not a readable CSV file: {_line_of(error)}") from None
    columns = ["" if pd.isna(c) else str(c) for c in header.iloc[0].tolist()]
    _check_header(path, columns)
    kinds = _question_kinds(questionnaire)
    dtype: dict[str, str] = dict.fromkeys([c for c in _CATEGORY_COLUMNS if c in columns], "str")
    dtype["school_urn"] = "str"
    dtype.update({c: "str" for c in columns if kinds.get(c) == "multiple"})
    pieces: list[pd.DataFrame] = []
    try:
        with pd.read_csv(
            path, dtype=dtype, chunksize=_CHUNK_ROWS, encoding=ENCODING, keep_default_na=False, na_values=[""]
        ) as reader:
            for chunk in reader:
                pieces.append(_numeric_chunk(path, chunk, kinds, line_offset=2))
    except UnicodeDecodeError as error:
        raise ValueError(f"{path.name}: not UTF-8 text ({error.reason} at byte {error.start})") from None
    except pd.errors.ParserError as error:
        raise ValueError(f"{path.name}: malformed CSV: {_line_of(error)}") from None
    frame = pieces[0] if len(pieces) == 1 else pd.concat(pieces, ignore_index=True)
    del pieces
    return _compact(path, frame, kinds, where="line", offset=2)


def _read_parquet(path: Path, questionnaire: Questionnaire | None) -> pd.DataFrame:
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        columns = pq.read_schema(path).names
    except (pa.ArrowException, OSError) as error:
        raise ValueError(f"{path.name}: not a readable Parquet file: {_describe(error)}") from None
    _check_header(path, [c for c in columns if not c.startswith("__index_level_")])
    try:
        frame = pd.read_parquet(path)
    except (pa.ArrowException, OSError, ValueError) as error:
        raise ValueError(f"{path.name}: not a readable Parquet file: {_describe(error)}") from None
    kinds = _question_kinds(questionnaire)
    frame = frame.reset_index(drop=True)
    frame = _numeric_chunk(path, frame, kinds, line_offset=None)
    return _compact(path, frame, kinds, where="row", offset=1)


def _check_header(path: Path, columns: list[str]) -> None:
    missing = [c for c in REQUIRED_COLUMNS if c not in columns]
    if missing:
        listed = ", ".join(missing)
        raise ValueError(
            f"{path.name}: not a response export: no column {listed} "
            f"(an export has {', '.join(REQUIRED_COLUMNS)}, …; see docs/data-format.md)"
        )
    duplicated = sorted({c for c in columns if columns.count(c) > 1})
    if duplicated:
        raise ValueError(f"{path.name}: column {', '.join(duplicated)} appears more than once")


def _is_question(column: str, kinds: dict[str, str]) -> bool:
    return column not in PUPIL_COLUMNS and kinds.get(column, "single") != "multiple"


def _numeric_chunk(
    path: Path, chunk: pd.DataFrame, kinds: dict[str, str], line_offset: int | None
) -> pd.DataFrame:
    """Question columns of one chunk as float32 where they are numbers; texts stay for `_compact`."""
    for column in chunk.columns:
        if not _is_question(column, kinds):
            continue
        values = chunk[column]
        if pd.api.types.is_numeric_dtype(values.dtype):  # booleans too
            chunk[column] = values.astype("float32")
        elif column in kinds:
            # A single or number question must hold numbers: say where one does not.
            numbers = pd.to_numeric(values, errors="coerce")
            bad = values.notna() & numbers.isna()
            if bad.any():
                position = int(np.flatnonzero(bad.to_numpy())[0])
                label = chunk.index[position]
                where = f"line {label + line_offset}" if line_offset is not None else f"row {position + 1}"
                raise ValueError(
                    f"{path.name}: {where}: column {column!r} holds {_show(values.iloc[position])}, "
                    f"not a number (it is a {kinds[column]} question)"
                )
            chunk[column] = numbers.astype("float32")
    return chunk


def _smallest_integer(values: pd.Series) -> pd.Series:
    """Nullable Int8/Int16 when every value is a whole number that fits, else float32."""
    array = values.to_numpy(dtype="float32", na_value=np.nan)
    present = array[~np.isnan(array)]
    if present.size and not np.all(np.isfinite(present)):
        return values.astype("float32")
    if present.size and not np.array_equal(present, np.round(present)):
        return values.astype("float32")
    low, high = (float(present.min()), float(present.max())) if present.size else (0.0, 0.0)
    for dtype, info in (("Int8", np.iinfo(np.int8)), ("Int16", np.iinfo(np.int16))):
        if info.min <= low and high <= info.max:
            small = pd.array(array, dtype=dtype)  # type: ignore[call-overload]
            return pd.Series(small, index=values.index, name=values.name)
    return values.astype("float32")


def _category(values: pd.Series) -> pd.Series:
    if isinstance(values.dtype, pd.CategoricalDtype):
        return values
    if pd.api.types.is_numeric_dtype(values.dtype) and not pd.api.types.is_bool_dtype(values.dtype):
        array = values.to_numpy(dtype="float64", na_value=np.nan)
        present = ~np.isnan(array)
        if np.array_equal(array[present], np.round(array[present])):
            return _integer_category(array, present, values)
        return values.astype("category")
    if values.dtype == object:
        # A column read as numbers in one chunk and as text in another: 2.0 is "2" like the text.
        values = values.map(lambda v: str(int(v)) if isinstance(v, float) and v.is_integer() else v)
    return values.astype("str").astype("category")


def _urn(values: pd.Series) -> pd.Series:
    """School URNs as a category, with whole-number categories when every URN is one."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        return values
    if pd.api.types.is_numeric_dtype(values.dtype) and not pd.api.types.is_bool_dtype(values.dtype):
        numbers = values
    else:
        values = values.astype("str").str.strip()
        numbers = pd.to_numeric(values, errors="coerce")
        if not values.notna().equals(numbers.notna()):
            return values.astype("category")  # some URN is not a number: keep them all as text
    array = numbers.to_numpy(dtype="float64", na_value=np.nan)
    present = ~np.isnan(array)
    if not np.array_equal(array[present], np.round(array[present])):
        return values.astype("str").astype("category")
    return _integer_category(array, present, values)


def _integer_category(array: np.ndarray, present: np.ndarray, values: pd.Series) -> pd.Series:
    """Whole numbers (float64 with NaN for missing) as a category with int64 categories."""
    categories = np.unique(array[present]).astype(np.int64)
    codes = np.full(len(array), -1, dtype=np.int32 if len(categories) > 32_000 else np.int16)
    codes[present] = np.searchsorted(categories, array[present].astype(np.int64))
    categorical = pd.Categorical.from_codes(codes, categories=categories)  # type: ignore[call-overload]
    return pd.Series(categorical, index=values.index, name=values.name)


def _whole_numbers(path: Path, values: pd.Series, dtype: str, where: str, offset: int) -> pd.Series:
    if isinstance(values.dtype, pd.CategoricalDtype):
        values = values.astype(values.cat.categories.dtype)
    numbers = pd.to_numeric(values, errors="coerce")
    bad = values.notna() & (numbers.isna() | (numbers != numbers.round()))
    if bad.any():
        position = int(np.flatnonzero(bad.to_numpy())[0])
        raise ValueError(
            f"{path.name}: {where} {position + offset}: column {values.name!r} holds "
            f"{_show(values.iloc[position])}, not a whole number"
        )
    if dtype == "int64":
        if numbers.isna().any():
            position = int(np.flatnonzero(numbers.isna().to_numpy())[0])
            raise ValueError(f"{path.name}: {where} {position + offset}: column {values.name!r} is blank")
        return numbers.astype("int64")
    info = np.iinfo(dtype.lower())
    present = numbers.dropna()
    if len(present) and (present.min() < info.min or present.max() > info.max):
        dtype = "Int64"
    return numbers.astype(dtype)  # type: ignore[call-overload,no-any-return]


def _compact(
    path: Path, frame: pd.DataFrame, kinds: dict[str, str], *, where: str, offset: int
) -> pd.DataFrame:
    for column in frame.columns:
        values = frame[column]
        if column == "school_urn":
            frame[column] = _urn(values)
        elif column in _INTEGER_COLUMNS:
            frame[column] = _whole_numbers(path, values, _INTEGER_COLUMNS[column], where, offset)
        elif column in _CATEGORY_COLUMNS:
            frame[column] = _category(values)
        elif _is_question(column, kinds) and pd.api.types.is_numeric_dtype(values.dtype):
            frame[column] = _smallest_integer(values)
        else:
            frame[column] = _category(values)  # multiple questions, and text in unknown columns
    return frame


# ------------------------------------------------------------------------------------------------
# Writing and filtering
# ------------------------------------------------------------------------------------------------


def write_table(frame: pd.DataFrame, path: str | os.PathLike[str]) -> Path:
    """Write a result table as CSV or Parquet, by the extension of `path`.

    Parameters
    ----------
    frame : pandas.DataFrame
        The table. A named index (or MultiIndex) is written as columns; a plain row-number index
        is not written.
    path : str or path-like
        ``….csv`` (optionally ``.csv.gz`` etc.) or ``….parquet``. Its folder must exist.

    Returns
    -------
    pathlib.Path
        The path written.

    Raises
    ------
    ValueError
        Unknown extension, a missing folder, or a file that cannot be written.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> import pandas as pd
    >>> from analysis.io import write_table
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> write_table(pd.DataFrame({"school_urn": [100001], "mean": [3.5]}), folder / "out.csv").read_text()
    'school_urn,mean\\n100001,3.5\\n'
    """
    require_frame(frame, "frame")
    path = Path(path)
    kind = _kind(path)
    if not path.parent.is_dir():
        raise ValueError(f"cannot write {path}: there is no folder {path.parent}")
    if any(name is not None for name in frame.index.names):
        frame = frame.reset_index()
    try:
        if kind == "csv":
            frame.to_csv(path, index=False)
        else:
            frame.to_parquet(path, index=False)
    except OSError as error:
        raise ValueError(f"cannot write {path}: {error.strerror or _describe(error)}") from None
    except (TypeError, ValueError) as error:  # e.g. a column Parquet cannot store
        raise ValueError(f"cannot write {path.name}: {_describe(error)}") from None
    return path


def complete(frame: pd.DataFrame) -> pd.DataFrame:
    """Only the complete responses (``status == "complete"``).

    In-progress responses are partly answered and refusals have no answers: most analyses use
    complete responses only, and say so.

    Parameters
    ----------
    frame : pandas.DataFrame
        Responses with a ``status`` column.

    Returns
    -------
    pandas.DataFrame
        The rows whose status is ``complete``, with their original index.

    Examples
    --------
    >>> import pandas as pd
    >>> from analysis.io import complete
    >>> responses = pd.DataFrame({"response_id": [1, 2, 3], "status": ["complete", "refused", "complete"]})
    >>> complete(responses).response_id.tolist()
    [1, 3]
    """
    require_frame(frame, "responses")
    require_columns(frame, ["status"], "the responses")
    return frame.loc[(frame["status"] == "complete").to_numpy(dtype=bool, na_value=False)]
