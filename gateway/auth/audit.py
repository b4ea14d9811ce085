"""The audit log: append-only, each entry's hash covering the previous entry's hash.

An entry records who (principal), when, which request, what (action, target),
how it ended (outcome) and a small JSON detail: source, table, operation,
primary keys and row count for writes; never secrets or row values beyond keys.
`verify` recomputes the chain: an edited, deleted or reordered entry breaks it.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import orjson
import sqlalchemy as sa

from gateway.auth.tables import audit_head, audit_log

GENESIS = "0" * 64
Clock = Callable[[], float]


@dataclass(frozen=True, slots=True)
class AuditEntry:
    seq: int
    at: float
    request_id: str | None
    principal: str | None
    action: str
    outcome: str
    target: str | None
    detail: dict[str, Any] | None

    def as_dict(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "at": self.at,
            "request_id": self.request_id,
            "principal": self.principal,
            "action": self.action,
            "outcome": self.outcome,
            "target": self.target,
            "detail": self.detail,
        }


def entry_hash(prev_hash: str, fields: dict[str, Any]) -> str:
    """SHA-256 over the previous hash and the entry's fields, canonically serialised."""
    body = orjson.dumps([prev_hash, fields], option=orjson.OPT_SORT_KEYS)
    return hashlib.sha256(body).hexdigest()


def _fields(row: Any) -> dict[str, Any]:
    return {
        "seq": int(row.seq),
        "at": float(row.at),
        "request_id": row.request_id,
        "principal": row.principal,
        "action": row.action,
        "outcome": row.outcome,
        "target": row.target,
        "detail": row.detail,
    }


def append(
    engine: sa.Engine,
    *,
    action: str,
    outcome: str,
    principal: str | None = None,
    request_id: str | None = None,
    target: str | None = None,
    detail: dict[str, Any] | None = None,
    clock: Clock = time.time,
) -> int:
    """Append one entry; returns its sequence number. Serialised through `audit_head`."""
    text = orjson.dumps(detail, option=orjson.OPT_SORT_KEYS).decode() if detail else None
    with engine.begin() as conn:
        # Lock first (row lock / SQLite write lock), then read the head under it.
        conn.execute(audit_head.update().where(audit_head.c.id == 1).values(seq=audit_head.c.seq))
        head = conn.execute(sa.select(audit_head.c.seq, audit_head.c.hash)).one()
        seq = int(head.seq) + 1
        values = {
            "seq": seq,
            "at": clock(),
            "request_id": request_id,
            "principal": principal,
            "action": action,
            "outcome": outcome,
            "target": target,
            "detail": text,
        }
        digest = entry_hash(head.hash, values)
        conn.execute(audit_log.insert().values(**values, prev_hash=head.hash, hash=digest))
        conn.execute(audit_head.update().where(audit_head.c.id == 1).values(seq=seq, hash=digest))
    return seq


@dataclass(frozen=True, slots=True)
class VerifyReport:
    entries: int
    broken_at: int | None  # the first entry whose hash or link does not hold
    reason: str | None

    @property
    def ok(self) -> bool:
        return self.broken_at is None


def verify(engine: sa.Engine, batch: int = 5000) -> VerifyReport:
    """Recompute every hash in order; also checks the head (a truncated tail breaks it)."""
    previous, expected_seq, count = GENESIS, 1, 0
    with engine.connect() as conn:
        last = 0
        while True:
            rows = conn.execute(
                sa.select(audit_log)
                .where(audit_log.c.seq > last)
                .order_by(audit_log.c.seq)
                .limit(batch)
            ).all()
            for row in rows:
                if int(row.seq) != expected_seq:
                    return VerifyReport(count, expected_seq, "an entry is missing")
                if row.prev_hash != previous:
                    return VerifyReport(count, int(row.seq), "the link to the previous entry")
                if entry_hash(previous, _fields(row)) != row.hash:
                    return VerifyReport(count, int(row.seq), "the entry was changed")
                previous, expected_seq, count = row.hash, expected_seq + 1, count + 1
                last = int(row.seq)
            if len(rows) < batch:
                break
        head = conn.execute(sa.select(audit_head.c.seq, audit_head.c.hash)).one()
    if int(head.seq) != count or head.hash != previous:
        return VerifyReport(count, count + 1, "entries after the last one were removed")
    return VerifyReport(count, None, None)


@dataclass(frozen=True, slots=True)
class AuditQuery:
    since: float | None = None
    until: float | None = None
    principal: str | None = None
    action: str | None = None
    after: int = 0  # the last seq of the previous page
    limit: int = 100


def list_entries(engine: sa.Engine, query: AuditQuery) -> list[AuditEntry]:
    """One page of entries, oldest first, after `query.after`."""
    statement = sa.select(audit_log).where(audit_log.c.seq > query.after)
    if query.since is not None:
        statement = statement.where(audit_log.c.at >= query.since)
    if query.until is not None:
        statement = statement.where(audit_log.c.at < query.until)
    if query.principal is not None:
        statement = statement.where(audit_log.c.principal == query.principal)
    if query.action is not None:
        statement = statement.where(audit_log.c.action == query.action)
    statement = statement.order_by(audit_log.c.seq).limit(query.limit)
    with engine.connect() as conn:
        rows = conn.execute(statement).all()
    return [
        AuditEntry(
            int(r.seq),
            float(r.at),
            r.request_id,
            r.principal,
            r.action,
            r.outcome,
            r.target,
            orjson.loads(r.detail) if r.detail else None,
        )
        for r in rows
    ]
