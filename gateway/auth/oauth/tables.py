"""The OAuth tables of the metadata store (SQLAlchemy Core), on the auth store's `metadata`.

Secrets, refresh tokens, codes, login sessions and consent transactions are
stored as digests (`gateway.auth.keys.key_digest`); access tokens are JWTs and
only their `jti` is recorded. Times are UNIX seconds, as in `gateway.auth.tables`.
A "grant" (`grant_id`) is one authorization: the code or password exchange and
every access and refresh token that descends from it (the refresh family).
"""

from __future__ import annotations

import sqlalchemy as sa

from gateway.auth.tables import metadata

clients = sa.Table(
    "oauth_clients",
    metadata,
    sa.Column("id", sa.String(40), primary_key=True),  # the public client_id
    sa.Column("name", sa.String(120), nullable=False),
    sa.Column("contact_email", sa.String(200), nullable=True),
    sa.Column("client_type", sa.String(20), nullable=False),  # confidential | spa | native
    sa.Column("redirect_uris", sa.Text, nullable=False),  # JSON list
    sa.Column("identity_link_url", sa.Text, nullable=True),
    sa.Column("grant_types", sa.Text, nullable=False),  # space-delimited
    sa.Column("first_party", sa.Boolean, nullable=False),
    sa.Column("resource_access", sa.String(10), nullable=False),  # all | custom
    sa.Column("scopes", sa.Text, nullable=False),  # space-delimited (custom)
    sa.Column("token_lifetime", sa.Integer, nullable=False),  # seconds; 0 = never expires
    sa.Column("refresh_enabled", sa.Boolean, nullable=False),
    sa.Column("status", sa.String(20), nullable=False),  # inactive | active | deleted
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Column("created_by", sa.String(200), nullable=True),
    sa.Column("updated_at", sa.Float, nullable=False),
)

client_secrets = sa.Table(
    "oauth_client_secrets",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("client_id", sa.String(40), sa.ForeignKey("oauth_clients.id"), nullable=False),
    sa.Column("digest", sa.String(64), nullable=False, unique=True),
    sa.Column("prefix", sa.String(16), nullable=False),
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Column("revoked_at", sa.Float, nullable=True),
)

codes = sa.Table(
    "oauth_codes",
    metadata,
    sa.Column("digest", sa.String(64), primary_key=True),
    sa.Column("client_id", sa.String(40), nullable=False),
    sa.Column("user_id", sa.String(32), sa.ForeignKey("users.id"), nullable=False),
    sa.Column("redirect_uri", sa.Text, nullable=False),
    sa.Column("scope", sa.Text, nullable=False),
    sa.Column("nonce", sa.Text, nullable=True),
    sa.Column("code_challenge", sa.String(128), nullable=False),
    sa.Column("code_challenge_method", sa.String(10), nullable=False),
    sa.Column("auth_time", sa.Float, nullable=False),
    sa.Column("grant_id", sa.String(32), nullable=False),  # tokens it issues carry it
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Column("expires_at", sa.Float, nullable=False),
    sa.Column("used_at", sa.Float, nullable=True),  # kept until expiry to detect reuse
)

refresh_tokens = sa.Table(
    "oauth_refresh_tokens",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("digest", sa.String(64), nullable=False, unique=True),
    sa.Column("grant_id", sa.String(32), nullable=False, index=True),  # the family
    sa.Column("parent_id", sa.String(32), nullable=True),
    sa.Column("client_id", sa.String(40), nullable=False, index=True),
    sa.Column("user_id", sa.String(32), nullable=False),
    sa.Column("scope", sa.Text, nullable=False),
    sa.Column("secret_id", sa.String(32), nullable=True),
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Column("expires_at", sa.Float, nullable=False),  # the family's absolute end
    sa.Column("used_at", sa.Float, nullable=True),
    sa.Column("revoked_at", sa.Float, nullable=True),
)

access_tokens = sa.Table(
    "oauth_access_tokens",
    metadata,
    sa.Column("jti", sa.String(32), primary_key=True),
    sa.Column("client_id", sa.String(40), nullable=False, index=True),
    sa.Column("user_id", sa.String(32), nullable=True),  # None: client_credentials
    sa.Column("grant_id", sa.String(32), nullable=True, index=True),
    sa.Column("secret_id", sa.String(32), nullable=True),
    sa.Column("scope", sa.Text, nullable=False),
    sa.Column("issued_at", sa.Float, nullable=False),
    sa.Column("expires_at", sa.Float, nullable=True),  # None: never (lifetime 0)
    sa.Column("revoked_at", sa.Float, nullable=True),
)

signing_keys = sa.Table(
    "oauth_signing_keys",
    metadata,
    sa.Column("kid", sa.String(64), primary_key=True),
    sa.Column("alg", sa.String(10), nullable=False),
    sa.Column("private_jwk", sa.Text, nullable=False),  # JSON
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Column("retired_at", sa.Float, nullable=True),  # stopped signing
    sa.Column("expires_at", sa.Float, nullable=True),  # left the JWKS
)

login_sessions = sa.Table(
    "oauth_login_sessions",
    metadata,
    sa.Column("digest", sa.String(64), primary_key=True),
    sa.Column("user_id", sa.String(32), sa.ForeignKey("users.id"), nullable=False),
    sa.Column("auth_time", sa.Float, nullable=False),
    sa.Column("expires_at", sa.Float, nullable=False),
)

# A pending authorization request between GET /oauth/authorize and the consent POST.
transactions = sa.Table(
    "oauth_transactions",
    metadata,
    sa.Column("id", sa.String(43), primary_key=True),
    sa.Column("csrf_digest", sa.String(64), nullable=False),
    sa.Column("params", sa.Text, nullable=False),  # JSON: the validated request
    sa.Column("session_digest", sa.String(64), nullable=True),
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Column("expires_at", sa.Float, nullable=False),
    sa.Column("used_at", sa.Float, nullable=True),
)

consents = sa.Table(
    "oauth_consents",
    metadata,
    sa.Column(
        "user_id", sa.String(32), sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    ),
    sa.Column("client_id", sa.String(40), primary_key=True),
    sa.Column("scope", sa.Text, nullable=False),
    sa.Column("granted_at", sa.Float, nullable=False),
)
