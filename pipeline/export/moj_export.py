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
from typing import Callable

from pipeline.export.checks import Violation, check_rows
from pipeline.export.common import is_unreviewed_flag, safe_name, volumes
from pipeline.export.mapping import MojMapping, load_mapping
from pipeline.export.moj import MojRow, cells, header, map_record
from pipeline.export.parallel import Failed, map_tasks
from pipeline.export.pdfcases import PdfOptions, write_case_zip
from pipeline.export.workbook import write_workbook
from schemas.atomic import atomic_path
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
        error: why the book failed (`<ExceptionType>: <message>`; its counts are then 0 and
            its files are the previous export's, if any); empty when it was written.
    """

    volume_id: str
    register_type: str
    folder: Path
    written: int
    held_back: int
    skipped_unreviewed: int
    marked_unreviewed: int
    error: str = ""


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
        options = PdfOptions(mapping.pdf_margin, mapping.pdf_page_max_px, mapping.pdf_page_quality,
                             mapping.pdf_crop_quality)
        written, missing = write_case_zip(out, volume_id, passing, folder / f"{folder.name}_pdf.zip",
                                          book["quyenSo"], entry_col, options)
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


@dataclass(frozen=True)
class BookJob:
    """One book to export and how: a task for a worker process (picklable)."""

    out: Path
    dest: Path
    register_type: str
    volume_id: str
    folder_name: str
    mapping: MojMapping
    include_unreviewed: bool = False
    pdfs: bool = True


def _run_job(job: BookJob) -> BookExport:
    return export_book(job.out, job.dest, job.register_type, job.volume_id, job.mapping,
                       job.include_unreviewed, job.folder_name, job.pdfs)


def book_jobs(out: Path, dest: Path, found: list[tuple[str, str]], mapping: MojMapping,
              include_unreviewed: bool = False, pdfs: bool = True) -> list[BookJob]:
    """The jobs for (register_type, volume_id) books; a volume id used by two register types
    gets one folder per type."""
    ids = [vol for _, vol in found]
    return [BookJob(Path(out), Path(dest), rtype, vol,
                    safe_name(vol if ids.count(vol) == 1 else f"{vol}-{rtype}"), mapping,
                    include_unreviewed, pdfs) for rtype, vol in found]


def export_books(jobs: list[BookJob], workers: int = 1,
                 on_book: Callable[[BookExport], None] | None = None) -> list[BookExport]:
    """Export books, one per task, `workers` at a time.

    Args:
        jobs: the books (book_jobs).
        workers: worker processes (1: in this process). Each book's files are written by one
            process, atomically, so the output does not depend on the number of workers.
        on_book: called in this process with each book's result as it finishes (progress).
    Returns:
        One BookExport per job, in the jobs' order; a book that failed has `error` set and
        the others are still written.
    """
    done: dict[int, BookExport] = {}
    for i, res in map_tasks(_run_job, jobs, workers):
        if isinstance(res, Failed):
            job = jobs[i]
            res = BookExport(job.volume_id, job.register_type, job.dest / job.folder_name,
                             0, 0, 0, 0, error=res.reason)
        if on_book is not None:
            on_book(res)
        done[i] = res
    return [done[i] for i in range(len(jobs))]


def export_moj(out: Path, dest: Path, volume: str | None = None, include_unreviewed: bool = False,
               mapping_file: Path | None = None, pdfs: bool = True, workers: int = 1,
               on_book: Callable[[BookExport], None] | None = None) -> list[BookExport]:
    """Export every book under OUT/records (or one volume) to DEST.

    Args:
        out: the output folder.
        dest: where the books' folders go.
        volume: only this volume id.
        include_unreviewed: also write flagged, unreviewed cases, marked.
        mapping_file: an operator's mapping merged over configs/export_moj.yaml.
        pdfs: write the case PDFs (see export_book).
        workers, on_book: see export_books.
    Returns:
        One BookExport per book (a failed one has `error` set).
    Raises:
        ConfigError: the mapping is invalid.
        BadInputError: `volume` has no records.
    """
    mapping = load_mapping(mapping_file)
    jobs = book_jobs(out, dest, volumes(out, volume), mapping, include_unreviewed, pdfs)
    return export_books(jobs, workers, on_book)
