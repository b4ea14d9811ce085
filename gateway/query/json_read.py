"""A read PostgreSQL answers as one JSON text, planned once and passed through untouched.

`plan_json_read` resolves everything a read needs that does not change between
requests of the same shape and values (the tables it touches, the prepared
statement, its typed parameters); a caller that repeats the read (a cached
GraphQL plan) keeps the plan and only checks access and runs it.

`passthrough` hands PostgreSQL's text to the response as the bytes
`orjson.dumps(orjson.loads(text))` would give, without building a Python object
per value: whole-row levels come back compact (`to_json` of an array of rows,
`row_to_json`: no space anywhere, strings escaped as orjson escapes them).
Levels of `json_build_object` (aliased keys: `"k" : v`, and `json_agg`'s
`", \\n "` between them) or of JSON-typed columns (the stored text's own spacing)
are not compact and are parsed as before (`compact`).

One level of plain columns (`json_select.plain_rows`: integers, text, decimals and
binary as text, booleans, UUIDs) is also planned as plain rows, which orjson writes as
the same text, and read so when no other read on the loop is waiting on a database
(`_Waiting`): PostgreSQL's building of the JSON array costs more than the rows
(100 TPC-H customers through psycopg: 0.74-0.80 ms as JSON text against 0.53-0.58 ms
as rows written by orjson), but writing them costs the gateway's one process more
CPU (~0.2 ms), which under concurrent load caps its throughput (BENCHMARKS.md
"Performance push 9").
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import repeat
from typing import Any

import orjson
import sqlalchemy as sa

from connectors.base import Connector
from connectors.errors import wrap_driver_error, wrap_execution_error
from connectors.types import TypeFamily
from gateway.query.access import TableUse, current_access
from gateway.query.context import Bound, QueryContext
from gateway.query.driver_read import fetch_rows, observed
from gateway.query.ir import Select, TableRef
from gateway.query.json_select import (
    can_build_json,
    counted_json_statement,
    json_statement,
    named_by_model,
    plain_rows,
    rows_statement,
)
from gateway.query.offload import reading_on_loop
from gateway.query.prepared import Prepared
from gateway.query.select import output_fields
from gateway.query.session import read_session
from gateway.query.shapes import shape_of
from gateway.query.uses import table_uses
from schema_cache.model import Catalog


@dataclass(frozen=True, slots=True)
class JsonRead:
    """One read's statement with its values bound, and every table it touches."""

    uses: tuple[TableUse, ...]
    connector: Connector
    prepared: Prepared
    params: dict[str, Any]
    compact: bool  # PostgreSQL writes the text as orjson would (whole rows, no JSON column)
    rows: PlainRows | None = None  # the same read as plain rows, when `plain_rows` allows


@dataclass(frozen=True, slots=True)
class PlainRows:
    """A read of one level of plain columns as rows, which orjson writes as the same text."""

    prepared: Prepared
    params: dict[str, Any]
    keys: tuple[str, ...]  # each row's keys, in column order


class _Waiting:
    """Reads on the loop waiting on their database right now (touched by the loop's thread
    only). With none, a read's JSON is written here (the gateway would otherwise wait idle
    while PostgreSQL builds it); with others in flight, PostgreSQL builds it (its other
    backends work in parallel, the gateway's one process is the busy one)."""

    count = 0


def plan_json_read(
    ctx: QueryContext,
    select: Select,
    catalog: Catalog,
    *,
    uses: tuple[TableUse, ...] | None = None,
    counted: bool = False,
) -> JsonRead | None:
    """The read as one PostgreSQL statement, or None when another path must serve it.
    Raises as the read would for values that do not fit their columns (422). `uses`: the
    read's tables, when the caller has them already. `counted`: the statement also returns
    the number of rows (`run_counted_json_read`); only for compact reads (None otherwise)."""
    bound = ctx.bind(select.target, catalog=catalog)
    if select.count or not can_build_json(ctx, bound, select, catalog):
        return None
    compact = _compact(ctx, bound, select, catalog)
    if counted and not compact:
        return None
    found = prepare_json(ctx, bound, select, catalog, kind="json-counted" if counted else "json")
    if found is None:
        return None
    prepared, params = found
    rows = None
    keys = plain_rows(bound, select)
    if keys is not None:
        plain = prepare_json(ctx, bound, select, catalog, kind="rows")
        rows = None if plain is None else PlainRows(*plain, keys)
    uses = tuple(table_uses(select, catalog)) if uses is None else uses
    return JsonRead(uses, bound.connector, prepared, params, compact, rows)


BUILDERS = {"json": json_statement, "json-counted": counted_json_statement, "rows": rows_statement}


def prepare_json(
    ctx: QueryContext, bound: Bound, select: Select, catalog: Catalog, *, kind: str = "json"
) -> tuple[Prepared, dict[str, Any]] | None:
    """The shape's statement of `kind` (`BUILDERS`; built once) and this read's typed values,
    or None when the statement does not bind every value (the caller builds it with the
    values inline)."""
    shape, values = shape_of(select)  # one statement: the embeds' values are slots too
    key = (kind, bound.source.name, bound.source.version, bound.dialect, shape)
    build = BUILDERS[kind]
    prepared = ctx.statements.prepare(key, len(values), lambda: build(ctx, bound, shape, catalog))
    if prepared is None:
        return None
    return prepared, prepared.params(values)


def run_json_read(read: JsonRead) -> str | bytes:
    """Check the caller's rights on every table, then read: the rows as JSON text."""
    found, keys = _read(read)
    if keys is not None:
        return _written(keys, found)
    text: str = found[0][0]
    return text


def run_counted_json_read(read: JsonRead) -> tuple[str | bytes, int]:
    """`run_json_read` of a `counted` plan: the text and its number of rows."""
    found, keys = _read(read)
    if keys is not None:
        return _written(keys, found), len(found)
    text, count = found[0]
    return text, count


def _written(keys: tuple[str, ...], rows: Sequence[Sequence[Any]]) -> bytes:
    # map/zip in C: a third faster than a comprehension of zip(strict=True) (100 rows, 8 keys)
    return orjson.dumps(list(map(dict, map(zip, repeat(keys), rows))))


def _read(read: JsonRead) -> tuple[Sequence[Sequence[Any]], tuple[str, ...] | None]:
    """The statement's rows, and the keys when they are plain rows (else one JSON text)."""
    current_access().require(read.uses)  # every table, before any SQL
    engine = read.connector.loop_engine() if reading_on_loop() else None
    if engine is not None and not observed(engine):
        plain = read.rows if _Waiting.count == 0 else None
        prepared, params = (plain.prepared, plain.params) if plain else (read.prepared, read.params)
        call = prepared.driver_call(engine.dialect, params)
        if call is not None:
            _Waiting.count += 1
            try:
                return fetch_rows(engine, *call), plain.keys if plain else None
            except sa.exc.TimeoutError as exc:  # no pooled connection came free in time
                raise wrap_driver_error(exc, read.connector.name) from exc
            except sa.exc.SQLAlchemyError as exc:
                connector = read.connector
                raise wrap_execution_error(exc, connector.name, connector.dialect) from exc
            finally:
                _Waiting.count -= 1
    with read_session() as session:
        return session.fetch_prepared(read.connector, read.prepared, read.params), None


def passthrough(
    read: JsonRead, text: str | bytes, *, single: bool = False
) -> orjson.Fragment | None:
    """`text` as it goes into a response when it needs no parsing, else None. `single`: a
    by-key read (`[{...}]` or `[]`) as its one object or `null`."""
    if not read.compact:
        return None
    if single:
        return orjson.Fragment(text[1:-1] or b"null")
    return orjson.Fragment(text)


def _compact(ctx: QueryContext, bound: Bound, select: Select, catalog: Catalog) -> bool:
    """Whether every level aggregates whole rows and no value is JSON-typed text."""
    fields = output_fields(bound, select)
    if not named_by_model(select, fields):
        return False
    for field in fields:
        column = bound.table.get_column(field.column)
        if column is None or column.family is TypeFamily.JSON:
            return False
    for embed in select.embeds:
        rel = bound.table.get_relationship(embed.relationship)
        if rel is None:
            return False
        target = TableRef(rel.target_source, rel.target_table, rel.target_schema or None)
        if not _compact(ctx, ctx.bind(target, catalog=catalog), embed.select, catalog):
            return False
    return True
