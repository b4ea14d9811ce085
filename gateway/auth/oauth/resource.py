"""The resource-server side: a bearer JWT access token -> the `ScopedAccess` of the request.

A token passes `tokens.verify_access_token` (typ, alg, kid, signature, iss,
aud, exp), then its `jti` record must be live (not revoked, not expired) and
its client active. Its rights are its scopes ∩ the user's current roles (user
tokens) or ∩ the client's current resource access (client_credentials), so a
role taken away or a narrowed client takes effect on the next request. Records
are cached per process for `auth.cache_seconds`; a revocation through this
process clears the cache at once.
"""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING

import sqlalchemy as sa

from gateway.auth.access import Principal, ScopedAccess
from gateway.auth.errors import InvalidCredentialError
from gateway.auth.oauth import clients, records, tokens
from gateway.auth.scopes import split_scopes
from gateway.auth.tables import users
from gateway.auth.users import role_scopes

if TYPE_CHECKING:
    from gateway.auth.oauth.server import OAuthServer

MAX_CACHED = 10_000


@dataclass(frozen=True, slots=True)
class TokenGrant:
    """What one live token may do right now."""

    principal: Principal
    scopes: tuple[str, ...]
    bound: tuple[str, ...]  # the user's role scopes or the client's resource access


class TokenRefusedError(InvalidCredentialError):
    def __init__(self, reason: str) -> None:
        super().__init__("the access token is not valid", reason=None)
        self.why = reason  # for the audit log only


class TokenAuthenticator:
    def __init__(self, server: OAuthServer) -> None:
        self.server = server
        self._cache: dict[str, tuple[float, TokenGrant | None]] = {}
        # token digest -> (checked at, exp, grant): a token checked in full a moment ago
        self._checked: dict[str, tuple[float, int, TokenGrant]] = {}
        self._lock = threading.Lock()

    def clear(self) -> None:
        with self._lock:
            self._cache.clear()
            self._checked.clear()

    def cached(self, token: str) -> TokenGrant | None:
        """The grant of a token checked in full within `cache_seconds` and not expired since
        (no I/O, no signature check: safe on the event loop); None: check it with `grant`."""
        entry = self._checked.get(hashlib.sha256(token.encode()).hexdigest())
        if entry is None:
            return None
        now = self.server.now()
        checked_at, exp, grant = entry
        if now - checked_at >= self.server.service.auth.cache_seconds or exp <= now:
            return None
        return grant

    def grant(self, token: str) -> TokenGrant:
        """Check a bearer token (blocking); `TokenRefusedError` when it is not valid now."""
        server = self.server
        now = server.now()
        try:
            claims = tokens.verify_access_token(
                server.ring, token, issuer=server.issuer, audience=server.audience, now=now
            )
        except tokens.TokenRejectedError as exc:
            raise TokenRefusedError(str(exc)) from None
        jti = claims["jti"]
        entry = self._cache.get(jti)
        if entry is not None and now - entry[0] < server.service.auth.cache_seconds:
            found = entry[1]
        else:
            found = self._fetch(jti, now)
            with self._lock:
                if len(self._cache) >= MAX_CACHED:
                    self._cache.clear()
                self._cache[jti] = (now, found)
        if found is None:  # one of ours, signature and all: a denial worth auditing
            detail = {"reason": "revoked or client/user inactive", "jti": jti}
            self.server.audit("auth.refused", "denied", claims["client_id"], **detail)
            raise TokenRefusedError("revoked, expired, or its client or user is no longer active")
        with self._lock:
            if len(self._checked) >= MAX_CACHED:
                self._checked.clear()
            digest = hashlib.sha256(token.encode()).hexdigest()
            self._checked[digest] = (now, int(claims["exp"]), found)
        return found

    def _fetch(self, jti: str, now: float) -> TokenGrant | None:
        with self.server.engine.connect() as conn:
            record = records.find_access(conn, jti)
            if record is None or not record.is_live(now):
                return None
            client = clients.fetch_client(conn, record.client_id)
            if client is None or client.status != "active":
                return None
            if record.user_id is None:
                principal = Principal("oauth", f"client:{client.id}", None, jti)
                return TokenGrant(principal, split_scopes(record.scope), client.resource_scopes)
            user = conn.execute(sa.select(users).where(users.c.id == record.user_id)).first()
            if user is None or not user.active:
                return None
            principal = Principal("oauth", user.name, user.id, jti)
            return TokenGrant(principal, split_scopes(record.scope), role_scopes(conn, user.id))

    def access(self, grant: TokenGrant) -> ScopedAccess:
        service = self.server.service
        return ScopedAccess(
            grant.principal,
            (grant.scopes, grant.bound),
            service._default_schema,  # same matching of default schemas as API keys
            service.on_denied,
        )
