"""A second, independent generator of birth registers with known duplicates (bench only).

Written apart from samples/duplicates.py and samples/people.py (the set hotich dedup was
developed on) so that the benchmark also measures records the linker was not tuned on.
Everything that matters to linkage is drawn differently:

- names: surnames and "middle given" pairs from the real name lists of the PyPI package
  vn-fullname-generator 0.0.2 (data/first.name, male.name, female.name, 2,534 pairs; MIT),
  surnames weighted by published population shares, a given name weighted by how many real
  pairs use it (raised to 1.6: a Zipf-like head, so that "Nguyễn Văn Đức" is common), and
  era-dependent middle names (Văn / Thị for most children born in the 1950s-60s, few by 2021).
  samples/people uses hand-weighted lists from normalize/data instead.
- families: 1-4 children of the same parents in one ward, years apart; twins (same date,
  another given name); 8% of children with no father registered (the father's cell empty in
  every record of the event).
- wards and places: ~250 generated wards in 12 provinces, one book per ward and decade;
  births mostly at the province's few hospitals (place agrees for strangers too).
- namesakes: another family in the same ward and year gives a child the same full name and
  sex (and, a third of the time, a birth date days apart).
- duplicates (6% of events, 1-3 extra records): a late re-registration in the ward where the
  person lives later (year-only or year-month date, mother or father missing, hospital given
  as the ward, places in their renamed form), the district's archive copy of the book (same
  entry numbers, transcribed again), a re-issued extract (names typed without diacritics).
- places renamed over time: a ward upgraded (Xã -> Phường), a district renamed, a province
  merged (Hà Tây -> Hà Nội 2008): a record written after the change uses the new name.
- OCR slips at other rates and of other kinds: a dropped tone or hat, glyph confusions
  (m/rn, n/u, l/i, h/b, c/e), a middle name left out, digit confusions in dates (1/7, 3/8,
  0/6, 5/6), day and month swapped; a quarter of the damaged fields flagged.

Records are written the way other tools write a hive dataset:
OUT/records/register_type=birth/volume_id=<ID>/part-0.parquet (no records.parquet).
The truth has the columns bench.dedup expects (record_id, event_id, family_id,
namesake_group, tags).

    PYTHONPATH=. .venv/bin/python -m bench.dedup --gen 2 --records 500000
"""
from __future__ import annotations

import datetime as dt
import random
import unicodedata
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from schemas.arrow import SCHEMAS

# Published surname shares (%), for the surnames of the package's first.name list.
SURNAME_SHARE = {"Nguyễn": 38.4, "Trần": 11.0, "Lê": 9.5, "Phạm": 7.1, "Hoàng": 5.1,
                 "Huỳnh": 4.0, "Phan": 4.5, "Vũ": 3.9, "Võ": 3.0, "Đặng": 2.1, "Bùi": 2.0,
                 "Đỗ": 1.4, "Hồ": 1.3, "Ngô": 1.3, "Dương": 1.0, "Lý": 0.5}
PROVINCES = ("Hà Nội", "Hà Tây", "Nam Định", "Thái Bình", "Hải Dương", "Bắc Ninh", "Nghệ An",
             "Thanh Hóa", "Hà Nam", "Ninh Bình", "Hưng Yên", "Vĩnh Phúc")
MERGED = {"Hà Tây": ("Hà Nội", 2008)}  # province -> (new province, year)
GLYPHS = (("m", "rn"), ("n", "u"), ("u", "n"), ("l", "i"), ("h", "b"), ("c", "e"), ("a", "o"),
          ("i", "l"), ("t", "f"))
DIGITS = {"1": "7", "7": "1", "3": "8", "8": "3", "0": "6", "6": "0", "5": "6"}
TONES = {"\u0300", "\u0301", "\u0303", "\u0309", "\u0323"}
SHAPES = {"\u0302", "\u0306", "\u031b"}
ROWS_PER_PAGE = 12
FIRST_YEAR, LAST_YEAR = 1956, 2021


@dataclass(frozen=True)
class Gen2Spec:
    """How a gen2 set is made (rates are per record or per event, as named).

    Attributes:
        records: about how many records.  seed: random seed.
        dup_rate: share of events with extra records.  wards: how many wards.
        name_damage: chance a name field is OCR-damaged.  date_slip: chance a full date gets a
        digit confusion or a day/month swap.  missing_father: share of children without a
        registered father.  reg_missing_mother: chance a re-registration lacks the mother.
        twin_rate: share of births that are twins.  namesake_rate: share of children given a
        namesake in the same ward and year.  upper_book_rate: share of books whose names lost
        every diacritic.  flag_rate: chance a damaged field is flagged.  rename_rate: chance a
        ward or district is renamed at some year.
    """

    records: int = 100_000
    seed: int = 1
    dup_rate: float = 0.06
    wards: int = 250
    name_damage: float = 0.05
    date_slip: float = 0.03
    missing_father: float = 0.08
    reg_missing_mother: float = 0.30
    twin_rate: float = 0.015
    namesake_rate: float = 0.008
    upper_book_rate: float = 0.05
    flag_rate: float = 0.25
    rename_rate: float = 0.3


# A variant with other rates, looked at once at the end (see bench/README.md).
HELDOUT = dict(dup_rate=0.08, name_damage=0.07, date_slip=0.045, missing_father=0.12,
               reg_missing_mother=0.45, twin_rate=0.025, namesake_rate=0.015,
               upper_book_rate=0.08, flag_rate=0.15, rename_rate=0.45, wards=180)


def _lines(name: str) -> list[str]:
    text = resources.files("vn_fullname_generator.data").joinpath(name).read_text("utf-8")
    # the list spells some Đ with the Icelandic Ð (U+00D0); records hold Đ (U+0110)
    return [unicodedata.normalize("NFC", " ".join(x.split())).replace("\u00d0", "\u0110")
            for x in text.splitlines() if x.strip()]


class Names:
    """Weighted real names (see the module docstring)."""

    def __init__(self):
        sur = [s for s in _lines("first.name") if s in SURNAME_SHARE]
        self.surnames = (sur, [SURNAME_SHARE[s] for s in sur])
        self.pairs, self.weights = {}, {}
        for sex, fname in (("M", "male.name"), ("F", "female.name")):
            pairs = [p.split() for p in _lines(fname) if len(p.split()) == 2]
            count: dict[str, int] = {}
            for _, g in pairs:
                count[g] = count.get(g, 0) + 1
            self.pairs[sex] = pairs
            self.weights[sex] = [count[g] ** 1.6 for _, g in pairs]

    def person(self, rng: random.Random, sex: str, year: int, surname: str | None = None) -> str:
        mid, given = rng.choices(self.pairs[sex], self.weights[sex])[0]
        t = (min(max(year, FIRST_YEAR), LAST_YEAR) - FIRST_YEAR) / (LAST_YEAR - FIRST_YEAR)
        classic = ("Văn", 0.75 - 0.6 * t) if sex == "M" else ("Thị", 0.85 - 0.7 * t)
        if rng.random() < classic[1]:
            mid = classic[0]
        surname = surname or rng.choices(*self.surnames)[0]
        return f"{surname} {mid} {given}"


@dataclass
class Ward:
    code: str
    unit: str          # Phường / Xã / Thị trấn
    name: str
    district_unit: str
    district: str
    province: str
    renamed: tuple | None = None  # (year, unit, name, district_unit, district)

    def address(self, year: int) -> str:
        unit, name, du, dname, prov = self.unit, self.name, self.district_unit, self.district, \
            self.province
        if self.renamed and year >= self.renamed[0]:
            _, unit, name, du, dname = self.renamed
        if prov in MERGED and year >= MERGED[prov][1]:
            prov = MERGED[prov][0]
        return f"{unit} {name}, {du} {dname}, {prov}"


def _wards(rng: random.Random, names: Names, n: int) -> list[Ward]:
    sylls = sorted({g for sex in ("M", "F") for _, g in names.pairs[sex]})
    words = lambda: f"{rng.choice(sylls)} {rng.choice(sylls)}"  # noqa: E731
    districts = [(rng.choice(PROVINCES), words()) for _ in range(max(n // 6, 4))]
    wards = []
    for i in range(n):
        prov, dist = districts[i % len(districts)]
        urban = rng.random() < 0.4
        w = Ward(f"W{i:03d}", "Phường" if urban else rng.choice(["Xã", "Xã", "Thị trấn"]),
                 words(), "Quận" if urban else "Huyện", dist, prov)
        if rng.random() < 0.3 * 2:  # decided below against rename_rate
            w.renamed = (rng.randint(1975, 2015), "Phường", w.name,
                         "Quận" if rng.random() < 0.5 else w.district_unit,
                         w.district if rng.random() < 0.6 else words())
        wards.append(w)
    return wards


def _date(rng: random.Random, year: int) -> dt.date:
    return dt.date(year, 1, 1) + dt.timedelta(days=rng.randrange(365))


def _strip(text: str, marks: set | None = None) -> str:
    nfd = unicodedata.normalize("NFD", text.replace("Đ", "D").replace("đ", "d")
                                if marks is None else text)
    keep = "".join(c for c in nfd if not (unicodedata.combining(c)
                                          and (marks is None or c in marks)))
    return unicodedata.normalize("NFC", keep)


def damage_name(name: str, rng: random.Random) -> str:
    """One OCR slip of gen2's kinds in a name (see the module docstring)."""
    words = name.split()
    kind = rng.random()
    if kind < 0.15 and len(words) >= 3:
        return " ".join(words[:1] + words[2:])  # a middle name left out
    i = rng.randrange(len(words))
    w = words[i]
    if kind < 0.5:
        w = _strip(w, TONES if rng.random() < 0.6 else SHAPES)
    else:
        low = w.lower()
        hits = [(a, b) for a, b in GLYPHS if a in low[1:]]
        if hits:
            a, b = rng.choice(hits)
            j = low.index(a, 1)
            w = w[:j] + b + w[j + len(a):]
        else:
            w = _strip(w, TONES)
    words[i] = w
    return " ".join(words)


def date_slip(d: str, rng: random.Random) -> str:
    """A digit confusion (1/7, 3/8, 0/6, 5/6) in day, month or year, or day/month swapped."""
    y, m, dd = d.split("-")
    if rng.random() < 0.25 and int(dd) <= 12 and dd != m:
        return f"{y}-{dd}-{m}"
    for _ in range(6):
        part = rng.choice(["y", "m", "d", "d"])
        s = {"y": y, "m": m, "d": dd}[part]
        pos = [k for k, c in enumerate(s) if c in DIGITS and not (part == "y" and k < 2)]
        if not pos:
            continue
        k = rng.choice(pos)
        s2 = s[:k] + DIGITS[s[k]] + s[k + 1:]
        ny, nm, nd = (s2, m, dd) if part == "y" else (y, s2, dd) if part == "m" else (y, m, s2)
        try:
            dt.date(int(ny), int(nm), int(nd))
        except ValueError:
            continue
        if FIRST_YEAR - 5 <= int(ny) <= LAST_YEAR:
            return f"{ny}-{nm}-{nd}"
    return d


def _events(spec: Gen2Spec, rng: random.Random, names: Names, wards: list[Ward]) -> list[dict]:
    """Children (one civil-status event each) in families, with twins and namesakes."""
    target = int(spec.records / (1 + spec.dup_rate * 1.3))
    events: list[dict] = []
    fam = 0
    while len(events) < target:
        fam += 1
        ward = rng.choice(wards)
        first = rng.randint(FIRST_YEAR, LAST_YEAR)
        father_surname = rng.choices(*names.surnames)[0]
        father = names.person(rng, "M", first - rng.randint(22, 35), father_surname)
        mother = names.person(rng, "F", first - rng.randint(19, 30))
        hospital = rng.random() < (0.3 + 0.6 * (first - FIRST_YEAR) / 65)
        home = rng.choice(wards) if rng.random() < 0.5 else ward
        year, used = first, set()
        for _ in range(rng.choices([1, 2, 3, 4], [30, 40, 20, 10])[0]):
            if year > LAST_YEAR:
                break
            no_father = rng.random() < spec.missing_father
            births = 2 if rng.random() < spec.twin_rate else 1
            day = _date(rng, year)
            for b in range(births):
                sex = rng.choice("MF")
                for _ in range(20):
                    name = names.person(rng, sex, year,
                                        father_surname if not no_father else mother.split()[0])
                    if name.split()[-1] not in used:
                        break
                used.add(name.split()[-1])
                events.append({
                    "event_id": f"E{len(events):07d}", "family_id": f"F{fam:07d}",
                    "namesake_group": None, "tags": ["twin"] if births == 2 else [],
                    "ward": ward, "year": year, "full_name": name,
                    "sex": "Nam" if sex == "M" else "Nữ", "date_of_birth": day.isoformat(),
                    "father_name": None if no_father else father, "mother_name": mother,
                    "hospital": hospital, "home": home, "ethnicity": "Kinh"
                    if rng.random() < 0.93 else rng.choice(["Tày", "Mường", "Thái", "Nùng"])})
            year += rng.randint(1, 5)
    # namesakes: another family's child in the same ward and year, same name and sex
    for e in rng.sample(events, int(len(events) * spec.namesake_rate)):
        if e["namesake_group"] is not None:
            continue
        group = f"N{e['event_id']}"
        fam += 1
        day = _date(rng, e["year"]) if rng.random() < 0.67 else \
            dt.date.fromisoformat(e["date_of_birth"]) + dt.timedelta(days=rng.randint(1, 9))
        if day.year != e["year"]:
            day = dt.date.fromisoformat(e["date_of_birth"])
        sur = e["full_name"].split()[0]
        events.append(dict(e, event_id=f"E{len(events):07d}", family_id=f"F{fam:07d}",
                           namesake_group=group, tags=["namesake"],
                           date_of_birth=day.isoformat(),
                           father_name=names.person(rng, "M", e["year"] - 28, sur),
                           mother_name=names.person(rng, "F", e["year"] - 25)))
        e["namesake_group"] = group
        e["tags"] = e["tags"] + ["namesake"]
    return events


def _hospital(ward: Ward, year: int, k: int) -> str:
    prov = ward.province
    if prov in MERGED and year >= MERGED[prov][1]:
        prov = MERGED[prov][0]
    return ("Bệnh viện Đa khoa tỉnh ", "Bệnh viện Phụ sản ", "Nhà hộ sinh ")[k % 3] + prov


def _entry(e: dict, reg_year: int, where: Ward) -> dict:
    """The record's values as a register written in `reg_year` gives them."""
    place = _hospital(e["ward"], reg_year, hash(e["family_id"]) % 3) if e["hospital"] \
        else e["ward"].address(reg_year)
    return {"full_name": e["full_name"], "sex": e["sex"], "date_of_birth": e["date_of_birth"],
            "place_of_birth": place, "ethnicity": e["ethnicity"], "nationality": "Việt Nam",
            "hometown": e["home"].address(reg_year), "father_name": e["father_name"],
            "mother_name": e["mother_name"], "declarant_name": e["father_name"]
            or e["mother_name"], "registration_date": None, "_where": where}


def generate(spec: Gen2Spec) -> tuple[dict[str, list[dict]], list[dict]]:
    """(volume_id -> records, truth rows)."""
    rng = random.Random(f"gen2:{spec.seed}")
    names = Names()
    # about 2,000 births per ward over the 66 years, as many wards as that allows
    wards = _wards(rng, names, max(8, min(spec.wards, spec.records // 2000)))
    for w in wards:
        if w.renamed and rng.random() >= spec.rename_rate / 0.6:
            w.renamed = None
    books: dict[str, list[tuple[dict, dict]]] = {}
    for e in _events(spec, rng, names, wards):
        meta = {"event_id": e["event_id"], "family_id": e["family_id"],
                "namesake_group": e["namesake_group"], "tags": list(e["tags"])}
        decade = e["year"] // 10 * 10
        reg = dt.date.fromisoformat(e["date_of_birth"]) + dt.timedelta(days=rng.randint(3, 60))
        v = _entry(e, reg.year, e["ward"])
        v["registration_date"] = reg.isoformat()
        vol = f"{e['ward'].code}-KS-{decade}"
        books.setdefault(vol, []).append((v, dict(meta, tags=meta["tags"] + ["original"])))
        if rng.random() >= spec.dup_rate:
            continue
        n_extra = rng.choices([1, 2, 3], [75, 20, 5])[0]
        kinds = ["reregistration", "archive_copy", "extract"]
        weights = [55, 30, 15]
        for _ in range(n_extra):  # each kind once: one book never holds an event twice
            kind = rng.choices(kinds, weights)[0]
            weights[kinds.index(kind)] = 0
            tags = meta["tags"] + [kind]
            if kind == "archive_copy":
                w = dict(v)
                books.setdefault(f"{e['ward'].district}-LUU-{decade}", []).append(
                    (w, dict(meta, tags=tags)))
                continue
            later = min(LAST_YEAR, reg.year + rng.randint(1, 30))
            lives = e["home"] if rng.random() < 0.5 else e["ward"]
            w = _entry(e, later, lives)
            w["registration_date"] = _date(rng, later).isoformat()
            if kind == "reregistration":
                r = rng.random()
                if r < 0.5:
                    w["date_of_birth"] = w["date_of_birth"][:4]
                    tags.append("year_only")
                elif r < 0.65:
                    w["date_of_birth"] = w["date_of_birth"][:7]
                    tags.append("year_month")
                if rng.random() < spec.reg_missing_mother:
                    w["mother_name"] = None
                    tags.append("missing_mother")
                if rng.random() < 0.15:
                    w["father_name"] = None
                    tags.append("missing_father")
                if e["hospital"] and rng.random() < 0.3:
                    w["place_of_birth"] = e["ward"].address(later)
                if rng.random() < 0.4:
                    w["hometown"] = None
                vol = f"{lives.code}-KS-DKL-{later // 10 * 10}"
            else:
                w["full_name"] = _strip(w["full_name"])
                tags.append("no_diacritics")
                vol = f"{e['ward'].district}-TL-{later // 5 * 5}"
            if w["place_of_birth"] != v["place_of_birth"]:
                tags.append("renamed_place")
            books.setdefault(vol, []).append((w, dict(meta, tags=tags)))
    upper = {vol for vol in books if rng.random() < spec.upper_book_rate}
    volumes, truth = {}, []
    for vol in sorted(books):
        items = books[vol]
        copy = "-LUU-" in vol
        if not copy:
            items.sort(key=lambda x: x[0]["registration_date"])
        recs = []
        for i, (v, meta) in enumerate(items):
            page, row = i // ROWS_PER_PAGE + 1, i % ROWS_PER_PAGE + 1
            rid = f"{vol}:{page:04d}:{row:02d}"
            rec, tags = _damaged(v, rng, spec, vol in upper)
            rec.update(record_id=rid, page=page, row=row,
                       entry_no=f"{i + 1}" if not vol.count("-DKL-") else f"{i + 1}/{vol[-4:]}")
            recs.append(rec)
            truth.append({"record_id": rid, "register_type": "birth", "volume_id": vol,
                          "event_id": meta["event_id"], "family_id": meta["family_id"],
                          "namesake_group": meta["namesake_group"],
                          "tags": ",".join(meta["tags"] + tags)})
        volumes[vol] = recs
    return volumes, truth


def _damaged(v: dict, rng: random.Random, spec: Gen2Spec, upper: bool) -> tuple[dict, list]:
    v = {k: x for k, x in v.items() if not k.startswith("_")}
    flags, tags = [], []
    for f in ("full_name", "father_name", "mother_name"):
        if not v.get(f):
            continue
        if upper:
            v[f] = _strip(v[f])
            tags.append(f"upper_stripped:{f}")
        elif rng.random() < spec.name_damage:
            v[f] = damage_name(v[f], rng)
            tags.append(f"damaged:{f}")
            if rng.random() < spec.flag_rate:
                flags.append(f"low_confidence:{f}")
    d = v.get("date_of_birth")
    if d and len(d) == 10 and rng.random() < spec.date_slip:
        v["date_of_birth"] = date_slip(d, rng)
        tags.append("date_slip")
        if rng.random() < spec.flag_rate:
            flags.append("low_confidence:date_of_birth")
    rec = {"source_file": None, "bbox": None, "layout": "ledger", "flags": flags,
           "needs_review": bool(flags), "review_status": "unreviewed", "image_sha256": None,
           "config_hash": "gen2", "pipeline_version": "gen2"}
    for f, x in v.items():
        rec[f] = x
        rec[f + "_raw"] = x.upper() if upper and isinstance(x, str) else x
        rec[f + "_conf"] = None if x is None else (0.6 if f"low_confidence:{f}" in flags else 0.93)
    return rec, tags


TRUTH_SCHEMA = pa.schema([("record_id", pa.string()), ("register_type", pa.string()),
                          ("volume_id", pa.string()), ("event_id", pa.string()),
                          ("family_id", pa.string()), ("namesake_group", pa.string()),
                          ("tags", pa.string())])


def write_set(out: Path, spec: Gen2Spec, truth_path: Path | None = None) -> pa.Table:
    """Write the set as OUT/records/register_type=birth/volume_id=V/part-0.parquet; return
    (and optionally write) the truth."""
    volumes, truth = generate(spec)
    schema = SCHEMAS["birth"]
    for vol, recs in volumes.items():
        folder = Path(out) / "records" / "register_type=birth" / f"volume_id={vol}"
        folder.mkdir(parents=True, exist_ok=True)
        cols = {f.name: [r.get(f.name) for r in recs] for f in schema}
        pq.write_table(pa.Table.from_pydict(cols, schema=schema), folder / "part-0.parquet")
    table = pa.Table.from_pylist(truth, schema=TRUTH_SCHEMA)
    if truth_path is not None:
        pq.write_table(table, truth_path)
    return table
