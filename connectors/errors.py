"""Errors raised by connectors, and the one place driver exceptions are translated.

Driver messages may contain host names, user names or SQL; they are kept on
``__cause__`` for the logs and never copied into the public message.
"""

from __future__ import annotations

import re

from sqlalchemy import exc as sa_exc

from config.errors import FedgateError


class ConnectorError(FedgateError):
    code = "source_error"


class UnsupportedDialectError(ConnectorError):
    code = "unsupported_dialect"


class SourceUnavailableError(ConnectorError):
    """The source cannot be reached or refuses us; `reason` says why in a few words."""

    code = "source_unavailable"

    def __init__(self, source: str, reason: str) -> None:
        super().__init__(
            f"source '{source}' is unavailable: {reason}", source=source, reason=reason
        )
        self.source = source
        self.reason = reason


class SourceTimeoutError(ConnectorError):
    code = "statement_timeout"


class IntrospectionError(ConnectorError):
    code = "introspection_failed"


# Driver message fragments -> a reason safe to show (no hosts, users or SQL).
_REASONS: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern, re.IGNORECASE), reason)
    for pattern, reason in (
        (
            r"password authentication failed|access denied|login failed|invalid username",
            "authentication failed",
        ),
        (
            r"database .* does not exist|unknown database|cannot open database",
            "database does not exist",
        ),
        (
            r"connection refused|can't connect|could not connect|no route|name or service",
            "connection refused",
        ),
        (r"timeout|timed out", "connection timed out"),
        (r"unable to open database file|no such file", "database file cannot be opened"),
        (r"server closed the connection|lost connection|gone away|broken pipe", "connection lost"),
    )
)


def classify_reason(exc: BaseException) -> str:
    text = str(getattr(exc, "orig", None) or exc)
    for pattern, reason in _REASONS:
        if pattern.search(text):
            return reason
    return "driver error " + type(getattr(exc, "orig", None) or exc).__name__


def wrap_driver_error(exc: BaseException, source: str) -> ConnectorError:
    """Translate a driver or SQLAlchemy exception into a fedgate error (cause kept by caller)."""
    if isinstance(exc, ConnectorError):
        return exc
    if isinstance(exc, sa_exc.TimeoutError):
        return SourceUnavailableError(source, "connection pool exhausted")
    if isinstance(exc, (sa_exc.OperationalError, sa_exc.InterfaceError, OSError)):
        reason = classify_reason(exc)
        if "statement timeout" in str(exc).lower() or "canceling statement" in str(exc).lower():
            return SourceTimeoutError(f"statement timeout on source '{source}'", source=source)
        return SourceUnavailableError(source, reason)
    if isinstance(exc, sa_exc.DBAPIError) and exc.connection_invalidated:
        return SourceUnavailableError(source, "connection lost")
    return ConnectorError(f"source '{source}' failed: {classify_reason(exc)}", source=source)
