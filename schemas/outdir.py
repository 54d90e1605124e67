"""Where things live under an output folder OUT (one place, so every stage agrees).

    OUT/records/register_type=T/volume_id=V/records.parquet   records (CONTRACT.md)
    OUT/dedup/clusters.parquet, pairs.parquet                  dedup (CONTRACT.md)
    OUT/pages/V/0001.png                                       cleaned page image; record bboxes
                                                               and ALTO boxes refer to it
    OUT/pages/V/0001.json                                      page facts + recognised lines/words
    OUT/cache/                                                 per-page result cache (runner)
    OUT/runs/<run_id>.json                                     run manifests (runner)
    OUT/review/review.sqlite                                   corrections, audit, sign-off
    OUT/volumes/V/profile.yaml                                 the volume profile (docs/profile.md)
    OUT/volumes/V/recogniser.json                              its primary recogniser (runner)
"""
from __future__ import annotations

from pathlib import Path


def pages_dir(out: Path, volume_id: str) -> Path:
    return Path(out) / "pages" / volume_id


def page_image_path(out: Path, volume_id: str, page: int) -> Path:
    return pages_dir(out, volume_id) / f"{page:04d}.png"


def page_lines_path(out: Path, volume_id: str, page: int) -> Path:
    return pages_dir(out, volume_id) / f"{page:04d}.json"


def dedup_dir(out: Path) -> Path:
    return Path(out) / "dedup"


def cache_dir(out: Path) -> Path:
    return Path(out) / "cache"


def runs_dir(out: Path) -> Path:
    return Path(out) / "runs"


def review_db_path(out: Path) -> Path:
    return Path(out) / "review" / "review.sqlite"


def volume_profile_path(out: Path, volume_id: str) -> Path:
    """OUT/volumes/V/profile.yaml: what hotich decided for the volume (docs/profile.md)."""
    return Path(out) / "volumes" / volume_id / "profile.yaml"


def volume_recogniser_path(out: Path, volume_id: str) -> Path:
    """OUT/volumes/V/recogniser.json: the volume's primary recogniser and why
    (recognition.primary; pipeline/run/primary.py)."""
    return Path(out) / "volumes" / volume_id / "recogniser.json"
