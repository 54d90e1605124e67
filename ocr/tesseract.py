"""The one place that talks to Tesseract: engine factory, availability checks, cell reads.

tesserocr runs Tesseract in-process (~5 ms a line, against ~159 ms for a pytesseract
subprocess). Its PyPI wheel bundles libtesseract but no language data, so we point it at
Debian's tessdata (tesseract-ocr-vie).
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from schemas.errors import MissingDependencyError
from schemas.evidence import Glyph, ReadEvidence

# Tesseract's OpenMP threads are 2-9x slower on a 2-vCPU machine; we parallelise over pages.
os.environ.setdefault("OMP_THREAD_LIMIT", "1")

TESSDATA_CANDIDATES = (
    os.environ.get("TESSDATA_PREFIX", ""),
    "/usr/share/tesseract-ocr/5/tessdata",
    "/usr/share/tesseract-ocr/4.00/tessdata",
    "/usr/share/tessdata",
)
INSTALL_ADVICE = ("install it with: sudo apt-get install tesseract-ocr tesseract-ocr-vie "
                  "(or run `make install`)")


@dataclass(frozen=True)
class TesseractInfo:
    """What was found: the library version and the tessdata folder holding `vie`."""

    version: str
    tessdata: str
    languages: tuple[str, ...]


def find_tessdata(lang: str = "vie") -> str | None:
    """The first tessdata folder that holds `<lang>.traineddata`, or None."""
    for cand in TESSDATA_CANDIDATES:
        if cand and (Path(cand) / f"{lang}.traineddata").is_file():
            return str(Path(cand))
    return None


@lru_cache(maxsize=1)
def check_tesseract(lang: str = "vie") -> TesseractInfo:
    """Confirm tesserocr imports and the language model is installed.

    Raises:
        MissingDependencyError: with the Debian package to install.
    """
    try:
        import tesserocr
    except ImportError as e:  # pragma: no cover - the venv always has it
        raise MissingDependencyError(f"tesserocr is not importable ({e}); run `make install`") from e
    tessdata = find_tessdata(lang)
    if tessdata is None:
        pkg = f"tesseract-ocr-{lang}"
        raise MissingDependencyError(
            f"Tesseract language model '{lang}' not found (looked in "
            f"{', '.join(c for c in TESSDATA_CANDIDATES if c)}); install it with: "
            f"sudo apt-get install {pkg}")
    langs = tuple(sorted(p.stem for p in Path(tessdata).glob("*.traineddata")))
    return TesseractInfo(version=tesserocr.tesseract_version().split()[1], tessdata=tessdata,
                         languages=langs)


def make_engine(lang: str = "vie", psm: str = "SINGLE_LINE"):
    """A fresh PyTessBaseAPI (one per worker process; it is not thread-safe)."""
    import tesserocr

    info = check_tesseract(lang)
    return tesserocr.PyTessBaseAPI(path=info.tessdata + "/", lang=lang,
                                   psm=getattr(tesserocr.PSM, psm),
                                   oem=tesserocr.OEM.LSTM_ONLY)


class TesseractClock:
    """Seconds and calls spent inside Tesseract in this process (benchmarks read it)."""

    seconds: float = 0.0
    calls: int = 0


CLOCK = TesseractClock()


@dataclass(frozen=True)
class LineRead:
    """One text line as Tesseract read it.

    Attributes:
        text: the line's text (single spaces, stripped).
        conf: 0..1, the lowest word confidence (one bad word makes the line doubtful).
        words: (text, conf 0..100, (x0, y0, x1, y1) in the given image's pixels) per word.
        seconds: time spent inside Tesseract.
        evidence: per glyph, the alternatives the LSTM weighed (read_line(choices=True)),
            else None.
    """

    text: str
    conf: float
    words: tuple[tuple[str, float, tuple[int, int, int, int]], ...]
    seconds: float = 0.0
    evidence: ReadEvidence | None = None


# lstm_choice_mode 2: the symbol ChoiceIterator gives the alternatives of the CTC beam per glyph.
CHOICE_MODE = "2"


def glyph_evidence(engine) -> ReadEvidence | None:
    """The glyphs of the engine's last Recognize() with their alternatives, word by word
    (the engine must have had lstm_choice_mode set before it); None when nothing was read."""
    import tesserocr

    it = engine.GetIterator()
    if it is None:
        return None
    sym = tesserocr.RIL.SYMBOL
    words: list[list[Glyph]] = []
    for s in tesserocr.iterate_level(it, sym):
        try:
            text = s.GetUTF8Text(sym)
        except RuntimeError:  # an empty read: "No text returned"
            continue
        if not text or not text.strip():
            continue
        choices = tuple((c.GetUTF8Text(), max(0.0, min(c.Confidence() / 100.0, 1.0)))
                        for c in s.GetChoiceIterator())
        g = Glyph(text.strip(), tuple(x for x in choices if x[0]), max(0.0, min(s.Confidence(sym) / 100.0, 1.0)))
        if s.IsAtBeginningOf(tesserocr.RIL.WORD) or not words:
            words.append([])
        words[-1].append(g)
    return ReadEvidence(tuple(tuple(w) for w in words)) if words else None


def read_line(engine, img, *, dpi: int = 300, with_boxes: bool = True, choices: bool = False) -> LineRead:
    """Recognise one text line image (uint8 gray, C-contiguous) with the engine's page
    segmentation mode (SINGLE_LINE from make_engine). With `choices`, the LineRead carries
    the glyph alternatives (glyph_evidence) for the name repair to weigh.

    A blank or failed read gives LineRead("", 0.0, ()) rather than raising: one unreadable
    cell must not lose the page.
    """
    import time

    import numpy as np
    import tesserocr

    a = np.ascontiguousarray(img, dtype=np.uint8)
    if a.ndim != 2 or a.shape[0] < 4 or a.shape[1] < 4:
        return LineRead("", 0.0, ())
    t0 = time.perf_counter()
    try:
        engine.SetImageBytes(a.tobytes(), a.shape[1], a.shape[0], 1, a.shape[1])
        engine.SetSourceResolution(dpi)
        evidence = None
        if choices:
            engine.SetVariable("lstm_choice_mode", CHOICE_MODE)
            try:
                engine.Recognize()
                evidence = glyph_evidence(engine)
            finally:
                engine.SetVariable("lstm_choice_mode", "0")
        else:
            engine.Recognize()
        words = []
        it = engine.GetIterator()
        level = tesserocr.RIL.WORD
        if it is not None:
            for w in tesserocr.iterate_level(it, level):
                text = w.GetUTF8Text(level)
                if not text or not text.strip():
                    continue
                box = w.BoundingBox(level) if with_boxes else (0, 0, 0, 0)
                words.append((text.strip(), float(w.Confidence(level)), tuple(box or (0, 0, 0, 0))))
    except RuntimeError:
        CLOCK.seconds += time.perf_counter() - t0
        CLOCK.calls += 1
        return LineRead("", 0.0, (), time.perf_counter() - t0)
    seconds = time.perf_counter() - t0
    CLOCK.seconds += seconds
    CLOCK.calls += 1
    if not words:
        return LineRead("", 0.0, (), seconds)
    text = " ".join(w[0] for w in words)
    conf = min(w[1] for w in words) / 100.0
    return LineRead(text, max(0.0, min(conf, 1.0)), tuple(words), seconds, evidence)


@lru_cache(maxsize=1)
def _osd_engine():
    """Tesseract's orientation detector (osd.traineddata, tesseract-ocr-osd), one a process."""
    import tesserocr

    info = check_tesseract("osd")
    return tesserocr.PyTessBaseAPI(path=info.tessdata + "/", lang="osd", psm=tesserocr.PSM.OSD_ONLY)


def detect_orientation(gray) -> tuple[int, float] | None:
    """Tesseract's reading of a whole page's orientation: (degrees the text is turned
    clockwise, 0/90/180/270; confidence, ~2 and above is clear), or None when it finds too
    little text. About 0.3 s for a 300-dpi page: a second opinion, not a routine step.

    Raises:
        MissingDependencyError: no osd.traineddata.
    """
    import time

    import numpy as np
    from PIL import Image

    t0 = time.perf_counter()
    api = _osd_engine()
    try:
        api.SetImage(Image.fromarray(np.ascontiguousarray(gray, dtype=np.uint8)))
        r = api.DetectOrientationScript()
    except RuntimeError:
        r = None
    finally:
        CLOCK.seconds += time.perf_counter() - t0
        CLOCK.calls += 1
    if not r:
        return None
    return int(r["orient_deg"]), float(r["orient_conf"])

