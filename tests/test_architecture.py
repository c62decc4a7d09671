"""The package's layering, read from its source with ``ast`` (function-local imports included).

Layers, bottom up: the core and neutral job model, the providers (Akool, TopView), the batch wing
(``akool_async._batch``), and the top (``akool_async/__init__``, ``akool_async._providers``, the
CLI). See ARCHITECTURE.md.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path
from typing import Final

import akool_async

PACKAGE: Final = Path(akool_async.__file__).parent
MAX_LINES: Final = 600
#: Modules over MAX_LINES allowed for now: none (split a module before it grows past it).
KNOWN_LONG: Final[frozenset[str]] = frozenset()
WING: Final = "akool_async._batch"
#: What may import the wing: the wing itself, the CLI and the package's top.
ABOVE_WING: Final = ("akool_async._batch", "akool_async.cli", "akool_async._providers")
#: Provider modules the wing must not import (it knows providers only through Provider records).
PROVIDER_MODULES: Final = (
    "akool_async._session",
    "akool_async._akool_provider",
    "akool_async._akool",
    "akool_async._providers",
    "akool_async.topview",
    "akool_async.cli",
)


def _modules() -> dict[str, Path]:
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


MODULES: Final = _modules()


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _walk(node: ast.AST, typing_only: bool = False) -> Iterator[tuple[ast.AST, bool]]:
    """Every node under ``node``, with whether it sits under ``if TYPE_CHECKING:``."""
    for child in ast.iter_child_nodes(node):
        if isinstance(child, ast.If) and _is_type_checking(child.test):
            for inner in child.body:
                yield inner, True
                yield from _walk(inner, True)
            for inner in child.orelse:
                yield inner, typing_only
                yield from _walk(inner, typing_only)
            continue
        yield child, typing_only
        yield from _walk(child, typing_only)


def _resolve(module: str, node: ast.ImportFrom) -> str:
    is_package = MODULES[module].name == "__init__.py"
    base = module.split(".") if is_package else module.split(".")[:-1]
    if node.level:
        base = base[: len(base) - (node.level - 1)]
        return ".".join(base + ([node.module] if node.module else []))
    return node.module or ""


def _imports(module: str) -> Iterator[tuple[str, bool]]:
    """(imported akool_async module, typing only) for every import in ``module``."""
    tree = ast.parse(MODULES[module].read_text(encoding="utf-8"))
    for node, typing_only in _walk(tree):
        targets: list[str] = []
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            target = _resolve(module, node)
            # ``from . import x`` imports the submodule x when there is one.
            subs = [f"{target}.{a.name}" for a in node.names if f"{target}.{a.name}" in MODULES]
            targets = subs or [target]
        for target in targets:
            while target and target not in MODULES:  # ``import a.b.c`` names a module's parts
                target = target.rpartition(".")[0]
            if target.startswith("akool_async") and target != module:
                yield target, typing_only
                # Importing a.b.c also runs the packages a.b (not those the importer is inside).
                parent = target.rpartition(".")[0]
                while parent and not module.startswith(parent + ".") and parent != module:
                    yield parent, typing_only
                    parent = parent.rpartition(".")[0]


def _graph(*, runtime_only: bool) -> dict[str, set[str]]:
    return {
        m: {t for t, typing_only in _imports(m) if not (runtime_only and typing_only)}
        for m in MODULES
    }


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def _in(module: str, prefixes: tuple[str, ...]) -> bool:
    return any(module == p or module.startswith(p + ".") for p in prefixes)


def test_modules_are_short() -> None:
    """No module in akool_async has more than 600 lines, beyond the known exceptions."""
    long = {
        m
        for m, path in MODULES.items()
        if len(path.read_text(encoding="utf-8").splitlines()) > MAX_LINES
    }
    assert long <= KNOWN_LONG, sorted(long - KNOWN_LONG)


def test_no_runtime_import_cycle() -> None:
    """No import cycle at runtime; only TYPE_CHECKING imports may close a loop."""
    graph = _graph(runtime_only=True)
    top = "akool_async"  # the package's __init__ imports everything, and nothing imports it
    assert not any(top in targets for m, targets in graph.items() if m != top)
    assert _cycles(graph) == []


def test_nothing_below_the_wing_imports_it() -> None:
    """Only the wing itself, the CLI and the package's top import akool_async._batch."""
    offenders = sorted(
        (m, t)
        for m, targets in _graph(runtime_only=True).items()
        for t in targets
        if _in(t, (WING,)) and m != "akool_async" and not _in(m, ABOVE_WING)
    )
    assert offenders == []


def test_the_wing_knows_no_provider_module() -> None:
    """The batch wing imports no provider's module, nor the CLI or the top (not even for types)."""
    offenders = sorted(
        (m, t)
        for m, targets in _graph(runtime_only=False).items()
        if _in(m, (WING,))
        for t in targets
        if _in(t, PROVIDER_MODULES)
    )
    assert offenders == []


def test_the_checker_sees_function_local_imports() -> None:
    """The import reader finds imports inside functions and tells TYPE_CHECKING ones apart."""
    imports = set(_imports("akool_async._base"))
    assert ("akool_async._batch", True) in imports
    assert ("akool_async._batch", False) not in imports
    cli = {t for t, _ in _imports("akool_async.cli")}
    assert "akool_async.cli._demo" in cli  # imported inside main()
    # TYPE_CHECKING imports do close loops (the sessions name the wing's types): seen, allowed.
    assert _cycles(_graph(runtime_only=False)) != []
