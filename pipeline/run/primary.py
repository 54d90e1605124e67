"""The primary recogniser of each volume (`recognition.primary`, README "Primary recogniser
per volume"): Tesseract, the second recogniser (ocr/aster.py), or `auto`: the volume's first
pages are read with both, and the one the error model (pipeline/extract/perr.py) expects
fewer wrong fields from reads the volume. No truth is used: only each read field's F_perr.

    page_probe(page, result)             -> PageProbe of one probe read (pure)
    choose_primary(probes)               -> (primary, reason, scores) (pure)
    read_choice(out, vid) / write_choice -> OUT/volumes/<ID>/recogniser.json

The choice is written once and reused by every later run of the volume (no second probe, the
page cache keys stay the same); `hotich run --force` probes again, and an operator may edit
its `primary` to overrule it.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from pipeline.evaluate import field_flagged
from schemas.atomic import read_json, write_json_atomic
from schemas.fields import all_fields
from schemas.outdir import volume_recogniser_path
from schemas.pages import PageResult

TESSERACT, ASTER = "tesseract", "aster"
PRIMARIES = (TESSERACT, ASTER)
# Pages read with both recognisers (the first ones of the volume; a blank or unreadable one
# among them only leaves fewer to compare).
PROBE_PAGES = 2
# Tesseract is ~3x faster a page and the error model was fitted on its reads: the second
# recogniser is chosen only when its mean F_perr is clearly lower, by both margins. 0.5 is
# the value first set on the development pages (bench/README.md "Second recogniser"). It
# was moved to 0.65 to switch a heavy Roboto Condensed book (ratio 0.61) that a scoring bug
# showed as misread by Tesseract. Re-scored, Tesseract read that book better (95.5% against
# 93.4%), so the move is undone. Pages the second recogniser reads better came out at
# 0.27-0.37x.
RELATIVE_MARGIN = 0.5  # at most this share of Tesseract's mean F_perr...
ABSOLUTE_MARGIN = 0.01  # ...and at least this much lower (a point of expected error)
MIN_FIELDS = 20         # read fields needed on the compared pages to decide on F_perr
# A mean over read fields does not see rows left unread: the second recogniser must find at
# least this share of Tesseract's records (not all: Tesseract's extra one can be a split row).
RECORDS_KEPT = 0.9


@dataclass(frozen=True)
class PageProbe:
    """One probe page as read by one primary: what the pipeline knows without truth.

    Attributes:
        page: page number in the volume.
        read: the page gave records (not blank, no layout failure).
        records: records read.
        fields: read fields (a raw reading) with an F_perr.
        perr_sum: the sum of their F_perr (expected wrong fields).
        flagged: those of them flagged for review.
        seconds: the page's wall time in the worker.
    """

    page: int
    read: bool
    records: int = 0
    fields: int = 0
    perr_sum: float = 0.0
    flagged: int = 0
    seconds: float = 0.0


@dataclass(frozen=True)
class ProbeScore:
    """One primary's score over the compared pages."""

    primary: str
    pages: tuple[int, ...]
    records: int
    fields: int
    mean_perr: float | None
    flagged_share: float | None
    seconds: float

    def as_dict(self) -> dict:
        return {"primary": self.primary, "pages": list(self.pages), "records": self.records,
                "fields": self.fields,
                "mean_perr": None if self.mean_perr is None else round(self.mean_perr, 5),
                "flagged_share": None if self.flagged_share is None else round(self.flagged_share, 4),
                "seconds": round(self.seconds, 3)}


@dataclass(frozen=True)
class PrimaryChoice:
    """What a volume is read with, and why (OUT/volumes/<ID>/recogniser.json).

    Attributes:
        volume_id: the volume.
        mode: recognition.primary when it was decided ("auto", "tesseract", "aster").
        primary: "tesseract" or "aster".
        reason: one line for the operator.
        probed: pages read with both (auto only).
        scores: each primary's ProbeScore as a dict (auto only).
        run_id, decided_at: the run that decided it.
        recorded: reused from an earlier run's file.
    """

    volume_id: str
    mode: str
    primary: str
    reason: str
    probed: tuple[int, ...] = ()
    scores: tuple[dict, ...] = ()
    run_id: str = ""
    decided_at: str = ""
    recorded: bool = field(default=False, compare=False)

    def as_dict(self) -> dict:
        return {"volume_id": self.volume_id, "mode": self.mode, "primary": self.primary,
                "reason": self.reason, "probed_pages": list(self.probed),
                "scores": [dict(s) for s in self.scores], "run_id": self.run_id,
                "decided_at": self.decided_at}


def key_of(primary: str) -> str:
    """The page cache key's `primary` ("" for Tesseract: keys from before the option)."""
    return "" if primary == TESSERACT else primary


def page_probe(page: int, result: PageResult | None, seconds: float = 0.0) -> PageProbe:
    """A probe read reduced to its evidence: every read field's F_perr and flag."""
    if result is None or result.blank or result.errors or not result.records:
        return PageProbe(page, False, seconds=seconds)
    fields = all_fields(result.register_type) if result.register_type else ()
    n, total, flagged = 0, 0.0, 0
    for rec in result.records:
        for f in fields:
            p = rec.get(f + "_perr")
            if rec.get(f + "_raw") and p is not None:
                n += 1
                total += float(p)
                flagged += field_flagged(rec, f)
    return PageProbe(page, True, len(result.records), n, total, flagged, seconds)


def _score(primary: str, probes: list[PageProbe]) -> ProbeScore:
    n = sum(p.fields for p in probes)
    return ProbeScore(primary, tuple(p.page for p in probes), sum(p.records for p in probes), n,
                      sum(p.perr_sum for p in probes) / n if n else None,
                      sum(p.flagged for p in probes) / n if n else None,
                      sum(p.seconds for p in probes))


def choose_primary(probes: dict[str, list[PageProbe]]) -> tuple[str, str, tuple[ProbeScore, ...]]:
    """Tesseract or the second recogniser, from the probe reads of both (pure).

    Pages are compared where both read records. The second recogniser is chosen when it read
    pages Tesseract could not lay out at all, or, on the pages both read, it found nearly as
    many records (RECORDS_KEPT) and its mean F_perr over the read fields is below
    Tesseract's by both margins (RELATIVE_MARGIN, ABSOLUTE_MARGIN) with at least MIN_FIELDS
    fields; else Tesseract.

    Returns:
        (primary, reason, the two scores over the compared pages).
    """
    tess = {p.page: p for p in probes.get(TESSERACT, ()) if p.read}
    aster = {p.page: p for p in probes.get(ASTER, ()) if p.read}
    both = sorted(set(tess) & set(aster))
    scores = (_score(TESSERACT, [tess[n] for n in both]), _score(ASTER, [aster[n] for n in both]))
    if not both:
        if aster and not tess:
            scores = (_score(TESSERACT, []), _score(ASTER, list(aster.values())))
            return ASTER, (f"Tesseract read no probe page, the second recogniser read "
                           f"{len(aster)}"), scores
        return TESSERACT, "no probe page read by both recognisers", scores
    t, a = scores
    if t.mean_perr is None or a.mean_perr is None or min(t.fields, a.fields) < MIN_FIELDS:
        return TESSERACT, f"too few fields read on the probe pages ({min(t.fields, a.fields)})", scores
    versus = (f"mean F_perr {a.mean_perr:.4f} (second recogniser) against {t.mean_perr:.4f} "
              f"(Tesseract) on pages {', '.join(map(str, both))}")
    if a.records < RECORDS_KEPT * t.records:
        return TESSERACT, f"the second recogniser read fewer records ({a.records} < {t.records}); {versus}", scores
    if a.mean_perr <= RELATIVE_MARGIN * t.mean_perr and t.mean_perr - a.mean_perr >= ABSOLUTE_MARGIN:
        return ASTER, versus, scores
    return TESSERACT, f"the second recogniser not clearly better: {versus}", scores


def read_choice(out: Path, volume_id: str) -> PrimaryChoice | None:
    """The choice recorded for the volume, or None (no file, or not a valid one)."""
    d = read_json(volume_recogniser_path(out, volume_id))
    if not isinstance(d, dict) or d.get("primary") not in PRIMARIES:
        return None
    return PrimaryChoice(volume_id, str(d.get("mode") or "auto"), d["primary"], str(d.get("reason") or ""),
                         tuple(int(p) for p in d.get("probed_pages") or ()),
                         tuple(s for s in d.get("scores") or () if isinstance(s, dict)),
                         str(d.get("run_id") or ""), str(d.get("decided_at") or ""), recorded=True)


def write_choice(out: Path, choice: PrimaryChoice) -> Path:
    """OUT/volumes/<ID>/recogniser.json (atomic)."""
    path = volume_recogniser_path(out, choice.volume_id)
    write_json_atomic(path, choice.as_dict())
    return path
