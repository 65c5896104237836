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
    header: list[str] = field(default_factory=list)

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
    reader.fieldnames = result.header = header
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

# Column names as MIS exports spell them (compared as `mis_words`), for each roster column. A single
# "Ethnicity" column stands for both ethnicity columns: it may hold a code or a description.
ROSTER_HEADERS = {
    "pupil_reference": ["pupil reference", "reference", "pupil ref", "ref", "admission number", "adno",
                        "adm no", "admission no", "pupil id", "student id", "mis id"],
    "year_group": ["year group", "year", "yeargroup", "nc year", "ncyear", "year taught in",
                   "curriculum year", "national curriculum year", "blwyddyn"],
    "gender": ["gender", "sex", "legal sex"],
    "ethnicity_major": ["ethnicity major", "ethnic group major", "ethnicity group"],
    "ethnicity_minor": ["ethnicity minor", "ethnicity code", "ethnic code"],
    "ethnicity": ["ethnicity", "ethnic group", "ethnic origin", "ethnicity description"],
    "sen": ["sen", "sen status", "sen provision", "send", "send status", "aln", "aln status",
            "special educational needs", "sen stage", "aln provision"],
    "fsm": ["fsm", "fsm eligible", "free school meals", "fsm eligibility", "eligible for fsm",
            "free school meal eligibility", "fsm status"],
    "eal": ["eal", "english as an additional language", "eal status"],
    "first_language": ["first language", "home language", "language", "first language description"],
    "looked_after": ["looked after", "in care", "cla", "child looked after", "looked after child", "lac",
                     "looked after status"],
    "class": ["class", "reg group", "registration group", "form", "tutor group", "form group", "reg",
              "class name", "form class", "registration class"],
}  # fmt: skip
_YEAR = re.compile(r"(?:nc\s*)?(?:y|yr|year|year\s*group|bl|blwyddyn)?\s*0?(\d{1,2})", re.IGNORECASE)


def mis_words(value: str) -> str:
    """A name or value as MIS exports vary it: lowercased, punctuation and spaces as single spaces."""
    return " ".join(re.sub(r"[^0-9a-z]+", " ", value.casefold()).split())


@dataclass
class RosterCheck:
    """A roster read in full: its pupils, and how the file's columns and values were read, so that
    the school can check them before anything is saved."""

    entries: list[dict] = field(default_factory=list)
    columns: list[tuple[str, str]] = field(default_factory=list)  # (the file's name, read as)
    # (column, the file's value) -> [what it was read as, how many rows]
    values: dict[tuple[str, str], list] = field(default_factory=dict)

    def read_as(self, column: str, value: str, meaning: str) -> None:
        found = self.values.setdefault((column, value), [meaning, 0])
        found[1] += 1


def _roster_header(header: list[str]) -> tuple[dict[str, str], list[str]]:
    """{roster column: the file's column} and the columns the file lacks."""
    found: dict[str, str] = {}
    for name in header:
        words = mis_words(name)
        for column, spellings in ROSTER_HEADERS.items():
            if column not in found and (words == mis_words(column) or words in spellings):
                found[column] = name
                break
    if "ethnicity" in found and not ({"ethnicity_major", "ethnicity_minor"} & found.keys()):
        found["ethnicity_minor"] = found.pop("ethnicity")
    if "first_language" in found and "eal" not in found:
        found["eal"] = found["first_language"]
    found.pop("ethnicity", None)
    found.pop("first_language", None)
    for column in ("ethnicity_major", "ethnicity_minor"):
        if column not in found and ({"ethnicity_major", "ethnicity_minor"} & found.keys()):
            found[column] = ""  # one ethnicity column is enough
    return found, [column for column in ROSTER_COLUMNS if column not in found]


def _ethnicity(value: str) -> tuple[str, str] | None:
    """(major, minor) codes for a code or an MIS description of ethnicity; None if not known."""
    code = value.strip().upper()
    if code in reference.ETHNICITY_MINOR:
        return reference.ETHNICITY_MINOR[code], code
    if code in reference.ETHNICITY_MAJOR:
        return code, ""
    words = mis_words(value)
    candidates = [words]
    for prefix in reference.ETHNICITY_PREFIXES:
        if words.startswith(prefix + " "):
            candidates.append(words.removeprefix(prefix + " "))
    for candidate in candidates:
        for minor, spellings in reference.ETHNICITY_WORDS.items():
            if candidate in spellings:
                return reference.ETHNICITY_MINOR[minor], minor
    if words in reference.ETHNICITY_MAJOR_WORDS:
        return reference.ETHNICITY_MAJOR_WORDS[words], ""
    return None


def _describe_ethnicity(major: str, minor: str) -> str:
    if minor and minor not in ("REFU", "NOBT"):
        return f"{reference.ETHNICITY_MINOR_NAMES[minor]} ({major}, {minor})"
    return f"{reference.ETHNICITY_MAJOR[major]} ({major})"


def read_roster(stream: IO, years: Iterable[int]) -> list[dict]:
    """Roster rows, checked in full (see `check_roster`)."""
    return check_roster(stream, years).entries


def check_roster(stream: IO, years: Iterable[int]) -> RosterCheck:
    """Roster rows, checked in full, and how each column and MIS spelling was read. References must be
    pseudonymous: no spaces, at least one digit. Raises ImportProblems naming every problem by line
    and column (the file's own column name)."""
    read = read_csv(stream, ())
    names, missing = _roster_header(read.header)
    if read.header and missing:
        raise ImportProblems(
            "roster file",
            [f"line 1: missing column(s) {', '.join(repr(m) for m in missing)} (download the template to see "
             "the columns)"],
        )  # fmt: skip
    if read.problems:
        raise ImportProblems("roster file", read.problems)
    if not read.rows:
        raise ImportProblems("roster file", ["the file has no pupils"])
    check = RosterCheck(columns=[(names[c], c) for c in ROSTER_COLUMNS if names[c] and names[c] != c])
    allowed_years = sorted(set(years))
    seen: dict[str, int] = {}
    for line, row in read.rows:

        def problem(column: str, message: str, line: int = line) -> None:
            read.problem(line, names[column] or column, message)

        def value(column: str, row: dict[str, str] = row) -> str:
            return row[names[column]] if names[column] else ""

        ref = value("pupil_reference")
        if not PUPIL_REFERENCE.fullmatch(ref) or not any(c.isdigit() for c in ref):
            problem(
                "pupil_reference",
                "must be your own pseudonymous reference: letters and digits with at least one digit, "
                "no spaces, at most 40 characters (never a pupil's name)",
            )
        elif ref in seen:
            problem("pupil_reference", f"{ref} is also on line {seen[ref]}")
        seen.setdefault(ref, line)
        entry: dict = {"pupil_reference": ref, "class_name": value("class") or None}

        year = value("year_group")
        if matched := _YEAR.fullmatch(year.strip()):
            entry["year_group"] = int(matched.group(1))
            if year != str(entry["year_group"]):
                check.read_as(names["year_group"], year, f"Year {entry['year_group']}")
            if entry["year_group"] not in allowed_years:
                problem(
                    "year_group",
                    f"{entry['year_group']} is not a year this questionnaire is for "
                    f"({allowed_years[0]}–{allowed_years[-1]})",
                )
        else:
            problem("year_group", f"{year!r} is not a year group (a number such as 7, or Year 7)")

        gender = value("gender")
        code = reference.GENDER_WORDS.get(mis_words(gender)) if gender else ""
        if code is None:
            problem("gender", f"{gender!r} is not one of F, M, O (Female, Male, Other) or blank")
        elif gender != code:
            check.read_as(
                names["gender"],
                gender,
                reference.GENDER[code] + f" ({code})" if code else "blank (not known)",
            )
        entry["gender"] = code or None

        major_text, minor_text = value("ethnicity_major"), value("ethnicity_minor")
        major = minor = ""
        if major_text:
            found = _ethnicity(major_text)
            if found is None:
                codes = ", ".join(reference.ETHNICITY_MAJOR)
                problem(
                    "ethnicity_major",
                    f"{major_text!r} is not a DfE major ethnicity code ({codes}) "
                    "or a description such as White",
                )
            else:
                major, minor = found[0], "" if minor_text else found[1]
                if major_text != major:
                    check.read_as(names["ethnicity_major"], major_text, _describe_ethnicity(*found))
        if minor_text:
            found = _ethnicity(minor_text)
            if found is None:
                problem(
                    "ethnicity_minor",
                    f"{minor_text!r} is not a DfE ethnicity code or a description such as White - British",
                )
            elif major and found[0] != major:
                problem("ethnicity_minor", f"{found[1] or found[0]} belongs to {found[0]}, not {major}")
            else:
                major, minor = found
                if minor_text != minor:
                    check.read_as(names["ethnicity_minor"], minor_text, _describe_ethnicity(*found))
        entry["ethnicity_major"], entry["ethnicity_minor"] = major or None, minor or None

        sen = value("sen")
        sen_code = reference.SEN_WORDS.get(mis_words(sen)) if sen else None
        if sen and not sen_code:
            problem(
                "sen",
                f"{sen!r} is not N (none), K (SEN support, or additional learning needs with a school IDP) "
                "or E (EHC plan, or an IDP maintained by the local authority)",
            )
        elif sen_code and sen != sen_code:
            check.read_as(names["sen"], sen, f"{reference.SEN_READ_AS[sen_code]} ({sen_code})")
        entry["sen"] = sen_code

        for column in ("fsm", "eal", "looked_after"):
            text = value(column)
            words = mis_words(text)
            flag = reference.FLAG_WORDS.get(words) if text else None
            if column == "eal" and flag is None and text:
                if words in reference.ENGLISH_WORDS:
                    flag = False
                elif words in reference.OTHER_LANGUAGE_WORDS or (
                    names["eal"] != "eal"
                    and mis_words(names["eal"]) in ROSTER_HEADERS["first_language"]
                    and words not in reference.NOT_KNOWN_WORDS
                    and re.fullmatch(r"[a-z ]{2,40}", words)
                ):
                    flag = True
                elif words in reference.NOT_KNOWN_WORDS:
                    check.read_as(names[column], text, "blank (not known)")
                    entry[column] = None
                    continue
            if text and flag is None:
                problem(column, f"{text!r} is not Y, N or blank (or Yes, No)")
            elif text and text not in ("Y", "N"):
                meaning = "Y (yes)" if flag else "N (no)"
                if column == "eal" and words not in reference.FLAG_WORDS:
                    meaning += (
                        ": English is not their first language"
                        if flag
                        else ": English is their first language"
                    )
                check.read_as(names[column], text, meaning)
            entry[column] = flag

        if len(value("class")) > 40:
            problem("class", "is longer than 40 characters")
        check.entries.append(entry)
    if read.problems:
        raise ImportProblems("roster file", read.problems)
    return check
