"""Persist the last good model so a restart serves before introspecting."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import orjson

from schema_cache.errors import SnapshotError
from schema_cache.model import Source
from schema_cache.serialize import source_from_dict, source_to_dict

FORMAT = 1


def write_snapshot(path: str | os.PathLike[str], sources: tuple[Source, ...]) -> None:
    """Write atomically (temp file + rename): a reader never sees half a snapshot."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    payload = orjson.dumps(
        {"format": FORMAT, "sources": [source_to_dict(s) for s in sources]},
        option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS,
    )
    fd, tmp = tempfile.mkstemp(prefix=".snapshot-", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(payload)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def read_snapshot(path: str | os.PathLike[str]) -> tuple[Source, ...]:
    """The sources of a snapshot; an absent file is an empty snapshot."""
    target = Path(path)
    if not target.exists():
        return ()
    try:
        data = orjson.loads(target.read_bytes())
        if data.get("format") != FORMAT:
            raise SnapshotError(
                f"snapshot {target} has format {data.get('format')!r}, not {FORMAT}"
            )
        return tuple(source_from_dict(s) for s in data["sources"])
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:  # any bad shape
        raise SnapshotError(f"snapshot {target} cannot be read: {type(exc).__name__}") from exc


def snapshot_mtime(path: str | os.PathLike[str]) -> float | None:
    try:
        return Path(path).stat().st_mtime
    except OSError:
        return None
