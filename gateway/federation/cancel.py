"""Cooperative cancellation of one statement: a timeout or a client gone interrupts DuckDB,
asks the source to cancel, and stops fetch loops between batches."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Literal

log = logging.getLogger(__name__)
Reason = Literal["timeout", "disconnected"]


class CancelledError(Exception):
    """Raised inside the worker once the statement was cancelled (never reaches a client)."""


class CancelToken:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._callbacks: list[Callable[[], None]] = []
        self.reason: Reason | None = None

    @property
    def cancelled(self) -> bool:
        return self.reason is not None

    def on_cancel(self, callback: Callable[[], None]) -> None:
        """Call `callback` on cancellation (at once if already cancelled)."""
        with self._lock:
            if self.reason is None:
                self._callbacks.append(callback)
                return
        _call(callback)

    def cancel(self, reason: Reason) -> None:
        with self._lock:
            if self.reason is not None:
                return
            self.reason = reason
            callbacks, self._callbacks = self._callbacks, []
        for callback in callbacks:
            _call(callback)

    def check(self) -> None:
        if self.reason is not None:
            raise CancelledError(self.reason)


def _call(callback: Callable[[], None]) -> None:
    try:
        callback()
    except Exception:  # a connection already closed cannot be cancelled: nothing to do
        log.debug("cancel callback failed", exc_info=True)
