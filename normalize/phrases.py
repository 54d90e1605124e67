"""Free-text columns (cause of death, notes): repaired towards the register's usual phrases.

OCR on typewriter faces loses or changes single tone marks ("Đột quỵ" -> "Đột quy",
"Bổ sung" -> "Bố sung"), and every such reading is still a possible syllable, so the
syllable rules cannot see it. Registers write these columns in a small vocabulary
(normalize/data/register_phrases.tsv), so:

- a segment (the text, or each part between commas/semicolons) equal to a vocabulary phrase
  is written in its canonical form;
- one that differs from exactly one phrase by diacritics only is repaired to it (conf 0.9,
  step `phrase:old->new`; not flagged: the letters agree and no other phrase is that close);
- one a letter or two from a single phrase is repaired but flagged `vocab_fuzzy`;
- otherwise the text is kept; a word that is not an attested Vietnamese syllable (Debian's
  hunspell-vi list, normalize.syllables) is flagged `unknown_text`.
The value's first letter is capitalised ("già yếu" -> "Già yếu").
"""
from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from rapidfuzz import fuzz
from rapidfuzz.distance import Levenshtein

from normalize.syllables import hunspell_syllables, is_valid
from normalize.text import fold, speck_periods

DATA = Path(__file__).resolve().parent / "data"
# Field -> the phrase kind its column uses.
FIELD_KINDS = {"cause_of_death": "cause", "notes": "note"}
# Fuzzy repair (rapidfuzz ratio on folded text): at least this, and this far ahead of the
# runner-up phrase.
FUZZY_MIN = 90.0
FUZZY_MARGIN = 5.0
REPAIR_CONF = 0.9
FUZZY_CONF = 0.7
UNKNOWN_CONF = 0.7

_WORD = re.compile(r"[^\W\d_]+")
_SEGMENTS = re.compile(r"([,;]\s*)")


@dataclass(frozen=True)
class PhraseResult:
    """A free-text value after phrase repair."""

    value: str
    conf: float
    flags: tuple[str, ...] = ()
    steps: tuple[str, ...] = ()


@lru_cache(maxsize=1)
def _phrases() -> dict[str, dict[str, tuple[str, ...]]]:
    """kind -> {folded phrase -> canonical phrases with that fold}."""
    out: dict[str, dict[str, list[str]]] = {}
    with (DATA / "register_phrases.tsv").open(encoding="utf-8") as f:
        rows = csv.reader((l for l in f if l.strip() and not l.startswith("#")), delimiter="\t")
        for kind, phrase in rows:
            out.setdefault(kind, {}).setdefault(_fkey(phrase), []).append(phrase)
    return {k: {fk: tuple(v) for fk, v in d.items()} for k, d in out.items()}


def _fkey(s: str) -> str:
    """Folded words; final i/y spelled alike ("kí"/"ký" are one word's two spellings)."""
    return " ".join(re.sub(r"y\b", "i", fold(s)).split())


def capitalize_first(s: str) -> str:
    """First letter upper, the rest as written ("già yếu" -> "Già yếu")."""
    for i, c in enumerate(s):
        if c.isalpha():
            return s[:i] + c.upper() + s[i + 1:]
    return s


def _match(segment: str, table: dict[str, tuple[str, ...]]) -> tuple[str | None, str]:
    """(phrase, how): how is "exact", "marks" (diacritics differ), "fuzzy", "ambiguous" or ""."""
    low = segment.lower()
    fk = _fkey(segment)
    same = table.get(fk, ())
    for p in same:
        if p.lower() == low:
            return p, "exact"
    if len(same) == 1:
        return same[0], "marks"
    if len(same) > 1:
        return None, "ambiguous"
    if len(fk) < 6:
        return None, ""
    scored = sorted(((fuzz.ratio(fk, k), k) for k in table), reverse=True)[:2]
    if scored and scored[0][0] >= FUZZY_MIN and (len(scored) < 2 or scored[0][0] - scored[1][0] >= FUZZY_MARGIN):
        cands = table[scored[0][1]]
        if len(cands) == 1:
            return cands[0], "fuzzy"
    # one letter from a single phrase of as many words ("Bệnh tao" for "Bệnh lao"): every
    # word a real syllable, so nothing else would flag it
    near = [k for k in table if len(k.split()) == len(fk.split())
            and Levenshtein.distance(fk, k, score_cutoff=1) <= 1]
    if len(near) == 1 and len(table[near[0]]) == 1:
        return table[near[0]][0], "fuzzy"
    return None, ""


def _unknown_words(segment: str) -> list[str]:
    known = hunspell_syllables()
    out = []
    for w in _WORD.findall(segment):
        lw = w.lower()
        if w.isascii() and w.isupper():
            continue  # an abbreviation ("HIV", "BV")
        if not is_valid(lw) or (known and lw not in known and not w.isascii()):
            out.append(w)
    return out


def normalize_phrase(field: str, text: str) -> PhraseResult:
    """Repair a cleaned free-text value towards its column's vocabulary.

    Args:
        field: the record field ("cause_of_death", "notes"; other fields get only the word check).
        text: the value after normalize.text.clean_text (non-empty).

    Returns:
        PhraseResult(value with its first letter capitalised, conf, flags, steps).
    """
    table = _phrases().get(FIELD_KINDS.get(field, ""), {})
    text = speck_periods(text)
    if table and _SEGMENTS.search(text):
        # a speck read as a comma inside one phrase ("Tai, nạn giao thông")
        whole = " ".join(re.sub(r"[,;]", " ", text).split())
        phrase, how = _match(whole, table)
        if how in ("exact", "marks"):
            return PhraseResult(phrase, REPAIR_CONF, (), (f"phrase_rejoined:{text}->{phrase}",))
    parts = _SEGMENTS.split(text)
    conf = 1.0
    flags: list[str] = []
    steps: list[str] = []
    out: list[str] = []
    for i, seg in enumerate(parts):
        if i % 2 == 1 or not seg.strip():
            out.append(seg)
            continue
        phrase, how = _match(seg, table) if table else (None, "")
        if phrase is not None:
            # Keep the register's case for a phrase after a comma ("Con thứ hai, sinh đôi").
            rep = phrase if i == 0 or seg[:1].isupper() else phrase[:1].lower() + phrase[1:]
            if how != "exact" or rep != seg:
                steps.append(f"phrase:{seg}->{rep}")
            if how == "marks":
                conf = min(conf, REPAIR_CONF)
            elif how == "fuzzy":
                conf = min(conf, FUZZY_CONF)
                flags.append("vocab_fuzzy")
            out.append(rep)
            continue
        if how == "ambiguous":
            flags.append("vocab_fuzzy")
            conf = min(conf, FUZZY_CONF)
            steps.append(f"phrase_ambiguous:{seg}")
        bad = _unknown_words(seg)
        if bad:
            flags.append("unknown_text")
            conf = min(conf, UNKNOWN_CONF)
            steps += [f"unknown:{w}" for w in bad[:5]]
        out.append(seg)
    if not any(ch.isalpha() for ch in text):
        # a note or cause is words: a lone "13" or "-" is a speck or a stray mark read
        flags.append("unknown_text")
        conf = min(conf, UNKNOWN_CONF)
    value = capitalize_first("".join(out))
    if value != text and not steps:
        steps.append("capitalized")
    return PhraseResult(value, conf, tuple(dict.fromkeys(flags)), tuple(steps))
