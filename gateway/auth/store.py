"""The metadata store: an engine on SQLite (default) or PostgreSQL, migrated to the head."""

from __future__ import annotations

import os
from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config

from config.settings import Settings

MIGRATIONS = Path(__file__).with_name("migrations")
STORE_FILE = "meta.sqlite"
_MIGRATION_LOCK = 0x66656467  # PostgreSQL advisory lock: one instance migrates at a time


def store_url(settings: Settings) -> str:
    """`auth.store_url`, else `meta.sqlite` next to the schema snapshot."""
    if settings.auth.store_url:
        return settings.auth.store_url
    folder = Path(settings.schema_cache.snapshot_path).parent
    return f"sqlite:///{folder / STORE_FILE}"


def create_store_engine(url: str) -> sa.Engine:
    """An engine for the store; a SQLite file's folder is created (mode 0700)."""
    parsed = sa.make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database:
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        engine = sa.create_engine(url, connect_args={"timeout": 30})
        if parsed.database and not Path(parsed.database).exists():
            with engine.connect():
                pass  # create the file, then keep it private: it holds digests and the audit log
            os.chmod(parsed.database, 0o600)
        return engine
    return sa.create_engine(url, pool_pre_ping=True, pool_size=5)


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def upgrade(engine: sa.Engine) -> str | None:
    """Migrate the store to the newest revision; returns it."""
    config = alembic_config()
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": _MIGRATION_LOCK})
        config.attributes["connection"] = conn
        command.upgrade(config, "head")
    return current_revision(engine)


def head_revision() -> str | None:
    """The newest migration shipped with this code."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def current_revision(engine: sa.Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()
