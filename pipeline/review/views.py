"""What the record page shows, computed from a record row (pure functions), and the checks
a typed correction must pass before it is stored."""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from normalize.text import capitalize_word, clean_text
from schemas.fields import all_fields, field_kind


@dataclass(frozen=True)
class FieldView:
    """One field as the review page shows it.

    Attributes:
        name: the record column (full_name).
        label: the register's own heading for it ("Họ và tên").
        value: the current value (corrected if corrected), or None.
        raw: the OCR text before normalisation.
        conf: recognition confidence 0..1, or None.
        reasons: flag reasons concerning this field (low_confidence, invalid_date, review_stale).
        stale_value: a correction made on an older page image, offered back (else None).
    """

    name: str
    label: str
    value: str | None
    raw: str | None
    conf: float | None
    reasons: tuple[str, ...]
    stale_value: str | None = None

    @property
    def flagged(self) -> bool:
        return bool(self.reasons)


def split_flags(flags: list[str] | None) -> tuple[dict[str, list[str]], list[str]]:
    """`reason:field` flags by field, and bare whole-entry flags."""
    by_field: dict[str, list[str]] = {}
    bare: list[str] = []
    for f in flags or []:
        reason, sep, field = f.partition(":")
        if sep and field:
            by_field.setdefault(field, []).append(reason)
        else:
            bare.append(f)
    return by_field, bare


@lru_cache(maxsize=1)
def field_labels() -> dict[str, str]:
    """Each field's first header in the register configs (the archivist's own words)."""
    from configs.loader import load_config  # imported lazily: YAML parsing once, on first use

    labels: dict[str, str] = {}
    for reg in load_config().registers.values():
        for name, spec in reg.fields.items():
            if spec.headers and name not in labels:
                labels[name] = spec.headers[0]
    return labels


def field_views(register_type: str, row: dict, stale: dict[str, str | None] | None = None) -> list[FieldView]:
    """The fields of one record in column order, with flags attached."""
    by_field, _ = split_flags(row.get("flags"))
    labels = field_labels()
    views = []
    for f in all_fields(register_type):
        conf = row.get(f + "_conf")
        views.append(FieldView(
            name=f, label=labels.get(f, f), value=row.get(f), raw=row.get(f + "_raw"),
            conf=None if conf is None else float(conf), reasons=tuple(by_field.get(f, ())),
            stale_value=(stale or {}).get(f)))
    return views


_ISO_DATE = re.compile(r"^\d{4}(-(0[1-9]|1[0-2])(-(0[1-9]|[12]\d|3[01]))?)?$")


class InvalidValue(ValueError):
    """A typed correction that does not fit the field (the message says what is expected)."""


def clean_value(field: str, text: str | None) -> str | None:
    """A typed value as stored: NFC (whatever the IME sent), single spaces, empty -> None;
    text in the contract's spelling (traditional tone placement: hòa, thủy), names with each
    syllable capitalised. The archivist's words are otherwise kept: no lexicon repair.

    Raises:
        InvalidValue: a date not in ISO form (1965-03-12, 1965-03, 1965), a sex other
            than Nam/Nữ, or control characters.
    """
    if text is None:
        return None
    text = " ".join(unicodedata.normalize("NFC", text).split())
    if not text:
        return None
    if any(unicodedata.category(c) == "Cc" for c in text):
        raise InvalidValue("control characters are not allowed")
    kind = field_kind(field)
    if kind == "date" and not _ISO_DATE.match(text):
        raise InvalidValue("a date is written 1965-03-12, 1965-03 or 1965")
    if kind == "sex" and text not in ("Nam", "Nữ"):
        raise InvalidValue("sex is Nam or Nữ")
    if kind in ("date", "sex", "code"):
        return text
    text = clean_text(text)
    if kind == "name":
        text = " ".join(capitalize_word(w) for w in text.split())
    return text or None
