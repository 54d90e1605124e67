"""Atomic small-file writes (temp file in the same folder, fsync, rename), for page results,
page images, manifests and exports. Records go through schemas/parquet_io.write_parquet_atomic."""
from __future__ import annotations

import json
import os
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Any, BinaryIO, Iterator

import numpy as np


@contextmanager
def atomic_file(path: Path, *, fsync: bool = True) -> Iterator[BinaryIO]:
    """A binary file that replaces `path` only when the block ends without error: a reader
    or a crash sees the old file or the new one, never half of one.

    The temporary name starts with '.' in the same folder (rename is atomic only within a
    file system), so dataset readers and globs for `*.json` skip it.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            yield f
            if fsync:
                f.flush()
                os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


@contextmanager
def atomic_path(path: Path) -> Iterator[Path]:
    """Yield a hidden temporary path beside `path`; rename it over `path` on success: for
    libraries that write to a file name themselves (openpyxl, zipfile, Jinja output).

    A reader (or a crash) sees the old file or the new one, never half of one.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        yield Path(tmp)
        # mkstemp makes the file private (0600); exports are meant to be shared.
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_bytes_atomic(path: Path, data: bytes, *, fsync: bool = True) -> None:
    """Replace `path` with `data` atomically (see atomic_file)."""
    with atomic_file(path, fsync=fsync) as f:
        f.write(data)


def _jsonable(value: Any) -> Any:
    """json.dumps fallback for what page readers naturally return (numpy scalars, arrays)."""
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, (set, frozenset)):
        return sorted(value)
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def dumps(obj: Any) -> str:
    """JSON text as hotich writes it (UTF-8, stable key order, numpy-tolerant)."""
    return json.dumps(obj, ensure_ascii=False, sort_keys=True, default=_jsonable)


def write_json_atomic(path: Path, obj: Any, *, fsync: bool = True) -> None:
    """Atomically replace `path` with `obj` as JSON."""
    write_bytes_atomic(path, dumps(obj).encode("utf-8"), fsync=fsync)


def read_json(path: Path) -> Any | None:
    """The JSON in `path`, or None when it is missing or unreadable (a torn file from a
    foreign writer: ours are atomic, so this only guards against hand edits)."""
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except (FileNotFoundError, ValueError, UnicodeDecodeError):
        return None


def remove_stale_temps(folder: Path) -> None:
    """Delete temporary files that a killed writer left in `folder` (names '.x.<rand>.tmp').

    Only safe while this process holds the output folder's lock (pipeline/run/lock.py).
    """
    folder = Path(folder)
    if folder.is_dir():
        for p in folder.glob(".*.tmp"):
            p.unlink(missing_ok=True)
