"""Users and roles (RBAC): roles carry scopes, users hold roles, passwords are argon2 hashes."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from gateway.auth.errors import AdminInputError, AdminNotFoundError
from gateway.auth.scopes import ScopeSyntaxError, parse_scopes, split_scopes
from gateway.auth.tables import api_keys, roles, user_roles, users

_hasher = PasswordHasher()
MIN_PASSWORD_LENGTH = 12


@dataclass(frozen=True, slots=True)
class User:
    id: str
    name: str
    active: bool
    created_at: float
    roles: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Role:
    id: str
    name: str
    scopes: tuple[str, ...]
    description: str | None
    created_at: float


def hash_password(password: str) -> str:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AdminInputError(f"a password needs at least {MIN_PASSWORD_LENGTH} characters")
    return _hasher.hash(password)


def check_password(password_hash: str | None, password: str) -> bool:
    if not password_hash:
        return False
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def validated_scopes(scopes: list[str] | tuple[str, ...]) -> tuple[str, ...]:
    try:
        return parse_scopes(scopes)
    except ScopeSyntaxError as exc:
        raise AdminInputError(
            str(exc), errors=[{"parameter": "scopes", "detail": str(exc)}]
        ) from None


def create_user(
    engine: sa.Engine, name: str, password: str | None = None, *, clock: float | None = None
) -> User:
    if not name or len(name) > 120:
        raise AdminInputError("a user name has 1 to 120 characters")
    digest = hash_password(password) if password else None
    user = User(uuid.uuid4().hex, name, True, clock or time.time())
    with engine.begin() as conn:
        if conn.execute(sa.select(users.c.id).where(users.c.name == name)).first():
            raise AdminInputError(f"a user named '{name}' exists")
        conn.execute(
            users.insert().values(
                id=user.id,
                name=name,
                password_hash=digest,
                active=True,
                created_at=user.created_at,
            )
        )
    return user


def get_user(engine: sa.Engine, name: str) -> User:
    with engine.connect() as conn:
        row = conn.execute(sa.select(users).where(users.c.name == name)).first()
        if row is None:
            raise AdminNotFoundError(f"no user named '{name}'")
        names = (
            conn.execute(
                sa.select(roles.c.name)
                .join(user_roles, user_roles.c.role_id == roles.c.id)
                .where(user_roles.c.user_id == row.id)
                .order_by(roles.c.name)
            )
            .scalars()
            .all()
        )
    return User(row.id, row.name, bool(row.active), float(row.created_at), tuple(names))


def list_users(engine: sa.Engine) -> list[User]:
    with engine.connect() as conn:
        rows = conn.execute(sa.select(users).order_by(users.c.name)).all()
        held = conn.execute(
            sa.select(user_roles.c.user_id, roles.c.name)
            .join(roles, user_roles.c.role_id == roles.c.id)
            .order_by(roles.c.name)
        ).all()
    by_user: dict[str, list[str]] = {}
    for user_id, role in held:
        by_user.setdefault(user_id, []).append(role)
    return [
        User(r.id, r.name, bool(r.active), float(r.created_at), tuple(by_user.get(r.id, ())))
        for r in rows
    ]


def has_users(engine: sa.Engine) -> bool:
    with engine.connect() as conn:
        return conn.execute(sa.select(users.c.id).limit(1)).first() is not None


def authenticate_password(engine: sa.Engine, name: str, password: str) -> User | None:
    """The user if the password matches (argon2, constant time), else None."""
    with engine.connect() as conn:
        row = conn.execute(sa.select(users).where(users.c.name == name)).first()
    if row is None or not row.active:
        check_password(None, password)
        return None
    if not check_password(row.password_hash, password):
        return None
    return User(row.id, row.name, True, float(row.created_at))


def create_role(
    engine: sa.Engine,
    name: str,
    scopes: list[str] | tuple[str, ...],
    description: str | None = None,
) -> Role:
    if not name or len(name) > 120:
        raise AdminInputError("a role name has 1 to 120 characters")
    role = Role(uuid.uuid4().hex, name, validated_scopes(scopes), description, time.time())
    with engine.begin() as conn:
        if conn.execute(sa.select(roles.c.id).where(roles.c.name == name)).first():
            raise AdminInputError(f"a role named '{name}' exists")
        conn.execute(
            roles.insert().values(
                id=role.id,
                name=name,
                scopes=" ".join(role.scopes),
                description=description,
                created_at=role.created_at,
            )
        )
    return role


def list_roles(engine: sa.Engine) -> list[Role]:
    with engine.connect() as conn:
        rows = conn.execute(sa.select(roles).order_by(roles.c.name)).all()
    return [
        Role(r.id, r.name, split_scopes(r.scopes), r.description, float(r.created_at)) for r in rows
    ]


def grant_role(engine: sa.Engine, user_name: str, role_name: str) -> None:
    with engine.begin() as conn:
        user_id = conn.execute(sa.select(users.c.id).where(users.c.name == user_name)).scalar()
        if user_id is None:
            raise AdminNotFoundError(f"no user named '{user_name}'")
        role_id = conn.execute(sa.select(roles.c.id).where(roles.c.name == role_name)).scalar()
        if role_id is None:
            raise AdminNotFoundError(f"no role named '{role_name}'")
        exists = conn.execute(
            sa.select(user_roles.c.user_id).where(
                user_roles.c.user_id == user_id, user_roles.c.role_id == role_id
            )
        ).first()
        if exists is None:
            conn.execute(user_roles.insert().values(user_id=user_id, role_id=role_id))


def revoke_role(engine: sa.Engine, user_name: str, role_name: str) -> None:
    """Take a role from a user (404 unless the user holds it)."""
    with engine.begin() as conn:
        user_id = conn.execute(sa.select(users.c.id).where(users.c.name == user_name)).scalar()
        role_id = conn.execute(sa.select(roles.c.id).where(roles.c.name == role_name)).scalar()
        done = conn.execute(
            user_roles.delete().where(
                user_roles.c.user_id == user_id, user_roles.c.role_id == role_id
            )
        )
        if user_id is None or role_id is None or done.rowcount == 0:
            raise AdminNotFoundError(f"user '{user_name}' does not hold role '{role_name}'")


def set_active(engine: sa.Engine, name: str, active: bool) -> User:
    """Deactivate or reactivate a user: an inactive user's keys and tokens are refused."""
    with engine.begin() as conn:
        done = conn.execute(users.update().where(users.c.name == name).values(active=active))
        if done.rowcount == 0:
            raise AdminNotFoundError(f"no user named '{name}'")
    return get_user(engine, name)


def delete_user(engine: sa.Engine, name: str) -> tuple[User, int]:
    """Delete a user with their API keys, role grants and every other row that references
    them (found in the store's own foreign keys); returns the user and its key count."""
    user = get_user(engine, name)
    with engine.begin() as conn:
        keys = conn.execute(api_keys.delete().where(api_keys.c.owner_id == user.id)).rowcount
        for name_, column in _references_to_users(conn):
            referring = sa.table(name_, sa.column(column))
            conn.execute(referring.delete().where(referring.c[column] == user.id))
        conn.execute(users.delete().where(users.c.id == user.id))
    return user, keys


def _references_to_users(conn: sa.Connection) -> list[tuple[str, str]]:
    """(table, column) of every foreign key to `users.id`, as the database declares them."""
    inspector = sa.inspect(conn)
    return [
        (table, fk["constrained_columns"][0])
        for table in inspector.get_table_names()
        for fk in inspector.get_foreign_keys(table)
        if fk["referred_table"] == users.name and len(fk["constrained_columns"]) == 1
    ]


def role_scopes(conn: sa.Connection, user_id: str) -> tuple[str, ...]:
    """The union of the scopes of the roles a user holds now."""
    texts = (
        conn.execute(
            sa.select(roles.c.scopes)
            .join(user_roles, user_roles.c.role_id == roles.c.id)
            .where(user_roles.c.user_id == user_id)
        )
        .scalars()
        .all()
    )
    return tuple(dict.fromkeys(s for text in texts for s in split_scopes(text)))
