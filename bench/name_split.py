"""The held-out protocol of the name evaluation: which real names build the lexicon.

The one real list of Vietnamese full names installable here is vn-fullname-generator 0.0.2
(data/male.name, data/female.name: 2,536 "middle given" names from baby-name lists). It is
split by given name, with a stable hash, into three disjoint groups:
- lexicon (3/5): the only lines bench/build_name_lexicon.py counts into names_vnfg.tsv;
- dev (1/5): names thresholds and weights were chosen on (bench.names_eval --split dev);
- test (1/5): reported once, beside dev.
A dev or test given name may still be known from the hand-weighted lists of common names
(normalize/data/given_names.tsv, middle_names.tsv), as any new list's common names would be;
the evaluation reports the names whose given name is on no list of the lexicon apart.
Surnames are a nearly closed set (surnames.tsv, from published surveys): they are drawn from
it, not held out.
"""
from __future__ import annotations

import hashlib
from functools import lru_cache
from importlib import resources

from normalize.text import capitalize_word, clean_text

SPLITS = ("lexicon", "dev", "test")


def split_of(given: str) -> str:
    """The group of a given name (compared on its cleaned, capitalised form)."""
    key = capitalize_word(clean_text(given)).encode("utf-8")
    h = int.from_bytes(hashlib.blake2b(key, digest_size=4).digest(), "big") % 5
    return "dev" if h == 0 else "test" if h == 1 else "lexicon"


@lru_cache(maxsize=1)
def vnfg_names() -> tuple[tuple[tuple[str, ...], str], ...]:
    """Every name of the list: (capitalised syllables "middle ... given", sex "M"/"F")."""
    data = resources.files("vn_fullname_generator.data")
    out = []
    for fname, sex in (("male.name", "M"), ("female.name", "F")):
        for line in data.joinpath(fname).read_text(encoding="utf-8").splitlines():
            parts = tuple(capitalize_word(p) for p in clean_text(line).split())
            if len(parts) >= 2:
                out.append((parts, sex))
    return tuple(out)


def names_in(split: str) -> list[tuple[tuple[str, ...], str]]:
    return [(p, s) for p, s in vnfg_names() if split_of(p[-1]) == split]
