"""The probability that a field's value is wrong (`F_perr`), and the flags it decides.

    page_evidence(rows, register_type) -> per record, per field: FieldEvidence   (pure)
    ErrorModel.load() -> the fitted model shipped in configs/perr_model.json
    apply_model(rows, register_type, model, target) -> rows with F_perr, flags, hints, needs_review

The model (fitted by `python -m bench.calibrate fit`, on development pages with truth only)
is a logistic regression over the evidence below, calibrated by isotonic regression; it is
stored as plain numbers (JSON) so workers evaluate it with numpy alone.

Flags from a target, not a threshold by hand: the model file keeps the predicted errors of its
development fields; `threshold(target)` is the largest t for which the expected share of
wrong-and-unflagged fields there (mean of perr over fields with perr < t) stays <= target.
A field with perr >= t is flagged (its rule reasons, or `likely_wrong:F` when it has none);
a rule flag on a field below t becomes a hint (the `hints` column: shown, not forcing
review), except the HARD reasons below, which always force review: they mean nothing
trustworthy was read, and junk must never pass as a confident value.
"""
from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
from rapidfuzz.distance import Levenshtein

from configs.loader import PERR_MODEL
from normalize.syllables import is_valid
from schemas.fields import all_fields, field_kind

MODEL_PATH = PERR_MODEL
DEFAULT_SILENT_TARGET = 0.003
LIKELY_WRONG = "likely_wrong"

# Reasons that force review whatever the model says: no value could be read (or junk was
# refused), the entry's columns or type are in doubt.
HARD_REASONS = frozenset({"invalid_characters", "unreadable", "unreadable_name", "unreadable_place",
                          "unreadable_code", "normalize_error", "unmapped_column", "layout_uncertain"})

# The reasons of docs/flags.md the model knows one by one (any other counts as "other").
REASONS = ("low_confidence", "ocr_disagreement", "unreadable", "line_unread", "missing_required",
           "missing_field", "label_not_found", "column_inferred", "invalid_date", "unparsed_date",
           "date_repaired", "year_suspect", "year_repaired", "date_extra_text", "digit_alone",
           "after_register_year", "date_incomplete", "ambiguous_year", "year_only_two_digits",
           "lunar_calendar", "name_uncertain", "name_alternative", "name_incomplete",
           "impossible_syllable", "unknown_text", "vocab_fuzzy", "unknown_sex", "unknown_ethnicity",
           "unknown_nationality", "place_uncertain", "ambiguous_abbreviation", "unknown_place",
           "unreadable_place", "place_repaired", "place_unknown", "invalid_characters",
           "code_not_numeric", "unreadable_code", "code_year_suffix", "date_order", "implausible_age",
           "late_unnoted", "sex_mismatch", "year_out_of_range", "not_book_year", "date_sequence",
           "entry_no_sequence")
ENTRY_REASONS = ("unmapped_column", "layout_uncertain")
KINDS = ("name", "date", "place", "sex", "ethnicity", "nationality", "code", "text")


@dataclass(frozen=True)
class FieldEvidence:
    """What the pipeline knows of one field at extract time, before any decision."""

    kind: str
    layout: str
    conf: float            # recognition x normalisation confidence (1 for an empty cell)
    has_raw: bool
    has_value: bool
    raw_len: int
    edit: float            # normalised edit distance raw -> value (the repairs made)
    bad_syllables: float   # share of the value's words that are no Vietnamese syllable
    reasons: frozenset[str]
    entry_reasons: frozenset[str]
    record_flags: int      # rule flags on the whole record
    page_flag_share: float  # share of the page's read fields carrying a rule flag
    page_low_conf: float   # share of the page's read fields under 0.9 confidence


def rule_flags(row: dict) -> list[str]:
    """The rule flags of a row, before the model's decision (flags and hints, not the
    model's own likely_wrong)."""
    return [f for f in list(row.get("flags") or []) + list(row.get("hints") or [])
            if not f.startswith(LIKELY_WRONG + ":")]


def _reason_sets(flags: list[str]) -> tuple[dict[str, set[str]], set[str]]:
    per: dict[str, set[str]] = {}
    bare: set[str] = set()
    for fl in flags:
        if ":" in fl:
            reason, f = fl.split(":", 1)
            per.setdefault(f, set()).add(reason)
        else:
            bare.add(fl)
    return per, bare


def _bad_share(value: str | None) -> float:
    words = [w for w in (value or "").split() if w.isalpha()]
    return sum(not is_valid(w) for w in words) / len(words) if words else 0.0


def page_evidence(rows: list[dict], register_type: str) -> list[dict[str, FieldEvidence]]:
    """Per row of one page, per field of the register: its evidence (pure)."""
    fields = all_fields(register_type)
    parsed = [_reason_sets(rule_flags(r)) for r in rows]
    read = [(r, f) for r in rows for f in fields if r.get(f + "_raw")]
    flagged = sum(1 for (per, _), r in zip(parsed, rows) for f in fields if r.get(f + "_raw") and per.get(f))
    low = sum(1 for r, f in read if (r.get(f + "_conf") or 0.0) < 0.9)
    share = flagged / len(read) if read else 0.0
    low_share = low / len(read) if read else 0.0
    out = []
    for r, (per, bare) in zip(rows, parsed):
        n_flags = sum(len(v) for v in per.values()) + len(bare)
        ev = {}
        for f in fields:
            raw, value, conf = r.get(f + "_raw"), r.get(f), r.get(f + "_conf")
            ev[f] = FieldEvidence(
                kind=field_kind(f), layout=str(r.get("layout") or ""),
                conf=1.0 if conf is None or (isinstance(conf, float) and math.isnan(conf)) else float(conf),
                has_raw=bool(raw), has_value=value is not None, raw_len=len(raw or ""),
                edit=(Levenshtein.normalized_distance((raw or "").casefold(), (value or "").casefold())
                      if raw and value else 0.0),
                bad_syllables=_bad_share(value) if field_kind(f) in ("name", "place", "text") else 0.0,
                reasons=frozenset(per.get(f, ())), entry_reasons=frozenset(bare),
                record_flags=n_flags, page_flag_share=share, page_low_conf=low_share)
        out.append(ev)
    return out


FEATURE_NAMES = (("conf", "conf_sq", "low_conf", "has_raw", "has_value", "log_len", "edit",
                  "bad_syllables", "n_reasons", "record_flags", "page_flag_share", "page_low_conf",
                  "form") + tuple(f"kind={k}" for k in KINDS) + tuple(f"reason={r}" for r in REASONS)
                 + ("reason=other",) + tuple(f"entry={r}" for r in ENTRY_REASONS) + ("entry=other",))


def vector(ev: FieldEvidence) -> list[float]:
    """The model's input for one field (FEATURE_NAMES order)."""
    known = set(REASONS)
    return ([ev.conf, ev.conf ** 2, float(ev.conf < 0.8), float(ev.has_raw), float(ev.has_value),
             math.log1p(ev.raw_len), ev.edit, ev.bad_syllables, float(len(ev.reasons)),
             math.log1p(ev.record_flags), ev.page_flag_share, ev.page_low_conf, float(ev.layout == "form")]
            + [float(ev.kind == k) for k in KINDS] + [float(r in ev.reasons) for r in REASONS]
            + [float(bool(ev.reasons - known))] + [float(r in ev.entry_reasons) for r in ENTRY_REASONS]
            + [float(bool(ev.entry_reasons - set(ENTRY_REASONS)))])


@dataclass(frozen=True, eq=False)  # hashed by identity (threshold cache)
class ErrorModel:
    """A fitted model: standardised logistic regression(s), each with its isotonic map
    (the folds of sklearn's CalibratedClassifierCV, averaged), and the development
    fields' predicted errors for the target's threshold."""

    mean: np.ndarray
    scale: np.ndarray
    members: tuple[tuple[np.ndarray, float, np.ndarray, np.ndarray], ...]  # coef, intercept, iso x, iso y
    dev_perr: np.ndarray  # sorted
    version: str

    def predict(self, X: np.ndarray) -> np.ndarray:
        Z = (np.asarray(X, dtype=float) - self.mean) / self.scale
        out = np.zeros(len(Z))
        for coef, icpt, ix, iy in self.members:
            # sklearn calibrates the regression's decision function (the log-odds)
            out += np.interp(Z @ coef + icpt, ix, iy)
        return np.clip(out / len(self.members), 0.0, 1.0)

    @lru_cache(maxsize=16)  # noqa: B019 - a frozen model, a handful of targets
    def threshold(self, target: float) -> float:
        """The largest t with mean(dev_perr * [dev_perr < t]) <= target."""
        p = self.dev_perr
        below = np.cumsum(p) / len(p)  # below[i]: expected silent share with the i+1 lowest unflagged
        k = int(np.searchsorted(below, target, side="right"))  # how many may stay unflagged
        # the k lowest stay unflagged; ties with the first flagged value are flagged too
        return float(p[k]) if k < len(p) else 1.0 + 1e-9

    def to_json(self) -> str:
        return json.dumps({"features": list(FEATURE_NAMES), "mean": self.mean.tolist(),
                           "scale": self.scale.tolist(),
                           "members": [{"coef": c.tolist(), "intercept": i, "iso_x": x.tolist(),
                                        "iso_y": y.tolist()} for c, i, x, y in self.members],
                           "dev_perr": [round(float(v), 5) for v in self.dev_perr]}, indent=0)

    @classmethod
    def from_json(cls, text: str) -> "ErrorModel":
        d = json.loads(text)
        if tuple(d["features"]) != FEATURE_NAMES:
            raise ValueError("perr model was fitted on other features: refit it (python -m bench.calibrate fit)")
        members = tuple((np.array(m["coef"]), float(m["intercept"]), np.array(m["iso_x"]), np.array(m["iso_y"]))
                        for m in d["members"])
        return cls(np.array(d["mean"]), np.array(d["scale"]), members, np.sort(np.array(d["dev_perr"])),
                   hashlib.sha256(text.encode()).hexdigest()[:12])

    @classmethod
    def load(cls, path: Path = MODEL_PATH) -> "ErrorModel":
        return _load(str(path))


@lru_cache(maxsize=4)
def _load(path: str) -> ErrorModel:  # once per worker process
    return ErrorModel.from_json(Path(path).read_text(encoding="utf-8"))


def model_version(path: Path = MODEL_PATH) -> str:
    """The shipped model's hash (in the config hash: a refit model re-reads no page, but
    re-decides them)."""
    return ErrorModel.load(path).version


def apply_model(rows: list[dict], register_type: str, model: ErrorModel, target: float) -> list[dict]:
    """One page's rows with F_perr for every field and flags/hints/needs_review decided by
    the target (module docstring). Rows are new dicts; their rule flags are kept in order."""
    fields = all_fields(register_type)
    evs = page_evidence(rows, register_type)
    t = model.threshold(target)
    out = []
    for r, ev in zip(rows, evs):
        perr = model.predict(np.array([vector(ev[f]) for f in fields]))
        over = {f: bool(p >= t) for f, p in zip(fields, perr)}
        flags, hints = [], []
        for fl in rule_flags(r):
            reason, _, f = fl.partition(":")
            keep = (not f or reason in HARD_REASONS or over.get(f, True))
            (flags if keep else hints).append(fl)
        for f in fields:
            if over[f] and not ev[f].reasons:
                flags.append(f"{LIKELY_WRONG}:{f}")
        new = dict(r)
        for f, p in zip(fields, perr):
            new[f + "_perr"] = round(float(p), 4)
        new.update(flags=list(dict.fromkeys(flags)), hints=list(dict.fromkeys(hints)),
                   needs_review=bool(flags))
        out.append(new)
    return out
