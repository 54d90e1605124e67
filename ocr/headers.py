"""Map ledger columns to record fields from their header text (never by position).

A column's header is its group text (a header cell spanning several columns, e.g. "Chồng")
and its own text ("Họ và tên"). Grouped columns are matched against the group's
sub-headers; the others against every field's headers. Each field goes to at most one
column; a column matching nothing is unmapped (and flagged by the caller).
"""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from configs.loader import RegisterConfig
from ocr.vocab import assign, best_match, fold

_COLNUM = re.compile(r"^\(?(\d{1,2})\)?$")
# a lone small number read as a letter: "l" for 1, "II" for 11, "O" for 0, "S" for 5
_DIGIT_LOOKALIKES = str.maketrans("lI|!OoSZB", "111100528")


@dataclass(frozen=True)
class ColumnHeader:
    """What is printed above one column: the spanning group cell's text (or None) and the
    column's own header text."""

    group: str | None
    text: str


@dataclass(frozen=True)
class ColumnMap:
    """Field per column (None = unmapped) and the match score per column (0 when none)."""

    fields: tuple[str | None, ...]
    scores: tuple[float, ...]

    @property
    def unmapped(self) -> tuple[int, ...]:
        return tuple(i for i, f in enumerate(self.fields) if f is None)


def map_columns(headers: list[ColumnHeader], reg: RegisterConfig, threshold: float) -> ColumnMap:
    """Assign fields to columns by fuzzy header matching.

    Args:
        headers: one per column, left to right.
        reg: the register type's config (field headers, groups, sub-headers).
        threshold: the config's header_match (WRatio 0..100).
    """
    n = len(headers)
    fields: list[str | None] = [None] * n
    scores = [0.0] * n
    used: set[str] = set()
    # 1. columns under a recognised group: sub-headers of that group's fields
    by_group: dict[str, list[int]] = {}
    unknown: dict[str, list[int]] = {}
    for i, h in enumerate(headers):
        if h.group and reg.groups:
            g = best_match(h.group, reg.groups, threshold)
            if g is not None:
                by_group.setdefault(g.key, []).append(i)
            else:
                unknown.setdefault(h.group, []).append(i)
    inferred = _group_by_elimination(headers, unknown, set(reg.groups) - set(by_group), reg, threshold)
    if inferred is not None:
        by_group[inferred[0]] = inferred[1]
    for g, idx in by_group.items():
        for i, m in zip(idx, assign([headers[i].text for i in idx], _group_vocab(reg, g), threshold)):
            if m is not None:
                fields[i], scores[i] = m.key, m.score
                used.add(m.key)
    # 2. the rest: every unused field's headers; the group text (if any) is part of the header
    rest = [i for i in range(n) if fields[i] is None]
    vocab = {f: s.headers for f, s in reg.fields.items() if f not in used}
    texts = [" ".join(t for t in (headers[i].text, headers[i].group or "") if t) for i in rest]
    for i, t, m in zip(rest, texts, assign(texts, vocab, threshold)):
        if m is not None and not _twin_as_good(t, m, vocab, reg):
            fields[i], scores[i] = m.key, m.score
    # 3. under a group cell the register does not know ("Người chết" over "Giới tính",
    # "Ngày sinh"), the column's own text alone: the group's words only dilute the match.
    # Taken last, so a header that matches with its group ("Chỗ ở chồng") keeps priority.
    alone = [i for i in range(n) if fields[i] is None and headers[i].group and not any(
        i in idx for idx in by_group.values())]
    vocab = {f: s.headers for f, s in reg.fields.items() if f not in fields}
    for i, m in zip(alone, assign([headers[i].text for i in alone], vocab, threshold)):
        if m is not None and not _twin_as_good(headers[i].text, m, vocab, reg):
            fields[i], scores[i] = m.key, m.score
    return ColumnMap(tuple(fields), tuple(scores))


# A grouped field matched by its text alone must match its own headers (which name the group:
# "Nơi cư trú của chồng") this much better (ratio points) than the sub-header it shares with
# its twin ("Nơi cư trú"): the group's word in the text is what tells the twins apart.
TWIN_MARGIN = 10.0


def _twin_as_good(text: str, m, vocab: dict[str, tuple[str, ...]], reg: RegisterConfig) -> bool:
    """Whether a field matched without its group's evidence has a twin still unmapped (the
    same sub-header in another group: husband_residence / wife_residence) and the text does
    not name the group: it reads as the shared sub-header as well as (within TWIN_MARGIN) as
    the field's own header. Then a guess would swap the husband's and the wife's values
    silently ("Họ và tên" ranks higher against "Họ và tên vợ" than "... chồng" only for being
    shorter): the column is left unmapped (flagged)."""
    spec = reg.fields.get(m.key)
    if spec is None or not spec.group:
        return False
    shared = {sub for f, s in reg.fields.items()
              if f != m.key and f in vocab and s.group and s.group != spec.group
              for sub in set(s.subheaders) & set(spec.subheaders)}
    bare = best_match(text, {"sub": tuple(shared)}, 0) if shared else None
    return bare is not None and bare.rank + TWIN_MARGIN > m.rank


def _group_vocab(reg: RegisterConfig, group: str) -> dict[str, tuple[str, ...]]:
    return {f: s.subheaders + s.headers for f, s in reg.fields.items() if s.group == group}


def _group_by_elimination(headers: list[ColumnHeader], unknown: dict[str, list[int]],
                          missing: set[str], reg: RegisterConfig,
                          threshold: float) -> tuple[str, list[int]] | None:
    """A group cell misread past recognition ("Vd" for "Vợ": two letters leave fuzzy
    matching nothing to work with) is the register's one group no other cell named, when
    every column under it reads as one of that group's sub-headers.

    Returns:
        (group, its columns) or None when that is not clear.
    """
    if len(unknown) != 1 or len(missing) != 1:
        return None
    (idx,) = unknown.values()
    (group,) = missing
    texts = [headers[i].text for i in idx]
    matches = assign(texts, _group_vocab(reg, group), threshold)
    if any(m is None for t, m in zip(texts, matches) if fold(t)):
        return None
    return group, idx


def header_likeness(texts: list[str], regs: list[RegisterConfig], threshold: float) -> float:
    """Share of non-empty texts that read like a header word of some register (0..1): tells a
    second header row from a first entry row."""
    vocab: dict[str, list[str]] = {}
    for reg in regs:
        for f, s in reg.fields.items():
            vocab.setdefault(f, []).extend(s.headers + s.subheaders)
        for g, words in reg.groups.items():
            vocab.setdefault("group:" + g, []).extend(words)
    nonempty = [t for t in texts if fold(t)]
    if not nonempty:
        return 0.0
    hits = 0
    for t in nonempty:
        m = best_match(t, vocab, threshold)
        if m is not None and m.rank >= threshold:
            hits += 1
    return hits / len(nonempty)


# Share of a band's cells that must read as their column's number: small
# printed digits are misread now and then ("Lả" for 7, '"1' for 11) or lost.
COLUMN_NUMBERS_SHARE = 0.7


def is_column_numbers(texts: list[str]) -> bool:
    """A row printing the column numbers "1 2 3 ..." or "(1) (2) ..." under the header (one
    text per column): most cells read as the number of their column.
    An entry row has one number cell or two (entry number, a day), never most of them."""
    steps = [int(m.group(1)) - i for i, t in enumerate(texts)
             if (m := _COLNUM.match(t.replace(" ", "").strip("\"'`.,").translate(_DIGIT_LOOKALIKES)))]
    # numbered from any first column: the number less its column's index is the same
    in_step = max(Counter(steps).values(), default=0)
    return in_step >= 3 and in_step >= COLUMN_NUMBERS_SHARE * len(texts)
