"""The volume profile (docs/profile.md): which profile a volume's pages are read with, and
what the run decided for the volume, by agreement across its pages.

    volume_profiles(volumes, given)      -> the profile for each volume (or None)
    decide_profile(volume_id, layouts)   -> VolumeProfile by majority of the pages read
    write_volume_profile(out, plan, ...) -> OUT/volumes/<ID>/profile.yaml
"""
from __future__ import annotations

import dataclasses
import statistics
from collections import Counter
from pathlib import Path

from pipeline.ingest.inputs import Volume
from pipeline.store import cache
from schemas.errors import ConfigError
from schemas.layout import PageLayout
from schemas.outdir import volume_profile_path
from schemas.profile import PROFILE_FILE, ProfileColumn, VolumeProfile, load_profile, write_profile


def volume_profiles(volumes: list[Volume], given: Path | None,
                    register_type: str | None) -> dict[str, VolumeProfile]:
    """The profile each volume is read with: `given` (--profile) for every volume, else a
    profile.yaml in the volume's input folder. Bad files raise before any work.

    Raises:
        ConfigError: a profile cannot be read or is invalid, or it names another register
            type than --type.
    """
    shared = load_profile(given) if given is not None else None
    out: dict[str, VolumeProfile] = {}
    for vol in volumes:
        p = shared
        if p is None:
            found = [Path(i) / PROFILE_FILE for i in vol.inputs if (Path(i) / PROFILE_FILE).is_file()]
            p = load_profile(found[0]) if found else None
        if p is None:
            continue
        if register_type is not None and register_type != p.register_type:
            raise ConfigError(f"{p.source}: the profile says register type {p.register_type}, "
                              f"--type says {register_type}")
        out[vol.volume_id] = p
    return out


def with_profile(vol: Volume, p: VolumeProfile | None) -> Volume:
    if p is None:
        return vol
    return dataclasses.replace(vol, tasks=tuple(dataclasses.replace(t, profile=p) for t in vol.tasks))


def _majority(values):
    """The most common value (ties: the first seen)."""
    return Counter(values).most_common(1)[0][0] if values else None


def decide_profile(volume_id: str, layouts: list[tuple[int, PageLayout]]) -> VolumeProfile | None:
    """The volume's profile by majority over the pages whose layout was read; every page
    that disagrees with the majority is listed in `disagreements`. None when no page was
    laid out."""
    read = [(n, l) for n, l in layouts if l.kind and l.register_type]
    if not read:
        return None
    dis: list[str] = []
    rtype = _majority([l.register_type for _, l in read])
    kind = _majority([l.kind for _, l in read])
    for n, l in read:
        if (l.register_type, l.kind) != (rtype, kind):
            dis.append(f"page {n}: {l.register_type} {l.kind} (the volume: {rtype} {kind})")
    same = [(n, l) for n, l in read if (l.register_type, l.kind) == (rtype, kind)]
    if kind == "form":
        labels: dict[str, Counter] = {}
        for _, l in same:
            for lab in l.labels:
                labels.setdefault(lab.field, Counter())[lab.text] += 1
        pairs = tuple((c.most_common(1)[0][0], f) for f, c in labels.items())
        return VolumeProfile(rtype, "form", labels=pairs, volume_id=volume_id, pages_read=len(read),
                             disagreements=tuple(dis))
    ncols = _majority([len(l.columns) for _, l in same])
    for n, l in same:
        if len(l.columns) != ncols:
            dis.append(f"page {n}: {len(l.columns)} columns (the volume: {ncols})")
    grid = [(n, l) for n, l in same if len(l.columns) == ncols]
    columns = []
    for i in range(ncols):
        fields = [l.columns[i].field for _, l in grid]
        f = _majority(fields)
        for (n, l), g in zip(grid, fields):
            if g != f:
                dis.append(f"page {n}: column {i + 1} {l.columns[i].header!r} read as {g} "
                           f"(the volume: {f})")
        header = _majority([" ".join(t for t in (l.columns[i].group, l.columns[i].header) if t)
                            for _, l in grid if l.columns[i].field == f])
        rel = [l.relative_columns()[i] for _, l in grid]
        columns.append(ProfileColumn(f, header or "", round(statistics.median(r[0] for r in rel), 4),
                                     round(statistics.median(r[1] for r in rel), 4)))
    header_rows = _majority([l.header_bands for _, l in grid])
    number_row = _majority([l.number_row is not None for _, l in grid])
    for n, l in grid:
        if l.header_bands != header_rows:
            dis.append(f"page {n}: {l.header_bands} header rows (the volume: {header_rows})")
    return VolumeProfile(rtype, "ledger", tuple(columns), header_rows=max(1, header_rows),
                         number_row=bool(number_row), volume_id=volume_id, pages_read=len(read),
                         disagreements=tuple(dis))


def write_volume_profile(out: Path, plan: dict, applied: VolumeProfile | None) -> Path | None:
    """Write OUT/volumes/<ID>/profile.yaml from the volume's page slots: the profile applied
    (with the pages it did not fit listed), else the one its pages agree on.

    Returns:
        The file written, or None when no page of the volume was laid out.
    """
    vid = plan["volume_id"]
    layouts: list[tuple[int, PageLayout]] = []
    misfits: list[str] = []
    for entry in plan["pages"]:
        slot = cache.read_slot(out, vid, entry["page"])
        if not slot:
            continue
        if slot.get("layout_info"):
            layouts.append((entry["page"], PageLayout.from_dict(slot["layout_info"])))
        misfits += [f"page {entry['page']}: {e['reason']}" for e in slot.get("errors") or ()
                    if e.get("stage") == "profile"]
    if applied is not None:
        prof = dataclasses.replace(applied, volume_id=vid, disagreements=tuple(misfits),
                                   pages_read=len(layouts) - len(misfits))
    else:
        prof = decide_profile(vid, layouts)
    if prof is None:
        return None
    path = volume_profile_path(out, vid)
    write_profile(path, prof)
    return path
