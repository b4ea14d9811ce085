"""PostgreSQL through psycopg 3."""

from __future__ import annotations

from typing import Any

from connectors.base import Connector


class PostgreSQLConnector(Connector):
    dialect = "postgresql"
    url_schemes = ("postgresql", "postgresql+psycopg")
    supports_returning = True
    upsert_form = "on_conflict"
    supports_ilike = True
    supports_json_agg = True
    supports_identity = True
    supports_comments = True

    def engine_options(self) -> dict[str, Any]:
        options = super().engine_options()
        timeout = self.settings.statement_timeout_ms
        options["connect_args"] = {
            "connect_timeout": self.settings.connect_timeout_s,
            "options": f"-c statement_timeout={timeout}",
            "application_name": "fedgate",
        }
        return options
