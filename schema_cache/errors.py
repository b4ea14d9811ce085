"""Errors of the schema cache."""

from __future__ import annotations

from config.errors import FedgateError


class SchemaCacheError(FedgateError):
    code = "schema_cache_error"


class SnapshotError(SchemaCacheError):
    """A persisted snapshot cannot be read; the gateway introspects instead."""

    code = "snapshot_unreadable"


class UnknownSourceError(SchemaCacheError):
    code = "unknown_source"
