"""What every export shares: which volumes exist, which records go out, file names, and
for the XML exports (ALTO, PAGE) text, confidences, boxes, page images and schema checks."""
from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

from schemas.atomic import atomic_path
from schemas.errors import BadInputError
from schemas.records_io import RECORDS_DIR, require_records
from schemas.records_io import volumes as record_volumes

UNREVIEWED = (None, "", "unreviewed")
# Characters XML 1.0 does not allow (OCR can emit them); dropped from exported text.
NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def volumes(out: Path, volume: str | None = None,
            require: bool = True) -> list[tuple[str, str]]:
    """(register_type, volume_id) of every volume under OUT/records with a record file
    (any *.parquet, schemas.records_io), sorted.

    Args:
        out: the output folder.
        volume: keep only this volume id.
        require: without `volume`, no records at all is an error (exports); False for
            readers that also describe an empty folder (the report).
    Raises:
        BadInputError: `volume` was given but has no records; without `volume`, OUT/records
            holds no records or an unreadable file (records_io.require_records).
    """
    if volume is None and require:
        require_records(out, strict=False)  # nothing to export is an error, with the reason
    found = [(t, v) for t, v in record_volumes(out) if volume is None or v == volume]
    if volume is not None and not found:
        raise BadInputError(f"{out}: no records for volume {volume!r} under {RECORDS_DIR}/")
    return found


def is_unreviewed_flag(record: dict) -> bool:
    """A record still flagged that nobody has reviewed (accepted or corrected)."""
    return bool(record.get("needs_review")) and record.get("review_status") in UNREVIEWED


_UNSAFE = re.compile(r"[^\w.-]+", re.UNICODE)


def safe_name(text: str) -> str:
    """A file-name-safe form of a book or entry number: "125/1965" -> "125-1965"."""
    name = _UNSAFE.sub("-", str(text)).strip("-.")
    return name or "_"


def copy_image(src: Path, dst: Path) -> None:
    """Put a page image beside its export file (ALTO, PAGE), atomically; a hard link when
    DEST is on the same file system, a copy otherwise; kept when already there."""
    if dst.exists() and dst.stat().st_size == src.stat().st_size:
        return
    with atomic_path(dst) as tmp:
        try:
            tmp.unlink()
            os.link(src, tmp)  # same file system: no copy needed
        except OSError:
            shutil.copyfile(src, tmp)


def unit_conf(value) -> float:
    """A confidence as ALTO and PAGE want it (0..1); a 0..100 Tesseract value is scaled."""
    try:
        c = float(value)
    except (TypeError, ValueError):
        return 0.0
    if c > 1.0:
        c /= 100.0
    return min(1.0, max(0.0, c))


def union_box(boxes: list[list]) -> list[int]:
    """The smallest x0, y0, x1, y1 box holding all `boxes`."""
    return [min(b[0] for b in boxes), min(b[1] for b in boxes),
            max(b[2] for b in boxes), max(b[3] for b in boxes)]


def schema_errors(schema, xml: bytes | str) -> list[str]:
    """Errors of an XML document against an lxml XMLSchema (empty when valid).

    Raises:
        lxml.etree.XMLSyntaxError: the document is not well-formed.
    """
    from lxml import etree

    doc = etree.fromstring(xml.encode() if isinstance(xml, str) else xml)
    if schema.validate(doc):
        return []
    return [f"line {e.line}: {e.message}" for e in schema.error_log]
