"""Parquet schemas of the record tables, declared once (schema version in the metadata)."""
from __future__ import annotations

import pyarrow as pa

from schemas.fields import REGISTER_TYPES, all_fields, place_fields

SCHEMA_VERSION = "3"  # 2: F_bbox per field; 3: F_perr and hints (older files read them as null)

# Partition columns live in the hive path, not in the files: storing them in both makes
# pyarrow refuse to merge the dataset ("string vs dictionary").
PARTITION_COLUMNS: tuple[str, ...] = ("register_type", "volume_id")

_HEAD = [
    pa.field("record_id", pa.string(), nullable=False),
    pa.field("source_file", pa.string()),
    pa.field("page", pa.int32(), nullable=False),
    pa.field("row", pa.int32(), nullable=False),
    pa.field("bbox", pa.list_(pa.int32())),
    pa.field("layout", pa.string()),  # "ledger" | "form"
]
_TAIL = [
    pa.field("flags", pa.list_(pa.string())),
    # rule flags the error model found unlikely to mark a wrong value (docs/flags.md "Hints"):
    # shown to the reviewer, not forcing review
    pa.field("hints", pa.list_(pa.string())),
    pa.field("needs_review", pa.bool_(), nullable=False),
    pa.field("review_status", pa.string()),  # unreviewed | accepted | corrected
    pa.field("image_sha256", pa.string()),
    pa.field("config_hash", pa.string()),
    pa.field("pipeline_version", pa.string()),
]


def _field_columns(register_type: str) -> list[pa.Field]:
    cols: list[pa.Field] = []
    places = set(place_fields(register_type))
    for f in all_fields(register_type):
        cols += [pa.field(f, pa.string()), pa.field(f + "_raw", pa.string()),
                 pa.field(f + "_conf", pa.float32()),
                 # probability the value is wrong (pipeline/extract/perr.py), calibrated
                 pa.field(f + "_perr", pa.float32()),
                 # the field's own cell (ledger) or value line (form) on the page image:
                 # x0, y0, x1, y1 like bbox; null when the page has no box for it
                 pa.field(f + "_bbox", pa.list_(pa.int32()))]
        if f in places:
            cols.append(pa.field(f + "_code", pa.string()))
    return cols


def record_schema(register_type: str) -> pa.Schema:
    """The file schema of one register type's records (without partition columns)."""
    if register_type not in REGISTER_TYPES:
        raise ValueError(f"unknown register type {register_type!r}")
    return pa.schema(_HEAD + _field_columns(register_type) + _TAIL,
                     metadata={b"hotich_schema_version": SCHEMA_VERSION.encode(),
                               b"register_type": register_type.encode()})


SCHEMAS: dict[str, pa.Schema] = {t: record_schema(t) for t in REGISTER_TYPES}

# record_id, cluster_id: the contract. needs_review: a pair of the cluster's members
# contradicts (pairs.parquet `contradicts`); review_reason: the comparisons, comma separated.
CLUSTERS_SCHEMA = pa.schema([pa.field("record_id", pa.string(), nullable=False),
                             pa.field("cluster_id", pa.string(), nullable=False),
                             pa.field("needs_review", pa.bool_()),
                             pa.field("review_reason", pa.string())])
