"""The second recogniser: AsterOCR's CTC line model (PyPI asterocr 1.0.2, MIT), run with
onnxruntime from the model file inside the installed wheel.

Nothing of asterocr's Python is imported or run: its top-level package imports its
high-level engine, which falls back to a Hugging Face download when the bundled model is
missing, and the wheel also carries training code and a remote-notebook bridge with a tunnel
module. We only find its two data files through the installed distribution's metadata
(importlib.metadata reads the dist-info; it does not import the package), check their SHA-256
against the audited release, and do the preprocessing and greedy CTC decoding here (the same
as asterocr/pipeline.py's ONNX path: RGB, height 32, width a multiple of 4, (x-0.5)/0.5).
"""
from __future__ import annotations

import json
import time
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from ocr.tesseract import LineRead
from schemas.content_hash import file_sha256
from schemas.errors import MissingDependencyError

DIST = "asterocr"
VERSION = "1.0.2"
# SHA-256 of the audited release's files (also in its wheel's RECORD): a different model is
# refused, not silently used.
MODEL_FILE, MODEL_SHA256 = "asterocr/assets/asternet.onnx", \
    "10c96b533e1f64031d73edfddafd7d4b13595544f11891f0531bcd72cb29be80"
VOCAB_FILE, VOCAB_SHA256 = "asterocr/assets/vocab.json", \
    "82c6df018ceca8c10876947e0f7df798ed321825276ed7f3bb12ae3ed6dc647b"
INSTALL_ADVICE = f"install it with `make install` (pip: {DIST}=={VERSION}, onnxruntime, pinned in constraints.txt)"
HEIGHT = 32  # the network's input height


@lru_cache(maxsize=1)
def model_files() -> tuple[Path, Path]:
    """(model, vocabulary) paths of the installed, audited release.

    Raises:
        MissingDependencyError: the package is absent, another version, or a file differs.
    """
    from importlib.metadata import PackageNotFoundError, distribution

    try:
        dist = distribution(DIST)
    except PackageNotFoundError:
        raise MissingDependencyError(f"the second recogniser's model ({DIST}) is not installed; "
                                     f"{INSTALL_ADVICE}") from None
    if dist.version != VERSION:
        raise MissingDependencyError(f"{DIST} {dist.version} is installed, hotich audited {VERSION}; "
                                     f"{INSTALL_ADVICE}")
    out = []
    for rel, want in ((MODEL_FILE, MODEL_SHA256), (VOCAB_FILE, VOCAB_SHA256)):
        path = Path(dist.locate_file(rel))
        if not path.is_file():
            raise MissingDependencyError(f"{path}: missing from {DIST} {VERSION}; {INSTALL_ADVICE}")
        got = file_sha256(path)
        if got != want:
            raise MissingDependencyError(f"{path}: SHA-256 {got[:16]}... is not the audited "
                                         f"{want[:16]}...; reinstall: {INSTALL_ADVICE}")
        out.append(path)
    return out[0], out[1]


@dataclass(frozen=True)
class AsterInfo:
    version: str
    onnxruntime: str
    model_sha256: str


def check_aster() -> AsterInfo:
    """Confirm onnxruntime imports and the audited model is installed (for run manifests)."""
    model_files()
    try:
        import onnxruntime as ort
    except ImportError as e:
        raise MissingDependencyError(f"onnxruntime is not importable ({e}); {INSTALL_ADVICE}") from e
    return AsterInfo(VERSION, ort.__version__, MODEL_SHA256)


class AsterClock:
    """Seconds and calls inside the second recogniser in this process (benchmarks read it)."""

    seconds: float = 0.0
    calls: int = 0


CLOCK = AsterClock()


class AsterEngine:
    """One onnxruntime session on one thread (one per worker process: we parallelise over
    pages, and onnxruntime's own pool would only oversubscribe the cores)."""

    def __init__(self) -> None:
        model, vocab = model_files()
        try:
            import onnxruntime as ort
        except ImportError as e:
            raise MissingDependencyError(f"onnxruntime is not importable ({e}); {INSTALL_ADVICE}") from e
        so = ort.SessionOptions()
        so.intra_op_num_threads = 1
        so.inter_op_num_threads = 1
        so.log_severity_level = 3
        self.session = ort.InferenceSession(str(model), so, providers=["CPUExecutionProvider"])
        self.input = self.session.get_inputs()[0].name
        self.chars: list[str] = json.loads(vocab.read_text(encoding="utf-8"))["chars"]
        if self.chars[0] != "<blank>":
            raise MissingDependencyError(f"{vocab}: index 0 is not the CTC blank")

    def read_line(self, img: np.ndarray, **_) -> LineRead:
        """Recognise one text line image (uint8 gray). Words carry boxes in the image's
        pixels from the CTC frames they were emitted on, and 0..100 confidences (the lowest
        character probability of the word); the line's conf is the lowest of all. A line
        wider than the network takes is read in pieces cut at blank columns; a failed read
        gives LineRead("", 0.0, ()) (one unreadable line must not lose the page)."""
        a = np.asarray(img, dtype=np.uint8)
        if a.ndim != 2 or a.shape[0] < 4 or a.shape[1] < 4:
            return LineRead("", 0.0, ())
        import cv2

        t0 = time.perf_counter()
        h, w = a.shape
        tw = max(32, int(w * HEIGHT / h))
        x = cv2.resize(a, (tw, HEIGHT), interpolation=cv2.INTER_LINEAR)
        words = []
        try:
            for x0, x1 in _pieces(x):
                piece = x[:, x0:x1]
                pw = (piece.shape[1] + 3) // 4 * 4
                if pw != piece.shape[1]:
                    piece = cv2.copyMakeBorder(piece, 0, 0, 0, pw - piece.shape[1], cv2.BORDER_REPLICATE)
                f = (piece.astype(np.float32) / 255.0 - 0.5) / 0.5
                batch = np.ascontiguousarray(np.broadcast_to(f, (1, 3, HEIGHT, pw)))
                logp = self.session.run(None, {self.input: batch})[0][:, 0, :]  # (time, classes)
                scale = w / tw
                words += [(t, c, (int((x0 + b[0]) * scale), 0, int((x0 + b[2]) * scale), h))
                          for t, c, b in decode(logp, self.chars, pw, HEIGHT)]
        except Exception:  # onnxruntime's own errors: this line is unread, the page goes on
            words = []
        seconds = time.perf_counter() - t0
        CLOCK.seconds += seconds
        CLOCK.calls += 1
        if not words:
            return LineRead("", 0.0, (), seconds)
        text = " ".join(t for t, _, _ in words)
        return LineRead(text, min(c for _, c, _ in words) / 100.0, tuple(words), seconds)


# The network's positional encoding covers 256 frames, 4 pixels each at height 32.
MAX_WIDTH = 1000


def _pieces(x: np.ndarray) -> list[tuple[int, int]]:
    """Column ranges of at most MAX_WIDTH pixels covering the line, cut in the middle of the
    widest run of blank columns before each limit (a hard cut when there is none)."""
    w = x.shape[1]
    blank = (x < 128).sum(axis=0) == 0
    out, start = [], 0
    while w - start > MAX_WIDTH:
        end = start + MAX_WIDTH
        cut, best, run = end, 0, 0
        for c in range(start + MAX_WIDTH // 2, end):
            run = run + 1 if blank[c] else 0
            if run > best:
                best, cut = run, c - run // 2
        out.append((start, cut))
        start = cut
    out.append((start, w))
    return out


def decode(logp: np.ndarray, chars: list[str], width: int, height: int
           ) -> list[tuple[str, float, tuple[int, int, int, int]]]:
    """Greedy CTC: the best class per frame, repeats collapsed, blanks dropped; split into
    words at spaces. Returns (text, conf 0..100, (x0, 0, x1, height)) per word."""
    best = logp.argmax(axis=1)
    prob = np.exp(logp[np.arange(len(best)), best])
    step = width / max(len(best), 1)
    words, cur, confs, x0, x1, prev = [], [], [], 0, 0, -1
    for t, (k, p) in enumerate(zip(best.tolist(), prob.tolist())):
        if k != prev and k != 0:
            ch = chars[k] if k < len(chars) else ""
            if ch == " ":
                if cur:
                    words.append(("".join(cur), 100.0 * min(confs), (x0, 0, int(t * step), height)))
                cur, confs = [], []
            elif ch:
                if not cur:
                    x0 = int(t * step)
                cur.append(ch)
                confs.append(p)
            x1 = int((t + 1) * step)
        prev = k
    if cur:
        words.append(("".join(cur), 100.0 * min(confs), (x0, 0, x1, height)))
    return words


def make_engine() -> AsterEngine:
    """A fresh engine."""
    return AsterEngine()


@lru_cache(maxsize=1)
def shared_engine() -> AsterEngine:
    """This process's engine, made on first use: a worker makes it only when its config asks
    for second reads, and once (a session holds the 43 MB model)."""
    return AsterEngine()
