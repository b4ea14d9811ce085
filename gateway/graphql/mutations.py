"""Mutation fields as IR writes: each field is one `run_write`, so one transaction.

`returning` with only columns comes back from the write itself. With
relationships, the write returns the primary keys and one read (with embeds)
follows, by those keys; for deletes that read runs first, since the rows are
gone afterwards. Those reads run in the write's transaction, on its connection
(`gateway.query.executor.WriteReads`): they see exactly what it wrote.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from graphql.language import FieldNode

from gateway.graphql.compile import HIDDEN, Compiler, Level, pk_filter
from gateway.graphql.schema import RootField
from gateway.graphql.types import TableTypes
from gateway.graphql.where import build_filter, every_row
from gateway.query import ir
from gateway.query.errors import MalformedRequestError


@dataclass
class Returning:
    """The rows a mutation field gives back: how to read them and lay them out."""

    select: ir.Select  # fields and embeds of the selection (no filter)
    level: Level
    by_read: bool  # relationships (or a table without RETURNING columns): read after writing


@dataclass
class WritePlan:
    statement: ir.Insert | ir.Update | ir.Delete
    returning: Returning | None  # None: no rows asked
    single: bool  # `_one` / `_by_pk`: the row itself, not {affected_rows, returning}
    layout: list[tuple[str, str]]  # (response key, affected_rows|returning|__typename)
    type_name: str


def plan_write(
    compiler: Compiler, root: RootField, node: list[FieldNode], args: dict[str, Any], path: str
) -> WritePlan:
    types = root.types
    single = root.kind in ("insert_one", "update_by_pk", "delete_by_pk")
    layout: list[tuple[str, str]] = []
    returning_nodes: list[FieldNode] = []
    if single:
        returning_nodes = node
    else:
        for key, same in compiler.collector.collect(node).items():
            name = same[0].name.value
            layout.append((key, name))
            if name == "returning":
                returning_nodes = same
    returning = _returning(compiler, types, returning_nodes, path) if returning_nodes else None
    fields = returning.select.fields if returning and not returning.by_read else ()
    if returning and returning.by_read:
        fields = tuple(
            ir.Field(c, f"{HIDDEN}pk{i}") for i, c in enumerate(types.model.table.primary_key)
        )
    return_rows = returning is not None
    ref = ir.TableRef(types.model.source.name, types.model.table.name, types.model.table.schema)
    statement: ir.Insert | ir.Update | ir.Delete
    if root.kind in ("insert", "insert_one"):
        objects = args["objects"] if root.kind == "insert" else [args["object"]]
        rows = tuple(_columns(types, row) for row in objects)
        statement = ir.Insert(ref, rows, fields, return_rows, _on_conflict(args.get("on_conflict")))
    elif root.kind in ("update", "update_by_pk"):
        where = (
            pk_filter(types, args["pk_columns"])
            if root.kind == "update_by_pk"
            else build_filter(types, args["where"], f"{path}.where") or every_row(types)
        )
        values = _columns(types, args.get("_set") or {})
        increments = _columns(types, args.get("_inc") or {})
        if not values and not increments:
            raise MalformedRequestError(
                f"'{path}' changes nothing: give _set or _inc",
                errors=[{"parameter": f"{path}._set", "detail": "no column to change"}],
            )
        statement = ir.Update(ref, values, where, fields, return_rows, increments)
    else:
        where = (
            pk_filter(types, args)
            if root.kind == "delete_by_pk"
            else build_filter(types, args["where"], f"{path}.where") or every_row(types)
        )
        statement = ir.Delete(ref, where, fields, return_rows)
    response_type = types.object.name if single else types.mutation_response.name
    return WritePlan(statement, returning, single, layout, response_type)


def _returning(
    compiler: Compiler, types: TableTypes, nodes: list[FieldNode], path: str
) -> Returning:
    fields, embeds, level = compiler.level(types, nodes, f"{path}.returning")
    ref = ir.TableRef(types.model.source.name, types.model.table.name, types.model.table.schema)
    select = ir.Select(ref, tuple(fields), tuple(embeds))
    by_read = bool(embeds)
    if by_read:  # the read adds hidden primary-key fields: lay the rows out to drop them
        level = dataclasses.replace(level, shaped=True)
    if by_read and not types.model.table.primary_key:
        raise MalformedRequestError(
            f"'{path}.returning' selects relationships of '{types.model.table.name}', "
            "which has no primary key to read the written rows back by",
            errors=[{"parameter": f"{path}.returning", "detail": "no primary key"}],
        )
    return Returning(select, level, by_read)


def _columns(types: TableTypes, value: dict[str, Any]) -> dict[str, Any]:
    names = types.model.names.columns
    return {names[key]: item for key, item in value.items()}


def _on_conflict(value: dict[str, Any] | None) -> ir.OnConflict | None:
    if value is None:
        return None
    columns: tuple[str, ...] = value["constraint"]
    update = tuple(value.get("update_columns") or ())
    if not update:
        return ir.OnConflict(columns, "ignore")
    return ir.OnConflict(columns, "merge", update)


def keyed_read(plan: WritePlan, keys: list[tuple[Any, ...]], types: TableTypes) -> ir.Select:
    """The read of written rows with relationships, by the primary keys the write returned."""
    assert plan.returning is not None
    key = types.model.table.primary_key
    if len(key) == 1:
        where: ir.Filter = ir.Condition(key[0], "in", tuple(k[0] for k in keys))
    else:
        where = ir.Junction(
            "or",
            tuple(
                ir.Junction(
                    "and", tuple(ir.Condition(c, "eq", v) for c, v in zip(key, k, strict=True))
                )
                for k in keys
            )
            or (ir.Condition(key[0], "in", ()),),
        )
    hidden = tuple(ir.Field(c, f"{HIDDEN}pk{i}") for i, c in enumerate(key))
    select = plan.returning.select
    return dataclasses.replace(select, fields=select.fields + hidden, filter=where)
