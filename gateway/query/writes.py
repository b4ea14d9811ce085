"""Compile and run inserts, upserts, updates and deletes, each in one transaction.

Where the dialect has RETURNING the changed rows come back from the statement;
elsewhere (MySQL, SQL Server without OUTPUT here) they are read back by
primary key inside the same transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import mysql, postgresql, sqlite
from sqlalchemy.engine import Connection

from gateway.query.context import Bound, QueryContext
from gateway.query.errors import InvalidValueError, MalformedRequestError
from gateway.query.filters import compile_filter, core_column, typed
from gateway.query.ir import Delete, Field, Insert, OnConflict, Update
from gateway.query.merge import MERGE_DIALECTS, Merge
from gateway.query.render import renderer_for
from gateway.query.select import RAW

RETURNING = ("postgresql", "sqlite", "duckdb", "mariadb")


def typed_row(bound: Bound, row: dict[str, Any], index: int | None) -> dict[str, Any]:
    """A body row with every value typed against its column (400/422 before any SQL)."""
    if not isinstance(row, dict):
        raise MalformedRequestError("each row must be a JSON object")
    out = {}
    for name, value in row.items():
        core_column(bound, name, "body")
        model = bound.table.get_column(name)
        if model is not None and model.generated:
            raise InvalidValueError(
                f"column '{name}' is generated and cannot be written",
                errors=[
                    {
                        "parameter": "body",
                        "column": name,
                        "row": index,
                        "detail": "generated column",
                    }
                ],
            )
        where = f"body[{index}].{name}" if index is not None else f"body.{name}"
        out[name] = typed(bound, name, value, where)
    return out


def returning_fields(bound: Bound, fields: tuple[Field, ...]) -> tuple[Field, ...]:
    for field in fields:
        core_column(bound, field.column, "select")
    return fields or tuple(Field(c) for c in bound.table.column_names)


def render_rows(bound: Bound, fields: tuple[Field, ...], rows: list[Any]) -> list[dict[str, Any]]:
    renderers = [renderer_for(bound.table.get_column(f.column)) for f in fields]  # type: ignore[arg-type]
    return [
        {f.output_name: r(raw[i]) for i, (f, r) in enumerate(zip(fields, renderers, strict=True))}
        for raw in rows
    ]


def _returning_columns(bound: Bound, fields: tuple[Field, ...]) -> list[Any]:
    return [sa.type_coerce(bound.core.c[f.column], RAW).label(f.output_name) for f in fields]


def _key_columns(bound: Bound) -> list[Any]:
    """The primary key, after the returned fields, to put changed rows in key order."""
    return [
        sa.type_coerce(bound.core.c[c], RAW).label(f"__pk{i}")
        for i, c in enumerate(bound.table.primary_key)
    ]


def _by_key(bound: Bound, fields: tuple[Field, ...], rows: Sequence[Any]) -> list[Any]:
    """Rows in primary-key order: RETURNING order differs between dialects."""
    width, size = len(fields), len(bound.table.primary_key)
    return sorted(rows, key=lambda raw: tuple(raw[width : width + size]))


def run_insert(
    ctx: QueryContext, conn: Connection, bound: Bound, insert: Insert
) -> tuple[int, list[dict[str, Any]]]:
    rows = [typed_row(bound, row, i) for i, row in enumerate(insert.rows)]
    if not rows:
        return 0, []
    columns = sorted({c for row in rows for c in row})
    fields = returning_fields(bound, insert.returning)
    statement = _insert_statement(bound, columns, insert.on_conflict)
    same_shape = all(row.keys() == rows[0].keys() for row in rows) and bool(columns)
    if insert.on_conflict is not None and _ignores_by_lookup(bound, insert.on_conflict):
        rows = _without_existing(conn, bound, insert.on_conflict, rows)
        if not rows:
            return 0, []
    # RETURNING also counts: drivers report no reliable rowcount for inserts (psycopg, DuckDB),
    # and rows skipped by ignore-duplicates are not returned.
    if bound.dialect in RETURNING and same_shape:
        # Omitted columns take their defaults, so one executemany needs rows of one shape.
        returning = statement.returning(
            *_returning_columns(bound, fields), sort_by_parameter_order=len(rows) > 1
        )
        returned = list(conn.execute(returning, rows).all())
        return len(returned), render_rows(bound, fields, returned) if insert.return_rows else []
    if bound.dialect in RETURNING:
        returning = statement.returning(*_returning_columns(bound, fields))
        returned = [r for row in rows for r in conn.execute(returning, row).all()]
        return len(returned), render_rows(bound, fields, returned) if insert.return_rows else []
    affected = 0
    keys = []
    for row in rows:
        if isinstance(statement, Merge):  # one MERGE per row, over the row's own columns
            merge = statement.for_row(row) if all(c in row for c in statement.target) else None
            result = conn.execute(merge if merge is not None else sa.insert(bound.core), row)
            if merge is not None and result.rowcount == 0:
                continue  # ignore-duplicates matched an existing row: not written, not returned
            affected += max(result.rowcount, 0)
            keys.append(
                _inserted_key(bound, row, result) if merge is None else _row_key(bound, row)
            )
            continue
        result = conn.execute(statement, row)
        affected += max(result.rowcount, 0)
        keys.append(_inserted_key(bound, row, result))
    if not insert.return_rows:
        return affected, []
    return affected, _read_back(conn, bound, fields, keys)


def _insert_statement(bound: Bound, columns: list[str], on_conflict: OnConflict | None) -> Any:
    table = bound.core
    if on_conflict is None:
        return sa.insert(table)
    target = on_conflict.columns or bound.table.primary_key
    if not target:
        raise MalformedRequestError("upsert needs on_conflict columns or a primary key")
    for name in target:
        core_column(bound, name, "on_conflict")
    updates = [c for c in columns if c not in target]
    if on_conflict.update is not None:  # named columns only (GraphQL `update_columns`)
        for name in on_conflict.update:
            core_column(bound, name, "on_conflict")
        updates = list(on_conflict.update)
    if bound.dialect in ("postgresql", "duckdb", "sqlite"):
        insert = (sqlite.insert if bound.dialect == "sqlite" else postgresql.insert)(table)
        if on_conflict.resolution == "ignore" or not updates:
            return insert.on_conflict_do_nothing(index_elements=list(target))
        return insert.on_conflict_do_update(
            index_elements=list(target), set_={c: insert.excluded[c] for c in updates}
        )
    if bound.dialect in ("mysql", "mariadb"):
        upsert = mysql.insert(table)
        if on_conflict.resolution == "ignore" or not updates:
            first = target[0]  # a no-op update keeps the existing row
            return upsert.on_duplicate_key_update({first: table.c[first]})
        return upsert.on_duplicate_key_update({c: upsert.inserted[c] for c in updates})
    if bound.dialect in MERGE_DIALECTS:
        return Merge(table, columns, tuple(target), on_conflict.resolution == "ignore")
    raise MalformedRequestError(f"upsert is not supported on {bound.dialect} yet")


def _ignores_by_lookup(bound: Bound, on_conflict: OnConflict) -> bool:
    """MySQL/MariaDB ignore duplicates with a no-op update, which still returns and counts
    the existing row: those rows are looked up and left out first."""
    return on_conflict.resolution == "ignore" and bound.dialect in ("mysql", "mariadb")


def _without_existing(
    conn: Connection, bound: Bound, on_conflict: OnConflict, rows: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """The rows whose conflict key is neither in the table nor in an earlier row."""
    target = on_conflict.columns or bound.table.primary_key
    kept: list[dict[str, Any]] = []
    seen: set[tuple[Any, ...]] = set()
    for row in rows:
        if any(c not in row for c in target):
            kept.append(row)  # no complete key (e.g. a generated id): it cannot conflict
            continue
        key = tuple(row[c] for c in target)
        where = sa.and_(*(bound.core.c[c] == row[c] for c in target))
        if (
            key in seen
            or conn.execute(sa.select(sa.literal(1)).select_from(bound.core).where(where)).first()
        ):
            continue
        seen.add(key)
        kept.append(row)
    return kept


def _row_key(bound: Bound, row: dict[str, Any]) -> tuple[Any, ...]:
    return tuple(row.get(c) for c in bound.table.primary_key)


def _inserted_key(bound: Bound, row: dict[str, Any], result: Any) -> tuple[Any, ...]:
    pk = bound.table.primary_key
    generated = (
        tuple(result.inserted_primary_key or ()) if hasattr(result, "inserted_primary_key") else ()
    )
    if generated and None not in generated:
        return generated
    return tuple(row.get(c) for c in pk)


def _read_back(
    conn: Connection, bound: Bound, fields: tuple[Field, ...], keys: list[tuple[Any, ...]]
) -> list[dict[str, Any]]:
    pk = bound.table.primary_key
    if not pk:
        return []
    out: list[Any] = []
    for key in keys:
        where = sa.and_(*(bound.core.c[c] == v for c, v in zip(pk, key, strict=True)))
        out.extend(conn.execute(sa.select(*_returning_columns(bound, fields)).where(where)).all())
    return render_rows(bound, fields, out)


def run_update(
    ctx: QueryContext, conn: Connection, bound: Bound, update: Update
) -> tuple[int, list[dict[str, Any]]]:
    values = typed_row(bound, update.values, None)
    increments = typed_row(bound, update.increments, None)
    if not values and not increments:
        raise MalformedRequestError("nothing to update: the body names no column")
    if update.filter is None:
        raise MalformedRequestError("an update needs a filter")
    where = compile_filter(ctx, bound, update.filter)
    fields = returning_fields(bound, update.returning)
    changes = {**values, **{c: bound.core.c[c] + v for c, v in increments.items()}}
    statement = sa.update(bound.core).where(where).values(changes)
    if bound.dialect in ("postgresql", "sqlite", "duckdb"):  # RETURNING also counts (DuckDB: -1)
        returned = _by_key(
            bound,
            fields,
            conn.execute(
                statement.returning(*_returning_columns(bound, fields), *_key_columns(bound))
            ).all(),
        )
        return len(returned), render_rows(bound, fields, returned) if update.return_rows else []
    pk = bound.table.primary_key
    keys = (
        sorted(
            tuple(r)
            for r in conn.execute(sa.select(*(bound.core.c[c] for c in pk)).where(where)).all()
        )
        if pk and update.return_rows
        else []
    )
    affected = conn.execute(statement).rowcount
    if not update.return_rows:
        return affected, []
    keys = [tuple(values.get(c, k[i]) for i, c in enumerate(pk)) for k in keys]
    return affected, _read_back(conn, bound, fields, keys)


def run_delete(
    ctx: QueryContext, conn: Connection, bound: Bound, delete: Delete
) -> tuple[int, list[dict[str, Any]]]:
    if delete.filter is None:
        raise MalformedRequestError("a delete needs a filter")
    where = compile_filter(ctx, bound, delete.filter)
    fields = returning_fields(bound, delete.returning)
    statement = sa.delete(bound.core).where(where)
    if bound.dialect in RETURNING:  # RETURNING also counts (DuckDB reports no rowcount)
        returned = _by_key(
            bound,
            fields,
            conn.execute(
                statement.returning(*_returning_columns(bound, fields), *_key_columns(bound))
            ).all(),
        )
        return len(returned), render_rows(bound, fields, returned) if delete.return_rows else []
    before: list[Any] = []
    if delete.return_rows:
        pk = [bound.core.c[c] for c in bound.table.primary_key]
        before = list(
            conn.execute(
                sa.select(*_returning_columns(bound, fields)).where(where).order_by(*pk)
            ).all()
        )
    affected = conn.execute(statement).rowcount
    return affected, render_rows(bound, fields, before)
