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


class ConstraintViolationError(ConnectorError):
    """A write broke a unique, foreign-key, not-null or check constraint."""

    code = "constraint_violation"

    def __init__(self, source: str, kind: str, constraint: str | None) -> None:
        named = f" '{constraint}'" if constraint else ""
        super().__init__(
            f"{kind} constraint{named} violated", source=source, constraint=constraint, kind=kind
        )
        self.constraint = constraint
        self.kind = kind


class ValueRejectedError(ConnectorError):
    """The database refused a value (out of range, too long) that passed our checks."""

    code = "invalid_value"


_TIMEOUT = re.compile(
    r"statement timeout|canceling statement|max_statement_time|max_execution_time|"
    r"query execution was interrupted|ORA-01013|timeout expired",
    re.IGNORECASE,
)
_CONSTRAINT_NAME = (
    re.compile(r"constraint failed: ([\w$.]+(?:, [\w$.]+)*)", re.IGNORECASE),  # SQLite
    re.compile(r"for key [`'\"]?(?:[\w$]+\.)?([\w$]+)[`'\"]?", re.IGNORECASE),  # MySQL unique
    # Quoted only: unquoted, the next word is prose ("constraint fails", "Constraint Error").
    re.compile(r"constraint [`\"']([\w$]+)[`\"']", re.IGNORECASE),  # PostgreSQL, MySQL FK/check
    re.compile(r"(?:field|column) '([\w$]+)'", re.IGNORECASE),  # MySQL not null: the column
    re.compile(r"\(([\w$]+\.[\w$]+)\) violated", re.IGNORECASE),  # Oracle
)


def constraint_kind(text: str) -> str:
    lowered = text.lower()
    for needle, kind in (
        ("foreign key", "foreign key"),
        ("unique", "unique"),
        ("duplicate", "unique"),
        ("not null", "not null"),
        ("null value", "not null"),
        ("cannot be null", "not null"),
        ("check", "check"),
        ("primary key", "unique"),
    ):
        if needle in lowered:
            return kind
    return "integrity"


def constraint_name(exc: BaseException) -> str | None:
    orig = getattr(exc, "orig", exc)
    diag = getattr(orig, "diag", None)  # psycopg knows it exactly
    name = getattr(diag, "constraint_name", None) or getattr(diag, "column_name", None)
    if name:
        return str(name)
    text = str(orig)
    for pattern in _CONSTRAINT_NAME:
        match = pattern.search(text)
        if match:
            return match.group(1)
    return None


# MySQL/MariaDB constraint errors that PyMySQL raises as OperationalError.
_MYSQL_CONSTRAINT_ERRORS = {
    1364: "not null",  # Field '...' doesn't have a default value
    3819: "check",  # MySQL: Check constraint '...' is violated
    4025: "check",  # MariaDB: CONSTRAINT `...` failed for ...
}


def _error_code(exc: BaseException) -> int | None:
    args = getattr(getattr(exc, "orig", None), "args", None) or (None,)
    return args[0] if isinstance(args[0], int) else None


def wrap_execution_error(exc: BaseException, source: str, dialect: str) -> ConnectorError:
    """Translate an error raised while running a statement (driver text never leaves)."""
    text = str(getattr(exc, "orig", None) or exc)
    if isinstance(exc, sa_exc.IntegrityError):
        return ConstraintViolationError(source, constraint_kind(text), constraint_name(exc))
    code = _error_code(exc) if dialect in ("mysql", "mariadb") else None
    if code in _MYSQL_CONSTRAINT_ERRORS:  # PyMySQL raises these as OperationalError
        return ConstraintViolationError(
            source, _MYSQL_CONSTRAINT_ERRORS[code], constraint_name(exc)
        )
    if _TIMEOUT.search(text):
        return SourceTimeoutError(f"statement timeout on source '{source}'", source=source)
    if isinstance(exc, sa_exc.DataError):
        return ValueRejectedError(f"source '{source}' rejected a value: {classify_value(text)}")
    if dialect == "sqlite" and "constraint failed" in text.lower():
        return ConstraintViolationError(source, constraint_kind(text), constraint_name(exc))
    return wrap_driver_error(exc, source)


def classify_value(text: str) -> str:
    lowered = text.lower()
    if "too long" in lowered or "data too long" in lowered:
        return "a value is too long for its column"
    if "out of range" in lowered:
        return "a number is out of range for its column"
    return "a value does not fit its column"
