"""Writing files so that a reader never sees half of one.

Every file flopcast writes goes to a temporary name in the same folder and is renamed over
the target only when complete (``os.replace`` is atomic on one file system). An interrupted
or failed write leaves the previous file, if any, untouched, and the error names the file.
A folder of files (a report) is built in a temporary sibling and swapped in whole
(:func:`atomic_folder`).

Examples
--------
>>> import tempfile
>>> target = Path(tempfile.mkdtemp()) / "out.txt"
>>> write_text_atomic(target, "hello\\n").read_text()
'hello\\n'
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO


@contextlib.contextmanager
def atomic_path(target: str | Path) -> Iterator[Path]:
    """A temporary path beside ``target``; renamed over it when the block ends cleanly.

    Use it for writers that want a file name (``to_netcdf``, ``savefig``). On an exception
    the temporary file is removed and ``target`` is left as it was.
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".partial", dir=target.parent)
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


@contextlib.contextmanager
def atomic_open(
    target: str | Path, mode: str = "w", encoding: str | None = "utf-8"
) -> Iterator[IO]:
    """``open`` for writing, through :func:`atomic_path` (text mode by default)."""
    binary = "b" in mode
    with (
        atomic_path(target) as tmp,
        open(
            tmp, mode, encoding=None if binary else encoding, newline=None if binary else ""
        ) as handle,
    ):
        yield handle
        handle.flush()
        os.fsync(handle.fileno())


def write_text_atomic(target: str | Path, text: str, encoding: str = "utf-8") -> Path:
    """Write ``text`` to ``target`` atomically; return the path."""
    with atomic_open(target, "w", encoding=encoding) as handle:
        handle.write(text)
    return Path(target)


def write_bytes_atomic(target: str | Path, data: bytes) -> Path:
    """Write ``data`` to ``target`` atomically; return the path."""
    with atomic_open(target, "wb") as handle:
        handle.write(data)
    return Path(target)


def _carry_over(old: Path, new: Path) -> None:
    """Copy into ``new`` every entry of ``old`` that ``new`` lacks (hard links when possible)."""
    for entry in old.iterdir():
        target = new / entry.name
        if target.exists() or (entry.name.startswith(".") and entry.name.endswith(".partial")):
            continue
        if entry.is_dir():
            shutil.copytree(entry, target, copy_function=_link_or_copy)
        else:
            _link_or_copy(entry, target)


def _link_or_copy(source: str | Path, target: str | Path) -> None:
    try:
        os.link(source, target)
    except OSError:
        shutil.copy2(source, target)


@contextlib.contextmanager
def atomic_folder(target: str | Path) -> Iterator[Path]:
    """A temporary folder beside ``target``, swapped in whole when the block ends cleanly.

    Write every file of the folder into the yielded path. On success, entries of an earlier
    ``target`` that the new folder lacks (a kept ``fit.nc``, files of your own) are copied
    in, the earlier folder is renamed aside, the new one renamed to ``target`` and the old
    one removed: a reader sees the old folder or the new one, never a mix (for an instant
    between the two renames ``target`` is absent). On an exception or Ctrl-C the temporary
    folder is removed, ``target`` is untouched, and a file-system error names the file in
    ``target`` that could not be written.
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".partial", dir=target.parent))
    try:
        try:
            yield tmp
        except OSError as exc:
            for attr in ("filename", "filename2"):
                name = getattr(exc, attr)
                if name is not None and str(name).startswith(str(tmp)):
                    setattr(exc, attr, str(target) + str(name)[len(str(tmp)) :])
            raise
        old = None
        if target.exists():
            _carry_over(target, tmp)
            old = Path(
                tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".old", dir=target.parent)
            )
            old.rmdir()  # a free name beside target, for the rename
            os.replace(target, old)
        os.replace(tmp, target)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
