"""Read a form page: text lines of "Label: value" pairs, one block per entry.

Every line is read whole (SINGLE_LINE); its words are then split at label colons. The
label before a colon is the longest-ranked run of words ending there that matches a field's
label vocabulary, so inline pairs ("Giới tính: Nam   Dân tộc: Kinh") split correctly. A line
with no label continues the previous field (a wrapped value). The entry-number line
("Số: 125") starts a new entry block.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

import cv2
import numpy as np

from configs.loader import Config, RegisterConfig
from ocr.entry import Entry
from ocr.recognize import CellText, PageInk, TextLine, find_lines, line_image, _to_page
from ocr.tesseract import read_line
from ocr.vocab import Match, best_match, fold

BBox = tuple[int, int, int, int]
Word = tuple[str, float, BBox]
MAX_LABEL_WORDS = 8
# A label must also be close as a whole string (ratio), not only as a WRatio partial match:
# "Quyển số" must not pass for "Số".
MIN_LABEL_RANK = 70.0
_COLON_IN_WORD = re.compile(r"(?<=[^\d\s]):")


@dataclass
class _Pair:
    field: str | None
    label: str
    words: list[Word] = field(default_factory=list)
    lines: list[list[Word]] = field(default_factory=list)


def label_vocab(regs: list[RegisterConfig]) -> dict[str, list[str]]:
    """Form labels of the given register types, by field."""
    vocab: dict[str, list[str]] = {}
    for reg in regs:
        for f, s in reg.fields.items():
            vocab.setdefault(f, [])
            vocab[f].extend(h for h in s.headers if h not in vocab[f])
    return vocab


def _ends_label(text: str) -> bool:
    """A word closing a label: "tính:" or a lone ":" (not a time like "6:")."""
    return text.endswith(":") and (len(text) == 1 or not text[-2].isdigit())


def _split_colons(words: list[Word]) -> list[Word]:
    """Split words at a label colon ("tính:Nam" -> "tính:", "Nam"), boxes by proportion."""
    out: list[Word] = []
    for text, conf, (x0, y0, x1, y1) in words:
        m = _COLON_IN_WORD.search(text)
        if m and m.end() < len(text):
            cut = m.end()
            xm = x0 + int((x1 - x0) * cut / max(len(text), 1))
            out.append((text[:cut], conf, (x0, y0, xm, y1)))
            out.append((text[cut:], conf, (xm, y0, x1, y1)))
        else:
            out.append((text, conf, (x0, y0, x1, y1)))
    return out


def _match_label(words: list[Word], vocab: dict[str, list[str]], threshold: float) -> tuple[int, Match] | None:
    """The best label ending at the last word: (index of its first word, match)."""
    best: tuple[int, Match] | None = None
    for s in range(max(0, len(words) - MAX_LABEL_WORDS), len(words)):
        text = " ".join(w[0] for w in words[s:]).rstrip(":").strip()
        m = best_match(text, vocab, threshold)
        if m is None or m.rank < MIN_LABEL_RANK:
            continue
        if best is None or m.rank > best[1].rank:
            best = (s, m)
    return best


def parse_line(words: list[Word], vocab: dict[str, list[str]], threshold: float) -> list[_Pair]:
    """Split one line's words into (label, value words) pairs; [] when it has no label.

    Words before the first label (a line that does not start with one) are dropped.
    """
    words = _split_colons(words)
    pairs: list[_Pair] = []
    pending: list[Word] = []
    for w in words:
        pending.append(w)
        if not _ends_label(w[0]):
            continue
        got = _match_label(pending, vocab, threshold)
        if got is None:
            continue  # a colon inside a value
        s, m = got
        if pairs:
            pairs[-1].words.extend(pending[:s])
        pairs.append(_Pair(m.key, " ".join(x[0] for x in pending[s:]).rstrip(":")))
        pending = []
    if not pairs:
        return []
    pairs[-1].words.extend(pending)
    return pairs


def _union(boxes: list[BBox]) -> BBox:
    return (min(b[0] for b in boxes), min(b[1] for b in boxes),
            max(b[2] for b in boxes), max(b[3] for b in boxes))


def _cell(lines: list[list[Word]], fallback: BBox) -> CellText:
    tls = []
    for ws in lines:
        if not ws:
            continue
        tls.append(TextLine(_union([w[2] for w in ws]), " ".join(w[0] for w in ws),
                            min(w[1] for w in ws) / 100.0, tuple(ws)))
    bbox = _union([t.bbox for t in tls]) if tls else fallback
    return CellText(bbox, tuple(tls))


def rule_mask(gray: np.ndarray) -> np.ndarray:
    """Long horizontal rules (entry separators) to whiten before finding text lines."""
    _, ink = cv2.threshold(gray, 0, 255, cv2.THRESH_BINARY_INV | cv2.THRESH_OTSU)
    k = cv2.getStructuringElement(cv2.MORPH_RECT, (max(gray.shape[1] // 8, 20), 1))
    rules = cv2.morphologyEx(ink, cv2.MORPH_OPEN, k)
    return cv2.dilate(rules, cv2.getStructuringElement(cv2.MORPH_RECT, (5, 5)))


@dataclass(frozen=True)
class FormRead:
    """A form page as read: all lines (top to bottom) and the entries."""

    lines: tuple[TextLine, ...]
    entries: tuple[Entry, ...]
    seconds: float


def read_lines(engine, page: PageInk, region: BBox) -> tuple[list[TextLine], float]:
    """Every text line of `region`, read whole, with word boxes in page pixels."""
    x0, y0, x1, y1 = region
    out, seconds = [], 0.0
    for bx0, by0, bx1, by1 in find_lines(page.ink[y0:y1, x0:x1], page.char_h):
        lb = (x0 + bx0, y0 + by0, x0 + bx1, y0 + by1)
        img, ox, oy = line_image(page.gray, lb, page.char_h)
        r = read_line(engine, img)
        seconds += r.seconds
        if r.text:
            out.append(_to_page(r, lb, ox, oy))
    return out, seconds


def group_entries(lines: list[TextLine], reg: RegisterConfig, threshold: float,
                  flags: tuple[str, ...] = ()) -> tuple[list[Entry], list[TextLine]]:
    """Turn read lines into entries (pure: no OCR).

    Returns:
        (entries, lines that belong to no entry: title, authority, page furniture).
    """
    vocab = label_vocab([reg])
    blocks: list[list[_Pair]] = []
    block_lines: list[list[TextLine]] = []
    outside: list[TextLine] = []
    last: _Pair | None = None
    for tl in lines:
        pairs = parse_line(list(tl.words), vocab, threshold)
        if not pairs:
            if last is not None and blocks:
                last.lines.append(list(tl.words))
                block_lines[-1].append(tl)
            else:
                outside.append(tl)
            continue
        if pairs[0].field == "entry_no" or not blocks:
            blocks.append([])
            block_lines.append([])
        for p in pairs:
            p.lines.append(p.words)
        blocks[-1].extend(pairs)
        block_lines[-1].append(tl)
        last = pairs[-1]
    entries = []
    for pairs, tls in zip(blocks, block_lines):
        box = _union([t.bbox for t in tls])
        cells: dict[str, CellText] = {}
        for p in pairs:
            if p.field is None or p.field in cells:
                continue
            cells[p.field] = _cell(p.lines, (box[0], box[1], box[0], box[1]))
        entries.append(Entry(row=len(entries) + 1, bbox=box, cells=cells, flags=flags))
    return entries, outside


def read_form(engine, page: PageInk, reg: RegisterConfig | None, cfg: Config,
              lines: list[TextLine] | None = None, flags: tuple[str, ...] = ()) -> FormRead:
    """Read a form page (lines may be given when the caller has read them already)."""
    seconds = 0.0
    if lines is None:
        h, w = page.gray.shape
        lines, seconds = read_lines(engine, page, (0, 0, w, h))
    if reg is None:
        return FormRead(tuple(lines), (), seconds)
    entries, _ = group_entries(lines, reg, cfg.header_match, flags)
    return FormRead(tuple(lines), tuple(entries), seconds)
