"""`hotich export OUT --format moj`: per register book, the import workbook, its PDFs and the
checks' report. The I/O shell around moj.py (mapping), checks.py and pdfcases.py.

For every volume (book) under OUT/records, DEST/<volume>/ gets:
    <volume>.xlsx          one row per case, the database's columns (configs/export_moj.yaml)
    <volume>_pdf.zip       one PDF per case, <book>_<entry number>.pdf
    violations.csv         every case held back and why (header only when none)
    cases.csv              workbook row -> record_id, PDF name, review mark
"""
from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from pipeline.export.checks import Violation, check_rows
from pipeline.export.common import atomic_path, is_unreviewed_flag, safe_name, volumes
from pipeline.export.mapping import MojMapping, load_mapping
from pipeline.export.moj import MojRow, cells, header, map_record
from pipeline.export.pdfcases import write_case_zip
from pipeline.export.workbook import write_workbook
from schemas.parquet_io import read_records

VIOLATION_COLUMNS = ["record_id", "page", "row", "column", "value", "rule", "message"]


@dataclass(frozen=True)
class BookExport:
    """What one book's export wrote.

    Attributes:
        volume_id, register_type: the book.
        folder: DEST/<volume>/.
        written: cases in the workbook (each with its PDF).
        held_back: cases failing a check (listed in violations.csv).
        skipped_unreviewed: flagged, unreviewed cases left out (no --include-unreviewed).
        marked_unreviewed: flagged, unreviewed cases written and marked.
    """

    volume_id: str
    register_type: str
    folder: Path
    written: int
    held_back: int
    skipped_unreviewed: int
    marked_unreviewed: int


def _write_csv(path: Path, head: list[str], rows: list[list]) -> None:
    # utf-8-sig: these two files are read by people, in Excel more often than not.
    with atomic_path(path) as tmp:
        with open(tmp, "w", encoding="utf-8-sig", newline="") as f:
            w = csv.writer(f)
            w.writerow(head)
            w.writerows(rows)


def _position(record_id: str) -> tuple[str, str]:
    page, row = record_id.rsplit(":", 2)[1:]
    return str(int(page)), str(int(row))


def export_book(out: Path, dest: Path, register_type: str, volume_id: str,
                mapping: MojMapping, include_unreviewed: bool = False,
                folder_name: str | None = None, pdfs: bool = True) -> BookExport:
    """Export one book: map, check, write PDFs, then the workbook of the cases that passed.

    Args:
        folder_name: DEST's subfolder (default: the volume id).
        pdfs: write the case PDFs (False: workbook and checks only, for a quick look; the
            cases' scans are then not checked).
    Returns:
        Counts of what was written, held back and skipped.
    """
    folder = Path(dest) / (folder_name or safe_name(volume_id))
    book = mapping.book(volume_id)
    records = read_records(out, register_type, volume_id).to_pylist()
    records.sort(key=lambda r: (r["page"], r["row"]))
    rows: list[MojRow] = []
    skipped = 0
    for rec in records:
        unreviewed = is_unreviewed_flag(rec)
        if unreviewed and not include_unreviewed:
            skipped += 1
            continue
        rows.append(map_record(rec, register_type, mapping, book, unreviewed))
    del records

    violations: list[Violation] = check_rows(rows, register_type, mapping)
    bad = {v.record_id for v in violations}
    passing = [r for r in rows if r.record_id not in bad]
    entry_col = mapping.checks.entry_no or mapping.book_columns[0].column
    if pdfs:
        written, missing = write_case_zip(out, volume_id, passing, folder / f"{folder.name}_pdf.zip",
                                          book["quyenSo"], entry_col, mapping.pdf_margin,
                                          mapping.pdf_page_max_px, mapping.pdf_page_quality)
        for m in missing:
            violations.append(Violation(m.record_id, "", "", "no_scan", m.reason))
        pdf_of = {p.record_id: p.name for p in written}
        final = [r for r in passing if r.record_id in pdf_of]
    else:
        pdf_of, final = {}, passing

    marks = include_unreviewed
    write_workbook(folder / f"{folder.name}.xlsx", register_type,
                   header(register_type, mapping, marks), (cells(r, mapping, marks) for r in final))
    _write_csv(folder / "violations.csv", VIOLATION_COLUMNS,
               [[v.record_id, *_position(v.record_id), v.column, v.value, v.rule, v.message]
                for v in violations])
    _write_csv(folder / "cases.csv", ["xlsx_row", "record_id", entry_col, "pdf", "unreviewed"],
               [[i + 2, r.record_id, r.values.get(entry_col, ""), pdf_of.get(r.record_id, ""),
                 "1" if r.unreviewed else ""] for i, r in enumerate(final)])
    return BookExport(volume_id=volume_id, register_type=register_type, folder=folder,
                      written=len(final), held_back=len(rows) - len(final),
                      skipped_unreviewed=skipped,
                      marked_unreviewed=sum(r.unreviewed for r in final))


def export_moj(out: Path, dest: Path, volume: str | None = None, include_unreviewed: bool = False,
               mapping_file: Path | None = None, pdfs: bool = True) -> list[BookExport]:
    """Export every book under OUT/records (or one volume) to DEST.

    Args:
        out: the output folder.
        dest: where the books' folders go.
        volume: only this volume id.
        include_unreviewed: also write flagged, unreviewed cases, marked.
        mapping_file: an operator's mapping merged over configs/export_moj.yaml.
        pdfs: write the case PDFs (see export_book).
    Returns:
        One BookExport per book.
    Raises:
        ConfigError: the mapping is invalid.
        BadInputError: `volume` has no records.
    """
    mapping = load_mapping(mapping_file)
    found = volumes(out, volume)
    ids = [vol for _, vol in found]
    # A volume id used by two register types gets one folder per type.
    return [export_book(out, dest, rtype, vol, mapping, include_unreviewed,
                        safe_name(vol if ids.count(vol) == 1 else f"{vol}-{rtype}"), pdfs)
            for rtype, vol in found]
