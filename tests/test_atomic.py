"""Atomic files and folders: leftovers of dead processes, and the folder swap."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

import cmrules.outputs._atomic
from cmrules.outputs._atomic import _HOST, atomic_folder, atomic_write, remove_leftovers

pytestmark = pytest.mark.skipif(os.name != "posix", reason="process liveness is checked on POSIX only")


def _dead_pid() -> int:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def _leftover(target: Path, pid: int, kind: str = "tmp", host: str = _HOST) -> Path:
    return target.parent / f".{target.name}.{host}.{pid}.0123456789ab.{kind}"


def _names(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir())


def test_the_next_write_removes_temporary_files_of_dead_processes(tmp_path: Path) -> None:
    target = tmp_path / "slips.json"
    dead = _leftover(target, _dead_pid())
    dead.write_text("half a run killed with SIGKILL", encoding="utf-8")
    dead_folder = _leftover(tmp_path / "html", _dead_pid())
    dead_folder.mkdir()
    (dead_folder / "B001.html").write_text("page", encoding="utf-8")
    other_target = _leftover(tmp_path / "other.json", _dead_pid())
    other_target.write_text("also dead", encoding="utf-8")
    live = _leftover(target, os.getppid())  # pytest's parent: alive
    other_host = _leftover(target, _dead_pid(), host="elsewhere")
    mine = tmp_path / ".notes.txt"
    for path in (live, other_host, mine):
        path.write_text("not ours to remove", encoding="utf-8")

    atomic_write(target, "[]\n")
    assert target.read_text(encoding="utf-8") == "[]\n"
    assert _names(tmp_path) == sorted([".notes.txt", live.name, other_host.name, "slips.json"])
    # once per folder and process: a second leftover waits for the next run
    dead.write_text("killed again", encoding="utf-8")
    atomic_write(target, "[1]\n")
    assert dead.exists()
    assert remove_leftovers(tmp_path) == [dead]


def test_a_folder_set_aside_by_a_dead_swap_is_put_back(tmp_path: Path) -> None:
    target = tmp_path / "html"
    pid = _dead_pid()
    old = _leftover(target, pid, "old")  # killed between the two renames
    old.mkdir()
    (old / "index.html").write_text("the old run", encoding="utf-8")
    new = _leftover(target, pid, "tmp")
    new.mkdir()
    (new / "index.html").write_text("the new run, never swapped in", encoding="utf-8")
    assert remove_leftovers(tmp_path) == [new]
    assert (target / "index.html").read_text(encoding="utf-8") == "the old run"
    assert _names(tmp_path) == ["html"]


def test_a_set_aside_folder_beside_its_replacement_is_deleted(tmp_path: Path) -> None:
    target = tmp_path / "html"
    target.mkdir()
    old = _leftover(target, _dead_pid(), "old")  # killed after the second rename
    old.mkdir()
    (old / "index.html").write_text("the old run", encoding="utf-8")
    assert remove_leftovers(tmp_path) == [old]
    assert _names(tmp_path) == ["html"]


def test_an_interrupt_between_the_two_renames_puts_the_old_folder_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "html"
    with atomic_folder(target, lambda folder: True) as folder:
        (folder / "index.html").write_text("old", encoding="utf-8")
    renames: list[str] = []
    real_rename = os.rename

    def interrupted(source: Path, destination: Path) -> None:
        renames.append(Path(destination).name)
        if len(renames) == 2:  # the old folder is aside, the new one not yet in place
            raise KeyboardInterrupt
        real_rename(source, destination)

    monkeypatch.setattr(cmrules.outputs._atomic.os, "rename", interrupted)
    with pytest.raises(KeyboardInterrupt), atomic_folder(target, lambda folder: True) as folder:
        (folder / "index.html").write_text("new", encoding="utf-8")
    monkeypatch.undo()
    assert renames[0].endswith(".old") and renames[1] == "html" and renames[2] == "html"
    assert (target / "index.html").read_text(encoding="utf-8") == "old"
    assert _names(tmp_path) == ["html"]


def test_a_failing_folder_write_leaves_nothing(tmp_path: Path) -> None:
    target = tmp_path / "html"
    with pytest.raises(RuntimeError), atomic_folder(target, lambda folder: True) as folder:
        (folder / "B001.html").write_text("page", encoding="utf-8")
        raise RuntimeError("disk on fire")
    assert _names(tmp_path) == []


def test_the_folder_keeps_its_permissions(tmp_path: Path) -> None:
    target = tmp_path / "html"
    target.mkdir()
    target.chmod(0o750)
    with atomic_folder(target, lambda folder: True) as folder:
        (folder / "index.html").write_text("x", encoding="utf-8")
    assert target.stat().st_mode & 0o777 == 0o750


def test_an_interrupt_the_instant_after_a_temporary_is_created_leaves_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from cmrules.cli import main
    from cmrules.outputs import _write

    created = _write.PairWriter.__init__

    def interrupted(self: _write.PairWriter, out: Path, fmt: str) -> None:
        created(self, out, fmt)  # the slips' temporary file exists now
        raise KeyboardInterrupt  # before the writer is inside its ``with`` block

    monkeypatch.setattr(_write.PairWriter, "__init__", interrupted)
    root = Path(__file__).resolve().parent.parent
    out = tmp_path / "slips.jsonl"
    ruleset, month = root / "rulesets" / "bar_customer_manager.yaml", root / "examples" / "bar_month.csv"
    assert main(["run", str(ruleset), str(month), "-o", str(out)]) == 130
    assert list(tmp_path.iterdir()) == []


def test_drop_own_temporaries_spares_committed_files(tmp_path: Path) -> None:
    from cmrules.outputs._atomic import StagedFile, commit_staged, drop_own_temporaries

    kept, lost = StagedFile(tmp_path / "kept.txt"), StagedFile(tmp_path / "lost.txt")
    kept.write(b"whole")
    commit_staged([(tmp_path / "kept.txt", kept.finish())])
    lost.write(b"half")
    drop_own_temporaries()
    assert [p.name for p in tmp_path.iterdir()] == ["kept.txt"]
    assert (tmp_path / "kept.txt").read_bytes() == b"whole"
