"""Pure core of the MoJ workbook: one record -> one row of the database's columns.

Values are written as the database takes them: dates dd.mm.yyyy or yyyy, codes from the
mapping's tables (sex 1 Nam, 2 Nữ, 3 not known), text as recorded.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from pipeline.export.mapping import ColumnSpec, MojMapping

_ISO = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")


@dataclass(frozen=True)
class MojRow:
    """One case ready for the workbook.

    Attributes:
        record_id: the record it came from.
        page: the page (1-based position in the volume) holding the entry.
        bbox: the entry's box on the cleaned page image, or None.
        values: workbook column -> cell text ("" when empty), in workbook order.
        unreviewed: flagged and not reviewed (exported only with --include-unreviewed).
        flags: the record's flags.
    """

    record_id: str
    page: int
    bbox: tuple[int, int, int, int] | None
    values: dict[str, str]
    unreviewed: bool = False
    flags: tuple[str, ...] = ()


def format_date(iso: str | None, month_year: str = "year") -> tuple[str, str | None]:
    """An ISO date (reduced precision allowed) as the database writes it.

    Args:
        iso: "1965-03-12", "1965-03", "1965" or None.
        month_year: "year" writes "1965-03" as "1965"; "mm.yyyy" writes "03.1965".
    Returns:
        (text, note): text is "12.03.1965", "1965", "" ...; note says what precision was
        dropped ("03.1965"), else None. Text that is not an ISO date is returned unchanged,
        so the length check lists it.
    """
    if iso is None or iso == "":
        return "", None
    m = _ISO.match(iso)
    if not m:
        return iso, None
    y, mo, d = m.groups()
    if d:
        return f"{d}.{mo}.{y}", None
    if mo:
        if month_year == "mm.yyyy":
            return f"{mo}.{y}", None
        return y, f"{mo}.{y}"
    return y, None


def registration_kind(notes: str | None, mapping: MojMapping) -> str:
    """loaiDangKy from the notes: the first rule whose text the notes contain, else default."""
    folded = (notes or "").casefold()
    for rule in mapping.kind_rules:
        if rule.notes_contains in folded:
            return rule.code
    return mapping.kind_default


def _cell(spec: ColumnSpec, record: dict, book: dict[str, str], mapping: MojMapping,
          notes: list[str]) -> str:
    if spec.source is None:
        return spec.value or ""
    raw = book.get(spec.source[5:], "") if spec.source.startswith("book.") else record.get(spec.source)
    if spec.conversion == "registration_kind":
        return registration_kind(raw, mapping)
    if spec.conversion == "date":
        text, dropped = format_date(raw, mapping.month_year)
        if dropped:
            notes.append(f"{spec.column}: {dropped} (chỉ có tháng, năm)")
        return text
    if spec.codes is not None:
        table = mapping.codes[spec.codes]
        if raw is None or raw == "":
            return table.get("missing", "")
        # A value without a code stays as written; the checks list it.
        return table.get(str(raw), str(raw))
    return "" if raw is None else str(raw)


def map_record(record: dict, register_type: str, mapping: MojMapping, book: dict[str, str],
               unreviewed: bool = False) -> MojRow:
    """Map one record (a dict of record columns) to its workbook row.

    Args:
        record: the record's columns (schemas/arrow.py names, partition columns included).
        register_type: birth | death | marriage.
        mapping: the loaded mapping.
        book: the volume's book facts (MojMapping.book).
        unreviewed: the record is flagged and unreviewed; it gets the review mark columns.
    Returns:
        The row; month precision dropped from a date is appended to the notes column
        ("ghiChu"), so it is not lost.
    """
    notes: list[str] = []
    values = {spec.column: _cell(spec, record, book, mapping, notes)
              for spec in mapping.columns(register_type)}
    notes_col = next((c.column for c in mapping.book_columns
                      if c.source == "notes" and c.conversion == "text"), None)
    if notes and notes_col:
        extra = "; ".join(notes)
        values[notes_col] = f"{values[notes_col]}; {extra}" if values[notes_col] else extra
    bbox = record.get("bbox")
    return MojRow(record_id=record["record_id"], page=int(record["page"]),
                  bbox=tuple(int(v) for v in bbox) if bbox is not None and len(bbox) == 4 else None,
                  values=values, unreviewed=unreviewed, flags=tuple(record.get("flags") or ()))


def header(register_type: str, mapping: MojMapping, include_marks: bool) -> list[str]:
    """The workbook's header row."""
    cols = [c.column for c in mapping.columns(register_type)]
    return cols + ([mapping.mark_column, mapping.reasons_column] if include_marks else [])


def cells(row: MojRow, mapping: MojMapping, include_marks: bool) -> list[str]:
    """A row's cells in header order (review marks last when included)."""
    out = list(row.values.values())
    if include_marks:
        out += ["1" if row.unreviewed else "", "; ".join(row.flags) if row.unreviewed else ""]
    return out
