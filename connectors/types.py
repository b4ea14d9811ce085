"""The closed set of type families shared by every dialect."""

from __future__ import annotations

from enum import StrEnum


class TypeFamily(StrEnum):
    """What a column holds, independent of the database that stores it."""

    INTEGER = "integer"
    BIGINT = "bigint"
    DECIMAL = "decimal"
    FLOAT = "float"
    BOOLEAN = "boolean"
    STRING = "string"
    TEXT = "text"
    DATE = "date"
    TIME = "time"
    DATETIME = "datetime"
    DATETIME_TZ = "datetime_tz"
    INTERVAL = "interval"
    UUID = "uuid"
    JSON = "json"
    BINARY = "binary"
    ENUM = "enum"
    ARRAY = "array"
    OTHER = "other"
