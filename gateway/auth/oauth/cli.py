"""`fedgate clients create|list|activate|reauthorize|deactivate|delete|rotate-signing-key`.

Works on the metadata store directly, like `fedgate keys`; each change is
audited with the principal `cli:<os user>`. Secrets and first tokens are
printed once, on stdout; everything else goes to stderr.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable

from config.settings import Settings
from gateway.auth.cli import _actions, _os_user
from gateway.auth.oauth import clients, lifecycle, registration, signing
from gateway.auth.oauth.server import OAuthServer
from gateway.auth.service import AuthService
from gateway.console import Console

CLIENT_COMMANDS = ("clients",)
AddCommand = Callable[[str, str], argparse.ArgumentParser]


def add_client_commands(add: AddCommand) -> None:
    group = _actions(add("clients", "OAuth clients (integrations): create, activate, revoke."))
    create = group.add_parser("create", help="register a client (inactive until activated)")
    create.add_argument("--name", required=True)
    create.add_argument(
        "--type",
        dest="client_type",
        default="confidential",
        choices=["confidential", "spa", "native"],
    )
    create.add_argument("--contact-email")
    create.add_argument("--redirect-uri", action="append", default=[], help="exact URI (repeat)")
    create.add_argument("--identity-link-url")
    create.add_argument(
        "--grant",
        action="append",
        choices=["authorization_code", "client_credentials", "password"],
        help="allowed grant (repeat; default: client_credentials and authorization_code)",
    )
    create.add_argument("--first-party", action="store_true", help="may use the password grant")
    create.add_argument(
        "--scopes",
        help="custom resource access, comma- or space-separated (e.g. 'shop.orders:read, sql')",
    )
    create.add_argument("--all-resources", action="store_true", help="resource access All")
    create.add_argument(
        "--token-lifetime", type=int, default=7200, help="seconds, 0..99999999 (0: never, insecure)"
    )
    create.add_argument("--refresh", action="store_true", help="allow refresh tokens")
    group.add_parser("list", help="clients with status, grants and insecure settings")
    for action, text in (
        ("activate", "activate; prints client id, secret and a first token once"),
        ("reauthorize", "new secret; revokes the old one and every token issued"),
        ("deactivate", "back to inactive; revokes secrets and tokens"),
        ("delete", "delete; revokes everything"),
    ):
        group.add_parser(action, help=text).add_argument("client_id")
    group.add_parser(
        "rotate-signing-key", help="new token-signing key; the old one stays in the JWKS"
    )


def run_client_command(args: argparse.Namespace, settings: Settings, console: Console) -> int:
    service = AuthService(settings)
    try:
        service.start()
        server = OAuthServer(settings, service)
        actor = f"cli:{_os_user()}"
        if args.action == "list":
            rows = [
                (
                    c.id,
                    c.name,
                    c.status,
                    c.client_type,
                    " ".join(c.grant_types),
                    " ".join(c.resource_scopes),
                    "never" if c.token_lifetime == 0 else f"{c.token_lifetime}s",
                    "; ".join(c.insecure) or "-",
                )
                for c in clients.list_clients(service.engine)
            ]
            headers = (
                "client id",
                "name",
                "status",
                "type",
                "grants",
                "scopes",
                "tokens",
                "insecure",
            )
            console.table(headers, rows, out=sys.stdout)
            return 0
        if args.action == "create":
            return _create(args, server, actor, console)
        if args.action == "rotate-signing-key":
            kids = signing.rotate(
                service.engine,
                service.clock(),
                settings.auth.oauth.signing_key_overlap_hours * 3600.0,
                service.pepper,
            )
            detail = {"by": actor, "kids": kids}
            service.record("oauth.signing_key.rotate", "ok", target=kids[0], detail=detail)
            console.info(
                f"new signing keys {', '.join(kids)}; the old ones stay in the JWKS a while"
            )
            return 0
        if args.action in ("activate", "reauthorize"):
            creds = getattr(lifecycle, args.action)(server, args.client_id, actor)
            console.info(f"client {creds.client.id} is active; the credentials are shown once:")
            sys.stdout.write(f"client_id={creds.client.id}\n")
            if creds.client_secret:
                sys.stdout.write(f"client_secret={creds.client_secret}\n")
            if creds.token:
                sys.stdout.write(f"access_token={creds.token['access_token']}\n")
            return 0
        getattr(lifecycle, args.action)(server, args.client_id, actor)
        console.info(f"client {args.client_id}: {args.action}d; its secrets and tokens are revoked")
        return 0
    finally:
        service.dispose()


def _create(args: argparse.Namespace, server: OAuthServer, actor: str, console: Console) -> int:
    body: dict[str, object] = {
        "name": args.name,
        "client_type": args.client_type,
        "contact_email": args.contact_email,
        "redirect_uris": args.redirect_uri,
        "identity_link_url": args.identity_link_url,
        "first_party": args.first_party,
        "resource_access": "all" if args.all_resources else "custom",
        "scopes": [args.scopes] if args.scopes else [],
        "token_lifetime": args.token_lifetime,
        "refresh_enabled": args.refresh,
    }
    if args.grant:
        body["grant_types"] = args.grant
    spec = registration.build_spec(body)
    engine = server.engine
    client_id = clients.create_client(engine, spec, now=server.now(), created_by=actor)
    client = clients.get_client(engine, client_id)
    server.audit("client.create", "ok", client_id, by=actor, name=client.name)
    console.info(f"created client {client_id} (inactive; `fedgate clients activate {client_id}`)")
    for reason in client.insecure:
        console.info(f"warning: insecure: {reason}")
    sys.stdout.write(client_id + "\n")
    return 0
