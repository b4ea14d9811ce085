"""The cyclic garbage collector kept off the long-lived heap of a serving process.

A serving process holds some hundreds of thousands of long-lived objects: the
imported modules, the catalog, the GraphQL schemas and OpenAPI documents built
from it. CPython's oldest-generation collections walk all of them to find the
little garbage requests leave, pausing every request in flight for 25-80 ms a
few times a minute under load (measured on the peers benchmark: the cause of
fedgate's p99 there). After each new catalog is installed, `settle` collects
once and then freezes everything alive (`gc.freeze`): later collections walk
only objects made since. The next catalog unfreezes, collects (the old catalog
is freed) and freezes again, so nothing frozen outlives its catalog for long.
Reference counting frees objects as usual throughout.
"""

from __future__ import annotations

import gc
import logging
import time
from typing import Any

log = logging.getLogger(__name__)


def settle(*_: Any) -> None:
    """Collect once, then freeze what survives (a schema-cache listener: any arguments)."""
    started = time.perf_counter()
    gc.unfreeze()
    gc.collect()
    gc.freeze()
    log.debug(
        "heap settled in %.0f ms: %d objects frozen",
        (time.perf_counter() - started) * 1000,
        gc.get_freeze_count(),
    )
