"""`fedgate db|keys|users|roles|audit`: the admin API's twin on the command line.

These commands work on the metadata store directly (run them where the store
is reachable); each change is audited with the principal `cli:<os user>`.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from collections.abc import Callable
from datetime import UTC, datetime

from config.settings import Settings
from gateway.auth import apikeys, audit, users
from gateway.auth.access import Principal
from gateway.auth.service import AuthService
from gateway.auth.store import upgrade
from gateway.console import Console

AUTH_COMMANDS = ("db", "keys", "users", "roles", "audit")
AddCommand = Callable[[str, str], argparse.ArgumentParser]


def add_auth_commands(add: AddCommand) -> None:
    """Register the subcommands (`add(name, help)` returns a parser with --config)."""
    db = _actions(add("db", "The metadata store (users, roles, API keys, audit log)."))
    db.add_parser("upgrade", help="migrate the store to the newest schema (also done on start)")

    keys = _actions(add("keys", "API keys: create (shown once), list, rotate, revoke."))
    create = keys.add_parser("create", help="mint a key; it is printed once, never stored")
    create.add_argument("--name", required=True, help="what the key is for")
    create.add_argument("--owner", required=True, help="user whose roles bound the key")
    create.add_argument(
        "--scope",
        action="append",
        required=True,
        metavar="SCOPE",
        help="e.g. 'shop.orders:read', '*:read', 'sql' (repeat or comma-separate)",
    )
    create.add_argument("--expires-days", type=int, help="lifetime (default: auth.key_expiry_days)")
    listing = keys.add_parser("list", help="keys with prefix, owner, scopes, expiry, last use")
    listing.add_argument("--owner", help="only this user's keys")
    rotate = keys.add_parser("rotate", help="mint a successor; the old key ends after a grace")
    rotate.add_argument("key_id", help="id of the key (from `fedgate keys list`)")
    rotate.add_argument(
        "--grace-hours", type=int, help="0..168 (default: auth.rotation_grace_hours)"
    )
    revoke = keys.add_parser("revoke", help="refuse the key from now on")
    revoke.add_argument("key_id", help="id of the key (from `fedgate keys list`)")
    revoke.add_argument("--reason", help="kept with the key and in the audit log")

    user = _actions(add("users", "Users: create, list, deactivate, activate, delete."))
    new_user = user.add_parser("create", help="create a user (password read from stdin)")
    new_user.add_argument("name")
    new_user.add_argument(
        "--password-stdin",
        action="store_true",
        help="read the password (12+ characters) from the first line of stdin",
    )
    new_user.add_argument("--role", action="append", default=[], help="grant this role (repeat)")
    user.add_parser("list", help="users and their roles")
    for verb, text in (
        ("deactivate", "refuse the user's keys and tokens from now on (reversible)"),
        ("activate", "accept the user's keys again after a deactivate"),
        ("delete", "delete the user with their API keys and role grants (not reversible)"),
    ):
        change = user.add_parser(verb, help=text, description=text)
        change.add_argument("name", help="the user's name (from `fedgate users list`)")

    role = _actions(add("roles", "Roles: create, list, grant, revoke (roles carry scopes)."))
    new_role = role.add_parser("create", help="create a role with scopes")
    new_role.add_argument("name")
    new_role.add_argument("--scope", action="append", required=True, metavar="SCOPE")
    new_role.add_argument("--description")
    role.add_parser("list", help="roles and their scopes")
    grant = role.add_parser("grant", help="give a user a role")
    grant.add_argument("role")
    grant.add_argument("user")
    revoke_help = (
        "take a role from a user: their keys narrow at once (other instances: cache_seconds)"
    )
    take = role.add_parser("revoke", help=revoke_help, description=revoke_help)
    take.add_argument("role")
    take.add_argument("user")

    trail = _actions(add("audit", "The audit log: verify the hash chain, list entries."))
    trail.add_parser("verify", help="recompute the hash chain; exit 1 if an entry was altered")
    entries = trail.add_parser("list", help="entries, oldest first")
    entries.add_argument("--principal")
    entries.add_argument("--action", dest="action_filter", help="only entries of this action")
    entries.add_argument("--after", type=int, default=0, help="entries after this sequence number")
    entries.add_argument("--limit", type=int, default=100)


def _actions(
    parser: argparse.ArgumentParser,
) -> argparse._SubParsersAction[argparse.ArgumentParser]:
    return parser.add_subparsers(dest="action", required=True, metavar="ACTION")


def run_auth_command(args: argparse.Namespace, settings: Settings, console: Console) -> int:
    service = AuthService(settings)
    try:
        if args.command == "db":
            revision = upgrade(service.engine)
            console.info(f"metadata store at revision {revision}: {_shown(service.url)}")
            return 0
        service.start()
        actor = Principal("cli", f"cli:{_os_user()}")
        handler = {"keys": _keys, "users": _users, "roles": _roles, "audit": _audit}[args.command]
        return handler(args, service, actor, console)
    finally:
        service.dispose()


def _keys(
    args: argparse.Namespace, service: AuthService, actor: Principal, console: Console
) -> int:
    auth, engine = service.auth, service.engine
    if args.action == "list":
        rows = [
            (
                k.id,
                k.prefix,
                k.name,
                k.owner,
                " ".join(k.scopes),
                _date(k.expires_at),
                _date(k.last_used_at),
                _state(k, service.clock()),
            )
            for k in apikeys.list_keys(engine, args.owner)
        ]
        headers = ("id", "prefix", "name", "owner", "scopes", "expires", "last used", "state")
        console.table(headers, rows, out=sys.stdout)
        return 0
    if args.action == "revoke":
        info = apikeys.revoke_key(engine, args.key_id, now=service.clock(), reason=args.reason)
        service.record(
            "key.revoke",
            "ok",
            principal=actor,
            target=info.prefix,
            detail={"key_id": info.id, "reason": args.reason},
        )
        console.info(f"revoked {info.prefix} ({info.name})")
        return 0
    if args.action == "create":
        new = apikeys.create_key(
            engine,
            name=args.name,
            owner=args.owner,
            scopes=args.scope,
            expires_in_days=args.expires_days or auth.key_expiry_days,
            max_days=auth.key_max_expiry_days,
            pepper=service.pepper,
            now=service.clock(),
            created_by=actor.name,
        )
        action, detail = "key.create", {}
    else:
        grace = auth.rotation_grace_hours if args.grace_hours is None else args.grace_hours
        new = apikeys.rotate_key(
            engine,
            args.key_id,
            grace_hours=grace,
            pepper=service.pepper,
            now=service.clock(),
            max_days=auth.key_max_expiry_days,
            created_by=actor.name,
        )
        action, detail = "key.rotate", {"rotated_from": args.key_id, "grace_hours": grace}
    service.record(
        action,
        "ok",
        principal=actor,
        target=new.info.prefix,
        detail={"key_id": new.info.id, "owner": new.info.owner, **detail},
    )
    console.info(f"key {new.info.id} for {new.info.owner}, expires {_date(new.info.expires_at)}")
    console.info("the key is shown once; store it now:")
    sys.stdout.write(new.secret + "\n")
    return 0


def _users(
    args: argparse.Namespace, service: AuthService, actor: Principal, console: Console
) -> int:
    engine = service.engine
    if args.action == "list":
        rows = [
            (u.name, "yes" if u.active else "no", ", ".join(u.roles), _date(u.created_at))
            for u in users.list_users(engine)
        ]
        console.table(("name", "active", "roles", "created"), rows, out=sys.stdout)
        return 0
    if args.action in ("deactivate", "activate"):
        users.set_active(engine, args.name, args.action == "activate")
        service.record(f"user.{args.action}", "ok", principal=actor, target=args.name)
        console.info(f"{args.action}d user {args.name}")
        return 0
    if args.action == "delete":
        _, keys = users.delete_user(engine, args.name)
        service.record(
            "user.delete", "ok", principal=actor, target=args.name, detail={"keys_deleted": keys}
        )
        console.info(f"deleted user {args.name} and {keys} API key(s)")
        return 0
    password = sys.stdin.readline().rstrip("\n") if args.password_stdin else None
    users.create_user(engine, args.name, password)
    for role in args.role:
        users.grant_role(engine, args.name, role)
    service.record(
        "user.create", "ok", principal=actor, target=args.name, detail={"roles": args.role}
    )
    console.info(f"created user {args.name}")
    return 0


def _roles(
    args: argparse.Namespace, service: AuthService, actor: Principal, console: Console
) -> int:
    engine = service.engine
    if args.action == "list":
        rows = [(r.name, " ".join(r.scopes), r.description or "") for r in users.list_roles(engine)]
        console.table(("name", "scopes", "description"), rows, out=sys.stdout)
        return 0
    if args.action == "create":
        role = users.create_role(engine, args.name, args.scope, args.description)
        service.record(
            "role.create",
            "ok",
            principal=actor,
            target=role.name,
            detail={"scopes": list(role.scopes)},
        )
        console.info(f"created role {role.name}: {' '.join(role.scopes)}")
        return 0
    if args.action == "revoke":
        users.revoke_role(engine, args.user, args.role)
        service.record(
            "role.revoke", "ok", principal=actor, target=args.user, detail={"role": args.role}
        )
        console.info(f"revoked {args.role} from {args.user}")
        return 0
    users.grant_role(engine, args.user, args.role)
    service.record(
        "role.grant", "ok", principal=actor, target=args.user, detail={"role": args.role}
    )
    console.info(f"granted {args.role} to {args.user}")
    return 0


def _audit(
    args: argparse.Namespace, service: AuthService, actor: Principal, console: Console
) -> int:
    if args.action == "verify":
        report = audit.verify(service.engine)
        if report.ok:
            console.info(f"audit log intact: {report.entries} entries, hash chain verified")
            return 0
        console.error(
            f"audit log altered at entry {report.broken_at} ({report.reason}); "
            f"{report.entries} entries before it verify"
        )
        return 1
    query = audit.AuditQuery(
        principal=args.principal, action=args.action_filter, after=args.after, limit=args.limit
    )
    rows = [
        (str(e.seq), _date(e.at), e.principal or "-", e.action, e.outcome, e.target or "-")
        for e in audit.list_entries(service.engine, query)
    ]
    console.table(("seq", "at", "principal", "action", "outcome", "target"), rows, out=sys.stdout)
    return 0


def _date(at: float | None) -> str:
    return "-" if at is None else datetime.fromtimestamp(at, UTC).strftime("%Y-%m-%d %H:%M:%SZ")


def _state(key: apikeys.KeyInfo, now: float) -> str:
    if key.revoked_at is not None:
        return "revoked"
    if key.grace_until is not None:
        return "rotated out" if key.grace_until <= now else f"grace until {_date(key.grace_until)}"
    return "expired" if key.expires_at <= now else "active"


def _os_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def _shown(url: str) -> str:
    from config.urls import redact_url

    return redact_url(url)
