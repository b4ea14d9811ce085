"""Signing keys kept in the metadata store, rotatable, published as a JWKS.

Access tokens are signed ES256 (P-256); ID tokens RS256 (RSA 2048), the
algorithm OIDC relying parties assume unless registered otherwise. One key per
algorithm signs at a time. Rotating creates new keys that sign from then on;
the old key stops signing but stays in the JWKS (and keeps verifying) for the
overlap, so tokens it signed stay valid and relying parties that cached the old
JWKS find the new key on their next fetch. The private halves are stored in the
metadata store, sealed with the server pepper when one is set (sealing.py); protect
the store like the keys themselves either way (file mode 0600 on SQLite).
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import orjson
import sqlalchemy as sa
from joserfc.jwk import ECKey, KeyParameters, RSAKey

from gateway.auth.oauth.sealing import seal, unseal
from gateway.auth.oauth.tables import signing_keys

ALG = "ES256"  # access tokens
ID_ALG = "RS256"  # ID tokens
ALGS = (ALG, ID_ALG)
Key = ECKey | RSAKey
REFRESH_SECONDS = 60.0  # how often a process re-reads the keys (rotation by another process)
MISS_RELOAD_SECONDS = 5.0  # an unknown kid reloads at most this often (no DoS by made-up kids)


@dataclass(frozen=True, slots=True)
class KeyInfo:
    kid: str
    alg: str
    created_at: float
    retired_at: float | None
    expires_at: float | None

    def as_dict(self) -> dict[str, Any]:
        return {
            "kid": self.kid,
            "alg": self.alg,
            "created_at": self.created_at,
            "retired_at": self.retired_at,
            "expires_at": self.expires_at,
            "signing": self.retired_at is None,
        }


def _new_key(alg: str) -> tuple[str, Key]:
    kid = uuid.uuid4().hex
    parameters: KeyParameters = {"kid": kid, "alg": alg, "use": "sig"}
    if alg == ALG:
        return kid, ECKey.generate_key("P-256", parameters=parameters, private=True)
    return kid, RSAKey.generate_key(2048, parameters=parameters, private=True)


def _import(stored: str, kid: str, pepper: str | None) -> Key:
    data = orjson.loads(unseal(stored, kid, pepper))
    return ECKey.import_key(data) if data["kty"] == "EC" else RSAKey.import_key(data)


def _insert(conn: sa.Connection, kid: str, key: Key, now: float, pepper: str | None) -> None:
    private = orjson.dumps(key.as_dict(private=True)).decode()
    conn.execute(
        signing_keys.insert().values(
            kid=kid, alg=key.alg, private_jwk=seal(private, kid, pepper), created_at=now
        )
    )


def rotate(
    engine: sa.Engine, now: float, overlap_seconds: float, pepper: str | None = None
) -> list[str]:
    """New signing keys (one per algorithm); the current ones retire and leave the JWKS
    after the overlap. Returns the new kids, the access-token key's first."""
    new = [_new_key(alg) for alg in ALGS]
    with engine.begin() as conn:
        conn.execute(
            signing_keys.update()
            .where(signing_keys.c.retired_at.is_(None))
            .values(retired_at=now, expires_at=now + overlap_seconds)
        )
        for kid, key in new:
            _insert(conn, kid, key, now, pepper)
    return [kid for kid, _ in new]


def list_keys(engine: sa.Engine) -> list[KeyInfo]:
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(
                signing_keys.c.kid,
                signing_keys.c.alg,
                signing_keys.c.created_at,
                signing_keys.c.retired_at,
                signing_keys.c.expires_at,
            ).order_by(signing_keys.c.created_at)
        ).all()
    return [KeyInfo(r.kid, r.alg, r.created_at, r.retired_at, r.expires_at) for r in rows]


class KeyRing:
    """This process's view of the signing keys (a cache with one owner; `clear()` drops it)."""

    def __init__(
        self,
        engine: Callable[[], sa.Engine],
        clock: Callable[[], float],
        pepper: str | None = None,
    ) -> None:
        self._engine = engine
        self._clock = clock
        self._pepper = pepper
        self._lock = threading.Lock()
        self._keys: dict[str, Key] = {}
        self._signing: dict[str, str] = {}
        self._loaded_at = float("-inf")
        self._missed_at = float("-inf")

    def clear(self) -> None:
        with self._lock:
            self._loaded_at = float("-inf")

    def _load(self) -> None:
        now = self._clock()
        with self._engine().begin() as conn:
            rows = conn.execute(
                sa.select(signing_keys).where(
                    sa.or_(signing_keys.c.expires_at.is_(None), signing_keys.c.expires_at > now)
                )
            ).all()
            missing = [
                a for a in ALGS if not any(r.retired_at is None and r.alg == a for r in rows)
            ]
            for alg in missing:  # first start: make the first keys
                kid, key = _new_key(alg)
                _insert(conn, kid, key, now, self._pepper)
            if missing:
                rows = conn.execute(
                    sa.select(signing_keys).where(
                        sa.or_(signing_keys.c.expires_at.is_(None), signing_keys.c.expires_at > now)
                    )
                ).all()
        keys = {r.kid: _import(r.private_jwk, r.kid, self._pepper) for r in rows}
        signing = {
            alg: max(
                (r for r in rows if r.retired_at is None and r.alg == alg),
                key=lambda r: r.created_at,
            ).kid
            for alg in ALGS
        }
        self._keys, self._signing, self._loaded_at = keys, signing, now

    def _fresh(self) -> None:
        if self._clock() - self._loaded_at >= REFRESH_SECONDS:
            with self._lock:
                if self._clock() - self._loaded_at >= REFRESH_SECONDS:
                    self._load()

    def signing_key(self, alg: str = ALG) -> Key:
        self._fresh()
        return self._keys[self._signing[alg]]

    def verify_key(self, kid: str, alg: str = ALG) -> Key | None:
        """The key with this kid and algorithm, if it is in the JWKS now (may read the store)."""
        self._fresh()
        key = self._keys.get(kid)
        now = self._clock()
        if key is None and now - self._missed_at >= MISS_RELOAD_SECONDS:
            with self._lock:
                self._missed_at = now
                self._load()
            key = self._keys.get(kid)
        return key if key is not None and key.alg == alg else None

    def jwks(self) -> dict[str, Any]:
        self._fresh()
        return {"keys": [k.as_dict(private=False) for k in self._keys.values()]}
