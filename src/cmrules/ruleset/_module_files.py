"""Where an included module is: a file relative to the including file, or a shipped module."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:|^//|^\\\\")
_NAME = re.compile(r"^[a-z][a-z0-9_]*(/[a-z][a-z0-9_]*)*$")


def module_file(including: str, target: str) -> Path | tuple[str, str]:
    """The file of the module ``target`` included by the file ``including``: a path ending in
    ``.yaml`` or ``.yml`` is relative to it, a name (``cn/iit``) is a shipped module; or the
    code and message of why ``target`` is refused (a URL, an absolute path, neither)."""
    if _URL.match(target) or target.startswith(("/", "\\")):
        return (
            "include.url",
            f"include {target!r}: a module is a file relative to the including file, "
            "or a shipped module's name; never a URL or an absolute path",
        )
    if target.endswith((".yaml", ".yml")):
        return Path(including).parent / target
    if not _NAME.match(target):
        return "include.file", f"include {target!r}: not a module name nor a .yaml file"
    return shipped_modules() / f"{target}.yaml"


def shipped_modules() -> Path:
    """The folder of the modules shipped in the wheel (``rulesets/modules`` of the checkout this
    code runs from, when it runs from one)."""
    here = Path(__file__).resolve()
    checkout = here.parents[3]
    if (checkout / "src" / "cmrules" / "ruleset") == here.parent and (checkout / "rulesets").is_dir():
        return checkout / "rulesets" / "modules"
    spec = importlib.util.find_spec("cmrules.rulesets")
    if spec is not None and spec.submodule_search_locations:
        return Path(next(iter(spec.submodule_search_locations))) / "modules"
    return checkout / "rulesets" / "modules"


def available_modules() -> list[str]:
    """The names of the shipped modules (``cn/iit`` …)."""
    root = shipped_modules()
    if not root.is_dir():
        return []
    return sorted(p.relative_to(root).with_suffix("").as_posix() for p in root.rglob("*.yaml"))
