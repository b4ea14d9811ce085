"""gateway/heap.py: after a catalog swap the surviving heap is frozen out of the collector's
walks, and what a later swap leaves behind is still freed."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator

import pytest

from gateway import heap


class Node:
    def __init__(self) -> None:
        self.me = self  # a reference cycle: only the cyclic collector frees it


@pytest.fixture(autouse=True)
def thawed() -> Iterator[None]:
    yield
    gc.unfreeze()  # leave the test process as it was


def test_settle_freezes_what_is_alive() -> None:
    kept = Node()
    heap.settle()
    assert gc.get_freeze_count() > 0
    assert not any(obj is kept for obj in gc.get_objects())  # out of every generation
    young = Node()
    assert any(obj is young for obj in gc.get_objects())  # objects made later: collected as usual


def test_a_frozen_cycle_dropped_later_is_freed_at_the_next_settle() -> None:
    old_catalog = Node()
    gone = weakref.ref(old_catalog)
    heap.settle()  # frozen while the catalog is in use
    del old_catalog
    gc.collect()
    assert gone() is not None  # frozen: no collection frees it ...
    heap.settle()  # ... until the next catalog's settle
    assert gone() is None
