"""The layers' one rule: nothing outside service/web/ imports from it (the app factory,
which registers the blueprints, excepted), and the domain imports nothing but itself and
pure libraries."""

from __future__ import annotations

import ast
from pathlib import Path

SERVICE = Path(__file__).resolve().parent.parent / "service"
APP_FACTORY = SERVICE / "__init__.py"


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
    return names


def test_nothing_below_the_web_layer_imports_it() -> None:
    offenders = {
        str(path.relative_to(SERVICE.parent)): sorted(
            name for name in _imports(path) if name.startswith("service.web"))
        for path in SERVICE.rglob("*.py")
        if SERVICE / "web" not in path.parents and path != APP_FACTORY
    }
    assert {path: names for path, names in offenders.items() if names} == {}


def test_the_domain_is_pure() -> None:
    allowed_roots = {"__future__", "collections", "csv", "dataclasses", "datetime", "decimal",
                     "functools", "io", "itertools", "re", "types", "typing", "unicodedata",
                     "dateutil", "holidays", "service"}
    for path in (SERVICE / "domain").glob("*.py"):
        for name in _imports(path):
            root = name.split(".")[0]
            assert root in allowed_roots, (path.name, name)
            if root == "service":
                assert name.startswith("service.domain"), (path.name, name)
