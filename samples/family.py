"""Book families: one register book's make drawn from a space wider than the default mix.

A family is what a printer and a clerk fixed for a whole book: paper and orientation, the
typed and the printed face, header wordings of the book's era (some the reader's vocabulary
does not list), grouped headers (Chồng/Vợ, Cha/Mẹ, Người đi khai, Người chết), columns no
record has (relation, fee, occupation), the column-number row's style, the title's wording,
ink (a faded carbon copy), stamps over entries, blank leaves and the damage of its years.

    design, degrade = family_design(seed)          # the same seed, the same book

The space is wider than what the page reader assumes on purpose: benches draw development
families from one range of seeds and report held-out families from another (bench/families.py),
so a number is never reported on a book make the reader was tuned on.
"""
from __future__ import annotations

import random
from dataclasses import replace

from samples.design import Column, VolumeDesign, choose_design, form_capacity
from samples.fonts import FACES, FAMILY_FACES, HELDOUT_FACES, char_width
from samples.render import A4_INCHES
from schemas.fields import REGISTER_TYPES

PAPERS: dict[str, tuple[float, float]] = {"A4": A4_INCHES, "A3": (16.535, 11.693), "foolscap": (13.5, 8.5)}
ERAS: tuple[tuple[int, int], ...] = ((1956, 1975), (1976, 1994), (1995, 2015), (2016, 2021))
NUMBER_STYLES = ("plain", "paren", "cot")

# Header / label wordings per field and the eras (indices into ERAS) that used them. Some are
# in configs/ (the reader's vocabulary), some are not: the reader must map them or say it cannot.
_W = {
    "entry_no": [("Số", "0123"), ("Số TT", "12"), ("STT", "23"), ("Số thứ tự", "123"), ("Số đăng ký", "23"),
                 ("Số sổ", "01"), ("Số hiệu", "0"), ("TT", "12")],
    "registration_date": [("Ngày đăng ký", "123"), ("Ngày, tháng, năm đăng ký", "23"),
                          ("Ngày tháng đăng ký", "01"), ("Ngày khai", "01"), ("Ngày vào sổ", "01"),
                          ("Ngày ĐK", "2")],
    "full_name": [("Họ và tên", "0123"), ("Họ, chữ đệm, tên", "3"), ("Tên họ", "0"), ("Họ tên", "12")],
    "sex": [("Giới tính", "123"), ("Nam/Nữ", "12"), ("Trai/Gái", "0"), ("Nam hay nữ", "01"), ("Phái", "0"),
            ("Giới", "1")],
    "date_of_birth": [("Ngày, tháng, năm sinh", "123"), ("Ngày sinh", "0123"), ("Sinh ngày", "01"),
                      ("Ngày tháng năm sinh", "12"), ("Năm sinh", "0")],
    "place_of_birth": [("Nơi sinh", "0123"), ("Sinh tại", "0"), ("Nơi sinh đẻ", "01"), ("Chỗ sinh", "0")],
    "ethnicity": [("Dân tộc", "0123"), ("Dân tộc (thành phần)", "0")],
    "nationality": [("Quốc tịch", "0123"), ("Q. tịch", "1")],
    "hometown": [("Quê quán", "0123"), ("Nguyên quán", "0"), ("Quê gốc", "1")],
    "father_name": [("Họ và tên cha", "123"), ("Họ tên cha", "12"), ("Tên cha", "0"), ("Họ tên bố", "1"),
                    ("Tên họ cha", "0"), ("Họ tên người cha", "2")],
    "mother_name": [("Họ và tên mẹ", "123"), ("Họ tên mẹ", "12"), ("Tên mẹ", "0"), ("Tên họ mẹ", "0"),
                    ("Họ tên người mẹ", "2")],
    "declarant_name": [("Người đi khai", "012"), ("Họ tên người đi khai", "123"), ("Người khai", "01"),
                       ("Họ và tên người đi khai", "3"), ("Người đứng khai", "0")],
    "notes": [("Ghi chú", "0123"), ("Chú thích", "01"), ("Ghi chú (cải chính, bổ sung)", "23")],
    "residence": [("Nơi cư trú cuối cùng", "23"), ("Nơi thường trú", "123"), ("Trú quán", "0"),
                  ("Chỗ ở cuối cùng", "01"), ("Nơi cư trú", "23")],
    "date_of_death": [("Ngày, tháng, năm chết", "123"), ("Ngày chết", "012"), ("Chết ngày", "0"),
                      ("Ngày mất", "12"), ("Chết vào lúc", "01")],
    "place_of_death": [("Nơi chết", "0123"), ("Chết tại", "0"), ("Nơi mất", "12")],
    "cause_of_death": [("Nguyên nhân chết", "0123"), ("Nguyên nhân", "12"), ("Bệnh chết", "0"),
                       ("Lý do chết", "1")],
}
_DEATH_NAME = [("Họ và tên người chết", "0123"), ("Họ tên người đã chết", "12"), ("Tên người chết", "0"),
               ("Họ và tên người đã mất", "23")]
_BIRTH_NAME = [("Họ tên người được khai sinh", "23"), ("Họ tên đứa trẻ", "01"), ("Tên con", "0"),
               ("Họ và tên trẻ em", "1")]
# Marriage sub-columns under the Chồng / Vợ groups, and the ungrouped wordings.
_SUB = {"name": [("Họ và tên", "0123"), ("Họ tên", "12"), ("Tên họ", "0"), ("Họ, chữ đệm, tên", "3")],
        "date_of_birth": [("Ngày sinh", "0123"), ("Ngày, tháng, năm sinh", "23"), ("Năm sinh", "01"),
                          ("Sinh ngày", "0")],
        "ethnicity": [("Dân tộc", "0123")], "nationality": [("Quốc tịch", "0123")],
        "residence": [("Nơi cư trú", "23"), ("Nơi thường trú", "123"), ("Trú quán", "01"), ("Chỗ ở", "0")]}
_GROUPS = [(("Chồng", "Vợ"), "0123"), (("Bên chồng", "Bên vợ"), "12"), (("Người chồng", "Người vợ"), "23"),
           (("Phần chồng", "Phần vợ"), "0")]
_TITLES = {
    "birth": [("SỔ ĐĂNG KÝ KHAI SINH", "123"), ("SỔ KHAI SINH", "01"), ("SỔ ĐĂNG KÝ SINH", "01"),
              ("SỔ BỘ KHAI SINH", "0"), ("SỔ ĐĂNG KÝ KHAI SINH NĂM {year}", "23")],
    "death": [("SỔ ĐĂNG KÝ KHAI TỬ", "123"), ("SỔ KHAI TỬ", "01"), ("SỔ ĐĂNG KÝ TỬ", "01"),
              ("SỔ BỘ KHAI TỬ", "0"), ("SỔ ĐĂNG KÝ KHAI TỬ NĂM {year}", "23")],
    "marriage": [("SỔ ĐĂNG KÝ KẾT HÔN", "123"), ("SỔ KẾT HÔN", "12"), ("SỔ ĐĂNG KÝ GIÁ THÚ", "0"),
                 ("SỔ BỘ GIÁ THÚ", "0"), ("SỔ ĐĂNG KÝ KẾT HÔN NĂM {year}", "23")],
}
# Columns that are no contract field: (name, header, values a clerk writes there).
_EXTRA = {
    "x_relation": ("Quan hệ", ("Cha", "Mẹ", "Ông nội", "Bà ngoại", "Anh ruột", "Con", "Vợ", "Chồng")),
    "x_fee": ("Lệ phí", ("2 hào", "1đ", "5.000đ", "Miễn", "3.000đ")),
    "x_occupation": ("Nghề nghiệp", ("Công nhân", "Nông dân", "Cán bộ", "Buôn bán", "Học sinh", "Nội trợ")),
    "x_age": ("Tuổi", tuple(str(a) for a in range(19, 46))),
    "x_paper": ("Giấy tờ xuất trình", ("GCS số 12", "Giấy báo tử", "CMND", "Hộ khẩu", "Giấy chứng sinh")),
}


def _pick(rng: random.Random, options, era: int):
    """A wording of this era (any wording if none is tagged with it)."""
    fit = [w for w, eras in options if str(era) in eras] or [w for w, _ in options]
    return rng.choice(fit)


def _era(year: int) -> int:
    return next(i for i, (a, b) in enumerate(ERAS) if a <= year <= b)


def _faces(rng: random.Random) -> tuple[str, str]:
    """(typed face, printed face): typists' machines from every monospaced design; printed
    headers, labels and title often in another face than the typed values."""
    pool = FACES + HELDOUT_FACES + FAMILY_FACES
    typed = rng.choices(pool, [3.0 if f.style == "typewriter" else 1.0 for f in pool])[0]
    printed = typed if rng.random() < 0.45 else rng.choice([f for f in pool if f.style != "typewriter"])
    return typed.name, printed.name


def _regroup(cols: list[Column]) -> list[Column]:
    """Columns of one group side by side, where the group's first column stands."""
    out: list[Column] = []
    for c in cols:
        if c in out:
            continue
        out += [c] if c.group is None else [d for d in cols if d.group == c.group]
    return out


def _index(cols: list[Column]) -> dict[str, int]:
    return {c.field: i for i, c in enumerate(cols)}


def _weight(c: Column, base: float) -> Column:
    head_word = max(len(w) for w in c.header.split())
    return replace(c, weight=round(max(base, head_word * 1.1 + 1, 3.5), 2))


def _columns(rng: random.Random, design: VolumeDesign, era: int) -> tuple[list[Column], dict]:
    rtype, layout = design.register_type, design.layout
    extras: dict[str, tuple[str, ...]] = {}
    cols = []
    grouped_marriage = layout == "ledger" and rng.random() < 0.75
    gwords = _pick(rng, _GROUPS, era)
    for c in design.columns:
        f = c.field
        if rtype == "marriage" and f.startswith(("husband_", "wife_")):
            side, part = f.split("_", 1)
            sub = _pick(rng, _SUB[part], era)
            who = "chồng" if side == "husband" else "vợ"
            if grouped_marriage:
                cols.append(_weight(replace(c, header=sub, group=gwords[side == "wife"]), c.weight))
            else:
                cols.append(_weight(replace(c, header=f"{sub} {who}", group=None), c.weight))
            continue
        options = list(_W[f])
        if f == "full_name":
            options += _DEATH_NAME if rtype == "death" else _BIRTH_NAME
        cols.append(_weight(replace(c, header=_pick(rng, options, era), group=None), c.weight))
    if layout == "ledger":
        by = _index(cols)
        if rtype == "birth" and {"father_name", "mother_name"} <= set(by) and rng.random() < 0.4:
            if rng.random() < 0.5:  # "Họ và tên" over "Cha" | "Mẹ"
                g = rng.choice(["Họ và tên", "Họ tên cha mẹ", "Cha mẹ"])
                for f, sub in (("father_name", rng.choice(["Cha", "Bố"])), ("mother_name", "Mẹ")):
                    cols[by[f]] = _weight(replace(cols[by[f]], header=sub, group=g), cols[by[f]].weight)
            else:  # "Cha" over "Họ và tên" | "Tuổi", "Mẹ" over the same
                for f, g in (("father_name", "Cha"), ("mother_name", "Mẹ")):
                    i = _index(cols)[f]
                    cols[i] = replace(cols[i], header=_pick(rng, _SUB["name"], era), group=g)
                    cols.insert(i + 1, Column(f"x_age_{f[0]}", "Tuổi", g, 4.0))
                    extras[f"x_age_{f[0]}"] = _EXTRA["x_age"][1]
        by = _index(cols)
        if "declarant_name" in by and rng.random() < 0.35:  # "Người đi khai" over name | relation
            i = by["declarant_name"]
            g = rng.choice(["Người đi khai", "Người khai"])
            cols[i] = replace(cols[i], header=_pick(rng, _SUB["name"], era), group=g)
            cols.insert(i + 1, Column("x_relation", "Quan hệ", g, 8.0))
            extras["x_relation"] = _EXTRA["x_relation"][1]
        by = _index(cols)
        if rtype == "death" and rng.random() < 0.3:  # "Người chết" over name, sex, birth date
            g = "Người chết"
            for f in ("full_name", "sex", "date_of_birth"):
                if f in by:
                    sub = {"full_name": "Họ và tên", "sex": "Giới tính", "date_of_birth": "Ngày sinh"}[f]
                    cols[by[f]] = _weight(replace(cols[by[f]], header=sub, group=g), cols[by[f]].weight)
        for name in ("x_fee", "x_occupation", "x_paper"):
            if rng.random() < 0.2:
                header, values = _EXTRA[name]
                cols.insert(rng.randint(2, len(cols) - 1), Column(name, header, None, 8.0))
                extras[name] = values
        cols = _regroup(cols)
    return cols, extras


def family_design(seed: int, register_type: str | None = None, layout: str | None = None
                  ) -> tuple[VolumeDesign, str]:
    """Draw one book family's design and its scan degradation level.

    Args:
        seed: the family seed (same seed, same book).
        register_type, layout: force them (None: drawn, all three types and both layouts).

    Returns:
        (VolumeDesign, degrade level "light" | "moderate" | "heavy").
    """
    rng = random.Random(f"hotich-family:{seed}")
    rtype = register_type or rng.choice(REGISTER_TYPES)
    layout = layout or rng.choices(("ledger", "form"), [3, 2])[0]
    era = rng.choices(range(len(ERAS)), [3, 3, 3, 1])[0]
    year = rng.randint(*ERAS[era])
    typed, printed = _faces(rng)
    base = choose_design(rtype, layout, rng, year=year, fonts=(typed,))
    paper_name = rng.choices(list(PAPERS), [6, 2, 2])[0]
    if layout == "ledger":
        orientation = rng.choices(("landscape", "portrait"), [3, 1])[0]
    else:
        orientation = rng.choices(("portrait", "landscape"), [4, 1])[0]
    long_, short = PAPERS[paper_name]
    w300, h300 = (long_ * 300, short * 300) if orientation == "landscape" else (short * 300, long_ * 300)
    cols, extras = _columns(rng, base, era)
    if layout == "ledger":
        table_chars = sum(c.weight for c in cols) * 1.08
        fit = w300 * 0.88 / table_chars / (char_width(typed, 100) / 100)
        size300 = max(22, min(rng.randint(28, 38), int(fit)))
        rows = max(8, min(24, int(rng.randint(12, 16) * h300 / 2480 * 0.9)))
    else:
        size300 = rng.randint(28, 36)
        rows = form_capacity(rng.choice([2, 3, 4, 4]), len(cols), size300, typed, int(h300))
    title = _pick(rng, _TITLES[rtype], era).format(year=year)
    carbon = rng.random() < 0.15
    extra = tuple(k for k, p in (("carbon", 1.0 if carbon else 0.0), ("stains", 0.25),
                                 ("uneven_light", 0.3)) if rng.random() < p)
    ink = rng.choice([(70, 60, 150), (90, 70, 140)]) if carbon else base.ink
    design = replace(
        base, volume_id=f"fam{seed}-{base.volume_id.split('-', 1)[1]}", columns=tuple(cols),
        extra_values=tuple(sorted(extras.items())), font_size=round(size300 * base.scale),
        rows_per_page=rows, title=title, paper=PAPERS[paper_name], orientation=orientation,
        label_face=printed if printed != typed else None,
        number_row=layout == "ledger" and rng.random() < 0.5,
        number_style=rng.choice(NUMBER_STYLES), ink=ink,
        stamp_rate=0.0 if rng.random() < 0.5 else round(rng.uniform(0.2, 0.6), 2),
        degrade_extra=extra)
    degrade = rng.choices(("light", "moderate", "heavy"), [2, 4, 2])[0]
    return design, degrade


def blank_leaves(seed: int, pages: int) -> tuple[int, ...]:
    """Page positions left blank in a family's volume: none in most books, one or two in some
    (never the first page, which names the book)."""
    rng = random.Random(f"hotich-family:{seed}:blank")
    if pages < 3 or rng.random() < 0.6:
        return ()
    return tuple(sorted(rng.sample(range(2, pages + 1), min(pages - 1, rng.choice([1, 1, 2])))))
