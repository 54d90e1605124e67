"""The one reader of OUT/records, as CONTRACT.md defines it: every `*.parquet` file under
`register_type=<T>/volume_id=<ID>/`, whatever it is called (hotich writes `records.parquet`;
other tools write `part-0.parquet`, `part-1.parquet`...), read through `pyarrow.dataset` with
hive partitioning, as `pandas.read_parquet("OUT/records")` does.

Every stage that reads records (dedup, review, export, report, status) goes through here, so
they all see the same files. Files whose names start with "." or "_" are skipped, as
pyarrow.dataset skips them: "." are the atomic writers' temporary files, "_" metadata files.
Partition values are taken from the folder names as written (no URI decoding): a volume id is
the folder name after "volume_id=", as `write_volume` wrote it.

A file that cannot be read raises `RecordsError` naming the file and the reason: a reader
never skips it silently (its records would vanish from dedup, exports and counts).
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq

from schemas.arrow import PARTITION_COLUMNS, SCHEMAS
from schemas.errors import BadInputError
from schemas.fields import REGISTER_TYPES

RECORDS_DIR = "records"
# Partition columns in the order readers get them (after the file columns).
_PARTS = ("volume_id", "register_type")


class RecordsError(BadInputError):
    """OUT/records holds a file that cannot be read, or no records where some are expected."""


@dataclass(frozen=True)
class RecordFile:
    """One Parquet file of the records dataset, with what invalidates caches of it.

    Attributes:
        register_type, volume_id: its partition (from the folder names).
        path: the file; mtime_ns, size: its stat at listing time.
    """

    register_type: str
    volume_id: str
    path: Path
    mtime_ns: int
    size: int

    @property
    def stamp(self) -> tuple[str, int, int]:
        return str(self.path), self.mtime_ns, self.size


def records_dir(out: Path) -> Path:
    return Path(out) / RECORDS_DIR


def _visible(name: str) -> bool:
    return not name.startswith((".", "_"))


def record_files(out: Path, register_type: str | None = None,
                 volume_id: str | None = None) -> list[RecordFile]:
    """Every record file under OUT/records (optionally of one type and/or volume), sorted by
    type, volume and path. Files in subfolders of a volume folder count too (a dataset
    writer may nest further partitions)."""
    found = []
    types = REGISTER_TYPES if register_type is None else (register_type,)
    for rtype in types:
        base = records_dir(out) / f"register_type={rtype}"
        if not base.is_dir():
            continue
        with os.scandir(base) as it:
            parts = sorted((d.name, d.path) for d in it
                           if d.name.startswith("volume_id=") and d.is_dir())
        for name, folder in parts:
            vol = name.split("=", 1)[1]
            if volume_id is not None and vol != volume_id:
                continue
            for root, dirs, files in os.walk(folder):
                dirs[:] = sorted(d for d in dirs if _visible(d))
                for f in sorted(files):
                    if f.endswith(".parquet") and _visible(f):
                        p = Path(root) / f
                        try:
                            st = p.stat()
                        except FileNotFoundError:  # replaced or removed since listed
                            continue
                        found.append(RecordFile(rtype, vol, p, st.st_mtime_ns, st.st_size))
    return found


def volumes(out: Path, register_type: str | None = None) -> list[tuple[str, str]]:
    """(register_type, volume_id) of every volume with at least one record file, sorted."""
    seen: dict[tuple[str, str], None] = {}
    for f in record_files(out, register_type):
        seen.setdefault((f.register_type, f.volume_id), None)
    return list(seen)


def _why(path: Path, register_type: str, deep: bool = False) -> str | None:
    """Why one file cannot be read as records of `register_type` (None: it can); `deep`
    also reads its data (to find the file behind a failed read)."""
    try:
        schema = pq.read_schema(path)
    except (OSError, pa.ArrowException) as e:
        return f"not a readable Parquet file ({str(e).splitlines()[0]})"
    want = SCHEMAS[register_type]
    for name in schema.names:
        if name in want.names and not _castable(schema.field(name).type,
                                                want.field(name).type):
            return (f"column {name} is {schema.field(name).type}, "
                    f"expected {want.field(name).type}")
    if "record_id" not in schema.names:
        return "no record_id column"
    if not deep:
        return None
    try:
        pq.read_table(path)
    except (OSError, pa.ArrowException) as e:
        return f"unreadable data ({str(e).splitlines()[0]})"
    return None


def _castable(have: pa.DataType, want: pa.DataType) -> bool:
    if have == want or pa.types.is_null(have):
        return True
    if pa.types.is_dictionary(have):
        have = have.value_type
    if pa.types.is_string(want):
        return pa.types.is_string(have) or pa.types.is_large_string(have)
    if pa.types.is_integer(want) or pa.types.is_floating(want):
        return pa.types.is_integer(have) or pa.types.is_floating(have)
    if pa.types.is_list(want):
        return pa.types.is_list(have) or pa.types.is_large_list(have)
    return False


def check_files(files: Sequence[RecordFile], deep: bool = False) -> None:
    """Raise RecordsError naming the first file that cannot be read as records (footer and
    column types; `deep`: the data too)."""
    for f in files:
        why = _why(f.path, f.register_type, deep)
        if why:
            raise RecordsError(f"{f.path}: {why}")


def dataset(files: Sequence[RecordFile], register_type: str) -> ds.Dataset:
    """The files of one register type as a pyarrow dataset (the contract's schema, hive
    partition columns as plain strings). Columns a file lacks read as null."""
    part = ds.HivePartitioning(pa.schema([("register_type", pa.string()),
                                          ("volume_id", pa.string())]),
                               segment_encoding="none")
    schema = SCHEMAS[register_type]
    for c in _PARTS:
        schema = schema.append(pa.field(c, pa.string()))
    return ds.dataset([str(f.path) for f in files], schema=schema, format="parquet",
                      partitioning=part, partition_base_dir=str(records_dir_of(files[0])))


def records_dir_of(f: RecordFile) -> Path:
    """OUT/records of a record file (the hive base directory)."""
    p = f.path.parent
    while not p.name.startswith("register_type="):
        p = p.parent
    return p.parent


def empty_table(register_type: str, columns: Sequence[str] | None = None) -> pa.Table:
    """An empty records table with the columns `read_records` would give."""
    schema = SCHEMAS[register_type]
    if columns is not None:
        schema = pa.schema([schema.field(c) for c in columns if c not in PARTITION_COLUMNS],
                           metadata=schema.metadata)
    for c in _PARTS:
        schema = schema.append(pa.field(c, pa.string()))
    return schema.empty_table()


def read_files(files: Sequence[RecordFile], register_type: str,
               columns: Sequence[str] | None = None) -> pa.Table:
    """The records of the given files (all of one register type), file by file in order,
    with the partition columns `volume_id` and `register_type` last.

    Raises:
        RecordsError: a file cannot be read (named, with the reason).
    """
    files = list(files)
    if not files:
        return empty_table(register_type, columns)
    cols = None if columns is None else \
        [c for c in columns if c not in PARTITION_COLUMNS] + list(_PARTS)
    try:
        t = dataset(files, register_type).to_table(columns=cols)
    except (OSError, pa.ArrowException) as e:
        check_files(files, deep=True)  # names the culprit
        raise RecordsError(f"{records_dir_of(files[0])}: cannot read the records "
                           f"({str(e).splitlines()[0]})") from None
    return t


def read_records(out: Path, register_type: str, volume_id: str | None = None,
                 columns: Sequence[str] | None = None) -> pa.Table:
    """All records of one register type (optionally one volume), with the partition columns
    `volume_id` and `register_type` as plain strings. `columns` (file columns) reads only
    those, which is much faster for wide tables.

    Raises:
        RecordsError: a record file cannot be read (named, with the reason).
    """
    return read_files(record_files(out, register_type, volume_id), register_type, columns)


def count_records(files: Sequence[RecordFile]) -> int:
    """Rows in the given files, from their footers (no data read).

    Raises:
        RecordsError: a file's footer cannot be read.
    """
    n = 0
    for f in files:
        try:
            n += pq.read_metadata(f.path).num_rows
        except (OSError, pa.ArrowException) as e:
            raise RecordsError(f"{f.path}: not a readable Parquet file "
                               f"({str(e).splitlines()[0]})") from None
    return n


def require_records(out: Path, strict: bool = True) -> list[RecordFile]:
    """The record files of OUT, checked: each readable, and records among them.

    For readers that have nothing to do without records (dedup, export): zero records is an
    error with the reason, never a quiet "nothing to do". `strict=False` (exports, which
    report a bad book and write the others) leaves unreadable files to the caller and only
    fails when no file is readable or the readable ones hold no rows.

    Raises:
        RecordsError: OUT/records is missing, holds no record file, a file is unreadable,
            or the files hold no rows.
    """
    base = records_dir(out)
    if not base.is_dir():
        raise RecordsError(f"{base} does not exist: run `hotich run ... --out {out}` first")
    files = record_files(out)
    if not files:
        raise RecordsError(f"{base}: no record files (register_type=T/volume_id=ID/*.parquet)")
    if strict:
        check_files(files)
        rows, errors = count_records(files), []
    else:
        rows, errors = 0, []
        for f in files:
            try:
                rows += count_records([f])
            except RecordsError as e:
                errors.append(e)
        if errors and len(errors) == len(files):
            raise errors[0]  # not one file readable
    if rows == 0 and not errors:
        raise RecordsError(f"{base}: {len(files)} record file(s) but no records in them")
    return files
