"""How the app takes auth in: the service, its routes and its middleware (none when disabled)."""

from __future__ import annotations

from collections.abc import Callable

from starlette.middleware import Middleware
from starlette.routing import BaseRoute

from config.settings import Settings
from gateway.auth.admin_api import admin_routes
from gateway.auth.middleware import AuthMiddleware
from gateway.auth.oauth.install import attach_oauth, oauth_of, oauth_routes
from gateway.auth.service import AuthService
from schema_cache.model import Catalog


def build_auth(settings: Settings, get_catalog: Callable[[], Catalog]) -> AuthService | None:
    """The auth service, or None with `auth.enabled: false` (every table open to everyone)."""
    if not settings.auth.enabled:
        return None
    service = AuthService(settings, get_catalog)
    attach_oauth(settings, service)  # the OAuth server, unless auth.oauth.enabled is false
    return service


def auth_routes(service: AuthService | None) -> list[BaseRoute]:
    return [*admin_routes(), *oauth_routes(service)] if service is not None else []


def auth_middleware(service: AuthService | None) -> list[Middleware]:
    if service is None:
        return []
    server = oauth_of(service)
    tokens = server.resource if server is not None else None
    return [Middleware(AuthMiddleware, service=service, tokens=tokens)]
