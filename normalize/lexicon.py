"""The name lexicon: which syllables are likely in which name position, built once.

Sources (normalize/data):
- surnames.tsv: surnames with population share (%), including compound ones ("Tôn Nữ").
- middle_names.tsv, given_names.tsv: hand-weighted lists by sex.
- names_vnfg.tsv: 2,534 "middle given" pairs from vn-fullname-generator (MIT), counted per
  syllable (bench/build_name_lexicon.py); held-out names excluded.
- every syllable of Debian's hunspell-vi word list: the attested syllables a name outside the
  lexicon may use (Khuê, Thoại...), with a small share of each position's probability.

Positions: "surname", "middle", "given". `Lexicon.prior(pos)` maps a lowercase syllable to
P(syllable | position); syllables not listed get `Lexicon.floor(pos)`.
"""
from __future__ import annotations

import csv
import math
import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from normalize.syllables import hunspell_syllables, is_valid
from normalize.text import clean_text, fold

DATA = Path(__file__).resolve().parent / "data"
# The real-name counts the lexicon reads (normalize/data/names_vnfg.tsv). Benchmarks that hold
# names out of every model point this at a file built without them (bench/names_eval.py).
NAMES_VNFG_ENV = "HOTICH_NAMES_VNFG"
# "given_M"/"given_F": the given name when the middle names say the person's sex
# ("Văn" men, "Thị" women), which splits Dũng from Dung and Vỹ from Vy.
POSITIONS = ("surname", "middle", "given", "given_M", "given_F")

# Share of each position's probability left for attested syllables outside the lexicon.
# Surnames are a nearly closed set; given names are the most open.
UNLISTED_SHARE = {"surname": 0.003, "middle": 0.02, "given": 0.06, "given_M": 0.06, "given_F": 0.06}
# A name of the other sex's list is still possible (Hải, Thanh for women): its weight there.
OTHER_SEX_WEIGHT = 0.03
# Middle names are often given-name syllables ("Thu", "Ngọc"): mix a little of that list in.
MIDDLE_FROM_GIVEN = 0.08
# names_vnfg.tsv counts pairs, not people: one pair weighs this much against the base lists.
VNFG_PAIR_WEIGHT = {"middle": 0.03, "given": 0.03}
# A valid syllable seen nowhere (not even in hunspell) is this many times less likely than an
# attested unlisted one.
UNATTESTED_FACTOR = 0.05


def _rows(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8") as f:
        return list(csv.reader((l for l in f if l.strip() and not l.startswith("#")), delimiter="\t"))


@dataclass(frozen=True)
class Lexicon:
    """Per-position log priors over lowercase syllables, and the compound surnames.

    Attributes:
        logp: position -> {syllable: log P(syllable | position)} for listed syllables.
        floor: position -> log P for an attested syllable not listed there.
        unattested: position -> log P for a valid but unattested syllable.
        compounds: (first, second) lowercase -> log P(compound surname) among surnames.
        middle_male_llr: middle syllable -> log P(it | man) - log P(it | woman).
        attested: all syllables (lowercase) known to exist: hunspell and the name lists.
        by_skeleton: folded skeleton -> attested syllables with it ("tran" -> trần, trân...).
    """

    logp: dict[str, dict[str, float]]
    floor: dict[str, float]
    unattested: dict[str, float]
    compounds: dict[tuple[str, str], float]
    middle_male_llr: dict[str, float]
    attested: frozenset[str]
    by_skeleton: dict[str, tuple[str, ...]]

    def log_prior(self, pos: str, syllable: str) -> float:
        got = self.logp[pos].get(syllable)
        if got is not None:
            return got
        return self.floor[pos] if syllable in self.attested else self.unattested[pos]

    def listed(self, pos: str, syllable: str) -> bool:
        return syllable in self.logp[pos]


def _norm(s: str) -> str:
    return clean_text(s).lower()


def _normalise(weights: dict[str, float], share: float) -> dict[str, float]:
    total = sum(weights.values())
    return {k: math.log(v / total * (1 - share)) for k, v in weights.items() if v > 0}


@lru_cache(maxsize=1)
def lexicon() -> Lexicon:
    """Build the lexicon from normalize/data and hunspell-vi (once per process)."""
    surnames: dict[str, float] = {}
    compounds_w: dict[tuple[str, str], float] = {}
    for name, share, *_ in _rows(DATA / "surnames.tsv"):
        parts = _norm(name).split()
        if len(parts) == 1:
            surnames[parts[0]] = surnames.get(parts[0], 0) + float(share)
        elif len(parts) == 2:
            compounds_w[(parts[0], parts[1])] = float(share)
    middle: dict[str, float] = {}
    given: dict[str, float] = {}
    by_sex: dict[tuple[str, str], dict[str, float]] = {(p, x): {} for p in ("middle", "given") for x in "MF"}

    def add(pos: str, name: str, sex: str, w: float) -> None:
        key = _norm(name)
        table = middle if pos == "middle" else given
        table[key] = table.get(key, 0) + w
        for x in ("M", "F") if sex == "U" else (sex,):
            t = by_sex[(pos, x)]
            t[key] = t.get(key, 0) + w

    for name, sex, w, *_ in _rows(DATA / "middle_names.tsv"):
        add("middle", name, sex, float(w))
    for name, sex, w, *_ in _rows(DATA / "given_names.tsv"):
        add("given", name, sex, float(w))
    vnfg = Path(os.environ.get(NAMES_VNFG_ENV) or DATA / "names_vnfg.tsv")
    if vnfg.is_file():
        for name, pos, sex, n, *_ in _rows(vnfg):
            add(pos, name, sex, VNFG_PAIR_WEIGHT[pos] * int(n))
    g_total = sum(given.values())
    m_total = sum(middle.values())
    mixed_middle = {k: v / m_total * (1 - MIDDLE_FROM_GIVEN) for k, v in middle.items()}
    for k, v in given.items():
        mixed_middle[k] = mixed_middle.get(k, 0) + v / g_total * MIDDLE_FROM_GIVEN
    given_sex = {}
    for x, other in (("M", "F"), ("F", "M")):
        own, oth = by_sex[("given", x)], by_sex[("given", other)]
        given_sex[f"given_{x}"] = {k: own.get(k, 0) + OTHER_SEX_WEIGHT * oth.get(k, 0)
                                   for k in set(own) | set(oth)}
    listed = {"surname": surnames, "middle": mixed_middle, "given": given, **given_sex}
    attested = set(hunspell_syllables())
    for table in listed.values():
        attested.update(table)
    attested.update(s for pair in compounds_w for s in pair)
    attested = {s for s in attested if is_valid(s)}
    logp = {pos: _normalise(listed[pos], UNLISTED_SHARE[pos]) for pos in POSITIONS}
    n_att = len(attested)
    floor = {pos: math.log(UNLISTED_SHARE[pos] / n_att) for pos in POSITIONS}
    unattested = {pos: floor[pos] + math.log(UNATTESTED_FACTOR) for pos in POSITIONS}
    sur_total = sum(surnames.values()) + sum(compounds_w.values())
    compounds = {k: math.log(v / sur_total) for k, v in compounds_w.items()}
    mm, mf = by_sex[("middle", "M")], by_sex[("middle", "F")]
    tm, tf = sum(mm.values()), sum(mf.values())
    # Unlisted for one sex: as if seen with 2% of the smallest weight.
    llr = {k: math.log((mm.get(k, 0) or 0.02 * min(mm.values())) / tm)
           - math.log((mf.get(k, 0) or 0.02 * min(mf.values())) / tf) for k in set(mm) | set(mf)}
    by_sk: dict[str, list[str]] = {}
    for s in sorted(attested):
        by_sk.setdefault(fold(s), []).append(s)
    return Lexicon(logp=logp, floor=floor, unattested=unattested, compounds=compounds,
                   middle_male_llr=llr,
                   attested=frozenset(attested), by_skeleton={k: tuple(v) for k, v in by_sk.items()})
