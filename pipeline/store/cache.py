"""The per-page result cache under OUT/cache: one JSON file per (volume, page), plus the
volume's plan. This is what makes reruns cheap and crashes harmless.

    OUT/cache/volumes/<volume_id>/plan.json   the volume's pages as last planned (+ keys)
    OUT/cache/volumes/<volume_id>/0001.json   page 1's result: key, status, records, errors

A page result is valid for a plan entry when its key matches: the source key (hash of the
file's bytes, the page's index in it and the render dpi: it stands for the image hash,
which the slot also records), the config hash, the pipeline version, the --type option, the profile and the
volume's primary recogniser.
Each file is written atomically, and the page's result file is written LAST (after its
cleaned image and lines), so it is the commit marker: after a crash a page either has a
complete valid result or is redone.
"""
from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass
from pathlib import Path

from schemas.atomic import read_json, write_json_atomic
from schemas.outdir import cache_dir

SLOT_FORMAT = 1


@dataclass(frozen=True)
class PageKey:
    """What a cached page result must match to be reused.

    Attributes:
        source_key: sha256 of (file sha256, index in file, dpi for PDFs).
        config_hash: Config.hash.
        pipeline_version: the hotich version that made it.
        type_option: the --type given ("auto" when read from the title).
        profile: sha256 of the volume profile applied ("" when none): a page read under
            another profile (or none) is read again.
        primary: the volume's primary recogniser when it is not Tesseract ("aster"), ""
            for Tesseract (so the keys of a run without recognition.primary are unchanged):
            a page read with another primary is read again.
    """

    source_key: str
    config_hash: str
    pipeline_version: str
    type_option: str
    profile: str = ""
    primary: str = ""

    def same_settings(self, other: "PageKey") -> bool:
        """Same config, version, type option, profile and primary (the image may differ)."""
        return (self.config_hash, self.pipeline_version, self.type_option, self.profile,
                self.primary) == (other.config_hash, other.pipeline_version, other.type_option,
                                  other.profile, other.primary)


DONE = ("ok", "blank")  # slot statuses of a finished page; "failed" is retried


def source_key(file_sha: str, index_in_file: int, dpi: int | None) -> str:
    """Key of one page's pixels known before loading them (dpi only matters for PDFs)."""
    return hashlib.sha256(f"{file_sha}|{index_in_file}|{dpi or 0}".encode()).hexdigest()


def volume_cache_dir(out: Path, volume_id: str) -> Path:
    return cache_dir(out) / "volumes" / volume_id


def plan_path(out: Path, volume_id: str) -> Path:
    return volume_cache_dir(out, volume_id) / "plan.json"


def slot_path(out: Path, volume_id: str, page: int) -> Path:
    return volume_cache_dir(out, volume_id) / f"{page:04d}.json"


def cached_volume_ids(out: Path) -> list[str]:
    """Volumes that have a plan under OUT/cache (every volume hotich has started)."""
    base = cache_dir(out) / "volumes"
    if not base.is_dir():
        return []
    return sorted(p.parent.name for p in base.glob("*/plan.json"))


def read_plan(out: Path, volume_id: str) -> dict | None:
    return read_json(plan_path(out, volume_id))


def write_plan(out: Path, volume_id: str, plan: dict) -> None:
    write_json_atomic(plan_path(out, volume_id), plan)


def read_slot(out: Path, volume_id: str, page: int) -> dict | None:
    slot = read_json(slot_path(out, volume_id, page))
    return slot if isinstance(slot, dict) and slot.get("format") == SLOT_FORMAT else None


def write_slot(out: Path, volume_id: str, page: int, slot: dict) -> None:
    write_json_atomic(slot_path(out, volume_id, page), {**slot, "format": SLOT_FORMAT})


def slot_key(slot: dict | None) -> PageKey | None:
    """The key a slot was made under, or None for a missing or foreign slot."""
    try:
        return PageKey(**slot["key"]) if slot else None
    except (KeyError, TypeError):
        return None


def is_current(slot: dict | None, key: PageKey) -> bool:
    """The slot was made for exactly this page image and settings (ok or failed)."""
    return slot_key(slot) == key


def is_done(slot: dict | None, key: PageKey) -> bool:
    """Reusable: current and finished without errors (a blank leaf is finished too)."""
    return is_current(slot, key) and slot.get("status") in DONE


def unchanged_hint(slot: dict | None, key: PageKey) -> str | None:
    """The image hash of a good result made with the same settings but a different source
    key (the file was rewritten, e.g. a PDF with one page replaced): a worker that loads
    the page and finds the same pixels can skip recognition. None when not applicable."""
    old = slot_key(slot)
    if old is None or slot.get("status") not in DONE or not old.same_settings(key):
        return None
    return slot.get("image_sha256")


def key_dict(key: PageKey) -> dict:
    return asdict(key)
