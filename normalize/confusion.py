"""The OCR channel model: how likely Tesseract reads syllable `obs` when `truth` was printed.

Measured, not guessed: bench/ocr_confusions.py renders real-looking names, reads them with
Tesseract `vie` and counts, per aligned syllable, tone confusions (huyền -> ngang...) and letter
edits on the toneless letters (â -> a, ư -> u, đ -> d, i -> 1, deletions, insertions). The
counts are stored in normalize/data/confusions.tsv and turned into probabilities here with
smoothing whose prior makes a diacritic slip (same base letter, e.g. â -> a) far cheaper
than a letter change (n -> u), as the measurements also show.

`ChannelModel.log_p(obs, truth)` is the log-likelihood used by the name repair;
`ChannelModel.corrupt(truth, rng)` samples OCR-like output for the benchmark.
"""
from __future__ import annotations

import csv
import math
import random
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from rapidfuzz.distance import Levenshtein

from normalize.text import apply_tone, fold, split_tone

CONFUSIONS_TSV = Path(__file__).resolve().parent / "data" / "confusions.tsv"
TONE_NAMES = ("ngang", "huyền", "sắc", "hỏi", "ngã", "nặng")
_TONE_NUM = {n: i for i, n in enumerate(TONE_NAMES)}

# Smoothing priors (pseudo-probabilities for edits never seen in the measurement).
P_DIACRITIC_SLIP = 2e-3   # a -> â, u -> ư, d -> đ...: same base letter
P_LETTER_CHANGE = 2e-5    # any other substitution or deletion
P_INSERT = 1e-6           # a character that was not printed (measured total: ~1e-3 a position)
P_TONE_SLIP = 2e-3        # an unseen tone confusion
SMOOTH = 2.0              # pseudo-count weight of the priors


def syllable_form(token: str) -> tuple[str, int]:
    """Lowercase toneless letters (quality marks kept, junk characters kept) and the tone."""
    letters, tone = split_tone(token)
    return letters.lower(), tone


def align(truth: str, ocr: str) -> list[tuple[str, str, str]]:
    """Edit events turning one printed syllable into what OCR read.

    Returns:
        [("tone", truth_tone, ocr_tone), ("letter", a, b), ...]; b == "" is a deletion,
        ("insert", "", b) an extra character; ("letter", a, a) a correctly read letter.
    """
    t_letters, t_tone = syllable_form(truth)
    o_letters, o_tone = syllable_form(ocr)
    events = [("tone", TONE_NAMES[t_tone], TONE_NAMES[o_tone])]
    for op, i1, i2, j1, j2 in Levenshtein.opcodes(t_letters, o_letters):
        a, b = t_letters[i1:i2], o_letters[j1:j2]
        if op == "equal":
            events += [("letter", c, c) for c in a]
        elif op == "delete":
            events += [("letter", c, "") for c in a]
        elif op == "insert":
            events += [("insert", "", c) for c in b]
        else:
            n = min(len(a), len(b))
            events += [("letter", a[k], b[k]) for k in range(n)]
            events += [("letter", c, "") for c in a[n:]]
            events += [("insert", "", c) for c in b[n:]]
    return events


def _slip(a: str, b: str) -> bool:
    return bool(a) and bool(b) and fold(a) == fold(b)


@dataclass(frozen=True)
class ChannelModel:
    """Probabilities derived from measured counts.

    Attributes:
        tone: P(ocr tone | printed tone), 6x6.
        letter: P(ocr letter or "" | printed letter), for printed letters seen.
        insert: P(an extra character c) per letter position.
        n_syllables: syllables measured (0 when the model is the prior alone).
    """

    tone: tuple[tuple[float, ...], ...]
    letter: dict[str, dict[str, float]]
    insert: dict[str, float]
    n_syllables: float
    # Memo of letters_log_p results (not part of the model's identity).
    _memo: dict = field(default_factory=dict, compare=False, repr=False)

    def p_letter(self, a: str, b: str) -> float:
        row = self.letter.get(a)
        if row is not None and b in row:
            return row[b]
        if a == b:
            return 0.995
        base = P_DIACRITIC_SLIP if _slip(a, b) else P_LETTER_CHANGE
        return base * (row.get("\0", 1.0) if row else 1.0)

    def p_insert(self, c: str) -> float:
        return self.insert.get(c, P_INSERT)

    def log_p(self, obs: str, truth: str) -> float:
        """log P(OCR reads `obs` | `truth` printed), over one unit-cost alignment."""
        o_letters, o_tone = syllable_form(obs)
        t_letters, t_tone = syllable_form(truth)
        return self.log_p_forms(o_letters, o_tone, t_letters, t_tone)

    def log_p_forms(self, o_letters: str, o_tone: int, t_letters: str, t_tone: int) -> float:
        return math.log(self.tone[t_tone][o_tone]) + self.letters_log_p(o_letters, t_letters)

    def tone_log_p(self, o_tone: int, t_tone: int) -> float:
        return math.log(self.tone[t_tone][o_tone])

    def letters_log_p(self, o_letters: str, t_letters: str) -> float:
        """log P(read toneless letters | printed letters), memoised."""
        key = (o_letters, t_letters)
        got = self._memo.get(key)
        if got is not None:
            return got
        lp = 0.0
        for op, i1, i2, j1, j2 in Levenshtein.opcodes(t_letters, o_letters):
            if op == "equal":
                for c in t_letters[i1:i2]:
                    lp += math.log(self.p_letter(c, c))
            elif op == "delete":
                for c in t_letters[i1:i2]:
                    lp += math.log(self.p_letter(c, ""))
            elif op == "insert":
                for c in o_letters[j1:j2]:
                    lp += math.log(self.p_insert(c))
            else:
                a, b = t_letters[i1:i2], o_letters[j1:j2]
                n = min(len(a), len(b))
                for k in range(n):
                    lp += math.log(self.p_letter(a[k], b[k]))
                for c in a[n:]:
                    lp += math.log(self.p_letter(c, ""))
                for c in b[n:]:
                    lp += math.log(self.p_insert(c))
        if len(self._memo) > 500_000:
            self._memo.clear()
        self._memo[key] = lp
        return lp

    def corrupt(self, truth: str, rng: random.Random) -> str:
        """One OCR-like reading of a syllable sampled from the model (case kept at start)."""
        letters, tone = syllable_form(truth)
        row = self.tone[tone]
        new_tone = rng.choices(range(6), weights=row)[0]
        out: list[str] = []
        ins_total = sum(self.insert.values())
        ins_keys = list(self.insert)
        ins_w = list(self.insert.values())
        for c in letters:
            if ins_total and rng.random() < ins_total:
                out.append(rng.choices(ins_keys, ins_w)[0])
            dist = self.letter.get(c)
            if dist:
                choices = [k for k in dist if k != "\0"]
                out.append(rng.choices(choices, [dist[k] for k in choices])[0])
            else:
                out.append(c)
        word = apply_tone("".join(out), new_tone)
        if truth[:1].isupper():
            word = word[:1].upper() + word[1:]
        return word


def read_counts(path: Path = CONFUSIONS_TSV) -> list[tuple[str, str, str, str, int]]:
    """Rows (kind, case, printed, read, count) of the measured confusion table."""
    if not path.is_file():
        return []
    with path.open(encoding="utf-8") as f:
        rows = csv.reader((l for l in f if l.strip() and not l.startswith("#")), delimiter="\t",
                          quoting=csv.QUOTE_NONE)
        return [(k, c, a, b, int(n)) for k, c, a, b, n in rows if k != "kind"]


# The other case's counts join a case's model with this weight: capitals and lower case
# share most confusions, but capitals lose stacked marks (NGUYỄN -> NGUYÊN) far more often.
OTHER_CASE_WEIGHT = 0.2


def build_model(rows: list[tuple[str, str, str, str, int]], case: str = "lower") -> ChannelModel:
    """Smoothed probabilities from counts (an empty table gives the prior alone).

    Args:
        rows: read_counts() rows.
        case: "lower" (mixed-case text) or "upper" (text in capitals).
    """
    tone_c = [[0.0] * 6 for _ in range(6)]
    letter_c: dict[str, Counter] = {}
    insert_c: Counter = Counter()
    n_syl = 0
    for kind, row_case, a, b, count in rows:
        n = count if row_case == case else OTHER_CASE_WEIGHT * count
        if kind == "tone":
            tone_c[_TONE_NUM[a]][_TONE_NUM[b]] += n
            n_syl += n
        elif kind == "letter":
            letter_c.setdefault(a, Counter())[b] += n
        elif kind == "insert":
            insert_c[b] += n
    tone = []
    for t in range(6):
        total = sum(tone_c[t])
        prior = [(1 - 5 * P_TONE_SLIP) if o == t else P_TONE_SLIP for o in range(6)]
        tone.append(tuple((tone_c[t][o] + SMOOTH * prior[o]) / (total + SMOOTH) for o in range(6)))
    letter: dict[str, dict[str, float]] = {}
    for a, cnt in letter_c.items():
        total = sum(cnt.values())
        # Unseen edits of a well-measured letter are rarer than the prior says: scale by the
        # share of pseudo-count left for them ("\0" stores that scale).
        scale = SMOOTH / (total + SMOOTH)
        row = {b: (k + SMOOTH * (0.995 if b == a else P_DIACRITIC_SLIP if _slip(a, b) else P_LETTER_CHANGE))
               / (total + SMOOTH) for b, k in cnt.items()}
        if a not in row:
            row[a] = 0.995
        row["\0"] = scale
        letter[a] = row
    positions = sum(sum(c.values()) for c in letter_c.values()) + n_syl
    insert = {c: (k + SMOOTH * P_INSERT) / (positions + SMOOTH) for c, k in insert_c.items()} if positions else {}
    return ChannelModel(tuple(tone), letter, insert, n_syl)


@lru_cache(maxsize=2)
def channel_model(case: str = "lower") -> ChannelModel:
    """The model for text in `case` ("lower" or "upper") from normalize/data/confusions.tsv."""
    return build_model(read_counts(), case)
