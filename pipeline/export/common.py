"""What every export shares: which volumes exist, which records go out, file names."""
from __future__ import annotations

import re
from pathlib import Path

from schemas.errors import BadInputError
from schemas.records_io import RECORDS_DIR, require_records
from schemas.records_io import volumes as record_volumes

UNREVIEWED = (None, "", "unreviewed")


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
