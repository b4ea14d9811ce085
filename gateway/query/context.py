"""What compiling and running a statement needs: models, connectors and Core tables."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import sqlalchemy as sa

from connectors.base import Connector
from gateway.query.errors import UnknownTableError, unknown_name
from gateway.query.ir import TableRef
from gateway.query.prepared import StatementCache
from gateway.query.tables import TableCache
from schema_cache.model import Catalog, Source, Table


@dataclass(frozen=True, slots=True)
class Bound:
    """A model table resolved with its source, connector and Core table."""

    source: Source
    table: Table
    core: sa.Table
    connector: Connector

    @property
    def dialect(self) -> str:
        return self.connector.dialect


class QueryContext:
    def __init__(
        self,
        get_catalog: Callable[[], Catalog],
        connectors: dict[str, Connector],
        tables: TableCache | None = None,
    ) -> None:
        self._get_catalog = get_catalog
        self.connectors = connectors
        self.tables = tables or TableCache()
        self.statements = StatementCache()  # built statements per request shape

    def bind(self, ref: TableRef, *, catalog: Catalog | None = None) -> Bound:
        catalog = catalog or self._get_catalog()
        source, table = resolve_table(ref, catalog, self.connectors)
        return Bound(
            source, table, self.tables.get_table(source, table), self.connectors[ref.source]
        )


def resolve_table(
    ref: TableRef, catalog: Catalog, connectors: Mapping[str, Connector]
) -> tuple[Source, Table]:
    """The model source and table `ref` names in `catalog`; a 404 listing its tables if none.

    Pure: REST calls it with the caller's view of the catalog first, so a table the
    caller may not use answers as one that does not exist.
    """
    source = catalog.get_source(ref.source)
    if source is None or ref.source not in connectors:
        raise UnknownTableError(
            f"unknown source '{ref.source}'",
            errors=[
                unknown_name("source", ref.source, [s.name for s in catalog.sources], "source")
            ],
        )
    table = source.get_table(ref.table, ref.schema or None)
    if table is None:
        names = [source.path_name(t) for t in source.tables]
        shown = ref.table if not ref.schema else f"{ref.schema}.{ref.table}"
        raise UnknownTableError(
            f"unknown table '{shown}' in source '{ref.source}'",
            errors=[unknown_name("table", shown, names, "table")],
        )
    return source, table
