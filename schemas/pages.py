"""What the page reader hands the batch runner, and what the runner hands the page reader.

PageOutcome is what a worker returns for one page; the page store (pipeline/store) writes it.

The split: pipeline/run/runner.py (batches, cache, workers, writing) calls
pipeline/extract/page.py:process_page(task, image, cfg, engine) -> PageResult for every page.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from schemas.profile import VolumeProfile
from schemas.records import PageError


@dataclass(frozen=True)
class PageTask:
    """One page of one volume, as the runner knows it before reading it.

    Attributes:
        volume_id: the volume (one INPUT unless --volume says otherwise).
        source_file: the input file path as given (a PDF, TIFF, or one image of a folder).
        page: 1-based position of the page in the volume.
        index_in_file: 0-based page index inside source_file (PDF/TIFF page; 0 for images).
        register_type: "birth" | "death" | "marriage", or None for auto (read the title).
        profile: the volume profile to apply (`hotich run --profile`), None to read the
            layout of every page afresh.
    """

    volume_id: str
    source_file: str
    page: int
    index_in_file: int = 0
    register_type: str | None = None
    profile: VolumeProfile | None = None


@dataclass(frozen=True)
class PageResult:
    """Everything one page produced.

    Attributes:
        task: the page it is for.
        image_sha256: hash of the page image as loaded (the cache key's first half).
        register_type: the type read from the title (or given), None when unknown.
        layout: "ledger" | "form" | None when unrecognised.
        records: rows ready for schemas/parquet_io.write_volume (record columns, no
            partition columns), top to bottom.
        cleaned_png: the cleaned (deskewed) page image, PNG-encoded, that bboxes refer to.
        lines: recognised text lines with word boxes, for ALTO export:
            [{"bbox": [x0,y0,x1,y1], "words": [{"text", "conf", "bbox"}], "field": str|None,
              "row": int|None}].
        errors: why the page (or part of it) failed; non-empty means the page is reported.
        timings: seconds per stage ("load", "cleanup", "layout", "ocr", "extract").
        blank: why the page holds no entries without having failed (a blank leaf: no ink);
            its status is "blank": not an error, not retried on a rerun.
        layout_info: the detected layout (schemas.layout.PageLayout.as_dict()), None when
            the page was not laid out.
    """

    task: PageTask
    image_sha256: str
    register_type: str | None
    layout: str | None
    records: tuple[dict, ...] = ()
    cleaned_png: bytes | None = None
    lines: tuple[dict, ...] = ()
    errors: tuple[PageError, ...] = ()
    timings: dict = field(default_factory=dict)
    blank: str | None = None
    layout_info: dict | None = None


@dataclass(frozen=True)
class PageOutcome:
    """What came back for one unit.

    Attributes:
        task: the page.
        image_sha256: hash of the loaded pixels (None when the page could not be loaded).
        unchanged: pixels equal `unchanged_if`: reuse the cached result, nothing recognised.
        result: the page reader's result (with load errors folded in); None when unchanged.
        seconds: wall time spent in the worker.
        worker: "host:pid" that ran it, for the manifest.
    """

    task: PageTask
    image_sha256: str | None
    unchanged: bool
    result: PageResult | None
    seconds: float
    worker: str

    @property
    def errors(self) -> tuple[PageError, ...]:
        return self.result.errors if self.result is not None else ()
