"""What a running gateway holds: settings, connectors, the schema cache, the refresher."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass, field

import anyio

from config.settings import Settings
from connectors.base import Connector
from connectors.registry import build_connector
from schema_cache.cache import SchemaCache

log = logging.getLogger(__name__)
REFRESH_POLL_SECONDS = 2.0


@dataclass
class Runtime:
    settings: Settings
    connectors: dict[str, Connector]
    cache: SchemaCache
    _tasks: list[asyncio.Task[None]] = field(default_factory=list)

    @classmethod
    def from_settings(cls, settings: Settings) -> Runtime:
        connectors = {s.name: build_connector(s) for s in settings.sources}
        return cls(settings, connectors, SchemaCache(settings, connectors))

    async def start(self, *, background: bool = True) -> None:
        """Serve the snapshot at once; introspect and keep fresh in the background."""
        for connector in self.connectors.values():
            connector.bind_loop()  # reads on this loop where the driver has asyncio
        loaded = self.cache.load_snapshot()
        log.info("snapshot: %d source(s) served before introspection", loaded)
        if background:
            self._tasks.append(asyncio.create_task(self._keep_fresh(), name="schema-refresh"))

    async def _keep_fresh(self) -> None:
        try:
            await anyio.to_thread.run_sync(self.cache.refresh)
        except Exception:  # the loop below retries; a dead task would never refresh again
            log.exception("schema refresh failed")
        while True:
            await asyncio.sleep(REFRESH_POLL_SECONDS)
            try:
                await anyio.to_thread.run_sync(self.cache.reload_snapshot_if_changed)
                await anyio.to_thread.run_sync(self.cache.refresh_expired)
            except Exception:  # keep refreshing whatever one round did
                log.exception("schema refresh failed")

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks.clear()
        for connector in self.connectors.values():
            await connector.dispose_loop()
            connector.dispose()
