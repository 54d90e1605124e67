"""Read a ledger page: header cells (one or two levels) -> column fields, then one entry per
body row, cell by cell.

Header structure comes from the ruling: inside the header band a partial horizontal line
(a group underline) splits a column's header into an upper and a lower piece, and upper
pieces of neighbouring columns with no vertical line between them are one spanning group
cell ("Chồng" over "Họ và tên", "Ngày sinh"...). The text decides the rest: the band under
the header is a second header row when its cells read like header words, and a row of
column numbers ("(1) (2) ...") is skipped.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Callable, NamedTuple

import numpy as np
from rapidfuzz import fuzz

from configs.loader import Config, RegisterConfig
from ocr.entry import Entry
from ocr.grid import TableGrid
from ocr.headers import ColumnHeader, ColumnMap, header_likeness, is_column_numbers, map_columns
from ocr.profile_fit import fit_columns, header_disagreement
from ocr.recognize import CellText, PageInk, TextLine, read_box, reread
from ocr.vocab import best_match, fold
from schemas.fields import field_kind
from schemas.profile import VolumeProfile

BBox = tuple[int, int, int, int]
MAX_HEADER_BANDS = 3


@dataclass(frozen=True)
class LedgerRead:
    """A ledger page as read: column fields, entries, header lines, Tesseract time; the
    first body band, the column-number band (None: none), how each column was mapped
    ("header", "inferred", "profile", "none"), and why a given profile does not fit."""

    columns: ColumnMap | None
    headers: tuple[ColumnHeader, ...]
    entries: tuple[Entry, ...]
    header_lines: tuple[TextLine, ...]
    register_type: str | None
    notes: tuple[str, ...]
    seconds: float
    first_body: int = 1
    number_row: int | None = None
    how: tuple[str, ...] = ()
    misfit: str | None = None


def _tol(grid: TableGrid) -> int:
    x0, y0, x1, y1 = grid.bbox
    return max(int(max(x1 - x0, y1 - y0) / 300), 3)


def _has_rule(grid: TableGrid, pos: int, lo: int, hi: int, tol: int, *, vertical: bool) -> bool:
    """Is there a ruling line at `pos` (x for a vertical, y for a horizontal) over most of
    lo..hi along it?"""
    if hi - lo < 3:
        return False
    along = np.s_[lo + tol: max(hi - tol, lo + tol + 1)]
    across = np.s_[max(pos - tol, 0): pos + tol + 1]
    strip = grid.line_mask[along, across] if vertical else grid.line_mask[across, along].T
    return strip.size > 0 and float(strip.any(axis=1).mean()) >= 0.5


def header_pieces(grid: TableGrid, band: tuple[int, int]) -> list[tuple[BBox, list[int], bool]]:
    """Header cells of one header band: (box, columns it covers, is it a group cell above a
    cut), group cells first.

    A column's band is cut where a partial (group) line crosses its middle; an upper piece
    spans neighbouring columns when they are cut at the same height and no vertical line
    separates them there.
    """
    tol = _tol(grid)
    y0, y1 = band
    cols = grid.cols
    cuts: list[tuple[int, ...]] = []
    for i in range(grid.n_cols):
        mid = (cols[i] + cols[i + 1]) // 2
        # the segment's ends are not enough: a group line broken over a column whose header
        # spans both levels ("Chú thích" between two husband's columns) may be found as one
        cs = sorted({p.pos for p in grid.partial
                     if p.lo - tol <= mid <= p.hi + tol and y0 + 3 * tol < p.pos < y1 - 3 * tol
                     and _has_rule(grid, p.pos, cols[i], cols[i + 1], tol, vertical=False)})
        cuts.append(tuple(cs))
    pieces: list[tuple[BBox, list[int], bool]] = []
    lower: list[tuple[BBox, list[int], bool]] = []
    i = 0
    while i < grid.n_cols:
        if not cuts[i]:
            lower.append(((cols[i], y0, cols[i + 1], y1), [i], False))
            i += 1
            continue
        cut = cuts[i][0]
        j = i
        while (j + 1 < grid.n_cols and cuts[j + 1] and abs(cuts[j + 1][0] - cut) <= 2 * tol
               and not _has_rule(grid, cols[j + 1], y0, cut, tol, vertical=True)):
            j += 1
        pieces.append(((cols[i], y0, cols[j + 1], cut), list(range(i, j + 1)), True))
        for k in range(i, j + 1):
            lower.append(((cols[k], cut, cols[k + 1], y1), [k], False))
        i = j + 1
    return pieces + lower


def _read_band_cells(engine, page: PageInk, grid: TableGrid, band: tuple[int, int],
                     inset: int) -> list[CellText]:
    return [read_box(engine, page, (grid.cols[i], band[0], grid.cols[i + 1], band[1]), inset=inset)
            for i in range(grid.n_cols)]


class HeaderRead(NamedTuple):
    """The header as read: per-column ColumnHeader, the index of the first body band, the
    header lines (for ALTO), body band cells already read while deciding, Tesseract seconds,
    each column's own header cell (to re-read when it maps to nothing), and the band of
    column numbers (None when there is none)."""

    headers: list[ColumnHeader]
    first_body: int
    lines: list[TextLine]
    cache: dict[int, list[CellText]]
    seconds: float
    own_cells: dict[int, CellText]
    number_row: int | None = None


def read_headers(engine, page: PageInk, grid: TableGrid, cfg: Config) -> HeaderRead:
    """Read the header cells of the ledger (see HeaderRead)."""
    tol = _tol(grid)
    seconds = 0.0
    lines: list[TextLine] = []
    group_text: list[list[str]] = [[] for _ in range(grid.n_cols)]
    own_text: list[list[str]] = [[] for _ in range(grid.n_cols)]
    spans: list[tuple[CellText, list[int]]] = []
    own_cells: dict[int, CellText] = {}
    for box, covered, upper in header_pieces(grid, grid.bands[0]):
        c = read_box(engine, page, box, inset=tol)
        seconds += c.seconds
        lines.extend(c.lines)
        # a cell above a group underline is a group label even over a single column (a
        # book may put "Bên chồng / Họ và tên" apart from the husband's other columns)
        if upper:
            spans.append((c, covered))
        else:
            own_text[covered[0]].append(c.text)
            own_cells[covered[0]] = c
    groups_vocab = _groups_vocab(cfg)
    for c, covered in spans:
        for text, cols in split_groups(c, covered, grid.cols, own_text, groups_vocab, cfg.header_match):
            for k in cols:
                group_text[k].append(text)
    first_body = 1
    number_row = None
    read_cache: dict[int, list[CellText]] = {}
    regs = list(cfg.registers.values())
    for b in range(1, min(MAX_HEADER_BANDS, len(grid.bands))):
        cells = _read_band_cells(engine, page, grid, grid.bands[b], tol)
        seconds += sum(c.seconds for c in cells)
        texts = [c.text for c in cells]
        if is_column_numbers(texts):
            first_body = b + 1
            number_row = b
            continue
        if header_likeness(texts, regs, cfg.header_match) >= 0.6:
            # a second header row: what was above becomes the group text
            for k, c in enumerate(cells):
                if c.text:
                    group_text[k].extend(own_text[k])
                    own_text[k] = [c.text]
                lines.extend(c.lines)
            first_body = b + 1
            continue
        read_cache[b] = cells
        break
    headers = [ColumnHeader(" ".join(g) or None, " ".join(o)) for g, o in zip(group_text, own_text)]
    return HeaderRead(headers, first_body, lines, read_cache, seconds, own_cells, number_row)


def _groups_vocab(cfg: Config) -> dict[str, list[str]]:
    vocab: dict[str, list[str]] = {}
    for reg in cfg.registers.values():
        for g, words in reg.groups.items():
            vocab.setdefault(g, []).extend(w for w in words if w not in vocab.get(g, []))
    return vocab


def split_groups(cell: CellText, covered: list[int], cols: tuple[int, ...], own_text: list[list[str]],
                 vocab: dict[str, list[str]], threshold: float) -> list[tuple[str, list[int]]]:
    """Split a spanning header cell that holds several group labels ("Chồng ... Bên vợ")
    because the divider between the groups is missing or broken.

    The boundary between two labels is the column boundary between their centres where the
    sub-headers start repeating (the second group's "Họ và tên"), else the one nearest the
    midpoint of the two labels.

    Returns:
        (group text, its columns) pieces; the whole cell when it names at most one group.
    """
    words = [w for l in cell.lines for w in l.words]
    found: list[tuple[float, str]] = []  # (centre x, text)
    i = 0
    while i < len(words):
        for n in (3, 2, 1):  # "Người chồng", "Bên vợ" are two words
            chunk = words[i:i + n]
            if len(chunk) < n:
                continue
            text = " ".join(w[0] for w in chunk)
            m = best_match(text, vocab, threshold)
            if m is not None and m.rank >= threshold:
                found.append(((chunk[0][2][0] + chunk[-1][2][2]) / 2, text))
                i += n
                break
        else:
            i += 1
    if len(found) < 2:
        return [(cell.text, covered)]
    first_own = fold(" ".join(own_text[covered[0]]))
    out, start = [], covered[0]
    for (xa, ta), (xb, _) in zip(found, found[1:]):
        between = [k for k in covered if k > start and xa < cols[k] < xb]
        if not between:
            continue
        repeat = [k for k in between if first_own and fold(" ".join(own_text[k])) == first_own]
        cut = repeat[0] if repeat else min(between, key=lambda k: abs(cols[k] - (xa + xb) / 2))
        out.append((ta, list(range(start, cut))))
        start = cut
    out.append((found[-1][1], list(range(start, covered[-1] + 1))))
    return out


def _reread_unmapped(engine, page: PageInk, headers: list[ColumnHeader], cm: ColumnMap,
                     own_cells: dict[int, CellText], reg: RegisterConfig, cfg: Config
                     ) -> tuple[list[ColumnHeader], ColumnMap, float]:
    """Re-read, at other scales, the header of each column that mapped to nothing (a small,
    wrapped header like "Nguyên nhân chết" read as "Bị kh chết" would lose the column)."""
    seconds = 0.0
    for i in cm.unmapped:
        cell = own_cells.get(i)
        if cell is None or not cell.lines:
            continue
        for variant in ("scaled", "small"):
            reads = [reread(engine, page, l, variant) for l in cell.lines]
            seconds += sum(r.seconds for r in reads)
            text = " ".join(r.text for r in reads if r.text)
            trial = list(headers)
            trial[i] = ColumnHeader(headers[i].group, text)
            tm = map_columns(trial, reg, cfg.header_match)
            if tm.fields[i] is not None and all(a == b for k, (a, b) in enumerate(zip(cm.fields, tm.fields))
                                                if k != i and a is not None):
                headers, cm = trial, tm
                break
    return headers, cm, seconds


# A header read only in part ("nhân chất" of a wrapped "Nguyên nhân chết", its first line
# lost): the part must match inside one field's header this well (rapidfuzz partial_ratio),
# this far ahead of any other field, and be this long (folded letters).
CUT_HEADER_MATCH, CUT_HEADER_MARGIN, CUT_HEADER_MIN_LEN = 85.0, 10.0, 6


def cut_headers(headers: list[ColumnHeader], cm: ColumnMap, reg: RegisterConfig) -> ColumnMap:
    """Unmapped columns whose header text is a clear piece of one unused field's header
    (outside any group), or a lone word of one field's headers only ("Cha" under "Cha mẹ"),
    get that field. The caller flags them `column_inferred:F`."""
    fields, scores = list(cm.fields), list(cm.scores)
    for i in cm.unmapped:
        text = fold(headers[i].text)
        lone = _lone_word_field(text, fields, reg)
        if lone is not None:
            fields[i], scores[i] = lone, 0.0
            continue
        if headers[i].group or len(text.replace(" ", "")) < CUT_HEADER_MIN_LEN:
            continue
        ranked = sorted(((max(fuzz.partial_ratio(text, fold(v)) for v in spec.headers), f)
                         for f, spec in reg.fields.items()
                         if f not in fields and spec.group is None and spec.headers), reverse=True)
        if ranked and ranked[0][0] >= CUT_HEADER_MATCH and (
                len(ranked) == 1 or ranked[0][0] - ranked[1][0] >= CUT_HEADER_MARGIN):
            fields[i], scores[i] = ranked[0][1], 0.0
    return ColumnMap(tuple(fields), tuple(scores))


def _lone_word_field(text: str, fields: list[str | None], reg: RegisterConfig) -> str | None:
    """A header of one word ("Mẹ", "Cha" under a "Cha mẹ" group) that is a word of one
    field's headers only, among all the register's fields, and that field unused."""
    if " " in text or len(text) < 2:
        return None
    having = [f for f, spec in reg.fields.items() if spec.group is None
              and any(text in fold(v).split() for v in spec.headers)]
    return having[0] if len(having) == 1 and having[0] not in fields else None


def choose_register(headers: list[ColumnHeader], cfg: Config) -> tuple[str | None, ColumnMap | None]:
    """Without a readable title: the register type whose vocabulary maps more columns
    (a strict winner, at least four columns), else None."""
    scored = []
    for rtype, reg in cfg.registers.items():
        cm = map_columns(headers, reg, cfg.header_match)
        scored.append((sum(f is not None for f in cm.fields), rtype, cm))
    scored.sort(key=lambda t: -t[0])
    if len(scored) > 1 and scored[0][0] >= 4 and scored[0][0] > scored[1][0]:
        return scored[0][1], scored[0][2]
    return None, None


# Field kinds whose values show what a column holds (a number, a date, a vocabulary word);
# names, places and free text would fit any column.
TELLING_KINDS = frozenset({"code", "date", "sex", "ethnicity", "nationality"})
# Share of a column's non-empty cells that must read as the field, and how many at least.
COLUMN_FIT_SHARE = 0.8
COLUMN_FIT_MIN_CELLS = 3

# (field, cell text) -> does the text read as a clean value of that field
Fits = Callable[[str, str], bool]


def infer_columns(engine, page: PageInk, grid: TableGrid, cm: ColumnMap, first_body: int,
                  reg: RegisterConfig, fits: Fits) -> tuple[ColumnMap, dict[int, list[CellText]], float]:
    """Columns whose header matched nothing, told by their cells: a column whose cells read
    as one field's values ("473", "11.8.1984", "Việt Nam") is that field's, when the field is
    the only unmapped one of its kind and no other unmapped column fits it too.

    Returns:
        (the column map with those columns assigned, the body cells read per unmapped column
        (band order, from first_body), Tesseract seconds).
    """
    unused = [f for f in reg.fields if f not in cm.fields and field_kind(f) in TELLING_KINDS]
    kinds = Counter(field_kind(f) for f in unused)
    candidates = [f for f in unused if kinds[field_kind(f)] == 1]
    if not cm.unmapped or not any(f not in cm.fields for f in reg.fields):
        return cm, {}, 0.0
    # the cells are read even when no field can be told from them: they still tell which
    # lacking fields an unmapped column cannot hold (_may_hold), e.g. a fee column is
    # neither spouse's nationality
    tol = _tol(grid)
    cells = {i: [read_box(engine, page, (grid.cols[i], y0, grid.cols[i + 1], y1), inset=tol)
                 for y0, y1 in grid.bands[first_body:]] for i in cm.unmapped}
    seconds = sum(c.seconds for col in cells.values() for c in col)
    fitting: dict[str, list[int]] = {f: [] for f in candidates}
    for i, col in cells.items():
        texts = [c.text for c in col if c.text]
        if len(texts) < COLUMN_FIT_MIN_CELLS:
            continue
        for f in candidates:
            if sum(fits(f, t) for t in texts) >= COLUMN_FIT_SHARE * len(texts):
                fitting[f].append(i)
    fields, scores = list(cm.fields), list(cm.scores)
    for i, f in _settle(fitting).items():
        fields[i], scores[i] = f, 0.0
    return ColumnMap(tuple(fields), tuple(scores)), cells, seconds


def _numeric(text: str) -> bool:
    """A cell that is mostly digits ("32", "5.000đ"): no name or place is written so."""
    letters = sum(ch.isalpha() for ch in text)
    return sum(ch.isdigit() for ch in text) >= max(1, letters)


def _may_hold(cells: list[CellText] | None, f: str, fits: Fits) -> bool:
    """Could a column with these body cells (None: not read) hold field f's values? Unless
    enough were read and too few of them read as f's (numbers are no name or place: an age
    or a fee column). Free text may be anything."""
    texts = [c.text for c in cells or () if c.text]
    if len(texts) < COLUMN_FIT_MIN_CELLS:
        return True
    kind = field_kind(f)
    if kind == "text":
        return True
    # names and places too: a column of occupations ("Công nhân") reads as neither (a
    # person's name column reads clean in most cells, misreads and all); numbers only tell
    # against those two (a date or an entry number is written in digits)
    number_ok = kind not in ("name", "place")
    return sum(fits(f, t) and (number_ok or not _numeric(t)) for t in texts) >= \
        (1 - COLUMN_FIT_SHARE) * len(texts)


def _last_standing(cm: ColumnMap, lacking: list[str], cells: dict[int, list[CellText]],
                   fits: Fits) -> ColumnMap:
    """Unmapped columns told by elimination among the fields the page still lacks: a column
    whose cells read as one lacking field only, when no other unmapped column reads as it
    ("Nơi mất", where the register knows "Nơi chết", holds places: the one lacking place
    field's). Read as: most cells for a field its values tell, half for a name or a place
    (misreads get flags), any text for free text. Flagged `column_guessed:F` (hard) by the
    caller: an occupation column in a book without the field it is taken for lands there."""
    fitting: dict[str, list[int]] = {}
    for f in lacking:
        share = {"name": 0.5, "place": 0.5, "text": 0.0}.get(field_kind(f), COLUMN_FIT_SHARE)
        for i in cm.unmapped:
            texts = [c.text for c in cells.get(i) or () if c.text]
            if len(texts) >= COLUMN_FIT_MIN_CELLS and _may_hold(cells.get(i), f, fits) and \
                    sum(fits(f, t) for t in texts) >= share * len(texts):
                fitting.setdefault(f, []).append(i)
    fields = list(cm.fields)
    for i, f in _settle(fitting).items():
        fields[i] = f
    return ColumnMap(tuple(fields), cm.scores)


def _settle(fitting: dict[str, list[int]]) -> dict[int, str]:
    """Column -> field where the fits leave one choice, repeatedly: "473" fits only the entry
    number, so "11.8.1984" (a date, or a number with dots) is then the registration date."""
    options = {f: set(cols) for f, cols in fitting.items() if cols}
    chosen: dict[int, str] = {}
    while True:
        by_col: dict[int, set[str]] = {}
        for f, cols in options.items():
            for i in cols:
                by_col.setdefault(i, set()).add(f)
        # a column that only one field fits is that field's, unless another column can only
        # be that field too (then both stay undecided); the field's other columns are then
        # not it. (Picks commute: each keeps the others' conditions.)
        only = Counter(next(iter(fs)) for fs in by_col.values() if len(fs) == 1)
        pick = next(((i, next(iter(fs))) for i, fs in by_col.items()
                     if len(fs) == 1 and only[next(iter(fs))] == 1), None)
        if pick is None:
            return chosen
        i, f = pick
        chosen[i] = f
        del options[f]
        for cols in options.values():
            cols.discard(i)
        options = {g: cols for g, cols in options.items() if cols}


def read_ledger(engine, page: PageInk, grid: TableGrid, cfg: Config,
                register_type: str | None, fits: Fits | None = None,
                profile: VolumeProfile | None = None) -> LedgerRead:
    """Read a ledger page.

    Args:
        engine: a SINGLE_LINE tesserocr engine.
        page: the prepared page (ruling whitened).
        grid: its table.
        cfg: the configuration (header vocabulary, thresholds).
        register_type: known type (task or title), or None to decide from the headers.
        fits: tells whether a cell text reads as a field's value; with it, columns whose
            header matched nothing are told by their cells (infer_columns), and flagged
            `column_inferred:F`.
        profile: the volume's profile: columns are mapped by its x-ranges and the header is
            not read (unless it says verify_headers); a page it does not fit gets `misfit`.

    Returns:
        LedgerRead; `register_type` None and no entries when the type stays unknown.
    """
    if profile is not None:
        return _read_with_profile(engine, page, grid, cfg, profile)
    notes: list[str] = []
    hr = read_headers(engine, page, grid, cfg)
    headers, first_body, hlines, cache, seconds, own_cells = hr[:6]
    flags: list[str] = []
    if register_type is None:
        register_type, cm = choose_register(headers, cfg)
        if register_type is None:
            notes.append("register type unrecognised: no title and the column headers match no "
                         "register clearly")
            return LedgerRead(None, tuple(headers), (), tuple(hlines), None, tuple(notes), seconds,
                              first_body, hr.number_row)
        notes.append(f"no readable title; type {register_type} decided from column headers")
        flags.append("layout_uncertain")
    reg: RegisterConfig = cfg.registers[register_type]
    cm = map_columns(headers, reg, cfg.header_match)
    if cm.unmapped:
        headers, cm, more = _reread_unmapped(engine, page, headers, cm, own_cells, reg, cfg)
        seconds += more
    by_header = cm
    if cm.unmapped:
        cm = _note_inferred(cm, cut_headers(headers, cm, reg), headers, ": the end of its header",
                            notes, flags)
    column_cells: dict[int, list[CellText]] = {}
    if cm.unmapped and fits is not None:
        inferred, column_cells, more = infer_columns(engine, page, grid, cm, first_body, reg, fits)
        seconds += more
        cm = _note_inferred(cm, inferred, headers, " from its cells", notes, flags)
    how = _how(by_header, cm)
    if cm.unmapped:
        lacking = [f for f in reg.fields if f not in cm.fields]
        if fits is not None and column_cells:
            # a field is not in a column whose cells were read and cannot be it ("Công
            # nhân" is no nationality, "32" no place)
            lacking = [f for f in lacking if any(
                _may_hold(column_cells.get(i), f, fits) for i in cm.unmapped)]
            # a guess by elimination (an occupation column in a book with no cause-of-death
            # column reads as a cause): flagged hard, `column_guessed:F`, whatever the field
            # error model makes of the values
            cm = _note_inferred(cm, _last_standing(cm, lacking, column_cells, fits), headers,
                                ": by elimination among the fields left", notes, flags,
                                flag="column_guessed")
            how = _how(by_header, cm)
            lacking = [f for f in lacking if f not in cm.fields]
    if cm.unmapped:
        names = ", ".join(f"{i + 1} {headers[i].text!r}" for i in cm.unmapped)
        if lacking:
            # a field the page lacks may be in that column: the entries need review
            notes.append(f"unmapped column(s): {names}; no column for {', '.join(lacking)}")
            flags.append("unmapped_column")
        else:
            # every field has its column: the rest are columns the record does not keep
            # (an occupation, a fee), no doubt on the entry's values
            notes.append(f"column(s) the record does not keep: {names}")
    if sum(f is not None for f in cm.fields) < 2:
        notes.append("column headers unreadable: fewer than two columns mapped")
        return LedgerRead(cm, tuple(headers), (), tuple(hlines), register_type, tuple(notes), seconds,
                          first_body, hr.number_row, how)
    entries, more = _read_body(engine, page, grid, cm, first_body, cache, column_cells, tuple(flags))
    return LedgerRead(cm, tuple(headers), entries, tuple(hlines), register_type,
                      tuple(notes), seconds + more, first_body, hr.number_row, how)


def _read_with_profile(engine, page: PageInk, grid: TableGrid, cfg: Config,
                       profile: VolumeProfile) -> LedgerRead:
    """Columns mapped by the profile's x-ranges; the header read only to verify it."""
    rtype = profile.register_type
    cm, why = fit_columns(grid, profile)
    if cm is None:
        return LedgerRead(None, (), (), (), rtype, (why,), 0.0, misfit=why)
    headers: tuple[ColumnHeader, ...] = tuple(ColumnHeader(None, c.header) for c in profile.columns)
    hlines: tuple[TextLine, ...] = ()
    cache: dict[int, list[CellText]] = {}
    seconds = 0.0
    if profile.verify_headers:
        hr = read_headers(engine, page, grid, cfg)
        seconds += hr.seconds
        why = header_disagreement(hr.headers, profile)
        if why is not None:
            return LedgerRead(None, tuple(hr.headers), (), tuple(hr.lines), rtype, (why,), seconds,
                              misfit=why)
        headers, hlines, cache = tuple(hr.headers), tuple(hr.lines), hr.cache
    first_body = min(profile.header_rows, len(grid.bands))
    number_row = first_body - 1 if profile.number_row else None
    entries, more = _read_body(engine, page, grid, cm, first_body, cache, {}, ())
    how = tuple("profile" if f else "none" for f in cm.fields)
    return LedgerRead(cm, headers, entries, hlines, rtype, (), seconds + more, first_body,
                      number_row, how)


def _read_body(engine, page: PageInk, grid: TableGrid, cm: ColumnMap, first_body: int,
               cache: dict[int, list[CellText]], column_cells: dict[int, list[CellText]],
               flags: tuple[str, ...]) -> tuple[tuple[Entry, ...], float]:
    """One entry per body band (unused ruled rows skipped), and the Tesseract seconds."""
    tol = _tol(grid)
    seconds = 0.0
    entries = []
    for b in range(first_body, len(grid.bands)):
        y0, y1 = grid.bands[b]
        cells: dict[str, CellText] = {}
        for i, f in enumerate(cm.fields):
            box = (grid.cols[i], y0, grid.cols[i + 1], y1)
            if f is None:
                continue
            if i in column_cells:  # read already, while telling the column by its cells
                c = column_cells[i][b - first_body]
            else:
                # a name cell keeps the recogniser's glyph alternatives (the name repair's evidence)
                c = cache[b][i] if b in cache else read_box(engine, page, box, inset=tol,
                                                             choices=field_kind(f) == "name")
                seconds += c.seconds if b not in cache else 0.0
            cells[f] = c
        if cache.get(b):
            seconds += sum(c.seconds for c in cache[b])
        if all(c.empty for c in cells.values()):
            continue  # an unused ruled row
        entries.append(Entry(row=len(entries) + 1, bbox=(grid.bbox[0], y0, grid.bbox[2], y1),
                             cells=cells, flags=flags))
    return tuple(entries), seconds


def _how(by_header: ColumnMap, cm: ColumnMap) -> tuple[str, ...]:
    """Per column: mapped by its "header", "inferred" (cells, a header piece, elimination)
    or "none"."""
    return tuple("header" if a is not None else ("inferred" if b is not None else "none")
                 for a, b in zip(by_header.fields, cm.fields))


def _note_inferred(before: ColumnMap, after: ColumnMap, headers: list[ColumnHeader], how: str,
                   notes: list[str], flags: list[str], flag: str = "column_inferred") -> ColumnMap:
    """Note and flag (`column_inferred:F`, or `flag`) the columns `after` maps that `before`
    did not."""
    for i in sorted(set(before.unmapped) - set(after.unmapped)):
        notes.append(f"column {i + 1} {headers[i].text!r} read as {after.fields[i]}{how}")
        flags.append(f"{flag}:{after.fields[i]}")
    return after
