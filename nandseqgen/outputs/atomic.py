"""Atomic file writes: a temp file in the same folder, fsync, rename.

A reader never sees a partial file, and an interrupted write leaves the
previous version in place.
"""
from __future__ import annotations

import contextlib
import hashlib
import os
import re
import tempfile

#: Temp files of :func:`atomic_open`: ``.NAME.xxxxxxxx.tmp`` (mkstemp's 8 characters).
TMP_PATTERN = re.compile(r"^\..+\.[a-z0-9_]{8}\.tmp$")


def file_mode() -> int:
    """0666 minus the process umask: what ``open()`` would create (mkstemp uses 0600)."""
    old = os.umask(0o022)  # reading the umask means setting it; restored at once
    os.umask(old)
    return 0o666 & ~old


def remove_stale_tmp(directory: str) -> list:
    """Delete the temp files interrupted writes left in ``directory``; returns their names."""
    removed = []
    with contextlib.suppress(FileNotFoundError, NotADirectoryError):
        for name in sorted(os.listdir(directory)):
            if TMP_PATTERN.match(name) and os.path.isfile(os.path.join(directory, name)):
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(os.path.join(directory, name))
                    removed.append(name)
    return removed


@contextlib.contextmanager
def atomic_open(path: str, mode: str = "w", **kw):
    directory = os.path.dirname(os.path.abspath(path)) or "."
    os.makedirs(directory, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix="." + os.path.basename(path) + ".", suffix=".tmp",
                               dir=directory)
    try:
        os.chmod(tmp, file_mode())
        with os.fdopen(fd, mode, **kw) as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def fsync_dir(directory: str) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def file_sha256(path: str) -> str:
    """sha256 hex digest of a file, read in 1 MiB blocks."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()
