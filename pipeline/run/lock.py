"""One hotich run per output folder at a time (an OS file lock, released even on SIGKILL)."""
from __future__ import annotations

import fcntl
import os
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from schemas.errors import BadInputError

LOCK_NAME = ".hotich.lock"


@contextmanager
def out_lock(out: Path) -> Iterator[None]:
    """Hold OUT's lock for the block.

    Raises:
        BadInputError: another hotich run holds it (the message gives its pid).
    """
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    fd = os.open(out / LOCK_NAME, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            other = os.pread(fd, 32, 0).decode(errors="replace").strip() or "?"
            raise BadInputError(f"{out}: another hotich run (pid {other}) is writing this "
                                f"output folder; wait for it or use another --out") from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        yield
    finally:
        os.close(fd)  # closing releases the lock


def is_locked(out: Path) -> bool:
    """True while a run holds OUT's lock (for `hotich status`: running vs killed)."""
    path = Path(out) / LOCK_NAME
    if not path.exists():
        return False
    fd = os.open(path, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        return False
    except BlockingIOError:
        return True
    finally:
        os.close(fd)
