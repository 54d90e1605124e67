"""Synthetic register volumes with ground truth: the public API of samples/.

    images, truth = render_volume("birth", "ledger", pages=2, seed=1)     # in memory
    truths = generate(Path("/tmp/s"), pages=4, seed=1)                    # files + truth

`generate` writes one volume per (register type, layout): `DEST/<volume_id>.pdf` (or .tif, or a
folder of page-0001.png / .jpg), its truth `DEST/truth/<volume_id>.json`, and
`DEST/truth/duplicates.json`: groups of record ids judged the same event (the form volume of
each type re-registers ~10% of the ledger volume's entries some years later).
The same seed gives identical truth and identical images.
"""
from __future__ import annotations

import dataclasses
import json
import random
from dataclasses import asdict, dataclass, replace
from pathlib import Path

from PIL import Image

from samples import people
from samples.design import VolumeDesign, choose_design
from samples.family import blank_leaves, family_design
from samples.render import RenderedPage, render_page
from samples.truth import EntryTruth, PageTruth, VolumeTruth, record_id
from samples.writers import FORMATS, SUFFIX, write_volume
from schemas.fields import REGISTER_TYPES

LAYOUTS: tuple[str, ...] = ("ledger", "form")
TRUTH_DIR = "truth"
DUPLICATES_FILE = "duplicates.json"

__all__ = ["generate", "render_volume", "VolumeTruth", "PageTruth", "EntryTruth", "LAYOUTS",
           "FORMATS", "plan_volume", "VolumePlan", "plan_family", "generate_families"]


@dataclass(frozen=True)
class VolumePlan:
    """What a volume will contain before it is drawn: its design and each page's entries."""

    design: VolumeDesign
    seed: int
    pages: tuple[tuple[dict, ...], ...]


def _volume_rng(seed: int, register_type: str, layout: str) -> random.Random:
    return random.Random(f"hotich-samples:{seed}:{register_type}:{layout}")


def plan_volume(register_type: str, layout: str, pages: int, seed: int, *, dpi: int | None = None,
                year: int | None = None, fonts: tuple[str, ...] | None = None,
                headers: dict[str, str] | None = None) -> VolumePlan:
    """Choose a volume's design and its entries, page by page.

    `headers` (field -> wording) prints those columns' headers (form: labels) in the given
    wording instead of the chosen one: a book with an unusual header, for tests and benches.
    Everything else (and the random draws) stays as without it.

    Raises:
        ValueError: unknown register type or layout, or pages < 1.
    """
    if register_type not in REGISTER_TYPES:
        raise ValueError(f"register type must be one of {', '.join(REGISTER_TYPES)}, got {register_type!r}")
    if layout not in LAYOUTS:
        raise ValueError(f"layout must be one of {', '.join(LAYOUTS)}, got {layout!r}")
    if pages < 1:
        raise ValueError("a volume needs at least one page")
    if dpi is not None and not 100 <= dpi <= 600:
        raise ValueError(f"dpi must be in 100..600, got {dpi}")
    rng = _volume_rng(seed, register_type, layout)
    design = choose_design(register_type, layout, rng, year=year, dpi=dpi, fonts=fonts)
    if headers:
        design = dataclasses.replace(design, columns=tuple(
            dataclasses.replace(c, header=headers[c.field]) if c.field in headers else c
            for c in design.columns))
    most = design.rows_per_page
    if layout == "ledger":
        counts = [most] * pages
    else:  # a form page holds up to `most` entries; some hold fewer
        counts = [most if rng.random() < 0.6 else rng.randint(1, most) for _ in range(pages)]
    entries = people.volume_entries(register_type, rng, design.year, sum(counts),
                                    first_no=design.first_entry_no, no_style=design.entry_no_style)
    return VolumePlan(design=design, seed=seed, pages=_in_register_order(entries, counts, design))


def _in_register_order(entries: list[dict], counts: list[int], design: VolumeDesign
                       ) -> tuple[tuple[dict, ...], ...]:
    """Entries sorted by registration date and numbered in that order (as a clerk fills a
    book), split into pages of `counts` entries. Twins share a date and stay together."""
    ordered = sorted(entries, key=lambda e: e["registration_date"])
    numbered = [dict(e, entry_no=people.entry_number(design.first_entry_no + i, design.year,
                                                     design.entry_no_style))
                for i, e in enumerate(ordered)]
    out, i = [], 0
    for c in counts:
        out.append(tuple(numbered[i:i + c]))
        i += c
    return tuple(out)


def plan_family(seed: int, pages: int) -> tuple[VolumePlan, str]:
    """One book of family `seed` (samples/family.py): its plan and its degradation level.
    Blank leaves hold no entries; the entry numbers run on across them."""
    if pages < 1:
        raise ValueError("a volume needs at least one page")
    design, degrade = family_design(seed)
    design = replace(design, blank_pages=blank_leaves(seed, pages))
    rng = random.Random(f"hotich-family:{seed}:entries")
    most = design.rows_per_page
    counts = [0 if p in design.blank_pages else most if design.layout == "ledger" or rng.random() < 0.6
              else rng.randint(1, most) for p in range(1, pages + 1)]
    entries = people.volume_entries(design.register_type, rng, design.year, sum(counts),
                                    first_no=design.first_entry_no, no_style=design.entry_no_style)
    return VolumePlan(design=design, seed=seed, pages=_in_register_order(entries, counts, design)), degrade


def generate_families(dest: Path, seeds: list[int] | tuple[int, ...], pages: int = 20, *,
                      fmt: str = "pdf") -> list[VolumeTruth]:
    """Write one volume per family seed with its truth under DEST/truth/ (no duplicates file
    entries: family books are independent)."""
    if fmt not in FORMATS:
        raise ValueError(f"format must be one of {', '.join(FORMATS)}, got {fmt!r}")
    dest = Path(dest)
    truth_dir = dest / TRUTH_DIR
    truth_dir.mkdir(parents=True, exist_ok=True)
    truths = []
    for seed in seeds:
        plan, degrade = plan_family(seed, pages)
        truths.append(_write(dest, plan, degrade, fmt))
    (truth_dir / DUPLICATES_FILE).write_text("[]\n", encoding="utf-8")
    return truths


def _write(dest: Path, plan: VolumePlan, degrade: str, fmt: str) -> VolumeTruth:
    """Render a planned volume, write its file(s) and DEST/truth/<volume_id>.json."""
    vid = plan.design.volume_id
    source = f"{vid}{SUFFIX[fmt]}" if fmt in SUFFIX else vid
    rendered, truth = _render(plan, degrade, source)
    write_volume(dest, vid, fmt, [(r.image, r.jpeg) for r in rendered], plan.design.dpi)
    truth.save(dest / TRUTH_DIR / f"{vid}.json")
    return truth


def _render(plan: VolumePlan, degrade: str, source_file: str) -> tuple[list[RenderedPage], VolumeTruth]:
    d = plan.design
    rendered = [render_page(d, n, list(entries), degrade, plan.seed)
                for n, entries in enumerate(plan.pages, start=1)]
    truth = VolumeTruth(
        volume_id=d.volume_id, register_type=d.register_type, layout=d.layout, year=d.year,
        source_file=source_file, font=d.face, font_size=d.font_size, dpi=d.dpi, degrade=degrade,
        seed=plan.seed, style=asdict(d.style), pages=tuple(r.truth for r in rendered))
    return rendered, truth


def render_volume(register_type: str, layout: str, pages: int, seed: int, *,
                  degrade: str = "moderate", dpi: int | None = None,
                  fonts: tuple[str, ...] | None = None) -> tuple[list[Image.Image], VolumeTruth]:
    """Render one volume in memory.

    Args:
        register_type: birth, death or marriage.
        layout: ledger or form.
        pages: number of pages.
        seed: same seed, same images and truth.
        degrade: none, light, moderate or heavy.
        dpi: scan resolution (None: drawn from a 200–400 mix around 300).
        fonts: typeface names to draw from (None: samples.fonts.FACES).

    Returns:
        The page images (RGB, as they would be stored) and the volume truth.
    """
    plan = plan_volume(register_type, layout, pages, seed, dpi=dpi, fonts=fonts)
    rendered, truth = _render(plan, degrade, f"{plan.design.volume_id}.pdf")
    return [r.image for r in rendered], truth


def _with_reregistrations(form: VolumePlan, ledger: VolumePlan, rng: random.Random
                          ) -> tuple[VolumePlan, list[list[str]]]:
    """Replace ~10% of the form volume's entries by later re-registrations of ledger entries.

    Returns:
        The new form plan and the duplicate groups [ledger record id, form record id].
    """
    counts = [len(p) for p in form.pages]
    flat = [e for p in form.pages for e in p]
    sources = [(p, r) for p, page in enumerate(ledger.pages) for r in range(len(page))]
    k = min(max(1, len(flat) // 2), max(1, round(0.1 * len(sources))))
    origin: dict[int, str] = {}  # id(new entry) -> ledger record id
    for slot, (lp, lr) in zip(sorted(rng.sample(range(len(flat)), k)), rng.sample(sources, k)):
        new = people.reregistration(ledger.pages[lp][lr], form.design.register_type, rng,
                                    form.design.year, flat[slot]["entry_no"])
        flat[slot] = new
        origin[id(new)] = record_id(ledger.design.volume_id, lp + 1, lr + 1)
    ordered = sorted(flat, key=lambda e: e["registration_date"])
    pages = _in_register_order(flat, counts, form.design)
    groups = []
    for i, e in enumerate(ordered):
        if id(e) in origin:
            page = next(p for p in range(len(counts)) if i < sum(counts[:p + 1]))
            row = i - sum(counts[:page]) + 1
            groups.append([origin[id(e)], record_id(form.design.volume_id, page + 1, row)])
    return VolumePlan(form.design, form.seed, pages), groups


def generate(dest: Path, pages: int = 4, seed: int = 0, *, fmt: str = "pdf",
             types: tuple[str, ...] = REGISTER_TYPES, layouts: tuple[str, ...] = LAYOUTS,
             degrade: str = "moderate", dpi: int | None = None, duplicates: bool = True,
             headers: dict[str, str] | None = None) -> list[VolumeTruth]:
    """Write one volume per (register type, layout) with its truth under DEST/truth/.

    Args:
        dest: output folder (created).
        pages: pages per volume.
        seed: same seed, same output.
        fmt: pdf (default), tiff, png or jpeg.
        types, layouts: which volumes to write.
        degrade: none, light, moderate or heavy.
        dpi: force one scan resolution (None: each volume draws its own, 200–400).
        duplicates: let the form volume of a type re-register some ledger entries.
        headers: field -> unusual header wording printed in every volume (plan_volume).

    Returns:
        The truths of the volumes written, in order.

    Raises:
        ValueError: unknown format, register type, layout or degrade level.
    """
    if fmt not in FORMATS:
        raise ValueError(f"format must be one of {', '.join(FORMATS)}, got {fmt!r}")
    dest = Path(dest)
    truth_dir = dest / TRUTH_DIR
    truth_dir.mkdir(parents=True, exist_ok=True)
    truths: list[VolumeTruth] = []
    groups: list[list[str]] = []
    for rtype in types:
        ledger_plan = None
        for layout in layouts:
            year = None
            if layout == "form" and ledger_plan is not None:
                # A later book of the same office, re-registering some earlier events.
                year = min(2021, ledger_plan.design.year + _volume_rng(seed, rtype, "year").randint(5, 25))
            plan = plan_volume(rtype, layout, pages, seed, dpi=dpi, year=year, headers=headers)
            if layout == "form" and ledger_plan is not None and duplicates:
                plan, dup = _with_reregistrations(plan, ledger_plan, _volume_rng(seed, rtype, "dup"))
                groups += dup
            if layout == "ledger":
                ledger_plan = plan
            truths.append(_write(dest, plan, degrade, fmt))
    (truth_dir / DUPLICATES_FILE).write_text(json.dumps(groups, indent=1) + "\n", encoding="utf-8")
    return truths
