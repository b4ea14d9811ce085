"""First start: an `admin` role, an `admin` user and an admin API key, shown once.

The password comes from `$FEDGATE_ADMIN_PASSWORD`, else it is generated; both
the password and the key are returned for printing once and stored only hashed.
A store that already has a user is left as it is.

Several instances may start at once on one empty store: on PostgreSQL the check
and the creation run under an advisory lock (one instance bootstraps, the others
then find the user); elsewhere (SQLite) a lock serialises the threads of one
process and an instance that loses the race to another process finds the admin
it could not create and bootstraps nothing.
"""

from __future__ import annotations

import os
import secrets
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import sqlalchemy as sa

from gateway.auth import apikeys, users
from gateway.auth.access import Principal
from gateway.auth.errors import AdminInputError
from gateway.auth.service import AuthService

ADMIN_ROLE = "admin"
ADMIN_USER = "admin"
ADMIN_SCOPES = ("admin", "sql", "*:*")
BOOTSTRAP = Principal("system", "bootstrap")
_BOOTSTRAP_LOCK = 0x66676273  # PostgreSQL advisory lock: one instance bootstraps at a time
_in_process = threading.Lock()
ATTEMPTS = 3  # without an advisory lock: tries before the error is shown


@dataclass(frozen=True, slots=True)
class Bootstrap:
    user: str
    password: str | None  # None: taken from the environment, not shown
    key: str
    key_info: apikeys.KeyInfo


@contextmanager
def _bootstrap_lock(engine: sa.Engine) -> Iterator[None]:
    """Held while one instance checks for users and creates the admin."""
    with _in_process:
        if engine.dialect.name != "postgresql":
            yield
            return
        with engine.connect() as conn:  # a session lock: the work below uses other connections
            conn.execute(sa.text("SELECT pg_advisory_lock(:k)"), {"k": _BOOTSTRAP_LOCK})
            try:
                yield
            finally:
                conn.execute(sa.text("SELECT pg_advisory_unlock(:k)"), {"k": _BOOTSTRAP_LOCK})
                conn.commit()


def bootstrap_admin(service: AuthService) -> Bootstrap | None:
    """Create the first admin (migrating the store first); None when users exist."""
    service.start()
    with _bootstrap_lock(service.engine):
        if users.has_users(service.engine):
            return None
        for attempt in range(ATTEMPTS):
            try:
                return _create_admin(service)
            except (AdminInputError, sa.exc.IntegrityError):
                time.sleep(0.2 * (attempt + 1))  # another process is bootstrapping (SQLite)
                if users.has_users(service.engine):
                    return None
        return _create_admin(service)


def _create_admin(service: AuthService) -> Bootstrap:
    engine = service.engine
    from_env = os.environ.get("FEDGATE_ADMIN_PASSWORD") or None
    password = from_env or secrets.token_urlsafe(18)
    if ADMIN_ROLE not in {r.name for r in users.list_roles(engine)}:  # kept from a cut start
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
