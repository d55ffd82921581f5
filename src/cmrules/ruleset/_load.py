"""Load a ruleset file, or a folder of dated versions of one plan.

Everything that can fail because of the ruleset fails here, with every error
of a file collected and located (file, line, column, rule id, excerpt).
"""

from __future__ import annotations

import copyreg
import datetime as dt
import hashlib
import importlib.util
import json
import os
import re
import threading
import weakref
from collections.abc import Mapping
from itertools import pairwise
from pathlib import Path
from typing import Any

from cmrules._yaml import Located, load_located
from cmrules.compile import BUILTIN_INPUTS, build
from cmrules.errors import Issue, IssueSink, RulesetError
from cmrules.inputs._validator import InputValidator
from cmrules.inputs._values import convert_defaults
from cmrules.ruleset._include import Merged, ModuleText, merge
from cmrules.ruleset._ruleset import Ruleset, Version
from cmrules.spec._validate import validate


def load_ruleset(path: str | Path) -> Ruleset:
    """Load ``path``: a YAML file, or a folder whose ``*.yaml`` and ``*.yml`` files
    (but not ``*.tests.yaml`` cases) are versions of one plan, or the name of a shipped
    ruleset (``"bar_customer_manager"``: no folder separator, no suffix, and no such file
    or folder here)."""
    if isinstance(path, str) and not any(s in path for s in "/\\") and not Path(path).suffix:
        if not Path(path).exists():
            path = _shipped(path)
    path = Path(path)
    if path.is_dir():
        files = sorted(p for p in path.iterdir() if is_version(p))
        if not files:
            message = f"no ruleset (*.yaml or *.yml) in folder {path}"
            raise RulesetError([Issue("yaml.file", message, str(path), 1, 1)])
    else:
        files = [path]
    versions: list[Version] = []
    issues: list[Issue] = []
    for file in files:
        try:
            text = file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            issues.append(Issue("yaml.file", f"cannot read: {exc}", str(file), 1, 1))
            continue
        result = load_text(text, str(file))
        if isinstance(result, Version):
            versions.append(result)
        else:
            issues.extend(result)
    if not issues:
        issues = _check_plan(versions)
    if issues:
        raise RulesetError(issues)
    return Ruleset(versions)


def is_version(path: Path) -> bool:
    """A file of a plan folder that is one of its versions (test cases are not)."""
    name = path.name
    return (
        path.suffix in (".yaml", ".yml")
        and not name.endswith((".tests.yaml", ".tests.yml"))
        and path.is_file()
    )


def _shipped(name: str) -> Path:
    """The file or plan folder of the shipped ruleset ``name``: in the package
    ``cmrules.rulesets`` when installed, in the repository's ``rulesets/`` in a checkout."""
    spec = importlib.util.find_spec("cmrules.rulesets")
    if spec is not None and spec.submodule_search_locations:
        folder = Path(next(iter(spec.submodule_search_locations)))
    else:
        folder = Path(__file__).resolve().parents[3] / "rulesets"
    found = {
        entry.stem if entry.is_file() else entry.name: entry
        for entry in (folder.iterdir() if folder.is_dir() else ())
        if is_version(entry) or (entry.is_dir() and any(is_version(p) for p in entry.iterdir()))
    }
    if name in found:
        return found[name]
    shipped = ", ".join(sorted(found)) or "none"
    message = f"no file or folder {name!r}, nor a shipped ruleset of that name (shipped: {shipped})"
    raise RulesetError([Issue("yaml.file", message, name, 1, 1)])


def loads_ruleset(text: str, name: str = "<string>") -> Ruleset:
    """Load a ruleset from YAML text (``name`` is used in error locations)."""
    result = load_text(text, name)
    if isinstance(result, Version):
        return Ruleset([result])
    raise RulesetError(result)


def load_text(text: str, file: str, texts: Mapping[str, str] | None = None) -> Version | list[Issue]:
    """Compile one ruleset file's text into a version, or return every issue found in it (and in
    the modules it includes: ``texts`` gives their texts by file, else they are read)."""
    sink = IssueSink(file, text)
    parsed = load_located(text, sink)
    if parsed is None:
        return sink.issues
    data, located = parsed
    if not isinstance(data, dict):
        sink.add("schema.type", "a ruleset is a mapping with keys id, version, title, …", 1, 1)
        return sink.issues
    if "module" in data and "id" not in data:
        message = "this file is a module ('module:'), not a ruleset: a ruleset includes it (include: [...])"
        sink.add("include.file", message, *located.key_at(("module",)))
        return sink.issues
    merged: Merged | None = None
    if "include" in data or "overrides" in data:
        result = merge(data, located, text, file, texts)
        if isinstance(result, list):
            return result
        merged = result
        data, located = merged.data, merged.located
        sink = IssueSink(file, merged.text)
    version = _compile(data, located, sink, file, text, merged.modules if merged is not None else ())
    if merged is not None and merged.issues:  # a clash, with every other problem of the load
        found = version if isinstance(version, list) else []
        return [*merged.issues, *(merged.relocate(issue) for issue in found)]
    if isinstance(version, list):
        return [merged.relocate(issue) for issue in version] if merged is not None else version
    if merged is not None:  # the readable source's comments name the module's lines
        merged.relocate_notes(version.program.annotations.notes)
        merged.relocate_notes(version.program.annotations.legend)
    _loaded[_key(version)] = version
    return version


def _compile(
    data: dict[str, Any],
    located: Located,
    sink: IssueSink,
    file: str,
    text: str,
    modules: tuple[ModuleText, ...],
) -> Version | list[Issue]:
    validated = validate(data, located, sink)
    if validated is None:
        return sink.issues
    doc, located = validated.doc, validated.located
    places = doc.rounding.places
    inputs, problems = convert_defaults(doc.inputs, places)
    for path, message in problems:
        sink.add("schema.value", message, *located.at(path))
    doc = doc.model_copy(update={"inputs": inputs})
    program = build(doc, located, sink, validated.broken)
    if program is None or sink.issues:
        return sink.issues
    fields = dict(doc.inputs)
    for name, spec in convert_defaults(BUILTIN_INPUTS, places)[0].items():
        fields.setdefault(name, spec)
    fields.update(convert_defaults(program.balance_inputs, places)[0])  # declared balances
    return Version(
        doc=doc,
        program=program,
        file=file,
        sha256=hashlib.sha256(text.encode("utf-8")).hexdigest(),
        validator=InputValidator(fields, places),
        source=text,
        modules=modules,
    )


def _key(version: Version) -> tuple[str, str]:
    """What identifies a compiled version: its text's hash (and its modules'), and its file."""
    digest = version.sha256 + "".join(f"+{m.sha256}" for m in version.modules)
    return digest, version.file


def load_module(path: str | Path) -> Ruleset:
    """Check the module file ``path`` on its own: it is compiled as the only include of an
    empty ruleset (id ``module``), so that every error is located in the module. The ruleset
    starts on the first day every dated parameter has a value (what its laws are tried on)."""
    path = Path(path)
    probe = str(path.with_name(f"<check of {path.name}>.yaml"))
    version = _probe(path, probe, dt.date(1900, 1, 1))
    dated = [values[0][0] for _, values in version.program.dated if values]
    if dated and max(dated) > dt.date(1900, 1, 1):
        version = _probe(path, probe, max(dated))
    return Ruleset([version])


def _probe(path: Path, probe: str, start: dt.date) -> Version:
    text = (
        'cmrules: 1\nid: module\nversion: "check"\ntitle: {zh: 模块, en: Module}\n'
        f"effective_from: {start.isoformat()}\ninclude: [{json.dumps(path.name)}]\n"
    )
    result = load_text(text, probe)
    if isinstance(result, Version):
        return result
    for issue in result:  # the probe's include line is no place to show
        if issue.file == probe:
            raise RulesetError([Issue(issue.code, issue.message, str(path), 1, 1)])
    raise RulesetError([_unprobed(issue, probe) for issue in result])


def _unprobed(issue: Issue, probe: str) -> Issue:
    message = issue.message.replace(f", included at {probe}:6:11)", ")")
    message = message.replace(f" (included at {probe}:6:11)", "")
    return Issue(issue.code, message, issue.file, issue.line, issue.column, issue.rule_id, issue.excerpt)


def is_module(path: Path) -> bool:
    """A YAML file whose first key is ``module:`` (a module, not a ruleset)."""
    try:
        with path.open(encoding="utf-8") as handle:
            head = handle.read(4096)
    except (OSError, UnicodeDecodeError):
        return False
    return re.search(r"^module\s*:", head, re.MULTILINE) is not None and not re.search(
        r"^id\s*:", head, re.MULTILINE
    )


#: Every live version by (sha256 of its text, file): what unpickling one finds first.
_loaded: weakref.WeakValueDictionary[tuple[str, str], Version] = weakref.WeakValueDictionary()
#: The versions unpickling compiled lately, kept alive for the next tasks of a worker process.
_kept: dict[tuple[str, str], Version] = {}
_KEEP = 32
_lock = threading.Lock()


def restore_version(
    source: str, file: str, sha256: str, modules: tuple[tuple[str, str, str], ...] = ()
) -> Version:
    """The version of ``source`` (named ``file``, whose text hashes to ``sha256``): the one
    this process already holds, else ``source`` compiled once (a pickled version's reconstructor).

    Raises ``ValueError`` when the text does not hash to ``sha256``, and :class:`RulesetError`
    when this cmrules no longer compiles it. ``modules`` are the included modules' (file,
    sha256, text): the version is compiled with those texts, never with the files of this machine."""
    key = (sha256 + "".join(f"+{digest}" for _, digest, _ in modules), file)
    with _lock:
        version = _loaded.get(key)
        if version is None:
            if hashlib.sha256(source.encode("utf-8")).hexdigest() != sha256:
                raise ValueError(f"pickled ruleset {file}: its text does not match its sha256 {sha256}")
            for name, digest, text in modules:
                if hashlib.sha256(text.encode("utf-8")).hexdigest() != digest:
                    raise ValueError(f"pickled module {name}: its text does not match its sha256 {digest}")
            texts = {os.path.normpath(name): text for name, _, text in modules}
            result = load_text(source, file, texts) if texts else load_text(source, file)
            if not isinstance(result, Version):
                raise RulesetError(result)
            version = result
        _kept.pop(key, None)
        _kept[key] = version
        while len(_kept) > _KEEP:
            del _kept[next(iter(_kept))]
    return version


def _reduce_version(version: Version) -> tuple[Any, ...]:
    if version.source is None:
        raise TypeError(f"version {version.version} of {version.file} has no source text to pickle")
    modules = tuple((m.file, m.sha256, m.text) for m in version.modules)
    if modules:
        return restore_version, (version.source, version.file, version.sha256, modules)
    return restore_version, (version.source, version.file, version.sha256)


# Registered here, beside the compiler: the ruleset module below cannot import it.
copyreg.pickle(Version, _reduce_version)


def _check_plan(versions: list[Version]) -> list[Issue]:
    issues: list[Issue] = []
    if len(versions) < 2:
        return issues
    ids = {v.doc.id for v in versions}
    ordered = sorted(versions, key=lambda v: v.doc.effective_from)
    if len(ids) > 1:
        issues.append(
            Issue(
                "plan.version",
                f"versions of one plan must share one id, found {sorted(ids)}",
                ordered[-1].file,
                1,
                1,
            )
        )
    for a, b in pairwise(ordered):
        if a.doc.effective_from == b.doc.effective_from:
            issues.append(
                Issue(
                    "plan.version",
                    f"versions {a.version} and {b.version} start on the same day {a.doc.effective_from}",
                    b.file,
                    1,
                    1,
                )
            )
        elif a.doc.effective_to is not None and a.doc.effective_to >= b.doc.effective_from:
            issues.append(
                Issue(
                    "plan.version",
                    f"version {a.version} runs to {a.doc.effective_to}, past the start of {b.version}",
                    a.file,
                    1,
                    1,
                )
            )
    return issues
