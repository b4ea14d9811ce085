"""The live GraphQL engine: rebuilt when the catalog changes, swapped in one assignment.

A request takes the engine once and keeps it to the end, so a refresh never
changes the schema under a running request; the next request gets the new
one. Building is cheap (milliseconds for hundreds of tables) and happens at
most once per catalog version.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping

from gateway.graphql.engine import Engine
from gateway.graphql.limits import Limits
from gateway.graphql.schema import build_bundle, catalog_version
from schema_cache.model import Catalog


class LiveSchema:
    def __init__(
        self,
        read_only: frozenset[str] = frozenset(),
        limits: Limits | None = None,
        max_limit: Callable[[str], int] | None = None,
        prefixes: Mapping[str, str] | None = None,
    ) -> None:
        self._read_only = read_only
        self._prefixes = dict(prefixes or {})
        self._limits = limits or Limits()
        self._max_limit = max_limit
        self._engine: Engine | None = None
        self._catalog: Catalog | None = None
        self._lock = threading.Lock()

    def engine(self, catalog: Catalog) -> Engine:
        """The engine of `catalog` (built on first use of a new catalog version)."""
        engine = self._engine
        if engine is not None and (
            catalog is self._catalog or engine.bundle.version == catalog_version(catalog)
        ):
            return engine
        with self._lock:
            engine = self._engine
            if engine is None or engine.bundle.version != catalog_version(catalog):
                bundle = build_bundle(catalog, self._read_only, self._prefixes)
                engine = Engine(bundle, self._limits, self._max_limit)
                self._engine = engine  # the swap: one reference, replaced whole
            self._catalog = catalog
            return engine

    def like(self) -> LiveSchema:
        """An empty LiveSchema with the same settings (one per principal's rights, see auth)."""
        return LiveSchema(self._read_only, self._limits, self._max_limit, self._prefixes)

    def on_refresh(self, catalog: Catalog, _changed: frozenset[str]) -> None:
        """Schema-cache listener: build the new schema now, not on the next request."""
        self.engine(catalog)
