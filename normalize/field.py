"""The one entry point the pipeline and `hotich normalize` use: raw cell text -> Normalized.

Dispatches on the field's kind (schemas.fields.field_kind). Total: any string gives a
Normalized; an unreadable value gives value None plus a bare reason (the pipeline appends
":field"). An empty cell gives None with no flag: whether it is missing is the pipeline's call.
"""
from __future__ import annotations

from normalize.dates import parse_date
from normalize.junk import has_vietnamese_letter, invalid_characters
from normalize.names import normalize_name
from normalize.phrases import normalize_phrase
from normalize.places import normalize_place
from normalize.syllables import is_valid
from normalize.text import clean_text
from normalize.vocab import normalize_code, normalize_ethnicity, normalize_nationality, normalize_sex
import json
import re
from collections.abc import Iterable, Iterator

from schemas.errors import ExitCode, HotichError
from schemas.evidence import ReadEvidence
from schemas.fields import COMMON_FIELDS, FIELDS, field_kind
from schemas.records import Normalized


class UnknownFieldError(HotichError):
    """`hotich normalize --field X` with X not a record field (exit status 1)."""

    exit_code = ExitCode.BAD_ARGS


def _text(raw: str, field: str = "") -> Normalized:
    """Free text (notes, cause of death): cleaned, repaired towards the register's usual
    phrases (normalize.phrases), first letter capitalised. A word carrying Vietnamese
    diacritics that is no possible syllable is an OCR error for certain and flagged
    `impossible_syllable`; other unattested words `unknown_text` (conf lowered)."""
    value = clean_text(raw)
    if not value:
        return Normalized(None, 0.0, ("unreadable",))
    steps = ("clean",) if value != raw else ()
    p = normalize_phrase(field, value)
    broken = [w for w in _WORDS.findall(p.value) if not w.isascii() and not is_valid(w)]
    if broken:
        flags = ("impossible_syllable",) + tuple(f for f in p.flags if f != "unknown_text")
        return Normalized(p.value, min(0.7, p.conf), flags,
                          steps=steps + p.steps + tuple(f"invalid:{w}" for w in broken[:5]))
    return Normalized(p.value, p.conf, p.flags, steps=steps + p.steps)


_WORDS = re.compile(r"[^\W\d_]+")


def _clamp(conf: float) -> float:
    return max(0.0, min(1.0, round(float(conf), 4)))


def normalize_field(field: str, raw: str | None, *, register_year: int | None = None,
                    evidence: ReadEvidence | None = None) -> Normalized:
    """Normalise one raw cell of a record field.

    Args:
        field: a record column name (full_name, date_of_birth, place_of_birth, sex...).
        raw: the OCR text, or None.
        register_year: the register's year, to resolve two-digit years.
        evidence: the recogniser's glyph alternatives for `raw` (names only; None: as without).

    Returns:
        Normalized(value, conf, flags, code, steps).
    """
    kind = field_kind(field)
    if raw is None or not raw.strip():
        return Normalized(None, 1.0)
    bad = invalid_characters(raw)
    if bad:
        # junk is refused, not repaired: no name, date or place is made of it
        return Normalized(None, 0.0, ("invalid_characters",),
                          steps=tuple(f"invalid:U+{ord(c):04X}" for c in bad[:5]))
    if kind in ("name", "place") and not has_vietnamese_letter(raw):
        return Normalized(None, 0.0, (f"unreadable_{kind}",))
    try:
        if kind == "name":
            r = normalize_name(raw, evidence=evidence)
            return Normalized(r.value, _clamp(r.conf), r.flags, steps=r.steps)
        if kind == "date":
            r = parse_date(raw, register_year)
            return Normalized(r.value, _clamp(r.conf), r.flags, steps=r.steps)
        if kind == "place":
            r = normalize_place(raw)
            return Normalized(r.value, _clamp(r.conf), r.flags, code=r.code, steps=r.steps)
        if kind in ("sex", "ethnicity", "nationality", "code"):
            fn = {"sex": normalize_sex, "ethnicity": normalize_ethnicity,
                  "nationality": normalize_nationality, "code": normalize_code}[kind]
            r = fn(raw)
            return Normalized(r.value, _clamp(r.conf), r.flags, steps=r.steps)
        return _text(raw, field)
    except Exception as e:  # noqa: BLE001 - the contract: never raise on any input string
        return Normalized(None, 0.0, ("normalize_error",), steps=(f"error:{type(e).__name__}",))


def known_fields() -> tuple[str, ...]:
    """Every record field name of every register type, in a stable order."""
    seen = dict.fromkeys(COMMON_FIELDS)
    for fields in FIELDS.values():
        seen.update(dict.fromkeys(fields))
    return tuple(seen)


def normalize_lines(field: str, lines: Iterable[str], *, register_year: int | None = None) -> Iterator[str]:
    """`hotich normalize`: one JSON object per input line, exactly normalize_field's result.

    Args:
        field: a record field name.
        lines: raw values (a trailing newline is not part of the value).
        register_year: passed to normalize_field.

    Yields:
        '{"raw": ..., "value": ..., "conf": ..., "flags": [...]}' (ensure_ascii=False).

    Raises:
        UnknownFieldError: before any output when `field` is not a record field.
    """
    if field not in known_fields():
        raise UnknownFieldError(f"unknown field {field!r}; expected one of: {', '.join(known_fields())}")
    for line in lines:
        raw = line.rstrip("\r\n")
        n = normalize_field(field, raw, register_year=register_year)
        yield json.dumps({"raw": raw, "value": n.value, "conf": n.conf, "flags": list(n.flags)},
                         ensure_ascii=False)
