"""The page title names the register ("SỔ ĐĂNG KÝ KHAI SINH"): read the lines of the title
region and match them against every register type's title vocabulary."""
from __future__ import annotations

from dataclasses import dataclass

from rapidfuzz import fuzz

from configs.loader import Config
from ocr.recognize import PageInk, TextLine, read_box
from ocr.vocab import fold

BBox = tuple[int, int, int, int]
MAX_TITLE_LINES = 6
# The best type must beat the runner-up by this much (ratio points): "KHAI SINH" and
# "KHAI TỬ" titles share most of their letters.
MARGIN = 4.0


@dataclass(frozen=True)
class Title:
    """The title as read: register type (None when unrecognised), its text, the lines read,
    the match score, and the time spent in Tesseract."""

    register_type: str | None
    text: str
    lines: tuple[TextLine, ...]
    score: float
    seconds: float


def window_ratio(text: str, variant: str) -> float:
    """Best ratio of `variant` against runs of as many words of `text` (a title may sit
    inside a longer line: "SỔ ĐĂNG KÝ KHAI SINH NĂM 1972"). Unlike partial_ratio this does not
    let the short "SỔ ĐĂNG KÝ TỬ" match most of "SỔ ĐĂNG KÝ KẾT HÔN"."""
    words = text.split()
    n = len(variant.split())
    if len(words) <= n:
        return fuzz.ratio(text, variant)
    return max(fuzz.ratio(" ".join(words[i:i + n]), variant) for i in range(len(words) - n + 1))


def classify_title(texts: list[str], cfg: Config) -> tuple[str | None, str, float]:
    """The register type named by one of `texts` (lines, and pairs of adjacent lines).

    Returns:
        (register type or None, the matching text, its score 0..100).
    """
    cands = list(texts) + [f"{a} {b}" for a, b in zip(texts, texts[1:])]
    best: dict[str, tuple[float, str]] = {}
    for t in cands:
        f = fold(t)
        if len(f) < 6:
            continue
        for rtype, reg in cfg.registers.items():
            for v in reg.titles:
                fv = fold(v)
                s = window_ratio(f, fv)
                if s > best.get(rtype, (0.0, ""))[0]:
                    best[rtype] = (s, t)
    if not best:
        return None, "", 0.0
    ranked = sorted(best.items(), key=lambda kv: -kv[1][0])
    rtype, (score, text) = ranked[0]
    runner = ranked[1][1][0] if len(ranked) > 1 else 0.0
    if score < cfg.title_match or score - runner < MARGIN:
        return None, text, score
    return rtype, text, score


def read_title(engine, page: PageInk, region: BBox, cfg: Config) -> Title:
    """Read up to MAX_TITLE_LINES lines of `region` and classify them."""
    cell = read_box(engine, page, region, max_lines=MAX_TITLE_LINES)
    lines = tuple(l for l in cell.lines if l.text)
    rtype, text, score = classify_title([l.text for l in lines], cfg)
    return Title(rtype, text, lines, score, cell.seconds)
