"""The auth service of one gateway process: the store, the key cache, limits and auditing.

Checking a key: shape and checksum (no lookup), then the digest against a
per-process cache of at most `cache_seconds`, else the store; then revocation,
rotation grace, expiry and the owner; then the owner's current roles. A key
revoked anywhere is refused by every process sharing the store within
`cache_seconds` (at once in the process that revoked it).
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa

from config.errors import ConfigError
from config.settings import Settings
from gateway.auth import apikeys, audit
from gateway.auth.access import Principal, ScopedAccess
from gateway.auth.context import current_principal, current_request_id
from gateway.auth.errors import InvalidCredentialError
from gateway.auth.keys import is_well_formed, key_digest, ready_key
from gateway.auth.ratelimit import RateLimiter
from gateway.auth.scopes import ScopeSyntaxError, parse_scopes
from gateway.auth.store import create_store_engine, store_url, upgrade
from gateway.auth.write_audit import write_detail
from gateway.query.access import TableUse
from gateway.query.ir import Delete, Insert, Result, Update
from schema_cache.model import Catalog, Table

log = logging.getLogger(__name__)
LAST_USED_EVERY = 60.0  # seconds between two writes of a key's last use
MAX_CACHED = 10_000
GUEST = Principal("guest", "guest")


class AuthService:
    """Args:
    settings: the gateway settings (`auth` section, snapshot path for the default store).
    get_catalog: the current catalog (default schemas when matching scopes).
    clock: seconds since the epoch; tests replace it to control expiry and grace.
    """

    def __init__(
        self,
        settings: Settings,
        get_catalog: Callable[[], Catalog] | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.auth = settings.auth
        self.url = store_url(settings)
        self.pepper = self.auth.pepper or os.environ.get("FEDGATE_PEPPER") or None
        self.clock = clock
        self._get_catalog = get_catalog or Catalog
        try:
            self.guest_scopes = parse_scopes(self.auth.guest.scopes)
        except ScopeSyntaxError as exc:
            raise ConfigError(str(exc), file=settings.file, path="auth.guest.scopes") from None
        self._engine: sa.Engine | None = None
        self._guest: ScopedAccess | None = None
        self._cache: dict[str, tuple[float, apikeys.KeyGrant | None]] = {}
        self._accesses: dict[str, tuple[apikeys.KeyGrant, ScopedAccess]] = {}
        # `Bearer <key>` bytes -> (until, access): `_remember`
        self._ready: dict[bytes, tuple[float, ScopedAccess]] = {}
        self._next_sweep = 0.0
        self._touched: dict[str, float] = {}
        self._lock = threading.Lock()
        limits = self.auth.rate_limits
        now = lambda: self.clock()  # noqa: E731 - follows a replaced clock
        self.key_limiter = RateLimiter(limits.requests_per_second, limits.burst, now)
        self.ip_limiter = RateLimiter(
            limits.failed_auth_per_minute / 60, limits.failed_auth_burst, now
        )

    @property
    def engine(self) -> sa.Engine:
        if self._engine is None:
            self._engine = create_store_engine(self.url)
        return self._engine

    def start(self) -> None:
        """Migrate the store (every start; a no-op when it is current)."""
        upgrade(self.engine)

    def dispose(self) -> None:
        if self._engine is not None:
            self._engine.dispose()

    # -- credentials -------------------------------------------------------------

    def cached_grant(self, secret: str) -> tuple[bool, apikeys.KeyGrant | None]:
        """(hit, grant) from the cache only: no I/O, safe on the event loop."""
        digest = key_digest(secret, self.pepper)
        entry = self._cache.get(digest)
        if entry is not None and self.clock() - entry[0] < self.auth.cache_seconds:
            return True, entry[1]
        return False, None

    def cached_access(self, credential: str | bytes) -> ScopedAccess | None:
        """The Access of a key verified and looked up within `cache_seconds`, while nothing
        about it can have changed: one dict lookup, one clock read (no I/O, no digest).

        `credential`: the key, or an `Authorization` value as it came (bytes). None for
        anything else (not cached, refused, due a last-use write, another spelling of the
        header): the caller then takes the full path (shape and checksum, cache or store,
        checks). Only keys that passed every check are here (`_remember`).
        """
        header = credential if isinstance(credential, bytes) else ready_key(credential)
        entry = self._ready.get(header)
        if entry is None:
            return None
        if self.clock() < entry[0]:
            return entry[1]
        self._ready.pop(header, None)  # no key kept in memory past its entry's time
        return None

    def _remember(self, grant: apikeys.KeyGrant, access: ScopedAccess, secret: str) -> None:
        """Keep the Access of a checked grant until the first moment the full path could
        answer otherwise: the cache entry's age, expiry, revocation, the end of a rotation
        grace, or the next last-use write. Revocation in this process clears it (`forget`).

        Keyed by the exact header a client sends (`ready_key`), not by a digest: this map
        lives in this process's memory only (like the request that carried the key) and a
        hit then costs one dict lookup instead of a SHA-256 or HMAC per request (in a whole
        request ~2.5 us: OpenSSL's code is cold there). Python's dict compares a key only
        after its per-process keyed SipHash matched, so a lookup reveals nothing by its
        timing. An expired entry is dropped when its key comes again, or by the sweep here (at
        most once every `cache_seconds`, when a key is checked in full)."""
        last_used = max(self._touched.get(grant.id, 0.0), grant.last_used_at or 0.0)
        ends = [grant.expires_at, last_used + LAST_USED_EVERY]
        ends.extend(t for t in (grant.revoked_at, grant.grace_until) if t is not None)
        with self._lock:  # under `forget`'s lock: a key forgotten meanwhile is not kept
            cached = self._cache.get(grant.digest)
            if cached is None or cached[1] is not grant or not grant.owner_active:
                return
            ends.append(cached[0] + self.auth.cache_seconds)
            now = self.clock()
            if len(self._ready) >= MAX_CACHED or now >= self._next_sweep:
                self._ready = {k: v for k, v in self._ready.items() if now < v[0]}
                self._next_sweep = now + self.auth.cache_seconds
                if len(self._ready) >= MAX_CACHED:
                    self._ready.clear()
            self._ready[ready_key(secret)] = (min(ends), access)

    def fetch_grant(self, secret: str) -> apikeys.KeyGrant | None:
        """Look a well-formed key up in the store (blocking) and cache the answer."""
        if not is_well_formed(secret):  # never a lookup, never a cache entry
            return None
        digest = key_digest(secret, self.pepper)
        grant = apikeys.fetch_grant(self.engine, digest)
        with self._lock:
            if len(self._cache) >= MAX_CACHED:
                self._cache.clear()
            self._cache[digest] = (self.clock(), grant)
        return grant

    def check_grant(self, grant: apikeys.KeyGrant | None) -> apikeys.KeyGrant:
        if grant is None:
            raise InvalidCredentialError("the API key is not valid")
        reason = grant.refusal(self.clock())
        if reason is not None:
            raise InvalidCredentialError(
                f"the API key is not valid ({reason})", reason=reason, key_prefix=grant.prefix
            )
        return grant

    def needs_touch(self, grant: apikeys.KeyGrant) -> bool:
        last = max(self._touched.get(grant.id, 0.0), grant.last_used_at or 0.0)
        return self.clock() - last >= LAST_USED_EVERY

    def touch(self, grant: apikeys.KeyGrant) -> None:
        """Write the key's last use (blocking; at most once a minute per key and process)."""
        now = self.clock()
        self._touched[grant.id] = now
        apikeys.touch_key(self.engine, grant.id, now)

    def authenticate_sync(self, secret: str) -> ScopedAccess:
        """Everything `middleware` does for a key, blocking (CLI, tests, benchmarks)."""
        if not is_well_formed(secret):
            raise InvalidCredentialError("the API key is malformed (wrong shape or checksum)")
        hit, grant = self.cached_grant(secret)
        if not hit:
            grant = self.fetch_grant(secret)
        checked = self.check_grant(grant)
        if self.needs_touch(checked):
            self.touch(checked)
        return self.key_access(checked, secret)

    def forget(self, key_id: str | None = None) -> None:
        """Drop cached grants (all, or one key's): revocation is at once in this process."""
        with self._lock:
            self._accesses.clear()
            self._ready.clear()
            if key_id is None:
                self._cache.clear()
            else:
                for digest, (_, grant) in list(self._cache.items()):
                    if grant is not None and grant.id == key_id:
                        del self._cache[digest]

    # -- access ------------------------------------------------------------------

    def _default_schema(self, source: str) -> str | None:
        found = self._get_catalog().get_source(source)
        return found.default_schema if found is not None else None

    def key_access(self, grant: apikeys.KeyGrant, secret: str) -> ScopedAccess:
        """The Access of a checked grant (of `secret`); built once per looked-up grant (it
        parses scopes)."""
        known = self._accesses.get(grant.digest)
        if known is not None and known[0] is grant:
            self._remember(grant, known[1], secret)
            return known[1]
        principal = Principal("key", grant.owner_name, grant.owner_id, grant.id, grant.prefix)
        access = ScopedAccess(
            principal, (grant.scopes, grant.role_scopes), self._default_schema, self.on_denied
        )
        if len(self._accesses) >= MAX_CACHED:
            self._accesses.clear()
        self._accesses[grant.digest] = (grant, access)
        self._remember(grant, access, secret)
        return access

    def guest_access(self) -> ScopedAccess:
        if self._guest is None:
            self._guest = ScopedAccess(
                GUEST, (self.guest_scopes,), self._default_schema, self.on_denied
            )
        return self._guest

    # -- audit -------------------------------------------------------------------

    def record(
        self,
        action: str,
        outcome: str,
        *,
        principal: Principal | None = None,
        target: str | None = None,
        detail: dict[str, Any] | None = None,
    ) -> None:
        """Append one audit entry (blocking). Failing to audit is logged, never shown."""
        who = principal or current_principal()
        info = dict(detail or {})
        if who is not None and who.key_prefix:
            info.setdefault("key", who.key_prefix)
        try:
            audit.append(
                self.engine,
                action=action,
                outcome=outcome,
                principal=who.name if who is not None else None,
                request_id=current_request_id(),
                target=target,
                detail=info or None,
                clock=self.clock,
            )
        except sa.exc.SQLAlchemyError:
            log.exception("audit entry '%s' could not be written", action)

    def on_denied(self, principal: Principal, scope: str, use: TableUse | None) -> None:
        detail = {"scope": scope}
        if use is not None:
            detail.update(source=use.source, table=use.table, operation=use.operation)
        self.record("access.denied", "denied", principal=principal, target=scope, detail=detail)

    def on_write(
        self,
        statement: Insert | Update | Delete,
        table: Table,
        result: Result | None,
        error: str | None = None,
    ) -> None:
        detail = write_detail(statement, table, result or Result())
        if error is not None:
            detail.update(rows=0, error=error)
        target = f"{detail['source']}.{detail['table']}"
        outcome = "ok" if error is None else "failed"
        self.record(f"data.{detail['operation']}", outcome, target=target, detail=detail)
