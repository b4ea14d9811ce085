"""Rendered SQL of the fragments and pushdowns of cached plans, kept for the next run of
the same statement (sqlglot's copy and generation cost milliseconds per fragment: with the
fragment cache warm, they were most of a statement's time).

Keyed by the identity of the plan's parts (its binding, filter and order trees, which a
cached plan keeps) and everything else `Fragment.build` reads; an entry holds those parts,
so an identity cannot be reused by another object while the entry lives.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any

MEMO_SIZE = 4096


class RenderMemo:
    def __init__(self, size: int = MEMO_SIZE) -> None:
        self._size = size
        self._items: OrderedDict[Hashable, tuple[tuple[object, ...], Any]] = OrderedDict()
        self._lock = threading.Lock()

    def get_or_render(
        self, parts: tuple[object, ...], rest: Hashable, render: Callable[[], Any]
    ) -> Any:
        """`render()`, or what it gave before for the same `parts` (by identity) and `rest`."""
        try:
            key: Hashable = (tuple(id(p) for p in parts), rest)
            hash(key)
        except TypeError:  # a value that cannot be a key (never expected): no memo
            return render()
        with self._lock:
            item = self._items.get(key)
            if item is not None and all(a is b for a, b in zip(item[0], parts, strict=True)):
                self._items.move_to_end(key)
                return item[1]
        value = render()
        with self._lock:
            self._items[key] = (parts, value)
            while len(self._items) > self._size:
                self._items.popitem(last=False)
        return value


RENDERED = RenderMemo()
