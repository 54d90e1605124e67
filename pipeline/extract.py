"""Field extraction: recognised cells -> record rows (schemas/arrow.py columns).

Per field F: the cell text is `F_raw`; normalize.field.normalize_field gives the value (and
F_code for places); `F_conf` = recognition confidence x normalisation confidence. Flags, each
`reason:F`: low_confidence, invalid_date, missing_required, ocr_disagreement (a second read
with other preprocessing normalises differently), normalize's own reasons, and the
configs' cross-field rules; entry-level `unmapped_column` / `layout_uncertain` stay bare.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable

from configs.loader import Config
from normalize.checks import cross_field_flags
from normalize.field import normalize_field
from ocr.entry import Entry
from ocr.recognize import CellText
from schemas.fields import all_fields, field_kind, place_fields
from schemas.records import Normalized

PIPELINE_VERSION = "0.1.0"
# A cell is re-read (second opinion) when its recognition confidence is below this, or
# normalisation had something to say about it.
DOUBT_CONF = 0.92
_ENTRY_LABEL = re.compile(r"^\s*(s[oốồổỗộóòỏõọ0o]\s*(tt|thứ tự|thu tu|đăng ký)?\s*[:.]\s*)", re.I)

Reread = Callable[[CellText], str | None]


@dataclass(frozen=True)
class Provenance:
    """What every record of one page shares."""

    volume_id: str
    source_file: str
    page: int
    layout: str
    image_sha256: str
    config_hash: str
    pipeline_version: str = PIPELINE_VERSION


def strip_entry_label(raw: str) -> str:
    """ "Số: 125" -> "125" (the contract's entry_no has no label)."""
    return _ENTRY_LABEL.sub("", raw, count=1).strip()


def _year(iso: str | None) -> int | None:
    return int(iso[:4]) if iso and iso[:4].isdigit() else None


def _normalize(field: str, raw: str | None, year: int | None) -> Normalized:
    if field == "entry_no" and raw:
        raw = strip_entry_label(raw)
    return normalize_field(field, raw, register_year=year)


def extract_record(entry: Entry, register_type: str, prov: Provenance, cfg: Config,
                   reread: Reread | None = None) -> dict:
    """One record row from one entry's cells.

    Args:
        entry: the entry's cells (field -> CellText).
        register_type: birth | death | marriage.
        prov: the page's provenance.
        cfg: thresholds (low_confidence, dates) and the register's rules/required fields.
        reread: optional second-opinion reader: cell -> text read with other preprocessing.

    Returns:
        A dict with exactly the record schema's columns (no partition columns).
    """
    reg = cfg.registers[register_type]
    places = set(place_fields(register_type))
    row: dict = {
        "record_id": f"{prov.volume_id}:{prov.page:04d}:{entry.row:02d}",
        "source_file": prov.source_file, "page": prov.page, "row": entry.row,
        "bbox": [int(v) for v in entry.bbox], "layout": prov.layout,
    }
    flags: list[str] = list(entry.flags)
    # the registration year resolves two-digit years of the other dates
    reg_cell = entry.cells.get("registration_date")
    year = _year(_normalize("registration_date", reg_cell.text if reg_cell else None, None).value)
    values: dict[str, str | None] = {}
    for f in all_fields(register_type):
        cell = entry.cells.get(f)
        raw = cell.text if cell is not None and cell.text else None
        n = _normalize(f, raw, year)
        rec_conf = cell.conf if raw else 1.0
        value = n.value
        fflags = [fl if ":" in fl else f"{fl}:{f}" for fl in n.flags]
        if raw and reread is not None and (rec_conf < DOUBT_CONF or n.flags or value is None):
            alt_raw = reread(cell)
            alt = _normalize(f, alt_raw, year) if alt_raw else None
            if alt is None or alt.value != value:
                fflags.append(f"ocr_disagreement:{f}")
                # keep the reading normalisation is happier with (the flag stays either way)
                if alt is not None and alt.value is not None and (value is None or (not alt.flags and n.flags)):
                    value, n, raw = alt.value, alt, alt_raw
                    fflags = [fl if ":" in fl else f"{fl}:{f}" for fl in alt.flags]
                    fflags.append(f"ocr_disagreement:{f}")
        conf = rec_conf * n.conf if cell is not None else None
        if raw and conf is not None and conf < cfg.low_confidence:
            fflags.append(f"low_confidence:{f}")
        if raw and value is None and field_kind(f) == "date":
            fflags.append(f"invalid_date:{f}")
        if value is None and reg.fields[f].required:
            fflags.append(f"missing_required:{f}")
        row[f] = value
        row[f + "_raw"] = raw
        row[f + "_conf"] = None if conf is None else round(float(conf), 4)
        if f in places:
            row[f + "_code"] = n.code
        values[f] = value
        flags.extend(fflags)
    flags.extend(cross_field_flags(register_type, values, reg.rules,
                                   min_year=cfg.min_year, max_year=cfg.max_year))
    flags = list(dict.fromkeys(flags))
    row.update(flags=flags, needs_review=bool(flags), review_status="unreviewed",
               image_sha256=prov.image_sha256, config_hash=prov.config_hash,
               pipeline_version=prov.pipeline_version)
    return row
