"""Per-record comparison features, built once per run from the records table.

A feature is named `FIELD|FORM`, e.g. `full_name|given|fold` or `date_of_birth|date`:
- names: `F|PART|FORM`, PART in full/surname/middle/given, FORM in exact/fold/skel;
- dates: `F|date` (year, month, day arrays, 0 = unknown), `F|full` (ISO string only when the
  day is known), `F|year`;
- places: `F|place` (canonical folded key); anything else: `F|exact`.
String features are dictionary-encoded (`Encoded`: int32 codes, -1 = missing, and the distinct
values), so comparisons work on integer codes and compute string distances once per distinct
pair of values. Every derivation runs once per distinct raw value, not per record.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from pipeline.dedup import fold as F

# Middle name absent ("Phan Hùng") is a value of its own, not a missing one.
NO_MIDDLE = "-"
_MIX = np.uint64(0x9E3779B97F4A7C15)


@dataclass(frozen=True)
class Encoded:
    """A dictionary-encoded string feature.

    Attributes:
        codes: int32 per record, index into `values`; -1 where the feature is missing.
        values: the distinct values.
    """

    codes: np.ndarray
    values: list

    def hashes(self) -> np.ndarray:
        """A stable uint64 hash per record (0 = missing), equal across runs and machines."""
        if not self.values:
            return np.zeros(len(self.codes), dtype=np.uint64)
        h = pd.util.hash_array(np.asarray(self.values, dtype=object)).astype(np.uint64)
        h = np.where(h == 0, np.uint64(1), h)
        return np.where(self.codes >= 0, h[np.maximum(self.codes, 0)], np.uint64(0))


def _part(words: list[str], part: str) -> str | None:
    """fold.words_part, with NO_MIDDLE standing for an empty middle name (so that "no middle
    name" is a value that can agree, unlike a missing name)."""
    value = F.words_part(words, part)
    return NO_MIDDLE if value == "" else value


def _date_full(text: str | None) -> str | None:
    y, m, d = F.parse_date(text)
    return f"{y:04d}-{m:02d}-{d:02d}" if d else None


def _date_year(text: str | None) -> str | None:
    y, _, _ = F.parse_date(text)
    return f"{y:04d}" if y else None


class Features:
    """Lazily computed, cached features of one register type's records (sorted by record_id).

    Args:
        table: the records (any column subset that holds the fields asked for).
    """

    def __init__(self, table: pa.Table):
        self.table = table
        self.n = table.num_rows
        self._raw: dict[str, tuple[np.ndarray, list]] = {}
        self._enc: dict[str, Encoded] = {}
        self._dates: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
        self._keys: dict[str, np.ndarray] = {}
        self._whole: dict[tuple[str, str], list[list[str]]] = {}
        self._flagged: dict[str, np.ndarray] = {}
        self._places: dict[str, tuple[np.ndarray, np.ndarray]] = {}

    def _raw_encoded(self, field: str) -> tuple[np.ndarray, list]:
        if field not in self._raw:
            if field in self.table.column_names:
                self._raw[field] = F.encode(self.table.column(field))
            else:
                self._raw[field] = (np.full(self.n, -1, dtype=np.int32), [])
        return self._raw[field]

    def encoded(self, name: str) -> Encoded:
        """The string feature `name` (see the module docstring)."""
        if name in self._enc:
            return self._enc[name]
        field, *spec = name.split("|")
        codes, uniques = self._raw_encoded(field)
        if len(spec) == 2:
            enc = self._name_feature(field, spec[0], spec[1])
            self._enc[name] = enc
            return enc
        if spec == ["place"]:
            fn = F.place_key
        elif spec == ["full"]:
            fn = _date_full
        elif spec == ["year"]:
            fn = _date_year
        elif spec == ["exact"]:
            fn = F.exact
        else:
            raise ValueError(f"unknown feature {name!r}")
        enc = Encoded(*F.map_unique(codes, uniques, fn))
        self._enc[name] = enc
        return enc

    def _name_feature(self, field: str, part: str, form: str) -> Encoded:
        """Name parts are cut from the folded/exact whole name (folding keeps the words)."""
        codes, uniques = self._raw_encoded(field)
        if form == "skel":
            base = self.encoded(f"{field}|{part}|fold")
            return Encoded(*F.map_unique(base.codes, base.values, F.skeleton))
        whole = self._whole.get((field, form))
        if whole is None:
            conv = F.exact if form == "exact" else F.fold
            whole = [(conv(u) or "").split() for u in uniques]
            self._whole[(field, form)] = whole
        values = [_part(w, part) for w in whole]
        return Encoded(*F.map_unique(codes, list(range(len(values))), values.__getitem__))

    def flagged(self, field: str) -> np.ndarray:
        """True where the record's flags name `field` (`low_confidence:full_name`...)."""
        if field not in self._flagged:
            mask = np.zeros(self.n, dtype=bool)
            if "flags" in self.table.column_names and self.n:
                flags = self.table.column("flags").combine_chunks()
                flat = pc.list_flatten(flags)
                if len(flat):
                    parent = pc.list_parent_indices(flags).to_numpy()
                    hit = pc.fill_null(pc.ends_with(flat, f":{field}"), False).to_numpy(
                        zero_copy_only=False)
                    mask[parent[hit]] = True
            self._flagged[field] = mask
        return self._flagged[field]

    def place_parts(self, field: str) -> tuple[np.ndarray, np.ndarray]:
        """(locality, area) int32 codes per record of a place field (fold.place_parts; -1 =
        none). A one-part place (an institution) takes as area the longest run of its last
        words that is the area of some address of the field ("bv phu san thai binh" ->
        "thai binh"), else none: the province it names, when it names one."""
        if field not in self._places:
            codes, uniques = self._raw_encoded(field)
            parts = [F.place_parts(u) for u in uniques]
            areas = {a for loc, a in parts if loc is not None}
            loc_ids: dict[str, int] = {}
            area_ids: dict[str, int] = {a: i for i, a in enumerate(sorted(areas))}
            loc_of = np.full(len(uniques) + 1, -1, dtype=np.int32)
            area_of = np.full(len(uniques) + 1, -1, dtype=np.int32)
            for i, (loc, a) in enumerate(parts):
                if loc is not None:
                    loc_of[i] = loc_ids.setdefault(loc, len(loc_ids))
                    area_of[i] = area_ids[a]
                elif a is not None:
                    words = a.split()
                    for j in range(1, len(words)):
                        tail = " ".join(words[j:])
                        if tail in area_ids:
                            area_of[i] = area_ids[tail]
                            break
            idx = np.where(codes >= 0, codes, len(uniques))
            self._places[field] = (loc_of[idx], area_of[idx])
        return self._places[field]

    def date(self, field: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(year, month, day) int16 arrays of a date field, 0 where unknown."""
        if field not in self._dates:
            codes, uniques = self._raw_encoded(field)
            parts = np.array([F.parse_date(u) for u in uniques] + [(0, 0, 0)], dtype=np.int16)
            per = parts[np.where(codes >= 0, codes, len(uniques))]
            self._dates[field] = (per[:, 0].copy(), per[:, 1].copy(), per[:, 2].copy())
        return self._dates[field]

    def key(self, parts: tuple[str, ...]) -> np.ndarray:
        """A uint64 blocking key combining string features; 0 where any part is missing."""
        name = "+".join(parts)
        if name not in self._keys:
            h = np.zeros(self.n, dtype=np.uint64)
            valid = np.ones(self.n, dtype=bool)
            for p in parts:
                hp = self.encoded(p).hashes()
                valid &= hp != 0
                h = h * _MIX + hp  # wraps modulo 2**64 on purpose
            h = np.where(valid, np.where(h == 0, np.uint64(1), h), np.uint64(0))
            self._keys[name] = h
        return self._keys[name]

    def same_value(self, field: str, ia: np.ndarray, ib: np.ndarray) -> np.ndarray:
        """True where both records hold the same (non-missing) raw value of `field`."""
        codes, _ = self._raw_encoded(field)
        a, b = codes[ia], codes[ib]
        return (a >= 0) & (a == b)

    def other_value(self, field: str, ia: np.ndarray, ib: np.ndarray) -> np.ndarray:
        """True where both records hold a value of `field` and the values differ."""
        codes, _ = self._raw_encoded(field)
        a, b = codes[ia], codes[ib]
        return (a >= 0) & (b >= 0) & (a != b)


def fingerprints(table: pa.Table, fields: tuple[str, ...]) -> np.ndarray:
    """A stable uint64 per record over the given columns: it changes when any of them does."""
    h = np.zeros(table.num_rows, dtype=np.uint64)
    for f in fields:
        if f in table.column_names:
            col = table.column(f)
            if pa.types.is_list(col.type) or pa.types.is_large_list(col.type):
                col = pc.binary_join(col, "\x1f")
            codes, uniques = F.encode(col)
            hu = pd.util.hash_array(np.asarray(uniques + ["\x00<null>"], dtype=object))
            hf = hu.astype(np.uint64)[np.where(codes >= 0, codes, len(uniques))]
        else:
            hf = np.zeros(table.num_rows, dtype=np.uint64)
        h = h * _MIX + hf
    return h
