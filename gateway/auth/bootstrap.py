"""First start: an `admin` role, an `admin` user and an admin API key, shown once.

The password comes from `$FEDGATE_ADMIN_PASSWORD`, else it is generated; both
the password and the key are returned for printing once and stored only hashed.
A store that already has a user is left as it is.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass

from gateway.auth import apikeys, users
from gateway.auth.access import Principal
from gateway.auth.service import AuthService

ADMIN_ROLE = "admin"
ADMIN_USER = "admin"
ADMIN_SCOPES = ("admin", "sql", "*:*")
BOOTSTRAP = Principal("system", "bootstrap")


@dataclass(frozen=True, slots=True)
class Bootstrap:
    user: str
    password: str | None  # None: taken from the environment, not shown
    key: str
    key_info: apikeys.KeyInfo


def bootstrap_admin(service: AuthService) -> Bootstrap | None:
    """Create the first admin (migrating the store first); None when users exist."""
    service.start()
    engine = service.engine
    if users.has_users(engine):
        return None
    from_env = os.environ.get("FEDGATE_ADMIN_PASSWORD") or None
    password = from_env or secrets.token_urlsafe(18)
    users.create_role(engine, ADMIN_ROLE, ADMIN_SCOPES, "every table, /sql and the admin API")
    users.create_user(engine, ADMIN_USER, password)
    users.grant_role(engine, ADMIN_USER, ADMIN_ROLE)
    new = apikeys.create_key(
        engine,
        name="bootstrap admin",
        owner=ADMIN_USER,
        scopes=ADMIN_SCOPES,
        expires_in_days=service.auth.key_expiry_days,
        max_days=service.auth.key_max_expiry_days,
        pepper=service.pepper,
        now=service.clock(),
        created_by="bootstrap",
    )
    service.record(
        "user.create", "ok", principal=BOOTSTRAP, target=ADMIN_USER, detail={"roles": [ADMIN_ROLE]}
    )
    service.record(
        "key.create",
        "ok",
        principal=BOOTSTRAP,
        target=new.info.prefix,
        detail={"key_id": new.info.id, "name": new.info.name, "owner": ADMIN_USER},
    )
    return Bootstrap(ADMIN_USER, None if from_env else password, new.secret, new.info)
