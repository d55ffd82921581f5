"""The slips file and its errors file as one generation, bound by a run record.

A run with a file output writes three files side by side:

- ``OUT``: the slips;
- ``OUT.errors.json``: the employees that failed (only when some did);
- ``OUT.run.json``: the run record, naming both files with their SHA-256 (``errors`` is
  null when no employee failed).

All three are written and fsynced under temporary names first (the slips as they are
paid, :class:`PairWriter`) (a kill, a full disk or
an error then leaves the previous run's files untouched), then renamed into place one
right after the other, the run record last. The reader's rule: trust ``OUT`` and its
errors file only when the run record matches both (:func:`verify_output`); otherwise the
last run did not finish (or a file was changed or deleted since) and it must be run again.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from cmrules.outputs._atomic import StagedFile, commit_staged

__all__ = [
    "RUN_RECORD_KIND",
    "OutputCheck",
    "PairWriter",
    "errors_path",
    "run_record_path",
    "verify_output",
    "write_pair",
]

#: The ``kind`` of a run record, with its version.
RUN_RECORD_KIND = "cmrules-run-output/1"


def errors_path(out: str | Path, fmt: str) -> Path:
    """Where failures go: ``<out>.errors.json``, or ``<dir>/errors.json`` for an HTML folder."""
    out = Path(out)
    return out / "errors.json" if fmt == "html" else out.with_name(out.name + ".errors.json")


def run_record_path(out: str | Path) -> Path:
    """The run record of a slips file: ``<out>.run.json``."""
    out = Path(out)
    return out.with_name(out.name + ".run.json")


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class PairWriter:
    """One generation written as it comes: the slips streamed to a temporary file, hashed on
    the way; :meth:`commit` stages the errors file and the run record and renames all three
    into place (the run record last); :meth:`discard` leaves the previous generation as it was.
    """

    def __init__(self, out: Path, fmt: str) -> None:
        self.out, self.fmt = out, fmt
        self._file = StagedFile(out)
        self._hash = hashlib.sha256()
        self.size = 0

    def write(self, data: bytes) -> None:
        """Append ``data`` to the slips file."""
        self._file.write(data)
        self._hash.update(data)
        self.size += len(data)

    @contextlib.contextmanager
    def restart(self) -> Iterator[IO[bytes]]:
        """Start the slips file anew; yield a reader of what had been written (then removed)."""
        old = self._file
        self._file, self._hash, self.size = StagedFile(self.out), hashlib.sha256(), 0
        try:
            with open(old.finish(), "rb") as reader:
                yield reader
        finally:
            old.discard()

    def commit(self, slip_count: int, errors: bytes | None, error_count: int) -> None:
        """Stage the errors file (``None``: remove it) and the run record; rename all into place."""
        out, errors_file = self.out, errors_path(self.out, self.fmt)
        record = {
            "kind": RUN_RECORD_KIND,
            "format": self.fmt,
            "slips": {"file": out.name, "sha256": self._hash.hexdigest(), "count": slip_count},
            "errors": None
            if errors is None
            else {"file": errors_file.name, "sha256": _sha256(errors), "count": error_count},
        }
        text = (json.dumps(record, ensure_ascii=False, indent=2) + "\n").encode("utf-8")
        extra: list[StagedFile] = []
        try:
            staged: list[tuple[Path, Path | None]] = [(out, self._file.finish())]
            if errors is None:
                staged.append((errors_file, None))
            else:
                extra.append(StagedFile(errors_file))
                extra[-1].write(errors)
                staged.append((errors_file, extra[-1].finish()))
            extra.append(StagedFile(run_record_path(out)))
            extra[-1].write(text)
            staged.append((run_record_path(out), extra[-1].finish()))
        except BaseException:
            for staged_file in extra:
                staged_file.discard()
            self.discard()
            raise
        commit_staged(staged)

    def discard(self) -> None:
        """Remove the temporary slips file; the previous generation stays whole."""
        self._file.discard()


def write_pair(
    out: Path, fmt: str, slips: bytes, slip_count: int, errors: bytes | None, error_count: int
) -> None:
    """Replace ``out``, its errors file (removed when ``errors`` is None) and its run record together."""
    writer = PairWriter(out, fmt)
    try:
        writer.write(slips)
    except BaseException:
        writer.discard()
        raise
    writer.commit(slip_count, errors, error_count)


@dataclass(frozen=True)
class OutputCheck:
    """What :func:`verify_output` found: ``complete`` or the ``problem`` that says why not."""

    complete: bool
    problem: str | None = None
    record: dict[str, Any] = field(default_factory=dict)


def _file_sha256(path: Path) -> str | None:
    try:
        return _sha256(path.read_bytes())
    except FileNotFoundError:
        return None


def verify_output(out: str | Path) -> OutputCheck:
    """Are ``out`` and ``out.errors.json`` the complete output of one run? (the reader's rule)

    True when the run record ``out.run.json`` exists, names the SHA-256 of ``out``, and
    either names that of the errors file or says there is none (and there is none).
    """
    out = Path(out)
    record_file = run_record_path(out)
    try:
        record = json.loads(record_file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return OutputCheck(
            False, f"{record_file.name} is missing: the run that wrote {out.name} did not finish"
        )
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        return OutputCheck(False, f"{record_file.name} cannot be read: {exc}")
    if not isinstance(record, dict) or record.get("kind") != RUN_RECORD_KIND:
        return OutputCheck(False, f"{record_file.name} is not a cmrules run record")
    slips, errors = record.get("slips") or {}, record.get("errors")
    if _file_sha256(out) != slips.get("sha256"):
        return OutputCheck(False, f"{out.name} is not the file its run record names", record)
    fmt = str(record.get("format", ""))
    errors_file = errors_path(out, fmt)
    found = _file_sha256(errors_file)
    if errors is None and found is not None:
        return OutputCheck(False, f"{errors_file.name} is not from the run that wrote {out.name}", record)
    if errors is not None and found != errors.get("sha256"):
        what = "is missing" if found is None else "is not the file its run record names"
        return OutputCheck(False, f"{errors_file.name} {what}", record)
    return OutputCheck(True, None, record)
