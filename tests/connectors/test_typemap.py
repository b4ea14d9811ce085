"""Every native type SQLAlchemy knows for each dialect maps to the family we chose.

For SQL Server and Oracle this is the compile-level verification (no server
runs here): a new SQLAlchemy type name fails the test until it is classified.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy.dialects import mssql, mysql, oracle, postgresql, sqlite
from sqlalchemy.sql import sqltypes

from config.settings import SourceSettings
from connectors.registry import BY_SCHEME
from connectors.types import TypeFamily as F

EXPECTED: dict[str, dict[str, F]] = {
    "postgresql+psycopg": {
        '"char"': F.TEXT, "_array": F.ARRAY, "bigint": F.BIGINT, "bit": F.OTHER,
        "bit varying": F.OTHER, "boolean": F.BOOLEAN, "bytea": F.BINARY, "character": F.TEXT,
        "character varying": F.TEXT, "cidr": F.OTHER, "citext": F.TEXT, "date": F.DATE,
        "datemultirange": F.OTHER, "daterange": F.OTHER, "double precision": F.FLOAT,
        "float": F.FLOAT, "hstore": F.OTHER, "inet": F.OTHER, "int4multirange": F.OTHER,
        "int4range": F.OTHER, "int8multirange": F.OTHER, "int8range": F.OTHER,
        "integer": F.INTEGER, "interval": F.INTERVAL, "json": F.JSON, "jsonb": F.JSON,
        "macaddr": F.OTHER, "macaddr8": F.OTHER, "money": F.DECIMAL, "name": F.TEXT,
        "numeric": F.DECIMAL, "nummultirange": F.OTHER, "numrange": F.OTHER, "oid": F.BIGINT,
        "real": F.FLOAT, "regclass": F.OTHER, "regconfig": F.OTHER, "smallint": F.INTEGER,
        "text": F.TEXT, "time": F.TIME, "time with time zone": F.TIME,
        "time without time zone": F.TIME, "timestamp": F.DATETIME,
        "timestamp with time zone": F.DATETIME_TZ, "timestamp without time zone": F.DATETIME,
        "tsmultirange": F.OTHER, "tsquery": F.OTHER, "tsrange": F.OTHER,
        "tstzmultirange": F.OTHER, "tstzrange": F.OTHER, "tsvector": F.OTHER, "uuid": F.UUID,
    },
    "mysql+pymysql": {
        "bigint": F.BIGINT, "binary": F.BINARY, "bit": F.BOOLEAN, "blob": F.BINARY,
        "boolean": F.BOOLEAN, "char": F.TEXT, "date": F.DATE, "datetime": F.DATETIME,
        "decimal": F.DECIMAL, "double": F.FLOAT, "enum": F.ENUM, "fixed": F.DECIMAL,
        "float": F.FLOAT, "int": F.INTEGER, "integer": F.INTEGER, "json": F.JSON,
        "longblob": F.BINARY, "longtext": F.TEXT, "mediumblob": F.BINARY, "mediumint": F.INTEGER,
        "mediumtext": F.TEXT, "nchar": F.TEXT, "numeric": F.DECIMAL, "nvarchar": F.TEXT,
        "set": F.OTHER, "smallint": F.INTEGER, "text": F.TEXT, "time": F.TIME,
        "timestamp": F.DATETIME_TZ, "tinyblob": F.BINARY, "tinyint": F.INTEGER,
        "tinytext": F.TEXT, "uuid": F.UUID, "varbinary": F.BINARY, "varchar": F.TEXT,
        "year": F.INTEGER,
    },
    "mssql+pymssql": {
        "bigint": F.BIGINT, "binary": F.BINARY, "bit": F.BOOLEAN, "char": F.TEXT, "date": F.DATE,
        "datetime": F.DATETIME, "datetime2": F.DATETIME, "datetimeoffset": F.DATETIME_TZ,
        "decimal": F.DECIMAL, "double precision": F.FLOAT, "float": F.FLOAT, "image": F.BINARY,
        "int": F.INTEGER, "money": F.DECIMAL, "nchar": F.TEXT, "ntext": F.TEXT,
        "numeric": F.DECIMAL, "nvarchar": F.TEXT, "real": F.FLOAT, "smalldatetime": F.DATETIME,
        "smallint": F.INTEGER, "smallmoney": F.DECIMAL, "sql_variant": F.OTHER, "text": F.TEXT,
        "time": F.TIME, "timestamp": F.BINARY, "tinyint": F.INTEGER, "uniqueidentifier": F.UUID,
        "varbinary": F.BINARY, "varchar": F.TEXT, "xml": F.TEXT,
    },
    "oracle+oracledb": {
        "BFILE": F.BINARY, "BINARY_DOUBLE": F.FLOAT, "BINARY_FLOAT": F.FLOAT, "BLOB": F.BINARY,
        "BOOLEAN": F.BOOLEAN, "CHAR": F.TEXT, "CLOB": F.TEXT, "DATE": F.DATETIME,
        "DOUBLE PRECISION": F.FLOAT, "FLOAT": F.FLOAT, "INTERVAL DAY TO SECOND": F.INTERVAL,
        "JSON": F.JSON, "LONG": F.TEXT, "NCHAR": F.TEXT, "NCLOB": F.TEXT, "NUMBER": F.DECIMAL,
        "NVARCHAR2": F.TEXT, "RAW": F.BINARY, "REAL": F.FLOAT, "ROWID": F.OTHER,
        "TIMESTAMP": F.DATETIME, "TIMESTAMP WITH LOCAL TIME ZONE": F.DATETIME_TZ,
        "TIMESTAMP WITH TIME ZONE": F.DATETIME_TZ, "VARCHAR2": F.TEXT, "VECTOR": F.ARRAY,
    },
    "sqlite": {
        "BIGINT": F.BIGINT, "BLOB": F.BINARY, "BOOL": F.BOOLEAN, "BOOLEAN": F.BOOLEAN,
        "CHAR": F.TEXT, "DATE": F.DATE, "DATETIME": F.DATETIME, "DATETIME_CHAR": F.DATETIME,
        "DATE_CHAR": F.DATE, "DECIMAL": F.DECIMAL, "DOUBLE": F.FLOAT, "FLOAT": F.FLOAT,
        "INT": F.INTEGER, "INTEGER": F.INTEGER, "JSON": F.JSON, "JSONB": F.JSON, "NCHAR": F.TEXT,
        "NUMERIC": F.DECIMAL, "NVARCHAR": F.TEXT, "REAL": F.FLOAT, "SMALLINT": F.INTEGER,
        "TEXT": F.TEXT, "TIME": F.TIME, "TIMESTAMP": F.DATETIME, "TIME_CHAR": F.TIME,
        "VARCHAR": F.TEXT,
    },
}  # fmt: skip
MODULES = {
    "postgresql+psycopg": postgresql,
    "mysql+pymysql": mysql,
    "mssql+pymssql": mssql,
    "oracle+oracledb": oracle,
    "sqlite": sqlite,
}


def instantiate(name: str, cls: type[sqltypes.TypeEngine]) -> sqltypes.TypeEngine:
    """Build the type as reflection would for this native name."""
    lowered = name.lower()
    if issubclass(cls, sqltypes.Enum):
        return cls("sad", "ok", name="mood")
    if issubclass(cls, sqltypes.ARRAY):
        return cls(sqltypes.Integer())
    if "local time zone" in lowered:
        return cls(local_timezone=True)  # type: ignore[call-arg]
    if "with time zone" in lowered and issubclass(cls, sqltypes.DateTime):
        return cls(timezone=True)  # type: ignore[call-arg]
    return cls()


def connector_for(scheme: str):  # type: ignore[no-untyped-def]
    return BY_SCHEME[scheme](SourceSettings(name="t", url=f"{scheme}://"))


@pytest.mark.parametrize("scheme", sorted(EXPECTED))
def test_every_native_type_has_its_family(scheme: str) -> None:
    module = MODULES[scheme]
    dialect = module.dialect()
    connector = connector_for(scheme)
    names = module.base.ischema_names
    assert sorted(names) == sorted(EXPECTED[scheme]), "classify new native types"
    got = {n: connector.type_info(instantiate(n, cls), dialect).family for n, cls in names.items()}
    assert got == EXPECTED[scheme]


@pytest.mark.parametrize(
    ("scheme", "type_", "family", "length", "precision", "scale"),
    [
        ("postgresql+psycopg", postgresql.VARCHAR(40), F.STRING, 40, None, None),
        ("postgresql+psycopg", postgresql.NUMERIC(12, 2), F.DECIMAL, None, 12, 2),
        ("mysql+pymysql", mysql.TINYINT(display_width=1), F.BOOLEAN, None, None, None),
        ("mysql+pymysql", mysql.TINYINT(display_width=4), F.INTEGER, None, None, None),
        ("mysql+pymysql", mysql.VARCHAR(length=80), F.STRING, 80, None, None),
        ("mssql+pymssql", mssql.NVARCHAR(40), F.STRING, 40, None, None),
        ("mssql+pymssql", mssql.NVARCHAR(), F.TEXT, None, None, None),
        ("oracle+oracledb", oracle.NUMBER(5, 0), F.INTEGER, None, None, None),
        ("oracle+oracledb", oracle.NUMBER(12, 0), F.BIGINT, None, None, None),
        ("oracle+oracledb", oracle.NUMBER(30, 0), F.DECIMAL, None, 30, 0),
        ("oracle+oracledb", oracle.NUMBER(12, 2), F.DECIMAL, None, 12, 2),
        ("oracle+oracledb", oracle.VARCHAR2(40), F.STRING, 40, None, None),
        ("oracle+oracledb", oracle.RAW(16), F.BINARY, 16, None, None),
    ],
)
def test_sized_types_keep_their_size(
    scheme: str,
    type_: sqltypes.TypeEngine,
    family: F,
    length: int | None,
    precision: int | None,
    scale: int | None,
) -> None:
    info = connector_for(scheme).type_info(type_, MODULES[scheme].dialect())
    assert (info.family, info.length, info.precision, info.scale) == (
        family,
        length,
        precision,
        scale,
    )


@pytest.mark.parametrize("scheme", ["mssql+pymssql", "oracle+oracledb"])
def test_reflection_setup_builds_without_a_server(scheme: str) -> None:
    """The engine, its dialect and the batch reflection entry points exist (no connection)."""
    connector = connector_for(scheme)
    url = {
        "mssql+pymssql": "mssql+pymssql://u:p@127.0.0.1:1/db",
        "oracle+oracledb": "oracle+oracledb://u:p@127.0.0.1:1/?service_name=x",
    }[scheme]
    engine = sa.create_engine(url, **connector.engine_options())
    try:
        for method in (
            "get_multi_columns",
            "get_multi_pk_constraint",
            "get_multi_foreign_keys",
            "get_multi_indexes",
            "get_multi_table_comment",
        ):
            assert callable(getattr(engine.dialect, method))
    finally:
        engine.dispose()
