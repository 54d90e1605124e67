"""The layout view beside each volume in the review page: the first laid-out page's detected
layout (drawn from the run's page slot and cleaned image: no OCR), and the volume profile's
column fields, which an archivist may correct and save (OUT/volumes/<ID>/profile.yaml).
"""
from __future__ import annotations

import dataclasses
from pathlib import Path

import cv2

from pipeline.extract.layoutview import draw_layout
from pipeline.review.images import ImageRefused, safe_page_path
from pipeline.store import cache
from schemas.errors import ConfigError
from schemas.layout import PageLayout
from schemas.outdir import volume_profile_path
from schemas.profile import VolumeProfile, dump_profile, load_profile, parse_profile, write_profile

THUMB_WIDTH = 240


def page_layout(out: Path, volume_id: str, page: int | None = None) -> tuple[int, PageLayout] | None:
    """(page, its layout): page `page`, else the volume's first page that was laid out."""
    plan = cache.read_plan(out, volume_id)
    if not plan:
        return None
    for entry in plan.get("pages") or ():
        n = entry["page"]
        if page is not None and n != page:
            continue
        slot = cache.read_slot(out, volume_id, n)
        if slot and slot.get("layout_info"):
            return n, PageLayout.from_dict(slot["layout_info"])
    return None


def layout_png(out: Path, volume_id: str, page: int, width: int | None = None) -> bytes | None:
    """The layout picture of one page (a thumbnail `width` pixels wide), None when the page
    has no cleaned image or no layout."""
    found = page_layout(out, volume_id, page)
    path = safe_page_path(out, volume_id, page)
    if found is None or not path.is_file():
        return None
    gray = cv2.imread(str(path), cv2.IMREAD_GRAYSCALE)
    if gray is None:
        raise ImageRefused(f"{path}: not a readable image")
    img = draw_layout(gray, found[1])
    if width:
        img = cv2.resize(img, (width, max(1, round(img.shape[0] * width / img.shape[1]))),
                         interpolation=cv2.INTER_AREA)
    ok, buf = cv2.imencode(".png", img, [cv2.IMWRITE_PNG_COMPRESSION, 3])
    return buf.tobytes() if ok else None


def volume_profile(out: Path, volume_id: str) -> VolumeProfile | None:
    """The volume's profile as the last run wrote it (or as last saved here); None when
    there is none or it does not load (its error shows on the command line's next run)."""
    path = volume_profile_path(out, volume_id)
    if not path.is_file():
        return None
    try:
        return load_profile(path)
    except ConfigError:
        return None


def set_column_fields(p: VolumeProfile, fields: dict[int, str | None]
                      ) -> tuple[VolumeProfile, list[tuple[int, str | None, str | None]]]:
    """The profile with columns' fields changed (column index -> field, None: ignored), and
    what changed: (1-based column, old field, new field).

    Raises:
        ConfigError: a field given to two columns, or not a field of the register type.
    """
    cols = list(p.columns)
    changes = []
    for i, f in sorted(fields.items()):
        if not 0 <= i < len(cols):
            raise ConfigError(f"column {i + 1}: the profile has {len(cols)} columns")
        if cols[i].field != f:
            changes.append((i + 1, cols[i].field, f))
            cols[i] = dataclasses.replace(cols[i], field=f)
    taken = [c.field for c in cols if c.field]
    dup = sorted({f for f in taken if taken.count(f) > 1})
    if dup:
        raise ConfigError(f"field {dup[0]} is given to two columns")
    return dataclasses.replace(p, columns=tuple(cols)), changes


def save_profile(out: Path, volume_id: str, p: VolumeProfile) -> Path:
    """Write the profile (atomically) after checking it loads as `hotich run --profile` would.

    Raises:
        ConfigError: the edited profile is not valid (e.g. a field of another register type).
    """
    path = volume_profile_path(out, volume_id)
    parse_profile(dump_profile(p), str(path))
    write_profile(path, p)
    return path
