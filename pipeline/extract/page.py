"""Read one register page into records: the function the batch runner calls per page.

    process_page(task, image, cfg, engine) -> PageResult

Stages: cleanup (ocr/cleanup) -> layout (ocr/grid: a ruled table means a ledger, else a form)
-> title (register type when the task says auto) -> cells/lines read with Tesseract
(ocr/ledger, ocr/forms) -> field extraction (pipeline/extract) -> page-level checks
(pipeline/pagechecks). A page that cannot be read (corrupt, blank, unknown type or layout)
returns a PageResult with `errors` and no records; it never raises for a bad page.
"""
from __future__ import annotations

import dataclasses
import time
from typing import Callable

import cv2
import numpy as np

from configs.loader import Config, RegisterConfig
from ocr.cleanup import clean_page, turn
from ocr.entry import PageRead, book_year
from ocr.forms import group_entries, read_form, read_lines, rule_mask
from ocr.grid import detect_grid
from ocr.ledger import read_ledger
from ocr.aster import shared_engine
from ocr.recognize import (BLANK_BELOW_PAPER, NEAR_BLANK_GLYPHS, NEARLY_BLANK, CellText, PageInk,
                            glyph_marks, joined_read, line_image, prepare_page, read_engine_line,
                            reread, strip_noise)
from ocr.tesseract import detect_orientation
from ocr.title import classify_title, read_title
from pipeline.extract.pagechecks import check_date_sequence, check_entry_sequence, settle_book_year, year_misreads
from pipeline.extract.perr import ErrorModel, apply_model
from pipeline.extract.record import PIPELINE_VERSION, Provenance, extract_record, normalize_cell, strip_entry_label
from pipeline.ingest.inputs import image_sha256  # one definition: the runner's cache key
from normalize.places import names_a_place
from schemas.fields import field_kind
from schemas.errors import MissingDependencyError
from schemas.layout import ColumnLayout, LabelLayout, PageLayout
from schemas.pages import PageResult, PageTask
from schemas.profile import VolumeProfile
from schemas.records import PageError


def _error(task: PageTask, stage: str, reason: str) -> PageError:
    return PageError(source_file=task.source_file, page=task.page, stage=stage, reason=reason)


def _png(gray: np.ndarray) -> bytes | None:
    # Huffman-only: 0.13 s and 2.2 MB for a 300-dpi ledger page, against 0.35 s / 3 MB with
    # zlib's default strategy at level 3 (the flattened paper's grain defeats LZ77 matching)
    ok, buf = cv2.imencode(".png", gray, [cv2.IMWRITE_PNG_COMPRESSION, 1,
                                          cv2.IMWRITE_PNG_STRATEGY, cv2.IMWRITE_PNG_STRATEGY_HUFFMAN_ONLY])
    return buf.tobytes() if ok else None


def _line_dicts(read: PageRead) -> tuple[dict, ...]:
    out = []
    for e in read.entries:
        for f, cell in e.cells.items():
            for l in cell.lines:
                out.append(_line_dict(l, f, e.row))
    for role, l in read.other_lines:
        out.append(_line_dict(l, None, None, role))
    out.sort(key=lambda d: (d["bbox"][1], d["bbox"][0]))
    return tuple(out)


def _line_dict(l, field, row, role=None) -> dict:
    d = {"bbox": [int(v) for v in l.bbox], "text": l.text, "conf": round(float(l.conf), 4),
         "words": [{"text": t, "conf": round(float(c) / 100.0, 4), "bbox": [int(v) for v in b]}
                   for t, c, b in l.words],
         "field": field, "row": row}
    if role:
        d["role"] = role
    return d


# Tesseract's orientation confidence that overrules the glyph measure's half turn.
OSD_MIN_CONF = 2.0


def upright_by_osd(turned: np.ndarray) -> bool:
    """Is the page, turned as cleanup proposes, upright by Tesseract's orientation detector?
    Only a confident "still upside down" says no; without osd data or text, yes."""
    try:
        got = detect_orientation(turned)
    except MissingDependencyError:
        return True
    return got is None or not (got[0] == 180 and got[1] >= OSD_MIN_CONF)


def reads_as(field: str, text: str) -> bool:
    """Does a cell's text read as a clean value of `field` (no flag from normalisation)? A
    place must resolve to an administrative unit or an institution of one: any words pass
    as a place unflagged ("Công nhân"), so that alone tells no place column."""
    n = normalize_cell(field, text, None)
    if field_kind(field) == "place":
        return names_a_place(n)
    return n.value is not None and not n.flags


def _union(boxes) -> tuple[int, int, int, int] | None:
    boxes = list(boxes)
    if not boxes:
        return None
    return (int(min(b[0] for b in boxes)), int(min(b[1] for b in boxes)),
            int(max(b[2] for b in boxes)), int(max(b[3] for b in boxes)))


def _ledger_layout(grid, lr, title) -> PageLayout:
    fields = lr.columns.fields if lr.columns is not None else (None,) * grid.n_cols
    how = lr.how or ("none",) * grid.n_cols
    heads = lr.headers or ()
    cols = tuple(ColumnLayout(int(grid.cols[i]), int(grid.cols[i + 1]), fields[i],
                              heads[i].text if i < len(heads) else "",
                              heads[i].group if i < len(heads) else None, how[i])
                 for i in range(grid.n_cols))
    return PageLayout("ledger", lr.register_type, title.text, _union(l.bbox for l in title.lines),
                      tuple(int(v) for v in grid.bbox), cols,
                      tuple((int(a), int(b)) for a, b in grid.bands), lr.first_body, lr.number_row,
                      tuple(e.bbox for e in lr.entries))


def _form_layout(rtype, title_text, entries, lines) -> PageLayout:
    title_box = _union(l.bbox for l in lines if title_text and fold_in(l.text, title_text))
    labels = tuple(LabelLayout(text, f, box) for e in entries for f, text, box in e.labels)
    return PageLayout("form", rtype, title_text, title_box, entries=tuple(e.bbox for e in entries),
                      labels=labels)


def fold_in(line: str, title: str) -> bool:
    """Is this line part of the title as classified (the title joins its lines)?"""
    return bool(line.strip()) and line.strip() in title


def with_profile_labels(reg: RegisterConfig, profile: VolumeProfile | None) -> RegisterConfig:
    """The register's label vocabulary with the book's own labels from the profile added."""
    if profile is None or not profile.labels:
        return reg
    fields = dict(reg.fields)
    for text, f in profile.labels:
        if f in fields and text not in fields[f].headers:
            fields[f] = dataclasses.replace(fields[f], headers=fields[f].headers + (text,))
    return dataclasses.replace(reg, fields=fields)


def read_page(engine, gray: np.ndarray, cfg: Config,
              register_type: str | None, profile: VolumeProfile | None = None
              ) -> tuple[PageRead, PageInk]:
    """Layout + recognition of a cleaned page (no records yet).

    With a volume profile, its register type and layout kind are taken, ledger columns are
    mapped by its x-ranges (header not read) and its form labels join the vocabulary; a page
    it does not fit gets `misfit` (and no entries).

    Returns:
        (what was read, the prepared page it was read from).
    """
    grid = detect_grid(gray)
    h, w = gray.shape
    if profile is not None:
        register_type = profile.register_type
        kind = "ledger" if grid is not None else "form"
        if kind != profile.layout:
            why = (f"profile {profile.source or profile.volume_id or '(given)'} does not fit: the page "
                   f"{'has a ruled table' if grid is not None else 'has no ruled table'}, the profile "
                   f"says {profile.layout}")
            return PageRead(kind, register_type, notes=(why,), misfit=why,
                            layout_info=PageLayout(kind, register_type,
                                                   grid_bbox=None if grid is None else grid.bbox)
                            ), prepare_page(gray, grid.line_mask if grid is not None else rule_mask(gray))
    if grid is not None:
        page = prepare_page(gray, grid.line_mask)
        title = read_title(engine, page, (0, 0, w, max(grid.bbox[1] - 2, 0)), cfg)
        rtype = register_type or title.register_type
        notes = []
        if register_type is None and title.register_type is None:
            notes.append(f"title {title.text!r} names no register type" if title.text
                         else "no title found above the table")
        lr = read_ledger(engine, page, grid, cfg, rtype, fits=reads_as, profile=profile)
        other = tuple(("title", l) for l in title.lines) + tuple(("header", l) for l in lr.header_lines)
        return PageRead("ledger", lr.register_type, title.text, lr.entries, other,
                        tuple(notes) + lr.notes, title.seconds + lr.seconds,
                        book_year([l.text for l in title.lines], cfg.min_year, cfg.max_year),
                        _ledger_layout(grid, lr, title), lr.misfit), page
    page = prepare_page(gray, rule_mask(gray), leaders=True)
    lines, seconds = read_lines(engine, page, (0, 0, w, h))
    rtype = register_type
    title_text = ""
    notes: list[str] = []
    flags: tuple[str, ...] = ()
    if rtype is None:
        # the title is among the first lines of words, before any entry (specks and edge
        # marks read as "|" or "'" are no lines of a heading)
        worded = [l.text for l in lines if sum(ch.isalpha() for ch in l.text) >= 3]
        rtype, title_text, _ = classify_title(worded[:6], cfg)
    if rtype is None:
        # no readable title: the register whose labels explain clearly more lines
        counts = sorted((sum(len(e.cells) for e in group_entries(lines, reg, cfg.header_match)[0]), t)
                        for t, reg in cfg.registers.items())[::-1]
        if counts and counts[0][0] > 0 and counts[0][0] > counts[1][0] + 1:
            rtype = counts[0][1]
            notes.append(f"no readable title; type {rtype} decided from form labels")
            flags = ("layout_uncertain",)
        else:
            notes.append("register type unrecognised: no title and no form labels")
            return PageRead(None, None, title_text, (), tuple(("text", l) for l in lines),
                            tuple(notes), seconds), page
    fr = read_form(engine, page, with_profile_labels(cfg.registers[rtype], profile), cfg,
                   lines=lines, flags=flags, fits=reads_as)
    if not fr.entries:
        notes.append("no ruled table and no 'Label: value' entries: layout unrecognised")
        why = None
        if profile is not None:
            why = (f"profile {profile.source or profile.volume_id or '(given)'} does not fit: no "
                   f"form label of the profile's {rtype} register found on the page")
        return PageRead(None, rtype, title_text, (), tuple(("text", l) for l in lines),
                        tuple(notes), seconds, misfit=why), page
    used = {id(l) for e in fr.entries for c in e.cells.values() for l in c.lines}
    other = tuple(("text", l) for l in lines if id(l) not in used)
    first_y = min(e.bbox[1] for e in fr.entries)
    year = book_year([l.text for l in lines if l.bbox[3] <= first_y], cfg.min_year, cfg.max_year)
    return PageRead("form", rtype, title_text, fr.entries, other, tuple(notes), seconds, year,
                    _form_layout(rtype, title_text, fr.entries, lines)), page


def _rereader(engine, page: PageInk, second=None):
    """Second-opinion reads of a cell's lines at another scale (ocr.recognize.SCALES), or
    ("joined") its last two lines side by side as one, or ("second") each line by the
    second recogniser (`second`, an ocr.aster engine)."""

    def run(cell: CellText, variant: str) -> tuple[str | None, float]:
        if variant == "joined":
            r = joined_read(engine, page, cell.lines[-2:])
            return (r.text or None), r.conf
        parts, confs = [], []
        for l in cell.lines:
            r = (read_engine_line(second, line_image(page.gray, l.bbox, page.char_h)[0])
                 if variant == "second" else reread(engine, page, l, variant))
            words = strip_noise(list(r.words))
            if words:
                parts.append(" ".join(w[0] for w in words))
                confs.append(min(w[1] for w in words) / 100.0)
        return (" ".join(parts) or None), (min(confs) if confs else 0.0)

    return run


def engines(cfg: Config, engine) -> tuple[object, Callable[[], object]]:
    """(the primary recogniser, a maker of the other one) for `cfg.primary`: the worker's
    Tesseract engine (`engine`) and this process's one second-recogniser engine
    (ocr.aster.shared_engine). "aster" reads with the second recogniser first, Tesseract
    re-reading doubtful cells; "tesseract" (and "auto", which the runner resolves per volume
    before a page is read) the other way round. An `engine` that is not Tesseract (a bench
    passing the second recogniser itself) is used as given."""
    if cfg.primary == "aster":
        return shared_engine(), lambda: engine
    return engine, shared_engine


def process_page(task: PageTask, image: np.ndarray, cfg: Config, engine) -> PageResult:
    """Read one page into records.

    Args:
        task: which page (volume_id, source_file, page; register_type None = auto).
        image: the page as loaded (RGB or gray uint8).
        cfg: the loaded configuration.
        engine: a tesserocr engine from ocr.tesseract.make_engine() (SINGLE_LINE).

    Returns:
        PageResult with
        - image_sha256: image_sha256(image) (shape, dtype and pixels of the image as given);
        - register_type: the task's, else the one the title names (None when unknown);
        - layout: "ledger" | "form" (None when unrecognised);
        - records: one dict per entry, top to bottom, with exactly the columns of
          schemas.arrow.SCHEMAS[register_type] (no partition columns); record_id
          `<volume_id>:<page:04d>:<row:02d>`; bbox on the cleaned image;
        - cleaned_png: the cleaned (border-whitened, flattened, rotated, deskewed) page as a
          grayscale PNG, the image every bbox refers to;
        - lines: every recognised line {"bbox", "text", "conf", "words": [{"text", "conf"
          0..1, "bbox"}], "field", "row"} (+ "role": title/header/text for lines outside
          entries), page pixels of cleaned_png, for ALTO;
        - errors: (source_file, page, stage, reason) with stage "load", "cleanup" or
          "layout" when no records could be produced (corrupt or blank page, unknown
          register type or layout); records are then empty;
        - timings: seconds for "cleanup", "layout_ocr", "ocr" (inside Tesseract, layout
          stage), "extract", "total".
        Never raises for a bad page (cv2/ValueError during cleanup become errors).
    """
    t0 = time.perf_counter()
    timings: dict[str, float] = {}
    try:
        sha = image_sha256(image)
    except (TypeError, ValueError, BufferError) as e:
        return PageResult(task, "", None, None,
                          errors=(_error(task, "load", f"not an image array: {e}"),))
    a = np.asarray(image) if image is not None else None
    if a is None or a.ndim not in (2, 3) or a.size == 0 or min(a.shape[:2]) < 32:
        shape = None if a is None else a.shape
        return PageResult(task, sha, task.register_type, None,
                          errors=(_error(task, "load", f"unusable page image (shape {shape})"),))
    try:
        cleaned = clean_page(a, confirm_turn=upright_by_osd)
    except (cv2.error, ValueError) as e:
        return PageResult(task, sha, task.register_type, None,
                          errors=(_error(task, "cleanup", f"{type(e).__name__}: {str(e).splitlines()[0]}"),))
    gray = cleaned.gray
    timings["cleanup"] = time.perf_counter() - t0
    # Ink is measured against the page's own paper tone: faded typewriter ink on a
    # flattened page can stay above a fixed 128 threshold everywhere.
    # (prepare_page finds no text on such a page by the same measure)
    if float((gray < float(np.median(gray[::4, ::4])) - BLANK_BELOW_PAPER).mean()) < NEARLY_BLANK:
        return PageResult(task, sha, task.register_type, None, cleaned_png=_png(gray), timings=timings,
                          blank="blank page: no ink after cleanup")
    marks = glyph_marks(gray)
    if marks < NEAR_BLANK_GLYPHS:
        return PageResult(task, sha, task.register_type, None, cleaned_png=_png(gray), timings=timings,
                          blank=f"near-blank leaf: {marks} glyph-sized mark(s), no text to read")
    t1 = time.perf_counter()
    engine, second = engines(cfg, engine)
    read, page = read_page(engine, gray, cfg, task.register_type, task.profile)
    if (read.register_type is None or read.layout is None or read.misfit) and not upright_by_osd(gray):
        # an upside-down scan the glyph measure missed: Tesseract's orientation detector
        # (asked only for pages that could not be read) turns it, and it is read again
        gray = turn(gray, 180)
        read, page = read_page(engine, gray, cfg, task.register_type, task.profile)
    timings["layout_ocr"] = time.perf_counter() - t1
    png = _png(gray)  # once the page is the way up it is read
    timings["ocr"] = read.ocr_seconds
    errors = []
    info = read.layout_info.as_dict() if read.layout_info is not None else None
    if read.misfit:
        errors.append(_error(task, "profile", read.misfit))
    elif read.register_type is None or read.layout is None:
        errors.append(_error(task, "layout", "; ".join(read.notes) or "layout unrecognised"))
    if errors:
        return PageResult(task, sha, read.register_type, read.layout, cleaned_png=png,
                          lines=_line_dicts(read), errors=tuple(errors), timings=timings,
                          layout_info=info)
    if not read.entries:
        # Ink (not a blank leaf) but no entry: a page of values the reader could not find
        # must be seen as a failure, never pass as a page done with nothing on it.
        errors.append(_error(task, "layout", "no entries found on a page with ink"
                             + (f" ({'; '.join(read.notes)})" if read.notes else "")))
        return PageResult(task, sha, read.register_type, read.layout, cleaned_png=png,
                          lines=_line_dicts(read), errors=tuple(errors), timings=timings,
                          layout_info=info)
    required = {f for f, spec in cfg.registers[read.register_type].fields.items() if spec.required}
    inferred = {fl.split(":", 1)[1] for e in read.entries for fl in e.flags
                if fl.startswith(("column_inferred:", "column_guessed:"))}
    by_header = {f for e in read.entries for f in e.cells} - inferred
    if read.entries and not by_header & required and len(inferred & required) * 2 < len(required):
        # No header names a required field and the cells tell fewer than half of them
        # (headers torn off or unreadable, or a book of another register): its values would
        # land in the wrong fields, so the page fails instead of yielding rows of guesses.
        errors.append(_error(task, "layout", f"no column maps to a required {read.register_type} field "
                                             f"({', '.join(sorted(required))}): headers unreadable or "
                                             "not this register's"))
        return PageResult(task, sha, read.register_type, read.layout, cleaned_png=png,
                          lines=_line_dicts(read), errors=tuple(errors), timings=timings,
                          layout_info=info)
    t2 = time.perf_counter()
    prov = Provenance(task.volume_id, task.source_file, task.page, read.layout, sha, cfg.hash,
                      PIPELINE_VERSION)
    rr = _rereader(engine, page, second() if cfg.second_reader != "off" else None)
    year = settle_book_year(read.book_year,
                            [e.cells["registration_date"].text for e in read.entries if "registration_date" in e.cells],
                            [strip_entry_label(e.cells["entry_no"].text) for e in read.entries if "entry_no" in e.cells])
    records = tuple(year_misreads(check_date_sequence(check_entry_sequence(
        [extract_record(e, read.register_type, prov, cfg, rr, year) for e in read.entries])),
        year))
    # F_perr for every field; flags and needs_review from the silent-error target
    records = tuple(apply_model(list(records), read.register_type, ErrorModel.load(), cfg.silent_target))
    timings["extract"] = time.perf_counter() - t2
    timings["total"] = time.perf_counter() - t0
    return PageResult(task, sha, read.register_type, read.layout, records=records,
                      cleaned_png=png, lines=_line_dicts(read), errors=tuple(errors),
                      timings=timings, layout_info=info)
