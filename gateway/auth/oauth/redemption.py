"""Redeeming codes and refresh tokens: single use, atomic, and reuse revokes the grant.

A code or refresh token is looked up by digest, then consumed with one
`UPDATE … WHERE used_at IS NULL` before any token is minted (Authlib mints
first and deletes after): of two concurrent redemptions exactly one wins. A
spent value is kept until it expires; presenting it again revokes every token
of its grant (RFC 6749 §4.1.2, ASVS 10.4.2 and 10.4.5) and is audited.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from authlib.oauth2.rfc6749.errors import InvalidGrantError

from gateway.auth.oauth import opaque, records
from gateway.auth.oauth.clients import Client

if TYPE_CHECKING:
    from gateway.auth.oauth.server import OAuthServer


class Redemption:
    def __init__(self, server: OAuthServer) -> None:
        self.server = server

    # -- codes -------------------------------------------------------------------------

    def save_code(self, code: str, request: Any) -> None:
        s = self.server
        now = s.now()
        data = request.payload.data
        wanted = tuple(request.scope.split()) if request.scope else ()
        record = records.CodeRecord(
            digest=opaque.digest(code, s.service.pepper),
            client_id=request.client.id,
            user_id=request.user.id,
            # as sent: the token request must repeat it only if the authorization request had it
            redirect_uri=request.payload.redirect_uri or "",
            scope=" ".join(s.held_scope(request.user.id, wanted)),
            nonce=data.get("nonce"),
            code_challenge=data["code_challenge"],
            code_challenge_method=data["code_challenge_method"],
            auth_time=request.user.auth_time or now,
            grant_id=uuid.uuid4().hex,
            expires_at=now + s.settings.code_seconds,
            used_at=None,
        )
        with s.engine.begin() as conn:
            records.save_code(conn, record, now)
        s.audit("oauth.code.issue", "ok", record.client_id, user=record.user_id, scope=record.scope)

    def find_code(self, code: str, client: Client) -> records.CodeRecord | None:
        s = self.server
        if not opaque.is_well_formed(code, opaque.CODE):
            return None
        with s.engine.connect() as conn:
            record = records.find_code(conn, opaque.digest(code, s.service.pepper))
        if record is None or record.client_id != client.id:
            return None
        if record.used_at is not None:
            self._code_reused(record)
            return None
        return record if record.expires_at > s.now() else None

    def consume_code(self, record: records.CodeRecord) -> None:
        s = self.server
        with s.engine.begin() as conn:
            won = records.consume_code(conn, record.digest, s.now())
        if not won:
            self._code_reused(record)
            raise InvalidGrantError("the code was already used")

    def _code_reused(self, record: records.CodeRecord) -> None:
        s = self.server
        with s.engine.begin() as conn:
            revoked = records.revoke_grant(conn, record.grant_id, s.now())
        s.forget_tokens()
        s.audit(
            "oauth.code.reuse", "denied", record.client_id, grant=record.grant_id, revoked=revoked
        )

    # -- refresh tokens ------------------------------------------------------------------

    def find_refresh(self, value: str) -> records.RefreshRecord | None:
        s = self.server
        if not isinstance(value, str) or not opaque.is_well_formed(value, opaque.REFRESH_TOKEN):
            return None
        with s.engine.connect() as conn:
            record = records.find_refresh(conn, opaque.digest(value, s.service.pepper))
        if record is None or record.revoked_at is not None:
            return None
        if record.used_at is not None:
            self._refresh_reused(record)
            return None
        return record if record.expires_at > s.now() else None

    def consume_refresh(self, record: records.RefreshRecord) -> None:
        s = self.server
        with s.engine.begin() as conn:
            won = records.consume_refresh(conn, record.id, s.now())
        if not won:
            self._refresh_reused(record)
            raise InvalidGrantError("the refresh token was already used")

    def _refresh_reused(self, record: records.RefreshRecord) -> None:
        s = self.server
        with s.engine.begin() as conn:
            revoked = records.revoke_grant(conn, record.grant_id, s.now())
        s.forget_tokens()
        s.audit(
            "oauth.refresh.reuse",
            "denied",
            record.client_id,
            family=record.grant_id,
            revoked=revoked,
        )
