"""The per-page work unit, run in a worker process (local pool or dask worker).

`run_unit` loads one page, hashes its pixels, and calls the page reader with this process's
OCR engine. It never raises for a bad page: every failure becomes a PageError in the
returned PageResult, so one page cannot stop the batch.
"""
from __future__ import annotations

import ctypes
import dataclasses
import importlib
import os
import signal
import socket
import sys
import threading
import time
from dataclasses import dataclass
from typing import Callable

from configs.loader import Config
from pipeline.ingest.inputs import blank_reason, image_sha256, load_scan
from pipeline.ingest.pixels import MAX_PAGE_PIXELS
from pipeline.store.pngdpi import png_with_dpi
from schemas.errors import HotichError
from schemas.pages import PageOutcome, PageResult, PageTask
from schemas.records import PageError

DEFAULT_PAGE_FN = "pipeline.extract.page:process_page"
DEFAULT_ENGINE_FACTORY = "ocr.tesseract:make_engine"


@dataclass(frozen=True)
class WorkUnit:
    """One page to process, with everything a worker needs (picklable).

    Attributes:
        task: the page.
        dpi: PDF render resolution.
        cfg: the validated config.
        unchanged_if: image hash of a good cached result with the same settings; when the
            loaded pixels hash to it, recognition is skipped (outcome.unchanged).
        max_pixels: pages above this are refused (decompression-bomb guard).
        page_fn: "module:function" of the page reader (process_page), or a picklable callable.
        engine_factory: "module:function" making one OCR engine, a callable, or None for none.
    """

    task: PageTask
    dpi: int
    cfg: Config
    unchanged_if: str | None = None
    max_pixels: int = MAX_PAGE_PIXELS
    page_fn: str | Callable = DEFAULT_PAGE_FN
    engine_factory: str | Callable | None = DEFAULT_ENGINE_FACTORY


def resolve(ref: str | Callable | None) -> Callable | None:
    """A "module:function" reference (or a callable, or None) as a callable."""
    if ref is None or callable(ref):
        return ref
    module, _, name = ref.partition(":")
    return getattr(importlib.import_module(module), name)


_local = threading.local()  # one engine per thread: tesserocr engines are not thread-safe


def get_engine(factory: str | Callable | None):
    """This thread's OCR engine, made on first use (once per worker process in practice).

    A factory failure is remembered and re-raised for every later page, not retried."""
    if factory is None:
        return None
    engines = _local.__dict__.setdefault("engines", {})
    if factory not in engines:
        try:
            engines[factory] = resolve(factory)()
        except Exception as e:  # reported per page by run_unit
            engines[factory] = e
    engine = engines[factory]
    if isinstance(engine, Exception):
        raise engine
    return engine


_single = False


def single_threaded() -> None:
    """One thread per worker process for the native libraries (we parallelise over pages:
    N workers on N cores; library thread pools on top only oversubscribe the cores).
    OMP_THREAD_LIMIT caps Tesseract's OpenMP; OpenCV has its own pool."""
    global _single
    if _single:
        return
    os.environ["OMP_THREAD_LIMIT"] = "1"
    try:
        import cv2
        cv2.setNumThreads(1)
    except ImportError:  # pragma: no cover - a pinned dependency
        pass
    _single = True


def _die_with_parent(parent_pid: int) -> None:
    """Linux: get SIGKILL when the parent run dies, so a worker stuck in a hung page does not
    outlive a killed run (an idle worker exits anyway when its task pipe closes)."""
    if sys.platform.startswith("linux"):
        try:
            ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # 1 = PR_SET_PDEATHSIG
        except (OSError, AttributeError):
            pass
    if os.getppid() != parent_pid:  # the parent died before prctl took effect
        os._exit(1)


def init_worker(engine_factory: str | Callable | None, parent_pid: int) -> None:
    """Local-pool initializer: ignore Ctrl-C (the parent stops the pool), die with the parent,
    one OpenMP thread (we parallelise over pages), and make the engine now rather than
    inside page 1's time."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _die_with_parent(parent_pid)
    single_threaded()
    try:
        get_engine(engine_factory)
    except Exception:
        pass  # remembered; each page reports it


def _failed(task: PageTask, stage: str, reason: str, sha: str = "") -> PageResult:
    err = PageError(source_file=task.source_file, page=task.page, stage=stage, reason=reason)
    return PageResult(task=task, image_sha256=sha, register_type=task.register_type,
                      layout=None, errors=(err,))


def _without_where(message: str, source_file: str) -> str:
    """The reason alone: PageError carries file and page, so drop a leading "FILE[ page N]: "."""
    if message.startswith(source_file):
        rest = message[len(source_file):]
        if rest.startswith(" page "):
            rest = rest.split(":", 1)[-1] if ":" in rest else rest
        return rest.lstrip(": ").strip() or message
    return message


def _one_line(e: BaseException) -> str:
    text = str(e).strip().splitlines()
    return f"{type(e).__name__}: {text[0][:200]}" if text else type(e).__name__


def run_unit(unit: WorkUnit) -> PageOutcome:
    """Load, hash and read one page. Never raises for a bad page.

    Returns:
        PageOutcome; failures are PageErrors in outcome.result.errors with stage "load",
        "engine" or "page"; a blank leaf is outcome.result.blank (no error).
    """
    single_threaded()  # dask workers have no initializer
    task = unit.task
    t0 = time.perf_counter()
    who = f"{socket.gethostname()}:{os.getpid()}"

    def done(result: PageResult | None, sha: str | None, unchanged: bool = False) -> PageOutcome:
        return PageOutcome(task, sha, unchanged, result, time.perf_counter() - t0, who)

    try:
        scan = load_scan(task, unit.dpi, unit.max_pixels)
        image = scan.pixels
    except HotichError as e:
        return done(_failed(task, "load", _without_where(e.message, task.source_file)), None)
    except Exception as e:  # anything the image libraries throw that we did not foresee
        return done(_failed(task, "load", _one_line(e)), None)
    t_load = time.perf_counter() - t0
    sha = image_sha256(image)
    if unit.unchanged_if is not None and sha == unit.unchanged_if:
        return done(None, sha, unchanged=True)
    blank = blank_reason(image)
    if blank:  # a blank leaf is a page of the book, not a failure
        return done(PageResult(task=task, image_sha256=sha, register_type=task.register_type,
                               layout=None, blank=blank, timings={"load": round(t_load, 4)}), sha)
    try:
        engine = get_engine(unit.engine_factory)
    except Exception as e:
        return done(_failed(task, "engine", f"OCR engine unavailable: {_one_line(e)}", sha), sha)
    try:
        result = resolve(unit.page_fn)(task, image, unit.cfg, engine)
        if not isinstance(result, PageResult):
            raise TypeError(f"page reader returned {type(result).__name__}, not PageResult")
    except Exception as e:  # process_page should not raise; if it does, only this page fails
        return done(_failed(task, "page", _one_line(e), sha), sha)
    del image
    timings = {"load": round(t_load, 4), **(result.timings or {})}
    if scan.dpi and result.cleaned_png:
        result = dataclasses.replace(result, cleaned_png=png_with_dpi(result.cleaned_png, scan.dpi))
    # The runner's hash and task are the cache's truth, whatever the reader filled in.
    return done(dataclasses.replace(result, task=task, image_sha256=sha, timings=timings), sha)
