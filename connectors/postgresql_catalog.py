"""What PostgreSQL's pg_catalog says about a source, in four queries.

One query per object kind (relations, columns, constraints, indexes) for every
requested schema at once, whatever the number of tables; each query's select
list is its row type's fields, so rows are read by name at tuple speed.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from operator import itemgetter
from typing import TYPE_CHECKING, Any, NamedTuple, TypeVar

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY, OID
from sqlalchemy.dialects.postgresql import pg_catalog as cat
from sqlalchemy.engine import Connection, Row

from config.settings import SourceSettings
from connectors.filters import is_included

if TYPE_CHECKING:
    from connectors.base import Progress

RELKINDS = ("r", "p", "v")  # tables, partitioned tables, views (what the Inspector lists)
CONSTRAINT_KINDS = ("p", "u", "f", "c")
_AS_IS = sa.types.NullType()  # psycopg already returns lists and ints: skip SQLAlchemy's processing
RowT = TypeVar("RowT", bound=tuple[Any, ...])
R = TypeVar("R", bound=Sequence[Any])


class RelationRow(NamedTuple):
    oid: int
    schema: str
    name: str
    relkind: str
    comment: str | None


class ColumnRow(NamedTuple):
    """The shape of a column row (kept as a SQLAlchemy row: 40,000 tuples cost a GC pass)."""

    relid: int
    attnum: int
    name: str
    format_type: str | None
    not_null: bool
    default: str | None
    identity: bool
    generated: bool
    comment: str | None
    domain_not_null: bool
    domain_default: str | None
    elem_typtype: str  # typtype of an array's element, else of the type ("e" enum, "d" domain)
    enum_labels: list[str] | None
    collation: str | None  # when it differs from the type's
    collation_schema: str | None  # when the collation is not on the search path


class ConstraintRow(NamedTuple):
    relid: int
    name: str
    contype: str
    attnums: list[int]
    ref_relid: int
    ref_attnums: list[int] | None
    ref_schema: str | None
    ref_table: str | None
    ref_names: list[str] | None  # only for a referred table that is not reflected
    definition: str | None  # only for CHECK


class IndexRow(NamedTuple):
    relid: int
    name: str
    unique: bool
    key_count: int  # INCLUDE columns follow the key columns
    backs_constraint: bool
    attnums: list[int]  # 0 for an expression


def _select(row_type: type[tuple[Any, ...]], *columns: Any) -> sa.Select[Any]:
    fields: tuple[str, ...] = row_type._fields  # type: ignore[attr-defined]
    return sa.select(*(c.label(f) for f, c in zip(fields, columns, strict=True)))


def _char(value: str) -> sa.ColumnElement[Any]:
    # An untyped literal, so a "char" column keeps its statistics: a text parameter would make
    # PostgreSQL compare it as text, guess few relations, and choose nested loops over every column.
    return sa.literal(value, literal_execute=True)


def _char_in(column: Any, values: tuple[str, ...]) -> sa.ColumnElement[bool]:
    return sa.or_(*(column == _char(v) for v in values))


def _comment_of(objoid: Any, objsubid: Any) -> Any:
    d = cat.pg_description
    return sa.and_(
        d.c.objoid == objoid,
        d.c.objsubid == objsubid,
        d.c.classoid == sa.cast("pg_catalog.pg_class", cat.REGCLASS),
    )


def _relation_filter(c: Any, n: Any) -> tuple[sa.ColumnElement[bool], ...]:
    return (
        n.c.nspname.in_(sa.bindparam("schemas", expanding=True)),
        _char_in(c.c.relkind, RELKINDS),
        c.c.relpersistence != _char("t"),
    )


def _in_scope(relid: Any, by_oid: bool) -> sa.ColumnElement[bool]:
    """`relid` is reflected: one of the `oids` when some are left out, else of the `schemas`."""
    if by_oid:
        return relid == sa.any_(sa.cast(sa.bindparam("oids"), ARRAY(OID)))
    c, n = cat.pg_class.alias("scope"), cat.pg_namespace.alias("scope_ns")
    relations = sa.select(c.c.oid).join(n, n.c.oid == c.c.relnamespace)
    return relid.in_(relations.where(*_relation_filter(c, n)))


def relations_query() -> sa.Select[Any]:
    c, n, d = cat.pg_class, cat.pg_namespace, cat.pg_description
    return (
        _select(RelationRow, c.c.oid, n.c.nspname, c.c.relname, c.c.relkind, d.c.description)
        .join(n, n.c.oid == c.c.relnamespace)
        .outerjoin(d, _comment_of(c.c.oid, 0))
        .where(*_relation_filter(c, n))
        .order_by(n.c.nspname, c.c.relname)
    )


def columns_query(by_oid: bool) -> sa.Select[Any]:
    a, t, elem = cat.pg_attribute, cat.pg_type, cat.pg_type.alias("elem")
    ad, d, coll, coll_ns = cat.pg_attrdef, cat.pg_description, cat.pg_collation, cat.pg_namespace
    # Correlated, and only where needed: joining pg_attrdef hashes every default's node tree.
    # Deparsed without the relation (0): a default cannot refer to columns, and naming the
    # relation makes pg_get_expr open and lock it, once per default (6x slower at 2,000
    # tables). A generated column's expression does refer to columns; it is no default.
    default = sa.select(cat.pg_get_expr(ad.c.adbin, sa.literal(0, OID))).where(
        ad.c.adrelid == a.c.attrelid, ad.c.adnum == a.c.attnum
    )
    labels = (
        sa.select(sa.cast(cat.pg_enum.c.enumlabel, sa.Text))
        .where(cat.pg_enum.c.enumtypid == elem.c.oid)
        .order_by(cat.pg_enum.c.enumsortorder)
    )
    return (
        _select(
            ColumnRow,
            a.c.attrelid,
            a.c.attnum,
            a.c.attname,
            cat.format_type(a.c.atttypid, a.c.atttypmod),
            a.c.attnotnull,
            sa.case(
                (sa.and_(a.c.atthasdef, a.c.attgenerated == _char("")), default.scalar_subquery())
            ),
            a.c.attidentity != _char(""),
            a.c.attgenerated != _char(""),
            d.c.description,
            t.c.typnotnull,
            t.c.typdefault,
            elem.c.typtype,
            sa.case((elem.c.typtype == _char("e"), sa.func.array(labels.scalar_subquery()))),
            coll.c.collname,
            sa.case((cat.pg_collation_is_visible(coll.c.oid), sa.null()), else_=coll_ns.c.nspname),
        )
        .join(t, t.c.oid == a.c.atttypid)
        .join(
            elem, elem.c.oid == sa.case((t.c.typcategory == _char("A"), t.c.typelem), else_=t.c.oid)
        )
        .outerjoin(d, _comment_of(a.c.attrelid, a.c.attnum))
        .outerjoin(
            coll,
            sa.and_(
                coll.c.oid == a.c.attcollation,
                a.c.attcollation != 0,
                a.c.attcollation != t.c.typcollation,
            ),
        )
        .outerjoin(coll_ns, coll_ns.c.oid == coll.c.collnamespace)
        # No ORDER BY: sorting 40,000 wide rows spills to disk; each table's rows are sorted after.
        .where(_in_scope(a.c.attrelid, by_oid), a.c.attnum > 0, ~a.c.attisdropped)
    )


def _names_of(attnums: Any, relid: Any) -> sa.ColumnElement[Any]:
    """ARRAY(names of the columns `attnums` of `relid`, in order), computed on the server."""
    a = cat.pg_attribute.alias("att")
    k = sa.func.unnest(attnums).table_valued("attnum", with_ordinality="ord").render_derived("k")
    names = (
        sa.select(sa.cast(a.c.attname, sa.Text))
        .select_from(k.join(a, sa.and_(a.c.attrelid == relid, a.c.attnum == k.c.attnum)))
        .order_by(k.c.ord)
    )
    return sa.func.array(names.scalar_subquery())


def constraints_query(by_oid: bool) -> sa.Select[Any]:
    con, ref, ref_ns = cat.pg_constraint, cat.pg_class.alias("ref"), cat.pg_namespace.alias("rns")
    # Column numbers are named from the column rows, except those of a referred table that is
    # not reflected (another schema, an excluded table): naming every one here is much slower.
    outside = sa.and_(con.c.contype == _char("f"), sa.not_(_in_scope(con.c.confrelid, by_oid)))
    return (
        _select(
            ConstraintRow,
            con.c.conrelid,
            con.c.conname,
            con.c.contype,
            sa.type_coerce(con.c.conkey, _AS_IS),
            con.c.confrelid,
            sa.type_coerce(con.c.confkey, _AS_IS),
            ref_ns.c.nspname,
            ref.c.relname,
            sa.case((outside, _names_of(con.c.confkey, con.c.confrelid))),
            sa.case((con.c.contype == _char("c"), cat.pg_get_constraintdef(con.c.oid, True))),
        )
        .outerjoin(ref, ref.c.oid == con.c.confrelid)
        .outerjoin(ref_ns, ref_ns.c.oid == ref.c.relnamespace)
        .where(_in_scope(con.c.conrelid, by_oid), _char_in(con.c.contype, CONSTRAINT_KINDS))
        .order_by(con.c.conrelid, con.c.conname)
    )


def indexes_query(by_oid: bool) -> sa.Select[Any]:
    i, ic, con = cat.pg_index, cat.pg_class, cat.pg_constraint
    backs_constraint = sa.exists().where(
        con.c.conrelid == i.c.indrelid,
        con.c.conindid == i.c.indexrelid,
        _char_in(con.c.contype, ("p", "u", "x")),
    )
    return (
        _select(
            IndexRow,
            i.c.indrelid,
            ic.c.relname,
            i.c.indisunique,
            i.c.indnkeyatts,
            backs_constraint,
            sa.type_coerce(sa.cast(i.c.indkey, ARRAY(sa.SmallInteger)), _AS_IS),
        )
        .join(ic, ic.c.oid == i.c.indexrelid)
        .where(_in_scope(i.c.indrelid, by_oid), ~i.c.indisprimary)
        .order_by(i.c.indrelid, ic.c.relname)
    )


@dataclass(frozen=True, slots=True)
class CatalogRows:
    """The reflected relations and the rows of each object kind, by relation oid."""

    relations: list[RelationRow]
    columns: dict[int, list[Row[Any]]]  # shaped like ColumnRow, in column order
    constraints: dict[int, list[ConstraintRow]]  # by name
    indexes: dict[int, list[IndexRow]]  # by name
    names: dict[int, dict[int, str]]  # relation oid -> attnum -> column name

    def name_columns(self, relid: int, attnums: Sequence[int]) -> tuple[str | None, ...]:
        """Names of the columns `attnums` of a reflected relation; None for an expression."""
        return tuple(map(self.names.get(relid, {}).get, attnums))


def fetch_catalog(
    conn: Connection,
    schemas: Sequence[str],
    settings: SourceSettings,
    progress: Progress | None = None,
) -> CatalogRows:
    """The included relations of `schemas` and their columns, constraints and indexes."""
    params: dict[str, Any] = {"schemas": list(schemas)}
    listed = _fetch(conn, relations_query(), RelationRow, params)
    relations = [
        r for r in listed if is_included(r.schema, r.name, settings.include, settings.exclude)
    ]
    # Every relation of the schemas: select them by schema on the server, not by a long oid list.
    by_oid = len(relations) < len(listed)
    if by_oid:
        params["oids"] = [r.oid for r in relations]

    def fetch_grouped(
        query: sa.Select[Any], row_type: type[RowT], step: int
    ) -> dict[int, list[RowT]]:
        rows = _fetch(conn, query, row_type, params) if relations else []
        if progress:
            progress(step, 3)
        return _group(rows)

    columns = _group(conn.execute(columns_query(by_oid), params).all() if relations else ())
    if progress:
        progress(1, 3)
    for rows in columns.values():
        rows.sort(key=_attnum)
    return CatalogRows(
        relations=relations,
        columns=columns,
        constraints=fetch_grouped(constraints_query(by_oid), ConstraintRow, 2),
        indexes=fetch_grouped(indexes_query(by_oid), IndexRow, 3),
        names={oid: {r[1]: r[2] for r in rows} for oid, rows in columns.items()},
    )


_attnum = itemgetter(1)


def _fetch(
    conn: Connection, query: sa.Select[Any], row_type: type[RowT], params: dict[str, Any]
) -> list[RowT]:
    new = tuple.__new__  # what NamedTuple._make does, without its per-row length check
    return [new(row_type, row) for row in conn.execute(query, params).all()]


def _group(rows: Iterable[R]) -> dict[int, list[R]]:
    grouped: dict[int, list[R]] = defaultdict(list)
    for row in rows:
        grouped[row[0]].append(row)
    return grouped
