"""The one Parquet writer of records: schema-checked, hive-partitioned, atomic.

Reading is schemas/records_io.py (every *.parquet of a partition, not only the file written
here)."""
from __future__ import annotations

from pathlib import Path
from typing import Iterable, Mapping, Sequence

import pyarrow as pa
import pyarrow.parquet as pq

from schemas.arrow import SCHEMAS
from schemas.errors import SchemaError

RECORDS_DIR = "records"
VOLUME_FILE = "records.parquet"


def to_table(rows: Iterable[Mapping], schema: pa.Schema) -> pa.Table:
    """Build a table column by column so that a wrong value names its column.

    Raises:
        SchemaError: a row has a column the schema lacks, or a value of the wrong type.
    """
    rows = list(rows)
    names = set(schema.names)
    for i, r in enumerate(rows):
        extra = set(r) - names - {"register_type", "volume_id"}
        if extra:
            raise SchemaError(f"row {i}: unknown column(s) {sorted(extra)}")
    arrays = []
    for field in schema:
        values = [r.get(field.name) for r in rows]
        if not field.nullable and any(v is None for v in values):
            raise SchemaError(f"column {field.name}: null in a non-null column")
        try:
            arrays.append(pa.array(values, type=field.type))
        except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError, OverflowError) as e:
            raise SchemaError(f"column {field.name}: {e}") from e
    return pa.Table.from_arrays(arrays, schema=schema)


def write_parquet_atomic(table: pa.Table, path: Path) -> None:
    """Write a Parquet file through schemas.atomic.atomic_file (hidden temp file, fsync,
    rename): a reader or a crash sees either the old file or the new one."""
    from schemas.atomic import atomic_file

    with atomic_file(path) as f:
        pq.write_table(table, f, compression="zstd")


def volume_path(out: Path, register_type: str, volume_id: str) -> Path:
    """Where one volume's records of one register type live."""
    return (Path(out) / RECORDS_DIR / f"register_type={register_type}"
            / f"volume_id={volume_id}" / VOLUME_FILE)


def write_volume(out: Path, register_type: str, volume_id: str, rows: Iterable[Mapping]) -> Path:
    """Replace one volume's records of one register type, atomically (any other record
    file of the volume is removed after the new file is in place).

    Raises:
        SchemaError: the rows do not fit the register type's schema.
    """
    if register_type not in SCHEMAS:
        raise SchemaError(f"unknown register type {register_type!r}")
    if not volume_id or "/" in volume_id or volume_id.startswith("."):
        raise SchemaError(f"volume_id {volume_id!r} cannot name a folder")
    table = to_table(rows, SCHEMAS[register_type])
    path = volume_path(out, register_type, volume_id)
    write_parquet_atomic(table, path)
    # The new file replaces the whole volume: other record files of it (part-0.parquet from
    # another writer, read together with ours by records_io) would duplicate its records.
    from schemas.records_io import record_files
    for f in record_files(out, register_type, volume_id):
        if f.path != path:
            f.path.unlink(missing_ok=True)
    return path


def read_records(out: Path, register_type: str, volume_id: str | None = None,
                 columns: Sequence[str] | None = None) -> pa.Table:
    """schemas.records_io.read_records (the one contract reader; kept here for callers)."""
    from schemas.records_io import read_records as read
    return read(out, register_type, volume_id, columns)
