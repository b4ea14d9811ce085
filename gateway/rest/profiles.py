"""`Accept-Profile` / `Content-Profile`: choose the schema of a table path, as PostgREST does.

A table outside the source's default schema is reached as `/rest/{source}/{schema}.{table}`;
PostgREST clients instead send the schema in a profile header: `Accept-Profile` on GET and
HEAD, `Content-Profile` on POST, PATCH, PUT and DELETE. The header must name a schema the
source serves (406 otherwise, listing them, like PostgREST's PGRST106); a path that names
its schema too must name the same one. PostgREST clients send `public` unless told
otherwise: on a source without a `public` schema (SQLite, DuckDB, MySQL/MariaDB, SQL Server,
Oracle) it means the source's default schema.
"""

from __future__ import annotations

from gateway.query.errors import QueryError
from gateway.query.ir import TableRef
from schema_cache.model import Catalog, Source

READ_METHODS = ("GET", "HEAD")
CLIENT_DEFAULT = "public"  # what PostgREST clients send when no schema was chosen


class UnknownProfileError(QueryError):
    code = "not_acceptable"


def profile_header(method: str) -> str:
    """The header that carries the schema for `method`."""
    return "Accept-Profile" if method.upper() in READ_METHODS else "Content-Profile"


def served_schemas(catalog: Catalog, source: str) -> list[str]:
    """The schemas a source serves: its default one, then those holding a table."""
    model = catalog.get_source(source)
    if model is None:
        return []
    # Keyed by the model object: a caller's view (gateway/auth/views.py) keeps the version
    # with fewer tables. The entry holds the model, so its id is not reused meanwhile.
    entry = _SERVED.get(id(model))
    if entry is None or entry[0] is not model:
        if len(_SERVED) >= _SERVED_MAX:
            _SERVED.clear()
        tables = sorted({t.schema for t in model.tables})
        entry = _SERVED[id(model)] = (model, list(dict.fromkeys([model.default_schema, *tables])))
    return entry[1]


_SERVED: dict[int, tuple[Source, list[str]]] = {}  # id(model) -> (model, its schemas)
_SERVED_MAX = 64


def profile_names(schemas: list[str], schema: str) -> list[str]:
    """The profile values that select `schema` among a source's `served_schemas`."""
    names = [schema]
    if schemas and schema == schemas[0] and CLIENT_DEFAULT not in schemas:
        names.append(CLIENT_DEFAULT)
    return names


def apply_profile(ref: TableRef, profile: str | None, header: str, catalog: Catalog) -> TableRef:
    """`ref` with the schema the profile header names (unchanged without the header).

    An unknown source is left for the binding step to report (404).
    """
    if profile is None:
        return ref
    schemas = served_schemas(catalog, ref.source)
    if not schemas:
        return ref
    schema = profile.strip()
    if schema == CLIENT_DEFAULT and schema not in schemas:
        schema = schemas[0]  # the source's default schema
    if schema not in schemas:
        raise UnknownProfileError(
            f"{header}: the schema must be one of {', '.join(schemas)}",
            errors=[
                {
                    "parameter": header,
                    "name": schema[:100],
                    "detail": "unknown schema",
                    "valid": schemas,
                }
            ],
        )
    if ref.schema is not None and ref.schema != schema:
        raise UnknownProfileError(
            f"the path names schema '{ref.schema}' but {header} names '{schema}'",
            errors=[{"parameter": header, "name": schema, "detail": "differs from the path"}],
        )
    return TableRef(ref.source, ref.table, schema)
