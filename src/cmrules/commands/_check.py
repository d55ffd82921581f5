"""``cmrules check``: load rulesets and collect every located error, none stopping the others."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from cmrules.errors import Issue, RulesetError
from cmrules.ruleset._load import is_module, is_version, load_module, load_ruleset
from cmrules.ruleset._ruleset import Ruleset


@dataclass
class CheckResult:
    """One path given to ``check``: the loaded plan, or every issue found (or a skipped tests file)."""

    path: str
    ruleset: Ruleset | None = None
    issues: list[Issue] = field(default_factory=list)
    skipped: bool = False

    @property
    def ok(self) -> bool:
        """True when the path loaded (or was a tests file, skipped)."""
        return self.ruleset is not None or self.skipped

    def render(self) -> str:
        """One line ``path: ok (id, version …, N rules)``, or the error count and every issue."""
        if self.skipped:
            return f"{self.path}: skipped (test cases: run them with cmrules test)"
        if self.ruleset is None:
            count = len(self.issues)
            head = f"{self.path}: {count} error{'s' if count != 1 else ''}"
            return "\n".join([head, *(str(issue) for issue in self.issues)])
        rules = sum(1 for r in self.ruleset.latest.program.rules if r.kind == "rule")
        versions = ", ".join(v.version for v in self.ruleset.versions)
        plural = "s" if rules != 1 else ""
        return f"{self.path}: ok ({self.ruleset.id}, version {versions}, {rules} rule{plural})"

    def render_code(self) -> str:
        """The generated Python source of each loaded version, each under a header naming it,
        annotated with the ruleset's names (:meth:`Program.readable_source`).

        Empty when nothing loaded; a plan folder gives every version, oldest first.
        """
        if self.ruleset is None:
            return ""
        parts = []
        for version in self.ruleset.versions:
            source = version.program.readable_source()
            header = f"# ===== {version.id} version {version.version}: generated Python ====="
            parts.append(f"{header}\n{source}" + ("" if source.endswith("\n") else "\n"))
        return "\n".join(parts)


def check_paths(paths: Iterable[str | Path]) -> list[CheckResult]:
    """Load each path (file or plan folder); every error of every file is reported, none stops.

    ``*.tests.yaml`` files (as a shell glob ``rulesets/*.yaml`` gives them) are skipped; a module
    (a file whose first key is ``module:``) is compiled on its own, as the only include of an
    empty ruleset.
    """
    results = []
    for path in _with_modules(paths):
        if str(path).endswith(".tests.yaml"):
            results.append(CheckResult(str(path), skipped=True))
            continue
        load = load_module if is_module(Path(path)) else load_ruleset  # a module is checked on its own
        try:
            results.append(CheckResult(str(path), ruleset=load(path)))
        except RulesetError as exc:
            results.append(CheckResult(str(path), issues=exc.errors))
    return results


def _with_modules(paths: Iterable[str | Path]) -> Iterable[str | Path]:
    """``paths``, a folder that holds modules (``rulesets/modules``) given as its module files."""
    for path in paths:
        folder = Path(path)
        if folder.is_dir() and not any(is_version(p) for p in folder.iterdir()):
            modules = sorted(p for p in folder.rglob("*.y*ml") if is_version(p) and is_module(p))
            if modules:
                yield from modules
                continue
        yield path
