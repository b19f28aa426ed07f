"""Writing files so that a reader never sees half of one.

Every file flopcast writes goes to a temporary name in the same folder and is renamed over
the target only when complete (``os.replace`` is atomic on one file system). An interrupted
or failed write leaves the previous file, if any, untouched, and the error names the file.

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
