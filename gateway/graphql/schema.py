"""The GraphQL schema of a catalog: root fields per table over the generated types.

The schema is built with graphql-core, the engine strawberry runs on:
strawberry declares types as Python classes at import time and has no API for
types that only exist at run time (strawberry-graphql/strawberry#3757), while
every table here is known only once a source is introspected, and the schema
is rebuilt whenever a source's model changes. graphql-core's parser, validator
and executor (for introspection) are used unchanged.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from graphql import (
    GraphQLArgument,
    GraphQLBoolean,
    GraphQLField,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
)

from gateway.graphql.naming import Names, build_names
from gateway.graphql.scalars import scalar_for
from gateway.graphql.types import Model, TableTypes
from schema_cache.model import Catalog, Relationship

RootKind = Literal[
    "select",
    "by_pk",
    "aggregate",
    "insert",
    "insert_one",
    "update",
    "update_by_pk",
    "delete",
    "delete_by_pk",
]


@dataclass(frozen=True, slots=True)
class RootField:
    kind: RootKind
    types: TableTypes


@dataclass(frozen=True, slots=True)
class Bundle:
    """A schema with what compiling against it needs; replaced whole when the catalog changes."""

    schema: GraphQLSchema
    names: Names
    roots: dict[str, RootField]
    models: dict[tuple[str, str, str], TableTypes]  # (source, schema, table) -> its types
    version: str

    def target(self, rel: Relationship) -> TableTypes | None:
        """The types of a relationship's target table, if it is served."""
        return _target(self.models, rel)


def catalog_version(catalog: Catalog) -> str:
    """One key for the whole catalog: the versions of its sources."""
    return "|".join(f"{s.name}={s.version}" for s in catalog.sources)


def build_bundle(
    catalog: Catalog,
    read_only: frozenset[str] = frozenset(),
    prefixes: Mapping[str, str] | None = None,
) -> Bundle:
    """The schema of `catalog`; `prefixes`: per source, the prefix of its names (`naming`)."""
    names = build_names(catalog, prefixes)
    models: dict[tuple[str, str, str], TableTypes] = {}

    def lookup(rel: Relationship) -> TableTypes | None:
        return _target(models, rel)

    for source in catalog.sources:
        for table in source.tables:
            table_names = names.of(source.name, table.schema, table.name)
            assert table_names is not None
            model = Model(source, table, table_names, source.name in read_only)
            models[(source.name, table.schema, table.name)] = TableTypes(model, lookup)
    query: dict[str, GraphQLField] = {}
    mutation: dict[str, GraphQLField] = {}
    roots: dict[str, RootField] = {}
    for types in sorted(models.values(), key=lambda t: t.model.names.base):
        _query_fields(types, query, roots)
        # Views get no mutations (as REST documents no writes on them): most are not
        # updatable, and the model does not say which are.
        if not types.model.read_only and types.model.table.kind == "table":
            _mutation_fields(types, mutation, roots)
    if not query:
        query["no_tables"] = GraphQLField(GraphQLBoolean, description="No source has tables yet.")
    schema = GraphQLSchema(
        GraphQLObjectType("query_root", query),
        GraphQLObjectType("mutation_root", mutation) if mutation else None,
    )
    return Bundle(schema, names, roots, models, catalog_version(catalog))


def _target(models: dict[tuple[str, str, str], TableTypes], rel: Relationship) -> TableTypes | None:
    found = models.get((rel.target_source, rel.target_schema, rel.target_table))
    if found is not None:
        return found
    # An empty target schema means the target source's default schema.
    return next(
        (
            t
            for (source, _, table), t in models.items()
            if source == rel.target_source
            and table == rel.target_table
            and not rel.target_schema
            and t.model.table.schema == t.model.source.default_schema
        ),
        None,
    )


def _pk_args(types: TableTypes) -> dict[str, GraphQLArgument]:
    model = types.model
    return {
        model.names.field_of(c): GraphQLArgument(
            GraphQLNonNull(scalar_for(model.table.get_column(c).family))  # type: ignore[union-attr]
        )
        for c in model.table.primary_key
    }


def _query_fields(
    types: TableTypes, query: dict[str, GraphQLField], roots: dict[str, RootField]
) -> None:
    base = types.model.names.base
    description = types.model.table.comment
    query[base] = GraphQLField(
        GraphQLNonNull(GraphQLList(GraphQLNonNull(types.object))),
        types.list_args(),
        description=description or f"Rows of {types.model.table.name}.",
    )
    roots[base] = RootField("select", types)
    if types.model.table.primary_key:
        query[f"{base}_by_pk"] = GraphQLField(types.object, _pk_args(types))
        roots[f"{base}_by_pk"] = RootField("by_pk", types)
    query[f"{base}_aggregate"] = GraphQLField(GraphQLNonNull(types.aggregate), types.list_args())
    roots[f"{base}_aggregate"] = RootField("aggregate", types)


def _mutation_fields(
    types: TableTypes, mutation: dict[str, GraphQLField], roots: dict[str, RootField]
) -> None:
    base = types.model.names.base
    conflict = {"on_conflict": GraphQLArgument(types.on_conflict)} if types.on_conflict else {}
    changes = {"_set": GraphQLArgument(types.set_input)}
    if types.inc_input is not None:
        changes["_inc"] = GraphQLArgument(types.inc_input)
    where = {"where": GraphQLArgument(GraphQLNonNull(types.bool_exp))}
    fields = {
        f"insert_{base}": (
            "insert",
            GraphQLField(
                types.mutation_response,
                {
                    "objects": GraphQLArgument(
                        GraphQLNonNull(GraphQLList(GraphQLNonNull(types.insert_input)))
                    ),
                    **conflict,
                },
            ),
        ),
        f"insert_{base}_one": (
            "insert_one",
            GraphQLField(
                types.object,
                {"object": GraphQLArgument(GraphQLNonNull(types.insert_input)), **conflict},
            ),
        ),
        f"update_{base}": ("update", GraphQLField(types.mutation_response, {**where, **changes})),
        f"delete_{base}": ("delete", GraphQLField(types.mutation_response, where)),
    }
    if types.pk_input is not None:
        fields[f"update_{base}_by_pk"] = (
            "update_by_pk",
            GraphQLField(
                types.object,
                {"pk_columns": GraphQLArgument(GraphQLNonNull(types.pk_input)), **changes},
            ),
        )
        fields[f"delete_{base}_by_pk"] = (
            "delete_by_pk",
            GraphQLField(types.object, _pk_args(types)),
        )
    for name, (kind, field) in fields.items():
        mutation[name] = field
        roots[name] = RootField(kind, types)  # type: ignore[arg-type]
