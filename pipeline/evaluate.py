"""Score records against the sample generator's ground truth (`hotich eval OUT --truth DIR`).

Per register type, layout and field: field accuracy (normalised value == truth value), CER of
the raw OCR text against the printed cell text, flagged rate, and the silent-error rate (wrong
and not flagged: the errors an archivist never sees). Per volume: entries found, missed and
spurious.

Counting rules (so the numbers can be read honestly):
- a field counts when the truth has a value or the record has one (a column the book lacks,
  read as empty, is not a success to count);
- a field is flagged by any flag naming it (`reason:field`) or by an entry-level bare flag;
- records are matched to truth entries by (volume, page, row), falling back to vertical
  overlap of the entry boxes when rows shift (the record box is on the deskewed page);
- field figures are over matched entries; missed entries are counted separately.
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path

from rapidfuzz.distance import Levenshtein

from samples.truth import EntryTruth, VolumeTruth
from schemas.errors import BadInputError
from schemas.fields import REGISTER_TYPES, all_fields
from schemas.parquet_io import read_records

TRUTH_DIR = "truth"


@dataclass
class FieldScore:
    """Counts for one field (or a total). Rates are derived, see `as_dict`."""

    n: int = 0
    correct: int = 0
    flagged: int = 0
    silent: int = 0
    wrong_flagged: int = 0
    cer_edits: int = 0
    cer_chars: int = 0

    def add(self, other: "FieldScore") -> None:
        for k in ("n", "correct", "flagged", "silent", "wrong_flagged", "cer_edits", "cer_chars"):
            setattr(self, k, getattr(self, k) + getattr(other, k))

    def as_dict(self) -> dict:
        n = max(self.n, 1)
        return {"n": self.n, "accuracy": round(self.correct / n, 4),
                "cer": round(self.cer_edits / max(self.cer_chars, 1), 4),
                "flagged_rate": round(self.flagged / n, 4), "silent_error_rate": round(self.silent / n, 4),
                "wrong": self.n - self.correct, "wrong_flagged": self.wrong_flagged, "silent": self.silent}


@dataclass
class EntryCount:
    truth: int = 0
    found: int = 0
    spurious: int = 0

    def as_dict(self) -> dict:
        return {"truth": self.truth, "found": self.found, "missed": self.truth - self.found,
                "spurious": self.spurious, "found_rate": round(self.found / max(self.truth, 1), 4)}


@dataclass
class Report:
    """Scores per (register_type, layout) -> field, and entry counts per volume."""

    fields: dict[tuple[str, str], dict[str, FieldScore]] = field(default_factory=dict)
    entries: dict[str, EntryCount] = field(default_factory=dict)
    layouts: dict[str, tuple[str, str]] = field(default_factory=dict)
    silent_examples: list[dict] = field(default_factory=list)
    flagged_examples: list[dict] = field(default_factory=list)
    # (F_perr, wrong, flagged) of every counted field whose record has F_perr
    perr: list[tuple[float, bool, bool]] = field(default_factory=list)

    def total(self, key: tuple[str, str] | None = None) -> FieldScore:
        t = FieldScore()
        for k, per in self.fields.items():
            if key is None or k == key or (key[1] == "*" and k[0] == key[0]):
                for s in per.values():
                    t.add(s)
        return t

    def as_dict(self) -> dict:
        groups = {}
        for (rtype, layout), per in sorted(self.fields.items()):
            groups[f"{rtype}/{layout}"] = {
                "total": self.total((rtype, layout)).as_dict(),
                "fields": {f: s.as_dict() for f, s in per.items()}}
        entries = EntryCount()
        for c in self.entries.values():
            entries.truth += c.truth
            entries.found += c.found
            entries.spurious += c.spurious
        return {"overall": self.total().as_dict(),
                "by_type": {t: self.total((t, "*")).as_dict() for t in REGISTER_TYPES
                            if any(k[0] == t for k in self.fields)},
                "groups": groups,
                "entries": {"total": entries.as_dict(),
                            "volumes": {v: c.as_dict() for v, c in sorted(self.entries.items())}},
                "calibration": calibration(self.perr),
                "silent_examples": self.silent_examples[:50],
                "flagged_examples": self.flagged_examples[:200]}


# Reliability bins of F_perr: narrow where most fields are (near 0), so a bin's observed
# error is measured where the silent errors come from.
PERR_BINS = (0.0, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.4, 0.7, 1.0000001)


def wilson(k: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """95% Wilson interval of a proportion k/n."""
    if n == 0:
        return 0.0, 1.0
    p = k / n
    d = 1 + z * z / n
    c = (p + z * z / (2 * n)) / d
    h = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / d
    return max(0.0, c - h), min(1.0, c + h)


def calibration(perr: list[tuple[float, bool, bool]]) -> dict | None:
    """Reliability table (predicted vs observed error per PERR_BINS bin, with a 95% Wilson
    interval), expected calibration error (the n-weighted mean |observed - predicted|), and
    the risk-coverage curve: flagging every field with F_perr >= t, the share flagged
    against the share wrong and not flagged, for a sweep of t. None without F_perr."""
    if not perr:
        return None
    n = len(perr)
    bins, ece = [], 0.0
    for lo, hi in zip(PERR_BINS, PERR_BINS[1:]):
        inb = [(p, w) for p, w, _ in perr if lo <= p < hi]
        if not inb:
            continue
        k = sum(w for _, w in inb)
        pred, obs = sum(p for p, _ in inb) / len(inb), k / len(inb)
        ci = wilson(k, len(inb))
        ece += len(inb) / n * abs(obs - pred)
        bins.append({"lo": lo, "hi": min(hi, 1.0), "n": len(inb), "wrong": k, "predicted": round(pred, 4),
                     "observed": round(obs, 4), "ci": [round(ci[0], 4), round(ci[1], 4)],
                     "within_ci": ci[0] <= pred <= ci[1]})
    ranked = sorted(perr, key=lambda x: -x[0])
    wrong_total = sum(w for _, w, _ in perr)
    curve, caught, seen = [{"threshold": 1.0, "flagged": 0.0, "silent": round(wrong_total / n, 5)}], 0, 0
    for i, (p, w, _) in enumerate(ranked, 1):
        caught += w
        if i == n or ranked[i][0] < p:  # one point per distinct threshold
            seen = i
            curve.append({"threshold": round(p, 5), "flagged": round(seen / n, 5),
                          "silent": round((wrong_total - caught) / n, 5)})
    if len(curve) > 60:  # a readable curve: the points nearest 60 flagged shares
        keep = {min(range(len(curve)), key=lambda j: abs(curve[j]["flagged"] - q / 59)) for q in range(60)}
        curve = [c for j, c in enumerate(curve) if j in keep]
    flagged = sum(f for _, _, f in perr)
    return {"n": n, "ece": round(ece, 4), "bins": bins, "risk_coverage": curve,
            "operating_point": {"flagged": round(flagged / n, 5),
                                "silent": round(sum(w and not f for _, w, f in perr) / n, 5),
                                "predicted_silent": round(sum(p for p, _, f in perr if not f) / n, 5)}}


def format_calibration(cal: dict | None) -> str:
    """The reliability table, ECE and a few points of the risk-coverage curve as text."""
    if not cal:
        return "calibration: no F_perr in these records"
    lines = [f"calibration of F_perr over {cal['n']} fields: ECE {100 * cal['ece']:.2f} points",
             f"{'bin':>13} {'n':>6} {'predicted':>9} {'observed':>9} {'95% CI':>17}"]
    for b in cal["bins"]:
        lines.append(f"{b['lo']:6.3f}-{b['hi']:<6.3f} {b['n']:6d} {b['predicted']:9.2%} {b['observed']:9.2%} "
                     f"{b['ci'][0]:8.2%}-{b['ci'][1]:<8.2%}{'' if b['within_ci'] else ' outside'}")
    op = cal["operating_point"]
    lines.append(f"flags as set: {op['flagged']:.2%} of fields flagged, silent {op['silent']:.2%} "
                 f"(predicted {op['predicted_silent']:.2%})")
    lines.append("risk-coverage (flag F_perr >= t): " + ", ".join(
        f"{c['flagged']:.1%}->{c['silent']:.2%}" for c in cal["risk_coverage"][::6]))
    return "\n".join(lines)


def truth_files(truth: Path) -> list[Path]:
    """The volume truth files under TRUTH (or TRUTH/truth/)."""
    truth = Path(truth)
    base = truth / TRUTH_DIR if (truth / TRUTH_DIR).is_dir() else truth
    files = sorted(p for p in base.glob("*.json") if p.name != "duplicates.json")
    if not files:
        raise BadInputError(f"{truth}: no truth files (*.json) found")
    return files


def load_records(out: Path) -> dict[str, list[dict]]:
    """All records under OUT/records, grouped by volume id."""
    by_vol: dict[str, list[dict]] = {}
    for rtype in REGISTER_TYPES:
        for r in read_records(Path(out), rtype).to_pylist():
            by_vol.setdefault(r["volume_id"], []).append(r)
    return by_vol


def field_flagged(rec: dict, f: str) -> bool:
    """Whether the record's flags put field f under review (its own reason, or a bare
    entry-level one, which concerns every field)."""
    return any(fl.endswith(":" + f) or ":" not in fl for fl in rec.get("flags") or [])


def _yoverlap(a, b) -> float:
    inter = min(a[3], b[3]) - max(a[1], b[1])
    union = max(a[3], b[3]) - min(a[1], b[1])
    return max(inter, 0) / max(union, 1)


def _closeness(rec, truth) -> float:
    """1 when the two boxes' vertical centres coincide, 0 at a record's height apart. A
    skewed page's truth box is the axis-aligned envelope of the rotated row, up to twice the
    row's height and overlapping its neighbours; its centre stays on the row."""
    h = max(rec[3] - rec[1], 1)
    return max(0.0, 1.0 - abs((rec[1] + rec[3]) - (truth[1] + truth[3])) / (2.0 * h))


def match_page(records: list[dict], truth: list[EntryTruth]) -> list[tuple[dict, EntryTruth]]:
    """Pair one page's records with its truth entries by where they are on the page (box
    centres, then overlap), the row number only breaking ties: a spurious row above (a
    column-number row read as an entry) renumbers every later record, and must not make
    their right values count as wrong. Never by content."""
    pairs = []
    for r in records:
        box = r.get("bbox") or (0, 0, 0, 0)
        for t in truth:
            ov = _yoverlap(box, t.bbox)
            near = _closeness(box, t.bbox) if r.get("bbox") else 0.0
            same_row = r["row"] == t.row
            if near > 0.5 or ov > 0.3 or (same_row and not r.get("bbox")):
                pairs.append((near + 0.5 * ov + (0.1 if same_row else 0.0), r, t))
    pairs.sort(key=lambda p: -p[0])
    used_r, used_t, out = set(), set(), []
    for _, r, t in pairs:
        if id(r) in used_r or id(t) in used_t:
            continue
        used_r.add(id(r))
        used_t.add(id(t))
        out.append((r, t))
    return out


def counts(want, got) -> bool:
    """Does a field count (the truth has a value or the record has one)?"""
    return not (want is None and got is None)


def matched_pages(vt: VolumeTruth, records: list[dict]):
    """Per truth page: (the page's records, its (record, truth entry) pairs)."""
    by_page: dict[int, list[dict]] = {}
    for r in records:
        by_page.setdefault(int(r["page"]), []).append(r)
    for page in vt.pages:
        recs = by_page.get(page.page, [])
        yield recs, match_page(recs, list(page.entries))


def score_volume(report: Report, vt: VolumeTruth, records: list[dict]) -> None:
    """Add one volume's scores to `report`."""
    key = (vt.register_type, vt.layout)
    per = report.fields.setdefault(key, {f: FieldScore() for f in all_fields(vt.register_type)})
    count = report.entries.setdefault(vt.volume_id, EntryCount())
    report.layouts[vt.volume_id] = key
    by_page: dict[int, list[dict]] = {}
    for r in records:
        by_page.setdefault(int(r["page"]), []).append(r)
    truth_pages = {p.page for p in vt.pages}
    for page in vt.pages:
        recs = by_page.get(page.page, [])
        matched = match_page(recs, list(page.entries))
        count.truth += len(page.entries)
        count.found += len(matched)
        count.spurious += len(recs) - len(matched)
        for rec, te in matched:
            for f in all_fields(vt.register_type):
                want, got = te.fields.get(f), rec.get(f)
                if not counts(want, got):
                    continue
                s = per[f]
                s.n += 1
                ok = want == got
                flagged = field_flagged(rec, f)
                if rec.get(f + "_perr") is not None:
                    report.perr.append((float(rec[f + "_perr"]), not ok, flagged))
                s.correct += ok
                s.flagged += flagged
                if not ok:
                    if flagged:
                        s.wrong_flagged += 1
                        report.flagged_examples.append({
                            "record_id": rec["record_id"], "field": f, "value": got, "truth": want,
                            "raw": rec.get(f + "_raw"), "printed": te.cells.get(f),
                            "flags": [x for x in rec.get("flags") or [] if x.endswith(":" + f) or ":" not in x]})
                    else:
                        s.silent += 1
                        report.silent_examples.append({
                            "record_id": rec["record_id"], "field": f, "value": got, "truth": want,
                            "raw": rec.get(f + "_raw"), "printed": te.cells.get(f)})
                printed, raw = te.cells.get(f) or "", rec.get(f + "_raw") or ""
                if printed or raw:
                    s.cer_edits += Levenshtein.distance(raw, printed)
                    s.cer_chars += len(printed)
    # records on pages the truth does not know are spurious too
    for p, recs in by_page.items():
        if p not in truth_pages:
            count.spurious += len(recs)


def evaluate(out: Path, truth: Path) -> Report:
    """Score every truth volume against OUT's records (a volume with no records scores its
    entries as missed).

    Raises:
        BadInputError: no truth files, or a truth file is not valid.
    """
    records = load_records(out)
    report = Report()
    for path in truth_files(truth):
        try:
            vt = VolumeTruth.load(path)
        except (ValueError, KeyError, TypeError) as e:
            raise BadInputError(f"{path}: not a volume truth file ({e})") from None
        score_volume(report, vt, records.get(vt.volume_id, []))
    return report


def format_report(report: Report) -> str:
    """A plain-text table: per group and field, then totals and entries."""
    d = report.as_dict()
    head = f"{'group/field':34} {'n':>5} {'acc':>7} {'cer':>7} {'flag':>7} {'silent':>7}"
    lines = [head, "-" * len(head)]

    def row(name, s):
        lines.append(f"{name:34} {s['n']:5d} {s['accuracy']:7.2%} {s['cer']:7.2%} "
                     f"{s['flagged_rate']:7.2%} {s['silent_error_rate']:7.2%}")

    for g, gd in d["groups"].items():
        row(g, gd["total"])
        for f, s in gd["fields"].items():
            if s["n"]:
                row("  " + f, s)
    lines.append("-" * len(head))
    for t, s in d["by_type"].items():
        row(t, s)
    row("ALL", d["overall"])
    e = d["entries"]["total"]
    lines.append(f"entries: {e['found']}/{e['truth']} found ({e['found_rate']:.2%}), "
                 f"{e['missed']} missed, {e['spurious']} spurious")
    if d.get("calibration"):
        lines.append(format_calibration(d["calibration"]))
    return "\n".join(lines)


def run_eval(out: Path, truth: Path, json_path: Path | None = None) -> tuple[str, Path]:
    """`hotich eval`: score, write JSON (default OUT/eval.json), return (table, json path)."""
    report = evaluate(out, truth)
    json_path = Path(json_path) if json_path else Path(out) / "eval.json"
    json_path.parent.mkdir(parents=True, exist_ok=True)
    tmp = json_path.with_name("." + json_path.name + ".tmp")
    tmp.write_text(json.dumps(report.as_dict(), ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    tmp.replace(json_path)
    return format_report(report), json_path
