"""Expand INPUTs into volumes of PageTasks, and load one page image at a time.

An INPUT is a folder of page images (PNG/JPEG/TIFF, multi-page TIFF, natural file order), a
PDF, or a single image file. One INPUT is one volume (id: its name without extension) unless
`--volume` puts them all in one. Planning only counts pages (pdfinfo, TIFF frame headers);
pixels are loaded later, one page at a time, in the worker that processes the page.
"""
from __future__ import annotations

import errno
import hashlib
import os
import re
import stat
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps

from pipeline.ingest import pdf
from pipeline.ingest.pixels import MAX_PAGE_PIXELS, hotich_limit_only, limit_text
from schemas.errors import BadInputError
from schemas.profile import PROFILE_FILE
from schemas.pages import PageTask

IMAGE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".tif", ".tiff"})
_VOLUME_ID_BAD = re.compile(r"[/\\=\x00-\x1f]")


@dataclass(frozen=True)
class Volume:
    """One register volume as planned.

    Attributes:
        volume_id: partition value under OUT/records and OUT/pages.
        inputs: the INPUT paths it was built from, as given.
        tasks: its pages, numbered 1..N in order.
        notes: one-line warnings from planning (files and subfolders skipped in a folder).
        error: why the volume cannot be read at all (no page images, an unreadable folder,
            a symbolic link loop, a missing input); then it has no tasks, is reported like a
            bad page and the other volumes run.
    """

    volume_id: str
    inputs: tuple[str, ...]
    tasks: tuple[PageTask, ...]
    notes: tuple[str, ...] = ()
    error: str | None = None


def natural_key(name: str) -> list:
    """Sort key putting page2 before page10 (digit runs compare as numbers)."""
    return [int(t) if t.isdigit() else t.casefold() for t in re.split(r"(\d+)", name)]


def is_pdf(path: Path) -> bool:
    """A PDF by its suffix, or by its first bytes when the suffix says nothing."""
    path = Path(path)
    if path.suffix.lower() == ".pdf":
        return True
    if path.suffix.lower() in IMAGE_SUFFIXES:
        return False
    try:
        with open(path, "rb") as f:
            return f.read(5) == b"%PDF-"
    except OSError:
        return False


def _frame_count(path: Path) -> int:
    """TIFF frames (header reads only); 1 for other images, or when unreadable (the load of
    that page then reports why)."""
    if path.suffix.lower() not in (".tif", ".tiff"):
        return 1
    try:
        with Image.open(path) as im:
            return max(1, int(getattr(im, "n_frames", 1)))
    except Exception:  # any damage: one page that will fail with a reason when loaded
        return 1


def _file_pages(path: Path) -> list[tuple[str, int]]:
    """(source_file, index_in_file) for every page of one file, as given."""
    if is_pdf(path):
        try:
            n = pdf.page_count(path)
        except BadInputError:
            n = 1  # the page's load repeats the reason; the batch goes on
        return [(str(path), i) for i in range(n)]
    return [(str(path), i) for i in range(_frame_count(path))]


def check_volume_id(volume_id: str) -> str:
    """Raises BadInputError when `volume_id` cannot name a partition folder."""
    if not volume_id or volume_id.startswith(".") or _VOLUME_ID_BAD.search(volume_id):
        raise BadInputError(f"volume id {volume_id!r} cannot name a folder (no '/', '\\', '=', "
                            f"leading '.'); give one with --volume")
    return volume_id


def _unreadable(path: Path, e: OSError) -> BadInputError:
    if e.errno == errno.ELOOP:
        return BadInputError(f"symbolic link loop at {path}")
    if e.errno == errno.ENOENT:
        return BadInputError(f"{path}: does not exist")
    return BadInputError(f"{path}: cannot be read ({e.strerror or type(e).__name__})")


def _input_pages(path: Path) -> tuple[list[tuple[str, int]], list[str]]:
    """The pages of one INPUT, and notes on what in it was skipped.

    A folder's page images are its pages in natural name order; subfolders and other files
    are not read (each is named in a note: a subfolder is a volume of its own, given as its
    own INPUT).

    Raises:
        BadInputError: the input is missing, unreadable, a link loop, or holds no page image.
    """
    try:
        st = path.stat()  # follows links: a loop or a dangling link fails here
        entries = sorted(path.iterdir(), key=lambda p: natural_key(p.name)) \
            if stat.S_ISDIR(st.st_mode) else None
    except OSError as e:
        raise _unreadable(path, e) from None
    if entries is None:
        if not stat.S_ISREG(st.st_mode):
            raise BadInputError(f"{path}: not a file or folder")
        return _file_pages(path), []
    pages: list[tuple[str, int]] = []
    notes = []
    for f in entries:
        if f.name.startswith("."):
            continue
        is_dir, is_file = f.is_dir(), f.is_file()  # False, not an error, for a broken link
        if is_file and f.suffix.lower() in IMAGE_SUFFIXES:
            pages += _file_pages(f)
        elif is_file and f.name == PROFILE_FILE:
            continue  # the volume's profile (applied by the runner), not a page
        elif is_dir:
            notes.append(f"{f}: skipped (a subfolder: its pages are not part of this volume; "
                         f"give it as an INPUT of its own)")
        elif is_file:
            notes.append(f"{f}: skipped (not a page image: {f.suffix or 'no extension'})")
        else:
            notes.append(f"{f}: skipped (not a file or folder, or a broken link)")
    if not pages:
        raise BadInputError(f"no page images (PNG, JPEG, TIFF) in {path}")
    return pages, notes


def plan_volumes(inputs: list[Path], volume: str | None = None,
                 register_type: str | None = None) -> list[Volume]:
    """Expand INPUTs into volumes (cheap: counts pages, loads no pixels).

    Args:
        inputs: folders, PDFs or image files, as given on the command line.
        volume: one volume id for all inputs (pages numbered on across them), or None for
            one volume per input named after it.
        register_type: "birth" | "death" | "marriage", or None to read the page title.

    Returns:
        The volumes in input order; a volume whose input cannot be read has `error` set and
        no tasks (with --volume, one unreadable input makes the whole volume unread: its
        pages would otherwise be numbered differently once the input is fixed).

    Raises:
        BadInputError: two inputs would make the same volume id, or a volume id cannot name
            a folder (before any work: the operator must choose the ids).
    """
    groups: dict[str, list[Path]] = {}
    for p in inputs:
        p = Path(p)
        vid = volume if volume is not None else (_real_name(p) if p.is_dir() else p.stem)
        check_volume_id(vid)
        if volume is None and vid in groups:
            raise BadInputError(f"{p}: volume id {vid!r} is also the id of "
                                f"{groups[vid][0]}; rename one or run them separately")
        groups.setdefault(vid, []).append(p)
    volumes = []
    for vid, paths in groups.items():
        pages: list[tuple[str, int]] = []
        notes: list[str] = []
        try:
            for p in paths:
                pp, nn = _input_pages(p)
                pages += pp
                notes += nn
        except BadInputError as e:
            volumes.append(Volume(vid, tuple(str(p) for p in paths), (), tuple(notes), e.message))
            continue
        tasks = tuple(PageTask(volume_id=vid, source_file=src, page=i + 1, index_in_file=idx,
                               register_type=register_type)
                      for i, (src, idx) in enumerate(pages))
        volumes.append(Volume(vid, tuple(str(p) for p in paths), tasks, tuple(notes)))
    return volumes


def _real_name(folder: Path) -> str:
    """A folder's own name, through links ("." and "scans/" name the folder they are)."""
    return Path(os.path.realpath(folder)).name


def image_sha256(image: np.ndarray) -> str:
    """SHA-256 of decoded pixels with their shape and dtype: the cache key's first half.

    Raises:
        TypeError, ValueError: `image` is not an array (the page reader reports it).
    """
    a = np.ascontiguousarray(image)
    if a.dtype == object:
        raise TypeError(f"not an image array: {type(image).__name__}")
    h = hashlib.sha256(f"{a.shape}|{a.dtype}|".encode())
    h.update(memoryview(a).cast("B"))
    return h.hexdigest()


def _to_array(im: Image.Image) -> np.ndarray:
    """uint8 pixels: 2-D for grayscale/bilevel scans, H x W x 3 RGB otherwise."""
    if im.mode in ("I;16", "I;16B", "I;16L", "I;16N"):
        return (np.asarray(im, dtype=np.uint16) >> 8).astype(np.uint8)  # scale, don't clip
    if im.mode in ("L", "1", "LA", "I", "F") or (im.mode == "P" and _gray_palette(im)):
        return np.asarray(im.convert("L"), dtype=np.uint8)
    return np.asarray(im.convert("RGB"), dtype=np.uint8)


def _gray_palette(im: Image.Image) -> bool:
    pal = im.getpalette() or []
    return all(pal[i] == pal[i + 1] == pal[i + 2] for i in range(0, len(pal) - 2, 3))


def _load_image(path: Path, index: int, max_pixels: int) -> Scan:
    where = f"{path} page {index + 1}" if index else str(path)
    if path.stat().st_size == 0:
        raise BadInputError(f"{path}: empty file (0 bytes)")
    try:
        with hotich_limit_only():  # opening reads the header only; the size is checked below
            im = Image.open(path)
    except Exception as e:  # PIL raises UnidentifiedImageError, OSError, SyntaxError...
        raise BadInputError(f"{path}: not a readable image ({_first_line(e)})") from None
    with im:
        try:
            if index:
                im.seek(index)
        except (EOFError, ValueError, OSError) as e:
            raise BadInputError(f"{where}: TIFF page missing or unreadable ({_first_line(e)})") from None
        w, h = im.size
        if w * h > max_pixels:
            raise BadInputError(f"{where}: image too large ({w}x{h} = {w * h / 1e6:.3g} Mpx; "
                                f"{limit_text(max_pixels)})")
        try:
            with hotich_limit_only():  # TIFF pages and EXIF turns re-check PIL's limit
                im.load()
            res = _resolution(im)
            im = ImageOps.exif_transpose(im)  # phone photos and some scanners rotate by tag
            return Scan(_to_array(im), res)
        except Exception as e:  # truncated data, bad strips, unsupported compression
            raise BadInputError(f"{where}: unreadable image data ({_first_line(e)})") from None


def _first_line(e: BaseException) -> str:
    text = str(e).strip().splitlines()
    return (text[0] if text else type(e).__name__)[:160]


@dataclass(frozen=True)
class Scan:
    """A page as loaded: its pixels and, when the file says, its resolution (dots per inch,
    what makes an export print at the paper's size)."""

    pixels: np.ndarray
    dpi: float | None = None


def _resolution(im: Image.Image) -> float | None:
    dpi = im.info.get("dpi")
    try:
        x = float(dpi[0]) if dpi else 0.0
    except (TypeError, ValueError, IndexError):
        return None
    return x if 50.0 <= x <= 4800.0 else None  # 1 or 72 "dpi" is a default, not a scan's


def load_scan(task: PageTask, dpi: int, max_pixels: int = MAX_PAGE_PIXELS) -> Scan:
    """Load one page: a PDF page rendered at `dpi` (or at its scan's own resolution; one page,
    memory stays flat), or an image / TIFF frame with its EXIF orientation applied.

    Returns:
        Scan: uint8 pixels, H x W (grayscale) or H x W x 3 (RGB), and the resolution.

    Raises:
        BadInputError: one line naming the file and page and what is wrong.
        MissingDependencyError: poppler-utils missing (for PDFs).
    """
    path = Path(task.source_file)
    if not path.is_file():
        raise BadInputError(f"{path}: file is gone")
    if is_pdf(path):
        im = pdf.render_page(path, task.index_in_file + 1, dpi, max_pixels)
        return Scan(_to_array(im), _resolution(im))
    return _load_image(path, task.index_in_file, max_pixels)


def load_page(task: PageTask, dpi: int, max_pixels: int = MAX_PAGE_PIXELS) -> np.ndarray:
    """The pixels of load_scan."""
    return load_scan(task, dpi, max_pixels).pixels


def blank_reason(image: np.ndarray) -> str | None:
    """Why the page is blank (a uniform image: no pixel far from the paper tone), or None.

    Only near-empty images count: a page with a single printed word is not blank. Pages with
    borders or noise but no text are left to the page reader, which reports no layout.
    """
    sample = image[::2, ::2]
    gray = sample if sample.ndim == 2 else sample.mean(axis=2)
    paper = float(np.median(gray))
    ink = int(np.count_nonzero(np.abs(gray - paper) > 64))
    if ink < 64:
        return f"blank page (uniform image, {ink} ink pixels)"
    return None
