"""Places: the register's text, repaired, matched to real administrative units.

"P. Bạch Mai, Q. HBT, HN" -> "Phường Bạch Mai, Quận Hai Bà Trưng, Hà Nội", code "00292".

Steps:
1. Clean (NFC, traditional tones), expand abbreviations ("P." Phường, "Q." Quận, "TX." Thị
   xã, "H." Huyện, "TP" Thành phố, "HBT" Hai Bà Trưng, "HN" Hà Nội, "BV" Bệnh viện).
2. Split into parts at commas and before unit words; each part is (unit word, name).
3. Match from the right: province, then district within it (or anywhere, to infer the
   province), then ward within the district. Names match on their compact fold, so OCR's
   diacritic slips are repaired to the official spelling; a one- or two-letter slip is
   accepted when one unit is clearly closest (conf lowered).
   A district written by its initials ("Q. HM", "Q. ĐĐ"/"DD") is looked up among the
   initials of every district in the table: the province, or a ward written before it that
   only one candidate has, decides; otherwise it is flagged `ambiguous_abbreviation`.
4. Unit words are written in full and capitalised; a matched name in its official spelling;
   a province as its short name ("Hà Nội"), added when it was inferred from a district only
   it has ("P. Bạch Mai, Q. HBT" -> "..., Hà Nội"); unmatched parts kept as cleaned text.

`code` is the GSO code of the most specific unit matched in the official table (ward 5
digits, district 3, province 2); historic units (Hà Tây) match by name but carry no code.
Hospitals and other institutions are kept as text with their words repaired
("BV Bach Mai" -> "Bệnh viện Bạch Mai"), a province or district name ending them spelt
officially ("Nhà hộ sinh Hải Bà Trưng" -> "... Hai Bà Trưng"), and a word with a digit or
punctuation inside ("Hà Nộ1") flagged `impossible_syllable`.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from rapidfuzz.distance import Levenshtein

from normalize.admin_units import AdminTable, Unit, admin_table, key
from normalize.lexicon import lexicon
from normalize.syllables import is_valid
from normalize.text import attach_spacing_accents, clean_text, fold, speck_periods
from normalize.vocab import NATIONALITIES


@dataclass(frozen=True)
class PlaceResult:
    """A normalised place: the text and an administrative-unit code when matched."""

    value: str | None
    conf: float
    flags: tuple[str, ...] = ()
    code: str | None = None
    steps: tuple[str, ...] = ()


ABBREVIATIONS = {"P.": "Phường", "Q.": "Quận", "TX.": "Thị xã", "TX": "Thị xã", "H.": "Huyện",
                 "X.": "Xã", "TP.": "Thành phố", "TP": "Thành phố", "T.": "Tỉnh", "TT.": "Thị trấn",
                 "BV": "Bệnh viện", "BV.": "Bệnh viện", "HBT": "Hai Bà Trưng", "HN": "Hà Nội",
                 "NHS": "Nhà hộ sinh", "TYT": "Trạm y tế", "HCM": "Hồ Chí Minh",
                 "TPHCM": "Thành phố Hồ Chí Minh", "HP": "Hải Phòng"}
_ABBR = re.compile(r"(?<![\w.])(" + "|".join(re.escape(a) for a in sorted(ABBREVIATIONS, key=len, reverse=True))
                   + r")(?=[\s,;]|$|(?<=\.)|\.(?:[\s,;]|$))")
# A unit letter whose period was read as a comma ("H, Lâm Thao"): a lone capital before a
# capitalised name is no word of a place.
_ABBR_COMMA = re.compile(r"(?<![\w.])(P|Q|X|H|TX|TT|TP),(?=\s*(\w))")
# Unit abbreviations are also typed in lower case ("x. Kiến Thụy, h. Kiến Thụy").
_ABBR_LOWER = re.compile(r"(?<![\w.])(p|q|x|h|tx|tt|tp)\.(?=\s)")

# Unit words by their folded spelling (OCR may drop their diacritics), with the level they
# name. "Thành phố" may be a province or a district-level city.
UNIT_WORDS = {"phuong": ("Phường", "ward"), "xa": ("Xã", "ward"), "thi tran": ("Thị trấn", "ward"),
              "quan": ("Quận", "district"), "huyen": ("Huyện", "district"),
              "thi xa": ("Thị xã", "district"), "thanh pho": ("Thành phố", "city"),
              "tinh": ("Tỉnh", "province")}
_UNIT_RE = re.compile(r"^(thi tran|thi xa|thanh pho|phuong|quan|huyen|tinh|xa)\b\s*(.*)$")
# Institution words repaired by their folded spelling (never matched to a unit).
INSTITUTION_WORDS = {"benh vien": "Bệnh viện", "nha ho sinh": "Nhà hộ sinh", "nha he sinh": "Nhà hộ sinh",
                     "tram y te": "Trạm y tế",
                     "phong kham": "Phòng khám", "tai nha": "Tại nhà", "phu san": "Phụ sản",
                     "trung uong": "Trung ương", "huu nghi": "Hữu nghị", "da khoa": "Đa khoa",
                     "quan y": "Quân y", "vien": "Viện", "san": "sản"}
_INSTITUTION_START = re.compile(r"^(benh vien|nha h[oe] sinh|tram y te|phong kham|tai nha|vien|khoa)\b")
# A part with a unit word that repeats inside it ("Phường X Quận Y") is split there.
_SPLIT_BEFORE = re.compile(r"\s+(?=(?:Phường|Quận|Huyện|Xã|Thị xã|Thị trấn|Thành phố|Tỉnh)\s)")


def _expand(text: str) -> str:
    def sub(m: re.Match) -> str:
        nxt = text[m.end():m.end() + 1]
        # "T.rương": a dot OCR put inside a word, not an abbreviation ("P.Bạch Mai" is one).
        if nxt.isalpha() and nxt.islower():
            return m.group(0)
        return ABBREVIATIONS[m.group(1)] + " "

    text = _ABBR_COMMA.sub(lambda m: m.group(1) + ("." if m.group(2).isupper() else ","), text)
    text = _ABBR_LOWER.sub(lambda m: m.group(1).upper() + ".", text)
    out = _ABBR.sub(sub, text)
    out = re.sub(r"\s+([,;])", r"\1", out)
    return " ".join(out.split())


def _words_fixed(text: str, table: dict[str, str]) -> str:
    """Replace word runs whose fold is in `table` (longest first) with the table's spelling."""
    words = text.split(" ")
    folded = [fold(w) for w in words]
    out: list[str] = []
    i = 0
    while i < len(words):
        for n in (3, 2, 1):
            chunk = " ".join(folded[i:i + n])
            if i + n <= len(words) and chunk in table:
                rep = table[chunk]
                # Keep the register's case for a lowercase word in mid-phrase ("Phụ sản").
                out.append(rep if i == 0 or words[i][:1].isupper() else rep.lower())
                i += n
                break
        else:
            out.append(words[i])
            i += 1
    return " ".join(out)


@dataclass(frozen=True)
class _Part:
    unit_word: str | None  # canonical unit word the register wrote, if any
    level: str | None      # ward / district / city / province
    name: str              # the name as written (cleaned)


def _parse_part(part: str) -> _Part:
    m = _UNIT_RE.match(fold(part))
    if m:
        word, level = UNIT_WORDS[m.group(1)]
        n_words = len(m.group(1).split())
        # the unit word may be glued to its name by a speck read as punctuation
        # ("Phường:Kim Mã"): split there too, or the name's first word goes with the unit's
        pieces = re.split(r"[\s:;'\"`.\-]+", part.strip(), maxsplit=n_words)
        name = pieces[n_words].strip() if len(pieces) > n_words else ""
        if name:
            return _Part(word, level, name)
    return _Part(None, None, part)


def _closest(k: str, table: dict[str, object], name: str) -> tuple[str | None, float]:
    """The key of `table` matching `k`: exact (conf 1) or within a small edit (conf < 1).

    A fuzzy match must be unique at its distance and allowed for the key's length
    (1 edit from 5 letters, 2 from 10).
    """
    if k in table:
        return k, 1.0
    allowed = 2 if len(k) >= 10 else 1 if len(k) >= 5 else 0
    if not allowed:
        return None, 0.0
    best: list[tuple[int, str]] = []
    for cand in table:
        d = Levenshtein.distance(k, cand, score_cutoff=allowed)
        if d <= allowed:
            best.append((d, cand))
    if not best:
        return None, 0.0
    best.sort()
    if len(best) > 1 and best[1][0] == best[0][0]:
        return None, -1.0  # two units equally close: a tie, which callers may flag
    return best[0][1], 0.9 if best[0][0] == 1 else 0.8


# A district written by its initials ("Q. HM", "Q. ĐĐ"): two to four capitals.
_INITIALS = re.compile(r"^[A-ZĐ]{2,4}$")


def initials(name: str) -> tuple[str, ...]:
    """The initials a clerk writes for a unit name: "Hoàng Mai" -> ("HM",), "Đống Đa" ->
    ("ĐĐ", "DD") (Đ is also typed as D)."""
    words = [w for w in re.split(r"[\s\-]+", name) if w]
    if len(words) < 2:
        return ()
    exact = "".join(w[0].upper() for w in words)
    plain = exact.replace("Đ", "D")
    return (exact,) if plain == exact else (exact, plain)


@lru_cache(maxsize=1)
def _district_initials() -> dict[str, list[Unit]]:
    """Initials -> every district of the table (all provinces) that they abbreviate.

    Built from the whole administrative table, so "HM" is Hoàng Mai (Hà Nội) but also Hoàng
    Mai (Nghệ An) and Hóc Môn: context (the province, or a ward only one of them has) decides.
    """
    out: dict[str, list[Unit]] = {}
    for dmap in admin_table().districts.values():
        for u in dmap.values():
            for ini in initials(u.name):
                out.setdefault(ini, []).append(u)
    return out


def _resolve_initials(ini: str, prov: str | None, ward: str | None, t: AdminTable) -> tuple[list[Unit], bool]:
    """Districts that initials `ini` can stand for, given the province and the ward written
    to the left (compact keys). Returns (candidates, whether the ward confirmed them)."""
    cands = list(_district_initials().get(ini, ()))
    if prov is not None:
        pks = set(_provinces_for(t, prov)) | {prov}
        cands = [u for u in cands if u.province in pks]
    if ward and (len(cands) > 1 or prov is None):
        with_ward = [u for u in cands if ward in t.wards.get((u.province, key(u.name)), {})]
        if with_ward:
            return with_ward, True
    return cands, False


def _pick(units: list[Unit], written: str) -> Unit:
    """Among units with the same folded name, the one spelled most like the register."""
    if len(units) == 1:
        return units[0]
    return min(units, key=lambda u: Levenshtein.distance(u.name.lower(), written.lower()))


def _provinces_for(t: AdminTable, pk: str) -> tuple[str, ...]:
    return t.successors.get(pk, ()) or (pk,)


# A word with a digit or punctuation inside ("Nộ1", "Hai.Bà"): no Vietnamese word.
_BROKEN_WORD = re.compile(r"[^\W\d_]+(?:\d|[.'*|])+[^\W_]*|[^\W\d_]+[.'*|]+[^\W\d_]+|\d+[^\W\d_]+")


def _institution(text: str, t: AdminTable) -> PlaceResult:
    """A hospital, maternity home...: its words repaired; a place name that ends it
    ("Nhà hộ sinh Hải Bà Trưng", "Phụ sản Ha Noi") spelt officially when its letters name a
    province or district exactly; a word no Vietnamese word can be (digits or
    punctuation inside: "Hà Nộ1") flagged."""
    fixed = _words_fixed(text, INSTITUTION_WORDS)
    steps = ["institution"]
    # a capital inside a word written in small letters ("ĐứC") is a misread case, not an
    # acronym ("BV", "NHS" are capitals throughout)
    recased = " ".join(w[0] + w[1:].lower() if any(c.isupper() for c in w[1:]) and any(c.islower() for c in w)
                       else w for w in fixed.split(" ") if w)
    if recased != fixed:
        fixed = recased
        steps.append("case")
    # Friendship hospitals join the two countries with a dash OCR often loses
    # ("Bệnh viện Việt Nam Cu Ba" -> "Việt Nam - Cu Ba").
    m = _FRIENDSHIP.search(fixed)
    if m and fold(m.group(1)) in _country_names():
        friendship = f"Việt Nam - {_country_names()[fold(m.group(1))]}"
        if m.group(0) != friendship:
            fixed = fixed[:m.start()] + friendship + fixed[m.end():]
            steps.append("friendship_dash")
    words = fixed.split(" ")
    for n in (4, 3, 2, 1):
        if len(words) <= n + 1:
            continue
        tail = " ".join(words[-n:])
        k = key(tail)
        unit = t.provinces.get(k) if k not in PROVINCE_ABBREVIATION_KEYS else None
        if unit is None and len(t.districts_anywhere.get(k, ())) >= 1:
            names = {u.name for u in t.districts_anywhere[k]}
            unit = t.districts_anywhere[k][0] if len(names) == 1 else None
        if unit is not None and len(k) >= 4:
            if tail != unit.name:
                steps.append(f"unit_name:{tail}->{unit.name}")
                words[-n:] = [unit.name]
            break
    fixed = " ".join(words)
    # a word no Vietnamese syllable can be: "Bach" (a stop final takes sắc or nặng),
    # "HưỮu"; a foreign name ("Saint Paul") is flagged too, which a reviewer clears at a glance
    broken = _BROKEN_WORD.findall(fixed) + [w for w in re.findall(r"[^\W\d_]+", fixed)
                                            if not is_valid(w.lower())]
    if broken:
        return PlaceResult(fixed, 0.6, ("impossible_syllable",), None,
                           tuple(steps) + tuple(f"invalid:{w}" for w in broken[:3]))
    return PlaceResult(fixed, 1.0, (), None, tuple(steps))


@lru_cache(maxsize=1)
def _country_names() -> dict[str, str]:
    """Folded country name -> official Vietnamese name (normalize.vocab.NATIONALITIES)."""
    out = {fold(n): n for n in NATIONALITIES if n != "Việt Nam"}
    out.update({fold(a): n for n, al in NATIONALITIES.items() if n != "Việt Nam" for a in al if " " in a and a[0].isupper()})
    return out


_FRIENDSHIP = re.compile(r"(?i:vi[eệ]t\s+nam)(?:\s+|\s*[-\u2013]\s*)([^\W\d_]+(?:\s+[^\W\d_]+)?)$")


# Province aliases ("hn", "hp") are not names to spell out inside an institution's name.
PROVINCE_ABBREVIATION_KEYS = frozenset({"hn", "tphn", "hcm", "tphcm", "hp", "dn", "brvt"})


def _unverified_words(parts: list[_Part], resolved: set[int]) -> list[str]:
    """Words of the parts the table did not spell that no Vietnamese word or name has, or
    with junk inside ("Kih'", "#à")."""
    out = []
    for i, p in enumerate(parts):
        if i in resolved:
            continue
        for w in p.name.split():
            letters = re.sub(r"[^\w]|\d|_", "", w)
            if not letters:
                if re.search(r"[^\d\s.,;:/()\-\u2013]", w):
                    out.append(w)  # "@.", "#": a misread, not a house number or a dash
                continue
            low = letters.lower()
            if letters != w.strip(".,()") or (low not in lexicon().attested and low not in _unit_syllables()):
                out.append(w)
    return out


@lru_cache(maxsize=1)
def _unit_syllables() -> frozenset[str]:
    """Every syllable of every unit's name (Huế, Xuyên...: not all are in the word lists)."""
    t = admin_table()
    units = list(t.provinces.values()) + [u for d in t.districts.values() for u in d.values()]
    units += [u for w in t.wards.values() for us in w.values() for u in us]
    return frozenset(s.lower() for u in units for s in u.name.split())


def names_a_place(result: PlaceResult) -> bool:
    """Does a normalised value name a place by its own words: an administrative unit it
    resolved to, or a part opening with a unit or an institution word ("Bệnh viện ...")?
    Any words pass normalisation as a place ("Công nhân"): this tells a place column."""
    if result.value is None:
        return False
    if result.code is not None:
        return True
    return any(_UNIT_RE.match(k) or _INSTITUTION_START.match(k)
               for k in (fold(p).strip() for p in result.value.split(",")))


def normalize_place(raw: str | None) -> PlaceResult:
    """Normalise one place cell.

    Args:
        raw: the OCR text (any string).

    Returns:
        PlaceResult(value, conf, flags, code, steps); flags "place_uncertain" when a ward
        name is equally near two wards of its district (or a near-miss district decided the
        province), "ambiguous_abbreviation" for initials several districts share,
        "unknown_place" when the text names
        administrative units none of which could be matched, "unreadable_place" when no text
        is left.
    """
    if raw is None or not raw.strip():
        return PlaceResult(None, 1.0)
    text = _expand(speck_periods(clean_text(attach_spacing_accents(raw))))
    text = text.strip(" ,;.-")
    if not re.search(r"[^\W\d_]|\d", text):
        return PlaceResult(None, 0.0, ("unreadable_place",))
    steps: list[str] = []
    t = admin_table()
    if _INSTITUTION_START.match(fold(text)):
        return _institution(text, t)
    # a part starts with no dash or dot: ",-Q. Đống Đa" is a speck read after the comma
    pieces = [p.strip(" -.'\"`") for chunk in re.split(r"[,;]", text) for p in _SPLIT_BEFORE.split(chunk.strip())]
    # a unit word alone before its name's comma ("Phường, Vĩnh Tuy") belongs to that name
    joined: list[str] = []
    for p in pieces:
        if joined and fold(joined[-1]) in UNIT_WORDS and p:
            joined[-1] = f"{joined[-1]} {p}"
        elif p and re.search(r"\w", p):  # a part of quotes or specks alone is no part
            joined.append(p)
    if len(joined) > 1 and key(joined[-1]) not in t.provinces and \
            key(f"{joined[-2]} {joined[-1]}") in t.provinces:
        # a speck read as a comma inside the province's name ("Hà, Nội")
        joined[-2:] = [f"{joined[-2]} {joined[-1]}"]
        steps.append("province_rejoined")
    parts = [_parse_part(p) for p in joined]
    if parts and parts[-1].unit_word and parts[-1].level != "province":
        # No comma before the province ("... Quận Hai Bà Trưng Hà Nội"): split it off.
        words = parts[-1].name.split(" ")
        for n in (4, 3, 2, 1):
            if len(words) > n and key(" ".join(words[-n:])) in t.provinces:
                parts[-1:] = [_Part(parts[-1].unit_word, parts[-1].level, " ".join(words[:-n])),
                              _Part(None, None, " ".join(words[-n:]))]
                break
    out: list[str] = [p.name if p.unit_word is None else f"{p.unit_word} {p.name}" for p in parts]
    prov: str | None = None
    dist: str | None = None
    matched: list[Unit] = []
    flags_extra: list[str] = []
    conf = 1.0
    has_province = False
    resolved: set[int] = set()  # parts spelt from the table of units
    for i in range(len(parts) - 1, -1, -1):
        p = parts[i]
        k = key(p.name)
        if not k:
            continue
        if prov is None and p.level in (None, "province", "city") and i == len(parts) - 1:
            got, c = _closest(k, t.provinces, p.name)
            if got is not None:
                u = t.provinces[got]
                prov = key(u.name)
                has_province = True
                matched.append(u)
                conf = min(conf, c)
                # A province is written by its short name ("Hà Nội", not "Thành phố Hà Nội").
                out[i] = u.name
                resolved.add(i)
                continue
        if dist is None and p.level in (None, "district", "city") and _INITIALS.match(p.name):
            ward_k = key(parts[i - 1].name) if i > 0 else None
            cands_i, by_ward = _resolve_initials(p.name, prov, ward_k, t)
            if len(cands_i) == 1:
                u = cands_i[0]
                dist = key(u.name)
                if prov is None:
                    prov = u.province
                    steps.append(f"province_inferred:{prov}")
                matched.append(u)
                out[i] = f"{p.unit_word or u.kind} {u.name}".strip()
                resolved.add(i)
                steps.append(f"initials:{p.name}->{u.name}" + (":ward_confirmed" if by_ward else ""))
                continue
            if len(cands_i) > 1:
                flags_extra.append("ambiguous_abbreviation")
                steps.append(f"initials:{p.name}?" + "|".join(sorted({u.name for u in cands_i}))[:80])
                continue
        if dist is None and p.level in (None, "district", "city"):
            if prov is not None:
                cands = {dk: u for pk in _provinces_for(t, prov) for dk, u in t.districts.get(pk, {}).items()}
            else:
                # a name several provinces use is still one district when the unit word
                # written tells them apart ("Quận Hoàng Mai" is Hà Nội's, the thị xã Nghệ An's)
                cands = {}
                for dk, us in t.districts_anywhere.items():
                    # (a historic unit's kind is not recorded: it stays a rival)
                    us = [u for u in us if p.unit_word is None or u.kind in (p.unit_word, "")] or us
                    if len(us) == 1:
                        cands[dk] = us[0]
            got, c = _closest(k, cands, p.name)
            if got is not None:
                u = cands[got]
                dist = got
                if prov is None:
                    prov = u.province
                    steps.append(f"province_inferred:{prov}")
                    if c < 1.0:
                        # A near miss ("Hai Bà" -> Hải Hà) would also pick the province: no guess.
                        flags_extra.append("place_uncertain")
                matched.append(u)
                conf = min(conf, c)
                if c < 1.0:
                    flags_extra.append("place_repaired")
                    steps.append(f"repaired:{p.name}->{u.name}")
                out[i] = f"{p.unit_word or u.kind} {u.name}".strip()
                resolved.add(i)
                continue
        if p.level in (None, "ward"):
            if prov is None:
                continue
            if dist is not None:
                pks = _provinces_for(t, prov) + (prov,)
                cands_w = {wk: us for pk in pks for wk, us in t.wards.get((pk, dist), {}).items()}
            else:
                cands_w = {wk: us for pk in _provinces_for(t, prov) for wk, us in t.wards_in_province.get(pk, {}).items()}
            got, c = _closest(k, cands_w, p.name)
            d_same = next((u for u in matched if u.level == "district" and key(u.name) == got), None)
            if got is not None and d_same is not None and p.unit_word and c == 1.0 and \
                    _pick(cands_w[got] + [d_same], p.name) is d_same and d_same.name != cands_w[got][0].name:
                # "Xã Cẩm Giàng, Huyện Cẩm Giàng" where the table has Thị trấn Cẩm Giang: the
                # register spelt it like its district; the letters alone cannot say which.
                out[i] = f"{p.unit_word} {d_same.name}"
                resolved.add(i)
                if p.name != d_same.name:
                    steps.append(f"ward_as_district:{p.name}->{d_same.name}")
            elif got is None and c < 0:
                flags_extra.append("place_uncertain")
                steps.append(f"ward_tie:{p.name}")
            elif got is not None:
                u = _pick(cands_w[got], p.name)
                matched.append(u)
                conf = min(conf, c)
                if c < 1.0:
                    # a letter apart from a known commune is as likely a historic one the
                    # table lacks ("Xã An Bình" -> An Ninh): the repair is never silent
                    flags_extra.append("place_repaired")
                    steps.append(f"repaired:{p.name}->{u.name}")
                out[i] = f"{p.unit_word or u.kind} {u.name}".strip()
                resolved.add(i)
            elif p.unit_word and dist is not None and k == dist:
                # A commune named after its district ("Xã Ưng Hòa, Huyện Ứng Hòa") that the
                # table lacks (merged, renamed): spelt like the district, whose letters it has.
                d_unit = next(u for u in matched if u.level == "district" and key(u.name) == dist)
                if p.name != d_unit.name:
                    steps.append(f"ward_as_district:{p.name}->{d_unit.name}")
                out[i] = f"{p.unit_word} {d_unit.name}"
                resolved.add(i)
    if matched and any(p.unit_word and i not in resolved for i, p in enumerate(parts)) \
            and not any(st.startswith("ward_tie:") for st in steps):
        # a unit written with its unit word that no table has (merged, renamed, historic):
        # kept as read, but the code is only the matched larger unit's
        flags_extra.append("place_unknown")
        steps += [f"unknown_unit:{p.name}" for i, p in enumerate(parts) if p.unit_word and i not in resolved][:3]
    if prov is not None and not has_province and matched:
        # The province was inferred from a district only it has: the canonical form names it,
        # in place of what is left of it when the reader cut it short ("..., Nghệ").
        name = t.provinces[prov].name
        last = parts[-1]
        if (last.unit_word is None and out[-1] == last.name and len(fold(last.name)) >= 2
                and fold(name).startswith(fold(last.name))):
            out[-1] = name
            steps.append(f"province_completed:{last.name}->{name}")
        else:
            out.append(name)
    # (units none of which matched are "unknown_place" already)
    unverified = _unverified_words(parts, resolved) if matched or not any(p.unit_word for p in parts) else []
    if unverified:
        # a part of an address no table vouches for, with a word no Vietnamese word or name
        # has ("Xã toằng Hóa", "Kih' Bảng", "#à Nam"): what is left of a misread
        flags_extra.append("place_uncertain")
        steps += [f"unverified:{w}" for w in unverified[:3]]
    small = [p.name for i, p in enumerate(parts) if i not in resolved and p.unit_word is None
             and p.name[:1].islower() and not re.search(r"\d", p.name)]
    if matched and small:
        # a part no table vouches for, without its unit word, opening in a small letter and
        # with no house number ("số 5 phố Huế" is a street): a unit's name is capitalised, so
        # that is a misread unit word ("lã Kiến Thụy" for "Xã Kiến Thụy")
        flags_extra.append("place_uncertain")
        steps += [f"small_letter:{n}" for n in small[:3]]
    value = ", ".join(o for o in out if o)
    flags: tuple[str, ...] = tuple(dict.fromkeys(flags_extra))
    if not matched:
        if any(p.unit_word for p in parts):
            flags = flags + ("unknown_place",)
            conf = 0.6
        else:
            conf = 0.8
    elif conf < 1.0:
        steps.append("fuzzy_unit_match")
    if flags_extra:
        conf = min(conf, 0.6)
    code = next((u.code for u in sorted(matched, key=lambda u: -len(u.code or "")) if u.code), None)
    steps += [f"unit:{u.level}:{u.name}" for u in matched]
    return PlaceResult(value, round(conf, 4), flags, code, tuple(steps))
