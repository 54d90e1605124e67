"""Vietnamese syllable structure: is a syllable possible at all?

A syllable is onset + rhyme + tone. The onset is one of the 27 written onsets (with the
spelling rules c/k/q, g/gh, ng/ngh); the rhyme one of the language's written rhymes
(medial + nucleus + coda); and a rhyme ending in a stop (-c, -ch, -p, -t) takes only the
sắc or nặng tone. A syllable failing any rule is an OCR error for certain ("Trâà", "Huyêǹ",
"Nguyẽn" with -t...). Debian's hunspell-vi word list (one syllable a line) is the attested
inventory; the tests check that every Vietnamese word in it passes these rules.

`is_valid("Nguyễn")` -> True; `parse("nguyễn")` -> Syllable(onset="ng", rhyme="uyên", tone=4).
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from normalize.text import split_tone

HUNSPELL_DIC = Path("/usr/share/hunspell/vi_VN.dic")

ONSETS = ("ngh", "ng", "nh", "ch", "gh", "gi", "kh", "ph", "qu", "th", "tr",
          "b", "c", "d", "đ", "g", "h", "k", "l", "m", "n", "p", "r", "s", "t", "v", "x", "")

# Written rhymes without tone, grouped by nucleus (medial o/u included where written).
_RHYMES = """
a ac ach ai am an ang anh ao ap at au ay
ăc ăm ăn ăng ăp ăt
âc âm ân âng âp ât âu ây
e ec em en eng ep et eo
ê êch êm ên ênh êp êt êu
i ia ich im in inh ip it iu
iêc iêm iên iêng iêp iêt iêu
yêm yên yêng yêt yêu
o oc om on ong op ot oi oong ooc
ô ôc ôm ôn ông ôp ôt ôi
ơ ơi ơm ơn ơp ơt ơu
u uc um un ung up ut ua ui
uôc uôi uôm uôn uông uôt
ư ưa ưc ưi ưm ưn ưng ưt ưu
ươc ươi ươm ươn ương ươp ươt ươu
oa oac oach oai oam oan oang oanh oao oap oat oay
oăc oăm oăn oăng oăt
oe oen oeng oet oeo oem
uâc uân uâng uât uây
uê uêch uên uênh uêt uêu uit oăp oau
uy uych uyn uynh uyp uyt uya uyu uyên uyêt uyêng
uơ
y
""".split()
RHYMES = frozenset(_RHYMES)
STOP_FINALS = ("ch", "c", "p", "t")
_FRONT = ("i", "e", "ê", "y")  # letters after which c->k, g->gh, ng->ngh


@dataclass(frozen=True)
class Syllable:
    """A parsed syllable (lowercase): onset, rhyme (toneless) and tone number 0..5."""

    onset: str
    rhyme: str
    tone: int


def _spelling_ok(onset: str, rhyme: str) -> bool:
    """The onset spellings that depend on the following letter."""
    first = rhyme[:1]
    front = first in _FRONT
    if onset in ("c", "g", "ng"):
        return not front
    if onset in ("k", "gh", "ngh"):
        return front
    if rhyme in ("y", "yêm", "yên", "yêng", "yêt", "yêu"):
        # Written y as a rhyme of its own only with no onset ("y", "yên") or after some onsets
        # ("ly", "mỹ", "kỹ", "sỹ", "tỷ"... the y/i spelling of open i).
        return rhyme == "y" or onset == ""
    if rhyme.startswith("o") and rhyme not in ("o", "oc", "om", "on", "ong", "op", "ot", "oi",
                                                "oong", "ooc") and onset in ("b", "m", "p", "v", "ph"):
        # Labial onsets take no o medial ("boa" is not a Vietnamese syllable; "thuở" is u medial).
        return False
    return True


@lru_cache(maxsize=65536)
def parse(word: str) -> Syllable | None:
    """Split a syllable into onset, rhyme and tone; None when it breaks a rule.

    Args:
        word: one syllable, any case, composed or not.

    Returns:
        Syllable, or None for an impossible syllable.
    """
    letters, tone = split_tone(word)
    s = letters.lower()
    if not s or not s.isalpha():
        return None
    for onset in ONSETS:
        if not s.startswith(onset):
            continue
        rhyme = s[len(onset):]
        if onset == "gi":
            # "gi" + vowel is the onset ("gia", "giữa"); "giêng" writes gi + iê; "gì", "gìn"
            # are g(i) + rhyme i.
            if not rhyme or rhyme[0] not in "aăâeêioôơuưy":
                rhyme = "i" + rhyme
            elif rhyme[0] == "ê":
                rhyme = "i" + rhyme
        elif onset == "qu":
            # "qu" writes k + the medial: qua = k+oa, quê = k+uê, quy = k+uy, quân = k+uân.
            if not rhyme or rhyme[0] in "uo":
                continue
            rhyme = ("o" if rhyme[0] in "aăe" else "u") + rhyme
        if rhyme not in RHYMES or not _spelling_ok(onset, rhyme):
            continue
        if rhyme.endswith(STOP_FINALS) and tone not in (2, 5):
            continue
        return Syllable(onset, rhyme, tone)
    return None


def is_valid(word: str) -> bool:
    """Whether `word` is a possible Vietnamese syllable (structure and tone rules)."""
    return parse(word) is not None


@lru_cache(maxsize=1)
def hunspell_syllables() -> frozenset[str]:
    """Lowercase NFC syllables (traditional tone placement) from Debian's hunspell-vi list.

    Returns an empty set when the package is not installed (the rules still work).
    """
    from normalize.text import retone

    if not HUNSPELL_DIC.is_file():
        return frozenset()
    words = HUNSPELL_DIC.read_text(encoding="utf-8").splitlines()[1:]
    return frozenset(retone(w.split("/")[0]).lower() for w in words if w and w[:1].islower())
