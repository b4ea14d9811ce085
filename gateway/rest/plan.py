"""Resolve a parsed REST query against the model: names checked, `*` expanded, embeds bound.

Embeds are named by relationship, or PostgREST style by the target table when
exactly one relationship of the table points to it; `name!hint(...)` picks one
by relationship or foreign-key name. `name!inner(...)` keeps only parents with
at least one embedded row matching the embed's own filters.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from gateway.query import ir
from gateway.query.errors import (
    MalformedRequestError,
    UnknownColumnError,
    UnknownRelationshipError,
    UnknownTableError,
    unknown_name,
)
from gateway.rest.grammar import EmbedTree, ParsedQuery, Path, SelectTree, all_of
from gateway.rest.grammar_filters import Scanner, malformed, shown
from schema_cache.model import Catalog, Relationship, Source, Table


@dataclass(frozen=True, slots=True)
class PlanNotes:
    clamped_from: int | None = None  # the root limit asked for, when above max_limit
    embed_clamps: tuple[tuple[Path, int], ...] = ()  # embed limits asked above max_limit


def plan_select(
    source: Source,
    table: Table,
    parsed: ParsedQuery,
    *,
    default_limit: int | None,
    max_limit: int,
    catalog: Catalog | None = None,
    range_: tuple[int, int | None] | None = None,
) -> tuple[ir.Select, PlanNotes]:
    """The Select for a GET; every root read is capped at `max_limit` rows.

    Args:
        catalog: where embeds crossing into another source find their target table.
        range_: a `Range` header's (offset, limit), used when the query sets neither.
    """
    planner = _Planner(parsed, catalog, max_limit)
    select, has_columns = planner.level(source, table, parsed.select, ())
    if not has_columns:
        raise malformed("select", "select at least one column or * at the root")
    planner.check_paths()
    scope = parsed.scope()
    asked, offset = scope.limit, scope.offset
    if range_ is not None and asked is None and offset is None:
        offset, asked = range_
    wanted = asked if asked is not None else default_limit
    limit = max_limit if wanted is None else min(wanted, max_limit)
    clamped = asked if asked is not None and asked > max_limit else None
    select = dataclasses.replace(select, limit=limit, offset=offset or 0)
    return select, PlanNotes(clamped, tuple(planner.clamps))


def plan_filter_only(table: Table, parsed: ParsedQuery) -> ir.Filter | None:
    """The root filter of a PATCH or DELETE; embeds, order and paging are refused."""
    for path, scope in parsed.scopes.items():
        if path:
            raise malformed(scope.parameters[0], "embedded resources cannot be filtered here")
    if parsed.select.embeds:
        raise malformed("select", "embedded resources are not supported in a write")
    scope = parsed.scope()
    for name in ("order", "limit", "offset"):
        if name in scope.parameters:
            raise malformed(name, "not supported in a write")
    for node, parameter in zip(scope.filters, scope.filter_parameters, strict=True):
        check_filter(table, node, parameter)
    return scope.filter


def plan_returning(table: Table, parsed: ParsedQuery) -> tuple[ir.Field, ...]:
    """The columns a write returns (`select`, no embeds); `*` is every column."""
    if parsed.select.embeds:
        raise malformed("select", "embedded resources are not supported in a write")
    return _fields(table, parsed.select)


def split_pk(table: Table, pk_segment: str) -> tuple[str, ...]:
    """The `/table/{pk}` values in key order; quote values holding commas ("a,b")."""
    if not table.primary_key:
        raise malformed("pk", f"table '{table.name}' has no primary key: select rows with filters")
    scanner = Scanner(pk_segment, "pk")
    values = scanner.items("", '"')
    if not scanner.at_end():
        raise scanner.error("',' or the end of the key")
    if len(values) != len(table.primary_key):
        key = ",".join(table.primary_key)
        raise malformed(
            "pk", f"expected {len(table.primary_key)} value(s) for ({key}), got {len(values)}"
        )
    return values


def pk_filter(table: Table, pk_segment: str) -> ir.Filter:
    values = split_pk(table, pk_segment)
    conditions = [
        ir.Condition(column, "eq", value)
        for column, value in zip(table.primary_key, values, strict=True)
    ]
    return conditions[0] if len(conditions) == 1 else ir.Junction("and", tuple(conditions))


def check_columns(table: Table, names: tuple[str, ...], parameter: str) -> tuple[str, ...]:
    """`names` when every one is a column of `table` (e.g. `on_conflict`, `columns`)."""
    for name in names:
        _check_column(table, name, parameter)
    return names


def check_filter(table: Table, node: ir.Filter, parameter: str) -> None:
    if isinstance(node, ir.Condition):
        _check_column(table, node.column, parameter)
    elif isinstance(node, ir.Junction):
        for item in node.items:
            check_filter(table, item, parameter)
    elif table.get_relationship(node.relationship) is None:
        raise _unknown_relationship(table, node.relationship, parameter)


def resolve_embed(table: Table, embed: EmbedTree, parameter: str = "select") -> Relationship:
    """The relationship an embed names: by relationship name, else by target table; hint picks."""
    by_name = [r for r in table.relationships if r.name == embed.name]
    by_table = [r for r in table.relationships if r.target_table == embed.name and r not in by_name]
    pool = by_name or by_table
    if embed.hint is not None:
        pool = [r for r in by_name + by_table if embed.hint in (r.name, r.origin)]
        pool = [r for r in pool if r.name == embed.hint] or pool
    if len(pool) == 1:
        return pool[0]
    if not pool and not (by_name or by_table):
        raise _unknown_relationship(table, embed.name, parameter)
    choices = by_name + by_table
    options = ", ".join(f"{r.name} (foreign key {r.origin})" for r in choices)
    if not pool:
        detail = (
            f"no relationship to '{shown(embed.name)}' matches hint '{shown(embed.hint or '')}'"
        )
    else:
        detail = f"'{shown(embed.name)}' matches several relationships"
    raise MalformedRequestError(
        f"{detail} of '{table.name}': write {shown(embed.name)}!<hint>(...) with one of {options}",
        errors=[
            {
                "parameter": parameter,
                "name": shown(embed.name),
                "detail": detail,
                "valid": sorted({r.name for r in choices} | {r.origin for r in choices}),
            }
        ],
    )


class _Planner:
    """Walks the select tree; records which embed paths exist and which limits were clamped."""

    def __init__(self, parsed: ParsedQuery, catalog: Catalog | None, max_limit: int) -> None:
        self.parsed = parsed
        self.catalog = catalog
        self.max_limit = max_limit
        self.paths: set[Path] = set()
        self.clamps: list[tuple[Path, int]] = []

    def level(
        self, source: Source, table: Table, tree: SelectTree, path: Path
    ) -> tuple[ir.Select, bool]:
        """One level's Select, and whether it has output (`rel()` only filters)."""
        self.paths.add(path)
        scope = self.parsed.scope(path)
        prefix = "".join(f"{name}." for name in path)
        for node, parameter in zip(scope.filters, scope.filter_parameters, strict=True):
            check_filter(table, node, parameter)
        for item in scope.order:
            _check_column(table, item.column, prefix + "order")
        filters = list(scope.filters)
        embeds: list[ir.Embed] = []
        for embed in tree.embeds:
            rel = resolve_embed(table, embed)
            target_source, target = self._target(source, rel)
            child_path = (*path, embed.output_name)
            child, has_columns = self.level(target_source, target, embed.tree, child_path)
            if embed.inner:
                if rel.target_source != source.name:
                    raise malformed("select", f"!inner cannot cross sources ('{rel.name}')")
                filters.append(ir.RelationshipFilter(rel.name, child.filter))
            if has_columns:
                alias = embed.alias or (embed.name if embed.name != rel.name else None)
                embeds.append(ir.Embed(rel.name, child, alias))
        fields = _fields(table, tree)
        if embeds and not fields:
            where = f"in '{'.'.join(path)}'" if path else "at the root"
            raise malformed("select", f"select at least one column or * {where}")
        _check_unique(fields, embeds)
        limit = scope.limit
        if path and limit is not None and limit > self.max_limit:  # the root: plan_select
            self.clamps.append((path, limit))
            limit = self.max_limit
        ref = ir.TableRef(source.name, table.name, table.schema)
        select = ir.Select(
            ref, fields, tuple(embeds), all_of(filters), scope.order, limit, scope.offset or 0
        )
        return select, bool(fields)

    def check_paths(self) -> None:
        for path, scope in self.parsed.scopes.items():
            if path not in self.paths:
                name = ".".join(path)
                valid = [".".join(p) for p in self.paths if p]
                parameter = scope.parameters[0]
                raise UnknownRelationshipError(
                    f"'{shown(name)}' is not an embedded resource of select",
                    errors=[unknown_name("embedded resource", shown(name), valid, parameter)],
                )

    def _target(self, source: Source, rel: Relationship) -> tuple[Source, Table]:
        model = source if rel.target_source == source.name else None
        if model is None and self.catalog is not None:
            model = self.catalog.get_source(rel.target_source)
        table = model.get_table(rel.target_table, rel.target_schema or None) if model else None
        if model is None or table is None:
            detail = f"the target of relationship '{rel.name}' is not available"
            raise UnknownTableError(
                detail, errors=[{"parameter": "select", "name": rel.name, "detail": detail}]
            )
        return model, table


def _fields(table: Table, tree: SelectTree) -> tuple[ir.Field, ...]:
    fields = [ir.Field(name) for name in table.column_names] if tree.star else []
    for item in tree.fields:
        _check_column(table, item.column, "select")
        if item not in fields:
            fields.append(item)
    return tuple(fields)


def _check_unique(fields: tuple[ir.Field, ...], embeds: list[ir.Embed]) -> None:
    seen: set[str] = set()
    for name in [f.output_name for f in fields] + [e.output_name for e in embeds]:
        if name in seen:
            raise malformed("select", f"two outputs are named '{shown(name)}': rename one (alias:)")
        seen.add(name)


def _check_column(table: Table, name: str, parameter: str) -> None:
    if table.get_column(name) is None:
        raise UnknownColumnError(
            f"unknown column '{shown(name)}' in table '{table.name}'",
            errors=[unknown_name("column", shown(name), table.column_names, parameter)],
        )


def _unknown_relationship(table: Table, name: str, parameter: str) -> UnknownRelationshipError:
    return UnknownRelationshipError(
        f"unknown relationship '{shown(name)}' on '{table.name}'",
        errors=[
            unknown_name(
                "relationship", shown(name), [r.name for r in table.relationships], parameter
            )
        ],
    )
