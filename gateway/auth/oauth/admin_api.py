"""`/admin/api/clients` and `/admin/api/oauth/signing-keys` (`admin` scope; audited)."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from gateway.auth.admin_api import NO_STORE, _json, _run, _who
from gateway.auth.oauth import clients, lifecycle, registration, signing
from gateway.auth.oauth.server import OAuthServer
from gateway.auth.service import AuthService
from gateway.responses import json_response

PREFIX = "/admin/api"


def client_admin_routes(server: OAuthServer) -> list[Route]:
    async def list_clients(request: Request) -> Response:
        found = await _run(request, "client.list", lambda s: clients.list_clients(s.engine))
        return json_response({"clients": [c.as_dict() for c in found]})

    async def show_client(request: Request) -> Response:
        client_id = request.path_params["client_id"]
        found = await _run(
            request, "client.show.list", lambda s: clients.get_client(s.engine, client_id)
        )
        return json_response(found.as_dict())

    async def create_client(request: Request) -> Response:
        body = await _json(request)
        actor = _who()

        def work(s: AuthService) -> clients.Client:
            spec = registration.build_spec(body)
            client_id = clients.create_client(s.engine, spec, now=s.clock(), created_by=actor)
            client = clients.get_client(s.engine, client_id)
            server.audit("client.create", "ok", client_id, by=actor, **_detail(client))
            return client

        created = await _run(request, "client.create", work)
        return json_response(created.as_dict(), status=201)

    def change(action: str) -> Any:
        async def endpoint(request: Request) -> Response:
            client_id = request.path_params["client_id"]
            actor = _who()
            run = getattr(lifecycle, action)
            result = await _run(
                request, f"client.{action}", lambda _s: run(server, client_id, actor)
            )
            if isinstance(result, lifecycle.Credentials):
                return json_response(result.as_dict(), headers=NO_STORE)
            return json_response({"client_id": client_id, "status": _status(action)})

        return endpoint

    async def rotate_keys(request: Request) -> Response:
        overlap = server.settings.signing_key_overlap_hours * 3600.0

        def work(s: AuthService) -> list[str]:
            kids = signing.rotate(s.engine, s.clock(), overlap, s.pepper)
            server.ring.clear()
            s.record("oauth.signing_key.rotate", "ok", target=kids[0], detail={"kids": kids})
            return kids

        kids = await _run(request, "oauth.signing_key.rotate", work)
        return json_response({"kid": kids[0], "kids": kids}, status=201)

    async def list_keys(request: Request) -> Response:
        found = await _run(request, "oauth.signing_key.list", lambda s: signing.list_keys(s.engine))
        return json_response({"keys": [k.as_dict() for k in found]})

    return [
        Route(f"{PREFIX}/clients", list_clients, methods=["GET"]),
        Route(f"{PREFIX}/clients", create_client, methods=["POST"]),
        Route(f"{PREFIX}/clients/{{client_id}}", show_client, methods=["GET"]),
        Route(f"{PREFIX}/clients/{{client_id}}", change("delete"), methods=["DELETE"]),
        Route(f"{PREFIX}/clients/{{client_id}}/activate", change("activate"), methods=["POST"]),
        Route(
            f"{PREFIX}/clients/{{client_id}}/reauthorize", change("reauthorize"), methods=["POST"]
        ),
        Route(f"{PREFIX}/clients/{{client_id}}/deactivate", change("deactivate"), methods=["POST"]),
        Route(f"{PREFIX}/oauth/signing-keys", list_keys, methods=["GET"]),
        Route(f"{PREFIX}/oauth/signing-keys/rotate", rotate_keys, methods=["POST"]),
    ]


def _status(action: str) -> str:
    return {"deactivate": "inactive", "delete": "deleted"}.get(action, "active")


def _detail(client: clients.Client) -> dict[str, Any]:
    return {
        "name": client.name,
        "client_type": client.client_type,
        "grant_types": list(client.grant_types),
        "resource_access": client.resource_access,
        "scopes": list(client.resource_scopes),
        "token_lifetime": client.token_lifetime,
        "first_party": client.first_party,
        "insecure": client.insecure,
    }
