"""The documentation's code blocks are tested: what the docs show is what cmrules does.

Conventions (in ``docs/**/*.md`` and ``README.md``), each marker an HTML comment on the
line right before the fence:

- every ```` ```python ```` block runs, in order, in one fresh namespace per file, with the
  repository root as working directory; ``<!-- no-test -->`` skips one. When the next
  block is an ```` ```output ```` block, the python block's stdout must equal it (a line
  ``...`` in the expected output stands for any number of lines).
- ```` ```yaml ```` after ``<!-- ruleset -->`` must load with ``cmrules.loads_ruleset``;
  after ``<!-- ruleset-error CODE -->`` it must be refused with an error of that code.
  ``<!-- fragment -->`` and ``<!-- fragment-error CODE -->`` do the same after
  prefixing :data:`HEADER`, which the page must show.
- ```` ```yaml ```` after ``<!-- file: PATH -->`` is a shipped file: it must equal the
  file, byte for byte; after ``<!-- part-of: PATH -->`` it must appear in the file verbatim.
- ```` ```console ```` after ``<!-- test -->``: each ``$ cmrules …`` command runs in a
  subprocess and its stdout must equal the lines that follow it (``...`` as above).
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import shlex
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

import cmrules
from cmrules.errors import RulesetError

ROOT = Path(__file__).resolve().parent.parent
DOCS = [*sorted((ROOT / "docs").rglob("*.md")), ROOT / "README.md"]
FENCE = re.compile(r"^```(\w*)[^\n]*\n(.*?)^```[ \t]*$", re.M | re.S)
MARKER = re.compile(r"<!--\s*(.*?)\s*-->\s*$")
#: The five lines that make a fragment a ruleset (docs/language.md shows them).
HEADER = """\
cmrules: 1
id: example
version: "1"
title: {zh: 示例, en: Example}
effective_from: 2024-01-01
"""


@dataclass
class Block:
    lang: str
    text: str
    line: int  # 1-based line of the opening fence
    marker: str  # the HTML comment right before the fence, or ""


def blocks(path: Path) -> list[Block]:
    text = path.read_text(encoding="utf-8")
    out = []
    for match in FENCE.finditer(text):
        before = text[: match.start()].rstrip("\n").rsplit("\n", 1)[-1]
        marker = MARKER.search(before)
        out.append(
            Block(
                match.group(1),
                match.group(2),
                text.count("\n", 0, match.start()) + 1,
                marker.group(1) if marker else "",
            )
        )
    return out


def matches(expected: str, got: str) -> bool:
    """``got`` equals ``expected``, where an expected line ``...`` matches any lines."""
    want = [line.rstrip() for line in expected.rstrip("\n").split("\n")]
    have = [line.rstrip() for line in got.rstrip("\n").split("\n")]

    def walk(i: int, j: int) -> bool:
        if i == len(want):
            return j == len(have)
        if want[i] == "...":
            return any(walk(i + 1, k) for k in range(j, len(have) + 1))
        return j < len(have) and want[i] == have[j] and walk(i + 1, j + 1)

    return walk(0, 0)


def _rel(path: Path) -> str:
    return str(path.relative_to(ROOT))


@pytest.mark.slow
@pytest.mark.parametrize("doc", DOCS, ids=_rel)
def test_python_blocks_run_and_print_what_the_doc_shows(doc: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    found = blocks(doc)
    for i, block in enumerate(found):  # an output nobody checks would be a claim nobody tests
        if block.lang == "output":
            before = found[i - 1] if i else None
            assert before is not None and before.lang == "python" and before.marker != "no-test", (
                f"{_rel(doc)}:{block.line}: an output block follows a tested python block"
            )
    namespace: dict[str, object] = {"__name__": "__doc_example__"}
    for i, block in enumerate(found):
        if block.lang != "python" or block.marker == "no-test":
            continue
        where = f"{_rel(doc)}:{block.line}"
        out = io.StringIO()
        code = compile(block.text, where, "exec")
        with contextlib.redirect_stdout(out):
            exec(code, namespace)  # the documentation's own example code
        following = found[i + 1] if i + 1 < len(found) else None
        if following is not None and following.lang == "output":
            assert matches(following.text, out.getvalue()), (
                f"{where}: the block printed\n{out.getvalue()}\nbut the doc shows\n{following.text}"
            )


@pytest.mark.parametrize("doc", DOCS, ids=_rel)
def test_yaml_blocks_load_or_match_their_files(doc: Path) -> None:
    page = doc.read_text(encoding="utf-8")
    for block in blocks(doc):
        if block.lang != "yaml" or not block.marker:
            continue
        where = f"{_rel(doc)}:{block.line}"
        kind, _, arg = block.marker.partition(" ")
        text = block.text
        if kind.startswith("fragment"):
            assert HEADER in page, f"{where}: a page with fragments shows the header they are loaded after"
            text, kind = HEADER + text, kind.replace("fragment", "ruleset")
        if kind == "ruleset":
            cmrules.loads_ruleset(text, where)
        elif kind == "ruleset-error":
            with pytest.raises(RulesetError) as caught:
                cmrules.loads_ruleset(text, where)
            codes = [e.code for e in caught.value.errors]
            assert arg in codes, f"{where}: expected {arg}, got {codes}"
        elif kind == "file:":
            shipped = (ROOT / arg).read_text(encoding="utf-8")
            assert block.text == shipped, f"{where}: differs from {arg}"
        elif kind == "part-of:":
            shipped = (ROOT / arg).read_text(encoding="utf-8")
            assert block.text in shipped, f"{where}: not found verbatim in {arg}"
        else:
            raise AssertionError(f"{where}: unknown marker {block.marker!r}")


@pytest.mark.slow
@pytest.mark.parametrize("doc", DOCS, ids=_rel)
def test_console_blocks_print_what_the_doc_shows(doc: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    for block in blocks(doc):
        if block.lang != "console" or block.marker != "test":
            continue
        where = f"{_rel(doc)}:{block.line}"
        commands = re.split(r"^\$ ", block.text, flags=re.M)
        assert commands[0] == "", f"{where}: a tested console block starts with '$ '"
        for chunk in commands[1:]:
            command, _, expected = chunk.partition("\n")
            argv = shlex.split(command)
            assert argv[0] == "cmrules", f"{where}: only cmrules commands are run, not {argv[0]}"
            done = subprocess.run(
                [sys.executable, "-m", "cmrules", *argv[1:]],
                cwd=ROOT,
                env=env,
                capture_output=True,
                text=True,
                timeout=120,
            )
            assert done.returncode == 0 and matches(expected, done.stdout), (
                f"{where}: `{command}` exited {done.returncode} and printed\n{done.stdout}{done.stderr}\n"
                f"but the doc shows\n{expected}"
            )


def test_the_conventions_catch_a_wrong_output() -> None:
    """The comparison is real: a different line, or a missing one, fails."""
    assert matches("a\n...\nd\n", "a\nb\nc\nd\n")
    assert matches("a\n...\n", "a\n")
    assert not matches("a\nb\n", "a\nc\n")
    assert not matches("a\n", "a\nb\n")
    assert not matches("a\n...\nd\n", "a\nb\n")


def test_every_doc_page_is_linked_from_the_readme() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for page in DOCS[:-1]:
        rel = page.relative_to(ROOT).as_posix()
        assert f"]({rel})" in readme, f"{rel} is not linked from README.md (add it under Documentation)"
