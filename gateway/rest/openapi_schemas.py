"""JSON Schemas (2020-12) of rows and request bodies, as `render.py` and `coerce.py` treat values.

Pure functions of the model. Row schemas describe what responses hold; insert
and patch schemas describe what request bodies may hold.
"""

from __future__ import annotations

import copy
from typing import Any

from connectors.types import TypeFamily
from gateway.errors import PROBLEM_JSON
from gateway.query.coerce import INT32, INT64
from schema_cache.model import Column, Source, Table

Schema = dict[str, Any]

_INTEGERS: dict[TypeFamily, tuple[str, tuple[int, int]]] = {
    TypeFamily.INTEGER: ("int32", INT32),
    TypeFamily.BIGINT: ("int64", INT64),
}
_DECIMAL_INPUT = r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$"
# Fixed schemas per family; `format` only where the rendered text really is that format
# (a naive datetime or time has no offset, so it is not RFC 3339 `date-time`/`time`).
_SIMPLE: dict[TypeFamily, Schema] = {
    TypeFamily.FLOAT: {"type": "number"},
    TypeFamily.BOOLEAN: {"type": "boolean"},
    TypeFamily.DATE: {"type": "string", "format": "date"},
    TypeFamily.TIME: {
        "type": "string",
        "description": "Time of day without a time zone (ISO 8601 HH:MM:SS[.ffffff]).",
        "examples": ["13:45:00"],
    },
    TypeFamily.DATETIME: {
        "type": "string",
        "description": "Date and time without a time zone (ISO 8601).",
        "examples": ["2024-05-01T13:45:00"],
    },
    TypeFamily.DATETIME_TZ: {
        "type": "string",
        "format": "date-time",
        "description": "Date and time with an offset; responses give UTC.",
    },
    TypeFamily.INTERVAL: {
        "type": "string",
        "format": "duration",
        "description": "ISO 8601 duration such as P1DT2H30M.",
    },
    TypeFamily.UUID: {"type": "string", "format": "uuid"},
    TypeFamily.JSON: {"description": "Any JSON value."},
    TypeFamily.BINARY: {
        "type": "string",
        "contentEncoding": "base64",
        "contentMediaType": "application/octet-stream",
    },
    TypeFamily.OTHER: {
        "type": ["string", "number", "boolean"],
        "description": "A database-specific type, given as text where it is not a JSON scalar.",
    },
}


def value_schema(
    family: TypeFamily, column: Column, *, for_input: bool = False, item: bool = False
) -> Schema:
    """The schema of one non-null value of `family` (an array item when `item`)."""
    if family in _INTEGERS:
        fmt, (low, high) = _INTEGERS[family]
        # `examples` keeps generated sample bodies from showing the minimum
        return {"type": "integer", "format": fmt, "minimum": low, "maximum": high, "examples": [1]}
    if family is TypeFamily.DECIMAL:
        return _decimal_schema(column, for_input=for_input, item=item)
    if family in (TypeFamily.STRING, TypeFamily.TEXT, TypeFamily.ENUM):
        schema: Schema = {"type": "string"}
        if column.length is not None and not item:
            schema["maxLength"] = column.length
        if column.enum_values and not item:
            schema["enum"] = list(column.enum_values)
        return schema
    if family is TypeFamily.ARRAY and not item:
        inner = value_schema(
            column.item_family or TypeFamily.OTHER, column, for_input=for_input, item=True
        )
        return {"type": "array", "items": nullable(inner)}
    return copy.deepcopy(_SIMPLE.get(family, _SIMPLE[TypeFamily.OTHER]))


def _decimal_schema(column: Column, *, for_input: bool, item: bool) -> Schema:
    if item:  # array items render through str(): no precision, maybe an exponent
        return {"type": "string", "description": "Exact decimal as a string."}
    precision, scale = column.precision, column.scale
    if for_input:
        text = "Exact decimal, best sent as a string (a JSON number may lose digits)."
        schema: Schema = {"type": ["string", "number"], "pattern": _DECIMAL_INPUT}
    else:
        text = "Exact decimal as a string."
        schema = {"type": "string", "pattern": _decimal_output_pattern(scale)}
    if precision is not None and scale is not None:
        text += (
            f" {precision} digits, {scale} after the point (at most {precision - scale} before it)."
        )
    schema["description"] = text
    return schema


def _decimal_output_pattern(scale: int | None) -> str:
    if scale is None or scale < 0:
        return r"^-?\d+(\.\d+)?$"
    return r"^-?\d+$" if scale == 0 else rf"^-?\d+\.\d{{{scale}}}$"


def nullable(schema: Schema) -> Schema:
    """`schema` that also admits null (`type: [X, "null"]`, and null in an `enum`)."""
    kind = schema.get("type")
    if kind is None:  # no type: already admits null
        return schema
    kinds = kind if isinstance(kind, list) else [kind]
    result = {**schema, "type": [*kinds, "null"]}
    if "enum" in schema:
        result["enum"] = [*schema["enum"], None]
    return result


def column_schema(
    source: Source, table: Table, column: Column, *, for_input: bool = False
) -> Schema:
    """The schema of a column's values, with its notes (key, reference, default) described."""
    schema = value_schema(column.family, column, for_input=for_input)
    if column.nullable:
        schema = nullable(schema)
    notes = [n for n in (column.comment, schema.pop("description", None)) if n]
    notes.extend(column_notes(source, table, column))
    if notes:
        schema["description"] = " ".join(notes)
    if column.generated and not for_input:
        schema["readOnly"] = True
    return schema


def column_notes(source: Source, table: Table, column: Column) -> list[str]:
    notes = []
    if column.name in table.primary_key:
        notes.append("Primary key.")
    for fk in table.foreign_keys:
        if column.name in fk.columns:
            target = fk.target_columns[fk.columns.index(column.name)]
            owner = fk.target_table
            if fk.target_schema != source.default_schema:
                owner = f"{fk.target_schema}.{owner}"
            notes.append(f"References {owner}.{target}.")
    if column.generated:
        notes.append("Generated by the database (read-only).")
    elif column.autoincrement:
        notes.append("Assigned by the database when omitted.")
    elif column.default is not None:
        notes.append(f"Default: `{column.default}`.")
    return notes


def row_schema(source: Source, table: Table) -> Schema:
    """A row as responses give it; `select` may leave columns out or add embedded rows."""
    kind = "view" if table.kind == "view" else "table"
    text = f"A row of the {kind} `{source.path_name(table)}` of source `{source.name}`."
    return {
        "type": "object",
        "description": f"{table.comment} {text}" if table.comment else text,
        "properties": {c.name: column_schema(source, table, c) for c in table.columns},
    }


def writable_columns(table: Table) -> tuple[Column, ...]:
    return tuple(c for c in table.columns if not c.generated)


def insert_required(table: Table) -> list[str]:
    """Columns an insert must give: not nullable, and nothing fills them in."""
    return [c.name for c in writable_columns(table) if not c.nullable and not c.has_default]


def insert_schema(source: Source, table: Table) -> Schema:
    schema = _body_schema(source, table, "A row to insert")
    required = insert_required(table)
    if required:
        schema["required"] = required
    return schema


def patch_schema(source: Source, table: Table) -> Schema:
    return _body_schema(source, table, "Column values to change")


def _body_schema(source: Source, table: Table, what: str) -> Schema:
    return {
        "type": "object",
        "description": f"{what} in `{source.path_name(table)}` of source `{source.name}`.",
        "properties": {
            c.name: column_schema(source, table, c, for_input=True) for c in writable_columns(table)
        },
        "additionalProperties": False,
    }


_EXAMPLES: dict[TypeFamily, str] = {
    TypeFamily.INTEGER: "eq.42",
    TypeFamily.BIGINT: "in.(1,2,3)",
    TypeFamily.DECIMAL: "gte.10.50",
    TypeFamily.FLOAT: "lt.1.5",
    TypeFamily.BOOLEAN: "is.true",
    TypeFamily.STRING: "ilike.*abc*",
    TypeFamily.TEXT: "ilike.*abc*",
    TypeFamily.DATE: "gte.2024-01-31",
    TypeFamily.TIME: "lt.12:00:00",
    TypeFamily.DATETIME: "gte.2024-01-31T08:00:00",
    TypeFamily.DATETIME_TZ: "gte.2024-01-31T08:00:00Z",
    TypeFamily.INTERVAL: "gt.PT1H",
    TypeFamily.UUID: "eq.7d444840-9dc0-11d1-b245-5ffdce74fad2",
}
_OPERATORS = (
    "`op.value`, op one of eq, neq, gt, gte, lt, lte, like, ilike (`*` is the wildcard), "
    "`in.(a,b)`, `is.null|true|false`; `not.` negates; repeat to AND."
)


def filter_parameter(column: Column) -> Schema:
    """The query parameter filtering on `column` (`name=op.value`)."""
    example = f"eq.{column.enum_values[0]}" if column.enum_values else None
    example = example or _EXAMPLES.get(column.family, "is.null")
    text = f"Filter on `{column.name}` ({column.family}): {_OPERATORS}"
    return {
        "name": column.name,
        "in": "query",
        "description": f"{text} Example: `{column.name}={example}`.",
        "schema": {"type": "string"},
    }


def pk_parameter(table: Table) -> Schema:
    """The `{pk}` path parameter: the key values in key order."""
    key = ",".join(table.primary_key)
    text = f"The value of `{key}`."
    if len(table.primary_key) > 1:
        text = f"The values of `{key}`, comma-separated in this order (quote one holding a comma)."
    return {
        "name": "pk",
        "in": "path",
        "required": True,
        "description": text,
        "schema": {"type": "string"},
    }


def problem_schema() -> Schema:
    """RFC 9457 problem details as `gateway/errors.py` writes them."""
    text = {"type": "string"}
    return {
        "type": "object",
        "description": "An error; `code` is stable and shared with GraphQL.",
        "properties": {
            "type": {"type": "string", "format": "uri", "examples": ["urn:fedgate:problem:x"]},
            "title": text,
            "status": {"type": "integer", "minimum": 400, "maximum": 599, "examples": [400]},
            "detail": text,
            "code": {"type": "string", "examples": ["unknown_column"]},
            "errors": {
                "type": "array",
                "description": "One item per offending parameter or column.",
                "items": {"type": "object", "properties": {"parameter": text, "detail": text}},
            },
            "constraint": {"type": "string", "description": "The violated constraint (409)."},
            "source": {"type": "string", "description": "The source concerned (503)."},
        },
        "required": ["type", "title", "status", "detail", "code"],
    }


def headers() -> dict[str, Schema]:
    """`components.headers`."""
    text = {"type": "string"}
    return {
        "Content-Range": {"description": "Rows shown / total: `0-24/3573`, `*/0`.", "schema": text},
        "Preference-Applied": {"description": "The `Prefer` values honoured.", "schema": text},
        "Retry-After": {"description": "Seconds to wait.", "schema": {"type": "integer"}},
        "WWW-Authenticate": {"description": "How to authenticate.", "schema": text},
    }


# status -> (component name, description)
ERRORS: dict[int, tuple[str, str]] = {
    400: ("BadRequest", "Bad syntax, an unknown column (valid ones named) or no filter."),
    401: ("Unauthorized", "No credentials, or bad ones."),
    403: ("Forbidden", "A scope is missing (it is named)."),
    404: ("NotFound", "Unknown source, table or row."),
    406: ("NotAcceptable", "No served media type, or not one row for the object form."),
    409: ("Conflict", "A constraint was violated (it is named)."),
    413: ("ContentTooLarge", "The body is too large."),
    415: ("UnsupportedMediaType", "The body is not application/json."),
    416: ("RangeNotSatisfiable", "With `Prefer: count=exact`: the offset is past the last row."),
    422: ("UnprocessableContent", "A value does not fit its column's type."),
    429: ("TooManyRequests", "Rate limited."),
    503: ("ServiceUnavailable", "The source is unavailable, or no schema is loaded yet."),
    504: ("GatewayTimeout", "The statement timed out."),
}
_ERROR_HEADERS = {401: "WWW-Authenticate", 416: "Content-Range", 503: "Retry-After"}


def error_responses() -> dict[str, Schema]:
    """`components.responses`: one problem+json response per error status."""
    responses: dict[str, Schema] = {}
    for status, (name, description) in ERRORS.items():
        problem = {"schema": {"$ref": "#/components/schemas/Problem"}}
        response: Schema = {"description": description, "content": {PROBLEM_JSON: problem}}
        if status in _ERROR_HEADERS:
            header = _ERROR_HEADERS[status]
            response["headers"] = {header: {"$ref": f"#/components/headers/{header}"}}
        responses[name] = response
    return responses


def error_refs(statuses: tuple[int, ...]) -> dict[str, Schema]:
    return {str(s): {"$ref": f"#/components/responses/{ERRORS[s][0]}"} for s in statuses}
