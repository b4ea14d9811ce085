"""The authorization server of one gateway process: Authlib's core wired to the metadata store.

`OAuthServer` holds the issuer, the signing keys and the Authlib server, and
implements the storage callbacks the grants and endpoints call (all blocking:
they run in worker threads). Every issue, reuse and revocation is audited;
tokens and secrets never reach the audit log (only client ids, jtis, scopes).
"""

from __future__ import annotations

import base64
import uuid
from dataclasses import dataclass
from typing import Any

import orjson
import sqlalchemy as sa
from authlib.oauth2.rfc6749 import AuthorizationServer
from authlib.oauth2.rfc6749.errors import InvalidGrantError

from config.settings import OAuthSettings, Settings
from gateway.auth.access import Principal
from gateway.auth.oauth import clients, opaque, records, tokens
from gateway.auth.oauth.adapter import form_request
from gateway.auth.oauth.clients import Client
from gateway.auth.oauth.grants import (
    AuthorizationCode,
    ClientCredentials,
    OpenIDConnect,
    Password,
    RefreshToken,
    S256Only,
)
from gateway.auth.oauth.introspection import Introspection, Revocation
from gateway.auth.oauth.policy import OIDC_SCOPES, covered
from gateway.auth.oauth.redemption import Redemption
from gateway.auth.oauth.resource import TokenAuthenticator
from gateway.auth.oauth.signing import KeyRing
from gateway.auth.service import AuthService
from gateway.auth.tables import users
from gateway.auth.users import authenticate_password, role_scopes

DAY = 86_400.0
ID_TOKEN_SECONDS = 300
SWEEP_EVERY = 3600.0  # seconds between two purges of long-expired tokens (per process)


@dataclass(frozen=True, slots=True)
class EndUser:
    id: str
    name: str
    auth_time: float | None = None

    def get_user_id(self) -> str:
        return self.id


def issuer_of(settings: Settings) -> str:
    """`auth.oauth.issuer`, else `server.public_url`, else the listening address."""
    if settings.auth.oauth.issuer:
        return settings.auth.oauth.issuer
    if settings.server.public_url:
        return settings.server.public_url.rstrip("/")
    return f"http://{settings.server.host}:{settings.server.port}"


class AuthlibServer(AuthorizationServer):
    """Authlib's server with fedgate's callbacks; responses stay `(status, body, headers)`."""

    def __init__(self, fedgate: OAuthServer) -> None:
        super().__init__()
        self.fedgate = fedgate

    def query_client(self, client_id: str) -> Client | None:
        return self.fedgate.query_client(client_id)

    def save_token(self, token: dict[str, Any], request: Any) -> None:
        self.fedgate.save_token(token, request)

    def validate_requested_scope(self, scope: str | None) -> None:
        pass  # the grants check scopes against the client (grants.checked_scope)

    def create_oauth2_request(self, request: Any) -> Any:
        return request  # endpoints build `adapter.ParsedRequest` themselves

    def create_json_request(self, request: Any) -> Any:
        return request

    def handle_response(self, status: int, body: Any, headers: Any) -> tuple[int, Any, list[Any]]:
        return status, body, list(headers)

    def send_signal(self, name: str, *args: Any, **kwargs: Any) -> None:
        pass


class OAuthServer:
    def __init__(self, settings: Settings, service: AuthService) -> None:
        self.service = service
        self.settings: OAuthSettings = settings.auth.oauth
        self.issuer = issuer_of(settings)
        self.audience = self.issuer  # the gateway is the one resource server
        self.ring = KeyRing(lambda: service.engine, lambda: service.clock(), service.pepper)
        core = AuthlibServer(self)
        core.register_token_generator("default", self.generate_token)
        core.register_grant(AuthorizationCode, [S256Only(required=True), OpenIDConnect()])
        core.register_grant(RefreshToken)
        core.register_grant(ClientCredentials)
        core.register_grant(Password)
        core.register_endpoint(Introspection)
        core.register_endpoint(Revocation)
        self.core = core
        self.resource = TokenAuthenticator(self)
        self.redemption = Redemption(self)
        self._swept_at = float("-inf")

    def forget_tokens(self) -> None:
        """Drop cached token checks: a revocation is seen at once in this process."""
        self.resource.clear()

    @property
    def engine(self) -> sa.Engine:
        return self.service.engine

    def now(self) -> float:
        return self.service.clock()

    def audit(
        self, action: str, outcome: str, client_id: str | None, by: str | None = None, **detail: Any
    ) -> None:
        """One audit entry about a client; the principal is `by` (an admin), else the client."""
        if by is not None:
            who: Principal | None = Principal("admin", by)
        else:
            who = Principal("client", f"client:{client_id}") if client_id else None
        self.service.record(action, outcome, principal=who, target=client_id, detail=detail)

    # -- clients and users -------------------------------------------------------------

    def query_client(self, client_id: str) -> Client | None:
        if not isinstance(client_id, str) or len(client_id) > 40:
            return None
        with self.engine.connect() as conn:
            client = clients.fetch_client(conn, client_id, self.service.pepper)
        return client if client is not None and client.status == "active" else None

    def end_user(self, user_id: str, auth_time: float | None = None) -> EndUser | None:
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(users).where(users.c.id == user_id)).first()
        if row is None or not row.active:
            return None
        return EndUser(row.id, row.name, auth_time)

    def password_user(self, username: str, password: str) -> EndUser:
        user = authenticate_password(self.engine, username, password)
        if user is None:
            self.audit("oauth.password", "denied", None, user=username[:120])
            raise InvalidGrantError("wrong user name or password")
        return EndUser(user.id, user.name, self.now())

    def held_scope(self, user_id: str, wanted: tuple[str, ...]) -> tuple[str, ...]:
        """`wanted` cut to what the user holds through roles now (OIDC scopes are kept)."""
        with self.engine.connect() as conn:
            held = role_scopes(conn, user_id)
        return tuple(s for s in wanted if s in OIDC_SCOPES or covered(s, held))

    def wants_refresh(self, grant: Any, scope: tuple[str, ...]) -> bool:
        """Only with `offline_access` granted and refresh allowed for the client (OIDC §11)."""
        return "offline_access" in scope and bool(
            grant.request.client.check_grant_type("refresh_token")
        )

    # -- tokens --------------------------------------------------------------------------

    def generate_token(
        self,
        grant_type: str,
        client: Client,
        user: EndUser | None = None,
        scope: str | None = None,
        expires_in: int | None = None,
        include_refresh_token: bool = True,
    ) -> dict[str, Any]:
        lifetime = client.token_lifetime
        minted = tokens.mint_access_token(
            self.ring,
            issuer=self.issuer,
            audience=self.audience,
            client_id=client.id,
            subject=user.id if user is not None else client.id,
            scope=scope or "",
            lifetime=lifetime,
            now=self.now(),
        )
        token: dict[str, Any] = {"token_type": "Bearer", "access_token": minted.token}
        if lifetime > 0:
            token["expires_in"] = lifetime
        token["scope"] = scope or ""
        if include_refresh_token and user is not None and grant_type != "client_credentials":
            token["refresh_token"] = opaque.mint(opaque.REFRESH_TOKEN)
        return token

    def save_token(self, token: dict[str, Any], request: Any) -> None:
        claims = _claims(token["access_token"])
        client: Client = request.client
        user: EndUser | None = request.user
        now = self.now()
        grant_type = request.payload.grant_type or "activation"
        parent: records.RefreshRecord | None = request.refresh_token
        code: records.CodeRecord | None = request.authorization_code
        if parent is not None:
            grant_id: str | None = parent.grant_id
        elif code is not None:
            grant_id = code.grant_id
        else:
            grant_id = uuid.uuid4().hex if user is not None else None
        secret_id = client.secret[0] if client.secret else None
        with self.engine.begin() as conn:
            records.save_access(
                conn,
                jti=claims["jti"],
                client_id=client.id,
                user_id=user.id if user else None,
                grant_id=grant_id,
                secret_id=secret_id,
                scope=token["scope"],
                issued_at=float(claims["iat"]),
                expires_at=None if "expires_in" not in token else float(claims["exp"]),
            )
            if "refresh_token" in token and user is not None and grant_id is not None:
                expires = (
                    parent.expires_at if parent else now + self.settings.refresh_token_days * DAY
                )
                records.save_refresh(
                    conn,
                    digest=opaque.digest(token["refresh_token"], self.service.pepper),
                    grant_id=grant_id,
                    parent_id=parent.id if parent else None,
                    client_id=client.id,
                    user_id=user.id,
                    scope=token["scope"],
                    secret_id=secret_id,
                    now=now,
                    expires_at=expires,
                )
        if now - self._swept_at >= SWEEP_EVERY:
            self._swept_at = now
            with self.engine.begin() as conn:
                records.sweep(conn, now, keep=DAY)
        self.audit(
            "oauth.token.issue",
            "ok",
            client.id,
            grant_type=grant_type,
            jti=claims["jti"],
            sub=claims["sub"],
            scope=token["scope"],
            refresh="refresh_token" in token,
            never_expires="expires_in" not in token,
        )

    def id_token(self, token: dict[str, Any], request: Any) -> str:
        now = int(self.now())
        user: EndUser = request.user
        code: records.CodeRecord | None = request.authorization_code
        claims: dict[str, Any] = {
            "iss": self.issuer,
            "sub": user.id,
            "aud": request.client.id,
            "azp": request.client.id,
            "iat": now,
            "exp": now + ID_TOKEN_SECONDS,
            "auth_time": int(code.auth_time if code else (user.auth_time or now)),
            "at_hash": _half_hash(token["access_token"]),
        }
        if code is not None and code.nonce:
            claims["nonce"] = code.nonce
        if "profile" in token["scope"].split():
            claims["preferred_username"] = user.name
        return tokens.mint_id_token(self.ring, claims)

    def mint_for_client(self, client: Client) -> dict[str, Any]:
        """A client_credentials token outside a request (activation shows the first one)."""
        request: Any = form_request("POST", self.issuer, {}, [("grant_type", "activation")])
        request.client = client
        scope = " ".join(client.resource_scopes)
        token = self.generate_token("client_credentials", client, None, scope, None, False)
        self.save_token(token, request)
        return token


def _claims(token: str) -> dict[str, Any]:
    """The claims of a token this process just minted (no verification needed)."""
    segment = token.split(".")[1]
    claims: dict[str, Any] = orjson.loads(
        base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))
    )
    return claims


def _half_hash(value: str) -> str:
    import hashlib

    digest = hashlib.sha256(value.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest[:16]).rstrip(b"=").decode("ascii")
