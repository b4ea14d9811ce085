"""Resolve `source.table` / `source.schema.table` against the catalog, with close matches."""

from __future__ import annotations

import difflib
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from sqlglot import exp

from connectors.errors import SourceUnavailableError
from gateway.federation.errors import SqlUnknownTableError
from schema_cache.model import Catalog, Column, Source, Table

SYNTHETIC_CATALOG = "fgc"
MAX_SUGGESTIONS = 5


@dataclass(frozen=True, slots=True)
class TableName:
    source: str
    schema: str
    name: str

    def __str__(self) -> str:
        return f"{self.source}.{self.schema}.{self.name}"


@dataclass(frozen=True, slots=True)
class Binding:
    """A table the statement reads: its name, model and source model."""

    name: TableName
    source: Source
    table: Table

    def get_column(self, lowered: str) -> Column | None:
        """The column whose name is `lowered` ignoring case (DuckDB's identifier rule)."""
        exact = self.table.get_column(lowered)
        if exact is not None:
            return exact
        return next((c for c in self.table.columns if c.name.lower() == lowered), None)


def synthetic_db(index: int) -> str:
    return f"fgs{index}"


def resolve_tables(
    tree: exp.Expr, catalog: Catalog, configured: Collection[str] = ()
) -> tuple[Binding, ...]:
    """Bind every table of `tree` (in place) to a catalog table; raise listing unknown ones.

    Each table is renamed `fgc.fgs<k>.fgt<k>` (k = its index in the result) and keeps the
    name the query used as its alias, so qualification works on lower-case synthetic names
    whatever the case and quoting rules of the source.
    """
    ctes = {cte.alias_or_name.lower() for cte in tree.find_all(exp.CTE)}
    bindings: dict[TableName, int] = {}
    found: list[Binding] = []
    unknown: list[dict[str, Any]] = []
    for node in list(tree.find_all(exp.Table)):
        parts = [p.name for p in node.parts]
        if len(parts) == 1 and parts[0].lower() in ctes:
            continue
        binding = _bind(parts, catalog, configured, unknown)
        if binding is None:
            continue
        index = bindings.setdefault(binding.name, len(bindings))
        if index == len(found):
            found.append(binding)
        alias = node.alias or binding.name.name
        node.set("catalog", exp.to_identifier(SYNTHETIC_CATALOG))
        node.set("db", exp.to_identifier(synthetic_db(index)))
        node.set("this", exp.to_identifier(f"fgt{index}"))
        node.set("alias", exp.TableAlias(this=exp.to_identifier(alias.lower())))
    if unknown:
        names = ", ".join(f"'{u['name']}'" for u in unknown)
        raise SqlUnknownTableError(f"unknown table {names}", errors=unknown)
    return tuple(found)


def _bind(
    parts: list[str], catalog: Catalog, configured: Collection[str], unknown: list[dict[str, Any]]
) -> Binding | None:
    written = ".".join(parts)
    if len(parts) < 2:
        unknown.append(_unknown(written, "name tables as source.table", catalog))
        return None
    source_name, schema, table_name = (
        (parts[0], None, parts[1]) if len(parts) == 2 else (parts[0], parts[1], parts[2])
    )
    source = _source(catalog, source_name)
    if source is None:
        if source_name in configured:
            raise SourceUnavailableError(source_name, "not introspected yet")
        unknown.append(_unknown(written, f"unknown source '{source_name}'", catalog))
        return None
    table = _table(source, schema, table_name)
    if table is None:
        unknown.append(_unknown(written, f"unknown table in source '{source.name}'", catalog))
        return None
    return Binding(TableName(source.name, table.schema, table.name), source, table)


def _source(catalog: Catalog, name: str) -> Source | None:
    exact = catalog.get_source(name)
    if exact is not None:
        return exact
    matches = [s for s in catalog.sources if s.name.lower() == name.lower()]
    return matches[0] if len(matches) == 1 else None


def _table(source: Source, schema: str | None, name: str) -> Table | None:
    exact = source.get_table(name, schema)
    if exact is not None:
        return exact
    wanted_schema = (schema or source.default_schema).lower()
    matches = [
        t
        for t in source.tables
        if t.name.lower() == name.lower() and t.schema.lower() == wanted_schema
    ]
    return matches[0] if len(matches) == 1 else None


def table_names(catalog: Catalog) -> list[str]:
    """Every readable table as the shortest name /sql accepts for it."""
    return [f"{s.name}.{s.path_name(t)}" for s in catalog.sources for t in s.tables]


def _unknown(written: str, detail: str, catalog: Catalog) -> dict[str, Any]:
    names = table_names(catalog)
    by_lower = {n.lower(): n for n in names}
    close = difflib.get_close_matches(written.lower(), list(by_lower), n=MAX_SUGGESTIONS)
    return {
        "parameter": "sql",
        "name": written,
        "detail": detail,
        "suggestions": [by_lower[c] for c in close],
    }
