"""How the app takes auth in: the service, its routes and its middleware (none when disabled)."""

from __future__ import annotations

from collections.abc import Callable

from starlette.middleware import Middleware
from starlette.routing import BaseRoute

from config.settings import Settings
from gateway.auth.admin_api import admin_routes
from gateway.auth.middleware import AuthMiddleware
from gateway.auth.service import AuthService
from schema_cache.model import Catalog


def build_auth(settings: Settings, get_catalog: Callable[[], Catalog]) -> AuthService | None:
    """The auth service, or None with `auth.enabled: false` (every table open to everyone)."""
    return AuthService(settings, get_catalog) if settings.auth.enabled else None


def auth_routes(service: AuthService | None) -> list[BaseRoute]:
    return list(admin_routes()) if service is not None else []


def auth_middleware(service: AuthService | None) -> list[Middleware]:
    return [Middleware(AuthMiddleware, service=service)] if service is not None else []
