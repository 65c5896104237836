"""Pages of a long list (schools, users, the audit log), and the links to the others."""

from __future__ import annotations

import math
from dataclasses import dataclass

from flask import request, url_for
from sqlalchemy import Select

from ..data import paging

PER_PAGE = 50


@dataclass
class Page:
    items: list
    number: int
    pages: int
    total: int
    per_page: int
    filters: dict

    @property
    def first_item(self) -> int:
        return (self.number - 1) * self.per_page + 1 if self.total else 0

    @property
    def last_item(self) -> int:
        return min(self.number * self.per_page, self.total)

    def url(self, number: int) -> str:
        """This page's address with another page number, keeping the filters."""
        args = {key: value for key, value in self.filters.items() if value}
        if number > 1:
            args["page"] = number
        return url_for(request.endpoint or "", **args)

    def pagination(self) -> dict | None:
        """Parameters for govukPagination, or None when everything fits on one page."""
        if self.pages <= 1:
            return None
        shown = sorted({1, self.pages, *range(max(1, self.number - 2), min(self.pages, self.number + 2) + 1)})
        items: list[dict] = []
        for previous, number in zip([0, *shown], shown, strict=False):
            if number - previous > 1:
                items.append({"ellipsis": True})
            items.append({"number": number, "href": self.url(number), "current": number == self.number})
        return {
            "items": items,
            "previous": {"href": self.url(self.number - 1)} if self.number > 1 else None,
            "next": {"href": self.url(self.number + 1)} if self.number < self.pages else None,
        }


def requested_page() -> int:
    """The `page` query parameter: 1 when missing, not a number or absurd."""
    value = request.args.get("page", "")
    # isascii: "²" and other digits that int() refuses are "not a number" too.
    return int(value) if value.isascii() and value.isdigit() and 0 < len(value) <= 6 and int(value) > 0 else 1


def paginate(query: Select, *, filters: dict | None = None, per_page: int = PER_PAGE) -> Page:
    """One page of `query`'s rows; `filters` are the query parameters the page links keep."""
    total = paging.count(query)
    pages = max(1, math.ceil(total / per_page))
    number = min(requested_page(), pages)
    items = paging.rows(query, offset=(number - 1) * per_page, limit=per_page)
    return Page(
        items=items, number=number, pages=pages, total=total, per_page=per_page, filters=filters or {}
    )
