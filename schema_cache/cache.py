"""The schema cache: one current `Catalog`, refreshed on demand and on a TTL.

Refreshing introspects sources in parallel, rebuilds only the sources whose
model changed (same version hash: the old value is kept), records a failing
source as unavailable while keeping its last good model, persists the result
and tells subscribers which sources changed.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from cachetools import TTLCache

from config.errors import FedgateError
from config.settings import Settings
from connectors.base import Connector, Progress
from schema_cache.build import build_source
from schema_cache.errors import SnapshotError, UnknownSourceError
from schema_cache.model import Catalog, Source, SourceState
from schema_cache.snapshot import read_snapshot, snapshot_mtime, write_snapshot

log = logging.getLogger(__name__)
RETRY_FIRST_SECONDS = 2.0
RETRY_MAX_SECONDS = 60.0
Listener = Callable[[Catalog, frozenset[str]], None]
"""Called with the new catalog and the names of the sources whose model changed."""


@dataclass(frozen=True, slots=True)
class _Outcome:
    source: Source | None
    state: SourceState


@dataclass(frozen=True, slots=True)
class RefreshReport:
    refreshed: tuple[str, ...]
    changed: tuple[str, ...]
    failed: tuple[str, ...]


class SchemaCache:
    def __init__(
        self,
        settings: Settings,
        connectors: Mapping[str, Connector],
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._settings = settings
        self._connectors = dict(connectors)
        self._names = tuple(s.name for s in settings.sources)
        self._catalog = Catalog(states=tuple(SourceState(n, "pending") for n in self._names))
        self._lock = threading.Lock()
        ttl = settings.schema_cache.ttl_seconds
        self._fresh: TTLCache[str, str] | None = (
            TTLCache(maxsize=max(1, len(self._names)), ttl=ttl, timer=clock) if ttl > 0 else None
        )
        self._listeners: list[Listener] = []
        self._snapshot_path = settings.schema_cache.snapshot_path
        self._clock = clock
        self._failures: dict[str, int] = {}  # consecutive failed introspections per source
        self._retry_at: dict[str, float] = {}  # a failing source waits until then (backoff)
        self._snapshot_seen: float | None = None

    @property
    def catalog(self) -> Catalog:
        return self._catalog

    @property
    def source_names(self) -> tuple[str, ...]:
        return self._names

    def subscribe(self, listener: Listener) -> None:
        self._listeners.append(listener)

    def load_snapshot(self) -> int:
        """Serve the persisted model of configured sources; returns how many were loaded."""
        try:
            sources = read_snapshot(self._snapshot_path)
        except SnapshotError as exc:
            log.warning("%s; introspecting instead", exc)
            return 0
        known = tuple(s for s in sources if s.name in self._names)
        self._snapshot_seen = snapshot_mtime(self._snapshot_path)
        with self._lock:
            changed = self._swap(known, {})
        return len(changed)

    def reload_snapshot_if_changed(self) -> bool:
        """Pick up a snapshot another process (e.g. `fedgate refresh`) wrote."""
        mtime = snapshot_mtime(self._snapshot_path)
        if mtime is None or mtime == self._snapshot_seen:
            return False
        return self.load_snapshot() > 0

    def expired_sources(self) -> tuple[str, ...]:
        if self._fresh is None:
            return ()
        self._fresh.expire()
        now = self._clock()
        return tuple(
            n for n in self._names if n not in self._fresh and self._retry_at.get(n, now) <= now
        )

    def refresh_expired(self) -> RefreshReport:
        expired = self.expired_sources()
        return self.refresh(expired) if expired else RefreshReport((), (), ())

    def refresh(
        self, names: Iterable[str] | None = None, *, progress: Progress | None = None
    ) -> RefreshReport:
        """Introspect `names` (default: every source) and swap in what changed."""
        wanted = tuple(names) if names is not None else self._names
        for name in wanted:
            if name not in self._connectors:
                raise UnknownSourceError(f"unknown source '{name}'", source=name)
        with self._lock:
            outcomes = self._introspect(wanted, progress)
            if self._fresh is not None:  # TTLCache is not thread-safe: filled here, not in workers
                for outcome in outcomes:
                    if outcome.source is not None:
                        self._fresh[outcome.state.name] = outcome.source.version
            built = tuple(o.source for o in outcomes if o.source is not None)
            changed = self._swap(built, {o.state.name: o.state for o in outcomes})
            if changed:
                self._persist()
        failed = tuple(o.state.name for o in outcomes if o.state.status == "unavailable")
        self._back_off(wanted, failed)
        return RefreshReport(wanted, tuple(sorted(changed)), failed)

    def _back_off(self, refreshed: tuple[str, ...], failed: tuple[str, ...]) -> None:
        """A source that keeps failing is retried after 2, 4, 8 ... seconds, at most
        RETRY_MAX_SECONDS (and never later than its TTL); a success resets it."""
        now = self._clock()
        for name in refreshed:
            if name in failed:
                count = self._failures[name] = self._failures.get(name, 0) + 1
                delay = min(RETRY_FIRST_SECONDS * 2 ** (count - 1), RETRY_MAX_SECONDS)
                ttl = self._settings.schema_cache.ttl_seconds
                self._retry_at[name] = now + (min(delay, ttl) if ttl > 0 else delay)
            else:
                self._failures.pop(name, None)
                self._retry_at.pop(name, None)

    def _introspect(self, names: tuple[str, ...], progress: Progress | None) -> list[_Outcome]:
        def one(name: str) -> _Outcome:
            started = time.perf_counter()
            try:
                record = self._connectors[name].reflect(progress)
            except FedgateError as exc:
                reason = str(getattr(exc, "reason", None) or exc.code)
                log.warning("introspecting source %s failed: %s", name, reason)
                return _Outcome(
                    None, SourceState(name, "unavailable", reason, checked_at=time.time())
                )
            source = build_source(name, record, self._settings.relationships)
            now = time.time()
            elapsed = (time.perf_counter() - started) * 1000
            return _Outcome(
                source, SourceState(name, "ok", None, now, now, record.round_trips, elapsed)
            )

        workers = max(1, min(4, len(names)))
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="introspect") as pool:
            return list(pool.map(one, names))

    def _swap(self, built: tuple[Source, ...], new_states: Mapping[str, SourceState]) -> set[str]:
        """Install new models and states; returns the names whose model changed."""
        old = self._catalog
        sources = {s.name: s for s in old.sources}
        states = {s.name: s for s in old.states}
        changed: set[str] = set()
        for source in built:
            previous = sources.get(source.name)
            if previous is None or previous.version != source.version:
                sources[source.name] = source
                changed.add(source.name)
        states.update(new_states)
        self._catalog = Catalog(
            sources=tuple(sources[n] for n in self._names if n in sources),
            states=tuple(states[n] for n in self._names if n in states),
        )
        if changed:
            for listener in self._listeners:  # the new catalog is served either way
                try:
                    listener(self._catalog, frozenset(changed))
                except Exception:  # one failing listener must not starve the others
                    log.exception("schema-cache listener %r failed", listener)
        return changed

    def _persist(self) -> None:
        try:
            write_snapshot(self._snapshot_path, self._catalog.sources)
            self._snapshot_seen = snapshot_mtime(self._snapshot_path)
        except OSError as exc:
            log.warning("could not write snapshot %s: %s", self._snapshot_path, exc)
