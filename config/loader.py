"""Load `fedgate.yaml`: strict YAML, then `${VAR}` interpolation, validation and path resolution."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from config.errors import ConfigError
from config.interpolate import child_path, interpolate
from config.settings import Settings
from config.urls import resolve_database_path
from config.validate import build_settings

# Example configurations shipped with the package (`demo.yaml`, `postgres.yaml`).
EXAMPLES_DIR = Path(__file__).parent / "examples"

_MERGE_TAG = "tag:yaml.org,2002:merge"


class StrictLoader(yaml.SafeLoader):
    """A SafeLoader that rejects a key repeated in one mapping (PyYAML keeps the last silently)."""

    def __init__(self, stream: str, *, file: str | None = None) -> None:
        super().__init__(stream)
        self.file = file

    def construct_document(self, node: Node) -> object:
        _check_duplicate_keys(node, "", set(), self.file)
        return super().construct_document(node)


def _check_duplicate_keys(node: Node, path: str, seen: set[int], file: str | None) -> None:
    if id(node) in seen:  # an alias: already checked where its anchor is
        return
    seen.add(id(node))
    if isinstance(node, SequenceNode):
        for index, item in enumerate(node.value):
            _check_duplicate_keys(item, child_path(path, index), seen, file)
    elif isinstance(node, MappingNode):
        first_lines: dict[tuple[str, str], int] = {}
        for key, value in node.value:
            if not isinstance(key, ScalarNode) or key.tag == _MERGE_TAG:
                _check_duplicate_keys(value, path, seen, file)
                continue
            line = key.start_mark.line + 1
            key_path = child_path(path, key.value)
            if (key.tag, key.value) in first_lines:
                first = first_lines[key.tag, key.value]
                raise ConfigError(
                    f"duplicate key '{key.value}' on line {line}, first defined on line {first}",
                    file=file,
                    path=key_path,
                )
            first_lines[key.tag, key.value] = line
            _check_duplicate_keys(value, key_path, seen, file)


def parse_yaml(text: str, *, file: str | None = None) -> object:
    """Parse one YAML document strictly; syntax errors become ConfigError with line and column."""
    loader = StrictLoader(text, file=file)
    try:
        return loader.get_single_data()
    except yaml.MarkedYAMLError as exc:
        # Only the problem and its position: str(exc) quotes the offending line,
        # which may hold a password.
        mark = exc.problem_mark or exc.context_mark
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = ", ".join(part for part in (exc.context, exc.problem) if part) or "syntax error"
        raise ConfigError(f"invalid YAML{where}: {problem}", file=file) from None
    except yaml.reader.ReaderError as exc:
        raise ConfigError(
            f"invalid YAML: unacceptable character at position {exc.position}", file=file
        ) from None
    finally:
        loader.dispose()


def load_settings(
    path: str | os.PathLike[str], *, environ: Mapping[str, str] | None = None
) -> Settings:
    """Read, interpolate and validate a configuration file (I/O: reads `path`).

    Args:
        path: the YAML file; relative paths inside it resolve against its directory.
        environ: variables for `${VAR}` (default: `os.environ`).
    """
    file = os.fspath(path)
    try:
        text = Path(file).read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"not UTF-8 text (byte {exc.start})", file=file) from None
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise ConfigError(f"cannot read the configuration file: {reason}", file=file) from exc
    return parse_settings(parse_yaml(text, file=file), file=file, environ=environ)


def parse_settings(
    data: object, *, file: str | None = None, environ: Mapping[str, str] | None = None
) -> Settings:
    """Build Settings from parsed YAML data (pure apart from reading `os.environ`).

    Args:
        data: the parsed document.
        file: where it came from: named in errors, and relative snapshot and
            sqlite/duckdb paths resolve against its directory (left relative if None).
        environ: variables for `${VAR}` (default: `os.environ`).
    """
    interpolated = interpolate(data, os.environ if environ is None else environ, file=file)
    settings = build_settings(interpolated.data, file=file, variables=interpolated.variables)
    if file is None:
        return settings
    absolute = os.path.abspath(file)
    return replace(_resolve_paths(settings, os.path.dirname(absolute)), file=absolute)


def _resolve_paths(settings: Settings, base_dir: str) -> Settings:
    sources = tuple(
        replace(source, url=resolve_database_path(source.url, base_dir))
        for source in settings.sources
    )
    snapshot = settings.schema_cache.snapshot_path
    if not os.path.isabs(snapshot):
        snapshot = os.path.normpath(os.path.join(base_dir, snapshot))
    schema_cache = replace(settings.schema_cache, snapshot_path=snapshot)
    auth = settings.auth
    if auth.store_url is not None:
        auth = replace(auth, store_url=resolve_database_path(auth.store_url, base_dir))
    return replace(settings, sources=sources, schema_cache=schema_cache, auth=auth)
