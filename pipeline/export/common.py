"""What every export shares: which volumes exist, which records go out, file names, and
for the XML exports (ALTO, PAGE) text, confidences, boxes, page images and schema checks."""
from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

from schemas.atomic import atomic_path
from schemas.errors import BadInputError
from schemas.fields import REGISTER_TYPES
from schemas.parquet_io import RECORDS_DIR, VOLUME_FILE

UNREVIEWED = (None, "", "unreviewed")
# Characters XML 1.0 does not allow (OCR can emit them); dropped from exported text.
NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def volumes(out: Path, volume: str | None = None) -> list[tuple[str, str]]:
    """(register_type, volume_id) of every volume under OUT/records, sorted.

    Args:
        out: the output folder.
        volume: keep only this volume id.
    Raises:
        BadInputError: `volume` was given but has no records.
    """
    found = []
    for rtype in REGISTER_TYPES:
        base = Path(out) / RECORDS_DIR / f"register_type={rtype}"
        for part in sorted(base.glob("volume_id=*")):
            vol = part.name.split("=", 1)[1]
            if (part / VOLUME_FILE).exists() and (volume is None or vol == volume):
                found.append((rtype, vol))
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
