"""Reading and writing release items: tables, school-level frames and facts as compressed JSON.

Items are immutable once their release is published, so a process keeps the ones it has read
(`read`), keyed by release id; a new release is simply new keys. Nothing pupil-level is ever stored:
the pipeline stores tables already suppressed, and school- or area-level rows.
"""

from __future__ import annotations

import json
import math
import zlib
from io import StringIO
from typing import Any

import numpy as np
import pandas as pd
from markupsafe import Markup
from sqlalchemy import insert, select

from ..cache import KeyedCache
from ..extensions import db
from ..models import Release, ReleaseItem
from .table import Column, Table

_items: KeyedCache[tuple[str, int, str, str, str], Any] = KeyedCache("release items", maxsize=512)


def _plain(value: Any) -> Any:
    """JSON-ready: numpy scalars to Python, NaN and pd.NA to None, tables and frames tagged."""
    if isinstance(value, Table):
        return {
            "__table__": type(value).__name__,
            "id": value.id,
            "title": value.title,
            "caption": value.caption,
            "note": value.note,
            "columns": [[c.key, c.label, c.kind] for c in value.columns],
            "rows": [_plain(row) for row in value.rows],
        }
    if isinstance(value, pd.DataFrame):
        frame = value.reset_index(drop=True)
        return {
            "__frame__": frame.to_json(orient="split", date_format="iso"),
            "attrs": _plain(dict(value.attrs)),
        }
    if isinstance(value, pd.Series):
        return {"__series__": [_plain(list(value.index)), _plain(list(value.to_numpy()))]}
    if isinstance(value, Markup):
        return {"__markup__": str(value)}
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        number = float(value)
        return None if math.isnan(number) or math.isinf(number) else number
    if isinstance(value, str):
        return value
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def _restore(value: Any) -> Any:
    if isinstance(value, dict):
        if "__table__" in value:
            kind = Table
            if value["__table__"] == "CellTable":
                from .table import CellTable

                kind = CellTable
            return kind(
                id=value["id"],
                title=value["title"],
                columns=[Column(*c) for c in value["columns"]],
                rows=[_restore(r) for r in value["rows"]],
                caption=value["caption"],
                note=value["note"],
            )
        if "__frame__" in value:
            frame = pd.read_json(StringIO(value["__frame__"]), orient="split", dtype=False)
            frame.attrs.update(_restore(value.get("attrs") or {}))
            return frame
        if "__series__" in value:
            index, data = value["__series__"]
            return pd.Series(data, index=index, dtype=object)
        if "__markup__" in value:
            return Markup(value["__markup__"])
        return {k: _restore(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_restore(v) for v in value]
    return value


class Kept(bytes):
    """An item's payload carried over unchanged from an earlier release (a school that keeps its
    previous figures keeps them byte for byte)."""


def encode(value: Any) -> bytes:
    if isinstance(value, Kept):
        return bytes(value)
    return zlib.compress(json.dumps(_plain(value), separators=(",", ":")).encode(), 6)


def decode(payload: bytes) -> Any:
    return _restore(json.loads(zlib.decompress(payload)))


def write(release_id: int, items: dict[tuple[str, str], Any]) -> int:
    """Add a release's items in the caller's transaction (bulk insert); returns how many."""
    rows = [
        {"release_id": release_id, "kind": kind, "key": key, "payload": encode(value)}
        for (kind, key), value in items.items()
    ]
    for start in range(0, len(rows), 2000):
        db.session.execute(insert(ReleaseItem), rows[start : start + 2000])
    return len(rows)


def payloads(release_id: int, kind: str, keys: list[str]) -> dict[str, bytes]:
    """Stored payloads of `release_id` by key, for carrying them into a new release."""
    found: dict[str, bytes] = {}
    for start in range(0, len(keys), 500):
        rows = db.session.execute(
            select(ReleaseItem.key, ReleaseItem.payload).where(
                ReleaseItem.release_id == release_id,
                ReleaseItem.kind == kind,
                ReleaseItem.key.in_(keys[start : start + 500]),
            )
        ).all()
        found.update({key: payload for key, payload in rows})
    return found


def read(release: Release, kind: str, key: str) -> Any:
    """One item of a published release, or None when the release holds no such item.

    Kept in memory by release: its id and when it was published (ids are never reused in a
    database, but the key does not rely on it), so a new release is simply new keys."""
    stamp = release.published_at.isoformat() if release.published_at else ""
    cache_key = (str(db.engine.url), release.id, stamp, kind, key)

    def load() -> Any:
        payload = db.session.scalar(
            select(ReleaseItem.payload).where(
                ReleaseItem.release_id == release.id, ReleaseItem.kind == kind, ReleaseItem.key == key
            )
        )
        return None if payload is None else decode(payload)

    return _items.get(cache_key, load)
