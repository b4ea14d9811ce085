"""The one HTTP error body (RFC 9457 problem+json) and the status of every error code.

Only this module knows HTTP. REST, GraphQL and SQL surfaces share the codes
(`code` member here, `extensions.code` in GraphQL).
"""

from __future__ import annotations

import logging
from typing import Any

import orjson
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from config.errors import FedgateError

log = logging.getLogger(__name__)
PROBLEM_JSON = "application/problem+json"

STATUS_BY_CODE: dict[str, int] = {
    "bad_request": 400,
    "unknown_column": 400,
    "unauthorized": 401,
    "forbidden": 403,
    "not_found": 404,
    "unknown_source": 404,
    "unknown_table": 404,
    "method_not_allowed": 405,
    "not_acceptable": 406,
    "constraint_violation": 409,
    "payload_too_large": 413,
    "unsupported_media_type": 415,
    "invalid_value": 422,
    "rate_limited": 429,
    "source_unavailable": 503,
    "not_ready": 503,
    "statement_timeout": 504,
    "sql_syntax": 400,  # /sql (gateway/federation/errors.py)
    "sql_refused": 400,
    "sql_unknown_table": 400,
    "sql_parameters": 400,
    "sql_invalid": 400,
    "sql_out_of_memory": 507,
}
TITLES: dict[int, str] = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    406: "Not Acceptable",
    409: "Conflict",
    413: "Content Too Large",
    415: "Unsupported Media Type",
    422: "Unprocessable Content",
    429: "Too Many Requests",
    500: "Internal Server Error",
    503: "Service Unavailable",
    504: "Gateway Timeout",
    507: "Insufficient Storage",
}
CODE_BY_STATUS = {400: "bad_request", 404: "not_found", 405: "method_not_allowed"}
RETRY_AFTER_SECONDS = 5
SAFE_DETAILS = ("constraint", "kind", "source", "scope")  # error details that may reach a client


def problem(
    status: int,
    code: str,
    detail: str,
    *,
    errors: list[dict[str, Any]] | None = None,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> Response:
    body: dict[str, Any] = {
        "type": f"urn:fedgate:problem:{code}",
        "title": TITLES.get(status, "Error"),
        "status": status,
        "detail": detail,
        "code": code,
    }
    if errors:
        body["errors"] = errors
    body.update(extra)
    response_headers = dict(headers or {})
    if status == 503:
        response_headers.setdefault("Retry-After", str(RETRY_AFTER_SECONDS))
    return Response(orjson.dumps(body), status, response_headers, media_type=PROBLEM_JSON)


def status_of(error: FedgateError) -> int:
    return STATUS_BY_CODE.get(error.code, 500)


def problem_from_error(error: FedgateError) -> Response:
    status = status_of(error)
    if status == 500:
        log.error("unhandled %s: %s", type(error).__name__, error.code)
        return problem(500, "internal_error", "The gateway failed to handle the request.")
    errors = error.details.get("errors") if isinstance(error.details.get("errors"), list) else None
    extra = {k: v for k, v in error.details.items() if k in SAFE_DETAILS and v is not None}
    headers = getattr(error, "headers", None)  # auth errors: WWW-Authenticate, Retry-After
    return problem(status, error.code, error.message, errors=errors, headers=headers, **extra)  # type: ignore[arg-type]


async def handle_fedgate_error(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, FedgateError)
    return problem_from_error(exc)


async def handle_http_exception(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    code = CODE_BY_STATUS.get(exc.status_code, "error")
    return problem(exc.status_code, code, str(exc.detail), headers=dict(exc.headers or {}))


async def handle_unexpected(_request: Request, exc: Exception) -> Response:
    log.exception("unexpected error", exc_info=exc)
    return problem(500, "internal_error", "The gateway failed to handle the request.")


EXCEPTION_HANDLERS = {
    FedgateError: handle_fedgate_error,
    HTTPException: handle_http_exception,
    Exception: handle_unexpected,
}
