"""How many writes fedgate committed to each table, per connector: a read cached before a
write is told apart from one after it (gateway/federation/fragment_cache.py).

Counted after the commit, so a read that looks the count up first and reads afterwards
can only be filed under the older count, never serve rows older than its own count.
"""

from __future__ import annotations

import threading
from weakref import WeakKeyDictionary

from connectors.base import Connector

_counts: WeakKeyDictionary[Connector, dict[tuple[str, str], int]] = WeakKeyDictionary()
_lock = threading.Lock()


def note_write(connector: Connector, schema: str, table: str) -> None:
    """One more committed write to `schema.table` of the connector's database."""
    with _lock:
        tables = _counts.setdefault(connector, {})
        tables[(schema, table)] = tables.get((schema, table), 0) + 1


def get_write_count(connector: Connector, schema: str, table: str) -> int:
    """Writes committed to `schema.table` through this connector so far."""
    with _lock:
        return _counts.get(connector, {}).get((schema, table), 0)
