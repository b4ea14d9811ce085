"""What the server remembers of what it issued: codes, refresh tokens, access-token ids.

Consuming a code or a refresh token is one `UPDATE … WHERE used_at IS NULL`:
of two concurrent redemptions exactly one wins. A spent value is kept until it
expires so that its reuse is recognised, and reuse revokes the whole grant
(every access and refresh token descending from the same authorization).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import sqlalchemy as sa

from gateway.auth.oauth.tables import access_tokens, codes, refresh_tokens


@dataclass(frozen=True, slots=True)
class CodeRecord:
    digest: str
    client_id: str
    user_id: str
    redirect_uri: str
    scope: str
    nonce: str | None
    code_challenge: str
    code_challenge_method: str
    auth_time: float
    grant_id: str
    expires_at: float
    used_at: float | None

    # Authlib's AuthorizationCodeMixin and OIDC's additions
    def get_redirect_uri(self) -> str:
        return self.redirect_uri

    def get_scope(self) -> str:
        return self.scope

    def get_nonce(self) -> str | None:
        return self.nonce

    def get_auth_time(self) -> int:
        return int(self.auth_time)

    def get_acr(self) -> None:
        return None

    def get_amr(self) -> None:
        return None


@dataclass(frozen=True, slots=True)
class RefreshRecord:
    id: str
    digest: str
    grant_id: str
    client_id: str
    user_id: str
    scope: str
    expires_at: float
    used_at: float | None
    revoked_at: float | None

    def check_client(self, client: object) -> bool:
        return getattr(client, "id", None) == self.client_id

    def get_scope(self) -> str:
        return self.scope


@dataclass(frozen=True, slots=True)
class AccessRecord:
    jti: str
    client_id: str
    user_id: str | None
    grant_id: str | None
    scope: str
    issued_at: float
    expires_at: float | None
    revoked_at: float | None

    def is_live(self, now: float) -> bool:
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > now)


def save_code(conn: sa.Connection, record: CodeRecord, now: float) -> None:
    conn.execute(
        codes.insert().values(
            digest=record.digest,
            client_id=record.client_id,
            user_id=record.user_id,
            redirect_uri=record.redirect_uri,
            scope=record.scope,
            nonce=record.nonce,
            code_challenge=record.code_challenge,
            code_challenge_method=record.code_challenge_method,
            auth_time=record.auth_time,
            grant_id=record.grant_id,
            created_at=now,
            expires_at=record.expires_at,
        )
    )
    conn.execute(codes.delete().where(codes.c.expires_at < now - 3600))  # housekeeping


def find_code(conn: sa.Connection, digest: str) -> CodeRecord | None:
    row = conn.execute(sa.select(codes).where(codes.c.digest == digest)).first()
    if row is None:
        return None
    return CodeRecord(
        row.digest,
        row.client_id,
        row.user_id,
        row.redirect_uri,
        row.scope,
        row.nonce,
        row.code_challenge,
        row.code_challenge_method,
        float(row.auth_time),
        row.grant_id,
        float(row.expires_at),
        row.used_at,
    )


def consume_code(conn: sa.Connection, digest: str, now: float) -> bool:
    """Mark the code used; False if it was used already (the caller lost a race or replays)."""
    done = conn.execute(
        codes.update()
        .where(codes.c.digest == digest, codes.c.used_at.is_(None), codes.c.expires_at > now)
        .values(used_at=now)
    )
    return done.rowcount == 1


def save_refresh(
    conn: sa.Connection,
    *,
    digest: str,
    grant_id: str,
    parent_id: str | None,
    client_id: str,
    user_id: str,
    scope: str,
    secret_id: str | None,
    now: float,
    expires_at: float,
) -> str:
    token_id = uuid.uuid4().hex
    conn.execute(
        refresh_tokens.insert().values(
            id=token_id,
            digest=digest,
            grant_id=grant_id,
            parent_id=parent_id,
            client_id=client_id,
            user_id=user_id,
            scope=scope,
            secret_id=secret_id,
            created_at=now,
            expires_at=expires_at,
        )
    )
    return token_id


def find_refresh(conn: sa.Connection, digest: str) -> RefreshRecord | None:
    row = conn.execute(sa.select(refresh_tokens).where(refresh_tokens.c.digest == digest)).first()
    if row is None:
        return None
    return RefreshRecord(
        row.id,
        row.digest,
        row.grant_id,
        row.client_id,
        row.user_id,
        row.scope,
        float(row.expires_at),
        row.used_at,
        row.revoked_at,
    )


def consume_refresh(conn: sa.Connection, token_id: str, now: float) -> bool:
    done = conn.execute(
        refresh_tokens.update()
        .where(
            refresh_tokens.c.id == token_id,
            refresh_tokens.c.used_at.is_(None),
            refresh_tokens.c.revoked_at.is_(None),
        )
        .values(used_at=now)
    )
    return done.rowcount == 1


def save_access(
    conn: sa.Connection,
    *,
    jti: str,
    client_id: str,
    user_id: str | None,
    grant_id: str | None,
    secret_id: str | None,
    scope: str,
    issued_at: float,
    expires_at: float | None,
) -> None:
    conn.execute(
        access_tokens.insert().values(
            jti=jti,
            client_id=client_id,
            user_id=user_id,
            grant_id=grant_id,
            secret_id=secret_id,
            scope=scope,
            issued_at=issued_at,
            expires_at=expires_at,
        )
    )


def find_access(conn: sa.Connection, jti: str) -> AccessRecord | None:
    row = conn.execute(sa.select(access_tokens).where(access_tokens.c.jti == jti)).first()
    if row is None:
        return None
    return AccessRecord(
        row.jti,
        row.client_id,
        row.user_id,
        row.grant_id,
        row.scope,
        float(row.issued_at),
        None if row.expires_at is None else float(row.expires_at),
        row.revoked_at,
    )


def revoke_grant(conn: sa.Connection, grant_id: str, now: float) -> int:
    """Revoke every token of one authorization (a refresh family); returns how many."""
    a = conn.execute(
        access_tokens.update()
        .where(access_tokens.c.grant_id == grant_id, access_tokens.c.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    r = conn.execute(
        refresh_tokens.update()
        .where(refresh_tokens.c.grant_id == grant_id, refresh_tokens.c.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    return int(a.rowcount) + int(r.rowcount)


def revoke_access(conn: sa.Connection, jti: str, now: float) -> None:
    conn.execute(
        access_tokens.update()
        .where(access_tokens.c.jti == jti, access_tokens.c.revoked_at.is_(None))
        .values(revoked_at=now)
    )


def revoke_client_tokens(conn: sa.Connection, client_id: str, now: float) -> int:
    """Revoke every access and refresh token of a client (reauthorize, deactivate, delete)."""
    a = conn.execute(
        access_tokens.update()
        .where(access_tokens.c.client_id == client_id, access_tokens.c.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    r = conn.execute(
        refresh_tokens.update()
        .where(refresh_tokens.c.client_id == client_id, refresh_tokens.c.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    c = conn.execute(
        codes.update()
        .where(codes.c.client_id == client_id, codes.c.used_at.is_(None))
        .values(used_at=now)
    )
    return int(a.rowcount) + int(r.rowcount) + int(c.rowcount)


def sweep(conn: sa.Connection, now: float, keep: float) -> int:
    """Delete what can never be valid again: access tokens and refresh families that expired
    more than `keep` seconds ago (an unknown token answers like an expired one)."""
    a = conn.execute(
        access_tokens.delete().where(
            access_tokens.c.expires_at.is_not(None), access_tokens.c.expires_at < now - keep
        )
    )
    r = conn.execute(refresh_tokens.delete().where(refresh_tokens.c.expires_at < now - keep))
    return int(a.rowcount) + int(r.rowcount)
