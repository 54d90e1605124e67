"""The probability that a field's value is wrong (`F_perr`), and the flags it decides.

    page_evidence(rows, register_type) -> per record, per field: FieldEvidence   (pure)
    ErrorModel.load() -> the fitted model shipped in configs/perr_model.json
    apply_model(rows, register_type, model, target) -> rows with F_perr, flags, hints, needs_review

The model (fitted by `python -m bench.calibrate fit`, on development pages with truth only)
is logistic regression (or, `fit --kind boosting`, sklearn's HistGradientBoostingClassifier)
over the evidence below, calibrated by isotonic regression on out-of-fold predictions; it is
stored as plain numbers (JSON: coefficients, or the trees' nodes) so workers evaluate it with
numpy alone. bench/README.md has the comparison that chose the kind.

Flags from a target, not a threshold by hand: the model file keeps, of its development
fields, their number and the out-of-fold perr of the wrong ones; `threshold(target)` is the
largest t for which the development fields wrong and under t are at most `target` of all
(the expected share of wrong-and-unflagged fields, measured where the model was fitted).
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
from schemas.fields import COMMON_FIELDS, FIELDS, REGISTER_TYPES, all_fields, field_kind

MODEL_PATH = PERR_MODEL
DEFAULT_SILENT_TARGET = 0.003
LIKELY_WRONG = "likely_wrong"

# Reasons that force review whatever the model says: no value could be read (or junk was
# refused), the entry's columns or type are in doubt.
HARD_REASONS = frozenset({"invalid_characters", "unreadable", "unreadable_name", "unreadable_place",
                          "unreadable_code", "normalize_error", "unmapped_column", "layout_uncertain",
                          "unmapped_label", "entry_unnumbered", "type_disagrees", "column_guessed",
                          "surname_mismatch"})

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
# every field of every register: some are read worse than their kind (notes, a spouse's date)
FIELD_NAMES = tuple(dict.fromkeys(COMMON_FIELDS + tuple(f for t in REGISTER_TYPES for f in FIELDS[t])))


@dataclass(frozen=True)
class FieldEvidence:
    """What the pipeline knows of one field at extract time, before any decision."""

    field: str
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
                field=f, kind=field_kind(f), layout=str(r.get("layout") or ""),
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
                  "form") + tuple(f"kind={k}" for k in KINDS) + tuple(f"field={f}" for f in FIELD_NAMES)
                 + tuple(f"conf*{k}" for k in KINDS) + tuple(f"reason={r}" for r in REASONS)
                 + ("reason=other",) + tuple(f"entry={r}" for r in ENTRY_REASONS) + ("entry=other",))


def vector(ev: FieldEvidence) -> list[float]:
    """The model's input for one field (FEATURE_NAMES order)."""
    known = set(REASONS)
    return ([ev.conf, ev.conf ** 2, float(ev.conf < 0.8), float(ev.has_raw), float(ev.has_value),
             math.log1p(ev.raw_len), ev.edit, ev.bad_syllables, float(len(ev.reasons)),
             math.log1p(ev.record_flags), ev.page_flag_share, ev.page_low_conf, float(ev.layout == "form")]
            + [float(ev.kind == k) for k in KINDS] + [float(ev.field == f) for f in FIELD_NAMES]
            + [ev.conf * (ev.kind == k) for k in KINDS] + [float(r in ev.reasons) for r in REASONS]
            + [float(bool(ev.reasons - known))] + [float(r in ev.entry_reasons) for r in ENTRY_REASONS]
            + [float(bool(ev.entry_reasons - set(ENTRY_REASONS)))])


@dataclass(frozen=True)
class Tree:
    """One regression tree of the boosted model (sklearn's TreePredictor nodes)."""

    feature: np.ndarray    # int, per node
    threshold: np.ndarray  # go left when x[feature] <= threshold
    left: np.ndarray
    right: np.ndarray
    leaf: np.ndarray       # bool
    value: np.ndarray

    def raw(self, X: np.ndarray) -> np.ndarray:
        node = np.zeros(len(X), dtype=int)
        rows = np.arange(len(X))
        for _ in range(64):  # deeper than any tree fitted with max_leaf_nodes
            inner = ~self.leaf[node]
            if not inner.any():
                break
            go_left = X[rows, self.feature[node]] <= self.threshold[node]
            node = np.where(inner, np.where(go_left, self.left[node], self.right[node]), node)
        return self.value[node]


@dataclass(frozen=True, eq=False)  # hashed by identity (threshold cache)
class ErrorModel:
    """A fitted model: log-odds from a linear term (logistic regression) and/or boosted
    trees over the evidence, mapped to a probability by an isotonic regression fitted on
    out-of-fold log-odds; and, of the
    development fields, their number and the out-of-fold perr of the wrong ones (the
    target's threshold)."""

    baseline: float
    linear: np.ndarray  # log-odds per unit of each feature (zeros for trees alone)
    trees: tuple[Tree, ...]
    iso_x: np.ndarray
    iso_y: np.ndarray
    dev_n: int
    dev_wrong_perr: np.ndarray  # sorted
    version: str

    def predict(self, X: np.ndarray) -> np.ndarray:
        X = np.asarray(X, dtype=float).reshape(-1, len(FEATURE_NAMES))
        raw = self.baseline + X @ self.linear
        for t in self.trees:
            raw += t.raw(X)
        return np.clip(np.interp(raw, self.iso_x, self.iso_y), 0.0, 1.0)

    @lru_cache(maxsize=16)  # noqa: B019 - a frozen model, a handful of targets
    def threshold(self, target: float) -> float:
        """The largest t for which the development fields wrong and under t (out of fold)
        are at most `target` of all development fields."""
        m = int(math.floor(target * self.dev_n + 1e-9))  # wrong fields allowed below t
        w = self.dev_wrong_perr
        return float(w[m]) if m < len(w) else 1.0 + 1e-9

    def to_json(self) -> str:
        return json.dumps({"features": list(FEATURE_NAMES), "baseline": self.baseline,
                           "linear": [round(float(v), 8) for v in self.linear],
                           "trees": [{k: getattr(t, k).tolist() for k in
                                      ("feature", "threshold", "left", "right", "leaf", "value")}
                                     for t in self.trees],
                           "iso_x": self.iso_x.tolist(), "iso_y": self.iso_y.tolist(),
                           "dev_n": self.dev_n,
                           "dev_wrong_perr": [round(float(v), 6) for v in self.dev_wrong_perr]},
                          separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str) -> "ErrorModel":
        d = json.loads(text)
        if tuple(d["features"]) != FEATURE_NAMES:
            raise ValueError("perr model was fitted on other features: refit it (python -m bench.calibrate fit)")
        trees = tuple(Tree(np.array(t["feature"], dtype=int), np.array(t["threshold"], dtype=float),
                           np.array(t["left"], dtype=int), np.array(t["right"], dtype=int),
                           np.array(t["leaf"], dtype=bool), np.array(t["value"], dtype=float))
                      for t in d["trees"])
        return cls(float(d["baseline"]), np.array(d["linear"], dtype=float), trees, np.array(d["iso_x"]), np.array(d["iso_y"]),
                   int(d["dev_n"]), np.sort(np.array(d["dev_wrong_perr"])),
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
