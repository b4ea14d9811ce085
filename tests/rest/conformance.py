"""The REST conformance harness: one list of requests, run in order on every dialect.

Each target (SQLite, DuckDB, PostgreSQL, MariaDB) gets the shared fixture
(`tests/connectors/compliance.py`) and a gateway in-process serving it as
source `fx`. Every case is one HTTP request; its `Record` (status, the
headers that matter and the exact body bytes) must be identical on every
target and equal to the golden file `tests/rest/snapshots/<case>.json`,
recorded from PostgreSQL (`FEDGATE_UPDATE_SNAPSHOTS=1`).

Paths are templates: `{inv}` is the REST prefix of the inventory schema
(`inventory.` on PostgreSQL and DuckDB, `<db>_inventory.` on MariaDB, nothing
on SQLite, which keeps those tables in its one schema). Real schema names in a
response are mapped back to their role (`inventory`) before comparing.

Writes run in sequence and leave the data as they found it (or run last);
identity columns always get explicit values, because a failed insert advances
PostgreSQL and MariaDB sequences but not SQLite's rowid.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
from starlette.applications import Starlette
from starlette.testclient import TestClient

from config.settings import AuthSettings, SchemaCacheSettings, Settings, SourceSettings
from gateway.app import create_app
from tests.connectors.compliance import TARGETS, Target, fixture_database

SNAPSHOTS = Path(__file__).parent / "snapshots"
REFERENCE = "postgresql"
# postgresql first: with FEDGATE_UPDATE_SNAPSHOTS=1 it records before the others compare.
TARGET_IDS = ("postgresql", "sqlite", "duckdb", "mariadb")
CONFORMANCE_TARGETS = tuple(
    next(t for t in TARGETS if t.id == target_id) for target_id in TARGET_IDS
)
RECORDED_HEADERS = ("content-type", "content-range", "preference-applied")
# Text that only a driver, SQLAlchemy or SQL would put into an error body (lower case).
DRIVER_TEXT = (
    "psycopg",
    "pymysql",
    "sqlite3",
    "_duckdb",
    "sqlalchemy",
    "traceback",
    "background on this error",
    "[sql:",
    " error: ",  # DuckDB: "Constraint Error: ...", "Binder Error: ..."
    "violates",  # PostgreSQL, DuckDB
    "constraint failed",  # SQLite
    "duplicate entry",  # MySQL, MariaDB
    "insert into",
    "delete from",
    " where ",
    "127.0.0.1",
)


@dataclass(frozen=True)
class Case:
    """One request: `path` is a template (see the module docstring), `body` is sent as JSON."""

    name: str
    method: str
    path: str
    headers: dict[str, str] = field(default_factory=dict)
    body: Any = None
    raw_body: bytes | None = None  # sent as is (with its own content-type header)


@dataclass(frozen=True)
class Record:
    status: int
    headers: dict[str, str]
    body: str

    def to_json(self) -> dict[str, Any]:
        return {"status": self.status, "headers": self.headers, "body": self.body}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Record:
        return cls(int(data["status"]), dict(data["headers"]), str(data["body"]))


@dataclass
class Served:
    """A gateway in-process over one target's fixture database."""

    target: Target
    client: TestClient
    inventory_prefix: str  # REST path prefix of the inventory tables
    roles: dict[str, str]  # real schema name -> role, for schema names that differ

    def path(self, template: str) -> str:
        return template.replace("{inv}", self.inventory_prefix)

    def request(self, case: Case) -> Record:
        headers = dict(case.headers)
        content: bytes | None = case.raw_body
        if content is None and case.body is not None:
            content = json.dumps(case.body).encode()
            headers.setdefault("Content-Type", "application/json")
        response = self.client.request(
            case.method, self.path(case.path), headers=headers, content=content
        )
        kept = {h: response.headers[h] for h in RECORDED_HEADERS if h in response.headers}
        return Record(response.status_code, kept, self.normalise(response.text))

    def normalise(self, text: str) -> str:
        """Real schema names (unique random database names on MariaDB) become their role."""
        for real in sorted(self.roles, key=len, reverse=True):
            text = text.replace(real, self.roles[real])
        return text


@contextmanager
def fixture_app(target: Target, tmp_path: Path) -> Iterator[tuple[Starlette, str, str]]:
    """A gateway serving a fresh fixture database of `target` as source `fx`.

    Yields (app, main schema, inventory schema); the app is not started (its
    schema cache is refreshed once the app runs, see `refresh`).
    """
    with fixture_database(target, tmp_path) as (url, main, inventory):
        schemas = (main,) if target.fixture == "sqlite" else (main, inventory)
        settings = Settings(
            sources=(SourceSettings(name="fx", url=url, schemas=schemas),),
            schema_cache=SchemaCacheSettings(
                snapshot_path=str(tmp_path / "snap.json"), ttl_seconds=0
            ),
            auth=AuthSettings(enabled=False),  # the REST grammar only; auth: tests/auth
        )
        yield create_app(settings, background_refresh=False), main, inventory


def refresh(app: Starlette, target: Target) -> None:
    report = app.state.runtime.cache.refresh()
    assert not report.failed, f"introspection of {target.id} failed"


@contextmanager
def serve(target: Target, tmp_path: Path) -> Iterator[Served]:
    """Load the fixture into a fresh database of `target` and serve it in-process."""
    with fixture_app(target, tmp_path) as (app, main, inventory), TestClient(app) as client:
        refresh(app, target)
        prefix = "" if inventory == main else f"{inventory}."  # SQLite: one schema
        roles = {} if inventory in ("inventory", main) else {inventory: "inventory"}
        yield Served(target, client, prefix, roles)


def run_all(served: Served, cases: list[Case]) -> dict[str, Record]:
    """Every case in order (writes depend on it), whatever subset a test run selects."""
    return {case.name: served.request(case) for case in cases}


def snapshot_path(case: Case) -> Path:
    return SNAPSHOTS / f"{case.name}.json"


def request_json(case: Case) -> dict[str, Any]:
    """The request as the golden file describes it (a stale golden file fails the test)."""
    return {
        "method": case.method,
        "path": case.path,
        **({"headers": case.headers} if case.headers else {}),
        **({"body": case.body} if case.body is not None else {}),
        **({"raw_body": case.raw_body.decode()} if case.raw_body is not None else {}),
    }


def read_snapshot(case: Case) -> tuple[dict[str, Any], Record]:
    """The golden file of `case`: (the request it was recorded for, the record)."""
    data = json.loads(snapshot_path(case).read_text(encoding="utf-8"))
    return data["request"], Record.from_json(data)


def write_snapshot(case: Case, record: Record) -> None:
    SNAPSHOTS.mkdir(exist_ok=True)
    data = {"request": request_json(case), **record.to_json()}
    text = json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    snapshot_path(case).write_text(text, encoding="utf-8")


def leaked_driver_text(record: Record) -> list[str]:
    """Driver or SQL fragments found in an error body (there must be none)."""
    if record.status < 400:
        return []
    lowered = record.body.lower()
    return [fragment for fragment in DRIVER_TEXT if fragment in lowered]


JSON_OBJECT = {"Accept": "application/vnd.pgrst.object+json"}
REPRESENTATION = {"Prefer": "return=representation"}


def get(name: str, path: str, **headers: str) -> Case:
    return Case(name, "GET", path, _headers(headers))


def _headers(headers: dict[str, str]) -> dict[str, str]:
    return {key.replace("_", "-"): value for key, value in headers.items()}


def write(name: str, method: str, path: str, body: Any = None, **headers: str) -> Case:
    return Case(name, method, path, _headers(headers), body)


CASES: list[Case] = [
    # --- reads: columns, aliases, formats
    get("list-all-columns", "/rest/fx/customers"),
    get("select-columns-aliases", "/rest/fx/orders?select=id,buyer:customer_id,amount:total"),
    get(
        "type-rendering",
        "/rest/fx/type_samples?select=id,c_integer,c_bigint,c_decimal,c_float,c_boolean,"
        "c_string,c_text,c_date,c_time,c_datetime,c_json,c_binary",
    ),
    get("decimal-scale", "/rest/fx/products?select=sku,price&order=price.desc"),
    # --- every operator, and not.
    get("op-eq", "/rest/fx/orders?select=id,status&status=eq.paid"),
    get("op-neq", "/rest/fx/orders?select=id,status&status=neq.paid"),
    get("op-gt", "/rest/fx/products?select=sku,price&price=gt.10"),
    get("op-gte", "/rest/fx/products?select=sku,price&price=gte.10.00"),
    get("op-lt-skips-null", "/rest/fx/orders?select=id,total&total=lt.50"),
    get("op-lte", "/rest/fx/orders?select=id,total&total=lte.50"),
    get("op-gt-datetime", "/rest/fx/orders?select=id,created_at&created_at=gt.2024-02-02T12:30:00"),
    get("op-like", "/rest/fx/customers?select=id,name&name=like.*Hopper"),
    get("op-like-case-sensitive", "/rest/fx/customers?select=id,name&name=like.*hopper"),
    get("op-ilike", "/rest/fx/customers?select=id,name&name=ilike.*LOVE*"),
    get("op-in", "/rest/fx/orders?select=id&id=in.(1,3,5)"),
    get("op-in-strings", '/rest/fx/products?select=sku&sku=in.("SKU-001",SKU-003)'),
    get("op-in-empty", "/rest/fx/orders?select=id&id=in.()"),
    get("op-is-null", "/rest/fx/orders?select=id,total&total=is.null"),
    get("op-not-is-null", "/rest/fx/orders?select=id&total=not.is.null"),
    get("op-is-true", "/rest/fx/type_samples?select=id,c_boolean&c_boolean=is.true"),
    get("op-is-false", "/rest/fx/type_samples?select=id,c_boolean&c_boolean=is.false"),
    get("op-not-is-false", "/rest/fx/type_samples?select=id,c_boolean&c_boolean=not.is.false"),
    get("op-not-is-true", "/rest/fx/type_samples?select=id,c_boolean&c_boolean=not.is.true"),
    get("op-eq-boolean", "/rest/fx/type_samples?select=id&c_boolean=eq.true"),
    get("op-not-eq", "/rest/fx/orders?select=id&status=not.eq.paid"),
    get("op-not-in", "/rest/fx/orders?select=id,status&status=not.in.(paid,cancelled)"),
    get("op-not-like", "/rest/fx/products?select=sku&name=not.like.G*"),
    get("filters-anded", "/rest/fx/orders?select=id&customer_id=eq.1&total=gte.20"),
    get("filters-same-column", "/rest/fx/orders?select=id&id=gt.1&id=lt.4"),
    # --- or / and nesting
    get("logic-or", "/rest/fx/orders?select=id&or=(status.eq.cancelled,total.is.null)"),
    get(
        "logic-or-and-nested",
        "/rest/fx/orders?select=id&or=(and(status.eq.paid,total.gt.20),id.eq.2)",
    ),
    get("logic-not-or", "/rest/fx/orders?select=id&not.or=(status.eq.paid,status.eq.new)"),
    get(
        "logic-and-not-in-or",
        "/rest/fx/orders?select=id&and=(customer_id.eq.1,or(total.is.null,total.gt.50))",
    ),
    get("logic-or-in-list", "/rest/fx/orders?select=id&or=(id.in.(1,2),status.eq.new)"),
    get(
        "logic-or-quoted",
        '/rest/fx/customers?select=id&or=(name.eq."Grace Hopper",email.like.ada*)',
    ),
    # --- ordering with nulls
    get("order-asc-default-nulls-last", "/rest/fx/orders?select=id,total&order=total.asc"),
    get("order-desc-default-nulls-first", "/rest/fx/orders?select=id,total&order=total.desc"),
    get("order-asc-nullsfirst", "/rest/fx/orders?select=id,total&order=total.asc.nullsfirst"),
    get("order-desc-nullslast", "/rest/fx/orders?select=id,total&order=total.desc.nullslast"),
    get(
        "order-datetime-nullsfirst",
        "/rest/fx/orders?select=id,created_at&order=created_at.desc.nullsfirst",
    ),
    get(
        "order-several-columns",
        "/rest/fx/employees?select=id,manager_id&order=manager_id.asc.nullsfirst,name.desc",
    ),
    get("order-text", "/rest/fx/products?select=name&order=name"),
    # --- pagination and counts
    get("limit-offset", "/rest/fx/orders?select=id&order=id&limit=2&offset=1"),
    get("limit-zero", "/rest/fx/orders?select=id&limit=0"),
    get("range-header", "/rest/fx/orders?select=id&order=id", Range="1-2"),
    get("range-header-open", "/rest/fx/orders?select=id&order=id", Range="3-"),
    get("count-exact", "/rest/fx/orders?select=id&limit=2", Prefer="count=exact"),
    get("count-exact-all", "/rest/fx/orders?select=id&status=eq.paid", Prefer="count=exact"),
    get("count-exact-range", "/rest/fx/orders?select=id", Prefer="count=exact", Range="2-3"),
    get("count-exact-empty", "/rest/fx/orders?select=id&id=gt.100", Prefer="count=exact"),
    get("count-exact-past-end", "/rest/fx/orders?select=id&offset=10", Prefer="count=exact"),
    # --- embedding
    get("embed-many-to-one", "/rest/fx/orders?select=id,customer(name)"),
    get("embed-many-to-one-alias", "/rest/fx/orders?select=id,buyer:customer(email)&id=eq.1"),
    get("embed-one-to-many", "/rest/fx/customers?select=name,orders(id,status)"),
    get(
        "embed-one-to-many-filter-order-limit",
        "/rest/fx/customers?select=name,orders(id,total)&orders.status=neq.cancelled"
        "&orders.order=total.desc.nullslast&orders.limit=2",
    ),
    get(
        "embed-one-to-many-offset",
        "/rest/fx/customers?select=id,orders(id)&orders.order=id&orders.offset=1&id=lt.3",
    ),
    get(
        "embed-three-levels",
        "/rest/fx/orders?select=id,order_items(line_no,qty,line_total,products(name,price))"
        "&id=in.(1,3)&order_items.order=line_no.desc",
    ),
    get("embed-self-manager", "/rest/fx/employees?select=name,manager(name)"),
    get("embed-self-reports", "/rest/fx/employees?select=name,employees(name)&id=eq.1"),
    get(
        "embed-inner",
        "/rest/fx/customers?select=name,orders!inner(id)&orders.status=eq.cancelled",
    ),
    get("embed-star", "/rest/fx/order_items?select=*,order(*)&order_id=eq.2"),
    get("embed-empty-children", "/rest/fx/customers?select=id,orders(id)&id=eq.3"),
    get(
        "embed-composite-key",
        "/rest/fx/{inv}stock_movements?select=id,delta,stock_items(qty,warehouse(name))",
    ),
    # --- rows by primary key
    get("pk-single", "/rest/fx/products/SKU-002"),
    get("pk-composite", "/rest/fx/order_items/1,1"),
    get("pk-composite-select", "/rest/fx/order_items/3,2?select=sku,products(name)"),
    get("pk-not-found", "/rest/fx/order_items/9,9"),
    get("pk-wrong-arity", "/rest/fx/order_items/1"),
    # --- inventory schema
    get("inventory-list", "/rest/fx/{inv}warehouses"),
    get(
        "inventory-embed",
        "/rest/fx/{inv}stock_items?select=sku,qty,warehouse(name)&order=warehouse_id,sku",
    ),
    get("inventory-pk", "/rest/fx/{inv}stock_items/2,SKU-003"),
    # --- media types
    get("csv", "/rest/fx/orders?select=id,status,total,created_at", Accept="text/csv"),
    get("ndjson", "/rest/fx/orders?select=id,total&id=lt.3", Accept="application/x-ndjson"),
    get("object", "/rest/fx/orders?select=id,total&id=eq.1", **JSON_OBJECT),
    get("object-many-rows", "/rest/fx/orders?select=id&id=lt.3", **JSON_OBJECT),
    get("object-no-rows", "/rest/fx/orders?select=id&id=eq.99", **JSON_OBJECT),
    get("object-by-pk", "/rest/fx/orders/2?select=id,customer(name)", **JSON_OBJECT),
    get("not-acceptable", "/rest/fx/orders?select=id", Accept="application/xml"),
    # --- errors
    get("error-unknown-column-select", "/rest/fx/orders?select=id,nope"),
    get("error-unknown-column-filter", "/rest/fx/orders?nope=eq.1"),
    get("error-unknown-column-order", "/rest/fx/orders?order=nope.desc"),
    get("error-unknown-embed", "/rest/fx/orders?select=id,nope(id)"),
    get("error-malformed-operator", "/rest/fx/orders?id=equals.1"),
    get("error-malformed-no-value", "/rest/fx/orders?id=eq"),
    get("error-malformed-in", "/rest/fx/orders?id=in.(1,2"),
    get("error-malformed-or", "/rest/fx/orders?or=(id.eq.1"),
    get("error-malformed-order", "/rest/fx/orders?order=id.sideways"),
    get("error-malformed-limit", "/rest/fx/orders?limit=-1"),
    get("error-malformed-range", "/rest/fx/orders", Range="5-1"),
    get("error-value-not-integer", "/rest/fx/orders?id=eq.abc"),
    get("error-value-not-decimal", "/rest/fx/orders?total=gt.lots"),
    get("error-value-not-datetime", "/rest/fx/orders?created_at=lt.yesterday"),
    get("error-value-in-list", "/rest/fx/orders?id=in.(1,two)"),
    get("error-unknown-table", "/rest/fx/nope"),
    get("error-unknown-source", "/rest/nope/orders"),
    write("error-patch-without-filter", "PATCH", "/rest/fx/orders", {"status": "x"}),
    write("error-delete-without-filter", "DELETE", "/rest/fx/orders"),
    # --- writes, in order; they leave the data as they found it
    write(
        "insert-one",
        "POST",
        "/rest/fx/products",
        {"sku": "SKU-900", "name": "Bolt, hex (M4)", "price": "0.1"},
        **REPRESENTATION,
    ),
    get(
        "in-quoted-commas-parentheses",
        '/rest/fx/products?select=sku,name&name=in.("Bolt, hex (M4)",Widget,"Gizmo (big)")',
    ),
    get("eq-value-with-parentheses", "/rest/fx/products?select=sku&name=eq.Bolt, hex (M4)"),
    write(
        "insert-minimal",
        "POST",
        "/rest/fx/products",
        {"sku": "SKU-901", "name": "Nut", "price": 0.05},
    ),
    write(
        "insert-many",
        "POST",
        "/rest/fx/customers?select=id,email,name,created_at",
        [
            {
                "id": 10,
                "email": "x1@example.com",
                "name": "X1",
                "created_at": "2024-03-01T10:00:00",
            },
            {
                "id": 11,
                "email": "x2@example.com",
                "name": "X2",
                "created_at": "2024-03-02T10:00:00",
            },
        ],
        **REPRESENTATION,
    ),
    write(
        "insert-many-all-or-nothing",
        "POST",
        "/rest/fx/customers",
        [
            {
                "id": 12,
                "email": "x3@example.com",
                "name": "X3",
                "created_at": "2024-03-03T10:00:00",
            },
            {
                "id": 13,
                "email": "ada@example.com",
                "name": "Dup",
                "created_at": "2024-03-03T10:00:00",
            },
        ],
        **REPRESENTATION,
    ),
    get("after-all-or-nothing", "/rest/fx/customers?select=id,email&id=gte.10"),
    write(
        "insert-value-not-fitting",
        "POST",
        "/rest/fx/products",
        {"sku": "SKU-903", "name": "Bad", "price": "cheap"},
    ),
    write(
        "insert-value-too-large",
        "POST",
        "/rest/fx/products",
        {"sku": "SKU-903", "name": "Bad", "price": "123456789"},
    ),
    write(
        "insert-unknown-column",
        "POST",
        "/rest/fx/products",
        {"sku": "SKU-903", "name": "Bad", "price": "1", "colour": "red"},
    ),
    write(
        "insert-generated-column",
        "POST",
        "/rest/fx/order_items",
        {"order_id": 5, "line_no": 2, "sku": "SKU-001", "qty": 1, "unit_price": 1, "line_total": 1},
    ),
    write(
        "insert-check-violation",
        "POST",
        "/rest/fx/products",
        {"sku": "SKU-903", "name": "Bad", "price": "-1"},
    ),
    write("insert-not-null-violation", "POST", "/rest/fx/products", {"sku": "SKU-903", "price": 1}),
    write(
        "insert-foreign-key-violation",
        "POST",
        "/rest/fx/orders",
        {"id": 60, "customer_id": 99, "status": "new"},
    ),
    Case(
        "insert-malformed-json",
        "POST",
        "/rest/fx/products",
        {"Content-Type": "application/json"},
        raw_body=b'{"sku": ',
    ),
    write(
        "upsert-merge",
        "POST",
        "/rest/fx/products?on_conflict=sku",
        [
            {"sku": "SKU-900", "name": "Bolt", "price": "0.20"},
            {"sku": "SKU-902", "name": "Washer", "price": "0.01"},
        ],
        Prefer="resolution=merge-duplicates, return=representation",
    ),
    write(
        "upsert-merge-unique-column",
        "POST",
        "/rest/fx/customers?on_conflict=email&select=id,email,name",
        {
            "id": 10,
            "email": "x1@example.com",
            "name": "X1 merged",
            "created_at": "2024-03-01T10:00:00",
        },
        Prefer="resolution=merge-duplicates,return=representation",
    ),
    write(
        "upsert-ignore",
        "POST",
        "/rest/fx/products?on_conflict=sku",
        {"sku": "SKU-901", "name": "Ignored", "price": "9.99"},
        Prefer="resolution=ignore-duplicates",
    ),
    write(
        "upsert-ignore-representation",
        "POST",
        "/rest/fx/products?on_conflict=sku",
        [
            {"sku": "SKU-901", "name": "Ignored", "price": "9.99"},
            {"sku": "SKU-903", "name": "Spring", "price": "0.30"},
        ],
        Prefer="resolution=ignore-duplicates,return=representation",
    ),
    get("after-upserts", "/rest/fx/products?select=sku,name,price&sku=like.SKU-9*"),
    write(
        "patch-filter-representation",
        "PATCH",
        "/rest/fx/products?sku=in.(SKU-900,SKU-901)&select=sku,price",
        {"price": "1.50"},
        **REPRESENTATION,
    ),
    write(
        "patch-filter-minimal",
        "PATCH",
        "/rest/fx/products?sku=eq.SKU-902",
        {"name": "Flat washer"},
    ),
    write("patch-no-match", "PATCH", "/rest/fx/products?sku=eq.NOPE", {"name": "x"}),
    write(
        "patch-value-not-fitting",
        "PATCH",
        "/rest/fx/products?sku=eq.SKU-902",
        {"price": "free"},
    ),
    write(
        "patch-by-pk-composite",
        "PATCH",
        "/rest/fx/order_items/1,2",
        {"qty": 3},
        **REPRESENTATION,
    ),
    write("patch-by-pk-restore", "PATCH", "/rest/fx/order_items/1,2", {"qty": 1}),
    write(
        "patch-by-pk-not-found",
        "PATCH",
        "/rest/fx/order_items/9,9",
        {"qty": 1},
        **REPRESENTATION,
    ),
    write(
        "put-by-pk-insert",
        "PUT",
        "/rest/fx/employees/5",
        {"name": "Eve", "manager_id": 2},
        **REPRESENTATION,
    ),
    write(
        "put-by-pk-replace",
        "PUT",
        "/rest/fx/employees/5",
        {"name": "Eve Adams", "manager_id": 1},
        **REPRESENTATION,
    ),
    get("after-put", "/rest/fx/employees?select=id,name,manager(name)&id=eq.5"),
    write("delete-by-pk", "DELETE", "/rest/fx/employees/5", **REPRESENTATION),
    write("delete-by-pk-not-found", "DELETE", "/rest/fx/employees/5"),
    write(
        "delete-filter-representation",
        "DELETE",
        "/rest/fx/products?sku=like.SKU-9*&select=sku,name",
        **REPRESENTATION,
    ),
    write("delete-filter-minimal", "DELETE", "/rest/fx/customers?id=gte.10"),
    write("delete-foreign-key-violation", "DELETE", "/rest/fx/customers?id=eq.1"),
    # --- the data is as the fixture left it
    get("final-products", "/rest/fx/products?order=sku"),
    get("final-customers", "/rest/fx/customers?select=id,email,name"),
    get("final-order-items", "/rest/fx/order_items?select=order_id,line_no,qty,line_total"),
    get("final-employees", "/rest/fx/employees"),
]


# --- the differences between dialects that are not fedgate's to remove ---------------------

Body = dict[str, Any]


@dataclass(frozen=True)
class Difference:
    """How the reference record of `cases` legitimately differs on `targets`."""

    targets: tuple[str, ...]
    cases: tuple[str, ...]
    what: str
    why: str
    apply: Callable[[Body], None]  # edits the reference's parsed JSON body


def _unnamed_constraint(body: Body) -> None:
    del body["constraint"]
    body["detail"] = f"{body['kind']} constraint violated"


def _constraint_named(name: str) -> Callable[[Body], None]:
    def apply(body: Body) -> None:
        body["constraint"] = name
        body["detail"] = f"{body['kind']} constraint '{name}' violated"

    return apply


def _tables_without_schema(body: Body) -> None:
    for error in body["errors"]:
        error["valid"] = sorted(name.removeprefix("inventory.") for name in error["valid"])


DIFFERENCES = (
    Difference(
        ("sqlite",),
        ("error-unknown-table",),
        "the inventory tables are listed without a schema",
        "SQLite has one schema per file: the fixture keeps those tables in main",
        _tables_without_schema,
    ),
    Difference(
        ("sqlite", "duckdb"),
        ("insert-foreign-key-violation", "delete-foreign-key-violation"),
        "a foreign key violation names no constraint",
        "the driver's message does not name it",
        _unnamed_constraint,
    ),
    Difference(
        ("duckdb",),
        ("insert-many-all-or-nothing", "insert-check-violation"),
        "unique and check violations name no constraint",
        "DuckDB's message does not name it (and it generates its own constraint names)",
        _unnamed_constraint,
    ),
    Difference(
        ("sqlite",),
        ("insert-many-all-or-nothing",),
        "a unique violation is named by its columns, `customers.email`",
        "that is how SQLite reports it",
        _constraint_named("customers.email"),
    ),
    Difference(
        ("sqlite", "duckdb"),
        ("insert-not-null-violation",),
        "a not-null violation is named `products.name` (PostgreSQL and MariaDB: `name`)",
        "that is how SQLite and DuckDB report it",
        _constraint_named("products.name"),
    ),
)


def expected_record(target_id: str, case: Case, reference: Record) -> Record:
    """The reference record with the differences that apply to this target and case."""
    found = [d for d in DIFFERENCES if target_id in d.targets and case.name in d.cases]
    if not found:
        return reference
    body = json.loads(reference.body)
    for difference in found:
        difference.apply(body)
    return Record(reference.status, reference.headers, orjson.dumps(body).decode())
