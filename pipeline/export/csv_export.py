"""`hotich export OUT --format csv`: one UTF-8 CSV per register type, all volumes (or one).

DEST/<register_type>.csv has the columns register_type, volume_id, then the record columns
in schema order (schemas/arrow.py). Encoding, so that a reader gets the values back:
- null is an empty cell; text is quoted when it needs to be (commas, quotes, newlines);
- list columns (flags, bbox, F_bbox) are JSON arrays: ["low_confidence:sex"], [120,340,2210,402];
- needs_review is true/false; confidences are decimal numbers (0..1);
- dates are the records' ISO 8601 strings as they are ("1965-03-12", "1965-03", "1965"):
  text, never re-typed as dates, so a reduced date keeps its precision;
- the file starts with a UTF-8 byte-order mark (EF BB BF) by default, so that Excel opens
  it as UTF-8 and shows the Vietnamese letters; `--no-bom` leaves it out for tools that
  take the mark for part of the first column's name.
Read it back with `read_csv_export(path)` (pandas), or pandas.read_csv with
`encoding="utf-8-sig", dtype=csv_dtypes(type), keep_default_na=False, na_values=[""]` and
json.loads on the lists.

Written volume by volume through pyarrow's CSV writer, so memory stays flat.
"""
from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv

from pipeline.export.common import volumes
from schemas.arrow import SCHEMAS
from schemas.atomic import atomic_path
from schemas.parquet_io import read_records



def list_columns(register_type: str) -> tuple[str, ...]:
    """The schema's list columns (flags, bbox, F_bbox): written as JSON arrays."""
    return tuple(f.name for f in SCHEMAS[register_type] if pa.types.is_list(f.type))
BOM = b"\xef\xbb\xbf"


def csv_schema(register_type: str) -> pa.Schema:
    """The CSV's columns and their Arrow types (lists as JSON text)."""
    fields = [pa.field("register_type", pa.string()), pa.field("volume_id", pa.string())]
    lists = list_columns(register_type)
    for f in SCHEMAS[register_type]:
        fields.append(pa.field(f.name, pa.string()) if f.name in lists else f.with_nullable(True))
    return pa.schema(fields)


def _to_csv_table(table: pa.Table, schema: pa.Schema) -> pa.Table:
    cols = []
    for f in schema:
        col = table.column(f.name)
        if pa.types.is_list(col.type):
            col = pa.array([None if v is None else json.dumps(v, ensure_ascii=False, separators=(",", ":"))
                            for v in col.to_pylist()], pa.string())
        cols.append(col)
    return pa.Table.from_arrays(cols, schema=schema)


def export_csv(out: Path, dest: Path, volume: str | None = None, bom: bool = True) -> list[Path]:
    """Write DEST/<register_type>.csv for every register type with records.

    Args:
        out: the output folder.
        dest: the folder for the CSV files.
        volume: only this volume id.
        bom: start each file with a UTF-8 byte-order mark (the default: Excel needs it to
            read UTF-8); False for tools that do not expect one.
    Returns:
        The files written.
    Raises:
        BadInputError: `volume` has no records.
    """
    by_type: dict[str, list[str]] = {}
    for rtype, vol in volumes(out, volume):
        by_type.setdefault(rtype, []).append(vol)
    written = []
    for rtype, vols in by_type.items():
        schema = csv_schema(rtype)
        path = Path(dest) / f"{rtype}.csv"
        with atomic_path(path) as tmp, open(tmp, "wb") as f:
            if bom:
                f.write(BOM)
            with pacsv.CSVWriter(f, schema) as writer:
                for vol in vols:
                    t = read_records(out, rtype, vol)
                    writer.write_table(_to_csv_table(t, schema))
        written.append(path)
    return written


def csv_dtypes(register_type: str) -> dict[str, str]:
    """pandas dtypes that give the CSV's values back as written (text stays text: "0125")."""
    out = {}
    for f in csv_schema(register_type):
        t = f.type
        if pa.types.is_string(t):
            out[f.name] = "string"
        elif pa.types.is_floating(t):
            out[f.name] = "float32" if t == pa.float32() else "float64"
        elif pa.types.is_integer(t):
            out[f.name] = "Int32"
        elif pa.types.is_boolean(t):
            out[f.name] = "boolean"
    return out


def read_csv_export(path: Path, register_type: str | None = None):
    """Read an exported CSV back into a pandas DataFrame with the records' values.

    Args:
        path: DEST/<register_type>.csv (a BOM is accepted).
        register_type: defaults to the file name's stem.
    Returns:
        A DataFrame; flags and bbox are Python lists again (None when null).
    """
    import pandas as pd

    rtype = register_type or Path(path).stem
    df = pd.read_csv(path, dtype=csv_dtypes(rtype), keep_default_na=False, na_values=[""],
                     encoding="utf-8-sig")
    for c in list_columns(rtype):
        df[c] = [None if pd.isna(v) else json.loads(v) for v in df[c]]
    return df
