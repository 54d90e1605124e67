"""One volume's look, chosen once per volume: the typeface, columns and their header wording,
column order and widths, printing conventions, page furniture and ink colours.

Real books differ in exactly these ways between volumes, and stay the same within one, so the
page reader must map columns by their header text, not by position.
"""
from __future__ import annotations

import random
from dataclasses import dataclass
from functools import lru_cache

from configs.loader import Config, load_config
from samples.fonts import FACES, char_width, faces_named, load_font
from samples.people import WARDS
from samples.textstyle import DATE_STYLES, PrintStyle, print_date
from samples.typeset import line_height
from schemas.fields import all_fields, field_kind

TYPE_CODES = {"birth": "ks", "death": "kt", "marriage": "kh"}
LAYOUT_CODES = {"ledger": "l", "form": "f"}

# Columns a book may lack (then the field's truth is null); pairs go together.
OPTIONAL: dict[str, tuple[tuple[str, ...], ...]] = {
    "birth": (("hometown",), ("nationality",), ("declarant_name",), ("ethnicity",)),
    "death": (("ethnicity",), ("nationality",), ("cause_of_death",), ("declarant_name",)),
    "marriage": (("husband_nationality", "wife_nationality"), ("husband_ethnicity", "wife_ethnicity")),
}
# Typical printed length (characters) of each kind, to size columns.
TYPICAL = {"name": 19, "place": 40, "sex": 4, "ethnicity": 5, "nationality": 8, "code": 5, "text": 15}
LONG_KINDS = {"name", "place", "text"}  # allowed to wrap onto two lines


@dataclass(frozen=True)
class Column:
    """A ledger column or a form label.

    Attributes:
        field: the contract field it holds.
        header: its header (ledger) or label without the colon (form).
        group: marriage ledgers: the group header over it ("Chồng"/"Vợ"), else None.
        weight: relative width (ledger).
    """

    field: str
    header: str
    group: str | None
    weight: float


@dataclass(frozen=True)
class VolumeDesign:
    """Everything that stays the same across one volume's pages.

    Sizes are pixels at the volume's dpi (`scale` = dpi / 300 converts the 300-dpi design).
    """

    volume_id: str
    register_type: str
    layout: str
    year: int
    dpi: int
    face: str
    font_size: int
    title: str
    authority: str
    book_no: str
    style: PrintStyle
    columns: tuple[Column, ...]
    rows_per_page: int  # ledger rows / form: most entries a page holds
    number_row: bool  # ledger: a row of column numbers under the header
    line_width: int
    header_bold: bool
    inline_pairs: bool  # form: short fields share a line ("Giới tính: Nam   Dân tộc: Kinh")
    form_separator: str  # "rule", "space" or "box" (a frame around each entry)
    dotted: bool  # form: printed dotted leaders after each label, typed over
    form_align: bool  # form: values start at one tab stop
    first_page_no: int | None  # printed page number of page 1 (None: not printed)
    ink: tuple[int, int, int]  # typed text
    form_ink: tuple[int, int, int]  # printed rules, headers, title
    first_entry_no: int
    entry_no_style: str  # "plain" 125 or "slash_year" 125/1972
    # Book makes beyond the default mix (samples/family.py); the defaults draw today's books.
    paper: tuple[float, float] = (11.693, 8.268)  # long side, short side, inches (A4)
    orientation: str | None = None  # "portrait" | "landscape"; None: ledgers landscape, forms portrait
    number_style: str = "plain"  # column-number row: "plain" 1 2 3, "paren" (1) (2), "cot" Cột 1
    label_face: str | None = None  # printed headers, labels and title in another face (None: `face`)
    # Columns that are no contract field (field "x_<name>", e.g. the declarant's relation):
    # x_<name> -> the values a clerk writes there. They are printed, never in the truth.
    extra_values: tuple[tuple[str, tuple[str, ...]], ...] = ()
    blank_pages: tuple[int, ...] = ()  # page positions that are blank or near-blank leaves
    stamp_rate: float = 0.0  # chance a page carries a stamp over its entries
    degrade_extra: tuple[str, ...] = ()  # "stains", "uneven_light", "carbon", "warp"

    @property
    def printed_face(self) -> str:
        return self.label_face or self.face

    @property
    def scale(self) -> float:
        return self.dpi / 300.0


def volume_id(register_type: str, layout: str, year: int) -> str:
    return f"hbt-{TYPE_CODES[register_type]}-{year}-{LAYOUT_CODES[layout]}"


@lru_cache(maxsize=1)
def _config() -> Config:
    return load_config()


def _pick_index(rng: random.Random, n: int) -> int:
    # The contract's wording (first) is the most common; later variants rarer.
    return rng.choices(range(n), [3.0] + [1.0] * (n - 1))[0]


def _pick_header(rng: random.Random, variants: tuple[str, ...]) -> str:
    return variants[_pick_index(rng, len(variants))]


def _authority(rng: random.Random, year: int) -> str:
    ward = rng.choice(WARDS["Hai Bà Trưng"])
    if year < 1981:  # Hanoi's urban districts were "khu phố" with "tiểu khu" until 1981
        return rng.choice([f"UBHC tiểu khu {ward} – Khu phố Hai Bà Trưng",
                           "Ủy ban Hành chính khu phố Hai Bà Trưng"])
    return rng.choice([f"UBND phường {ward} – Quận Hai Bà Trưng",
                       f"Ủy ban nhân dân phường {ward}, quận Hai Bà Trưng"])


def _shuffle_lightly(rng: random.Random, items: list, swaps: int) -> list:
    items = list(items)
    for _ in range(swaps):
        if len(items) < 2:
            break
        i = rng.randrange(len(items) - 1)
        j = min(len(items) - 1, i + rng.choice([1, 1, 2, 3]))
        items[i], items[j] = items[j], items[i]
    return items


def _column_order(rng: random.Random, register_type: str, present: list[str]) -> list[str]:
    """A plausible column order: entry number first (usually), the rest lightly shuffled."""
    rest = [f for f in present if f not in ("entry_no", "registration_date", "notes")]
    if register_type == "marriage":  # the Chồng and Vợ blocks stay contiguous
        blocks = [[f for f in rest if f.startswith(p)] for p in ("husband_", "wife_")]
        order = [f for b in blocks for f in [b[0]] + _shuffle_lightly(rng, b[1:], rng.randint(0, 2))]
        at = 0 if rng.random() < 0.7 else len(order)
    else:
        order = _shuffle_lightly(rng, rest, rng.randint(1, 4))
        at = 0 if rng.random() < 0.6 else rng.randint(1, len(order))
    order.insert(at, "registration_date")
    order.insert(len(order) if rng.random() < 0.9 else rng.randint(1, len(order)), "notes")
    order.insert(0 if rng.random() < 0.92 else 1, "entry_no")
    return [f for f in order if f in present]


def _typical_len(field: str, style: PrintStyle, entry_no_style: str) -> float:
    kind = field_kind(field)
    if kind == "date":
        return len(print_date("1965-12-28", style)) + (4 if field == "date_of_death" and style.death_time else 0)
    if kind == "code":
        return 9 if entry_no_style == "slash_year" else 5
    if field == "sex":
        return 4
    return TYPICAL[kind]


def form_capacity(wanted: int, n_fields: int, size300: int, face: str, page_h300: int = 3508) -> int:
    """How many entry blocks fit on a page `page_h300` pixels tall at 300 dpi (portrait A4 by
    default; at most `wanted`)."""
    lh = line_height(load_font(face, size300)) * 1.25
    usable = page_h300 * 0.88 - 7 * lh  # page less margins and the title block
    per_entry = (n_fields + 3) * lh + 1.5 * lh  # a few wrapped lines and the gap
    return max(1, min(wanted, int(usable // per_entry)))


def choose_design(register_type: str, layout: str, rng: random.Random, *, year: int | None = None,
                  dpi: int | None = None, fonts: tuple[str, ...] | None = None) -> VolumeDesign:
    """Draw one volume's design.

    Args:
        register_type: birth, death or marriage.
        layout: ledger or form.
        rng: the volume's random source (same seed, same design).
        year: the book's year (random in 1958–2015 when None).
        dpi: scan resolution (a 200–400 mix around 300 when None).
        fonts: draw the typeface from these names instead of samples.fonts.FACES (the same
            draw from the rng, so the rest of the design is as without it).
    """
    cfg = _config().registers[register_type]
    year = year if year is not None else rng.randint(1958, 2015)
    dpi = dpi if dpi is not None else rng.choice([200, 240, 300, 300, 300, 300, 360, 400])
    scale = dpi / 300.0
    # Most old books were typed; later ones printed from a computer.
    pool = FACES if fonts is None else faces_named(fonts)
    face = rng.choices(pool, [3.0 if f.style == "typewriter" else 1.0 for f in pool])[0]
    style = PrintStyle(
        name_case="upper" if rng.random() < 0.35 else "title",
        date_style=rng.choices(DATE_STYLES, [4, 3, 2, 2, 1.5, 1])[0],
        sex_style="traigai" if (register_type == "birth" and year < 1980 and rng.random() < 0.4) else "namnu",
        abbreviate=rng.choice([0.0, 0.0, 0.2, 0.5]),
        death_time=0.5 if (register_type == "death" and rng.random() < 0.4) else 0.0,
        new_tone=year >= 1995 and rng.random() < 0.3,
        nationality_abbrev=rng.random() < 0.15,
    )
    entry_no_style = "slash_year" if rng.random() < 0.35 else "plain"

    fields = list(all_fields(register_type))
    omitted: set[str] = set()
    for group in rng.sample(OPTIONAL[register_type], rng.choice([0, 0, 1, 1, 2])):
        omitted.update(group)
    present = [f for f in fields if f not in omitted]
    order = _column_order(rng, register_type, present) if layout == "ledger" else present

    # "Chồng"/"Vợ" or "Bên chồng"/"Bên vợ": one wording for both groups of a book.
    k = _pick_index(rng, min((len(v) for v in cfg.groups.values()), default=1))
    group_words = {g: v[k] for g, v in cfg.groups.items()}
    columns = []
    for f in order:
        spec = cfg.fields[f]
        if layout == "ledger" and spec.group is not None:
            header, group = _pick_header(rng, spec.subheaders), group_words[spec.group]
        else:
            # the config's own wordings (derived ones are the reader's, not a printer's)
            header, group = _pick_header(rng, tuple(h for h in spec.headers if h not in spec.derived)), None
        kind = field_kind(f)
        typical = _typical_len(f, style, entry_no_style)
        lines = 2 if (kind in LONG_KINDS or typical > 14) else 1
        if kind == "name" and style.name_case == "upper":
            typical *= 1.2  # capitals are wider
        head_word = max(len(w) for w in header.split())
        weight = max(typical / lines, head_word * 1.1 + 1, 3.5) * rng.uniform(0.9, 1.2)
        columns.append(Column(field=f, header=header, group=group, weight=round(weight, 2)))

    # Font size: text ~28-40 px at 300 dpi, small enough that the table fits its width.
    size300 = rng.randint(30, 38)
    if layout == "ledger":
        table_chars = sum(c.weight for c in columns) * 1.08
        fit = 3508 * 0.88 / table_chars / (char_width(face.name, 100) / 100)
        size300 = max(26, min(size300, int(fit)))
        rows = rng.randint(12, 16)
    else:
        size300 = rng.randint(30, 36)
        rows = form_capacity(rng.choice([2, 3, 4, 4]), len(columns), size300, face.name)
    return VolumeDesign(
        volume_id=volume_id(register_type, layout, year), register_type=register_type,
        layout=layout, year=year, dpi=dpi, face=face.name, font_size=round(size300 * scale),
        title=_pick_header(rng, cfg.titles), authority=_authority(rng, year),
        book_no=f"{rng.randint(1, 12):02d}" if rng.random() < 0.7 else str(rng.randint(1, 12)),
        style=style, columns=tuple(columns), rows_per_page=rows,
        number_row=layout == "ledger" and rng.random() < 0.3,
        line_width=max(1, round(rng.choice([1, 2, 2, 3]) * scale)),
        header_bold=rng.random() < 0.6, inline_pairs=layout == "form" and rng.random() < 0.4,
        form_separator=rng.choice(["rule", "space", "box"]),
        dotted=layout == "form" and rng.random() < 0.35, form_align=rng.random() < 0.5,
        first_page_no=rng.randint(1, 120) if rng.random() < 0.4 else None,
        ink=rng.choice([(25, 25, 30), (35, 30, 40), (55, 35, 85), (30, 35, 70)]),
        form_ink=rng.choice([(20, 20, 20), (30, 30, 45), (40, 40, 40)]),
        first_entry_no=1 if rng.random() < 0.5 else rng.randint(100, 900),
        entry_no_style=entry_no_style,
    )
