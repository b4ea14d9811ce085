"""The fragment cache: rows a source sent for one read, kept for `ttl` seconds, at most
`max_bytes` of them (least recently used dropped first), shared by every statement.

A key names the source, its catalog version, each table read with the count of writes
fedgate committed to it (`gateway.query.write_counts`), and the exact SQL sent with its
values: a write through fedgate or a new model of the source makes older entries
unreachable, and they are dropped when next seen. The value is opaque here (a DuckDB table
name, or a pushdown's rows); an entry in use by a statement (leased) is never dropped
under it: dropping it waits for its last release, and `on_drop` then discards the value.
Access is not this module's business: statements are checked before they look up a key.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

TableCount = tuple[str, str, int]  # schema, table, writes committed to it


@dataclass(frozen=True, slots=True)
class CacheKey:
    source: str
    version: str
    tables: tuple[TableCount, ...]
    text: str  # the SQL sent, its values and route: what makes two reads the same rows


@dataclass(eq=False, slots=True)
class Entry:
    key: CacheKey
    value: Any
    size: int
    expires: float
    users: int = 0
    dropped: bool = False
    kept: bool = True
    derived: dict[Any, Any] = field(default_factory=dict)  # facts of the value (row count...)


class FragmentCache:
    """Thread-safe; `on_drop(value)` is called outside the lock for each value dropped."""

    def __init__(
        self,
        ttl_s: float,
        max_bytes: int,
        on_drop: Callable[[Any], None],
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.ttl_s = ttl_s
        self.max_bytes = max_bytes
        self.clock = clock
        self._on_drop = on_drop
        self._entries: OrderedDict[CacheKey, Entry] = OrderedDict()
        self._bytes = 0
        self._writes: dict[tuple[str, str, str], int] = {}  # newest write count seen
        self._lock = threading.Lock()

    @property
    def enabled(self) -> bool:
        return self.ttl_s > 0

    @property
    def size(self) -> int:
        """Estimated bytes of the entries kept."""
        return self._bytes

    def __len__(self) -> int:
        return len(self._entries)

    def contains(self, key: CacheKey) -> bool:
        """True when `lease(key)` would hit now (for explain; leases nothing)."""
        with self._lock:
            entry = self._entries.get(key)
            return entry is not None and entry.expires > self.clock() and self._current(key)

    def lease(self, key: CacheKey) -> Entry | None:
        """The live entry of `key`, in use until `release`; None on a miss."""
        doomed: list[Entry] = []
        with self._lock:
            self._see(key, doomed)
            entry = self._entries.get(key)
            if entry is not None and entry.expires <= self.clock():
                self._remove(entry, doomed)
                entry = None
            if entry is not None:
                self._entries.move_to_end(key)
                entry.users += 1
        self._discard(doomed)
        return entry

    def put(self, key: CacheKey, value: Any, size: int) -> Entry:
        """Keep `value` (leased to the caller), replacing any entry of `key`. A value larger
        than `max_bytes`, or read before a newer write was seen, is lent and not kept."""
        doomed: list[Entry] = []
        with self._lock:
            self._see(key, doomed)
            now = self.clock()
            entry = Entry(key, value, size, now + self.ttl_s, users=1)
            old = self._entries.get(key)
            if old is not None:
                self._remove(old, doomed)
            if size > self.max_bytes or not self._current(key):
                entry.kept = False
            else:
                for other in [e for e in self._entries.values() if e.expires <= now]:
                    self._remove(other, doomed)
                while self._entries and self._bytes + size > self.max_bytes:
                    self._remove(next(iter(self._entries.values())), doomed)
                self._entries[key] = entry
                self._bytes += size
        self._discard(doomed)
        return entry

    def release(self, entry: Entry) -> None:
        doomed: list[Entry] = []
        with self._lock:
            entry.users -= 1
            if entry.users == 0 and (entry.dropped or not entry.kept):
                doomed.append(entry)
        self._discard(doomed)

    def drop_source(self, source: str) -> None:
        """Forget every entry of `source` (its model changed)."""
        doomed: list[Entry] = []
        with self._lock:
            for entry in [e for e in self._entries.values() if e.key.source == source]:
                self._remove(entry, doomed)
        self._discard(doomed)

    def clear(self) -> None:
        doomed: list[Entry] = []
        with self._lock:
            for entry in list(self._entries.values()):
                self._remove(entry, doomed)
        self._discard(doomed)

    def _see(self, key: CacheKey, doomed: list[Entry]) -> None:
        """Note the write counts of `key`; a newer one drops the entries of that table."""
        for schema, table, count in key.tables:
            seen = (key.source, schema, table)
            if count > self._writes.get(seen, 0):
                self._writes[seen] = count
                for entry in list(self._entries.values()):
                    if entry.key.source == key.source and any(
                        (s, t) == (schema, table) for s, t, _ in entry.key.tables
                    ):
                        self._remove(entry, doomed)

    def _current(self, key: CacheKey) -> bool:
        return all(
            count >= self._writes.get((key.source, schema, table), 0)
            for schema, table, count in key.tables
        )

    def _remove(self, entry: Entry, doomed: list[Entry]) -> None:
        if self._entries.get(entry.key) is entry:
            del self._entries[entry.key]
            self._bytes -= entry.size
        entry.dropped = True
        if entry.users == 0:
            doomed.append(entry)

    def _discard(self, doomed: list[Entry]) -> None:
        for entry in doomed:
            self._on_drop(entry.value)
