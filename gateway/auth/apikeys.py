"""API-key records: create (the key is returned once), look up by digest, rotate, revoke."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import sqlalchemy as sa

from gateway.auth.errors import AdminInputError, AdminNotFoundError
from gateway.auth.keys import display_prefix, generate_key, key_digest, same_digest
from gateway.auth.scopes import split_scopes
from gateway.auth.tables import api_keys, users
from gateway.auth.users import role_scopes, validated_scopes

DAY = 86_400.0
HOUR = 3_600.0
MAX_GRACE_HOURS = 168  # 7 days


@dataclass(frozen=True, slots=True)
class KeyInfo:
    """What lists show of a key (never the key, never its digest)."""

    id: str
    prefix: str
    name: str
    owner: str
    scopes: tuple[str, ...]
    created_at: float
    expires_at: float
    last_used_at: float | None
    revoked_at: float | None
    grace_until: float | None
    rotated_from_id: str | None

    def as_dict(self) -> dict[str, object]:
        return {
            "id": self.id,
            "prefix": self.prefix,
            "name": self.name,
            "owner": self.owner,
            "scopes": list(self.scopes),
            "created_at": self.created_at,
            "expires_at": self.expires_at,
            "last_used_at": self.last_used_at,
            "revoked_at": self.revoked_at,
            "grace_until": self.grace_until,
            "rotated_from_id": self.rotated_from_id,
        }


@dataclass(frozen=True, slots=True)
class NewKey:
    """A freshly minted key: `secret` is shown once and stored nowhere."""

    secret: str
    info: KeyInfo


@dataclass(frozen=True, slots=True)
class KeyGrant:
    """A looked-up key with its owner's current role scopes (for `ScopedAccess`)."""

    id: str
    digest: str
    prefix: str
    owner_id: str
    owner_name: str
    owner_active: bool
    scopes: tuple[str, ...]
    role_scopes: tuple[str, ...]
    expires_at: float
    revoked_at: float | None
    grace_until: float | None
    last_used_at: float | None

    def refusal(self, now: float) -> str | None:
        """Why the key is not valid at `now` (None: valid)."""
        if self.revoked_at is not None and self.revoked_at <= now:
            return "revoked"
        if self.grace_until is not None and self.grace_until <= now:
            return "rotated"
        if self.expires_at <= now:
            return "expired"
        if not self.owner_active:
            return "owner inactive"
        return None


def _info(row: sa.Row[object]) -> KeyInfo:
    r = row._mapping
    return KeyInfo(
        r["id"],
        r["prefix"],
        r["name"],
        r["owner"],
        split_scopes(r["scopes"]),
        float(r["created_at"]),
        float(r["expires_at"]),
        _opt(r["last_used_at"]),
        _opt(r["revoked_at"]),
        _opt(r["grace_until"]),
        r["rotated_from_id"],
    )


def _opt(value: object) -> float | None:
    return None if value is None else float(value)  # type: ignore[arg-type]


def _select_info() -> sa.Select[tuple[object, ...]]:
    return sa.select(
        *(c for c in api_keys.c if c.name != "digest"), users.c.name.label("owner")
    ).join(users, users.c.id == api_keys.c.owner_id)


def create_key(
    engine: sa.Engine,
    *,
    name: str,
    owner: str,
    scopes: list[str] | tuple[str, ...],
    expires_in_days: float,
    max_days: float,
    pepper: str | None,
    now: float,
    created_by: str | None,
    rotated_from_id: str | None = None,
) -> NewKey:
    if not name or len(name) > 120:
        raise AdminInputError("a key name has 1 to 120 characters")
    if not 0 < expires_in_days <= max_days:
        raise AdminInputError(
            f"expires_in_days must be between 1 and {max_days:g}: every key expires",
            errors=[{"parameter": "expires_in_days", "detail": "out of range"}],
        )
    scopes = validated_scopes(scopes)
    secret = generate_key()
    key_id = uuid.uuid4().hex
    with engine.begin() as conn:
        owner_id = conn.execute(sa.select(users.c.id).where(users.c.name == owner)).scalar()
        if owner_id is None:
            raise AdminNotFoundError(f"no user named '{owner}'")
        conn.execute(
            api_keys.insert().values(
                id=key_id,
                prefix=display_prefix(secret),
                digest=key_digest(secret, pepper),
                name=name,
                owner_id=owner_id,
                scopes=" ".join(scopes),
                created_at=now,
                created_by=created_by,
                expires_at=now + expires_in_days * DAY,
                rotated_from_id=rotated_from_id,
            )
        )
    return NewKey(secret, get_key(engine, key_id))


def get_key(engine: sa.Engine, key_id: str) -> KeyInfo:
    with engine.connect() as conn:
        row = conn.execute(_select_info().where(api_keys.c.id == key_id)).first()
    if row is None:
        raise AdminNotFoundError(f"no API key with id '{key_id}'")
    return _info(row)


def list_keys(engine: sa.Engine, owner: str | None = None) -> list[KeyInfo]:
    statement = _select_info().order_by(api_keys.c.created_at)
    if owner is not None:
        statement = statement.where(users.c.name == owner)
    with engine.connect() as conn:
        return [_info(r) for r in conn.execute(statement).all()]


def revoke_key(engine: sa.Engine, key_id: str, *, now: float, reason: str | None) -> KeyInfo:
    with engine.begin() as conn:
        done = conn.execute(
            api_keys.update()
            .where(api_keys.c.id == key_id, api_keys.c.revoked_at.is_(None))
            .values(revoked_at=now, revoked_reason=(reason or "revoked")[:200])
        )
        if (
            done.rowcount == 0
            and conn.execute(sa.select(api_keys.c.id).where(api_keys.c.id == key_id)).first()
            is None
        ):
            raise AdminNotFoundError(f"no API key with id '{key_id}'")
    return get_key(engine, key_id)


def rotate_key(
    engine: sa.Engine,
    key_id: str,
    *,
    grace_hours: float,
    pepper: str | None,
    now: float,
    max_days: float,
    created_by: str | None,
) -> NewKey:
    """A new key with the same name, owner, scopes and lifetime; the old one ends after grace."""
    if not 0 <= grace_hours <= MAX_GRACE_HOURS:
        raise AdminInputError(f"grace_hours must be between 0 and {MAX_GRACE_HOURS} (7 days)")
    old = get_key(engine, key_id)
    if old.revoked_at is not None or (old.grace_until is not None and old.grace_until <= now):
        raise AdminInputError(f"key '{key_id}' is revoked or already rotated out")
    lifetime_days = max(1.0, (old.expires_at - old.created_at) / DAY)
    new = create_key(
        engine,
        name=old.name,
        owner=old.owner,
        scopes=old.scopes,
        expires_in_days=min(lifetime_days, max_days),
        max_days=max_days,
        pepper=pepper,
        now=now,
        created_by=created_by,
        rotated_from_id=old.id,
    )
    grace_until = min(now + grace_hours * HOUR, old.expires_at)
    with engine.begin() as conn:
        conn.execute(
            api_keys.update().where(api_keys.c.id == key_id).values(grace_until=grace_until)
        )
    return new


def fetch_grant(engine: sa.Engine, digest: str) -> KeyGrant | None:
    """The key with this digest and its owner's current roles (two indexed queries)."""
    with engine.connect() as conn:
        row = conn.execute(
            sa.select(
                api_keys, users.c.name.label("owner_name"), users.c.active.label("owner_active")
            )
            .join(users, users.c.id == api_keys.c.owner_id)
            .where(api_keys.c.digest == digest)
        ).first()
        if row is None or not same_digest(row.digest, digest):
            return None
        held = role_scopes(conn, row.owner_id)
    return KeyGrant(
        row.id,
        row.digest,
        row.prefix,
        row.owner_id,
        row.owner_name,
        bool(row.owner_active),
        split_scopes(row.scopes),
        held,
        float(row.expires_at),
        _opt(row.revoked_at),
        _opt(row.grace_until),
        _opt(row.last_used_at),
    )


def touch_key(engine: sa.Engine, key_id: str, now: float) -> None:
    with engine.begin() as conn:
        conn.execute(api_keys.update().where(api_keys.c.id == key_id).values(last_used_at=now))


def digest_of(secret: str, pepper: str | None) -> str:
    return key_digest(secret, pepper)
