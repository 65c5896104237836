"""One page of a long list's rows, and how many rows there are in all."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, func, select

from ..extensions import db


def count(query: Select[Any]) -> int:
    return db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0


def rows(query: Select[Any], *, offset: int, limit: int) -> list[Any]:
    return list(db.session.scalars(query.limit(limit).offset(offset)))
