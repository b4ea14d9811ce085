"""Back-channel and metadata endpoints: token, introspection, revocation, JWKS, discovery, UserInfo.

Each reads the request on the event loop and runs Authlib (or the store) in a
worker thread. Token-endpoint failures with `invalid_client` count against the
caller's address like failed API keys (429 with `Retry-After` when exceeded).
"""

from __future__ import annotations

from typing import Any

import anyio
import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from gateway.auth.oauth import tokens
from gateway.auth.oauth.adapter import form_request
from gateway.auth.oauth.resource import TokenRefusedError
from gateway.auth.oauth.server import OAuthServer

NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}
FORM = "application/x-www-form-urlencoded"
SCOPES_SUPPORTED = ["openid", "profile", "offline_access", "sql"]


def json(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(
        orjson.dumps(body), status_code=status, media_type="application/json", headers=headers
    )


def oauth_error(error: str, description: str, status: int = 400, **headers: str) -> Response:
    return json({"error": error, "error_description": description}, status, {**NO_STORE, **headers})


async def _form(request: Request) -> list[tuple[str, str]] | Response:
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if request.method != "POST" or content_type != FORM:
        return oauth_error("invalid_request", f"send a POST with Content-Type: {FORM}")
    form = await request.form()
    return [(k, v) for k, v in form.multi_items() if isinstance(v, str)]


def _client_ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _reply(result: tuple[int, Any, list[Any]], extra: dict[str, str] | None = None) -> Response:
    status, body, headers = result
    response = json(body, status, {**NO_STORE, **(extra or {})})
    for name, value in headers:
        if name.lower() not in ("content-type", "cache-control", "pragma"):
            response.headers[name] = value
    return response


def _endpoint(server: OAuthServer, kind: str) -> Any:
    async def endpoint(request: Request) -> Response:
        limiter = server.service.ip_limiter
        ip = _client_ip(request)
        wait = limiter.retry_after(ip)
        if wait:
            return oauth_error(
                "slow_down", "too many failed attempts", 429, **{"Retry-After": str(wait)}
            )
        pairs = await _form(request)
        if isinstance(pairs, Response):
            return pairs
        oauth_request = form_request(
            "POST", server.issuer + request.url.path, request.headers, pairs
        )
        repeated = oauth_request.payload.repeated()
        if repeated:
            return oauth_error("invalid_request", f"repeated parameter: {repeated[0]}")

        def work() -> tuple[int, Any, list[Any]]:
            if kind == "token":
                result: tuple[int, Any, list[Any]] = server.core.create_token_response(
                    oauth_request
                )
            else:
                result = server.core.create_endpoint_response(kind, oauth_request)
            status, body, _ = result
            if status >= 400:
                client_id = oauth_request.client.id if oauth_request.client else None
                error = body.get("error") if isinstance(body, dict) else None
                guessed = (
                    error == "invalid_grant" and oauth_request.payload.grant_type == "password"
                )
                if error == "invalid_client" or guessed:  # brute force: RFC 6749 §2.3.1, §4.3.2
                    limiter.take(ip)
                server.audit(
                    f"oauth.{kind}",
                    "denied",
                    client_id,
                    error=error,
                    grant_type=oauth_request.payload.grant_type,
                )
            return result

        return _reply(await anyio.to_thread.run_sync(work))

    return endpoint


def _jwks(server: OAuthServer) -> Any:
    async def jwks(_request: Request) -> Response:
        keys = await anyio.to_thread.run_sync(server.ring.jwks)
        return json(keys, headers={"Cache-Control": "public, max-age=300"})

    return jwks


def metadata(server: OAuthServer) -> dict[str, Any]:
    """RFC 8414 / OIDC Discovery metadata; `issuer` is exactly the configured issuer."""
    base = server.issuer
    grants = ["authorization_code", "client_credentials", "refresh_token"]
    if server.settings.password_grant:
        grants.append("password")
    return {
        "issuer": base,
        "authorization_endpoint": f"{base}/oauth/authorize",
        "token_endpoint": f"{base}/oauth/token",
        "jwks_uri": f"{base}/oauth/jwks.json",
        "userinfo_endpoint": f"{base}/oauth/userinfo",
        "introspection_endpoint": f"{base}/oauth/introspect",
        "revocation_endpoint": f"{base}/oauth/revoke",
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": grants,
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "token_endpoint_auth_methods_supported": [
            "client_secret_basic",
            "client_secret_post",
            "none",
        ],
        "introspection_endpoint_auth_methods_supported": [
            "client_secret_basic",
            "client_secret_post",
        ],
        "revocation_endpoint_auth_methods_supported": [
            "client_secret_basic",
            "client_secret_post",
            "none",
        ],
        "code_challenge_methods_supported": ["S256"],
        "scopes_supported": SCOPES_SUPPORTED,
        "claims_supported": [
            "sub",
            "iss",
            "aud",
            "exp",
            "iat",
            "auth_time",
            "nonce",
            "preferred_username",
            "name",
        ],
        "authorization_response_iss_parameter_supported": True,
        "request_parameter_supported": False,
        "request_uri_parameter_supported": False,
    }


def _discovery(server: OAuthServer) -> Any:
    async def discovery(_request: Request) -> Response:
        return json(metadata(server), headers={"Cache-Control": "public, max-age=300"})

    return discovery


def _userinfo(server: OAuthServer) -> Any:
    challenge = 'Bearer realm="fedgate"'

    async def userinfo(request: Request) -> Response:
        authorization = request.headers.get("authorization", "")
        scheme, _, value = authorization.partition(" ")
        if scheme.lower() != "bearer" or not value.strip():
            return Response(status_code=401, headers={"WWW-Authenticate": challenge})
        token = value.strip()

        def work() -> dict[str, Any] | None:
            if not tokens.looks_like_jwt(token):
                return None
            try:
                grant = server.resource.grant(token)
            except TokenRefusedError:
                return None
            principal = grant.principal
            if principal.user_id is None or "openid" not in grant.scopes:
                return {"error": "insufficient_scope"}
            info: dict[str, Any] = {"sub": principal.user_id}
            if "profile" in grant.scopes:
                info["preferred_username"] = principal.name
                info["name"] = principal.name
            return info

        info = await anyio.to_thread.run_sync(work)
        if info is None:
            return Response(
                status_code=401, headers={"WWW-Authenticate": f'{challenge}, error="invalid_token"'}
            )
        if "error" in info:
            return Response(
                status_code=403,
                headers={
                    "WWW-Authenticate": f'{challenge}, error="insufficient_scope", scope="openid"'
                },
            )
        return json(info, headers=NO_STORE)

    return userinfo


def endpoint_routes(server: OAuthServer) -> list[Route]:
    return [
        Route("/oauth/token", _endpoint(server, "token"), methods=["POST"]),
        Route("/oauth/introspect", _endpoint(server, "introspection"), methods=["POST"]),
        Route("/oauth/revoke", _endpoint(server, "revocation"), methods=["POST"]),
        Route("/oauth/jwks.json", _jwks(server), methods=["GET"]),
        Route("/oauth/userinfo", _userinfo(server), methods=["GET", "POST"]),
        Route("/.well-known/openid-configuration", _discovery(server), methods=["GET"]),
        Route("/.well-known/oauth-authorization-server", _discovery(server), methods=["GET"]),
    ]
