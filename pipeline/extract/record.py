"""Field extraction: recognised cells -> record rows (schemas/arrow.py columns).

Per field F: the cell text is `F_raw`, the cell's box on the page `F_bbox`; normalize.field.normalize_field gives the value (and
F_code for places); `F_conf` = recognition confidence x normalisation confidence. Flags, each
`reason:F`: low_confidence, invalid_date, missing_required, missing_field (a form's label
not found), ocr_disagreement (a second read
with other preprocessing normalises differently), normalize's own reasons, and the
configs' cross-field rules; entry-level `unmapped_column` / `layout_uncertain` stay bare.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, replace
from typing import Callable

from configs.loader import Config
from normalize.checks import cross_field_flags
from normalize.dates import zero_misread_year
from normalize.field import normalize_field
from ocr.entry import Entry
from ocr.recognize import CellText
from pipeline.version import PIPELINE_VERSION
from schemas.evidence import ReadEvidence
from schemas.fields import all_fields, field_kind, place_fields
from schemas.records import Normalized

# A cell is re-read (second opinion) when its recognition confidence is below this, or
# normalisation had something to say about it.
DOUBT_CONF = 0.88
_ENTRY_LABEL = re.compile(r"^\s*(s[oốồổỗộóòỏõọ0o]\s*(tt|thứ tự|thu tu|đăng ký)?\s*[:.]\s*)", re.I)

# (cell, variant) -> (text, conf) read again with other preprocessing (ocr.recognize.SCALES,
# or "joined": the cell's last two lines side by side; "second": by the second recogniser)
Reread = Callable[[CellText, str], tuple[str | None, float]]
# On a form page every field's label is printed whether or not the clerk filled it in, so a
# field whose label was not found, or was found with nothing read after it, is flagged
# `missing_field:F` rather than left silently empty; except these, often left blank (notes,
# an unknown father) or not printed.
FORM_OPTIONAL_FIELDS = frozenset({"notes", "declarant_name", "father_name"})


# A clerk writes the day a case is registered, and the day of the birth or death it records;
# such a date read as a year alone ("1989" for "9/6/1989"), or a month ("04/1974" for
# "23/04/1974"), lost its day to the reader. (The deceased's own birth date, a spouse's,
# may be a year alone as written.)
FULL_DATE_FIELDS = {"birth": frozenset({"registration_date", "date_of_birth"}),
                    "death": frozenset({"registration_date", "date_of_death"}),
                    "marriage": frozenset({"registration_date"})}


@dataclass(frozen=True)
class Reading:
    """One reading of a cell: raw text, recognition confidence, normalised result."""

    raw: str | None
    conf: float
    norm: Normalized


def verify(field: str, first: Reading, reread: Reread, year: int | None,
           expect: Callable[[str | None], bool] | None = None,
           second: bool = False) -> tuple[Reading, bool]:
    """Second (and if needed third and fourth) opinions on a doubtful cell.

    Args:
        field, first, reread, year: the field, its first reading, the re-reader and the
            register year for two-digit years.
        expect: what the value should satisfy from context (a registration date in the
            book's year); a reading that does is preferred over the majority.
        second: ask the second recogniser first (reread "second"): when it normalises as the
            first read does, the two recognisers agree and that settles it; otherwise it
            joins the vote, ahead of Tesseract's own re-reads (which share Tesseract's
            errors), and the cell is flagged as a disagreement.

    Returns:
        (the reading to keep, whether the reads agreed). Two agreeing normalised values
        win (a fourth read, of the thresholded crop, when the first three all differ); with
        no majority the reading normalisation is happiest with is kept.
    """
    def fits_first(r: Reading) -> bool:
        # two reads that both fail to parse agree on nothing
        return r.norm.value == first.norm.value is not None and (expect is None or expect(first.norm.value))

    cell_reads = [first]
    other: list[Reading] = []
    if second:
        raw, conf = reread("second")
        other = [Reading(raw, conf, normalize_cell(field, raw, year))]
        if fits_first(other[0]):
            return first, True
    for variant in ("scaled", "small"):
        raw, conf = reread(variant)
        r = Reading(raw, conf, normalize_cell(field, raw, year))
        if variant == "scaled" and not second and fits_first(r):
            return first, True
        cell_reads.append(r)
    if _majority(cell_reads) is None:
        # three different readings: the Otsu-thresholded crop decides (thin light type that
        # Tesseract's own thresholding loses, "2/9/1995" read "8/971995", reads right there)
        raw, conf = reread("binary")
        cell_reads.append(Reading(raw, conf, normalize_cell(field, raw, year)))
    cell_reads = other + cell_reads
    agreed = len({(bool(r.raw), r.norm.value) for r in cell_reads}) == 1
    # a re-read that came back empty says nothing of the ink the first read saw: taken as
    # a reading, its "empty, nothing to flag" hid the cell silently
    cell_reads = [r for r in cell_reads if r.raw]
    # with no majority, the second recogniser's clean reading (it is the stronger reader on
    # the names bench) before Tesseract's most confident one (their confidences differ in kind)
    clean = [r for r in other if r.raw and r.norm.value is not None and not r.norm.flags]
    best = _majority(cell_reads) or (clean[0] if clean else max(cell_reads, key=lambda r: (
        r.norm.value is not None, not r.norm.flags, r.conf * r.norm.conf)))
    if expect is not None and not expect(best.norm.value):
        fitting = [r for r in cell_reads if expect(r.norm.value)]
        if fitting:
            best = fitting[0]
    return best, agreed


def _majority(reads: list[Reading]) -> Reading | None:
    """The first reading whose value (not None) another reading shares, or None."""
    values = [r.norm.value for r in reads]
    return next((r for r in reads if r.norm.value is not None and values.count(r.norm.value) >= 2), None)


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


def year_of(iso: str | None) -> int | None:
    return int(iso[:4]) if iso and iso[:4].isdigit() else None


_WRAPPED_NUMBER = re.compile(r"(?<=[\d/.\-]) (?=\d)")


def dewrap(field: str, raw: str | None) -> str | None:
    """What normalisation reads: a date or number that wrapped inside its narrow column
    ("24/10/200" + "5", joined "24/10/200 5" in F_raw as the contract says) is rejoined;
    other text is left as is."""
    if raw and field_kind(field) in ("date", "code"):
        return _WRAPPED_NUMBER.sub("", raw)
    return raw


def normalize_cell(field: str, raw: str | None, year: int | None,
                   evidence: ReadEvidence | None = None) -> Normalized:
    """A cell's text normalised as `field` (entry label stripped, wrapped numbers rejoined);
    `evidence`, the recogniser's glyph alternatives of the cell, is weighed for names."""
    if field == "entry_no" and raw:
        raw = strip_entry_label(raw)
    joined = dewrap(field, raw)
    if evidence is not None and field_kind(field) == "name":
        return normalize_field(field, joined, register_year=year, evidence=evidence)
    n = normalize_field(field, joined, register_year=year)
    if n.value is None and field_kind(field) == "date" and joined != raw:
        # spaces that are a date's lost separators ("8 3 1960": its faint dots), not a wrap
        apart = normalize_field(field, raw, register_year=year)
        if apart.value is not None:
            return apart
    return n


def extract_record(entry: Entry, register_type: str, prov: Provenance, cfg: Config,
                   reread: Reread | None = None, book_year: int | None = None) -> dict:
    """One record row from one entry's cells.

    Args:
        entry: the entry's cells (field -> CellText).
        register_type: birth | death | marriage.
        prov: the page's provenance.
        cfg: thresholds (low_confidence, dates) and the register's rules/required fields.
        reread: optional second-opinion reader: (cell, variant) -> (text, conf).
        book_year: the year printed on the page ("Năm 1960"); a register's entries are
            registered that year, so a registration date elsewhere is re-read and flagged.

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
    year = book_year or year_of(normalize_cell("registration_date", reg_cell.text if reg_cell else None,
                                         None).value)

    def in_book_year(v: str | None) -> bool:
        return v is not None and year_of(v) == book_year
    values: dict[str, str | None] = {}
    for f in all_fields(register_type):
        cell = entry.cells.get(f)
        raw = cell.text if cell is not None and cell.text else None
        reading = Reading(raw, cell.conf if raw else 1.0,
                          normalize_cell(f, raw, year, getattr(cell, "evidence", None) if raw else None))
        fflags: list[str] = []
        doubtful = (reading.conf < DOUBT_CONF or _capital_marks(f, raw)
                    or reading.norm.flags or reading.norm.value is None)
        expect = in_book_year if (f == "registration_date" and book_year) else None
        if raw and reread is not None and (doubtful or (expect and not expect(reading.norm.value))):
            reading, agreed = verify(f, reading, lambda v, c=cell: reread(c, v), year, expect,
                                     second=cfg.second_reader != "off")
            if not agreed:
                fflags.append(f"ocr_disagreement:{f}")
        if expect and raw and reading.norm.value is not None and not expect(reading.norm.value):
            fixed = book_year_misread(reading.norm.value, book_year)
            if fixed is not None:
                reading = replace(reading, norm=replace(
                    reading.norm, value=fixed, conf=reading.norm.conf * 0.7,
                    flags=tuple(dict.fromkeys(reading.norm.flags + ("date_repaired",)))))
            else:
                fflags.append(f"not_book_year:{f}")
        if raw and field_kind(f) == "date" and _digit_alone(cell):
            joined = _joined_reading(f, cell, reread, year)
            if joined is None or not _same_digits(joined.raw, cell):
                fflags.append(f"digit_alone:{f}")
                if joined is not None and joined.norm.value is not None:
                    # side by side the lines read as one date: its value, the cell's raw text
                    reading = replace(joined, raw=reading.raw)
        n, raw = reading.norm, reading.raw
        value = n.value
        if f == "entry_no" and value:
            value, why = _entry_year_repaired(value, book_year, cfg.min_year, cfg.max_year)
            if why:
                fflags.append(f"{why}:entry_no")
        fflags += [fl if ":" in fl else f"{fl}:{f}" for fl in n.flags]
        conf = reading.conf * n.conf if cell is not None else None
        if raw and conf is not None and conf < cfg.low_confidence:
            fflags.append(f"low_confidence:{f}")
        if raw and value is None and field_kind(f) == "date":
            fflags.append(f"invalid_date:{f}")
        elif value is not None and f in FULL_DATE_FIELDS[register_type] and len(value) < len("yyyy-mm-dd"):
            fflags.append(f"date_incomplete:{f}")
        if cell is not None and cell.unread:
            # a wrapped value with a line Tesseract returned nothing for is not whole
            fflags.append(f"unreadable:{f}" if not raw else f"line_unread:{f}")
        if value is None and reg.fields[f].required:
            fflags.append(f"missing_required:{f}")
        elif (not raw and prov.layout == "form" and f not in FORM_OPTIONAL_FIELDS
              and not any(fl.endswith(":" + f) for fl in flags + fflags)):
            # no label found, or a label with nothing read after it: on a form both mostly
            # mean a value the reader lost (a blank is rare outside these fields)
            fflags.append(f"missing_field:{f}")
        row[f] = value
        row[f + "_raw"] = raw
        row[f + "_conf"] = None if conf is None else round(float(conf), 4)
        row[f + "_perr"] = None  # set per page by pipeline/extract/perr.py
        row[f + "_bbox"] = cell_box(cell)
        if f in places:
            row[f + "_code"] = n.code
        values[f] = value
        flags.extend(fflags)
    flags.extend(cross_field_flags(register_type, values, reg.rules,
                                   min_year=cfg.min_year, max_year=cfg.max_year))
    flags = list(dict.fromkeys(flags))
    row.update(flags=flags, hints=[], needs_review=bool(flags), review_status="unreviewed",
               image_sha256=prov.image_sha256, config_hash=prov.config_hash,
               pipeline_version=prov.pipeline_version)
    return row


def cell_box(cell: CellText | None) -> list[int] | None:
    """The field's own box on the page (a ledger cell, a form value's line), for the review
    page's crop of it; None when there is none to show (no column or label, a form value
    never found: a zero-area stand-in)."""
    if cell is None:
        return None
    x0, y0, x1, y1 = (int(v) for v in cell.bbox)
    return [x0, y0, x1, y1] if x1 > x0 and y1 > y0 else None


def _capital_marks(field: str, raw: str | None) -> bool:
    """A name in capitals with tone or vowel marks: Tesseract adds and drops marks over
    capitals with full confidence ("DUNG" read "DŨNG"), so it gets a second read."""
    if not raw or field_kind(field) != "name" or not raw.isupper():
        return False
    return any(unicodedata.decomposition(ch) for ch in raw if ch.isalpha())


def _digit_alone(cell: CellText | None) -> bool:
    """A date whose last digits wrapped onto a line of their own ("13/12/194" + "7"): read
    alone, with nothing around it, a typewriter 7 came back as a confident 1."""
    if cell is None or len(cell.lines) < 2:
        return False
    tail = cell.lines[-1].text.strip()
    return 0 < len(tail) <= 2 and tail.isdigit()


def _joined_reading(field: str, cell: CellText, reread: Reread | None, year: int | None) -> Reading | None:
    """A wrapped date's last two lines read side by side as one line, or None."""
    if reread is None:
        return None
    text, conf = reread(cell, "joined")
    return Reading(text, conf, normalize_cell(field, text, year)) if text else None


def _same_digits(text: str | None, cell: CellText) -> bool:
    """Are the digits of `text` those of the cell's last two lines read apart?"""
    apart = re.sub(r"\D", "", "".join(l.text for l in cell.lines[-2:]))
    return re.sub(r"\D", "", text or "") == apart


def slipped_digit(year: str, want: str) -> int | None:
    """Where a four-digit year differs from `want` when that is in one digit only, else None."""
    diff = [i for i, (a, b) in enumerate(zip(year, want)) if a != b]
    return diff[0] if len(year) == 4 and year.isdigit() and len(diff) == 1 else None


def book_year_misread(value: str, book_year: int) -> str | None:
    """A registration date whose year is the book's but for one digit ("1961" in a 1967
    book: the typewriter's 7 read as 1) with the book's year; None when more differs.
    Registrations are made in the book's year, so one wrong digit is a misreading."""
    want = f"{book_year:04d}"
    return None if slipped_digit(value[:4], want) is None else want + value[4:]


ENTRY_YEAR = re.compile(r"^(.*/)(\d{4})$")


def _entry_year_repaired(value: str, book_year: int | None, min_year: int,
                         max_year: int) -> tuple[str, str | None]:
    """ "772/2919" in a 2010 book -> "772/2010": an entry number's year suffix is the book's,
    and its typewriter zeros read as 9/6/8 are set back when that alone makes it so. Without
    a book year, a suffix after the plausible window ("2/2065") is set back the same way
    when one year of the window fits.

    Returns:
        (value, None) when the suffix is the book's year or there is none; (repaired value,
        "year_repaired"); or (value as read, "not_book_year") for another year.
    """
    m = ENTRY_YEAR.match(value)
    if not m:
        return value, None
    year = int(m.group(2))
    if book_year is None:
        fixed = zero_misread_year(m.group(2), min_year, max_year) if year > max_year else None
        return (value, None) if fixed is None else (f"{m.group(1)}{fixed}", "year_repaired")
    if year == book_year:
        return value, None
    if zero_misread_year(m.group(2), book_year, book_year) != book_year:
        return value, "not_book_year"
    return f"{m.group(1)}{book_year}", "year_repaired"
