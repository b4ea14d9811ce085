"""`/admin/api/`: keys, users, roles and the audit log over HTTP (`admin` scope; all audited)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import anyio
import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from gateway.auth import apikeys, audit, users
from gateway.auth.access import ScopedAccess
from gateway.auth.errors import AdminInputError, MissingScopeError
from gateway.auth.service import AuthService
from gateway.query.access import current_access
from gateway.responses import json_response

T = TypeVar("T")
MAX_PAGE = 1000
NO_STORE = {"Cache-Control": "no-store"}  # a response that shows a key once


def _service(request: Request) -> AuthService:
    service: AuthService = request.app.state.auth
    return service


async def _run(request: Request, action: str, work: Callable[[AuthService], T]) -> T:
    """Check `admin`, run the store work in a thread, audit success or failure."""
    service = _service(request)
    access = current_access()
    if not isinstance(access, ScopedAccess):  # auth disabled: the admin API is off too
        raise MissingScopeError("admin", "the admin API needs auth enabled and the 'admin' scope")

    def guarded() -> T:
        access.require_scope("admin")
        try:
            result = work(service)
        except Exception as exc:
            service.record(action, "failed", detail={"error": type(exc).__name__})
            raise
        if action.endswith(".list"):  # changes record their own entry with details
            service.record(action, "ok")
        return result

    return await anyio.to_thread.run_sync(guarded)


async def _json(request: Request) -> dict[str, Any]:
    try:
        body = orjson.loads(await request.body() or b"{}")
    except orjson.JSONDecodeError:
        raise AdminInputError("the body is not valid JSON") from None
    if not isinstance(body, dict):
        raise AdminInputError("the body must be a JSON object")
    return body


def _field(body: dict[str, Any], name: str, kind: type, default: Any = ...) -> Any:
    value = body.get(name, default)
    if (
        value is ...
        or (value is not None and not isinstance(value, kind))
        or (isinstance(value, bool) and kind is not bool)
    ):
        raise AdminInputError(
            f"'{name}' must be a {kind.__name__}",
            errors=[{"parameter": name, "detail": f"expected {kind.__name__}"}],
        )
    return value


async def list_keys(request: Request) -> Response:
    owner = request.query_params.get("owner")
    keys = await _run(request, "key.list", lambda s: apikeys.list_keys(s.engine, owner))
    return json_response({"keys": [k.as_dict() for k in keys]})


async def create_key(request: Request) -> Response:
    body = await _json(request)
    name = _field(body, "name", str)
    owner = _field(body, "owner", str)
    scopes = _field(body, "scopes", list)
    days = _field(body, "expires_in_days", int, None)

    def work(s: AuthService) -> apikeys.NewKey:
        new = apikeys.create_key(
            s.engine,
            name=name,
            owner=owner,
            scopes=scopes,
            expires_in_days=days or s.auth.key_expiry_days,
            max_days=s.auth.key_max_expiry_days,
            pepper=s.pepper,
            now=s.clock(),
            created_by=_who(),
        )
        s.record("key.create", "ok", target=new.info.prefix, detail=_key_detail(new.info))
        return new

    new = await _run(request, "key.create", work)
    return json_response({"key": new.secret, **new.info.as_dict()}, status=201, headers=NO_STORE)


async def rotate_key(request: Request) -> Response:
    key_id = request.path_params["key_id"]
    body = await _json(request)
    grace = _field(body, "grace_hours", int, None)

    def work(s: AuthService) -> apikeys.NewKey:
        new = apikeys.rotate_key(
            s.engine,
            key_id,
            grace_hours=s.auth.rotation_grace_hours if grace is None else grace,
            pepper=s.pepper,
            now=s.clock(),
            max_days=s.auth.key_max_expiry_days,
            created_by=_who(),
        )
        s.forget(key_id)
        s.record(
            "key.rotate",
            "ok",
            target=new.info.prefix,
            detail={**_key_detail(new.info), "rotated_from": key_id},
        )
        return new

    new = await _run(request, "key.rotate", work)
    return json_response({"key": new.secret, **new.info.as_dict()}, status=201, headers=NO_STORE)


async def revoke_key(request: Request) -> Response:
    key_id = request.path_params["key_id"]

    def work(s: AuthService) -> apikeys.KeyInfo:
        info = apikeys.revoke_key(s.engine, key_id, now=s.clock(), reason="admin api")
        s.forget(key_id)
        s.record("key.revoke", "ok", target=info.prefix, detail=_key_detail(info))
        return info

    info = await _run(request, "key.revoke", work)
    return json_response(info.as_dict())


async def list_users(request: Request) -> Response:
    found = await _run(request, "user.list", lambda s: users.list_users(s.engine))
    return json_response({"users": [_user(u) for u in found]})


async def create_user(request: Request) -> Response:
    body = await _json(request)
    name = _field(body, "name", str)
    password = _field(body, "password", str, None)
    role_names = _field(body, "roles", list, [])

    def work(s: AuthService) -> users.User:
        users.create_user(s.engine, name, password)
        for role in role_names:
            users.grant_role(s.engine, name, str(role))
        s.record("user.create", "ok", target=name, detail={"roles": role_names})
        return users.get_user(s.engine, name)

    user = await _run(request, "user.create", work)
    return json_response(_user(user), status=201)


async def grant_role(request: Request) -> Response:
    name = request.path_params["name"]
    role = _field(await _json(request), "role", str)

    def work(s: AuthService) -> users.User:
        users.grant_role(s.engine, name, role)
        s.forget()  # cached grants carry role scopes
        s.record("role.grant", "ok", target=name, detail={"role": role})
        return users.get_user(s.engine, name)

    return json_response(_user(await _run(request, "role.grant", work)))


async def revoke_role(request: Request) -> Response:
    name, role = request.path_params["name"], request.path_params["role"]

    def work(s: AuthService) -> users.User:
        users.revoke_role(s.engine, name, role)
        s.forget()  # cached grants carry role scopes
        s.record("role.revoke", "ok", target=name, detail={"role": role})
        return users.get_user(s.engine, name)

    return json_response(_user(await _run(request, "role.revoke", work)))


async def update_user(request: Request) -> Response:
    """`{"active": false}` deactivates a user (their keys are refused), `true` reactivates."""
    name = request.path_params["name"]
    active = _field(await _json(request), "active", bool)
    action = "user.activate" if active else "user.deactivate"

    def work(s: AuthService) -> users.User:
        if not active:
            _not_yourself(name, "deactivate")
        user = users.set_active(s.engine, name, active)
        s.forget()  # cached grants carry the owner's state
        s.record(action, "ok", target=name)
        return user

    return json_response(_user(await _run(request, action, work)))


async def delete_user(request: Request) -> Response:
    name = request.path_params["name"]

    def work(s: AuthService) -> users.User:
        _not_yourself(name, "delete")
        user, keys = users.delete_user(s.engine, name)
        s.forget()
        s.record("user.delete", "ok", target=name, detail={"keys_deleted": keys})
        return user

    await _run(request, "user.delete", work)
    return Response(status_code=204)


def _not_yourself(name: str, verb: str) -> None:
    """The admin API does not lock out the user whose key is calling it (the CLI can)."""
    if name == _who():
        raise AdminInputError(
            f"you cannot {verb} the user whose key makes this request",
            errors=[{"parameter": "name", "detail": "the calling user"}],
        )


async def list_roles(request: Request) -> Response:
    found = await _run(request, "role.list", lambda s: users.list_roles(s.engine))
    return json_response({"roles": [_role(r) for r in found]})


async def create_role(request: Request) -> Response:
    body = await _json(request)
    name = _field(body, "name", str)
    scopes = _field(body, "scopes", list)
    description = _field(body, "description", str, None)

    def work(s: AuthService) -> users.Role:
        role = users.create_role(s.engine, name, scopes, description)
        s.record("role.create", "ok", target=name, detail={"scopes": list(role.scopes)})
        return role

    return json_response(_role(await _run(request, "role.create", work)), status=201)


async def list_audit(request: Request) -> Response:
    params = request.query_params
    try:
        query = audit.AuditQuery(
            since=float(params["since"]) if "since" in params else None,
            until=float(params["until"]) if "until" in params else None,
            principal=params.get("principal"),
            action=params.get("action"),
            after=int(params.get("after", "0")),
            limit=min(MAX_PAGE, max(1, int(params.get("limit", "100")))),
        )
    except ValueError:
        raise AdminInputError("since/until are UNIX seconds; after/limit are integers") from None
    entries = await _run(request, "audit.list", lambda s: audit.list_entries(s.engine, query))
    last = entries[-1].seq if entries else None
    return json_response(
        {
            "entries": [e.as_dict() for e in entries],
            "next_after": last if len(entries) == query.limit else None,
        }
    )


def _who() -> str | None:
    access = current_access()
    return access.principal.name if isinstance(access, ScopedAccess) else None


def _key_detail(info: apikeys.KeyInfo) -> dict[str, Any]:
    return {"key_id": info.id, "name": info.name, "owner": info.owner, "scopes": list(info.scopes)}


def _user(user: users.User) -> dict[str, Any]:
    return {
        "id": user.id,
        "name": user.name,
        "active": user.active,
        "created_at": user.created_at,
        "roles": list(user.roles),
    }


def _role(role: users.Role) -> dict[str, Any]:
    return {
        "id": role.id,
        "name": role.name,
        "scopes": list(role.scopes),
        "description": role.description,
        "created_at": role.created_at,
    }


def admin_routes() -> list[Route]:
    prefix = "/admin/api"
    return [
        Route(f"{prefix}/keys", list_keys, methods=["GET"]),
        Route(f"{prefix}/keys", create_key, methods=["POST"]),
        Route(f"{prefix}/keys/{{key_id}}/rotate", rotate_key, methods=["POST"]),
        Route(f"{prefix}/keys/{{key_id}}", revoke_key, methods=["DELETE"]),
        Route(f"{prefix}/users", list_users, methods=["GET"]),
        Route(f"{prefix}/users", create_user, methods=["POST"]),
        Route(f"{prefix}/users/{{name}}", update_user, methods=["PATCH"]),
        Route(f"{prefix}/users/{{name}}", delete_user, methods=["DELETE"]),
        Route(f"{prefix}/users/{{name}}/roles", grant_role, methods=["POST"]),
        Route(f"{prefix}/users/{{name}}/roles/{{role}}", revoke_role, methods=["DELETE"]),
        Route(f"{prefix}/roles", list_roles, methods=["GET"]),
        Route(f"{prefix}/roles", create_role, methods=["POST"]),
        Route(f"{prefix}/audit", list_audit, methods=["GET"]),
    ]
