"""Field comparisons: each a declared object with documented levels, vectorised over pairs.

`compare(features, ia, ib)` returns one int8 level per pair (index into `levels`, best first)
or -1 where either side lacks the value: a missing value is neutral evidence, never a
disagreement. String distances are computed once per distinct pair of values with rapidfuzz
(`process.cpdist`, all cores), then spread back to the pairs.

Thresholds live on the objects (Splink's `NameComparison(jaro_winkler_thresholds=...)` style)
so a profile in profiles.py reads as data. Each also declares prior m and u per level: rough,
deliberately mild beliefs (duplicates mostly agree; candidates that differ mostly disagree)
that EM starts from and shrinks towards; with many pairs the data outweigh them entirely.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Protocol

import numpy as np
import pandas as pd
from rapidfuzz import fuzz, process
from rapidfuzz.distance import JaroWinkler, Levenshtein

from pipeline.dedup.features import NO_MIDDLE, Features

WORKERS = -1  # rapidfuzz: every core


class Comparison(Protocol):
    """What the model and the outputs need from a comparison."""

    name: str
    field: str
    levels: tuple[str, ...]
    doubtful_from: str  # with the field flagged on either side, this level and worse -> null
    prior_m: tuple[float, ...]  # what EM shrinks towards when pairs are few (model.py)
    prior_u: tuple[float, ...]

    def compare(self, feats: Features, ia: np.ndarray, ib: np.ndarray) -> np.ndarray: ...

    @property
    def tf_feature(self) -> str | None: ...


def pair_metric(codes_a: np.ndarray, codes_b: np.ndarray, values: list,
                metric: Callable[[list, list], np.ndarray]) -> np.ndarray:
    """`metric` on each pair of distinct values, once per distinct (unordered) pair.

    Args:
        codes_a, codes_b: value codes of the two sides (both >= 0).
        values: the distinct values the codes index.
        metric: takes two equal-length lists of strings, returns one number per position.
    Returns:
        The metric per input pair (float64).
    """
    if len(codes_a) == 0:
        return np.zeros(0)
    lo = np.minimum(codes_a, codes_b).astype(np.int64)
    hi = np.maximum(codes_a, codes_b).astype(np.int64)
    key = lo * max(len(values), 1) + hi
    inv, uk = pd.factorize(key)  # hashing, not sorting: faster on millions of pairs
    vals = np.asarray(values, dtype=object)
    res = np.asarray(metric(vals[uk // len(values)].tolist(), vals[uk % len(values)].tolist()),
                     dtype=np.float64)
    return res[inv]


def _levenshtein(cutoff: int) -> Callable[[list, list], np.ndarray]:
    """Edit distance, exact up to `cutoff` (beyond it: cutoff + 1; the banded algorithm
    stops early, which is most of the speed on millions of dissimilar pairs)."""
    return lambda a, b: process.cpdist(a, b, scorer=Levenshtein.distance, score_cutoff=cutoff,
                                       workers=WORKERS)


def _jaro_winkler(cutoff: float) -> Callable[[list, list], np.ndarray]:
    return lambda a, b: process.cpdist(a, b, scorer=JaroWinkler.normalized_similarity,
                                       score_cutoff=cutoff, workers=WORKERS)


def _ratio(cutoff: float) -> Callable[[list, list], np.ndarray]:
    return lambda a, b: process.cpdist(a, b, scorer=fuzz.ratio, score_cutoff=cutoff,
                                       workers=WORKERS)


def _subset(a: list, b: list) -> np.ndarray:
    """1 where the words of one name are all among the other's ("thi" vs "thi thu")."""
    out = np.zeros(len(a))
    for i, (x, y) in enumerate(zip(a, b)):
        sx = set() if x == NO_MIDDLE else set(x.split())
        sy = set() if y == NO_MIDDLE else set(y.split())
        out[i] = sx <= sy or sy <= sx
    return out


def _fill(levels: np.ndarray, mask: np.ndarray, level: int) -> None:
    """Set `level` where `mask` holds and no better level was set yet (levels are -2 = unset)."""
    levels[mask & (levels == -2)] = level


@dataclass(frozen=True)
class NameComparison:
    """A name or a part of one (surname, middle, given), tolerant of OCR damage.

    Levels (best first):
      0 exact       the same name, diacritics included (case ignored)
      1 diacritics  equal once diacritics are folded away and đ -> d: a tone mark or a
                    horn/hat lost to OCR (Trần/Trân, Hương/Huong); also genuinely different
                    names that fold alike (Hương/Hường), which is why it is its own level
      2 ocr_close   folded Levenshtein distance <= `max_edits` (+1 per `edits_per` characters):
                    a letter dropped, added or misread
      3 similar     folded Jaro-Winkler >= `similar` (full names only: a middle name dropped
                    or more damage); for middle names, one's words contain the other's
      4 different   anything else
      -1 (null)     either side missing: neutral
    Term-frequency adjustment applies to the exact level when `tf` is set.
    """

    name: str
    field: str
    part: str = "full"
    tf: bool = True
    max_edits: int = 1
    edits_per: int = 10
    similar: float | None = 0.90
    levels: tuple[str, ...] = ("exact", "diacritics", "ocr_close", "similar", "different")
    doubtful_from: str = "similar"
    prior_m: tuple[float, ...] = (0.85, 0.07, 0.05, 0.02, 0.01)
    prior_u: tuple[float, ...] = (0.30, 0.02, 0.03, 0.05, 0.60)

    @property
    def tf_feature(self) -> str | None:
        return f"{self.field}|{self.part}|exact" if self.tf else None

    def compare(self, feats: Features, ia: np.ndarray, ib: np.ndarray) -> np.ndarray:
        ex = feats.encoded(f"{self.field}|{self.part}|exact").codes
        fo = feats.encoded(f"{self.field}|{self.part}|fold")
        ea, eb, fa, fb = ex[ia], ex[ib], fo.codes[ia], fo.codes[ib]
        lv = np.full(len(ia), -2, dtype=np.int8)
        lv[(ea < 0) | (eb < 0)] = -1
        _fill(lv, ea == eb, 0)
        _fill(lv, fa == fb, 1)
        rest = np.flatnonzero(lv == -2)
        if len(rest):
            a, b = fa[rest], fb[rest]
            lens = np.array([len(v) for v in fo.values], dtype=np.int32)
            allowed = self.max_edits + np.minimum(lens[a], lens[b]) // self.edits_per
            dist = pair_metric(a, b, fo.values, _levenshtein(int(allowed.max())))
            close = dist <= allowed
            sub = lv[rest]
            _fill(sub, close, 2)
            if self.part == "middle":
                _fill(sub, pair_metric(a, b, fo.values, _subset) > 0, 3)
            elif self.similar is not None:
                _fill(sub, pair_metric(a, b, fo.values, _jaro_winkler(self.similar))
                      >= self.similar, 3)
            _fill(sub, np.ones(len(sub), dtype=bool), 4)
            lv[rest] = sub
        return lv


@dataclass(frozen=True)
class DateComparison:
    """A date with reduced precision ("1965-03-12", "1965-03", "1965").

    Levels (best first):
      0 exact       both give the full date and it is the same
      1 partial     at least one side gives less (year or year-month) and they agree on
                    what both give: a re-registration that only knew the year
      2 typo        day and month transposed, or exactly one of year/month/day differs in a
                    single digit (12 -> 17, 1965 -> 1966): a misread or miswritten digit
      3 near        years at most `near_years` apart otherwise
      4 different   anything else
      -1 (null)     either side has no year: neutral
    """

    name: str
    field: str
    near_years: int = 1
    levels: tuple[str, ...] = ("exact", "partial", "typo", "near", "different")
    doubtful_from: str = "near"
    prior_m: tuple[float, ...] = (0.78, 0.16, 0.03, 0.02, 0.01)
    prior_u: tuple[float, ...] = (0.30, 0.05, 0.02, 0.20, 0.43)

    @property
    def tf_feature(self) -> str | None:
        return None

    def compare(self, feats: Features, ia: np.ndarray, ib: np.ndarray) -> np.ndarray:
        y, m, d = feats.date(self.field)
        ya, yb, ma, mb, da, db = y[ia], y[ib], m[ia], m[ib], d[ia], d[ib]
        lv = np.full(len(ia), -2, dtype=np.int8)
        lv[(ya == 0) | (yb == 0)] = -1
        full = (da > 0) & (db > 0)
        _fill(lv, full & (ya == yb) & (ma == mb) & (da == db), 0)
        month_ok = (ma == 0) | (mb == 0) | (ma == mb)
        day_ok = (da == 0) | (db == 0) | (da == db)
        _fill(lv, ~full & (ya == yb) & month_ok & day_ok, 1)
        transposed = full & (ya == yb) & (ma == db) & (da == mb)
        one_digit = (_one_digit(ya, yb, 1000) & (ma == mb) & (da == db)) | \
                    ((ya == yb) & _one_digit(ma, mb, 10) & (da == db)) | \
                    ((ya == yb) & (ma == mb) & _one_digit(da, db, 10))
        _fill(lv, transposed | (full & one_digit), 2)
        _fill(lv, np.abs(ya.astype(np.int32) - yb) <= self.near_years, 3)
        _fill(lv, np.ones(len(ia), dtype=bool), 4)
        return lv


def _one_digit(a: np.ndarray, b: np.ndarray, top: int) -> np.ndarray:
    """True where the decimal numbers differ in exactly one digit position."""
    diff = np.zeros(len(a), dtype=np.int8)
    a, b = a.astype(np.int32), b.astype(np.int32)
    p = 1
    while p <= top:
        diff += ((a // p) % 10 != (b // p) % 10)
        p *= 10
    return diff == 1


@dataclass(frozen=True)
class PlaceComparison:
    """A place (address, hospital), compared on its canonical key (fold.place_key: unit
    words and abbreviations removed, so "P. Bạch Mai, Q. Hai Bà Trưng, HN" equals the full form).

    Levels (best first):
      0 exact          the same canonical place
      1 similar        rapidfuzz ratio >= `similar` on the canonical keys (letters damaged)
      2 same_locality  otherwise the same first part (the ward or commune: "Phường Tín Hoa,
                       Quận A, T" vs "Phường Tín Hoa, Quận B, T"): a district renamed, or
                       written at another time
      3 same_area      otherwise the same last part (the province), or an institution whose
                       name ends with the other's province (a hospital vs the ward)
      4 different      anything else
      -1 (null)        either side missing: neutral
    The graded levels say how far apart two places are, not whether that is evidence: EM
    weighs each (among strangers in one province same_area is common, so it weighs little).
    """

    name: str
    field: str
    similar: float = 85.0
    levels: tuple[str, ...] = ("exact", "similar", "same_locality", "same_area", "different")
    doubtful_from: str = "same_locality"
    prior_m: tuple[float, ...] = (0.86, 0.07, 0.03, 0.02, 0.02)
    prior_u: tuple[float, ...] = (0.30, 0.05, 0.02, 0.20, 0.43)

    @property
    def tf_feature(self) -> str | None:
        return None

    def compare(self, feats: Features, ia: np.ndarray, ib: np.ndarray) -> np.ndarray:
        enc = feats.encoded(f"{self.field}|place")
        a, b = enc.codes[ia], enc.codes[ib]
        lv = np.full(len(ia), -2, dtype=np.int8)
        lv[(a < 0) | (b < 0)] = -1
        _fill(lv, a == b, 0)
        rest = np.flatnonzero(lv == -2)
        if len(rest):
            sim = pair_metric(a[rest], b[rest], enc.values, _ratio(self.similar))
            sub = lv[rest]
            _fill(sub, sim >= self.similar, 1)
            loc, area = feats.place_parts(self.field)
            ra, rb = ia[rest], ib[rest]
            _fill(sub, (loc[ra] >= 0) & (loc[ra] == loc[rb]), 2)
            _fill(sub, (area[ra] >= 0) & (area[ra] == area[rb]), 3)
            _fill(sub, np.ones(len(sub), dtype=bool), 4)
            lv[rest] = sub
        return lv


@dataclass(frozen=True)
class ExactComparison:
    """A categorical value (sex, ethnicity) that either agrees or not.

    Levels: 0 agree, 1 different; -1 (null) either side missing.
    """

    name: str
    field: str
    levels: tuple[str, ...] = ("agree", "different")
    doubtful_from: str = "different"
    prior_m: tuple[float, ...] = (0.98, 0.02)
    prior_u: tuple[float, ...] = (0.60, 0.40)

    @property
    def tf_feature(self) -> str | None:
        return None

    def compare(self, feats: Features, ia: np.ndarray, ib: np.ndarray) -> np.ndarray:
        c = feats.encoded(f"{self.field}|exact").codes
        a, b = c[ia], c[ib]
        lv = np.where(a == b, 0, 1).astype(np.int8)
        lv[(a < 0) | (b < 0)] = -1
        return lv


def compare_pairs(comparisons: tuple, feats: Features, ia: np.ndarray,
                  ib: np.ndarray) -> np.ndarray:
    """The level matrix (pairs x comparisons, int8, -1 = null) of one chunk of pairs.

    A pure function of its inputs: one task of a chunked (or Dask) run.
    """
    out = np.empty((len(ia), len(comparisons)), dtype=np.int8)
    for k, c in enumerate(comparisons):
        lv = c.compare(feats, ia, ib)
        # a field the OCR flagged as uncertain cannot testify against a match
        doubt = feats.flagged(c.field)
        lv[(doubt[ia] | doubt[ib]) & (lv >= c.levels.index(c.doubtful_from))] = -1
        out[:, k] = lv
    return out
