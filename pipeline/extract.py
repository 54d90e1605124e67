"""Field extraction: recognised cells -> record rows (schemas/arrow.py columns).

Per field F: the cell text is `F_raw`; normalize.field.normalize_field gives the value (and
F_code for places); `F_conf` = recognition confidence x normalisation confidence. Flags, each
`reason:F`: low_confidence, invalid_date, missing_required, missing_field (a form's label
not found), ocr_disagreement (a second read
with other preprocessing normalises differently), normalize's own reasons, and the
configs' cross-field rules; entry-level `unmapped_column` / `layout_uncertain` stay bare.
"""
from __future__ import annotations

import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, replace
from typing import Callable

from configs.loader import Config
from normalize.checks import cross_field_flags, out_of_sequence
from normalize.dates import zero_misread_year
from normalize.field import normalize_field
from ocr.entry import Entry
from ocr.recognize import CellText
from pipeline.version import PIPELINE_VERSION
from schemas.fields import all_fields, field_kind, place_fields
from schemas.records import Normalized

# A cell is re-read (second opinion) when its recognition confidence is below this, or
# normalisation had something to say about it.
DOUBT_CONF = 0.88
_ENTRY_LABEL = re.compile(r"^\s*(s[oốồổỗộóòỏõọ0o]\s*(tt|thứ tự|thu tu|đăng ký)?\s*[:.]\s*)", re.I)

# (cell, variant) -> (text, conf) read again with other preprocessing (ocr.recognize.SCALES,
# or "joined": the cell's last two lines side by side)
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
           expect: Callable[[str | None], bool] | None = None) -> tuple[Reading, bool]:
    """Second (and if needed third) opinion on a doubtful cell.

    Args:
        field, first, reread, year: the field, its first reading, the re-reader and the
            register year for two-digit years.
        expect: what the value should satisfy from context (a registration date in the
            book's year); a reading that does is preferred over the majority.

    Returns:
        (the reading to keep, whether the reads agreed). Two of three agreeing normalised
        values win; with no majority the reading normalisation is happiest with is kept.
    """
    cell_reads = [first]
    for variant in ("scaled", "small"):
        raw, conf = reread(variant)
        r = Reading(raw, conf, normalize_cell(field, raw, year))
        if variant == "scaled" and r.norm.value == first.norm.value and (
                expect is None or expect(first.norm.value)):
            return first, True
        cell_reads.append(r)
    values = [r.norm.value for r in cell_reads]
    best = max(cell_reads, key=lambda r: (r.norm.value is not None, not r.norm.flags,
                                          r.conf * r.norm.conf))
    for r in cell_reads:
        if r.norm.value is not None and values.count(r.norm.value) >= 2:
            best = r
            break
    if expect is not None and not expect(best.norm.value):
        fitting = [r for r in cell_reads if expect(r.norm.value)]
        if fitting:
            best = fitting[0]
    return best, len(set(values)) == 1


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


_WRAPPED_NUMBER = re.compile(r"(?<=[\d/.\-]) (?=\d)")


def dewrap(field: str, raw: str | None) -> str | None:
    """What normalisation reads: a date or number that wrapped inside its narrow column
    ("24/10/200" + "5", joined "24/10/200 5" in F_raw as the contract says) is rejoined;
    other text is left as is."""
    if raw and field_kind(field) in ("date", "code"):
        return _WRAPPED_NUMBER.sub("", raw)
    return raw


def normalize_cell(field: str, raw: str | None, year: int | None) -> Normalized:
    """A cell's text normalised as `field` (entry label stripped, wrapped numbers rejoined)."""
    if field == "entry_no" and raw:
        raw = strip_entry_label(raw)
    return normalize_field(field, dewrap(field, raw), register_year=year)


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
    year = book_year or _year(normalize_cell("registration_date", reg_cell.text if reg_cell else None,
                                         None).value)

    def in_book_year(v: str | None) -> bool:
        return v is not None and _year(v) == book_year
    values: dict[str, str | None] = {}
    for f in all_fields(register_type):
        cell = entry.cells.get(f)
        raw = cell.text if cell is not None and cell.text else None
        reading = Reading(raw, cell.conf if raw else 1.0, normalize_cell(f, raw, year))
        fflags: list[str] = []
        doubtful = (reading.conf < DOUBT_CONF or _capital_marks(f, raw)
                    or reading.norm.flags or reading.norm.value is None)
        expect = in_book_year if (f == "registration_date" and book_year) else None
        if raw and reread is not None and (doubtful or (expect and not expect(reading.norm.value))):
            reading, agreed = verify(f, reading, lambda v, c=cell: reread(c, v), year, expect)
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


_LEADING_INT = re.compile(r"^(\d+)(.*)$")


def _entry_int(value: str | None) -> tuple[int, str] | None:
    m = _LEADING_INT.match(value or "")
    return (int(m.group(1)), m.group(2)) if m else None


def check_entry_sequence(records: list[dict]) -> list[dict]:
    """Entry numbers run consecutively down a page. The run most rows agree on (a strict
    majority, two rows at least) says what each row's number should be; a row off it is
    flagged `entry_no_sequence:entry_no` and, when the two differ in one digit (a typewriter
    0 read as 9: "19" between "9" and "11", "290 291" for "200 201"), set to it; its raw text
    stays as read. A row a little ahead or behind (one or two: an entry the reader missed,
    or one the clerk skipped) is only flagged, as is a number that differs in more.
    Year suffixes ("/1960") follow the page's majority the same way.

    Returns:
        The records (new dicts where changed), in order.
    """
    nums = [_entry_int(r.get("entry_no")) for r in records]
    read = [(i, n) for i, n in enumerate(nums) if n is not None]
    start = _majority([n[0] - i for i, n in read])
    if start is None:
        return records
    suffix = _majority([n[1] for _, n in read])
    out = []
    for i, (r, n) in enumerate(zip(records, nums)):
        want = start + i
        if n is None or (n[0] == want and suffix in (None, n[1])):
            out.append(r)
            continue
        r = _with_flags(r, "entry_no_sequence:entry_no")
        number = want if abs(n[0] - want) > 2 and _one_digit_apart(n[0], want) else n[0]
        r["entry_no"] = f"{number}{n[1] if suffix is None else suffix}"
        out.append(r)
    return out


def _majority(values: list) -> object | None:
    """The value more than half of `values` share (two at least), else None."""
    if not values:
        return None
    v, count = Counter(values).most_common(1)[0]
    return v if count >= 2 and 2 * count > len(values) else None


def _one_digit_apart(a: int, b: int) -> bool:
    sa, sb = str(a), str(b)
    return len(sa) == len(sb) and sum(x != y for x, y in zip(sa, sb)) == 1


def _with_flags(r: dict, *flags: str) -> dict:
    """A copy of the record with `flags` added (once each) and marked for review."""
    r = dict(r)
    r["flags"] = list(dict.fromkeys(list(r["flags"]) + list(flags)))
    r["needs_review"] = True
    return r


def _slipped_digit(year: str, want: str) -> int | None:
    """Where a four-digit year differs from `want` when that is in one digit only, else None."""
    diff = [i for i, (a, b) in enumerate(zip(year, want)) if a != b]
    return diff[0] if len(year) == 4 and year.isdigit() and len(diff) == 1 else None


def book_year_misread(value: str, book_year: int) -> str | None:
    """A registration date whose year is the book's but for one digit ("1961" in a 1967
    book: the typewriter's 7 read as 1) with the book's year; None when more differs.
    Registrations are made in the book's year, so one wrong digit is a misreading."""
    want = f"{book_year:04d}"
    return None if _slipped_digit(value[:4], want) is None else want + value[4:]


def settle_book_year(book_year: int | None, registration_texts: list[str],
                     entry_texts: list[str] = ()) -> int | None:
    """The book's year: the heading's, unless the page's own cells say the heading was
    misread.

    - A typewriter-zero misreading of a year the registration dates show gives way to it:
      "Năm 1979" over registrations read "1970" (and some "1979") is a 1970 book (zeros read
      as 9, 6 or 8, never the other way).
    - A year most registration dates share and most entry numbers' suffixes ("778/1974")
      confirm, two cells of every entry against the heading's one, wins over a heading that
      neither shows ("Năm 1924"); but not when it is itself the heading with a zero slipped
      (registrations typed "1969" in a 1960 book: the body's typewriter slips, and
      year_misreads deals with it).
    """
    if book_year is None:
        return None
    regs = [_year(normalize_cell("registration_date", t, None).value) for t in registration_texts if t]
    seen = {y for y in regs if y is not None}
    zeros = {y for y in seen if y != book_year and zero_misread_year(f"{book_year:04d}", y, y) == y}
    if len(zeros) == 1:
        return zeros.pop()
    if book_year in seen:
        return book_year
    suffixes = [int(m.group(2)) for m in (_ENTRY_YEAR.match(t or "") for t in entry_texts) if m]
    body = _majority([y for y in regs if y is not None])
    if (body is not None and body == _majority(suffixes)
            and zero_misread_year(f"{body:04d}", book_year, book_year) != book_year):
        return body
    return book_year


def year_misreads(records: list[dict], book_year: int | None) -> list[dict]:
    """When the page's registration dates were read with the book's year wrong by one digit
    (the same digit every time: this typewriter's 7 reads as 1), other dates of the page
    whose year shows that digit there may be misread the same way: flagged `year_suspect:F`,
    values unchanged ("1961" may be a birth year as written), unless the year is after the
    book's, which no date in a register can be: then the digit is set back to the book
    year's ("1969" -> "1960" in a 1960 book whose registrations read 1969) and flagged
    `year_repaired:F`.

    Returns:
        The records (new dicts where flagged), in order.
    """
    if not book_year:
        return records
    want = f"{book_year:04d}"
    slips = set()
    for r in records:
        m = re.search(r"(1[89]\d\d|20\d\d)", r.get("registration_date_raw") or "")
        i = _slipped_digit(m.group(1), want) if m else None
        if i is not None:
            slips.add((i, m.group(1)[i]))
    if not slips:
        return records
    out = []
    for r in records:
        bad = [f for f, v in r.items() if f in _DATE_FIELDS and f != "registration_date" and v
               and any(v[i] == d for i, d in slips)]
        if not bad:
            out.append(r)
            continue
        r = _with_flags(r, *(f"year_suspect:{f}" for f in bad))
        for f in bad:
            fixed = _slip_undone(r[f], want, slips)
            if fixed is not None:
                # the page's own typewriter explains the impossible year: set it back
                r[f] = fixed
                r["flags"] = [x for x in r["flags"] if x != f"after_register_year:{f}"] + [f"year_repaired:{f}"]
        out.append(r)
    return out


def _slip_undone(value: str, want: str, slips: set[tuple[int, str]]) -> str | None:
    """A date whose year is after the book's (no date in a register is later) with the
    page's slipped digit set back to the book year's digit there ("1969" in a 1960 book whose
    registration dates read 1969: 1960), when that gives exactly one year no later than the
    book's; else None."""
    year = value[:4]
    if not year.isdigit() or year <= want:
        return None
    fits = {year[:i] + want[i] + year[i + 1:] for i, d in slips if year[i] == d}
    fits = {y for y in fits if y <= want}
    return fits.pop() + value[4:] if len(fits) == 1 else None


_DATE_FIELDS = frozenset(f for t in ("birth", "death", "marriage") for f in all_fields(t)
                         if field_kind(f) == "date")
_ENTRY_YEAR = re.compile(r"^(.*/)(\d{4})$")


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
    m = _ENTRY_YEAR.match(value)
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


def check_date_sequence(records: list[dict], field: str = "registration_date") -> list[dict]:
    """Flag `date_sequence:F` on a record whose registration date breaks the order its two
    neighbours on the page agree on (normalize.checks.out_of_sequence); values stay as read.

    Returns:
        The records (new dicts where flagged), in order.
    """
    out = []
    for i, r in enumerate(records):
        prev = records[i - 1].get(field) if i > 0 else None
        nxt = records[i + 1].get(field) if i + 1 < len(records) else None
        broken = out_of_sequence(prev, r.get(field), nxt)
        out.append(_with_flags(r, f"date_sequence:{field}") if broken else r)
    return out

