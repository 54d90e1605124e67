"""What the record page shows, computed from a record row (pure functions), and the checks
a typed correction must pass before it is stored."""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

from normalize.text import capitalize_word, clean_text
from pipeline.i18n import N_
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
        box: the field's own cell on the page (F_bbox), or None (none read, or a record file
            from before F_bbox: the page then shows only the entry).
        mark: where that cell lies in the entry's crop, as fractions "left top width height"
            (the page marks the current field on the pinned entry), or None.
    """

    name: str
    label: str
    value: str | None
    raw: str | None
    conf: float | None
    reasons: tuple[str, ...]
    stale_value: str | None = None
    box: tuple[int, int, int, int] | None = None
    mark: str | None = None

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
        box = row.get(f + "_bbox")
        box = tuple(int(v) for v in box) if box is not None and len(box) == 4 else None
        views.append(FieldView(
            name=f, label=labels.get(f, f), value=row.get(f), raw=row.get(f + "_raw"),
            conf=None if conf is None else float(conf), reasons=tuple(by_field.get(f, ())),
            stale_value=(stale or {}).get(f), box=box, mark=_mark(row.get("bbox"), box)))
    return views


def _mark(entry: list | None, box: tuple[int, int, int, int] | None) -> str | None:
    """The cell's place inside the entry crop (its CROP_MARGIN, clipped at the page's top
    and left) as fractions of the crop: "left top width height"."""
    from pipeline.review.images import CROP_MARGIN

    if box is None or not entry or len(entry) != 4:
        return None
    x0, y0 = max(0, entry[0] - CROP_MARGIN), max(0, entry[1] - CROP_MARGIN)
    w, h = entry[2] + CROP_MARGIN - x0, entry[3] + CROP_MARGIN - y0
    if w <= 0 or h <= 0:
        return None
    fr = ((box[0] - x0) / w, (box[1] - y0) / h, (box[2] - box[0]) / w, (box[3] - box[1]) / h)
    return " ".join(f"{min(1.0, max(0.0, v)):.4f}" for v in fr)


class InvalidValue(ValueError):
    """A typed correction that cannot be stored at all (control characters)."""


# Why a typed value was refused, by the normaliser's reason (docs/flags.md).
REASONS: dict[str, str] = {
    "invalid_date": N_("no such date (a day over the month's days, a month over 12)"),
    "unparsed_date": N_("not a date: write it as the register does (21.8.1941, 21/8/41, "
                        "ngày 21 tháng 8 năm 1941, 8/1941, 1941)"),
    "date_extra_text": N_("words beside the date that are not part of one"),
    "ambiguous_year": N_("a two-digit year this record gives no century for: write four digits"),
    "year_only_two_digits": N_("a two-digit year this record gives no century for: write four digits"),
    "lunar_calendar": N_("a lunar (âm lịch) date is kept as written, not converted"),
    "unknown_sex": N_("sex is Nam or Nữ"),
    "vocab_fuzzy": N_("only close to a known value"),
    "unknown_ethnicity": N_("not an ethnicity on the official list"),
    "unknown_nationality": N_("not a nationality on the list"),
    "code_not_numeric": N_("an entry number is a number, with an optional /year (125, 125/1965)"),
    "unreadable_code": N_("an entry number is a number, with an optional /year (125, 125/1965)"),
    "code_year_suffix": N_("the year after the slash needs 4 (or 2) digits"),
    "unreadable_name": N_("no name here: a name is letters"),
    "name_uncertain": N_("a syllable of this name is in no list of names (check its marks)"),
    "name_incomplete": N_("a name has a surname and a given name"),
    "impossible_syllable": N_("a word that is no Vietnamese syllable"),
    "unknown_text": N_("a word found in no vocabulary"),
    "place_uncertain": N_("not tied to one administrative unit"),
    "ambiguous_abbreviation": N_("an abbreviation of more than one unit"),
    "unknown_place": N_("no administrative unit of that name"),
    "unreadable_place": N_("no place here"),
    "unreadable": N_("nothing readable"),
    "invalid_characters": N_("characters no register writes (control characters, emoji, letters or "
                             "digits of another script)"),
    "name_alternative": N_("a real name, but another one is more likely here: compare with the scan"),
    "name_repaired": N_("changed to another real name on the recogniser's own second choice for a "
                        "letter: compare with the scan"),
    "place_repaired": N_("spelt as the unit one letter away: it may be a historic unit the table lacks"),
    "place_unknown": N_("a unit the table of units does not have (kept as written)"),
    "normalize_error": N_("could not be read as this field"),
}


# normaliser reasons that do not refuse a typed correction
TYPED_OK = frozenset({"name_alternative", "name_repaired"})


@dataclass(frozen=True)
class Checked:
    """A typed correction after its field's normaliser (the one the OCR output goes through).

    Attributes:
        typed: what was typed, NFC with single spaces (None when empty).
        value: what would be stored, or None (empty, or unreadable as this field).
        reasons: the normaliser's reasons against it (empty: it can be saved).
        forced: what an explicit override stores: the typed text in the contract's spelling
            (for dates and sex the normaliser's value, None when it has none: a date must be
            ISO, sex Nam/Nữ).
    """

    typed: str | None
    value: str | None
    reasons: tuple[str, ...] = ()
    forced: str | None = None

    @property
    def ok(self) -> bool:
        return not self.reasons

    @property
    def can_override(self) -> bool:
        return not self.ok and self.forced is not None

    def messages(self, _: Callable[[str], str] = str) -> list[str]:
        """The refusal reasons in words, through `_` (the page's gettext)."""
        return [_(REASONS[r]) if r in REASONS else r for r in self.reasons]


_YEAR = re.compile(r"(?<!\d)(18[89]\d|19\d\d|20[0-2]\d)(?!\d)")


def record_year(row: dict, field: str | None = None) -> int | None:
    """The register year that resolves a typed two-digit year: the record's registration
    date, else its entry number's /year, else a year in the volume id ("hbt-ks-1976")."""
    reg = row.get("registration_date") if field != "registration_date" else None
    for text in (reg[:4] if reg else None, (row.get("entry_no") or "").rpartition("/")[2],
                 row.get("volume_id") or ""):
        m = _YEAR.search(text or "")
        if m:
            return int(m.group(1))
    return None


def check_value(field: str, text: str | None, year: int | None = None) -> Checked:
    """A typed value through `normalize_cell`, the OCR's own normaliser for the field:
    "21.8.1941" -> "1941-08-21", "kinh" -> "Kinh", "Nguyễn Văn An" in entry_no refused.

    Raises:
        InvalidValue: control characters.
    """
    from pipeline.extract.record import normalize_cell  # the one path OCR text takes

    if text is None:
        return Checked(None, None)
    text = " ".join(unicodedata.normalize("NFC", text).split())
    if not text:
        return Checked(None, None)
    if any(unicodedata.category(c) == "Cc" for c in text):
        raise InvalidValue(N_("control characters are not allowed"))
    n = normalize_cell(field, text, year)
    # "another name is likelier" is doubt about an OCR reading; a person typing from the scan
    # is the evidence that settles it, so it refuses nothing
    reasons = tuple(r for r in dict.fromkeys(f.partition(":")[0] for f in n.flags) if r not in TYPED_OK)
    if n.value is None and not reasons:
        reasons = ("unreadable",)
    kind = field_kind(field)
    value = n.value
    if kind == "name" and value is not None and not text.isascii():
        # a name typed with its marks is the archivist's reading: the lexicon's guesses are
        # for OCR ("Hai" is a name, not a misread "Hải"); typed without marks, they are
        # restored, and the page shows the result before it is saved
        value = _as_typed(field, text)
    forced = n.value if kind in ("date", "sex") else _as_typed(field, text)
    return Checked(text, value, reasons, forced)


def _as_typed(field: str, text: str) -> str | None:
    """The typed text in the contract's spelling (NFC, traditional tone placement, names
    capitalised per syllable), which an override stores; nothing for dates and sex, whose
    format admits nothing but the normaliser's value."""
    kind = field_kind(field)
    if kind in ("date", "sex"):
        return None
    text = clean_text(text)
    if kind == "name":
        text = " ".join(capitalize_word(w) for w in text.split())
    return text or None
