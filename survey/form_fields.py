"""Form pieces every audience's forms share: text cleaning, email and URN checks, and the date input.

One copy of each, so a fix (a NUL in a name, a date posted with a box missing) reaches every form.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from govuk_frontend_wtf.wtforms_widgets import GovDateInput
from wtforms import DateField
from wtforms.validators import Regexp, ValidationError

from .data.users import EMAIL
from .text_input import clean

URN = re.compile(r"\d{5,7}\Z")  # \Z: Regexp only matches from the start, and "100001x" is no URN

__all__ = ["EMAIL", "URN", "DayMonthYearField", "email_address", "lower_email", "strip", "urn"]


def strip(value: Any) -> Any:
    """Typed text without control characters (PostgreSQL cannot store or compare a NUL) or
    surrounding white space; anything else as it is."""
    return clean(value)


def lower_email(value: Any) -> Any:
    """An email address as typed, cleaned and in lower case (addresses are kept in lower case)."""
    return clean(value).lower() if isinstance(value, str) else value


EMAIL_FORMAT = "Enter an email address in the correct format, like name@example.org"


def email_address(message: str = EMAIL_FORMAT) -> Regexp:
    return Regexp(EMAIL, message=message)


def urn(message: str = "Enter a URN of 5 to 7 digits") -> Regexp:
    return Regexp(URN, message=message)


class DayMonthYearField(DateField):
    """A GOV.UK date input (day, month, year boxes) that never fails on odd, missing or extra parts."""

    def __init__(self, label: str, *, missing: str, invalid: str, **kwargs: Any) -> None:
        super().__init__(label, widget=GovDateInput(), **kwargs)
        self.missing, self.invalid = missing, invalid

    def process_formdata(self, valuelist: list[Any]) -> None:
        parts = [str(v).strip()[:8] for v in list(valuelist)[:3]]
        parts += [""] * (3 - len(parts))
        self.raw_data = parts
        self.data = None
        if not any(parts):
            raise ValueError(self.missing)
        if not all(p.isdigit() for p in parts) or len(parts[2]) != 4:
            raise ValueError(self.invalid)
        day, month, year = (int(p) for p in parts)
        try:
            self.data = date(year, month, day)
        except ValueError:
            raise ValueError(self.invalid) from None

    def pre_validate(self, form: Any) -> None:
        if self.data is None and not self.process_errors:
            raise ValidationError(self.missing)


def first_and_last_day(what: str = "wave") -> tuple[DayMonthYearField, DayMonthYearField]:
    """The "First day" and "Last day" of a wave: both days are in it (it closes at the end of the last)."""
    return (
        DayMonthYearField(
            "First day",
            description="For example, 30 11 2026",
            missing=f"Enter the first day of the {what}",
            invalid="The first day must be a real date, like 30 11 2026",
        ),
        DayMonthYearField(
            "Last day",
            description=f"The {what} closes at the end of this day. For example, 18 12 2026",
            missing=f"Enter the last day of the {what}",
            invalid="The last day must be a real date, like 18 12 2026",
        ),
    )


def check_last_day(first: date | None, last: date | None) -> None:
    if first and last and last < first:
        raise ValidationError("The last day must be the same as or after the first day")
