"""Vietnam's administrative units, loaded once: provinces, districts, wards, with GSO codes.

Source: the offline SQLite table `admin_units_legacy` shipped by the PyPI package
vietnamadminunits 1.0.4 (MIT): the 63 provinces, 696 districts and 10,040 wards of the
2008-2025 structure with their General Statistics Office codes (province 2 digits, district 3,
ward 5). Historic units that older registers name (Hà Tây, Hải Hưng, merged Hanoi wards) come
from normalize/data/historic_units.tsv and have no code; their successors are searched for the
units under them.

Keys are "compact folds": no diacritics, no spaces or punctuation ("Hai Bà Trưng" ->
"haibatrung"). Names are given with traditional tone placement ("Ứng Hòa").
"""
from __future__ import annotations

import csv
import importlib.util
import re
import sqlite3
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from normalize.text import clean_text, fold

DATA = Path(__file__).resolve().parent / "data"


@dataclass(frozen=True)
class Unit:
    """One administrative unit.

    Attributes:
        level: "province", "district" or "ward".
        name: the short official name ("Hai Bà Trưng"), traditional tones.
        kind: the unit word ("Quận", "Huyện", "Phường", "Xã", "Thành phố", "Tỉnh"...).
        code: GSO code, or None for a historic unit.
        province: the province's key; district: the district's key ("" for provinces).
        historic: a unit that no longer exists.
    """

    level: str
    name: str
    kind: str
    code: str | None
    province: str = ""
    district: str = ""
    historic: bool = False


@lru_cache(maxsize=65536)
def key(name: str) -> str:
    """Compact fold used to match unit names ("Bà Rịa - Vũng Tàu" -> "bariavungtau")."""
    return re.sub(r"[^a-z0-9]", "", fold(name))


@dataclass(frozen=True)
class AdminTable:
    """Indexes over the units.

    Attributes:
        provinces: key -> Unit (current and historic, plus aliases such as "hn", "tphcm").
        successors: historic province key -> current province keys.
        districts: province key -> {district key -> Unit}.
        wards: (province key, district key) -> {ward key -> [Unit]}.
        wards_in_province: province key -> {ward key -> [Unit]}.
        districts_anywhere: district key -> [Unit] (to infer a missing province).
    """

    provinces: dict[str, Unit]
    successors: dict[str, tuple[str, ...]]
    districts: dict[str, dict[str, Unit]]
    wards: dict[tuple[str, str], dict[str, list[Unit]]]
    wards_in_province: dict[str, dict[str, list[Unit]]]
    districts_anywhere: dict[str, list[Unit]] = field(default_factory=dict)


# Short forms registers use for provinces.
PROVINCE_ALIASES = {"hn": "hanoi", "tphn": "hanoi", "hcm": "hochiminh", "tphcm": "hochiminh",
                    "saigon": "hochiminh", "hp": "haiphong", "dn": "danang", "hue": "hue",
                    "thuathienhue": "hue", "brvt": "bariavungtau"}


def _db_path() -> Path:
    # find_spec locates the package without importing it (its __init__ loads shapely, geopy
    # and compiles large regexes: a second we do not need).
    spec = importlib.util.find_spec("vietnamadminunits")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError("vietnamadminunits is not installed; run `make install`")
    return Path(list(spec.submodule_search_locations)[0]) / "data" / "dataset.db"


@lru_cache(maxsize=None)
def _tname(s: str) -> str:
    return clean_text(s)


@lru_cache(maxsize=1)
def admin_table() -> AdminTable:
    """Load the table and the historic units (once per process).

    Raises:
        FileNotFoundError: when vietnamadminunits is not installed (run `make install`).
    """
    path = _db_path()
    if not path.is_file():
        raise FileNotFoundError(f"{path}: vietnamadminunits data missing; run `make install`")
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        rows = con.execute("SELECT province, provinceShort, provinceCode, districtShort, districtType, "
                           "districtCode, wardShort, wardType, wardCode FROM admin_units_legacy").fetchall()
    finally:
        con.close()
    provinces: dict[str, Unit] = {}
    districts: dict[str, dict[str, Unit]] = {}
    wards: dict[tuple[str, str], dict[str, list[Unit]]] = {}
    in_prov: dict[str, dict[str, list[Unit]]] = {}
    anywhere: dict[str, list[Unit]] = {}
    for pfull, pshort, pcode, dshort, dtype, dcode, wshort, wtype, wcode in rows:
        pk = key(pshort)
        if pk not in provinces:
            kind = "Thành phố" if pfull.startswith("Thành phố") else "Tỉnh"
            provinces[pk] = Unit("province", _tname(pshort), kind, pcode)
        if dshort:
            dk = key(dshort)
            dmap = districts.setdefault(pk, {})
            if dk not in dmap:
                d = Unit("district", _tname(dshort), _tname(dtype or ""), dcode, province=pk)
                dmap[dk] = d
                anywhere.setdefault(dk, []).append(d)
            if wshort:
                w = Unit("ward", _tname(wshort), _tname(wtype or ""), wcode, province=pk, district=dk)
                wards.setdefault((pk, dk), {}).setdefault(key(wshort), []).append(w)
                in_prov.setdefault(pk, {}).setdefault(key(wshort), []).append(w)
    successors: dict[str, tuple[str, ...]] = {}
    with (DATA / "historic_units.tsv").open(encoding="utf-8") as f:
        hist = [r for r in csv.reader((l for l in f if l.strip() and not l.startswith("#")),
                                      delimiter="\t", quoting=csv.QUOTE_NONE)]
    for level, name, parent, succ, *_ in hist:
        k = key(name)
        if level == "province":
            if k not in provinces:
                provinces[k] = Unit("province", _tname(name), "Tỉnh", None, historic=True)
            successors[k] = tuple(key(s) for s in succ.split(";") if s)
        elif level == "district":
            pk = key(parent)
            d = Unit("district", _tname(name), "", None, province=pk, historic=True)
            districts.setdefault(pk, {}).setdefault(k, d)
            anywhere.setdefault(k, []).append(d)
        elif level == "ward":
            pname, dname = parent.split("/")
            pk, dk = key(pname), key(dname)
            w = Unit("ward", _tname(name), "", None, province=pk, district=dk, historic=True)
            wards.setdefault((pk, dk), {}).setdefault(k, []).append(w)
            in_prov.setdefault(pk, {}).setdefault(k, []).append(w)
    for alias, target in PROVINCE_ALIASES.items():
        if target in provinces:
            provinces.setdefault(alias, provinces[target])
    return AdminTable(provinces, successors, districts, wards, in_prov, anywhere)
