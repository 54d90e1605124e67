"""Ground truth as record rows: what a perfect pipeline would write for a generated volume.

Used by schema and contract tests (the rows must fit schemas/arrow.py and CONTRACT.md) and
by scoring code that compares pipeline output with the truth record by record.
"""
from __future__ import annotations

from schemas.fields import all_fields, place_fields
from samples.truth import VolumeTruth


def truth_rows(truth: VolumeTruth, *, config_hash: str = "", pipeline_version: str = "truth"
               ) -> list[dict]:
    """One record row per truth entry, in the register type's schema (no partition columns).

    `F` is the canonical value, `F_raw` the printed text, `F_conf` 1.0 where something was
    printed and 0.0 where the cell is empty; no flags.
    """
    rows = []
    places = set(place_fields(truth.register_type))
    for page in truth.pages:
        for e in page.entries:
            row: dict = {"record_id": e.record_id, "source_file": truth.source_file,
                         "page": page.page, "row": e.row, "bbox": list(e.bbox),
                         "layout": truth.layout}
            for f in all_fields(truth.register_type):
                row[f] = e.fields.get(f)
                row[f + "_raw"] = e.cells.get(f)
                row[f + "_conf"] = 1.0 if e.cells.get(f) else 0.0
                if f in places:
                    row[f + "_code"] = None
            row.update(flags=[], needs_review=False, review_status="unreviewed",
                       image_sha256=None, config_hash=config_hash, pipeline_version=pipeline_version)
            rows.append(row)
    return rows
