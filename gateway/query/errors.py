"""Errors of the query layer; `errors` details name the offending parameter or column."""

from __future__ import annotations

from typing import Any

from config.errors import FedgateError


class QueryError(FedgateError):
    code = "bad_request"

    def __init__(self, message: str, *, errors: list[dict[str, Any]] | None = None) -> None:
        super().__init__(message, errors=errors or [])
        self.errors = errors or []


class MalformedRequestError(QueryError):
    """A parameter does not follow the grammar."""

    code = "bad_request"


class UnknownColumnError(QueryError):
    code = "unknown_column"


class UnknownRelationshipError(QueryError):
    code = "unknown_column"


class UnknownTableError(QueryError):
    code = "unknown_table"


class InvalidValueError(QueryError):
    """A value does not fit its column's type (checked before any SQL runs)."""

    code = "invalid_value"


class ConstraintViolationError(QueryError):
    code = "constraint_violation"


class RowNotFoundError(QueryError):
    code = "not_found"


def unknown_name(
    kind: str, name: str, valid: list[str] | tuple[str, ...], parameter: str
) -> dict[str, Any]:
    """One `errors[]` entry for an unknown name, listing the valid ones."""
    return {
        "parameter": parameter,
        "name": name,
        "detail": f"unknown {kind} '{name}'",
        "valid": sorted(valid),
    }
