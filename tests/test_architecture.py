"""The house: imports point down the pipeline, no cycles, a pinned public surface.

The stages, bottom first (a module may import its own stage and the stages below it,
never one above, not even under ``TYPE_CHECKING`` or inside a function)::

    errors, _money, _periods  <  _yaml  <  spec  <  expr  <  inputs  <  compile  <  slip
    <  ruleset  <  engines  <  sources  <  outputs  <  run  <  ledger  <  testing  <  commands  <  cli

``cmrules/__init__.py`` is the facade on top: it may import any stage, and no module
imports it.  ``docs/architecture.md`` describes each stage.
"""

from __future__ import annotations

import ast
import importlib
import pkgutil
import sys
from pathlib import Path

import pytest

import cmrules

SRC = Path(__file__).resolve().parents[1] / "src"
PACKAGE = SRC / "cmrules"

STAGES: list[tuple[str, ...]] = [
    ("errors", "_money", "_periods"),
    ("_yaml",),
    ("spec",),
    ("expr",),
    ("inputs",),
    ("compile",),
    ("slip",),
    ("ruleset",),
    ("engines",),
    ("sources",),
    ("outputs",),
    ("run",),
    ("ledger",),
    ("testing",),
    ("commands",),
    ("frames", "dask"),  # public modules: DataFrames and Arrow; paying on a Dask cluster
    ("cli", "__main__"),
]
LEVEL = {name: level for level, names in enumerate(STAGES) for name in names}

# The documented public surface. Every other module is private: a leading underscore, or a
# stage package whose ``__init__`` is that stage's interface to the stages above it.
PUBLIC_MODULES = {
    "cmrules",
    "cmrules.errors",
    "cmrules.testing",
    "cmrules.testing.plugin",
    "cmrules.commands",
    "cmrules.cli",
    "cmrules.engines",
    "cmrules.frames",
    "cmrules.dask",
}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(path: Path) -> set[str]:
    """Every cmrules module this file imports, wherever the import statement stands."""
    name = _module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names if alias.name.split(".")[0] == "cmrules")
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                module = ".".join([*base, node.module] if node.module else base)
            else:
                module = node.module or ""
            if module.split(".")[0] != "cmrules":
                continue
            for alias in node.names:  # "from cmrules.x import _y" may name a submodule
                folder = SRC / Path(*module.split("."))
                if (folder / f"{alias.name}.py").exists() or (folder / alias.name).is_dir():
                    found.add(f"{module}.{alias.name}")
                else:
                    found.add(module)
    return found


def _stage(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def _graph() -> dict[str, set[str]]:
    return {_module_name(p): _imports(p) - {_module_name(p)} for p in sorted(PACKAGE.rglob("*.py"))}


def test_every_module_belongs_to_a_stage() -> None:
    unknown = sorted({_stage(m) for m in _graph() if m != "cmrules"} - set(LEVEL))
    assert not unknown, f"modules outside the declared stages: {unknown} (add them to STAGES and docs)"


def test_imports_point_down_the_pipeline() -> None:
    upward = []
    for module, imported in _graph().items():
        if module == "cmrules":
            continue
        for target in imported:
            if target == "cmrules":
                upward.append(f"{module} imports the facade 'cmrules'")
            elif LEVEL[_stage(target)] > LEVEL[_stage(module)]:
                upward.append(f"{module} -> {target}")
    assert not upward, "imports that point up the pipeline:\n" + "\n".join(sorted(upward))


def test_no_import_cycle() -> None:
    graph = _graph()
    modules = set(graph)
    state: dict[str, int] = {}
    cycles: list[list[str]] = []

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        for target in sorted(graph[node] & modules):
            if state.get(target) == 1:
                cycles.append([*path[path.index(target) :], target] if target in path else [node, target])
            elif target not in state:
                visit(target, [*path, target])
        state[node] = 2

    for module in sorted(modules):
        if module not in state:
            visit(module, [module])
    assert not cycles, "import cycles:\n" + "\n".join(" -> ".join(c) for c in cycles)


def test_internals_are_private() -> None:
    """Every module is private (``_name.py``) but the stage packages' ``__init__`` and the pinned ones."""
    public = set()
    for info in pkgutil.walk_packages(cmrules.__path__, "cmrules."):
        if not any(part.startswith("_") for part in info.name.split(".")[1:]):
            public.add(info.name)
    stage_packages = {f"cmrules.{name}" for names in STAGES for name in names}
    stage_packages.add("cmrules.outputs.render")
    assert public - stage_packages <= PUBLIC_MODULES, sorted(public - stage_packages - PUBLIC_MODULES)
    for name in sorted(public & stage_packages):
        assert importlib.import_module(name).__doc__, f"{name} needs a docstring describing its stage"


TOP_LEVEL = {
    "CmrulesError",
    "EvaluationError",
    "InputError",
    "PaySlip",
    "Ruleset",
    "RulesetError",
    "load_ruleset",
    "loads_ruleset",
}


def test_public_surface_is_pinned() -> None:
    assert TOP_LEVEL <= set(cmrules.__all__)
    for name in cmrules.__all__:
        assert getattr(cmrules, name).__doc__, f"cmrules.{name} has no docstring"


@pytest.mark.parametrize("module", sorted(PUBLIC_MODULES))
def test_public_modules_have_docstrings(module: str) -> None:
    assert importlib.import_module(module).__doc__


def test_importing_cmrules_imports_no_optional_dependency() -> None:
    import subprocess

    code = (
        "import sys, cmrules\n"
        "heavy = [m for m in ('hypothesis', 'durable', 'pyarrow', 'pytest') if m in sys.modules]\n"
        "print(heavy)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
