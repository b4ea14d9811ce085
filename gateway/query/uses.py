"""Every table an IR statement touches, as `TableUse`s for `Access.require`.

The walk covers the target, every table reached through an `Embed` (at any
depth) and through a `RelationshipFilter` (inside `and`/`or` trees too), and
for writes the operations an upsert or a returned representation implies. It
fails closed: an IR node it does not know raises instead of being skipped, so
a new statement kind (aggregates, ...) cannot reach SQL unchecked.
"""

from __future__ import annotations

from collections.abc import Iterator

from config.errors import FedgateError
from gateway.query.access import Operation, TableUse
from gateway.query.errors import UnknownRelationshipError, unknown_name
from gateway.query.ir import (
    Condition,
    Delete,
    Filter,
    Insert,
    Junction,
    RelationshipFilter,
    Select,
    TableRef,
    Update,
)
from schema_cache.model import Catalog, Table


class UncheckedStatementError(FedgateError):
    """An IR node the access walk does not know: refused rather than run unchecked."""

    code = "internal_error"


def table_uses(statement: object, catalog: Catalog) -> list[TableUse]:
    """The uses of `statement` in walk order, without duplicates."""
    return list(dict.fromkeys(_statement(statement, catalog)))


def _statement(statement: object, catalog: Catalog) -> Iterator[TableUse]:
    if isinstance(statement, Select):
        yield from _select(statement, catalog)
    elif isinstance(statement, Insert):
        yield _use(statement.target, "insert", catalog)
        if statement.on_conflict is not None and statement.on_conflict.resolution == "merge":
            yield _use(statement.target, "update", catalog)
        if statement.return_rows:
            yield _use(statement.target, "read", catalog)
    elif isinstance(statement, Update | Delete):
        operation: Operation = "update" if isinstance(statement, Update) else "delete"
        yield _use(statement.target, operation, catalog)
        yield from _filter(statement.filter, statement.target, catalog)
        if statement.return_rows:
            yield _use(statement.target, "read", catalog)
    else:
        raise UncheckedStatementError(f"no access rule for {type(statement).__name__}")


def _select(select: Select, catalog: Catalog) -> Iterator[TableUse]:
    yield _use(select.target, "read", catalog)
    yield from _filter(select.filter, select.target, catalog)
    for item in select.order:  # sorting by a related row's column reads that row's table
        table = select.target
        for relationship in item.path:
            table = _related(table, relationship, catalog, "order")
            yield _use(table, "read", catalog)
    for embed in select.embeds:
        target = _related(select.target, embed.relationship, catalog, "select")
        yield _use(target, "read", catalog)
        child = embed.select
        if child.target != target:  # the planner names the related table: check it too
            yield _use(child.target, "read", catalog)
        yield from _select(
            Select(target, child.fields, child.embeds, child.filter, child.order), catalog
        )


def _filter(node: Filter | None, table: TableRef, catalog: Catalog) -> Iterator[TableUse]:
    if node is None or isinstance(node, Condition):
        return
    if isinstance(node, Junction):
        for item in node.items:
            yield from _filter(item, table, catalog)
    elif isinstance(node, RelationshipFilter):
        target = _related(table, node.relationship, catalog, "filter")
        yield _use(target, "read", catalog)
        yield from _filter(node.filter, target, catalog)
    else:
        raise UncheckedStatementError(f"no access rule for filter {type(node).__name__}")


def _use(ref: TableRef, operation: Operation, catalog: Catalog) -> TableUse:
    """A use with the default schema spelled None, as scopes name such tables."""
    source = catalog.get_source(ref.source)
    schema = ref.schema
    if source is not None and schema == source.default_schema:
        schema = None
    return TableUse(ref.source, ref.table, operation, schema)


def _related(ref: TableRef, relationship: str, catalog: Catalog, parameter: str) -> TableRef:
    table = _table(ref, catalog)
    rel = table.get_relationship(relationship) if table is not None else None
    if rel is None:  # unknown: refuse now, before any SQL of the statement runs
        names = [r.name for r in table.relationships] if table is not None else []
        raise UnknownRelationshipError(
            f"unknown relationship '{relationship}' on '{ref.table}'",
            errors=[unknown_name("relationship", relationship, names, parameter)],
        )
    return TableRef(rel.target_source, rel.target_table, rel.target_schema or None)


def _table(ref: TableRef, catalog: Catalog) -> Table | None:
    source = catalog.get_source(ref.source)
    return source.get_table(ref.table, ref.schema) if source is not None else None
