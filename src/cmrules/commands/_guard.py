"""The output of a run may never overwrite what the run reads: its input, a ruleset, a plan folder.

Checked on resolved paths (symlinks followed) before anything is read or written, so
``-o`` naming the input file through another path is refused as surely as the same name.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from cmrules.errors import UsageError
from cmrules.outputs import errors_path
from cmrules.ruleset._ruleset import Ruleset, Version


def _real(path: str | Path) -> str:
    return os.path.normcase(os.path.realpath(path))


def _inside(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)


def ruleset_paths(spec: object) -> tuple[list[Path], list[Path]]:
    """The files and plan folders a ruleset spec (a path, or ``path@version``) names on disk."""
    if not isinstance(spec, (str, Path)):
        return [], []
    path = Path(spec)
    if not path.exists() and "@" in str(spec):
        path = Path(str(spec).rpartition("@")[0])
    if path.is_dir():
        return [], [path]
    return ([path] if path.exists() else []), []


def loaded_paths(evaluator: Ruleset | Version) -> tuple[list[Path], list[Path]]:
    """The files of a loaded ruleset's versions, and the folder of a plan of several versions."""
    versions = evaluator.versions if isinstance(evaluator, Ruleset) else [evaluator]
    files = [Path(v.file) for v in versions if Path(v.file).exists()]
    folders = list({f.parent for f in files}) if len(files) > 1 else []
    return files, folders


def check_output(
    out: str | Path | None,
    fmt: str,
    input_path: str | Path,
    files: Iterable[Path] = (),
    folders: Iterable[Path] = (),
) -> None:
    """Raise :class:`UsageError` when writing ``out`` (and its errors file) in ``fmt`` would
    overwrite ``input_path``, one of ``files`` (rulesets), or anything inside ``folders`` (plans)."""
    if out is None:
        return
    protected = [("the input file", _real(input_path))] + [("the ruleset file", _real(f)) for f in files]
    plans = [_real(folder) for folder in folders]
    targets = [_real(out)] if fmt == "html" else [_real(out), _real(errors_path(out, fmt))]
    for target in targets:
        for what, path in protected:
            if target == path or (fmt == "html" and _inside(path, target)):
                where = "is" if target == path else "holds"
                raise UsageError(f"the output {out} {where} {what} {path}: refusing to overwrite it")
        for plan in plans:
            if _inside(target, plan) or (fmt == "html" and _inside(plan, target)):
                message = f"the output {out} is inside the plan folder {plan}: refusing to write there"
                raise UsageError(message)
