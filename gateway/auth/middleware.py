"""The ASGI middleware: credential -> `Access`, installed for the rest of the request.

Order: credentials in the query string are refused (400) on every path; open
paths (health, the index, the docs page) pass with no rights at all; otherwise
a key from `Authorization: Bearer` or `X-API-Key` is checked (shape and
checksum first, no lookup for a mistyped key), or a guest gets exactly the
configured scopes, or the request is refused with 401 and a challenge. Failed
authentications are throttled per client IP, requests per key (429).
"""

from __future__ import annotations

import itertools
import os
import re
from collections.abc import Awaitable
from urllib.parse import parse_qsl

import anyio
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gateway.auth.access import Principal, ScopedAccess
from gateway.auth.errors import (
    AuthError,
    BadCredentialHeaderError,
    CredentialInQueryError,
    InvalidCredentialError,
    MissingCredentialError,
    RateLimitedError,
)
from gateway.auth.keys import KEY_LENGTH, KEY_PATTERN, PREFIX, is_well_formed
from gateway.auth.oauth.resource import TokenAuthenticator
from gateway.auth.oauth.tokens import looks_like_jwt
from gateway.auth.service import AuthService
from gateway.errors import problem_from_error
from gateway.http_protocol import OWN_CONTEXT
from gateway.query.access import REQUEST_STATE, RequestState

OPEN_PATHS = frozenset({"/", "/healthz", "/readyz", "/docs"})
OPEN_PREFIXES = ("/docs/static/", "/graphql/static/")
# The authorization server authenticates its own callers (client auth, login, bearer at
# /oauth/userinfo); a credential in the query string is still refused there.
OAUTH_PREFIXES = ("/oauth/", "/.well-known/")
PAGES = frozenset({"/graphql"})  # a GET without `query` is a page (GraphiQL), not data
QUERY_CREDENTIALS = frozenset({"access_token", "api_key", "apikey", "api-key", "x-api-key"})
# Anything that could name or carry a credential (every name above contains one of these),
# searched in the ASCII-lowercased query string: the same matches as an IGNORECASE search
# (ASCII-only on bytes either way), at less than half its cost on every request.
_MAYBE_CREDENTIAL = re.compile(rb"%|fgk_|access_token|api[_-]?key")
_REQUEST_ID = re.compile(r"[A-Za-z0-9._\-]{1,64}")
_OPEN_OR_OAUTH_PREFIXES = OPEN_PREFIXES + OAUTH_PREFIXES
_ID_PREFIX = ""
_ID_COUNTER = itertools.count()


def _new_id_prefix() -> None:
    """A fresh random prefix per process (forked workers included)."""
    global _ID_PREFIX, _ID_COUNTER
    _ID_PREFIX = os.urandom(8).hex()
    _ID_COUNTER = itertools.count(int.from_bytes(os.urandom(4), "big"))


_new_id_prefix()
os.register_at_fork(after_in_child=_new_id_prefix)
NOBODY = ScopedAccess(Principal("anonymous", "anonymous"), ((),), lambda _s: None)


def is_open(scope: Scope) -> bool:
    """Paths that serve no data: health, the index, the docs and GraphiQL pages and assets."""
    path = scope["path"]
    if path in OPEN_PATHS or path.startswith(OPEN_PREFIXES) or path.startswith(OAUTH_PREFIXES):
        return True
    return (
        path in PAGES
        and scope.get("method") == "GET"
        and b"query=" not in scope.get("query_string", b"")
    )


def query_credential(query_string: bytes) -> str | None:
    """The name of a query parameter that carries a credential, if any."""
    if not query_string or _MAYBE_CREDENTIAL.search(query_string.lower()) is None:
        return None  # the common case, without parsing: nothing that could be a credential
    for name, value in parse_qsl(query_string.decode("latin-1"), keep_blank_values=True):
        if (
            name.lower() in QUERY_CREDENTIALS
            or KEY_PATTERN.search(value)
            or KEY_PATTERN.search(name)
        ):
            return name if not KEY_PATTERN.search(name) else "(a key as parameter name)"
    return None


class RequestHeaders:
    """The three headers auth reads, from one pass over the raw ASGI headers (first wins)."""

    __slots__ = ("api_key", "authorization", "request_id")

    def __init__(self, raw: list[tuple[bytes, bytes]]) -> None:
        self.authorization: str | None = None
        self.api_key: str | None = None
        self.request_id: str | None = None
        for name, value in raw:
            if name == b"authorization":
                if self.authorization is None:
                    self.authorization = value.decode("latin-1")
            elif name == b"x-api-key":
                if self.api_key is None:
                    self.api_key = value.decode("latin-1")
            elif name == b"x-request-id" and self.request_id is None:
                self.request_id = value.decode("latin-1")


def bearer_secret(headers: RequestHeaders) -> str | None:
    """The credential of `Authorization: Bearer` or `X-API-Key` (400 if both differ)."""
    authorization = headers.authorization
    header_key = headers.api_key
    secret = None
    if authorization is not None:
        scheme, _, value = authorization.strip().partition(" ")
        if scheme.lower() != "bearer" or not value.strip():
            raise InvalidCredentialError("send `Authorization: Bearer <key>`")
        secret = value.strip()
    if header_key is not None:
        if secret is not None and secret != header_key.strip():
            raise BadCredentialHeaderError(
                "Authorization and X-API-Key carry different keys; send one", "X-API-Key"
            )
        secret = header_key.strip()
    return secret


class AuthMiddleware:
    def __init__(
        self, app: ASGIApp, service: AuthService, tokens: TokenAuthenticator | None = None
    ) -> None:
        self.app = app
        self.service = service
        self.tokens = tokens  # OAuth access tokens (JWTs); None: API keys only
        self._on_write = service.on_write  # bound once, installed per request
        # Limits are fixed by the settings: without any, the fast path checks none.
        self._limits = service.ip_limiter.enabled or service.key_limiter.enabled

    def __call__(self, scope: Scope, receive: Receive, send: Send) -> Awaitable[None]:
        """The awaitable that serves the request: for a key verified a moment ago in a
        request with a context of its own (`OWN_CONTEXT`: `fedgate serve`), the inner app's,
        its state set in that context, so no frame of this middleware stays in the request
        (every suspension of the request passes through each frame); else a coroutine of
        this middleware that also undoes what it set."""
        if scope["type"] == "http":
            raw = scope["headers"]
            found = dict(raw)  # one C call; a repeated header (len differs) takes the full path
            authorization = found.get(b"authorization")
            if (
                authorization is not None
                and len(found) == len(raw)
                and b"x-api-key" not in found
                and (access := self.service.cached_access(authorization)) is not None
                and _plain_data_request(scope)
            ):  # the common request, served in this one call
                given = found.get(b"x-request-id")
                request_id = _request_id(given.decode("latin-1")) if given else _new_request_id()
                if self._limits:
                    refused = self._over_limit(scope, access)
                    if refused is not None:
                        return self._refused(scope, receive, send, refused, request_id)
                state = RequestState(access, request_id, access.principal, self._on_write)
                if scope.get(OWN_CONTEXT):  # its context ends with the request
                    REQUEST_STATE.set(state)
                    return self.app(scope, receive, RequestIdSend(send, request_id))
                return self._within(state, scope, receive, RequestIdSend(send, request_id))
        elif scope["type"] != "websocket":
            return self.app(scope, receive, send)
        return self._checked(scope, receive, send)

    async def _within(
        self, state: RequestState, scope: Scope, receive: Receive, send: Send
    ) -> None:
        """The inner app with `state` installed, undone after (a caller's shared context)."""
        token = REQUEST_STATE.set(state)
        try:
            await self.app(scope, receive, send)
        finally:
            REQUEST_STATE.reset(token)

    def _over_limit(self, scope: Scope, access: ScopedAccess) -> AuthError | None:
        """The 429 for a cached key: its client address throttled, or the key's rate."""
        try:
            self._check_ip(_client(scope))
            self._limited(access, access.principal.key_id)
        except AuthError as exc:
            return exc
        return None

    async def _refused(
        self, scope: Scope, receive: Receive, send: Send, exc: AuthError, request_id: str
    ) -> None:
        """`_refuse` with the request's state installed, as `_checked` refuses."""
        token = REQUEST_STATE.set(RequestState(NOBODY, request_id))
        try:
            await self._refuse(scope, receive, send, exc, request_id)
        finally:
            REQUEST_STATE.reset(token)

    async def _checked(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Every other request (websockets too): each check in order, refusals included."""
        headers = RequestHeaders(scope["headers"])
        request_id = _request_id(headers.request_id)
        # Installed before the credential is checked (a refusal's audit entry names the
        # request id too) and filled in once the caller is known.
        state = RequestState(NOBODY, request_id)
        token = REQUEST_STATE.set(state)
        try:
            try:
                access = await self._access(scope, headers)
            except AuthError as exc:
                await self._refuse(scope, receive, send, exc, request_id)
                return
            if access is not NOBODY:
                state.principal = access.principal
            state.access = access
            state.observer = self._on_write
            await self.app(scope, receive, RequestIdSend(send, request_id))
        finally:
            REQUEST_STATE.reset(token)

    async def _access(self, scope: Scope, headers: RequestHeaders) -> ScopedAccess:
        parameter = query_credential(scope.get("query_string", b""))
        if parameter is not None:
            raise CredentialInQueryError(parameter)
        if is_open(scope):
            return NOBODY
        secret = bearer_secret(headers)
        if secret is None:
            if self.service.auth.guest.enabled:
                return self._limited(self.service.guest_access(), _client(scope), "ip")
            raise MissingCredentialError()
        if self.tokens is not None and looks_like_jwt(secret):
            return await self._token_access(self.tokens, secret, _client(scope))
        return await self._key_access(secret, _client(scope))

    async def _token_access(
        self, tokens: TokenAuthenticator, secret: str, client: str
    ) -> ScopedAccess:
        """An OAuth access token: checked by `gateway.auth.oauth.resource`, never as a key."""
        self._check_ip(client)
        try:
            grant = tokens.cached(secret)  # checked a moment ago: no thread, no signature check
            if grant is None:
                grant = await anyio.to_thread.run_sync(tokens.grant, secret)
        except InvalidCredentialError:
            self.service.ip_limiter.take(client)
            raise
        return self._limited(tokens.access(grant), grant.principal.key_id, "token")

    async def _key_access(self, secret: str, client: str) -> ScopedAccess:
        service = self.service
        self._check_ip(client)
        if len(secret) == KEY_LENGTH and secret.isascii() and secret.startswith(PREFIX):
            # Fast path: a key verified (shape, checksum, store) within cache_seconds and
            # still valid now; anything else (unknown, refused, due a touch) goes below.
            access = service.cached_access(secret)
            if access is not None:
                return self._limited(access, access.principal.key_id)
        try:
            if not is_well_formed(secret):  # no lookup for a mistyped or made-up key
                raise InvalidCredentialError("the API key is malformed (wrong shape or checksum)")
            hit, grant = service.cached_grant(secret)
            if not hit:
                grant = await anyio.to_thread.run_sync(service.fetch_grant, secret)
            checked = service.check_grant(grant)
        except InvalidCredentialError as exc:
            service.ip_limiter.take(client)
            if exc.reason is not None:  # a real key: revoked, rotated out, expired
                await anyio.to_thread.run_sync(_audit_refusal, service, exc)
            raise
        if service.needs_touch(checked):
            await anyio.to_thread.run_sync(service.touch, checked)
        return self._limited(service.key_access(checked, secret), checked.id)

    def _check_ip(self, client: str) -> None:
        """429 while this address has used up its failed authentications."""
        limiter = self.service.ip_limiter
        if limiter.enabled:
            wait = limiter.retry_after(client)
            if wait:
                raise RateLimitedError("too many failed authentications from this address", wait)

    def _limited(self, access: ScopedAccess, key_id: str | None, kind: str = "key") -> ScopedAccess:
        limiter = self.service.key_limiter
        if limiter.enabled:
            wait = limiter.take(f"{kind}:{key_id}")
            if wait:
                raise RateLimitedError("too many requests for this key; slow down", wait)
        return access

    async def _refuse(
        self, scope: Scope, receive: Receive, send: Send, exc: AuthError, request_id: str
    ) -> None:
        if scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1008})
            return
        response = problem_from_error(exc)
        response.headers["X-Request-Id"] = request_id
        await response(scope, receive, send)


def _audit_refusal(service: AuthService, exc: InvalidCredentialError) -> None:
    detail = {"reason": exc.reason, "key": exc.key_prefix}
    service.record("auth.refused", "denied", target=exc.key_prefix, detail=detail)


def _client(scope: Scope) -> str:
    client = scope.get("client")
    return str(client[0]) if client else "unknown"


def _plain_data_request(scope: Scope) -> bool:
    """Whether the fast path may serve a request with a verified key (`AuthMiddleware`):
    one for data, with nothing that could be a credential in its query string. Anything
    else takes the full path, which decides (and refuses) exactly as for any request.
    Remembered per method, path and query (clients repeat theirs): one lookup."""
    request = (scope["method"], scope["path"], scope.get("query_string") or b"")
    plain = _PLAIN.get(request)
    if plain is None:
        plain = _is_plain(*request)
        if len(request[1]) + len(request[2]) <= MAX_PLAIN_LENGTH:  # a long one: not kept
            if len(_PLAIN) >= MAX_PLAIN:
                _PLAIN.clear()
            _PLAIN[request] = plain
    return plain


def _is_plain(method: str, path: str, query: bytes) -> bool:
    if query and _MAYBE_CREDENTIAL.search(query.lower()) is not None:
        return False
    if path in OPEN_PATHS or path.startswith(_OPEN_OR_OAUTH_PREFIXES):
        return False
    return path not in PAGES or method != "GET"  # maybe a page: `is_open` decides


_PLAIN: dict[tuple[str, str, bytes], bool] = {}
MAX_PLAIN = 4096  # entries, each of at most MAX_PLAIN_LENGTH characters of path and query:
MAX_PLAIN_LENGTH = 1024  # a few MB at most, whatever URLs a client sends


def _request_id(given: str | None) -> str:
    """The caller's X-Request-Id when it is sane, else 32 hex digits unique per request:
    64 random bits drawn once per process, then a 64-bit counter (no syscall per request)."""
    if given and _REQUEST_ID.fullmatch(given):
        return given
    return _new_request_id()


def _new_request_id() -> str:
    return _ID_PREFIX + next(_ID_COUNTER).to_bytes(8, "big").hex()  # twice f"{n:016x}"'s speed


class RequestIdSend:
    """`send` that adds `X-Request-Id` to the response start: a plain callable that returns
    the inner `send`'s awaitable, so a message costs no extra coroutine."""

    __slots__ = ("header", "send")

    def __init__(self, send: Send, request_id: str) -> None:
        self.send = send
        self.header = (b"x-request-id", request_id.encode("latin-1"))

    def __call__(self, message: Message) -> Awaitable[None]:
        if message["type"] == "http.response.start":  # a new dict per message: changed here
            message["headers"] = [*message.get("headers", ()), self.header]
        return self.send(message)
