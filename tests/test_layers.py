"""The one-way layer rule: config <- connectors <- schema_cache <- gateway."""

from __future__ import annotations

import ast
import importlib.metadata
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LAYERS = ("config", "connectors", "schema_cache", "gateway")
RANK = {name: rank for rank, name in enumerate(LAYERS)}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imported_modules(tree: ast.AST, module: str, is_package: bool) -> Iterator[tuple[int, str]]:
    """Every module an import statement names, anywhere in the tree (functions included)."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: resolve against the importing module's package
                package = module.split(".")
                if not is_package:
                    package.pop()
                base = package[: len(package) - (node.level - 1)]
                yield node.lineno, ".".join([*base, *([node.module] if node.module else [])])
            elif node.module:
                yield node.lineno, node.module


def violations(source: str, module: str, is_package: bool = False) -> list[str]:
    layer = module.split(".")[0]
    found = []
    for lineno, target in imported_modules(ast.parse(source), module, is_package):
        top = target.split(".")[0]
        if top in RANK and RANK[top] > RANK[layer]:
            found.append(f"{module}:{lineno} imports {target}")
    return found


def layer_files() -> list[Path]:
    files = sorted(path for layer in LAYERS for path in (ROOT / layer).rglob("*.py"))
    assert len(files) > 20, "the packages were not found"
    return files


def test_no_lower_layer_imports_a_higher_one() -> None:
    found = []
    for path in layer_files():
        source = path.read_text(encoding="utf-8")
        found.extend(violations(source, module_name(path), path.name == "__init__.py"))

    assert found == []


@pytest.mark.parametrize(
    ("source", "module", "bad"),
    [
        ("import gateway.app", "schema_cache.cache", True),
        ("from schema_cache.model import Source", "connectors.base", True),
        ("def f():\n    from gateway import cli", "config.loader", True),
        ("if TYPE_CHECKING:\n    import connectors.base", "config.settings", True),
        ("from connectors.base import Connector", "schema_cache.cache", False),
        ("from config import settings", "gateway.cli", False),
        ("from . import health", "gateway.app", False),
        ("from ..errors import FedgateError", "gateway.query.errors", False),
        ("import sqlalchemy", "config.urls", False),
    ],
)
def test_the_checker_sees_every_kind_of_import(source: str, module: str, bad: bool) -> None:
    assert bool(violations(source, module)) is bad


def test_the_fedgate_script_runs_gateway_cli_main() -> None:
    (script,) = importlib.metadata.entry_points(group="console_scripts", name="fedgate")

    assert script.value == "gateway.cli:main"
    from gateway.cli import main

    assert script.load() is main
