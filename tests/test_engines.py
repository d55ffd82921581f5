"""The engine registry: engines are named, resolved on first use, and never imported by the core."""

from __future__ import annotations

import ast
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

import cmrules
from cmrules.ruleset import _engines
from cmrules.ruleset._engines import ENGINES, EngineVersion, engine_names, evaluate_native, resolve_engine

ROOT = Path(__file__).resolve().parent.parent
BAR = ROOT / "rulesets" / "bar_customer_manager.yaml"
CASE = {"employee": "E1", "period": "2024-03", "late_arrivals": [10, 40], "dismissed": False}


def test_evaluating_natively_imports_no_backend() -> None:
    script = f"""
import sys
import cmrules
slip = cmrules.load_ruleset({str(BAR)!r}).evaluate({CASE!r})
assert slip.line("late_fine"), slip
loaded = sorted(m for m in sys.modules if m.startswith(("cmrules.engines", "durable")))
print(loaded)
"""
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]", done.stdout


def test_the_ruleset_stage_never_imports_the_engines_package() -> None:
    for path in sorted((ROOT / "src" / "cmrules" / "ruleset").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            elif isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            else:
                continue
            assert not any(name.startswith("cmrules.engines") for name in names), path


def test_built_in_engines() -> None:
    assert list(ENGINES) == ["native", "durable"]
    assert engine_names()[:2] == ["native", "durable"]
    assert resolve_engine("native") is evaluate_native
    bar = cmrules.load_ruleset(BAR)
    assert evaluate_native(bar.latest, CASE).to_json() == bar.evaluate(CASE).to_json()


@pytest.mark.parametrize("name", ["rete", "", None, ["native"]])
def test_an_unknown_engine_names_the_known_ones(name: Any) -> None:
    with pytest.raises(ValueError) as info:
        cmrules.load_ruleset(BAR).evaluate(CASE, engine=name)
    assert str(info.value) == f"unknown engine {name!r}: use 'native' or 'durable'"


class _EntryPoint:
    """What :func:`importlib.metadata.entry_points` gives for one registered engine."""

    def __init__(self, name: str, target: Any) -> None:
        self.name = name
        self._target = target

    def load(self) -> Any:
        return self._target


def test_entry_point_engines(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[Any, Mapping[str, Any]]] = []

    def mine(version: EngineVersion, inputs: Mapping[str, Any]) -> cmrules.PaySlip:
        calls.append((version, inputs))
        return version.run(version.validator(inputs))

    def not_called(version: EngineVersion, inputs: Mapping[str, Any]) -> cmrules.PaySlip:
        raise AssertionError("a built-in name wins over an entry point")

    registered = [_EntryPoint("zeta", mine), _EntryPoint("mine", mine), _EntryPoint("native", not_called)]

    def entry_points(*, group: str) -> list[_EntryPoint]:
        assert group == "cmrules.engines"
        return registered

    monkeypatch.setattr(_engines, "entry_points", entry_points)
    monkeypatch.setattr(_engines, "_resolved", {})
    assert engine_names() == ["native", "durable", "mine", "zeta"]
    bar = cmrules.load_ruleset(BAR)
    assert bar.evaluate(CASE, engine="mine").to_json() == bar.evaluate(CASE).to_json()
    assert calls == [(bar.latest, CASE)]
    with pytest.raises(ValueError, match=r"use 'native', 'durable', 'mine' or 'zeta'"):
        bar.evaluate(CASE, engine="other")
