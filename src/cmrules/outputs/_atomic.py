"""Atomic output: a file or a whole folder replaced all at once, or not at all.

Everything is first written under a hidden temporary name beside its target,
``.<target>.<host>.<pid>.<random>.tmp``, then renamed over the target. The host
and process id in the name let a later run tell the leftovers of a process that
died without cleaning up (SIGKILL, power loss) from the work of a live one: the
first write of a process into a folder removes the dead ones there
(:func:`remove_leftovers`).

A folder is swapped in with two renames (the old folder goes aside as
``.<target>.<host>.<pid>.<random>.old``, the new one takes its place, the old one
is deleted); if the process dies between the two, the next run puts the old
folder back, so a reader only ever finds the old folder or the new one.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import shutil
import socket
import stat
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import IO, Any

__all__ = [
    "StagedFile",
    "atomic_files",
    "atomic_folder",
    "atomic_write",
    "atomic_writer",
    "commit_staged",
    "drop_own_temporaries",
    "remove_leftovers",
]

_HOST = re.sub(r"[^A-Za-z0-9-]", "-", socket.gethostname())[:32] or "host"


# Read from the right: a host name here has no dots, so the target is whatever precedes it.
_LEFTOVER = re.compile(
    r"\.(?P<target>.+)\.(?P<host>[A-Za-z0-9-]+)\.(?P<pid>\d+)\.[0-9a-f]{12}\.(?P<kind>tmp|old)\Z"
)
_cleaned: set[str] = set()  # folders this process has removed leftovers from

#: The temporary files this process has created and not yet renamed or removed. A writer
#: removes its own on an exception, but an interrupt can land between two statements before
#: the writer is inside a ``with`` block or a list that would clean it up (the instant after
#: the file is created): :func:`drop_own_temporaries` removes what is left.
_live: set[Path] = set()


def drop_own_temporaries() -> None:
    """Remove every temporary file this process created and has not renamed or removed yet
    (called when a command is interrupted)."""
    for temp in list(_live):
        _unlink_temp(temp)


def _unlink_temp(temp: Path) -> None:
    """Remove the temporary file ``temp`` (gone already is fine) and forget it."""
    with contextlib.suppress(FileNotFoundError):
        os.unlink(temp)
    _live.discard(temp)


def _rename_temp(temp: Path, target: Path) -> None:
    """Rename the temporary file ``temp`` over ``target`` and forget it."""
    os.replace(temp, target)
    _live.discard(temp)


def _temp_path(target: Path, kind: str) -> Path:
    token = secrets.token_hex(6)
    return target.parent / f".{target.name}.{_HOST}.{os.getpid()}.{token}.{kind}"


def _alive(pid: int) -> bool:
    """Is process ``pid`` running on this host? Unknown counts as alive (its files are kept)."""
    if pid == os.getpid():
        return True
    if os.name != "posix":  # os.kill(pid, 0) would terminate it on Windows
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # EPERM: alive, someone else's
        return True
    return True


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        _delete_folder(path)
    else:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()


def remove_leftovers(folder: str | Path) -> list[Path]:
    """Remove what dead processes of this host left in ``folder``; return what was removed.

    A leftover temporary file or folder is deleted. A set-aside old folder is put back
    when its target is missing (the process died between the two renames of a swap),
    else deleted. Leftovers of live processes and of other hosts are never touched.
    """
    folder = Path(folder)
    try:
        with os.scandir(folder) as entries:
            names = [e.name for e in entries if e.name.startswith(".")]
    except OSError:
        return []
    found = []
    for name in names:
        match = _LEFTOVER.match(name)
        if match and match["host"] == _HOST and not _alive(int(match["pid"])):
            found.append((match["kind"], folder / name, folder / match["target"]))
    removed = []
    # the newest set-aside folder is the one a swap was replacing
    for kind, entry, target in sorted(found, key=lambda f: _mtime(f[1]), reverse=True):
        with contextlib.suppress(OSError):
            if kind == "old" and not os.path.lexists(target):
                os.rename(entry, target)
                continue
            _remove(entry)
            removed.append(entry)
    return removed


def _remove_leftovers_once(folder: Path) -> None:
    """:func:`remove_leftovers` on the first write of this process into ``folder`` (one scan)."""
    key = os.path.abspath(folder)
    if key not in _cleaned:
        _cleaned.add(key)
        remove_leftovers(folder)


def _mtime(path: Path) -> float:
    try:
        return path.lstat().st_mtime
    except OSError:
        return 0.0


def _target_mode(path: Path) -> int | None:
    try:
        return stat.S_IMODE(path.stat().st_mode)
    except FileNotFoundError:
        return None


def _fsync_dir(directory: Path) -> None:
    """Make a rename durable; a no-op where directories cannot be opened (Windows)."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


@contextlib.contextmanager
def atomic_writer(path: str | Path, mode: str = "w", *, encoding: str = "utf-8") -> Iterator[IO[Any]]:
    """Yield a file that replaces ``path`` only when the ``with`` block completes.

    Writes go to a temporary file in the same directory, which is flushed, fsynced and
    renamed over ``path`` (``os.replace``, atomic on POSIX and Windows). On any exception,
    KeyboardInterrupt included, the temporary file is removed and ``path`` is untouched.
    ``mode`` is ``"w"`` (text, no newline translation) or ``"wb"``.
    """
    if mode not in ("w", "wb"):
        raise ValueError(f"mode must be 'w' or 'wb', not {mode!r}")
    path = Path(path)
    _remove_leftovers_once(path.parent)
    # Named before it is created, inside the try: an interrupt at any point removes it.
    temp = _temp_path(path, "tmp")
    try:
        fd = _create(temp, path)
        try:
            if mode == "wb":
                handle: IO[Any] = os.fdopen(fd, "wb")
            else:
                handle = os.fdopen(fd, "w", encoding=encoding, newline="")
        except BaseException:
            os.close(fd)  # not yet owned by a file object
            raise
        with handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        _rename_temp(temp, path)
    except BaseException:
        _unlink_temp(temp)
        raise
    _fsync_dir(path.parent)


def _create(temp: Path, target: Path) -> int:
    """Open the new file ``temp`` for writing, with the mode ``target`` has (if it exists).

    ``O_EXCL`` never reuses a file; 0o666 lets the umask decide, as for ``open()``.
    """
    keep_mode = _target_mode(target)
    _live.add(temp)  # before it exists: an interrupt at any point leaves it known
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
    if keep_mode is not None:
        try:
            os.chmod(temp, keep_mode)
        except BaseException:
            os.close(fd)
            raise
    return fd


def atomic_write(path: str | Path, data: str | bytes) -> None:
    """Replace ``path`` with ``data`` (str is written as UTF-8) all at once or not at all."""
    atomic_files([(Path(path), data.encode("utf-8") if isinstance(data, str) else data)])


def _write_all(fd: int, data: bytes) -> None:
    """``os.write`` until every byte is out (a full disk raises ``OSError(ENOSPC)`` here)."""
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def _stage(path: Path, data: bytes) -> Path:
    """Write ``data`` to a new temporary file beside ``path``, fsynced; return its name."""
    temp = _temp_path(path, "tmp")  # named before it is created: an interrupt at any point removes it
    try:
        fd = _create(temp, path)
        try:
            _write_all(fd, data)
            os.fsync(fd)
        finally:
            os.close(fd)
    except BaseException:
        _unlink_temp(temp)
        raise
    return temp


class StagedFile:
    """A new file written piece by piece under a temporary name beside ``target``.

    :meth:`finish` fsyncs and closes it and returns the temporary name, for
    :func:`commit_staged` to rename; :meth:`discard` removes it. Nothing of it is visible
    under ``target`` until it is committed.
    """

    def __init__(self, target: Path) -> None:
        _remove_leftovers_once(target.parent)
        self.target = target
        self.temp: Path | None = _temp_path(target, "tmp")
        self._fd: int | None = None
        try:
            self._fd = _create(self.temp, target)
        except BaseException:
            self.discard()
            raise

    def write(self, data: bytes) -> None:
        """Append ``data`` (a full disk raises ``OSError(ENOSPC)``)."""
        if self._fd is None:
            raise ValueError(f"the temporary file of {self.target} is closed")
        _write_all(self._fd, data)

    def finish(self) -> Path:
        """Fsync and close the file; return its temporary name."""
        if self._fd is None or self.temp is None:
            raise ValueError(f"the temporary file of {self.target} is closed")
        fd, self._fd = self._fd, None
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
        return self.temp

    def discard(self) -> None:
        """Close and remove the temporary file (nothing happens to ``target``)."""
        fd, self._fd = self._fd, None
        if fd is not None:
            with contextlib.suppress(OSError):
                os.close(fd)
        temp, self.temp = self.temp, None
        if temp is not None:
            _unlink_temp(temp)


def commit_staged(staged: list[tuple[Path, Path | None]]) -> None:
    """Rename each staged temporary file over its target (``None``: remove the target), in
    order, back to back; on an error the temporaries not yet renamed are removed."""
    try:
        for i, (path, temp) in enumerate(staged):
            if temp is None:
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(path)
            else:
                _rename_temp(temp, path)
            staged[i] = (path, None)  # done: nothing of it to clean up
    except BaseException:
        _drop_temporaries(staged)
        raise
    for folder in dict.fromkeys(path.parent for path, _ in staged):
        _fsync_dir(folder)


def _drop_temporaries(staged: Sequence[tuple[Path, Path | None]]) -> None:
    """Remove the temporary files still staged (an interrupted write or commit)."""
    for _, temp in staged:
        if temp is not None:
            _unlink_temp(temp)


def atomic_files(files: Sequence[tuple[Path, bytes | None]]) -> None:
    """Replace several files (``None``: remove it) together, as nearly at once as renames allow.

    Every new content is first written and fsynced under a temporary name beside its
    target; a full disk, an error or an interrupt in that phase removes the temporary
    files and leaves every target untouched. Only then are the renames (and removals)
    done, in the order given, with nothing written between them: the only moment at which
    some targets are new and others old is the few microseconds of those calls.
    """
    staged: list[tuple[Path, Path | None]] = []
    try:
        for path, data in files:
            _remove_leftovers_once(path.parent)
            staged.append((path, None if data is None else _stage(path, data)))
    except BaseException:
        _drop_temporaries(staged)
        raise
    commit_staged(staged)


def _sync() -> None:
    """Flush every written file to disk with one call (POSIX ``sync``) instead of one fsync each."""
    sync = getattr(os, "sync", None)
    if sync is not None:
        sync()


def _unlink(path: str) -> None:
    with contextlib.suppress(OSError):
        os.unlink(path)


def _delete_folder(folder: Path) -> None:
    """Delete a folder of files. The unlinks run in threads: where each one waits for the
    file system (ext4 mounted with ``discard``: 3,000 pages took 10 s one by one) they overlap
    (0.8 s)."""
    with contextlib.suppress(OSError), os.scandir(folder) as entries:
        files = [e.path for e in entries if not e.is_dir(follow_symlinks=False)]
        with ThreadPoolExecutor(max_workers=8) as pool:
            for _ in pool.map(_unlink, files):
                pass
    shutil.rmtree(folder, ignore_errors=True)  # the folder, and anything else put in it


def _swap(new: Path, target: Path) -> None:
    """Rename folder ``new`` to ``target``, replacing (then deleting) an existing ``target``."""
    if not os.path.lexists(target):
        os.rename(new, target)
        return
    old = _temp_path(target, "old")
    try:
        os.rename(target, old)
        os.rename(new, target)
    except BaseException:
        if os.path.lexists(old) and not os.path.lexists(target):  # interrupted between the two
            os.rename(old, target)
        raise
    _delete_folder(old)


@contextlib.contextmanager
def atomic_folder(path: str | Path, replaceable: Callable[[Path], bool]) -> Iterator[Path]:
    """Yield an empty temporary folder that replaces the folder ``path`` when the block completes.

    Files written into it are not fsynced one by one: before the swap one ``sync`` makes
    them all durable. An existing ``path`` must be a folder for which ``replaceable``
    is true (else :class:`FileExistsError`, and nothing is written); it is replaced as a
    whole, so no file of it survives in the new folder. On any exception, KeyboardInterrupt
    included, the temporary folder is removed and ``path`` is untouched.
    """
    path = Path(path)
    _remove_leftovers_once(path.parent)
    if os.path.lexists(path) and not (path.is_dir() and not path.is_symlink() and replaceable(path)):
        raise FileExistsError(f"{path} exists and is not a folder this writer made: not replacing it")
    keep_mode = _target_mode(path)
    temp = _temp_path(path, "tmp")  # named before it is created: an interrupt at any point removes it
    try:
        os.mkdir(temp)
        if keep_mode is not None:
            os.chmod(temp, keep_mode)
        yield temp
        _sync()
        _swap(temp, path)
    except BaseException:
        shutil.rmtree(temp, ignore_errors=True)
        raise
    _fsync_dir(path.parent)
