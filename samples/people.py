"""Synthetic register entries: realistic people, places and dates, in CONTRACT.md's
normalised form (the ground truth). Rendering these as printed text is samples/render's job.

Names come from normalize/data (surname shares from published surveys), plus a held-out list
of given names (samples/data/heldout_given_names.txt) that the normaliser's lexicon does not
know, so benchmarks also see names outside the lexicon.

Canonical values written here (and expected back from the pipeline):
- names: "Nguyễn Thị Thu Hằng"; dates: ISO, reduced precision ("1965-03-12", "1965");
- places: "Phường Bạch Mai, Quận Hai Bà Trưng, Hà Nội", "Bệnh viện Bạch Mai",
  "Xã Hải Anh, Huyện Hải Hậu, Nam Định" (unit words capitalised, comma separated);
- sex "Nam"/"Nữ"; ethnicity official names ("Kinh", "Mông"); nationality "Việt Nam".
"""
from __future__ import annotations

import csv
import datetime as dt
import random
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

NORMALIZE_DATA = Path(__file__).resolve().parent.parent / "normalize" / "data"
SAMPLES_DATA = Path(__file__).resolve().parent / "data"


def _tsv(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8") as f:
        return [row for row in csv.reader((l for l in f if not l.startswith("#") and l.strip()),
                                          delimiter="\t")]


@dataclass(frozen=True)
class NameTables:
    """Weighted name parts: (names, weights) per position and sex."""

    surnames: tuple[tuple[str, ...], tuple[float, ...]]
    middle: dict[str, tuple[tuple[str, ...], tuple[float, ...]]]
    given: dict[str, tuple[tuple[str, ...], tuple[float, ...]]]


@lru_cache(maxsize=1)
def name_tables() -> NameTables:
    sur = _tsv(NORMALIZE_DATA / "surnames.tsv")
    mid = _tsv(NORMALIZE_DATA / "middle_names.tsv")
    giv = _tsv(NORMALIZE_DATA / "given_names.tsv")
    held = [l.strip().split("\t") for l in (SAMPLES_DATA / "heldout_given_names.txt").read_text(
        encoding="utf-8").splitlines() if l.strip() and not l.startswith("#")]

    def pick(rows, sex, name_col=0, sex_col=1, w_col=2):
        got = [(r[name_col], float(r[w_col])) for r in rows if r[sex_col] in (sex, "U")]
        return tuple(n for n, _ in got), tuple(w for _, w in got)

    given = {}
    for sex in ("M", "F"):
        names, weights = pick(giv, sex)
        hn, hw = pick(held, sex)
        given[sex] = (names + hn, weights + hw)
    return NameTables(
        surnames=(tuple(r[0] for r in sur), tuple(float(r[1]) for r in sur)),
        middle={s: pick(mid, s) for s in ("M", "F")},
        given=given,
    )


@lru_cache(maxsize=1)
def ethnic_weights() -> tuple[tuple[str, ...], tuple[float, ...]]:
    """Ethnic groups weighted for Hanoi registers (~98% Kinh; others by census share)."""
    rows = _tsv(NORMALIZE_DATA / "ethnicities.tsv")
    others = sum(float(r[2]) for r in rows if r[0] != "Kinh")
    return (tuple(r[0] for r in rows),
            tuple(98.0 if r[0] == "Kinh" else 2.0 * float(r[2]) / others for r in rows))


# Hai Bà Trưng and neighbouring districts' wards, with historic units that older books use.
WARDS: dict[str, tuple[str, ...]] = {
    "Hai Bà Trưng": ("Bạch Đằng", "Bách Khoa", "Bạch Mai", "Bùi Thị Xuân", "Cầu Dền",
                     "Đống Mác", "Đồng Nhân", "Đồng Tâm", "Lê Đại Hành", "Minh Khai",
                     "Ngô Thì Nhậm", "Nguyễn Du", "Phạm Đình Hổ", "Phố Huế", "Quỳnh Lôi",
                     "Quỳnh Mai", "Thanh Lương", "Thanh Nhàn", "Trương Định", "Vĩnh Tuy"),
    "Hoàn Kiếm": ("Hàng Bạc", "Hàng Bồ", "Hàng Buồm", "Hàng Đào", "Hàng Gai", "Hàng Trống",
                  "Tràng Tiền", "Lý Thái Tổ", "Cửa Nam", "Phan Chu Trinh", "Hàng Bài"),
    "Đống Đa": ("Văn Miếu", "Quốc Tử Giám", "Kim Liên", "Khâm Thiên", "Ô Chợ Dừa", "Láng Hạ",
                "Trung Liệt", "Phương Mai", "Nam Đồng", "Thổ Quan", "Văn Chương"),
    "Ba Đình": ("Điện Biên", "Quán Thánh", "Ngọc Hà", "Cống Vị", "Kim Mã", "Liễu Giai",
                "Giảng Võ", "Thành Công", "Trúc Bạch"),
    "Hoàng Mai": ("Tương Mai", "Giáp Bát", "Tân Mai", "Mai Động", "Hoàng Văn Thụ"),
}
HOSPITALS: tuple[str, ...] = ("Bệnh viện Bạch Mai", "Bệnh viện Phụ sản Hà Nội",
                              "Bệnh viện Thanh Nhàn", "Nhà hộ sinh Hai Bà Trưng",
                              "Bệnh viện Phụ sản Trung ương", "Bệnh viện Việt Nam - Cu Ba",
                              "Nhà hộ sinh A", "Bệnh viện Hữu nghị Việt Đức")
# Hometowns: (commune, district, province) including provinces merged or renamed since.
HOMETOWNS: tuple[tuple[str, str, str], ...] = (
    ("Hải Anh", "Hải Hậu", "Nam Định"), ("Xuân Trường", "Xuân Trường", "Nam Định"),
    ("Vũ Thắng", "Kiến Xương", "Thái Bình"), ("Đông Hưng", "Đông Hưng", "Thái Bình"),
    ("Kim Bảng", "Kim Bảng", "Hà Nam"), ("Thanh Liêm", "Thanh Liêm", "Hà Nam"),
    ("Cẩm Giàng", "Cẩm Giàng", "Hải Dương"), ("Mỹ Hào", "Mỹ Hào", "Hưng Yên"),
    ("Thuận Thành", "Thuận Thành", "Bắc Ninh"), ("Thường Tín", "Thường Tín", "Hà Tây"),
    ("Ứng Hòa", "Ứng Hòa", "Hà Tây"), ("Quỳnh Lưu", "Quỳnh Lưu", "Nghệ An"),
    ("Hoằng Hóa", "Hoằng Hóa", "Thanh Hóa"), ("Đức Thọ", "Đức Thọ", "Hà Tĩnh"),
    ("Gia Viễn", "Gia Viễn", "Ninh Bình"), ("Lâm Thao", "Lâm Thao", "Phú Thọ"),
    ("Yên Lạc", "Yên Lạc", "Vĩnh Phúc"), ("Thanh Trì", "Thanh Trì", "Hà Nội"),
    ("Gia Lâm", "Gia Lâm", "Hà Nội"), ("Đông Anh", "Đông Anh", "Hà Nội"),
    ("Kiến Thụy", "Kiến Thụy", "Hải Phòng"), ("Yên Dũng", "Yên Dũng", "Bắc Giang"),
)
CAUSES: tuple[str, ...] = ("Già yếu", "Bệnh tim", "Ung thư phổi", "Tai nạn giao thông",
                           "Tai biến mạch máu não", "Bệnh lao", "Xơ gan", "Viêm phổi", "Suy tim",
                           "Ung thư gan", "Đột quỵ", "Suy thận")
NOTES: tuple[str, ...] = ("Đăng ký quá hạn", "Con thứ hai", "Con thứ ba", "Đăng ký lại",
                          "Đã cấp bản sao", "Cải chính họ tên", "Bổ sung ngày sinh")
FOREIGN_NATIONALITIES: tuple[str, ...] = ("Trung Quốc", "Lào", "Liên Xô", "Pháp", "Hàn Quốc",
                                          "Nhật Bản", "Hoa Kỳ", "Cu Ba")


def person_name(rng: random.Random, sex: str, surname: str | None = None, year: int = 1980) -> str:
    """A full name: surname, middle name(s), given name, weighted like real registers."""
    t = name_tables()
    if surname is None:
        surname = rng.choices(*t.surnames)[0]
    s = "M" if sex == "Nam" else "F"
    mids, mw = t.middle[s]
    # Văn/Thị fade after the 1980s; two middle names become common for women.
    weights = [w * (0.3 if n in ("Văn", "Thị") and year > 1990 else 1.0) for n, w in zip(mids, mw)]
    middle = [rng.choices(mids, weights)[0]]
    if s == "F" and middle[0] == "Thị" and rng.random() < 0.25:
        middle.append(rng.choice([m for m in mids if m != "Thị"]))
    if rng.random() < 0.04:
        middle = []
    given = rng.choices(*t.given[s])[0]
    return " ".join([surname, *middle, given])


def ward_address(rng: random.Random) -> str:
    district = rng.choices(list(WARDS), weights=[6, 1, 1, 1, 1])[0]
    return f"Phường {rng.choice(WARDS[district])}, Quận {district}, Hà Nội"


def hometown(rng: random.Random) -> str:
    commune, district, province = rng.choice(HOMETOWNS)
    return f"Xã {commune}, Huyện {district}, {province}"


def random_date(rng: random.Random, start: dt.date, end: dt.date) -> dt.date:
    days = max((end - start).days, 0)
    return start + dt.timedelta(days=rng.randint(0, days))


def _ethnicity(rng: random.Random) -> str:
    return rng.choices(*ethnic_weights())[0]


def birth_entry(rng: random.Random, year: int, entry_no: str, parents: dict | None = None) -> dict:
    """One birth register entry's canonical values. `parents` reuses a family (twins)."""
    reg = random_date(rng, dt.date(year, 1, 2), dt.date(year, 12, 28))
    late = rng.random() < 0.05
    dob = reg - dt.timedelta(days=rng.randint(400, 3650) if late else rng.randint(1, 60))
    if parents is None:
        surname = rng.choices(*name_tables().surnames)[0]
        parents = {
            "surname": surname,
            "father_name": person_name(rng, "Nam", surname, year - 28) if rng.random() > 0.06 else None,
            "mother_name": person_name(rng, "Nữ", None, year - 25),
            "ethnicity": _ethnicity(rng),
            "place_of_birth": rng.choice(HOSPITALS) if rng.random() < 0.7 else ward_address(rng),
            "hometown": hometown(rng),
            "dob": dob,
        }
    else:
        dob = parents["dob"]
    sex = rng.choice(["Nam", "Nữ"])
    declarant = parents["father_name"] or parents["mother_name"]
    return {
        "entry_no": entry_no,
        "registration_date": parents.get("reg", reg.isoformat()),
        "full_name": person_name(rng, sex, parents["surname"], year),
        "sex": sex,
        "date_of_birth": dob.isoformat(),
        "place_of_birth": parents["place_of_birth"],
        "ethnicity": parents["ethnicity"],
        "nationality": "Việt Nam",
        "hometown": parents["hometown"] if rng.random() > 0.05 else None,
        "father_name": parents["father_name"],
        "mother_name": parents["mother_name"],
        "declarant_name": declarant,
        "notes": rng.choice(NOTES) if (late or rng.random() < 0.08) else None,
        "_family": parents,
    }


def death_entry(rng: random.Random, year: int, entry_no: str) -> dict:
    reg = random_date(rng, dt.date(year, 1, 2), dt.date(year, 12, 28))
    dod = reg - dt.timedelta(days=rng.randint(0, 20))
    age = min(int(rng.triangular(0, 100, 78)), dod.year - 1880)
    born = random_date(rng, dt.date(dod.year - age - 1, dod.month, 1), dt.date(dod.year - age, 12, 28))
    born = min(born, dod)
    # Older people's books often know only the year of birth.
    dob = str(born.year) if (born.year < 1930 or rng.random() < 0.15) else born.isoformat()
    sex = rng.choice(["Nam", "Nữ"])
    return {
        "entry_no": entry_no,
        "registration_date": reg.isoformat(),
        "full_name": person_name(rng, sex, None, born.year),
        "sex": sex,
        "date_of_birth": dob,
        "ethnicity": _ethnicity(rng),
        "nationality": "Việt Nam",
        "residence": ward_address(rng),
        "date_of_death": dod.isoformat(),
        "place_of_death": rng.choice(HOSPITALS[:4] + ("Tại nhà",)) if rng.random() < 0.6 else ward_address(rng),
        "cause_of_death": rng.choice(CAUSES) if rng.random() > 0.1 else None,
        "declarant_name": person_name(rng, rng.choice(["Nam", "Nữ"]), None, year - 40),
        "notes": rng.choice(NOTES[:1] + NOTES[4:]) if rng.random() < 0.06 else None,
    }


def marriage_entry(rng: random.Random, year: int, entry_no: str) -> dict:
    reg = random_date(rng, dt.date(year, 1, 2), dt.date(year, 12, 28))
    entry = {"entry_no": entry_no, "registration_date": reg.isoformat()}
    for role, sex, (lo, hi) in (("husband", "Nam", (20, 40)), ("wife", "Nữ", (18, 35))):
        age = rng.randint(lo, hi)
        born = random_date(rng, dt.date(year - age - 1, 1, 1), dt.date(year - age, 12, 28))
        entry[f"{role}_name"] = person_name(rng, sex, None, born.year)
        entry[f"{role}_date_of_birth"] = str(born.year) if rng.random() < 0.1 else born.isoformat()
        entry[f"{role}_ethnicity"] = _ethnicity(rng)
        entry[f"{role}_nationality"] = (rng.choice(FOREIGN_NATIONALITIES) if rng.random() < 0.02
                                        else "Việt Nam")
        entry[f"{role}_residence"] = ward_address(rng)
    entry["notes"] = rng.choice(NOTES[4:]) if rng.random() < 0.05 else None
    return entry


MAKERS = {"birth": birth_entry, "death": death_entry, "marriage": marriage_entry}


def entry_number(n: int, year: int, style: str) -> str:
    """The register's own entry number as written: "125" or "125/1965"."""
    return f"{n}/{year}" if style == "slash_year" else str(n)


def volume_entries(register_type: str, rng: random.Random, year: int, count: int,
                   first_no: int = 1, no_style: str = "plain", twin_rate: float = 0.02) -> list[dict]:
    """`count` entries of one volume, in register order (entry numbers ascending).

    Birth volumes include twins (same parents, date and place, different given names):
    the hard case for dedup, which must keep them apart.
    """
    out: list[dict] = []
    n = first_no
    while len(out) < count:
        e = MAKERS[register_type](rng, year, entry_number(n, year, no_style))
        out.append(e)
        n += 1
        if register_type == "birth" and len(out) < count and rng.random() < twin_rate:
            fam = dict(e["_family"], reg=e["registration_date"])
            twin = birth_entry(rng, year, entry_number(n, year, no_style), parents=fam)
            while twin["full_name"] == e["full_name"]:
                twin = birth_entry(rng, year, entry_number(n, year, no_style), parents=fam)
            twin["notes"] = "Sinh đôi"
            e["notes"] = "Sinh đôi"
            out.append(twin)
            n += 1
    for e in out:
        e.pop("_family", None)
    return out


def reregistration(entry: dict, register_type: str, rng: random.Random, year: int,
                   entry_no: str) -> dict:
    """The same event registered again in a later book, with the variations real
    re-registrations show: only the year of birth known, a missing parent, the hometown
    dropped, a new registration date and number. Names stay the same person."""
    e = dict(entry)
    e["entry_no"] = entry_no
    reg_year = max(year, int(entry["registration_date"][:4]))
    e["registration_date"] = random_date(rng, dt.date(reg_year, 1, 2), dt.date(reg_year, 12, 28)).isoformat()
    dob_field = {"birth": "date_of_birth", "death": "date_of_birth", "marriage": "husband_date_of_birth"}[register_type]
    if register_type == "death":
        # A death registered again keeps the date of death; registration follows it.
        e["registration_date"] = max(e["registration_date"], e["date_of_death"])
    if e.get(dob_field) and rng.random() < 0.2:
        e[dob_field] = e[dob_field][:4]
    if register_type == "birth":
        if rng.random() < 0.15:
            e["mother_name"] = None
        if rng.random() < 0.2:
            e["hometown"] = None
        e["notes"] = "Đăng ký lại"
        e["declarant_name"] = e["full_name"] if rng.random() < 0.5 else e["declarant_name"]
    else:
        e["notes"] = "Đăng ký lại"
    return e
