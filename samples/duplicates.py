"""Synthetic register sets with known duplicates, at the record level (no page rendering),
for dedup tests and the dedup benchmark.

Events come from samples.people (volume_entries: realistic names, dates, places, twins), and
some are registered again (people.reregistration: year-only dates, mother dropped, new book),
copied into another book, or scanned twice (same book and entry number, new page). Then the
damage that normalisation leaves behind is applied record by record:
- OCR-damaged names: a tone mark lost (Trần -> Trân), a hat or horn lost (ư -> u, ơ -> o,
  ô -> o), đ -> d, a letter dropped, doubled or misread;
- UPPERCASE books (typed in capitals): raw text in capitals, and half their names lost every
  diacritic that the normaliser could not restore ("Nguyen Van Hung");
- abbreviated places ("P. Bạch Mai, Q. Hai Bà Trưng, HN", "BV Bạch Mai");
- partial dates (year or year-month only), day and month swapped or a digit misread, a
  missing mother's name;
- namesakes: another child with the same name, sex, birth date and birth place but other
  parents (birth); the same name and date of death, other birth date and home (death).
Damaged fields are flagged low_confidence some of the time, as OCR confidence would.

`write_set` writes a real OUT/records tree (schemas.parquet_io.write_volume, many volumes)
and returns the truth: record_id -> event_id, with tags naming the hard cases.
"""
from __future__ import annotations

import random
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa

from samples.people import reregistration, volume_entries
from schemas.fields import FIELDS
from schemas.parquet_io import write_parquet_atomic, write_volume

ROWS_PER_PAGE = 10
TONES = {"\u0300", "\u0301", "\u0303", "\u0309", "\u0323"}  # huyền sắc ngã hỏi nặng
SHAPES = {"\u0302", "\u0306", "\u031b"}  # hat (â ê ô), breve (ă), horn (ơ ư)
NAME_FIELDS = {"birth": ("full_name", "father_name", "mother_name"),
               "death": ("full_name",),
               "marriage": ("husband_name", "wife_name")}
PLACE_FIELDS = {"birth": ("place_of_birth", "hometown"), "death": ("residence", "place_of_death"),
                "marriage": ("husband_residence", "wife_residence")}
DATE_FIELDS = {"birth": ("date_of_birth",), "death": ("date_of_birth", "date_of_death"),
               "marriage": ("husband_date_of_birth", "wife_date_of_birth")}
PREFIX = {"birth": "KS", "death": "KT", "marriage": "KH"}


@dataclass(frozen=True)
class DupSpec:
    """How a synthetic set is made.

    Attributes:
        register_type: birth, death or marriage.
        records: about how many records in total.
        seed: random seed (same seed, same set).
        volume_size: entries per book.
        dup_rate: share of events registered more than once.
        triple_rate: share of those with two extra records.
        namesake_rate: share of events given a namesake (a different event alike).
        damage_rate: chance a name field is OCR-damaged, per record.
        upper_book_rate: share of books typed in capitals.
        abbrev_rate: chance a place is written abbreviated.
        partial_date_rate: extra chance a date keeps only its year (or year-month).
        missing_mother_rate: extra chance the mother's name is missing.
        flag_rate: chance a damaged field is flagged low_confidence.
        date_typo_rate: chance a full date has day and month swapped or a digit misread.
    """

    register_type: str = "birth"
    records: int = 10_000
    seed: int = 0
    volume_size: int = 2000
    dup_rate: float = 0.14
    triple_rate: float = 0.15
    namesake_rate: float = 0.01
    damage_rate: float = 0.08
    upper_book_rate: float = 0.08
    abbrev_rate: float = 0.10
    partial_date_rate: float = 0.03
    missing_mother_rate: float = 0.02
    flag_rate: float = 0.4
    date_typo_rate: float = 0.01


# ---------------------------------------------------------------- damage (pure functions)

def drop_tone(text: str, rng: random.Random) -> str:
    """Remove one tone mark (Trần -> Trân)."""
    return _drop_mark(text, rng, TONES)


def drop_shape(text: str, rng: random.Random) -> str:
    """Remove one hat/breve/horn (ư -> u, ơ -> o, ô -> o), or read đ as d."""
    if ("đ" in text or "Đ" in text) and rng.random() < 0.4:
        return text.replace("đ", "d", 1) if "đ" in text else text.replace("Đ", "D", 1)
    return _drop_mark(text, rng, SHAPES)


def _drop_mark(text: str, rng: random.Random, marks: set[str]) -> str:
    d = unicodedata.normalize("NFD", text)
    pos = [i for i, c in enumerate(d) if c in marks]
    if not pos:
        return text
    i = rng.choice(pos)
    return unicodedata.normalize("NFC", d[:i] + d[i + 1:])


_MISREAD = {"n": "m", "m": "n", "h": "b", "u": "n", "i": "l", "l": "i", "g": "q", "c": "e",
            "e": "c", "t": "l", "a": "o", "o": "a"}


def letter_slip(text: str, rng: random.Random) -> str:
    """Drop, double or misread one lowercase letter (never a word's capital)."""
    spots = [i for i, c in enumerate(text) if c.isalpha() and c.islower()]
    if not spots:
        return text
    i = rng.choice(spots)
    op = rng.random()
    if op < 0.4:
        return text[:i] + text[i + 1:]
    if op < 0.6:
        return text[:i] + text[i] + text[i:]
    c = text[i]
    if len(unicodedata.normalize("NFD", c)) > 1:  # a marked vowel: drop it instead
        return text[:i] + text[i + 1:]
    return text[:i] + _MISREAD.get(c, c) + text[i + 1:]


def strip_all(text: str) -> str:
    """Every diacritic lost, đ -> d: an UPPERCASE name the normaliser could not restore."""
    d = unicodedata.normalize("NFD", text)
    d = "".join(c for c in d if not unicodedata.combining(c))
    return d.replace("đ", "d").replace("Đ", "D")


def damage_name(text: str, rng: random.Random) -> str:
    op = rng.random()
    if op < 0.35:
        out = drop_tone(text, rng)
    elif op < 0.65:
        out = drop_shape(text, rng)
    else:
        out = letter_slip(text, rng)
    return out if out != text else letter_slip(text, rng)


def date_typo(iso: str, rng: random.Random) -> str:
    """Day and month swapped (when both could be months) or one digit of the day misread."""
    y, m, d = iso.split("-")
    if int(d) <= 12 and d != m and rng.random() < 0.5:
        return f"{y}-{d}-{m}"
    for _ in range(10):
        nd = d[0] + str(rng.randint(0, 9)) if rng.random() < 0.7 else str(rng.randint(0, 2)) + d[1]
        if nd != d and 1 <= int(nd) <= 28:
            return f"{y}-{m}-{nd}"
    return iso


_ABBREV = (("Phường ", "P. "), ("Quận ", "Q. "), ("Xã ", "X. "), ("Huyện ", "H. "),
           ("Bệnh viện ", "BV "), ("Nhà hộ sinh ", "NHS "), (", Hà Nội", ", HN"))


def abbreviate(place: str) -> str:
    """"Phường Bạch Mai, Quận Hai Bà Trưng, Hà Nội" -> "P. Bạch Mai, Q. Hai Bà Trưng, HN"."""
    for long, short in _ABBREV:
        place = place.replace(long, short)
    return place


# ---------------------------------------------------------------- events and records

def _namesake(rtype: str, e: dict, rng: random.Random, year: int, no: str) -> dict:
    other = volume_entries(rtype, rng, year, 1, no_style="plain", twin_rate=0.0)[0]
    other["entry_no"] = no
    keep = {"birth": ("full_name", "sex", "date_of_birth", "place_of_birth"),
            "death": ("full_name", "sex", "date_of_death"),
            "marriage": ("husband_name", "wife_name")}[rtype]
    for f in keep:
        other[f] = e[f]
    return other


def _later_year(year: int, rng: random.Random) -> int:
    return min(2021, year + rng.randint(1, 25))


def _events(spec: DupSpec, rng: random.Random):
    """Yield (volume_id, year, [(entry, event_id, family_id, namesake_group, tags)])."""
    rtype = spec.register_type
    per_event = 1 + spec.dup_rate * (1 + spec.triple_rate) + spec.namesake_rate
    n_events = max(1, int(spec.records / per_event))
    years = list(range(1956, 2022))
    n_books = max(1, -(-n_events // spec.volume_size))
    eid = 0
    for b in range(n_books):
        year = years[b * len(years) // n_books]
        count = min(spec.volume_size, n_events - b * spec.volume_size)
        vol = f"HBT-{PREFIX[rtype]}-{year}-{b:04d}"
        entries = volume_entries(rtype, rng, year, count)
        rows = []
        open_family = None  # twins come in consecutive pairs noted "Sinh đôi"
        for e in entries:
            tags = []
            family = f"f{eid}"
            if e.get("notes") == "Sinh đôi":
                tags.append("twin")
                if open_family is None:
                    open_family = family
                else:
                    family, open_family = open_family, None
            rows.append((e, f"e{eid}", family, None, tags))
            eid += 1
            if rng.random() < spec.namesake_rate and "twin" not in tags:
                group = f"n{eid}"
                rows[-1] = (e, rows[-1][1], rows[-1][2], group, tags + ["namesake"])
                ns = _namesake(rtype, e, rng, year, str(len(entries) + len(rows)))
                rows.append((ns, f"e{eid}", f"f{eid}", group, ["namesake"]))
                eid += 1
        yield vol, year, rows


def generate(spec: DupSpec) -> tuple[dict[str, list[dict]], list[dict]]:
    """Make the set: ({volume_id: [record values in order]}, truth rows)."""
    rng = random.Random(spec.seed)
    rtype = spec.register_type
    books: dict[str, list[tuple[dict, dict]]] = {}
    later: dict[int, list[tuple[dict, dict]]] = {}
    for vol, year, rows in _events(spec, rng):
        book = books.setdefault(vol, [])
        for e, event, family, group, tags in rows:
            base = {"event_id": event, "family_id": family, "namesake_group": group}
            book.append((e, dict(base, tags=list(tags) + ["original"])))
            if rng.random() >= spec.dup_rate:
                continue
            copies = 2 if rng.random() < spec.triple_rate else 1
            for slot in range(copies):
                # each further record of an event goes to another book (slot): a book
                # registers an event once, except a page scanned twice
                kind = rng.choices(["reregistration", "copy", "rescan"], [0.7, 0.2, 0.1])[0]
                meta = dict(base, tags=list(tags) + [kind])
                if kind == "rescan" and slot == 0:
                    book.append((dict(e), dict(meta, rescan=True)))
                elif kind == "copy":
                    later.setdefault((year, slot), []).append((dict(e), meta))
                else:
                    meta["tags"][-1] = "reregistration"
                    ly = _later_year(year, rng)
                    later.setdefault((ly, slot), []).append(
                        (reregistration(e, rtype, rng, ly, "0"), meta))
    # re-registrations and copies go to their own books, by year
    for (year, slot), items in sorted(later.items()):
        rng.shuffle(items)
        for k in range(0, len(items), spec.volume_size):
            vol = f"HBT-{PREFIX[rtype]}-DKL-{year}-{slot}{k // spec.volume_size:02d}"
            chunk = items[k:k + spec.volume_size]
            books[vol] = [(dict(e, entry_no=f"{i + 1}/{year}"), m) for i, (e, m) in enumerate(chunk)]
    # rescanned pages: the same entry, later in the same book
    for vol, items in books.items():
        firsts = [x for x in items if not x[1].get("rescan")]
        again = [x for x in items if x[1].get("rescan")]
        books[vol] = firsts + again
    upper = {vol for vol in books if rng.random() < spec.upper_book_rate}
    volumes, truth = {}, []
    for vol in sorted(books):
        recs = []
        for i, (e, meta) in enumerate(books[vol]):
            page, row = i // ROWS_PER_PAGE + 1, i % ROWS_PER_PAGE + 1
            rid = f"{vol}:{page:04d}:{row:02d}"
            values, tags = _damage(e, spec, rng, vol in upper)
            recs.append(_record(rid, vol, page, row, values, rtype, vol in upper, tags))
            truth.append({"record_id": rid, "register_type": rtype, "volume_id": vol,
                          "event_id": meta["event_id"], "family_id": meta["family_id"],
                          "namesake_group": meta["namesake_group"],
                          "tags": ",".join(meta["tags"] + tags)})
        volumes[vol] = recs
    return volumes, truth


def _damage(e: dict, spec: DupSpec, rng: random.Random, upper: bool) -> tuple[dict, list[str]]:
    rtype = spec.register_type
    v = {k: e.get(k) for k in ("entry_no", "registration_date", *FIELDS[rtype])}
    tags, flags = [], []
    for f in NAME_FIELDS[rtype]:
        if not v.get(f):
            continue
        if upper and rng.random() < 0.5:
            v[f] = strip_all(v[f])
            tags.append(f"upper_stripped:{f}")
        elif rng.random() < spec.damage_rate:
            v[f] = damage_name(v[f], rng)
            tags.append(f"damaged:{f}")
            if rng.random() < spec.flag_rate:
                flags.append(f"low_confidence:{f}")
    for f in PLACE_FIELDS[rtype]:
        if v.get(f) and rng.random() < spec.abbrev_rate:
            v[f] = abbreviate(v[f])
            tags.append(f"abbreviated:{f}")
    for f in DATE_FIELDS[rtype]:
        d = v.get(f)
        if d and len(d) == 10 and rng.random() < spec.partial_date_rate:
            v[f] = d[:4] if rng.random() < 0.7 else d[:7]
            tags.append(f"partial_date:{f}")
        elif d and len(d) == 10 and rng.random() < spec.date_typo_rate:
            v[f] = date_typo(d, rng)
            tags.append(f"date_typo:{f}")
        elif d and len(d) < 10:
            tags.append(f"partial_date:{f}")
    if rtype == "birth":
        if v.get("mother_name") and rng.random() < spec.missing_mother_rate:
            v["mother_name"] = None
        if not v.get("mother_name"):
            tags.append("missing_mother")
    v["_flags"] = flags
    return v, tags


def _record(rid: str, vol: str, page: int, row: int, v: dict, rtype: str, upper: bool,
            tags: list) -> dict:
    flags = v.pop("_flags")
    rec = {"record_id": rid, "source_file": f"{vol}.pdf", "page": page, "row": row,
           "bbox": None, "layout": "ledger", "flags": flags, "needs_review": bool(flags),
           "review_status": "unreviewed", "image_sha256": None, "config_hash": "synthetic",
           "pipeline_version": "synthetic"}
    for f, val in v.items():
        rec[f] = val
        rec[f + "_raw"] = (val.upper() if upper and isinstance(val, str) else val)
        rec[f + "_conf"] = None if val is None else (0.7 if f"low_confidence:{f}" in flags else 0.95)
    return rec


TRUTH_SCHEMA = pa.schema([("record_id", pa.string()), ("register_type", pa.string()),
                          ("volume_id", pa.string()), ("event_id", pa.string()),
                          ("family_id", pa.string()), ("namesake_group", pa.string()),
                          ("tags", pa.string())])


def write_set(out: Path, spec: DupSpec, truth_path: Path | None = None) -> pa.Table:
    """Write the set as OUT/records volumes; return (and optionally write) the truth table."""
    volumes, truth = generate(spec)
    for vol, recs in volumes.items():
        write_volume(out, spec.register_type, vol, recs)
    table = pa.Table.from_pylist(truth, schema=TRUTH_SCHEMA)
    if truth_path is not None:
        write_parquet_atomic(table, truth_path)
    return table

