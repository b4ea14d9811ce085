"""`{t}_bool_exp` and `{t}_order_by` values as IR filters and order items.

`None` stands for "every row" (an empty expression, `{}`): it never becomes
SQL of its own. Columns within one expression, operators within one column,
and `_and` items are ANDed; `_or: []` matches no row, `_and: []` every row.
Relationship conditions become EXISTS through `ir.RelationshipFilter`.
"""

from __future__ import annotations

from typing import Any

from gateway.graphql.types import TableTypes
from gateway.query import ir
from gateway.query.errors import MalformedRequestError

_OPS: dict[str, tuple[ir.Op, bool]] = {
    "_eq": ("eq", False),
    "_neq": ("neq", False),
    "_gt": ("gt", False),
    "_gte": ("gte", False),
    "_lt": ("lt", False),
    "_lte": ("lte", False),
    "_in": ("in", False),
    "_nin": ("in", True),
    "_like": ("like", False),
    "_nlike": ("like", True),
    "_ilike": ("ilike", False),
    "_nilike": ("ilike", True),
}


def never(types: TableTypes) -> ir.Filter:
    """A filter no row matches (`col IN ()` compiles to FALSE on every dialect)."""
    return ir.Condition(types.model.table.column_names[0], "in", ())


def every_row(types: TableTypes) -> ir.Filter:
    """A filter every row matches, for writes that need one (`where: {}`)."""
    return ir.Junction("and", (never(types),), negate=True)


def build_filter(types: TableTypes, value: dict[str, Any] | None, path: str) -> ir.Filter | None:
    """The filter of one `{t}_bool_exp` value; `path` names it in errors (`where._or[1]`)."""
    if not value:
        return None
    parts: list[ir.Filter | None] = []
    for key, item in value.items():
        where = f"{path}.{key}"
        if key == "_and":
            parts.append(_all(types, item, where))
        elif key == "_or":
            parts.append(_any(types, item, where))
        elif key == "_not":
            if item is None:
                raise _null(where)
            inner = build_filter(types, item, where)
            parts.append(never(types) if inner is None else _negated(inner))
        elif key in types.model.names.columns:
            parts.append(_column(types.model.names.columns[key], item, where))
        else:
            parts.append(_relationship(types, key, item, where))
    return _and(parts)


def _all(types: TableTypes, items: list[Any] | None, path: str) -> ir.Filter | None:
    if items is None:
        raise _null(path)
    return _and([build_filter(types, v, f"{path}[{i}]") for i, v in enumerate(items)])


def _any(types: TableTypes, items: list[Any] | None, path: str) -> ir.Filter | None:
    if items is None:
        raise _null(path)
    if not items:
        return never(types)
    parts = [build_filter(types, v, f"{path}[{i}]") for i, v in enumerate(items)]
    if any(part is None for part in parts):
        return None  # one branch matches every row
    return parts[0] if len(parts) == 1 else ir.Junction("or", tuple(p for p in parts if p))


def _and(parts: list[ir.Filter | None]) -> ir.Filter | None:
    kept = tuple(p for p in parts if p is not None)
    if not kept:
        return None
    return kept[0] if len(kept) == 1 else ir.Junction("and", kept)


def _negated(node: ir.Filter) -> ir.Filter:
    return ir.Junction("and", (node,), negate=True)


def _column(column: str, ops: dict[str, Any] | None, path: str) -> ir.Filter | None:
    if ops is None:
        raise _null(path)
    parts: list[ir.Filter | None] = []
    for op, value in ops.items():
        where = f"{path}.{op}"
        if op == "_is_null":
            if value is None:
                raise _null(where)
            parts.append(ir.Condition(column, "is", None, negate=not value))
            continue
        if value is None:
            raise MalformedRequestError(
                f"'{where}' is null: compare with null through _is_null",
                errors=[{"parameter": where, "detail": "null value; use _is_null"}],
            )
        name, negate = _OPS[op]
        operand = tuple(value) if name == "in" else value
        parts.append(ir.Condition(column, name, operand, negate=negate))
    return _and(parts)


def _relationship(types: TableTypes, key: str, value: Any, path: str) -> ir.Filter:
    if value is None:
        raise _null(path)
    rel = types.model.relationship(key)
    target = types.lookup(rel)
    assert target is not None  # the schema only offers relationships with a served target
    return ir.RelationshipFilter(rel.name, build_filter(target, value, path))


def _null(path: str) -> MalformedRequestError:
    return MalformedRequestError(
        f"'{path}' must not be null", errors=[{"parameter": path, "detail": "null value"}]
    )


def build_order(types: TableTypes, value: list[dict[str, Any]] | None) -> tuple[ir.OrderItem, ...]:
    """`order_by` items in the order given (within one object, in its key order); an object
    relationship's entry sorts by the related row's columns (`{author: {name: asc}}`)."""
    items: list[ir.OrderItem] = []
    for entry in value or ():
        items.extend(_order_entry(types, entry, ()))
    return tuple(items)


def _order_entry(
    types: TableTypes, entry: dict[str, Any], path: tuple[str, ...]
) -> list[ir.OrderItem]:
    items: list[ir.OrderItem] = []
    for key, direction in entry.items():
        if direction is None:
            continue
        if key in types.model.names.columns:
            how, nulls = direction
            column = types.model.names.columns[key]
            items.append(ir.OrderItem(column, how == "desc", nulls, path))
        else:
            rel = types.model.relationship(key)
            target = types.lookup(rel)
            assert target is not None  # the schema only offers served, same-source targets
            items.extend(_order_entry(target, direction, (*path, rel.name)))
    return items
