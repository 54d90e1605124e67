"""Page-level passes over a page's records, after extraction: what one entry cannot tell
but its neighbours and the page's heading can.

- settle_book_year: the heading's year, unless the page's registrations say it was misread;
- check_entry_sequence: entry numbers follow the page's run;
- flag_volume_entry_breaks: and the volume's, across pages;
- check_date_sequence: registration dates follow the page's order;
- year_misreads: dates showing the digit this page's typewriter slips in its years.

Each returns new dicts where it changes or flags a record (`_with_flags`); values it cannot
settle are flagged, never guessed.
"""
from __future__ import annotations

import re
from collections import Counter

from normalize.checks import out_of_sequence
from normalize.dates import zero_misread_year
from pipeline.extract.record import ENTRY_YEAR, normalize_cell, slipped_digit, year_of
from schemas.fields import all_fields, field_kind

_DATE_FIELDS = frozenset(f for t in ("birth", "death", "marriage") for f in all_fields(t)
                         if field_kind(f) == "date")
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


def flag_volume_entry_breaks(rows: list[dict]) -> list[dict]:
    """Across a volume's records in page and row order: a number that breaks a run its two
    neighbours agree on ("587", "88", "589", the two on other pages) is flagged
    `entry_no_sequence:entry_no`, its value kept as read. Pages of one or two entries (forms)
    give check_entry_sequence no majority to go by; the neighbours on the next and last
    page do."""
    nums = [_entry_int(r.get("entry_no")) for r in rows]
    out = list(rows)
    for i in range(1, len(rows) - 1):
        prev, cur, nxt = nums[i - 1], nums[i], nums[i + 1]
        if prev is None or cur is None or nxt is None or prev[1] != nxt[1]:
            continue
        if nxt[0] - prev[0] == 2 and cur[0] != prev[0] + 1 \
                and "entry_no_sequence:entry_no" not in (rows[i].get("flags") or []):
            out[i] = _with_flags(rows[i], "entry_no_sequence:entry_no")
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


# A volume's type is the one this share of its typed pages (two at least) agree on.
VOLUME_TYPE_SHARE = 0.75


def volume_type(page_types: list[str]) -> str | None:
    """The register type a volume's pages clearly agree on (at least two pages and
    VOLUME_TYPE_SHARE of those typed), else None."""
    typed = [t for t in page_types if t]
    if not typed:
        return None
    t, n = Counter(typed).most_common(1)[0]
    return t if n >= 2 and n >= VOLUME_TYPE_SHARE * len(typed) else None


def flag_type_disagreement(rows: list[dict], page_type: str | None, volume: str | None) -> list[dict]:
    """A page read as another register type than its volume's (a leaf of another book filed
    in, or a misread title): its rows are flagged `type_disagrees` (the whole entry), never
    re-mapped silently."""
    if volume is None or page_type is None or page_type == volume:
        return rows
    return [_with_flags(r, "type_disagrees") for r in rows]


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
    regs = [year_of(normalize_cell("registration_date", t, None).value) for t in registration_texts if t]
    seen = {y for y in regs if y is not None}
    zeros = {y for y in seen if y != book_year and zero_misread_year(f"{book_year:04d}", y, y) == y}
    if len(zeros) == 1:
        return zeros.pop()
    if book_year in seen:
        return book_year
    suffixes = [int(m.group(2)) for m in (ENTRY_YEAR.match(t or "") for t in entry_texts) if m]
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
        i = slipped_digit(m.group(1), want) if m else None
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
