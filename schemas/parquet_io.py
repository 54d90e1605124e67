"""The one Parquet writer and reader for records: schema-checked, hive-partitioned, atomic."""
from __future__ import annotations

from pathlib import Path
from typing import Iterable, Mapping, Sequence

import pyarrow as pa
import pyarrow.parquet as pq

from schemas.arrow import PARTITION_COLUMNS, SCHEMAS
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
    """Replace one volume's records of one register type, atomically.

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
    return path


def read_records(out: Path, register_type: str, volume_id: str | None = None,
                 columns: Sequence[str] | None = None) -> pa.Table:
    """All records of one register type (optionally one volume), with the partition columns
    `register_type` and `volume_id` added as plain strings. `columns` (file columns) reads
    only those, which is much faster for wide tables."""
    base = Path(out) / RECORDS_DIR / f"register_type={register_type}"
    pattern = f"volume_id={volume_id}" if volume_id is not None else "volume_id=*"
    tables = []
    cols = None if columns is None else [c for c in columns if c not in PARTITION_COLUMNS]
    for part in sorted(base.glob(pattern)):
        f = part / VOLUME_FILE
        if not f.exists():
            continue
        t = pq.read_table(f, schema=SCHEMAS[register_type], columns=cols)
        vol = part.name.split("=", 1)[1]
        t = t.append_column("volume_id", pa.array([vol] * t.num_rows, pa.string()))
        tables.append(t.append_column("register_type",
                                      pa.array([register_type] * t.num_rows, pa.string())))
    if not tables:
        schema = SCHEMAS[register_type]
        if cols is not None:
            schema = pa.schema([schema.field(c) for c in cols], metadata=schema.metadata)
        schema = schema.append(pa.field("volume_id", pa.string()))
        return schema.append(pa.field("register_type", pa.string())).empty_table()
    return pa.concat_tables(tables)
