"""Packaging: the shipped rulesets by name, the version, the wheel's package list, a free plugin."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import tomllib
from importlib.metadata import entry_points
from pathlib import Path

import pytest

import cmrules
from cmrules.errors import RulesetError

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = [
    "bank_client_manager",
    "bar_customer_manager",
    "bar_net_pay",
    "cn_loss_compensation",
    "cn_monthly_wage",
    "duty_manager_checklist",
    "sales_contest",
    "securities_client_manager",
]


def test_shipped_ruleset_by_name(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    ruleset = cmrules.load_ruleset("bar_customer_manager")
    assert [Path(v.file).name for v in ruleset.versions] == ["bar_customer_manager.yaml"]
    plan = cmrules.load_ruleset("securities_client_manager")
    assert [Path(v.file).name for v in plan.versions] == ["2012-01.yaml", "2013-07.yaml"]
    assert Path(plan.versions[0].file).parent.name == "securities_client_manager"


def test_an_unknown_name_lists_the_shipped_rulesets(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(RulesetError) as caught:
        cmrules.load_ruleset("bar_manager")
    (issue,) = caught.value.errors
    assert issue.code == "yaml.file"
    assert "'bar_manager'" in issue.message
    assert f"(shipped: {', '.join(SHIPPED)})" in issue.message


def test_file_or_folder_here_wins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "bar_customer_manager").mkdir()
    with pytest.raises(RulesetError, match="no ruleset"):
        cmrules.load_ruleset("bar_customer_manager")


def test_path_is_never_a_name(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    for path in ("bar_customer_manager.yaml", "x/bar_customer_manager"):
        with pytest.raises(RulesetError, match="cannot read"):
            cmrules.load_ruleset(path)


def test_version_is_the_installed_distributions() -> None:
    assert isinstance(cmrules.__version__, str)
    assert cmrules.__version__


def _package_folders() -> set[str]:
    """Every folder the wheel must carry: src/cmrules's folders of modules, the shipped
    rulesets (as cmrules.rulesets) and their plan folders."""
    out = set()
    for folder in [ROOT / "src" / "cmrules", *(ROOT / "src" / "cmrules").rglob("*")]:
        if folder.is_dir() and any(folder.glob("*.py")):
            out.add(".".join(folder.relative_to(ROOT / "src").parts))
    out.add("cmrules.rulesets")
    for folder in (ROOT / "rulesets").iterdir():
        if folder.is_dir() and any(folder.glob("*.yaml")):
            out.add(f"cmrules.rulesets.{folder.name}")
    modules = ROOT / "rulesets" / "modules"  # the shipped modules rulesets include: every folder of them
    for folder in [modules, *modules.rglob("*")]:
        if folder.is_dir() and any(folder.rglob("*.yaml")):
            out.add(".".join(("cmrules", *folder.relative_to(ROOT).parts)))
    return out


def test_pyproject_lists_every_package_and_plan_folder() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]
    assert sorted(config["packages"]) == sorted(_package_folders())
    assert config["package-dir"]["cmrules.rulesets"] == "rulesets"


PLAIN_TEST = textwrap.dedent(
    """
    import sys

    def test_plain(pytestconfig):
        assert pytestconfig.pluginmanager.get_plugin("cmrules") is not None
        heavy = ["cmrules.ruleset", "cmrules.compile", "pydantic", "hypothesis"]
        assert [name for name in heavy if name in sys.modules] == []
    """
)


@pytest.mark.slow
@pytest.mark.skipif(
    not any(ep.name == "cmrules" for ep in entry_points(group="pytest11")),
    reason="cmrules is not installed, so its pytest11 entry point is not registered",
)
def test_the_plugin_imports_nothing_heavy_for_a_plain_run(tmp_path: Path) -> None:
    (tmp_path / "test_plain.py").write_text(PLAIN_TEST, encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), os.environ.get("PYTHONPATH", "")])}
    env.pop("PYTEST_ADDOPTS", None)
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_plain.py"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert "1 passed" in run.stdout
