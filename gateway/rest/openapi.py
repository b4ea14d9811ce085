"""The OpenAPI 3.1 document of the REST surface, built from a catalog (pure, deterministic)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import metadata
from typing import Any
from urllib.parse import quote

from gateway.rest.grammar import PAGING, SINGLE
from gateway.rest.grammar_filters import LOGIC
from gateway.rest.openapi_schemas import (
    Schema,
    error_refs,
    error_responses,
    filter_parameter,
    headers,
    insert_required,
    insert_schema,
    patch_schema,
    pk_parameter,
    problem_schema,
    row_schema,
)
from gateway.rest.profiles import profile_header, profile_names, served_schemas
from schema_cache.model import Catalog, Relationship, Source, Table

READ_ERRORS = (400, 401, 403, 404, 406, 422, 429, 503, 504)
BODY_ERRORS = tuple(sorted({*READ_ERRORS, 409, 413, 415}))
DELETE_ERRORS = tuple(sorted({*READ_ERRORS, 409}))
JSON = "application/json"
OBJECT = "application/vnd.pgrst.object+json"
_RESERVED = {*SINGLE, *PAGING, *LOGIC}  # query parameters that cannot name a column
_ID_UNSAFE = re.compile(r"[^A-Za-z0-9_]+")
_KEY_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")  # components keys: ^[a-zA-Z0-9.\-_]+$


def build_openapi(catalog: Catalog, *, server_url: str | None = None) -> dict[str, Any]:
    """Every REST route of every table in `catalog`; equal catalogs give equal documents."""
    names = _Names()
    paths: dict[str, Schema] = {}
    schemas: dict[str, Schema] = {"Problem": problem_schema()}
    tags: list[Schema] = []
    for source in sorted(catalog.sources, key=lambda s: s.name):
        schemas_served = served_schemas(catalog, source.name)
        for table in sorted(source.tables, key=source.path_name):
            entry = _Entry(catalog, source, table, *names.claim(source, table), schemas_served)
            tags.append({"name": entry.label, "description": entry.describe()})
            schemas[entry.schema] = row_schema(source, table)
            if table.kind == "table":
                schemas[f"{entry.schema}.insert"] = insert_schema(source, table)
                schemas[f"{entry.schema}.patch"] = patch_schema(source, table)
            paths[entry.path] = _collection_item(entry)
            if table.primary_key:
                paths[f"{entry.path}/{{pk}}"] = _row_item(entry)
    document: dict[str, Any] = {"openapi": "3.1.0", "info": _info(catalog)}
    if server_url:
        document["servers"] = [{"url": server_url}]
    document["security"] = [{"bearer": []}, {"apiKey": []}]
    document["tags"] = tags
    document["paths"] = dict(sorted(paths.items()))
    document["components"] = {
        "schemas": dict(sorted(schemas.items())),
        "parameters": _shared_parameters(),
        "responses": error_responses(),
        "headers": headers(),
        "securitySchemes": {
            "bearer": {"type": "http", "scheme": "bearer", "description": "API key or token."},
            "apiKey": {"type": "apiKey", "in": "header", "name": "X-API-Key"},
        },
    }
    return document


def _info(catalog: Catalog) -> Schema:
    try:
        version = metadata.version("fedgate")
    except metadata.PackageNotFoundError:
        version = "0.0.0"
    return {
        "title": "fedgate",
        "version": version,
        "description": "REST API over the introspected sources (PostgREST grammar).",
        "x-source-versions": dict(sorted((s.name, s.version) for s in catalog.sources)),
    }


class _Names:
    """Unique operationId stems and schema names, claimed in (sorted) build order."""

    def __init__(self) -> None:
        self.taken: set[str] = set()

    def claim(self, source: Source, table: Table) -> tuple[str, str]:
        segment = source.path_name(table)
        stem = self._unique(_ID_UNSAFE.sub("_", f"{source.name}_{segment}"), ("", "_by_pk"))
        key = self._unique(_KEY_UNSAFE.sub("_", f"{source.name}.{segment}"), _SCHEMA_SUFFIXES)
        return stem, key

    def _unique(self, name: str, suffixes: tuple[str, ...]) -> str:
        candidate, n = name, 1
        while any(f"{candidate}{s}" in self.taken for s in suffixes):
            n += 1
            candidate = f"{name}_{n}"
        self.taken.update(f"{candidate}{s}" for s in suffixes)
        return candidate


_SCHEMA_SUFFIXES = ("", ".insert", ".patch")


@dataclass(frozen=True)
class _Entry:
    """One table and its names in the document."""

    catalog: Catalog
    source: Source
    table: Table
    stem: str  # operationId suffix
    schema: str  # components.schemas name of the row
    served: list[str]  # the source's schemas, for the profile headers

    @property
    def label(self) -> str:
        return f"{self.source.name}.{self.source.path_name(self.table)}"

    @property
    def path(self) -> str:
        segment = quote(self.source.path_name(self.table), safe="")
        return f"/rest/{quote(self.source.name, safe='')}/{segment}"

    def ref(self, suffix: str = "") -> Schema:
        return {"$ref": f"#/components/schemas/{self.schema}{suffix}"}

    def describe(self) -> str:
        kind = "View" if self.table.kind == "view" else "Table"
        text = f"{kind} `{self.source.path_name(self.table)}` of source `{self.source.name}`."
        return f"{text} {self.table.comment}" if self.table.comment else text

    def operation(
        self, verb: str, summary: str, text: str, params: list[Schema], scopes: tuple[str, ...]
    ) -> Schema:
        needed = " and ".join(f"`{self.label}:{scope}`" for scope in scopes)
        return {
            "tags": [self.label],
            "operationId": f"{verb}_{self.stem}",
            "summary": summary.format(self.label),
            "description": f"{text} Scope: {needed}.",
            "parameters": params,
        }

    def profile(self, method: str) -> Schema:
        """The optional profile header naming this table's schema (PostgREST clients send it)."""
        header = profile_header(method)
        names = profile_names(self.served, self.table.schema)
        text = (
            f"The table's schema, as PostgREST clients send it: "
            f"{' or '.join(f'`{n}`' for n in names)} (another schema: 406)."
        )
        schema = {"type": "string", "enum": names}
        return {"name": header, "in": "header", "description": text, "schema": schema}

    def embeds(self) -> str:
        items = [
            f"`{r.name}` ({'rows' if r.kind == 'array' else 'row'} of `{self._target(r)}`)"
            for r in sorted(self.table.relationships, key=lambda r: r.name)
        ]
        return f" Embeddable with `select`: {', '.join(items)}." if items else ""

    def _target(self, rel: Relationship) -> str:
        target = self.catalog.get_source(rel.target_source)
        default = target.default_schema if target else rel.target_schema
        name = rel.target_table
        if rel.target_schema != default:
            name = f"{rel.target_schema}.{name}"
        return f"{rel.target_source}.{name}"

    def filters(self) -> list[Schema]:
        columns = self.table.columns
        return [
            filter_parameter(c) for c in columns if c.name not in _RESERVED and "." not in c.name
        ]


_TEXT: Schema = {"type": "string"}
_SHARED: dict[str, tuple[str, str, str]] = {  # key -> (name, in, description)
    "select": ("select", "query", "Columns and embedded relationships: `id,name,orders(id,total)`, "
               "`*`, `alias:column`; filter, order and page embedded rows with "
               "`orders.total=gt.100`, `orders.order=id.desc`, `orders.limit=5`."),
    "returning": ("select", "query", "The columns to return with "
                  "`Prefer: return=representation` (no embedding)."),
    "order": ("order", "query", "`column.asc|desc[.nullsfirst|.nullslast]`, comma-separated."),
    "limit": ("limit", "query", "At most this many rows (capped by the source's page size)."),
    "offset": ("offset", "query", "Skip this many rows."),
    "or": ("or", "query", "Any of the conditions: `(a.eq.1,b.gt.2)`, nestable "
           "(`(a.eq.1,and(b.gt.2,c.is.null))`); `not.or` negates."),
    "and": ("and", "query", "All of the conditions: `(a.gte.1,a.lte.9)`; `not.and` negates."),
    "onConflict": ("on_conflict", "query", "The unique columns an upsert matches: `col,col` "
                   "(default: the primary key)."),
    "columns": ("columns", "query", "Insert only these keys of the body: `col,col`; other keys "
                "are ignored, a missing one is null (its default with `Prefer: missing=default`)."),
    "range": ("Range", "header", "Rows `first-last`, 0-based and inclusive: `0-24`."),
    "preferCount": ("Prefer", "header", "`count=exact` adds the total to `Content-Range`."),
    "preferWrite": ("Prefer", "header", "`return=representation` returns the rows written; "
                    "`return=minimal` (the default) nothing."),
    "preferInsert": ("Prefer", "header", "`return=representation|minimal`; "
                     "`resolution=merge-duplicates|ignore-duplicates` upserts on `on_conflict`; "
                     "`missing=default` gives keys missing from `columns` their defaults."),
}  # fmt: skip
_PAGE: Schema = {"type": "integer", "minimum": 0}


def _shared_parameters() -> dict[str, Schema]:
    """`components.parameters`: the grammar every table shares."""
    params: dict[str, Schema] = {}
    for key, (name, where, text) in _SHARED.items():
        schema = _PAGE if key in ("limit", "offset") else _TEXT
        params[key] = {"name": name, "in": where, "description": text, "schema": dict(schema)}
    params["range"]["schema"]["pattern"] = r"^(items=)?\d+-\d*$"
    return params


def _param(*keys: str) -> list[Schema]:
    return [{"$ref": f"#/components/parameters/{key}"} for key in keys]


def _response(text: str, content: Schema | None = None, *names: str) -> Schema:
    response: Schema = {"description": text}
    if names:
        response["headers"] = {n: {"$ref": f"#/components/headers/{n}"} for n in names}
    if content:
        response["content"] = content
    return response


def _rows(entry: _Entry) -> Schema:
    csv = {"type": "string", "description": "A header line, then one line per row."}
    ndjson = {"type": "string", "description": "One JSON object per line."}
    return {
        JSON: {"schema": {"type": "array", "items": entry.ref()}},
        "text/csv": {"schema": csv},
        "application/x-ndjson": {"schema": ndjson},
        OBJECT: {"schema": entry.ref()},
    }


def _body(schema: Schema) -> Schema:
    return {"required": True, "content": {JSON: {"schema": schema}}}


_HEADERS = ("Content-Range", "Preference-Applied")
_NEED_FILTER = "At least one filter is required (400 otherwise)."
_MINIMAL = "Done; no body (`Prefer: return=minimal`, the default)."
_WRITTEN = "The rows written (`Prefer: return=representation`)."
_LIST = (
    "Filter with one parameter per column, `or` and `and`; page with `limit`/`offset` or "
    "`Range`; `Prefer: count=exact` adds the total to `Content-Range`."
)
_INSERT = (
    "One object or an array of objects, in one transaction. Upsert with "
    "`Prefer: resolution=merge-duplicates|ignore-duplicates` and `on_conflict`."
)


def _collection_item(entry: _Entry) -> Schema:
    params = _param("select", "order", "limit", "offset", "preferCount", "range", "or", "and")
    text = _LIST + entry.embeds()
    get = entry.operation("list", "List rows of {}", text, params + entry.filters(), ("read",))
    get["parameters"].append(entry.profile("GET"))
    get["responses"] = {
        "200": _response("The rows.", _rows(entry), *_HEADERS),
        "206": _response("Part of the rows.", _rows(entry), *_HEADERS),
    } | error_refs(tuple(sorted({*READ_ERRORS, 416})))
    if entry.table.kind != "table":
        return {"get": get}
    params = _param("returning", "onConflict", "columns", "preferInsert")
    post = entry.operation("create", "Insert rows into {}", _INSERT, params, ("insert",))
    post["parameters"].append(entry.profile("POST"))
    many = {"type": "array", "items": entry.ref(".insert")}
    post["requestBody"] = _body({"oneOf": [entry.ref(".insert"), many]})
    # No `content`: with `return=minimal` (the default) a 201 has no body and no media
    # type, and one status cannot document a body that only some requests get.
    created = (
        "Created. With `Prefer: return=representation` the body is the rows written, in "
        "the media types and row schema of the list operation's `200`; with "
        "`return=minimal` (the default) no body."
    )
    post["responses"] = {"201": _response(created, None, *_HEADERS)}
    post["responses"] |= error_refs(BODY_ERRORS)
    item = {"get": get, "post": post}
    for verb, summary, text, body, errors in (
        ("update", "Update rows of {}", "Sets the given columns on every row matching the filters.",
         entry.ref(".patch"), BODY_ERRORS),
        ("delete", "Delete rows of {}", "Deletes every row matching the filters.", None,
         DELETE_ERRORS),
    ):  # fmt: skip
        params = _param("returning", "preferWrite", "or", "and") + entry.filters()
        operation = entry.operation(verb, summary, f"{text} {_NEED_FILTER}", params, (verb,))
        operation["parameters"].append(entry.profile(verb))
        if body is not None:
            operation["requestBody"] = _body(body)
        operation["responses"] = {
            "200": _response(_WRITTEN, _rows(entry), *_HEADERS),
            "204": _response(_MINIMAL, None, *_HEADERS),
        } | error_refs(errors)
        item["patch" if verb == "update" else verb] = operation
    return item


def _row_item(entry: _Entry) -> Schema:
    table = entry.table
    params = [pk_parameter(table), *_param("select")]
    text = f"404 when no row has this key.{entry.embeds()}"
    get = entry.operation("get", "Get one row of {} by primary key", text, params, ("read",))
    get["parameters"].append(entry.profile("GET"))
    get["responses"] = {"200": _response("The row.", _one(entry))} | error_refs(READ_ERRORS)
    item = {"get": get}
    required = [c for c in insert_required(table) if c not in table.primary_key]
    whole: Schema = {"allOf": [entry.ref(".patch")]} | ({"required": required} if required else {})
    operations = (
        ("patch", "update", "Update one row of {}", "Sets the given columns; 404 when no row has "
         "this key.", entry.ref(".patch"), BODY_ERRORS, ("update",)),
        ("put", "replace", "Insert or replace one row of {}", "The whole row; the key comes from "
         "the path.", whole, BODY_ERRORS, ("insert", "update")),
        ("delete", "delete", "Delete one row of {}", "404 when no row has this key.", None,
         DELETE_ERRORS, ("delete",)),
    ) if table.kind == "table" else ()  # fmt: skip
    for method, verb, summary, text, body, errors, scopes in operations:
        params = [pk_parameter(table), *_param("returning", "preferWrite")]
        operation = entry.operation(verb, summary, text, params, scopes)
        operation["parameters"].append(entry.profile(method))
        if body is not None:
            operation["requestBody"] = _body(body)
        written = _response("The row (`Prefer: return=representation`).", _one(entry))
        operation["responses"] = {"200": written, "204": _response(_MINIMAL)} | error_refs(errors)
        item[method] = operation
    for operation in item.values():
        operation["operationId"] += "_by_pk"
    return item


def _one(entry: _Entry) -> Schema:
    return {JSON: {"schema": entry.ref()}, OBJECT: {"schema": entry.ref()}}
