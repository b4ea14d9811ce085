"""Errors of the /sql surface; `errors` details name what was refused and why."""

from __future__ import annotations

from typing import Any

from config.errors import FedgateError


class FederationError(FedgateError):
    code = "sql_invalid"

    def __init__(self, message: str, *, errors: list[dict[str, Any]] | None = None) -> None:
        super().__init__(message, errors=errors or [])
        self.errors = errors or []


class SqlSyntaxError(FederationError):
    """The text does not parse as SQL (DuckDB dialect)."""

    code = "sql_syntax"


class SqlRefusedError(FederationError):
    """A statement, clause or function outside the read-only allow-list."""

    code = "sql_refused"


class SqlUnknownTableError(FederationError):
    """A table name that the catalog does not hold; `errors[].suggestions` lists close ones."""

    code = "sql_unknown_table"


class SqlParameterError(FederationError):
    """Parameters that do not match the placeholders of the statement."""

    code = "sql_parameters"


class SqlInvalidError(FederationError):
    """The statement parses but cannot run (unknown column, type mismatch)."""

    code = "sql_invalid"


class SqlTimeoutError(FederationError):
    code = "statement_timeout"


class SqlOutOfMemoryError(FederationError):
    """The query needs more memory (and spill space) than the gateway allows."""

    code = "sql_out_of_memory"


class ExtensionMissingError(FederationError):
    """A DuckDB extension package is not installed; the gateway falls back or says which."""

    code = "extension_missing"


class SqlForbiddenError(FederationError):
    """The caller lacks the `sql` scope (table scopes are checked by `Access.require`)."""

    code = "forbidden"


class TrinoError(FederationError):
    """The Trino coordinator refused or failed the query (its message stays in the logs)."""

    code = "source_unavailable"
