"""GraphQL `errors[]` entries carrying the REST problem codes (`extensions.code`).

Only the message and the safe details of a `FedgateError` reach the client,
as in REST problem bodies (gateway/errors.py): never a driver message or SQL.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from graphql import GraphQLError
from graphql.language import Node

from config.errors import FedgateError
from gateway.errors import SAFE_DETAILS, STATUS_BY_CODE

log = logging.getLogger(__name__)


def from_fedgate(
    error: FedgateError, nodes: Sequence[Node] | None = None, path: list[str | int] | None = None
) -> dict[str, Any]:
    """One `errors[]` entry; an error without a known status is reported as internal."""
    if error.code not in STATUS_BY_CODE:
        log.error("unhandled %s: %s", type(error).__name__, error.code)
        return internal(nodes, path)
    extensions: dict[str, Any] = {"code": error.code}
    details = error.details.get("errors")
    if isinstance(details, list) and details:
        extensions["errors"] = details
    for key in SAFE_DETAILS:
        value = error.details.get(key)
        if value is not None:
            extensions[key] = value
    return dict(GraphQLError(error.message, nodes, path=path, extensions=extensions).formatted)


def internal(
    nodes: Sequence[Node] | None = None, path: list[str | int] | None = None
) -> dict[str, Any]:
    message = "The gateway failed to handle the request."
    extensions = {"code": "internal_error"}
    return dict(GraphQLError(message, nodes, path=path, extensions=extensions).formatted)


def request_error(error: GraphQLError, code: str = "bad_request") -> dict[str, Any]:
    """A parse, validation or variable error, with its locations and a problem code."""
    formatted = error.formatted
    formatted["extensions"] = {**(formatted.get("extensions") or {}), "code": code}
    return dict(formatted)


def bad_request(message: str, parameter: str) -> dict[str, Any]:
    return {
        "message": message,
        "extensions": {
            "code": "bad_request",
            "errors": [{"parameter": parameter, "detail": message}],
        },
    }
