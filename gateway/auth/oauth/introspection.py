"""RFC 7662 introspection and RFC 7009 revocation on Authlib's endpoints.

Both authenticate the calling client first. A token issued to another client
is treated exactly like an unknown one: introspection answers
`{"active": false}`, revocation answers 200 and changes nothing (no leak, no
cross-client revocation). Revoking a refresh token revokes its whole grant,
access tokens included (RFC 7009 §2.1 SHOULD).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from authlib.oauth2.rfc6749.errors import InvalidRequestError
from authlib.oauth2.rfc7009 import RevocationEndpoint
from authlib.oauth2.rfc7662 import IntrospectionEndpoint

from gateway.auth.oauth import opaque, records, tokens
from gateway.auth.tables import users

if TYPE_CHECKING:
    from gateway.auth.oauth.server import OAuthServer


@dataclass(frozen=True, slots=True)
class IssuedToken:
    """An access or refresh token this server issued, with what introspection shows."""

    kind: str  # access_token | refresh_token
    client_id: str
    active: bool
    access: records.AccessRecord | None = None
    refresh: records.RefreshRecord | None = None
    claims: dict[str, Any] | None = None

    def check_client(self, client: Any) -> bool:
        return getattr(client, "id", None) == self.client_id

    def is_expired(self) -> bool:
        return not self.active

    def is_revoked(self) -> bool:
        return not self.active


def find_token(server: OAuthServer, value: str, hint: str | None) -> IssuedToken | None:
    import sqlalchemy as sa

    now = server.now()
    if tokens.looks_like_jwt(value):
        try:
            claims = tokens.verify_access_token(
                server.ring, value, issuer=server.issuer, audience=server.audience, now=now
            )
        except tokens.TokenRejectedError:
            return None
        with server.engine.connect() as conn:
            record = records.find_access(conn, claims["jti"])
            user_ok = record is not None and (
                record.user_id is None
                or bool(
                    conn.execute(
                        sa.select(users.c.active).where(users.c.id == record.user_id)
                    ).scalar()
                )
            )
        if record is None:
            return None
        live = record.is_live(now) and user_ok and server.query_client(record.client_id) is not None
        return IssuedToken("access_token", record.client_id, live, access=record, claims=claims)
    if isinstance(value, str) and opaque.is_well_formed(value, opaque.REFRESH_TOKEN):
        with server.engine.connect() as conn:
            found = records.find_refresh(conn, opaque.digest(value, server.service.pepper))
        if found is None:
            return None
        live = found.revoked_at is None and found.used_at is None and found.expires_at > now
        return IssuedToken("refresh_token", found.client_id, live, refresh=found)
    return None


def _fedgate(endpoint: Any) -> OAuthServer:
    server: OAuthServer = endpoint.server.fedgate
    return server


def _check(request: Any) -> None:
    repeated = request.payload.repeated()
    if repeated:
        raise InvalidRequestError(f"repeated parameter: {repeated[0]}")


class Introspection(IntrospectionEndpoint):
    CLIENT_AUTH_METHODS = ["client_secret_basic", "client_secret_post"]

    def authenticate_token(self, request: Any, client: Any) -> IssuedToken | None:
        _check(request)
        return super().authenticate_token(request, client)

    def query_token(self, token: str, token_type_hint: str | None) -> IssuedToken | None:
        return find_token(_fedgate(self), token, token_type_hint)

    def check_permission(self, token: IssuedToken, client: Any, request: Any) -> bool:
        return token.check_client(client)

    def introspect_token(self, token: IssuedToken) -> dict[str, Any]:
        server = _fedgate(self)
        if token.access is not None and token.claims is not None:
            c = token.claims
            body = {
                "active": True,
                "token_type": "Bearer",
                "scope": token.access.scope,
                "client_id": token.client_id,
                "sub": c["sub"],
                "iss": c["iss"],
                "aud": c["aud"],
                "iat": c["iat"],
                "jti": c["jti"],
            }
            if token.access.expires_at is not None:
                body["exp"] = c["exp"]
            return body
        assert token.refresh is not None
        return {
            "active": True,
            "token_type": "refresh_token",
            "scope": token.refresh.scope,
            "client_id": token.client_id,
            "sub": token.refresh.user_id,
            "iss": server.issuer,
            "exp": int(token.refresh.expires_at),
        }


class Revocation(RevocationEndpoint):
    CLIENT_AUTH_METHODS = ["client_secret_basic", "client_secret_post", "none"]

    def authenticate_token(self, request: Any, client: Any) -> IssuedToken | None:
        _check(request)
        self.check_params(request, client)
        token = self.query_token(request.form["token"], request.form.get("token_type_hint"))
        if token is None or not token.check_client(client):
            return None  # someone else's token: 200, no effect, nothing revealed
        return token

    def query_token(self, token: str, token_type_hint: str | None) -> IssuedToken | None:
        return find_token(_fedgate(self), token, token_type_hint)

    def revoke_token(self, token: IssuedToken, request: Any) -> None:
        server = _fedgate(self)
        now = server.now()
        with server.engine.begin() as conn:
            if token.access is not None:
                records.revoke_access(conn, token.access.jti, now)
                target = {"jti": token.access.jti}
            else:
                assert token.refresh is not None
                records.revoke_grant(conn, token.refresh.grant_id, now)
                target = {"family": token.refresh.grant_id}
        server.forget_tokens()
        server.audit("oauth.token.revoke", "ok", token.client_id, kind=token.kind, **target)
