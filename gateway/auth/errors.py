"""Auth errors: each carries the headers its HTTP answer needs (RFC 6750 §3)."""

from __future__ import annotations

from config.errors import FedgateError

REALM = 'Bearer realm="fedgate"'


class AuthError(FedgateError):
    """Base of auth errors; `headers` go onto the problem response."""

    code = "unauthorized"
    headers: dict[str, str]

    def __init__(self, message: str, *, headers: dict[str, str] | None = None, **details: object):
        super().__init__(message, **details)
        self.headers = headers or {}


class MissingCredentialError(AuthError):
    """No credential on a request that needs one: a challenge without an error code."""

    def __init__(self, message: str = "this endpoint needs an API key") -> None:
        super().__init__(message, headers={"WWW-Authenticate": REALM})


class InvalidCredentialError(AuthError):
    """A credential was sent but is malformed, unknown, expired or revoked."""

    def __init__(
        self,
        message: str = "the API key is not valid",
        *,
        reason: str | None = None,
        key_prefix: str | None = None,
    ) -> None:
        super().__init__(message, headers={"WWW-Authenticate": f'{REALM}, error="invalid_token"'})
        self.reason = reason  # revoked, rotated, expired, owner inactive: a real key, audited
        self.key_prefix = key_prefix


class CredentialInQueryError(AuthError):
    code = "bad_request"

    def __init__(self, parameter: str) -> None:
        super().__init__(
            "credentials are refused in the query string (they end up in logs and "
            "browser history); send `Authorization: Bearer <key>` or `X-API-Key: <key>`",
            headers={"WWW-Authenticate": f'{REALM}, error="invalid_request"'},
            errors=[{"parameter": parameter, "detail": "credential in query string"}],
        )


class BadCredentialHeaderError(AuthError):
    code = "bad_request"

    def __init__(self, message: str, header: str) -> None:
        super().__init__(
            message,
            headers={"WWW-Authenticate": f'{REALM}, error="invalid_request"'},
            errors=[{"parameter": header, "detail": message}],
        )


class MissingScopeError(AuthError):
    """403: the principal lacks `scope` (named in the body and the challenge)."""

    code = "forbidden"

    def __init__(self, scope: str, message: str | None = None) -> None:
        super().__init__(
            message or f"missing scope '{scope}'",
            headers={"WWW-Authenticate": f'{REALM}, error="insufficient_scope", scope="{scope}"'},
            errors=[{"parameter": "scope", "detail": scope}],
            scope=scope,
        )
        self.scope = scope


class RateLimitedError(AuthError):
    code = "rate_limited"

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message, headers={"Retry-After": str(max(1, retry_after))})


class AdminInputError(FedgateError):
    """A bad request to the admin API or CLI (unknown user, bad scope, duplicate name)."""

    code = "bad_request"


class AdminNotFoundError(FedgateError):
    code = "not_found"
