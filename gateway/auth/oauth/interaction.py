"""Login sessions, pending authorization transactions and remembered consent (the store side).

A transaction holds a validated authorization request between the GET of
/oauth/authorize and the consent POST. Its CSRF token is bound to it (and, once
the user has logged in, the transaction to the session): another request's
token or another browser's session fails. Each page render mints a fresh CSRF
token; the consent POST consumes the transaction (single use).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

import orjson
import sqlalchemy as sa

from gateway.auth.oauth import opaque
from gateway.auth.oauth.tables import consents, login_sessions, transactions

SESSION_SECONDS = 8 * 3600
TRANSACTION_SECONDS = 600


def _sha(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


@dataclass(frozen=True, slots=True)
class Session:
    digest: str
    user_id: str
    auth_time: float


@dataclass(frozen=True, slots=True)
class Transaction:
    id: str
    params: list[tuple[str, str]]
    session_digest: str | None


def start_session(engine: sa.Engine, user_id: str, pepper: str | None, now: float) -> str:
    value = opaque.mint(opaque.SESSION)
    with engine.begin() as conn:
        conn.execute(login_sessions.delete().where(login_sessions.c.expires_at < now))
        conn.execute(
            login_sessions.insert().values(
                digest=opaque.digest(value, pepper),
                user_id=user_id,
                auth_time=now,
                expires_at=now + SESSION_SECONDS,
            )
        )
    return value


def find_session(
    engine: sa.Engine, value: str | None, pepper: str | None, now: float
) -> Session | None:
    if not value or not opaque.is_well_formed(value, opaque.SESSION):
        return None
    digest = opaque.digest(value, pepper)
    with engine.connect() as conn:
        row = conn.execute(
            sa.select(login_sessions).where(
                login_sessions.c.digest == digest, login_sessions.c.expires_at > now
            )
        ).first()
    return Session(row.digest, row.user_id, float(row.auth_time)) if row else None


def start_transaction(
    engine: sa.Engine, params: list[tuple[str, str]], session: Session | None, now: float
) -> tuple[str, str]:
    """Store a validated request; returns (transaction id, CSRF token for the first page)."""
    txn, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    with engine.begin() as conn:
        conn.execute(transactions.delete().where(transactions.c.expires_at < now))
        conn.execute(
            transactions.insert().values(
                id=txn,
                csrf_digest=_sha(csrf),
                params=orjson.dumps(params).decode(),
                session_digest=session.digest if session else None,
                created_at=now,
                expires_at=now + TRANSACTION_SECONDS,
            )
        )
    return txn, csrf


def find_transaction(
    engine: sa.Engine, txn: str, csrf: str | None, now: float
) -> Transaction | None:
    """The pending transaction; with `csrf`, only if the token matches it."""
    if not txn or len(txn) > 43:
        return None
    with engine.connect() as conn:
        row = conn.execute(
            sa.select(transactions).where(
                transactions.c.id == txn,
                transactions.c.used_at.is_(None),
                transactions.c.expires_at > now,
            )
        ).first()
    if row is None:
        return None
    if csrf is not None and not secrets.compare_digest(_sha(csrf), row.csrf_digest):
        return None
    params = [(str(k), str(v)) for k, v in orjson.loads(row.params)]
    return Transaction(row.id, params, row.session_digest)


def new_csrf(engine: sa.Engine, txn: str, session: Session | None) -> str:
    """A fresh CSRF token for the next form of this transaction (binds the session once known)."""
    csrf = secrets.token_urlsafe(32)
    values: dict[str, object] = {"csrf_digest": _sha(csrf)}
    if session is not None:
        values["session_digest"] = session.digest
    with engine.begin() as conn:
        conn.execute(transactions.update().where(transactions.c.id == txn).values(**values))
    return csrf


def finish_transaction(engine: sa.Engine, txn: str, now: float) -> bool:
    """Consume the transaction; False if it was consumed already (a replayed POST)."""
    with engine.begin() as conn:
        done = conn.execute(
            transactions.update()
            .where(transactions.c.id == txn, transactions.c.used_at.is_(None))
            .values(used_at=now)
        )
    return done.rowcount == 1


def remembered(engine: sa.Engine, user_id: str, client_id: str) -> tuple[str, ...]:
    with engine.connect() as conn:
        scope = conn.execute(
            sa.select(consents.c.scope).where(
                consents.c.user_id == user_id, consents.c.client_id == client_id
            )
        ).scalar()
    return tuple(scope.split()) if scope else ()


def remember(engine: sa.Engine, user_id: str, client_id: str, scope: str, now: float) -> None:
    with engine.begin() as conn:
        conn.execute(
            consents.delete().where(
                consents.c.user_id == user_id, consents.c.client_id == client_id
            )
        )
        conn.execute(
            consents.insert().values(
                user_id=user_id, client_id=client_id, scope=scope, granted_at=now
            )
        )


def forget(engine: sa.Engine, user_id: str, client_id: str) -> int:
    with engine.begin() as conn:
        done = conn.execute(
            consents.delete().where(
                consents.c.user_id == user_id, consents.c.client_id == client_id
            )
        )
    return int(done.rowcount)


def list_consents(engine: sa.Engine, user_id: str) -> list[tuple[str, str, float]]:
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(consents.c.client_id, consents.c.scope, consents.c.granted_at).where(
                consents.c.user_id == user_id
            )
        ).all()
    return [(r.client_id, r.scope, float(r.granted_at)) for r in rows]
