"""OAuth 2.0 / OIDC: clients and their secrets, codes, refresh and access tokens, signing keys,
login sessions, consent transactions and remembered consents.

Revision ID: 0002_oauth
Revises: 0001
"""

from __future__ import annotations

from alembic import op

from gateway.auth.oauth import tables

revision = "0002_oauth"
down_revision = "0001"
branch_labels = None
depends_on = None

# Created from the Core definitions as they stand at this revision; a later
# change to a table gets its own revision with explicit operations.
TABLES = (
    tables.clients,
    tables.client_secrets,
    tables.codes,
    tables.refresh_tokens,
    tables.access_tokens,
    tables.signing_keys,
    tables.login_sessions,
    tables.transactions,
    tables.consents,
)


def upgrade() -> None:
    bind = op.get_bind()
    for table in TABLES:
        table.create(bind)


def downgrade() -> None:
    bind = op.get_bind()
    for table in reversed(TABLES):
        table.drop(bind)
