"""What a reviewer page shows (`Page`: its tables, charts and facts), and the one decision every
reviewer table about school totals follows: which schools are shown, nationally.

A school is shown only when its own total is (``analysis.aggregate`` by school, nationally: fewer
than 10 pupils, or hidden to protect such a school), and every area total counts the pupils of the
schools shown and no others. A hidden school is therefore in no published figure, so no filter, area
or subtraction recovers it, and the suppression is decided once for the whole country so that a
filter only ever removes rows.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field

import pandas as pd
from markupsafe import Markup

import analysis

from ..cache import KeyedCache
from ..models import Release
from . import store
from .table import Table


@dataclass
class Page:
    tables: list[Table] = field(default_factory=list)
    charts: dict[str, Markup] = field(default_factory=dict)
    facts: dict = field(default_factory=dict)

    def table(self, table_id: str) -> Table | None:
        return next((t for t in self.tables if t.id == table_id), None)


def school_totals(wave_rows: pd.DataFrame, measure: str) -> pd.DataFrame:
    """``analysis.aggregate`` by school over the whole country (every school of the wave)."""
    return analysis.aggregate(wave_rows, "school_urn", measure)


def shown_rows(wave_rows: pd.DataFrame, totals: pd.DataFrame) -> pd.DataFrame:
    """The pupils of the schools whose total is shown: the only pupils any area total counts."""
    shown = set(totals.loc[~totals["suppressed"], "school_urn"].astype(int))
    return wave_rows[wave_rows["school_urn"].isin(shown)]


# Reviewer pages as built, by release, page, choices and the schools they cover: a release never
# changes, so a page built from it is the same for every reviewer with the same scope. Few, since
# one national page holds a row for every school.
_pages: KeyedCache[tuple, Page] = KeyedCache("reviewer pages", maxsize=12)


def kept_page(
    release: Release, name: str, choices: dict, scope: pd.DataFrame, build: Callable[[], Page]
) -> Page:
    """`build()`, or the same page built earlier from the same release, choices and `scope` (the
    schools in the reviewer's scope as they are now: a school that moves area changes the key)."""
    schools = hashlib.sha256(pd.util.hash_pandas_object(scope, index=False).to_numpy().tobytes()).hexdigest()
    chosen = tuple(sorted((str(k), str(v)) for k, v in choices.items()))
    page = _pages.get((*store.release_name(release), name, chosen, schools), build)
    return Page(list(page.tables), dict(page.charts), dict(page.facts))
