"""Fuzzy matching of printed words (titles, column headers, form labels) against the
configs' vocabulary: accents and case folded, punctuation dropped, rapidfuzz scores.

Two scores are used on purpose: WRatio (0..100) decides whether a text is close enough to a
variant at all (the configs' `header_match` / `title_match` thresholds), and plain ratio
ranks candidates, so "Họ và tên" prefers full_name over father_name's "Họ và tên cha"
(WRatio's partial matching scores both ~90); the rank also takes the words in any order.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from typing import Iterable, Mapping

from rapidfuzz import fuzz

# Plain ratio a pair needs besides the WRatio threshold: WRatio's partial matching alone lets
# "Nơi sinh" pass for "Nơi cư trú" and "Nguyên quán" for "Nguyên nhân".
MIN_RANK = 70.0
_PUNCT = re.compile(r"[^\w/ ]+")
_SPACES = re.compile(r"\s+")


@lru_cache(maxsize=4096)
def fold(text: str) -> str:
    """Accent- and case-folded, punctuation-free text: "Ngày, tháng, năm sinh" ->
    "ngay thang nam sinh". đ/Đ fold to d (NFD does not decompose them)."""
    t = unicodedata.normalize("NFD", text or "")
    t = "".join(c for c in t if unicodedata.category(c) != "Mn")
    t = t.replace("đ", "d").replace("Đ", "D").lower()
    t = _PUNCT.sub(" ", t)
    return _SPACES.sub(" ", t).strip()


def _rank(f: str, fv: str) -> float:
    """Plain ratio, or the same words in another order ("Tên họ" for "Họ tên", as older
    books print it): token_sort_ratio."""
    return max(fuzz.ratio(f, fv), fuzz.token_sort_ratio(f, fv))


@dataclass(frozen=True)
class Match:
    """The best vocabulary key for a text: key, WRatio score, ratio score, variant."""

    key: str
    score: float
    rank: float
    variant: str


def best_match(text: str, vocab: Mapping[str, Iterable[str]], threshold: float) -> Match | None:
    """The key whose variant matches `text` best, if its WRatio reaches `threshold`."""
    f = fold(text)
    if not f:
        return None
    best: Match | None = None
    for key, variants in vocab.items():
        for v in variants:
            fv = fold(v)
            score = fuzz.WRatio(f, fv)
            if score < threshold:
                continue
            rank = _rank(f, fv)
            if best is None or (rank, score) > (best.rank, best.score):
                best = Match(key, score, rank, v)
    return best


def assign(texts: list[str], vocab: Mapping[str, Iterable[str]], threshold: float) -> list[Match | None]:
    """Map each text to a distinct key: the best-ranked (text, key) pairs are taken first,
    so two columns never claim the same field and near-misses lose to exact matches."""
    pairs = []
    for i, t in enumerate(texts):
        f = fold(t)
        if not f:
            continue
        for key, variants in vocab.items():
            for v in variants:
                fv = fold(v)
                score = fuzz.WRatio(f, fv)
                rank = _rank(f, fv)
                if score >= threshold and rank >= MIN_RANK:
                    pairs.append((rank, score, i, key, v))
    pairs.sort(key=lambda p: (-p[0], -p[1], p[2]))
    out: list[Match | None] = [None] * len(texts)
    used: set[str] = set()
    for rank, score, i, key, v in pairs:
        if out[i] is None and key not in used:
            out[i] = Match(key, score, rank, v)
            used.add(key)
    return out
