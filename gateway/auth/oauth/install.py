"""How the app takes the authorization server in: one `OAuthServer` per `AuthService`."""

from __future__ import annotations

from weakref import WeakKeyDictionary

from starlette.routing import BaseRoute

from config.settings import Settings
from gateway.auth.oauth.admin_api import client_admin_routes
from gateway.auth.oauth.consents import consent_routes
from gateway.auth.oauth.endpoints import endpoint_routes
from gateway.auth.oauth.pages import page_routes
from gateway.auth.oauth.server import OAuthServer
from gateway.auth.service import AuthService

_servers: WeakKeyDictionary[AuthService, OAuthServer] = WeakKeyDictionary()


def attach_oauth(settings: Settings, service: AuthService) -> OAuthServer | None:
    """Create the server for `service` (None with `auth.oauth.enabled: false`)."""
    if not settings.auth.oauth.enabled:
        return None
    server = OAuthServer(settings, service)
    _servers[service] = server
    return server


def oauth_of(service: AuthService | None) -> OAuthServer | None:
    return _servers.get(service) if service is not None else None


def oauth_routes(service: AuthService | None) -> list[BaseRoute]:
    server = oauth_of(service)
    if server is None:
        return []
    return [
        *endpoint_routes(server),
        *page_routes(server),
        *consent_routes(server),
        *client_admin_routes(server),
    ]
