"""MariaDB through PyMySQL (both `mariadb+pymysql://` and `mysql+pymysql://` URLs work)."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.sql import sqltypes

from connectors.mysql import MySQLConnector
from connectors.typemap import TypeInfo
from connectors.types import TypeFamily


class MariaDBConnector(MySQLConnector):
    dialect = "mariadb"
    url_schemes = ("mariadb+pymysql",)
    supports_returning = True  # INSERT/DELETE ... RETURNING since 10.5

    def type_info(self, type_: sqltypes.TypeEngine, dialect: sa.Dialect) -> TypeInfo:
        info = super().type_info(type_, dialect)
        if info.native_type.upper() == "UUID":
            return TypeInfo(TypeFamily.UUID, info.native_type)
        return info
