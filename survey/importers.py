"""CSV importers that check a whole file first and report every problem by line and column.

Nothing is written unless the whole file is right, so a school never ends up with half a roster.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import IO, Any

from . import reference
from .models import School

MAX_ROWS = 200_000


class ImportProblems(ValueError):
    def __init__(self, source: str, problems: list[str]) -> None:
        self.problems = problems
        shown = problems[:50]
        more = f"\n… and {len(problems) - 50} more problems" if len(problems) > 50 else ""
        super().__init__(
            f"{source}: {len(problems)} problem(s), nothing was saved:\n" + "\n".join(shown) + more
        )


@dataclass
class Rows:
    """Rows read from a CSV, each as {column: value} with its file line number."""

    rows: list[tuple[int, dict[str, str]]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def problem(self, line: int, column: str, message: str) -> None:
        self.problems.append(f"line {line}, column '{column}': {message}")


def read_csv(stream: IO[bytes] | IO[str], required: Iterable[str]) -> Rows:
    result = Rows()
    raw = stream.read()
    if isinstance(raw, bytes):
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError as error:
            result.problems.append(f"the file is not UTF-8 text (byte {error.start}); save it as CSV UTF-8")
            return result
    else:
        text = raw.removeprefix("\ufeff")
    if "\x00" in text:
        result.problems.append("the file contains binary data; it must be a CSV file")
        return result
    reader = csv.DictReader(io.StringIO(text, newline=""))
    try:
        header = [name.strip() for name in (reader.fieldnames or [])]
    except csv.Error as error:  # the first line is read here: a huge field, say
        result.problems.append(f"line {reader.line_num}: not valid CSV ({error})")
        return result
    if not header:
        result.problems.append("line 1: the file is empty; the first line must name the columns")
        return result
    reader.fieldnames = header
    missing = [name for name in required if name not in header]
    if missing:
        result.problems.append(f"line 1: missing column(s) {', '.join(repr(m) for m in missing)}")
        return result
    try:
        for record in reader:
            if len(result.rows) >= MAX_ROWS:
                result.problems.append(f"line {reader.line_num}: more than {MAX_ROWS} rows; split the file")
                break
            if None in record:
                result.problems.append(f"line {reader.line_num}: more values than columns")
                continue
            values = {key: (value or "").strip() for key, value in record.items()}
            if not any(values.values()):
                continue  # blank line
            result.rows.append((reader.line_num, values))
    except csv.Error as error:
        result.problems.append(f"line {reader.line_num}: not valid CSV ({error})")
    return result


def _flag(value: str) -> bool | str | None:
    lowered = value.lower()
    if lowered == "":
        return None
    if lowered in reference.YES:
        return True
    if lowered in reference.NO:
        return False
    return "error"


GIAS_COLUMNS = {
    "URN": "urn",
    "EstablishmentName": "name",
    "LA (code)": "la_code",
    "LA (name)": "la_name",
    "PhaseOfEducation (name)": "phase",
    "TypeOfEstablishment (name)": "type",
    "Trusts (name)": "trust",
}


def read_schools(stream: IO) -> list[dict]:
    """Schools from a GIAS-layout CSV; extra columns are ignored."""
    read = read_csv(stream, GIAS_COLUMNS)
    schools: list[dict] = []
    seen: dict[int, int] = {}
    for line, row in read.rows:
        school: dict[str, Any] = {field: row[column] for column, field in GIAS_COLUMNS.items()}
        if not re.fullmatch(r"\d{5,7}", school["urn"]):
            read.problem(line, "URN", f"{school['urn']!r} is not a URN (5 to 7 digits)")
            continue
        school["urn"] = int(school["urn"])
        if school["urn"] in seen:
            read.problem(line, "URN", f"{school['urn']} is also on line {seen[school['urn']]}")
        seen[school["urn"]] = line
        for column, field_name in GIAS_COLUMNS.items():
            if field_name not in ("trust", "urn") and not school[field_name]:
                read.problem(line, column, "is empty")
        for column, field_name in GIAS_COLUMNS.items():
            column_type = School.__table__.c[field_name].type
            limit = getattr(column_type, "length", None) if field_name != "urn" else None
            if limit and len(school[field_name]) > limit:
                read.problem(line, column, f"is longer than {limit} characters")
        school["trust"] = school["trust"] or None
        schools.append(school)
    if read.problems:
        raise ImportProblems("schools file", read.problems)
    return schools


ROSTER_COLUMNS = (
    "pupil_reference", "year_group", "gender", "ethnicity_major", "ethnicity_minor",
    "sen", "fsm", "eal", "looked_after", "class",
)  # fmt: skip
PUPIL_REFERENCE = re.compile(r"[A-Za-z0-9_-]{1,40}")


def read_roster(stream: IO, years: Iterable[int]) -> list[dict]:
    """Roster rows, checked in full. References must be pseudonymous: no spaces, at least one digit."""
    read = read_csv(stream, ROSTER_COLUMNS)
    allowed_years = sorted(set(years))
    entries: list[dict] = []
    seen: dict[str, int] = {}
    for line, row in read.rows:

        def problem(column: str, message: str, line: int = line) -> None:
            read.problem(line, column, message)

        ref = row["pupil_reference"]
        if not PUPIL_REFERENCE.fullmatch(ref) or not any(c.isdigit() for c in ref):
            problem(
                "pupil_reference",
                "must be your own pseudonymous reference: letters and digits with at least one digit, "
                "no spaces, at most 40 characters (never a pupil's name)",
            )
        elif ref in seen:
            problem("pupil_reference", f"{ref} is also on line {seen[ref]}")
        seen.setdefault(ref, line)
        entry: dict = {"pupil_reference": ref, "class_name": row["class"] or None}
        if re.fullmatch(r"(?:[Yy](?:ear)?\s*)?(\d{1,2})", row["year_group"]):
            entry["year_group"] = int(re.sub(r"\D", "", row["year_group"]))
            if entry["year_group"] not in allowed_years:
                problem(
                    "year_group",
                    f"{entry['year_group']} is not a year this questionnaire is for "
                    f"({allowed_years[0]}–{allowed_years[-1]})",
                )
        else:
            problem("year_group", f"{row['year_group']!r} is not a year group (a number such as 7)")
        gender = row["gender"].upper()
        if gender and gender not in reference.GENDER:
            problem("gender", f"{row['gender']!r} is not one of F, M, O or blank")
        entry["gender"] = gender or None
        major, minor = row["ethnicity_major"].upper(), row["ethnicity_minor"].upper()
        if major and major not in reference.ETHNICITY_MAJOR:
            problem(
                "ethnicity_major",
                f"{row['ethnicity_major']!r} is not a DfE major ethnicity code "
                f"({', '.join(reference.ETHNICITY_MAJOR)})",
            )
        if minor:
            if minor not in reference.ETHNICITY_MINOR:
                problem("ethnicity_minor", f"{row['ethnicity_minor']!r} is not a DfE minor ethnicity code")
            elif major and reference.ETHNICITY_MINOR[minor] != major:
                problem(
                    "ethnicity_minor", f"{minor} belongs to {reference.ETHNICITY_MINOR[minor]}, not {major}"
                )
            major = major or reference.ETHNICITY_MINOR.get(minor, "")
        entry["ethnicity_major"], entry["ethnicity_minor"] = major or None, minor or None
        sen = row["sen"].strip()
        sen_code = sen.upper() if sen.upper() in reference.SEN else reference.SEN_WORDS.get(sen.lower())
        if sen and not sen_code:
            problem("sen", f"{sen!r} is not N (none), K (SEN support) or E (EHCP)")
        entry["sen"] = sen_code
        for column in ("fsm", "eal", "looked_after"):
            flag = _flag(row[column])
            if flag == "error":
                problem(column, f"{row[column]!r} is not Y, N or blank")
                flag = None
            entry[column] = flag
        if len(row["class"]) > 40:
            problem("class", "is longer than 40 characters")
        entries.append(entry)
    if not read.rows and not read.problems:
        read.problems.append("the file has no pupils")
    if read.problems:
        raise ImportProblems("roster file", read.problems)
    return entries
