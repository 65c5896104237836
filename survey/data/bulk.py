"""Fast bulk inserts for large loads (demo data, imports): COPY on PostgreSQL, executemany elsewhere."""

from __future__ import annotations

import json

from sqlalchemy import JSON, Table

from ..extensions import db


def insert_rows(table: Table, rows: list[dict]) -> None:
    """Insert plain dict rows into `table` in the current transaction."""
    if not rows:
        return
    connection = db.session.connection()
    if connection.dialect.name != "postgresql":
        connection.execute(table.insert(), rows)
        return
    columns = list(rows[0])
    json_columns = {c for c in columns if isinstance(table.c[c].type, JSON)}
    cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]  # psycopg's, for COPY
    names = ", ".join(f'"{c}"' for c in columns)
    with cursor.copy(f'COPY "{table.name}" ({names}) FROM STDIN') as copy:
        for row in rows:
            copy.write_row(
                [json.dumps(row[c]) if c in json_columns and row[c] is not None else row[c] for c in columns]
            )
