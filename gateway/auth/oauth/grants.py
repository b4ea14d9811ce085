"""Authlib grants with fedgate's storage and the overrides its defaults need.

Overrides (docs/oauth.md "Decisions"): PKCE S256 for every client and every
code (Authlib: `plain` default, optional for confidential clients); codes and
refresh tokens consumed atomically before a token is minted, with reuse
revoking the grant (Authlib: delete after minting, no reuse detection); refresh
tokens rotated on every use (Authlib: `INCLUDE_NEW_REFRESH_TOKEN = False`);
scopes checked against the client's resource access and cut to what the user
holds through roles now; `client_credentials` never gets a refresh token.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from authlib.oauth2.rfc6749 import grants
from authlib.oauth2.rfc6749.errors import (
    InvalidGrantError,
    InvalidRequestError,
    InvalidScopeError,
    UnauthorizedClientError,
)
from authlib.oauth2.rfc6749.hooks import hooked
from authlib.oauth2.rfc7636 import CodeChallenge
from authlib.oauth2.rfc7636.challenge import (
    CODE_CHALLENGE_PATTERN,
    CODE_VERIFIER_PATTERN,
    compare_s256_code_challenge,
)
from authlib.oidc.core.grants import OpenIDCode

from gateway.auth.oauth import opaque, records
from gateway.auth.oauth.policy import parse_request_scope
from gateway.auth.scopes import ScopeSyntaxError

if TYPE_CHECKING:
    from gateway.auth.oauth.server import OAuthServer

ALL_AUTH = ["client_secret_basic", "client_secret_post", "none"]
SECRET_AUTH = ["client_secret_basic", "client_secret_post"]


def _server(grant: Any) -> OAuthServer:
    server: OAuthServer = grant.server.fedgate
    return server


def checked_scope(grant: Any, *, with_user: bool) -> tuple[str, ...]:
    """The requested scopes, each valid and allowed to the client (else `invalid_scope`)."""
    client = grant.request.client
    try:
        wanted = parse_request_scope(grant.request.payload.scope)
    except ScopeSyntaxError:
        raise InvalidScopeError("a requested scope is not in the scope grammar") from None
    refused = [s for s in wanted if not client.allows_scope(s, with_user=with_user)]
    if refused:
        raise InvalidScopeError(f"the client may not ask for: {' '.join(refused)}")
    return wanted


class S256Only(CodeChallenge):
    """PKCE with S256, required for every client; `plain` and a missing method refused."""

    DEFAULT_CODE_CHALLENGE_METHOD = "S256"
    SUPPORTED_CODE_CHALLENGE_METHOD = ["S256"]

    def validate_code_challenge(self, grant: Any, redirect_uri: str) -> None:
        data, datalist = grant.request.payload.data, grant.request.payload.datalist
        challenge, method = data.get("code_challenge"), data.get("code_challenge_method")
        if any(len(datalist.get(p, [])) > 1 for p in ("code_challenge", "code_challenge_method")):
            raise InvalidRequestError("repeated PKCE parameter")
        if not challenge:
            raise InvalidRequestError("PKCE is required: send code_challenge (S256)")
        if method != "S256":
            raise InvalidRequestError("code_challenge_method must be S256 ('plain' is refused)")
        if not CODE_CHALLENGE_PATTERN.fullmatch(challenge) or len(challenge) != 43:
            raise InvalidRequestError("code_challenge is not a base64url SHA-256 digest")

    def validate_code_verifier(self, grant: Any, result: Any) -> None:
        verifier = grant.request.form.get("code_verifier")
        code: records.CodeRecord = grant.request.authorization_code
        if not verifier:
            raise InvalidRequestError("missing code_verifier")
        if not CODE_VERIFIER_PATTERN.fullmatch(verifier):
            raise InvalidRequestError("code_verifier must be 43-128 unreserved characters")
        if code.code_challenge_method != "S256" or not compare_s256_code_challenge(
            verifier, code.code_challenge
        ):
            raise InvalidGrantError("code_verifier does not match the code_challenge")


class OpenIDConnect(OpenIDCode):
    """ID tokens (ES256, our keys) for codes whose scope holds `openid`."""

    def exists_nonce(self, nonce: str, request: Any) -> bool:
        return False  # codes are single-use; a nonce replay cannot yield a second ID token

    def generate_user_info(self, user: Any, scope: str) -> dict[str, Any]:
        info: dict[str, Any] = {"sub": user.id}
        if "profile" in scope.split():
            info["preferred_username"] = user.name
            info["name"] = user.name
        return info

    def process_token(self, grant: Any, response: Any) -> Any:
        _, token, _ = response
        if "openid" in (token.get("scope") or "").split():
            token["id_token"] = _server(grant).id_token(token, grant.request)
        return token


class AuthorizationCode(grants.AuthorizationCodeGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = ALL_AUTH

    def validate_requested_scope(self) -> None:
        checked_scope(self, with_user=True)

    def generate_authorization_code(self) -> str:
        return opaque.mint(opaque.CODE)

    def save_authorization_code(self, code: str, request: Any) -> None:
        _server(self).redemption.save_code(code, request)

    def query_authorization_code(self, code: str, client: Any) -> records.CodeRecord | None:
        return _server(self).redemption.find_code(code, client)

    def delete_authorization_code(self, authorization_code: Any) -> None:
        pass  # consumed before the token was minted; kept until expiry to detect reuse

    def authenticate_user(self, authorization_code: records.CodeRecord) -> Any:
        return _server(self).end_user(authorization_code.user_id, authorization_code.auth_time)

    @hooked
    def create_token_response(self) -> Any:
        server = _server(self)
        code: records.CodeRecord = self.request.authorization_code
        server.redemption.consume_code(code)  # raises invalid_grant (and revokes) if it was spent
        user = self.authenticate_user(code)
        if user is None:
            raise InvalidGrantError("the user of this code is no longer active")
        self.request.user = user
        scope = server.held_scope(user.id, parse_request_scope(code.scope))
        token = self.generate_token(
            user=user,
            scope=" ".join(scope),
            include_refresh_token=server.wants_refresh(self, scope),
        )
        self.save_token(token)
        return 200, token, self.TOKEN_RESPONSE_HEADER


class RefreshToken(grants.RefreshTokenGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = ALL_AUTH
    INCLUDE_NEW_REFRESH_TOKEN = True

    def authenticate_refresh_token(self, refresh_token: str) -> records.RefreshRecord | None:
        return _server(self).redemption.find_refresh(refresh_token)

    def authenticate_user(self, refresh_token: records.RefreshRecord) -> Any:
        return _server(self).end_user(refresh_token.user_id)

    def revoke_old_credential(self, refresh_token: Any) -> None:
        pass  # consumed (rotated) before the new tokens were minted

    @hooked
    def create_token_response(self) -> Any:
        server = _server(self)
        old: records.RefreshRecord = self.request.refresh_token
        server.redemption.consume_refresh(
            old
        )  # raises invalid_grant and revokes the family on reuse
        user = self.authenticate_user(old)
        if user is None:
            raise InvalidGrantError("the user of this token is no longer active")
        self.request.user = user
        wanted = parse_request_scope(self.request.payload.scope or old.scope)
        scope = server.held_scope(user.id, wanted)  # roles are re-evaluated on every refresh
        token = self.generate_token(
            user=user,
            scope=" ".join(scope),
            include_refresh_token=server.wants_refresh(self, scope),
        )
        self.save_token(token)
        return 200, token, self.TOKEN_RESPONSE_HEADER


class ClientCredentials(grants.ClientCredentialsGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = SECRET_AUTH

    def validate_requested_scope(self) -> None:
        wanted = checked_scope(self, with_user=False)
        self.request.scope = " ".join(wanted or self.request.client.resource_scopes)

    @hooked
    def create_token_response(self) -> Any:
        token = self.generate_token(scope=self.request.scope, include_refresh_token=False)
        self.save_token(token)
        return 200, token, self.TOKEN_RESPONSE_HEADER


class Password(grants.ResourceOwnerPasswordCredentialsGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = SECRET_AUTH

    def validate_token_request(self) -> None:
        if not _server(self).settings.password_grant:
            raise UnauthorizedClientError("the password grant is off (auth.oauth.password_grant)")
        super().validate_token_request()

    def validate_requested_scope(self) -> None:
        wanted = checked_scope(self, with_user=True)
        self.request.scope = " ".join(wanted)

    def authenticate_user(self, username: str, password: str) -> Any:
        return _server(self).password_user(username, password)

    @hooked
    def create_token_response(self) -> Any:
        server = _server(self)
        user = self.request.user
        scope = server.held_scope(user.id, parse_request_scope(self.request.scope))
        token = self.generate_token(
            user=user,
            scope=" ".join(scope),
            include_refresh_token=server.wants_refresh(self, scope),
        )
        self.save_token(token)
        return 200, token, self.TOKEN_RESPONSE_HEADER
