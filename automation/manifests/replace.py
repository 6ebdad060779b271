"""Replacing many files' contents atomically, without freeing an inode per file.

In: (path, bytes) pairs, one `FileReplacer` per run. Out: each path holds the new bytes, and a
reader (or a crash of this process) sees either the old or the new content, never a mix.

`write_atomically` (a temporary file renamed over the old one) frees the old file's inode
and blocks on every write; on ext4 with `discard`, as on this project's VMs, that costs 1-4 ms
a file: more than everything else a 1,000-file update does. Here one spare file is written
with the new bytes and then swapped with the target in one step (Linux `renameat2` with
`RENAME_EXCHANGE`, man 2 rename); the spare then holds the old inode, which the next file
reuses, and only the last one is deleted. An inode is reused only when no other name links
to it and it belongs to us, so hard links and ownership come out as `write_atomically`
leaves them. Where the exchange is not available (another OS, a filesystem without it, a
target on another filesystem), a file falls back to `write_atomically`.

`renameat2` is not in `os`; the one small PyPI wrapper is unmaintained, so it is called
through ctypes from the C library (glibc >= 2.28, musl >= 1.2.5).
"""

from __future__ import annotations

import ctypes
import errno
import os
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from types import TracebackType

_AT_FDCWD = -100
_RENAME_EXCHANGE = 2  # <linux/fs.h>
Exchange = Callable[[str, str], None]


def _exchange_function() -> Exchange | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        renameat2 = ctypes.CDLL(None, use_errno=True).renameat2
    except (OSError, AttributeError):
        return None
    renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p]
    renameat2.argtypes += [ctypes.c_uint]
    renameat2.restype = ctypes.c_int

    def exchange(one: str, other: str) -> None:
        encoded = os.fsencode(one), os.fsencode(other)
        if renameat2(_AT_FDCWD, encoded[0], _AT_FDCWD, encoded[1], _RENAME_EXCHANGE) != 0:
            code = ctypes.get_errno()
            raise OSError(code, os.strerror(code), one, None, other)

    return exchange


_EXCHANGE = _exchange_function()
# The exchange cannot be done here; the file gets `write_atomically` instead.
_UNSUPPORTED = frozenset({errno.EINVAL, errno.ENOSYS, errno.EXDEV, errno.EOPNOTSUPP})


class FileReplacer:
    """`replace(path, data)` for many files; `close()` (or `with`) removes the spare."""

    def __init__(self, exchange: Exchange | None = _EXCHANGE) -> None:
        self._exchange = exchange
        self._spare: str | None = None

    def __enter__(self) -> FileReplacer:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        if self._spare is not None:
            Path(self._spare).unlink(missing_ok=True)
            self._spare = None

    def replace(self, path: Path, data: bytes) -> None:
        if self._exchange is None:
            write_atomically(path, data)
            return
        status = path.stat()
        spare = self._spare_for(path)
        fd = os.open(spare, os.O_WRONLY)
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
            os.ftruncate(fd, len(data))
            os.fchmod(fd, status.st_mode & 0o7777)
        finally:
            os.close(fd)
        try:
            self._exchange(spare, str(path))
        except OSError as err:
            if err.errno not in _UNSUPPORTED:
                raise
            self.close()
            self._exchange = None  # the same would happen for the next file
            write_atomically(path, data)
            return
        # The spare now holds the old inode: keep it for the next file only if nothing else
        # links to it and it is ours (else the next write would show through those).
        old = os.stat(spare)
        if old.st_nlink != 1 or old.st_uid != os.geteuid() or old.st_gid != os.getegid():
            self.close()

    def _spare_for(self, path: Path) -> str:
        if self._spare is None:
            spare = os.path.join(path.parent, f".image-automation-{os.getpid()}.spare")
            os.close(os.open(spare, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600))
            self._spare = spare
        return self._spare


def write_atomically(path: Path, data: bytes) -> None:
    """Replace `path` with `data` via a temporary file in the same directory; keep the mode.

    No fsync: the files live in a git worktree that is committed right after, and a crash
    leaves either the old or the new content (the rename is atomic), never a torn file.
    """
    mode = path.stat().st_mode & 0o7777
    tmp, fd = _temporary(path, mode)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
        os.fchmod(fd, mode)  # the umask applied at creation
    except BaseException:
        os.close(fd)
        Path(tmp).unlink(missing_ok=True)
        raise
    os.close(fd)
    try:
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _temporary(path: Path, mode: int) -> tuple[str, int]:
    """A new file next to `path`: named after it and this process (cheap; `mkstemp`'s random
    names cost ~5 us a file), or by `mkstemp` when that name is taken."""
    tmp = os.path.join(path.parent, f".{path.name}.{os.getpid()}.tmp")
    try:
        return tmp, os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    except FileExistsError:  # another thread's write, or a leftover of a crash
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        return tmp, fd
