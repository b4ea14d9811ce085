"""`${VAR}` interpolation of the string values of a configuration, before validation.

Syntax: `${NAME}` (the variable must be set), `${NAME:-default}` (the default
when the variable is unset or empty) and `$$` for a literal `$`. A `$` followed
by anything else is kept as it is. Values of variables may be secrets: no error
raised here quotes one.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from config.errors import ConfigError

_REFERENCE = re.compile(r"\$(?:(?P<escape>\$)|\{(?P<body>[^}]*)\}|(?P<open>\{))")
_BODY = re.compile(r"(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?::-(?P<default>.*))?", re.DOTALL)
_SYNTAX = "expected ${NAME} or ${NAME:-default} (write $$ for a literal $)"


@dataclass(frozen=True, slots=True)
class Interpolated:
    """A configuration tree with every `${VAR}` replaced.

    Args:
        data: the tree (mappings, lists, scalars) with interpolated strings.
        variables: key path -> names of the variables its string was built from.
            Such values are never quoted in errors, and digit strings among them
            are accepted where an integer is expected.
    """

    data: object
    variables: Mapping[str, tuple[str, ...]]


def child_path(parent: str, key: str | int) -> str:
    """Return the key path of a mapping key (`server.port`) or list index (`sources[1]`)."""
    if isinstance(key, int):
        return f"{parent}[{key}]"
    return f"{parent}.{key}" if parent else key


def interpolate(
    data: object, environ: Mapping[str, str], *, file: str | None = None
) -> Interpolated:
    """Replace `${VAR}` references in every string value of `data` (keys are left alone)."""
    variables: dict[str, tuple[str, ...]] = {}
    active: set[int] = set()

    def walk(value: object, path: str) -> object:
        if isinstance(value, str):
            text, names = interpolate_string(value, environ, path=path, file=file)
            if names:
                variables[path] = names
            return text
        if not isinstance(value, Mapping | list):
            return value
        if id(value) in active:
            # Only YAML aliases can build a cycle; no setting is recursive.
            raise ConfigError("a YAML alias refers to its own parent", file=file, path=path or None)
        active.add(id(value))
        try:
            if isinstance(value, list):
                return [walk(item, child_path(path, index)) for index, item in enumerate(value)]
            return {key: walk(item, child_path(path, str(key))) for key, item in value.items()}
        finally:
            active.discard(id(value))

    return Interpolated(walk(data, ""), variables)


def interpolate_string(
    text: str, environ: Mapping[str, str], *, path: str = "", file: str | None = None
) -> tuple[str, tuple[str, ...]]:
    """Return `text` with its references replaced, and the names of the variables it used.

    Args:
        path: the key path of `text`, for errors.
        file: the configuration file, for errors.
    """
    if "$" not in text:
        return text, ()
    names: list[str] = []

    def error(message: str) -> ConfigError:
        return ConfigError(message, file=file, path=path or None)

    def replace(match: re.Match[str]) -> str:
        if match["escape"]:
            return "$"
        if match["open"]:
            raise error(f"unterminated '${{': {_SYNTAX}")
        reference = _BODY.fullmatch(match["body"])
        if reference is None:
            shown = match["body"].split(":", 1)[0][:40]
            raise error(
                f"invalid variable reference '${{{shown}...}}': {_SYNTAX}, "
                "where NAME has letters, digits and underscores"
            )
        name, default = reference["name"], reference["default"]
        names.append(name)
        value = environ.get(name)
        if default is not None and not value:
            return default
        if value is None:
            raise error(
                f"environment variable {name} is not set "
                f"(set it, or give a default with ${{{name}:-default}})"
            )
        return value

    result = _REFERENCE.sub(replace, text)
    return result, tuple(dict.fromkeys(names))
