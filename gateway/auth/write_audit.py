"""What the audit log records of a committed write: table, operation, primary keys, count."""

from __future__ import annotations

from typing import Any

from gateway.query.ir import Condition, Delete, Filter, Insert, Junction, Result, Update
from schema_cache.model import Table

MAX_KEYS = 1000  # keys kept per entry; the count is always exact


def write_detail(
    statement: Insert | Update | Delete, table: Table, result: Result
) -> dict[str, Any]:
    """The entry's detail; row values other than primary keys are never included."""
    operation = {Insert: "insert", Update: "update", Delete: "delete"}[type(statement)]
    if isinstance(statement, Insert) and statement.on_conflict is not None:
        operation = "upsert"
    keys = primary_keys(statement, table, result)
    detail: dict[str, Any] = {
        "source": statement.target.source,
        "table": statement.target.table,
        "schema": table.schema,
        "operation": operation,
        "rows": result.affected,
        "primary_key": list(table.primary_key),
        "keys": keys[:MAX_KEYS] if keys is not None else None,
    }
    if keys is not None and len(keys) > MAX_KEYS:
        detail["keys_truncated"] = True
    return detail


def primary_keys(
    statement: Insert | Update | Delete, table: Table, result: Result
) -> list[list[Any]] | None:
    """Keys of the written rows when the request shows them (returned rows, body, key filter)."""
    pk = table.primary_key
    if not pk:
        return None
    if result.rows and all(c in result.rows[0] for c in pk):
        return [[row[c] for c in pk] for row in result.rows]
    if isinstance(statement, Insert):
        if all(isinstance(row, dict) and all(c in row for c in pk) for row in statement.rows):
            return [[_plain(row[c]) for c in pk] for row in statement.rows]
        return None
    found = _key_conditions(statement.filter, pk)
    return [[found[c] for c in pk]] if found is not None else None


def _key_conditions(node: Filter | None, pk: tuple[str, ...]) -> dict[str, Any] | None:
    """`pk = value` for every key column, from a filter that is an `and` of conditions."""
    items: tuple[Filter, ...]
    if isinstance(node, Condition):
        items = (node,)
    elif isinstance(node, Junction) and node.kind == "and" and not node.negate:
        items = node.items
    else:
        return None
    found: dict[str, Any] = {}
    for item in items:
        if isinstance(item, Junction):
            inner = _key_conditions(item, pk)
            found.update(inner or {})
        elif (
            isinstance(item, Condition)
            and item.op == "eq"
            and not item.negate
            and item.column in pk
        ):
            found[item.column] = _plain(item.value)
    return found if all(c in found for c in pk) else None


def _plain(value: Any) -> Any:
    return value if isinstance(value, str | int | float | bool) or value is None else str(value)
