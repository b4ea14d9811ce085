"""Clients ("integrations"): their records and the Authlib `ClientMixin` view.

A client is created inactive, with no secret. Its allowed scopes are its
resource access ("all": every data scope and `sql`, never `admin`; "custom":
the listed scopes) plus the OIDC scopes for flows with a user. Lifecycle
changes that revoke tokens live in `lifecycle.py`.
"""

from __future__ import annotations

import secrets as _secrets
import uuid
from dataclasses import dataclass, field
from typing import Any

import orjson
import sqlalchemy as sa
from authlib.oauth2.rfc6749 import ClientMixin

from gateway.auth.errors import AdminNotFoundError
from gateway.auth.oauth import opaque, policy
from gateway.auth.oauth.registration import ClientSpec
from gateway.auth.oauth.tables import client_secrets, clients
from gateway.auth.scopes import split_scopes

CONFIDENTIAL_AUTH = ("client_secret_basic", "client_secret_post")


@dataclass(frozen=True, slots=True)
class Client(ClientMixin):
    id: str
    name: str
    contact_email: str | None
    client_type: str
    redirect_uris: tuple[str, ...]
    identity_link_url: str | None
    grant_types: tuple[str, ...]
    first_party: bool
    resource_access: str
    scopes: tuple[str, ...]
    token_lifetime: int
    refresh_enabled: bool
    status: str
    created_at: float
    created_by: str | None
    updated_at: float
    secret: tuple[str, str] | None = field(
        default=None, repr=False
    )  # (id, digest) of the active one
    pepper: str | None = field(default=None, repr=False)

    # -- what the client may do -------------------------------------------------------

    @property
    def confidential(self) -> bool:
        return self.client_type == "confidential"

    @property
    def resource_scopes(self) -> tuple[str, ...]:
        return policy.ALL_RESOURCES if self.resource_access == "all" else self.scopes

    @property
    def insecure(self) -> list[str]:
        return policy.insecure_reasons(
            self.redirect_uris, self.identity_link_url, self.token_lifetime
        )

    def allows_scope(self, scope: str, *, with_user: bool) -> bool:
        if scope in policy.OIDC_SCOPES:
            return with_user and (scope != "offline_access" or self.refresh_enabled)
        return policy.covered(scope, self.resource_scopes)

    # -- Authlib ClientMixin ----------------------------------------------------------

    def get_client_id(self) -> str:
        return self.id

    def get_default_redirect_uri(self) -> str | None:
        # Authlib falls back to the first URI; we do only when exactly one is registered.
        return self.redirect_uris[0] if len(self.redirect_uris) == 1 else None

    def get_allowed_scope(self, scope: str | None) -> str:
        return scope or ""

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        return any(_secrets.compare_digest(redirect_uri, u) for u in self.redirect_uris)

    def check_client_secret(self, client_secret: str) -> bool:
        if self.secret is None or not opaque.is_well_formed(client_secret, opaque.CLIENT_SECRET):
            return False
        return _secrets.compare_digest(opaque.digest(client_secret, self.pepper), self.secret[1])

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        if self.status != "active":
            return False
        if self.confidential:
            return method in CONFIDENTIAL_AUTH
        return method == "none"

    def check_response_type(self, response_type: str) -> bool:
        return response_type == "code" and "authorization_code" in self.grant_types

    def check_grant_type(self, grant_type: str) -> bool:
        if self.status != "active":
            return False
        if grant_type == "refresh_token":
            return self.refresh_enabled and (
                "authorization_code" in self.grant_types or "password" in self.grant_types
            )
        if grant_type in ("client_credentials", "password") and not self.confidential:
            return False
        if grant_type == "password" and not self.first_party:
            return False
        return grant_type in self.grant_types

    def as_dict(self) -> dict[str, Any]:
        return {
            "client_id": self.id,
            "name": self.name,
            "contact_email": self.contact_email,
            "client_type": self.client_type,
            "redirect_uris": list(self.redirect_uris),
            "identity_link_url": self.identity_link_url,
            "grant_types": list(self.grant_types),
            "first_party": self.first_party,
            "resource_access": self.resource_access,
            "scopes": list(self.resource_scopes),
            "token_lifetime": self.token_lifetime,
            "refresh_enabled": self.refresh_enabled,
            "status": self.status,
            "insecure": self.insecure,
            "created_at": self.created_at,
            "created_by": self.created_by,
            "updated_at": self.updated_at,
        }


def create_client(
    engine: sa.Engine, spec: ClientSpec, *, now: float, created_by: str | None
) -> str:
    client_id = opaque.new_client_id()
    with engine.begin() as conn:
        conn.execute(
            clients.insert().values(
                id=client_id,
                name=spec.name,
                contact_email=spec.contact_email,
                client_type=spec.client_type,
                redirect_uris=orjson.dumps(list(spec.redirect_uris)).decode(),
                identity_link_url=spec.identity_link_url,
                grant_types=" ".join(spec.grant_types),
                first_party=spec.first_party,
                resource_access=spec.resource_access,
                scopes=" ".join(spec.scopes),
                token_lifetime=spec.token_lifetime,
                refresh_enabled=spec.refresh_enabled,
                status="inactive",
                created_at=now,
                created_by=created_by,
                updated_at=now,
            )
        )
    return client_id


def _client(row: Any, secret: tuple[str, str] | None, pepper: str | None) -> Client:
    return Client(
        id=row.id,
        name=row.name,
        contact_email=row.contact_email,
        client_type=row.client_type,
        redirect_uris=tuple(orjson.loads(row.redirect_uris)),
        identity_link_url=row.identity_link_url,
        grant_types=split_scopes(row.grant_types),
        first_party=bool(row.first_party),
        resource_access=row.resource_access,
        scopes=split_scopes(row.scopes),
        token_lifetime=int(row.token_lifetime),
        refresh_enabled=bool(row.refresh_enabled),
        status=row.status,
        created_at=float(row.created_at),
        created_by=row.created_by,
        updated_at=float(row.updated_at),
        secret=secret,
        pepper=pepper,
    )


def fetch_client(
    conn: sa.Connection, client_id: str, pepper: str | None = None, *, deleted: bool = False
) -> Client | None:
    """A client with its active secret; None if unknown (or deleted, unless asked)."""
    row = conn.execute(sa.select(clients).where(clients.c.id == client_id)).first()
    if row is None or (row.status == "deleted" and not deleted):
        return None
    secret = conn.execute(
        sa.select(client_secrets.c.id, client_secrets.c.digest).where(
            client_secrets.c.client_id == client_id, client_secrets.c.revoked_at.is_(None)
        )
    ).first()
    return _client(row, (secret.id, secret.digest) if secret else None, pepper)


def get_client(engine: sa.Engine, client_id: str) -> Client:
    with engine.connect() as conn:
        found = fetch_client(conn, client_id)
    if found is None:
        raise AdminNotFoundError(f"no client '{client_id}'")
    return found


def list_clients(engine: sa.Engine) -> list[Client]:
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(clients).where(clients.c.status != "deleted").order_by(clients.c.created_at)
        ).all()
    return [_client(r, None, None) for r in rows]


def set_status(conn: sa.Connection, client_id: str, status: str, now: float) -> None:
    conn.execute(
        clients.update().where(clients.c.id == client_id).values(status=status, updated_at=now)
    )


def new_secret(
    conn: sa.Connection, client_id: str, pepper: str | None, now: float
) -> tuple[str, str]:
    """Revoke the client's secrets and store a new one; returns (secret id, secret) once."""
    conn.execute(
        client_secrets.update()
        .where(client_secrets.c.client_id == client_id, client_secrets.c.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    secret = opaque.mint(opaque.CLIENT_SECRET)
    secret_id = uuid.uuid4().hex
    conn.execute(
        client_secrets.insert().values(
            id=secret_id,
            client_id=client_id,
            digest=opaque.digest(secret, pepper),
            prefix=opaque.display(secret),
            created_at=now,
        )
    )
    return secret_id, secret


def revoke_secrets(conn: sa.Connection, client_id: str, now: float) -> None:
    conn.execute(
        client_secrets.update()
        .where(client_secrets.c.client_id == client_id, client_secrets.c.revoked_at.is_(None))
        .values(revoked_at=now)
    )
