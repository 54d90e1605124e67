"""Read a form page: text lines of "Label: value" pairs, one block per entry.

Every line is read whole (SINGLE_LINE); its words are then split at label colons. The
label before a colon is the longest-ranked run of words ending there that matches a field's
label vocabulary, so inline pairs ("Giới tính: Nam   Dân tộc: Kinh") split correctly. A line
with no label continues the previous field (a wrapped value). The entry-number line
("Số: 125") starts a new entry block.
"""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field, replace

import cv2
import numpy as np
from rapidfuzz import fuzz

from configs.loader import Config, RegisterConfig
from ocr.entry import Entry
# what tells a label nobody knows ("Phái: Nam" is the sex): the field kinds and the share of
# values that tell a ledger's unnamed column
from ocr.ledger import COLUMN_FIT_SHARE, TELLING_KINDS
from ocr.recognize import CellText, PageInk, TextLine, long_runs, read_box, reread_line, strip_noise
from ocr.vocab import Match, assign, best_match, fold
from schemas.fields import field_kind

BBox = tuple[int, int, int, int]
Word = tuple[str, float, BBox]
MAX_LABEL_WORDS = 8
# A label must also be close as a whole string (ratio), not only as a WRatio partial match:
# "Quyển số" must not pass for "Số".
MIN_LABEL_RANK = 70.0
# A label closed by "." or ";" instead of ":" must match this closely.
STRICT_LABEL_RANK = 84.0
# a colon glued between label and value ("tính:Nam"); "„" is a colon's two dots read low
# ("cha„HOÀNG"), never a Vietnamese word's character
_COLON_IN_WORD = re.compile(r"(?<=[^\d\s])[:„]")
_NUMBER = re.compile(r"[\d/.,\-]+")
# Two readings of a label this close (folded, rapidfuzz ratio) are the same printed label.
SAME_LABEL = 88.0
# A labelled line further below the entry's last line than this many label pitches starts a
# new entry: entries are set apart by a blank band, an entry's own lines are not. Set between
# what was measured on the death forms of blind seeds 1061-1062 and dev family fam335 (entry
# gaps 2.5-2.6 pitches, a line read as nothing inside an entry 1.9; 1.8 split entries there).
# A false split is loud (both halves flagged), a missed one silent.
ENTRY_GAP_PITCHES = 2.25
# A label-like line ("Phái: Nam"): a few words, no digit, closed by a colon, then the value.
_UNKNOWN_LABEL_WORDS = 5


@dataclass
class _Pair:
    field: str | None
    label: str
    words: list[Word] = field(default_factory=list)
    lines: list[list[Word]] = field(default_factory=list)
    colon: bool = True  # False: the label was recognised without its colon
    label_words: list[Word] = field(default_factory=list)
    # where the value's first line may lie: from the label's end to the next label (or the
    # line's end), for second reads that must see the whole value, not what the first read
    # made of it
    region: BBox | None = None
    inferred: bool = False  # the field was told by the values, not the label (infer_labels)
    core: str = ""  # the part of the label that matched the field (without a qualifier)


def label_vocab(regs: list[RegisterConfig]) -> dict[str, list[str]]:
    """Form labels of the given register types, by field."""
    vocab: dict[str, list[str]] = {}
    for reg in regs:
        for f, s in reg.fields.items():
            vocab.setdefault(f, [])
            vocab[f].extend(h for h in s.headers if h not in vocab[f])
    return vocab


# What a faint or broken colon is read as (accepted only on a close label match).
_COLON_LOOKALIKES = ".;'\"-`‘’“”,„"


def _ends_label(text: str) -> bool:
    """A word that may close a label: "tính:" or a lone ":" (not a time like "6:"); also
    "khai." / "nữ'" / "Số\"" (a faint colon misread), accepted only on a close match."""
    # a number before the colon is a time ("6:"), a letter misread as a digit is not ("Gá1:")
    return (text[-1:] == ":" or (text[-1:] != "" and text[-1] in _COLON_LOOKALIKES)) and (
        len(text) == 1 or not _NUMBER.fullmatch(text[:-1]))


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


def _match_label(words: list[Word], vocab: dict[str, list[str]], threshold: float,
                 first: bool) -> tuple[int, Match] | None:
    """The best label ending at the last word: (index of its first word, match).

    The first label of a line starts the line (one short noise word may precede it):
    "Quyển số:" must not yield the label "Số".
    """
    best: tuple[int, Match] | None = None
    starts = range(max(0, len(words) - MAX_LABEL_WORDS), len(words))
    if first:
        starts = [0] + ([1] if len(words) > 1 and len(words[0][0]) <= 2 else [])
    for s in starts:
        text = " ".join(w[0] for w in words[s:])
        strict = not text.endswith(":")
        text = text.rstrip(":" + _COLON_LOOKALIKES).strip()
        m = best_match(text, vocab, threshold)
        if m is None or m.rank < (STRICT_LABEL_RANK if strict else MIN_LABEL_RANK):
            continue
        if best is None or m.rank > best[1].rank:
            best = (s, m)
    return best


def parse_line(words: list[Word], vocab: dict[str, list[str]], threshold: float) -> list[_Pair]:
    """Split one line's words into (label, value words) pairs; [] when it has no label.

    Words before the first label (a line that does not start with one) are dropped.
    """
    words = _split_colons(words)
    pairs = _colon_pairs(words, [], vocab, threshold)
    if not pairs:
        # the line's first label lost its colon ("Nam hay nữ Nam   Quốc tịch: Việt Nam"):
        # its value may still hold the next inline pairs
        pairs = _label_without_colon(words, vocab, threshold)
        if pairs:
            return _colon_pairs(pairs[0].words, [replace(pairs[0], words=[])], vocab, threshold)
        return _colon_pairs(words, [], vocab, threshold, inner=True)
    # a "label" ending the line with nothing after it, behind another pair, is the end of
    # that pair's value plus a speck read as a colon ("Ghi chú: Cải chính họ tên :")
    if len(pairs) > 1 and not pairs[-1].words:
        tail = pairs.pop()
        pairs[-1].words.extend(tail.label_words)
    return pairs


def _colon_pairs(words: list[Word], pairs: list[_Pair], vocab: dict[str, list[str]],
                 threshold: float, inner: bool = False) -> list[_Pair]:
    """Split words at label colons into pairs appended to `pairs` (the words before the
    first label go to the last pair given; with none given they are dropped). `inner`: the
    first label may start past the line's start (see _inner_first_label)."""
    pending: list[Word] = []
    for i, w in enumerate(words):
        pending.append(w)
        if not _ends_label(w[0]):
            continue
        got = _match_label(pending, vocab, threshold, first=not pairs)
        if got is None and not pairs and inner:
            got = _inner_first_label(pending, vocab, threshold)
        if got is None:
            continue  # a colon inside a value
        if _longer_label(pending, words[i + 1:i + 3], vocab, threshold, not pairs, got,
                         w[0][-1:] == ":"):
            # "Họ và tên. bố:", "Ngày sinh: của chồng:": a speck after "tên" or "sinh",
            # the label goes on to "bố:" / "chồng:"
            continue
        s, m = got
        if pairs:
            pairs[-1].words.extend(pending[:s])
        pairs.append(_Pair(m.key, " ".join(x[0] for x in pending[s:]).rstrip(":" + _COLON_LOOKALIKES),
                           label_words=pending[s:]))
        pending = []
    if pairs:
        pairs[-1].words.extend(pending)
    return pairs


def _inner_first_label(words: list[Word], vocab: dict[str, list[str]], threshold: float
                       ) -> tuple[int, Match] | None:
    """A line's first label found past its start, when what opens the line is unreadable
    ("6TT: 971913 Ngày đăng ký: 12/12/1973", "STT: 7/1973" read as one word): only a long
    label matched closely, so that "Quyển số:" still yields no "Số"."""
    got = _match_label(words, vocab, threshold, first=False)
    if got is None or got[0] == 0 or got[1].rank < STRICT_LABEL_RANK or len(fold(got[1].variant)) < 8:
        return None
    return got


def _longer_label(pending: list[Word], ahead: list[Word], vocab: dict[str, list[str]], threshold: float,
                  first: bool, got: tuple[int, Match], colon: bool) -> bool:
    """Do the next word or two, up to a real colon, continue the label found so far (`got`:
    its first word's index, its match) into a longer one? Past a real colon (`colon`) only
    into a label matched more closely: a colon is a label's end unless clearly not."""
    for k, w in enumerate(ahead, 1):
        if w[0].endswith(":"):
            longer = _match_label(pending + ahead[:k], vocab, threshold, first=first)
            return longer is not None and longer[0] <= got[0] and (
                not colon or longer[1].rank > got[1].rank)
    return False


def _label_without_colon(words: list[Word], vocab: dict[str, list[str]], threshold: float) -> list[_Pair]:
    """A line whose label lost its colon ("Quốc tịch chồng Việt Nam"): the line-opening run
    of words that matches a label closely (STRICT_LABEL_RANK) is the label, the rest the
    value."""
    best: tuple[float, int, Match] | None = None
    for k in range(1, min(MAX_LABEL_WORDS, len(words) - 1) + 1):
        text = " ".join(w[0] for w in words[:k]).rstrip(":" + _COLON_LOOKALIKES)
        m = best_match(text, vocab, threshold)
        # short labels ("Số") need their colon: "SỔ ĐĂNG KÝ..." is a title, not a number
        if (m is not None and m.rank >= STRICT_LABEL_RANK and len(fold(m.variant)) >= 5
                and m.key != "entry_no" and (best is None or m.rank >= best[0] or _goes_on(words, best, k, m))):
            best = (m.rank, k, m)
    if best is None:
        return []
    _, k, m = best
    core = " ".join(w[0] for w in words[:k])
    k = _qualified_end(words, k)
    return [_Pair(m.key, " ".join(w[0] for w in words[:k]).rstrip(":" + _COLON_LOOKALIKES),
                  list(words[k:]), colon=words[k - 1][0].endswith(":") and core != " ".join(w[0] for w in words[:k]),
                  label_words=list(words[:k]), core=core)]


def _qualified_end(words: list[Word], k: int) -> int:
    """Where a label matched over words[:k] really ends: a qualifier in small letters or
    brackets up to a colon ("Ghi chú (cải chính, bổ sung):") is the label's, not its value;
    a value starts with a capital or a digit. A bracket opened after the label is the
    label's up to where it closes, or to the end of the line when its close is lost or
    misread ("(cải chính, bổ su", "(cải chỉnh, bổ PM", "bổ su ):"): the value is empty."""
    if k < len(words) and words[k][0][:1] in "([":
        for j in range(k, min(len(words), k + MAX_LABEL_WORDS)):
            if any(ch in words[j][0] for ch in ")]"):
                return j + 2 if j + 1 < len(words) and words[j + 1][0] in (":", *_COLON_LOOKALIKES) else j + 1
        return len(words) if len(words) <= k + MAX_LABEL_WORDS else k
    for j in range(k, min(len(words), k + MAX_LABEL_WORDS)):
        head = words[j][0][:1]
        if not (head.islower() or head in "(["):
            return k
        if words[j][0].endswith(":") and not _NUMBER.fullmatch(words[j][0][:-1]):
            return j + 1
    return k


def _goes_on(words: list[Word], best: tuple[float, int, Match], k: int, m: Match) -> bool:
    """Is the label matched over words[:k] a longer label than `best` whose extra words are
    label words, in small letters ("Họ tên chat" for "Họ tên cha:", not "Họ tên" + the
    value "CHU VĂN AN")? A value starts with a capital."""
    extra = words[best[1]:k]
    return (len(fold(m.variant)) > len(fold(best[2].variant)) and m.key != best[2].key
            and all(w[0][:1].islower() for w in extra))


def _union(boxes: list[BBox]) -> BBox:
    return (min(b[0] for b in boxes), min(b[1] for b in boxes),
            max(b[2] for b in boxes), max(b[3] for b in boxes))


def _value_region(tl: TextLine, p: _Pair, after: _Pair | None) -> BBox | None:
    """The stretch of line `tl` that holds pair `p`'s value (see _Pair.region); None when
    the label ends the line's ink."""
    if not p.label_words and not p.words:
        return None
    # (no label words known: the value's own first word is where it starts)
    x0 = max(w[2][2] for w in p.label_words) if p.label_words else min(w[2][0] for w in p.words)
    x1 = min(w[2][0] for w in after.label_words) if after is not None and after.label_words else tl.bbox[2]
    if p.words:
        x0, x1 = min(x0, min(w[2][0] for w in p.words)), max(x1, max(w[2][2] for w in p.words))
    elif x1 - x0 < tl.bbox[3] - tl.bbox[1]:
        return None
    return (x0, tl.bbox[1], x1, tl.bbox[3])


def _cell(lines: list[list[Word]], fallback: BBox, region: BBox | None = None) -> CellText:
    tls = []
    for k, ws in enumerate(lines):
        ws = strip_noise(ws)
        if not ws:
            continue
        box = _union([w[2] for w in ws])
        if k == 0 and region is not None:
            # the whole stretch after the label: words the first read lost or cut short
            # ("VŨ THU MINH" read "TI 1TN" over its middle) are in a second read's crop
            box = (min(region[0], box[0]), min(region[1], box[1]), max(region[2], box[2]), max(region[3], box[3]))
        tls.append(TextLine(box, " ".join(w[0] for w in ws), min(w[1] for w in ws) / 100.0, tuple(ws)))
    if not tls and region is not None:
        # ink after the label that the line's read returned nothing for: read_form reads it
        # on its own
        return CellText(region, (), unread=True)
    bbox = _union([t.bbox for t in tls]) if tls else fallback
    return CellText(bbox, tuple(tls))


def rule_mask(gray: np.ndarray) -> np.ndarray:
    """Long rules (entry separators, boxes around entries) to whiten before finding lines."""
    _, ink = cv2.threshold(gray, 0, 255, cv2.THRESH_BINARY_INV | cv2.THRESH_OTSU)
    # runs a little thicker than the ink first: a box drawn a degree off the text's level
    # steps by a pixel every few dozen pixels and would break a 1-pixel-high opening
    rules = long_runs(cv2.dilate(ink, np.ones((3, 1), np.uint8)), cv2.dilate(ink, np.ones((1, 3), np.uint8)))
    return cv2.dilate(rules & ink, cv2.getStructuringElement(cv2.MORPH_RECT, (5, 5)))


@dataclass(frozen=True)
class FormRead:
    """A form page as read: all lines (top to bottom) and the entries."""

    lines: tuple[TextLine, ...]
    entries: tuple[Entry, ...]
    seconds: float


def read_lines(engine, page: PageInk, region: BBox) -> tuple[list[TextLine], float]:
    """Every text line of `region`, read whole, with word boxes in page pixels."""
    cell = read_box(engine, page, region, strip=False)
    return [l for l in cell.lines if l.text], cell.seconds


def _unknown_label(words: list[Word]) -> _Pair | None:
    """A line that opens with what reads as a label hotich does not know ("Phái: Nam"): up
    to _UNKNOWN_LABEL_WORDS words of letters closed by a colon. Its value must not be lost
    or glued to the field above."""
    words = _split_colons(words)
    for j, w in enumerate(words[:_UNKNOWN_LABEL_WORDS]):
        if any(ch.isdigit() for ch in w[0]):
            return None
        if w[0].endswith(":") and len(fold(" ".join(x[0] for x in words[:j + 1]))) >= 2:
            label = " ".join(x[0] for x in words[:j + 1]).rstrip(":").strip()
            return _Pair(None, label, list(words[j + 1:]), label_words=list(words[:j + 1]))
    return None


def _clusters(labels: list[str], kinds: list[str | None] | None = None) -> list[int]:
    """Cluster index per label text: readings of one printed label go together. With
    `kinds`, only labels of the same kind may ("Ngày sinh của chồng" and "... của vợ" are
    one letter-run apart but matched two fields: two printed labels)."""
    kinds = kinds if kinds is not None else [None] * len(labels)
    reps: list[tuple[str, str | None]] = []
    out = []
    for t, kind in zip(labels, kinds):
        f = fold(t)
        for k, (r, rk) in enumerate(reps):
            if rk == kind and fuzz.ratio(f, r) >= SAME_LABEL:
                out.append(k)
                break
        else:
            reps.append((f, kind))
            out.append(len(reps) - 1)
    return out


def settle_labels(parsed: list[list[_Pair]], vocab: dict[str, list[str]], threshold: float) -> None:
    """One printed label, one field (in place): a book prints each field's label once per
    entry, so two different labels of a page never mean the same field. Each line matched
    its label alone ("Họ và tên người đã mất" ranks nearest "Họ và tên người đi khai"). The
    page's printed labels (the readings as frequent as its labels are: a misread "STTE" is a
    reading of "STT", no label of its own) that claim one field are matched together
    (ocr.vocab.assign: closer matches first); the loser takes the next field it matches that
    no other label holds, else it is a label nobody knows (field None). Labels no other
    printed label contends with keep their field."""
    pairs, span, spans = [], 0, []
    for ps in parsed:
        span += bool(ps) and ps[0].field == "entry_no"  # an entry-number line opens an entry
        for p in ps:
            if p.field is not None and (p.core or p.label):
                pairs.append(p)
                spans.append(span)
    if not pairs:
        return
    cl = _clusters([p.core or p.label for p in pairs], [p.field for p in pairs])
    members: dict[int, list[_Pair]] = {}
    for k, p in zip(cl, pairs):
        members.setdefault(k, []).append(p)
    sizes = sorted(len(g) for g in members.values())
    typical = sizes[len(sizes) // 2]
    printed = [k for k in sorted(members) if len(members[k]) >= typical]
    claims = Counter(members[k][0].field for k in printed)
    # two readings of one field inside one numbered entry are two printed labels, however
    # often each was read the same way
    in_entry: dict[tuple[int, str], set[int]] = {}
    for k, s, p in zip(cl, spans, pairs):
        if s > 0:
            in_entry.setdefault((s, p.field), set()).add(k)
    together = {k for ks in in_entry.values() if len(ks) > 1 for k in ks}
    contested = sorted({k for k in printed if claims[members[k][0].field] > 1} | together)
    if not contested:
        return
    # the most frequent reading stands for its cluster
    ranked = sorted(set(printed) | set(contested))
    texts = {k: [q.core or q.label for q in members[k]] for k in ranked}
    got = dict(zip(ranked, assign([max(set(texts[k]), key=texts[k].count) for k in ranked],
                                  vocab, threshold)))
    held = {members[k][0].field for k in members if k not in contested}
    for k in contested:
        m = got[k]
        field_ = m.key if m is not None and (m.key == members[k][0].field or m.key not in held) else None
        for q in members[k]:
            q.field = field_


def infer_labels(blocks: list[list[_Pair]], reg: RegisterConfig, fits) -> None:
    """Labels nobody knows, told by their values: a label whose values read as one field's
    ("Nam", "Nữ": the sex) gets that field when it is the only field of its kind the page
    lacks and no other unknown label fits it too (in place; flagged by the caller)."""
    unknown = [p for b in blocks for p in b if p.field is None]
    if not unknown or fits is None:
        return
    on_page = {p.field for b in blocks for p in b if p.field}
    # a name tells nothing among names, but a required name field the page lacks (the
    # deceased's, under a wording hotich does not know) is the one to look for
    lacking = [f for f in reg.fields if f not in on_page and (
        field_kind(f) in TELLING_KINDS or (field_kind(f) == "name" and reg.fields[f].required))]
    lacking_kinds = [field_kind(f) for f in reg.fields if f not in on_page]
    candidates = [f for f in lacking if lacking_kinds.count(field_kind(f)) == 1]
    cl = _clusters([p.label for p in unknown])
    fitting: dict[str, list[int]] = {}
    for k in sorted(set(cl)):
        values = [" ".join(w[0] for ws in p.lines for w in ws) for p, c in zip(unknown, cl) if c == k]
        values = [v for v in values if v.strip()]
        if not values:
            continue
        for f in candidates:
            if sum(fits(f, v) for v in values) >= COLUMN_FIT_SHARE * len(values):
                fitting.setdefault(f, []).append(k)
    chosen: dict[int, str] = {}
    for f, ks in fitting.items():
        if len(ks) == 1 and sum(ks[0] in v for v in fitting.values()) == 1:
            chosen[ks[0]] = f
    for p, c in zip(unknown, cl):
        if c in chosen:
            p.field = chosen[c]
            p.inferred = True


def parse_lines(lines: list[TextLine], vocab: dict[str, list[str]], threshold: float) -> list[list[_Pair]]:
    """parse_line for each line of a page."""
    return [parse_line(list(tl.words), vocab, threshold) for tl in lines]


def label_margin(lines: list[TextLine], parsed: list[list[_Pair]]) -> int | None:
    """The x where the page's labels open their lines: the median start of the lines whose
    first label is closed by its colon (None: no such line)."""
    starts = sorted(tl.bbox[0] for tl, ps in zip(lines, parsed) if ps and ps[0].colon)
    return starts[len(starts) // 2] if starts else None


def group_entries(lines: list[TextLine], reg: RegisterConfig, threshold: float,
                  flags: tuple[str, ...] = (), fits=None, parsed: list[list[_Pair]] | None = None
                  ) -> tuple[list[Entry], list[TextLine]]:
    """Turn read lines into entries (pure: no OCR).

    `fits(field, text)`: does a value read as that field's (to tell labels nobody knows).
    `parsed`: parse_lines(lines) when the caller has it (settled here, in place).

    Returns:
        (entries, lines that belong to no entry: title, authority, page furniture).
    """
    vocab = label_vocab([reg])
    blocks: list[list[_Pair]] = []
    block_lines: list[list[TextLine]] = []
    outside: list[TextLine] = []
    last: _Pair | None = None
    heights = sorted(t.bbox[3] - t.bbox[1] for t in lines)
    line_h = heights[len(heights) // 2] if heights else 0
    prev: TextLine | None = None
    if parsed is None:
        parsed = parse_lines(lines, vocab, threshold)
    settle_labels(parsed, vocab, threshold)
    # labels open their lines at the entries' left margin; a caption far to the right
    # ("Người ghi sổ" under a signature) that reads like a label is no entry's
    left = label_margin(lines, parsed)
    margin = left + 6 * line_h if left is not None else None
    numbered = sum(bool(ps) and ps[0].field == "entry_no" for ps in parsed) >= 2
    # the page's line pitch: an entry's lines follow each other at it, entries are set apart
    # by a wider gap (and often a rule); a gap that wide opens a new entry even when its
    # first label was misread ("Sõ TT: 5 Ngày đăng ký: ..." must not give entry 4 its date)
    # (measured label line to label line: a wrapped value's lines sit closer)
    tops = [tl.bbox[1] for tl, ps in zip(lines, parsed) if ps]
    steps = sorted(b - a for a, b in zip(tops, tops[1:]) if b > a)
    pitch = steps[len(steps) // 2] if steps else 0
    for tl, pairs in zip(lines, parsed):
        if pairs and not blocks and not pairs[0].colon:
            pairs = []  # a heading line above the first entry that happens to read like a label
        if pairs and margin is not None and tl.bbox[0] > margin:
            pairs = []
        if not pairs and blocks and left is not None and abs(tl.bbox[0] - left) <= 2 * line_h:
            # at the labels' margin and shaped like one: a label hotich does not know, whose
            # value is told by its content or flagged, never glued to the field above
            unknown = _unknown_label(list(tl.words))
            pairs = [unknown] if unknown is not None else []
        if not pairs:
            # a wrapped value continues right under its line; anything further down (a
            # printed page number, a stamp) belongs to no entry
            close = prev is not None and tl.bbox[1] - prev.bbox[3] <= 0.8 * line_h
            under = last is not None and bool(last.words) and (
                tl.bbox[0] <= max(w[2][2] for w in last.words) and tl.bbox[2] >= prev.bbox[0])
            if last is not None and blocks and close and under:
                last.lines.append(list(tl.words))
                block_lines[-1].append(tl)
                prev = tl
            else:
                outside.append(tl)
                last = None
            continue
        apart = (blocks and prev is not None and pitch > 0
                 and tl.bbox[1] - prev.bbox[1] > ENTRY_GAP_PITCHES * pitch)
        prev = tl
        seen = {p.field for p in blocks[-1] if p.field} if blocks else set()
        if (pairs[0].field == "entry_no" or not blocks or apart
                or (pairs[0].field and pairs[0].field in seen)):
            blocks.append([])
            block_lines.append([])
        for i, p in enumerate(pairs):
            p.lines.append(p.words)
            p.region = _value_region(tl, p, pairs[i + 1] if i + 1 < len(pairs) else None)
        blocks[-1].extend(pairs)
        block_lines[-1].append(tl)
        last = pairs[-1]
    infer_labels(blocks, reg, fits)
    entries = []
    # the book's form has the labels some entry on the page shows; one whose label was not
    # found in an entry is flagged rather than silently empty
    on_page = {p.field for pairs in blocks for p in pairs if p.field}
    for n, (pairs, tls) in enumerate(zip(blocks, block_lines)):
        box = _union([t.bbox for t in tls])
        cells: dict[str, CellText] = {}
        for p in pairs:
            if p.field is None or p.field in cells:
                continue
            cells[p.field] = _cell(p.lines, (box[0], box[1], box[0], box[1]), p.region)
        lost = tuple(f"label_not_found:{f}" for f in sorted(on_page - set(cells)))
        more = tuple(f"label_inferred:{p.field}" for p in pairs if p.inferred)
        if any(p.field is None and any(ws for ws in p.lines) for p in pairs):
            more += ("unmapped_label",)  # a value on the page that went to no field
        if numbered and n > 0 and "entry_no" not in cells and 2 * len(cells) < len(on_page):
            # numbered entries, this one not and holding under half the page's labels: the
            # tail of an entry split in two, or a stray block (a whole entry whose number was
            # unreadable is only missing its number)
            more += ("entry_unnumbered",)
        labels = tuple((p.field, p.label, _union([w[2] for w in p.label_words]))
                       for p in pairs if p.field and p.label_words)
        entries.append(Entry(row=len(entries) + 1, bbox=box, cells=cells, flags=flags + lost + more,
                             labels=labels))
    return entries, outside


def _reread_label_lines(engine, page: PageInk, lines: list[TextLine], vocab: dict[str, list[str]],
                        threshold: float) -> tuple[list[TextLine], list[list[_Pair]], float]:
    """Lines at the labels' left margin that read as no known label closed by its colon, read
    again binarised; the second read is kept when it reads as a label and its colon ("Số TT:
    1" over a dotted leader on grey paper read "S0 EEXST", and right once thresholded: the
    entry had lost its number; "Họ tên ng n Mạnh Hải" is "Họ tên người cha: Phan Mạnh Hải").
    Lines elsewhere (title, a signature, a wrapped value) are not read again.

    Returns:
        (the lines, parse_lines of them, Tesseract seconds).
    """
    parsed = parse_lines(lines, vocab, threshold)
    left = label_margin(lines, parsed)
    if left is None:
        return lines, parsed, 0.0
    out, seconds = list(lines), 0.0
    for i, (tl, ps) in enumerate(zip(lines, parsed)):
        if (ps and ps[0].colon) or abs(tl.bbox[0] - left) > page.char_h:
            continue
        again, s = reread_line(engine, page, tl)
        seconds += s
        got = parse_line(list(again.words), vocab, threshold)
        if got and got[0].colon:
            out[i], parsed[i] = again, got
    return out, parsed, seconds


def read_form(engine, page: PageInk, reg: RegisterConfig | None, cfg: Config,
              lines: list[TextLine] | None = None, flags: tuple[str, ...] = (), fits=None) -> FormRead:
    """Read a form page (lines may be given when the caller has read them already)."""
    seconds = 0.0
    if lines is None:
        h, w = page.gray.shape
        lines, seconds = read_lines(engine, page, (0, 0, w, h))
    if reg is None:
        return FormRead(tuple(lines), (), seconds)
    lines, parsed, more = _reread_label_lines(engine, page, lines, label_vocab([reg]), cfg.header_match)
    seconds += more
    entries, _ = group_entries(lines, reg, cfg.header_match, flags, fits, parsed)
    # a faint value beside a bold label can vanish from the whole line's read ("Ngày tháng
    # năm đăng ký:" and nothing): read alone, its contrast is its own
    for i, e in enumerate(entries):
        lost = {f: read_box(engine, page, c.bbox) for f, c in e.cells.items() if c.empty and c.unread}
        if lost:
            seconds += sum(c.seconds for c in lost.values())
            # (no line of ink there but a speck: an empty value, not an unreadable one)
            entries[i] = replace(e, cells={**e.cells, **lost})
    # a number alone (a footer's "Số: 465" carried to the next page) is no entry
    entries = [e for e in entries if any(not c.empty for f, c in e.cells.items() if f != "entry_no")]
    entries = [replace(e, row=i) for i, e in enumerate(entries, 1)]
    return FormRead(tuple(lines), tuple(entries), seconds)
