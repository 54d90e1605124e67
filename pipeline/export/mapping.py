"""Load and validate the MoJ workbook mapping (configs/export_moj.yaml) into frozen objects.

An operator's `--mapping FILE` is merged over the defaults key by key; a register type's
column list (or book_columns) given there replaces the default list, because column order is
the province template's. Errors name the file, the key and the problem.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any


from configs.loader import read_yaml
from schemas.arrow import SCHEMAS
from schemas.errors import ConfigError
from schemas.fields import REGISTER_TYPES

DEFAULT_MAPPING = Path(__file__).resolve().parents[2] / "configs" / "export_moj.yaml"
CONVERSIONS = ("text", "date", "registration_kind")
BOOK_KEYS = ("quyenSo", "noiDangKy")
_TOP_KEYS = {"dates", "codes", "registration_kind", "books", "book_columns", "checks",
             "review_columns", "pdf", *REGISTER_TYPES}
# Record columns every register type has (partition columns included).
_COMMON_SOURCES = {"volume_id", "register_type"}


@dataclass(frozen=True)
class ColumnSpec:
    """One workbook column.

    Attributes:
        column: the database's column name.
        source: a record column, "book.<key>", or None when `value` is a constant.
        value: a constant value (when source is None).
        conversion: text | date | registration_kind.
        codes: the name of a code table under `codes:`, or None.
        required: an empty value is a violation.
    """

    column: str
    source: str | None
    value: str | None = None
    conversion: str = "text"
    codes: str | None = None
    required: bool = False


@dataclass(frozen=True)
class KindRule:
    """loaiDangKy: `code` when the notes contain `notes_contains` (case-folded)."""

    notes_contains: str
    code: str


@dataclass(frozen=True)
class Checks:
    """Which columns the import's checks look at."""

    entry_no: str | None
    registration_date: str | None
    numeric: tuple[str, ...]
    unique: tuple[str, ...]


@dataclass(frozen=True)
class MojMapping:
    """The whole workbook mapping.

    Attributes:
        book_columns: columns first in every workbook.
        type_columns: per register type, the subject's columns.
        codes: code tables; the key "missing" gives the code for an empty value.
        month_year: "year" or "mm.yyyy" (how "1965-03" is written).
        kind_default / kind_rules: loaiDangKy codes.
        books: volume id (or "default") -> {quyenSo, noiDangKy}.
        checks: column roles for the import checks.
        mark_column / reasons_column: review marks written with --include-unreviewed.
        pdf_margin: pixels added around an entry's bbox in its PDF.
        pdf_page_max_px / pdf_page_quality: the whole-page preview (PDF page 2).
        pdf_crop_quality: JPEG quality of the entry's picture (PDF page 1).
        sources: files merged, in order; hash: of the merged mapping.
    """

    book_columns: tuple[ColumnSpec, ...]
    type_columns: dict[str, tuple[ColumnSpec, ...]]
    codes: dict[str, dict[str, str]]
    month_year: str
    kind_default: str
    kind_rules: tuple[KindRule, ...]
    books: dict[str, dict[str, str | None]]
    checks: Checks
    mark_column: str
    reasons_column: str
    pdf_margin: int
    pdf_page_max_px: int
    pdf_page_quality: int
    pdf_crop_quality: int
    sources: tuple[str, ...]
    hash: str

    def columns(self, register_type: str) -> tuple[ColumnSpec, ...]:
        """Book columns then the register type's own, in workbook order."""
        return self.book_columns + self.type_columns[register_type]

    def book(self, volume_id: str) -> dict[str, str]:
        """The book facts of one volume (quyenSo falls back to the volume id)."""
        facts = dict(self.books.get("default", {}))
        facts.update({k: v for k, v in self.books.get(volume_id, {}).items() if v is not None})
        facts["quyenSo"] = facts.get("quyenSo") or volume_id
        return {k: ("" if v is None else str(v)) for k, v in facts.items()}


def _read(path: Path) -> dict:
    data = read_yaml(path)
    for k in data:
        if k not in _TOP_KEYS:
            raise ConfigError(f"{path}: key {k}: unknown (expected one of {sorted(_TOP_KEYS)})")
    return data


def _merge(base: dict, extra: dict) -> dict:
    """Mappings merge key by key; lists (column lists) are replaced whole."""
    out = dict(base)
    for k, v in extra.items():
        out[k] = _merge(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) else v
    return out


def _str(where: str, v: Any, allow_none: bool = False) -> str | None:
    if v is None and allow_none:
        return None
    if isinstance(v, bool) or not isinstance(v, (str, int)) or str(v).strip() == "":
        raise ConfigError(f"{where}: must be a non-empty string, got {v!r}")
    return str(v)


def _column(where: str, raw: Any, sources: set[str], codes: dict) -> ColumnSpec:
    if not isinstance(raw, dict):
        raise ConfigError(f"{where}: must be a mapping like {{column: so, from: entry_no}}")
    for k in raw:
        if k not in {"column", "from", "value", "as", "codes", "required"}:
            raise ConfigError(f"{where}.{k}: unknown key")
    column = _str(f"{where}.column", raw.get("column"))
    src, value = raw.get("from"), raw.get("value")
    if (src is None) == (value is None):
        raise ConfigError(f"{where}: give exactly one of 'from' and 'value'")
    if src is not None:
        src = _str(f"{where}.from", src)
        if src.startswith("book."):
            if src[5:] not in BOOK_KEYS:
                raise ConfigError(f"{where}.from: {src!r}: book facts are {', '.join(BOOK_KEYS)}")
        elif src not in sources:
            raise ConfigError(f"{where}.from: {src!r} is not a record column")
    conversion = raw.get("as", "text")
    if conversion not in CONVERSIONS:
        raise ConfigError(f"{where}.as: {conversion!r} is not one of {', '.join(CONVERSIONS)}")
    table = raw.get("codes")
    if table is not None and table not in codes:
        raise ConfigError(f"{where}.codes: {table!r} is not a table under codes:")
    required = raw.get("required", False)
    if not isinstance(required, bool):
        raise ConfigError(f"{where}.required: must be true or false")
    return ColumnSpec(column=column, source=src, value=None if value is None else str(value),
                      conversion=conversion, codes=table, required=required)


def _columns(src: str, key: str, raw: Any, sources: set[str], codes: dict) -> tuple[ColumnSpec, ...]:
    if not isinstance(raw, list) or not raw:
        raise ConfigError(f"{src}: key {key}: must be a non-empty list of columns")
    return tuple(_column(f"{src}: key {key}[{i}]", c, sources, codes) for i, c in enumerate(raw))


def _codes(src: str, raw: Any) -> dict[str, dict[str, str]]:
    if not isinstance(raw, dict):
        raise ConfigError(f"{src}: key codes: must be a mapping of tables")
    out = {}
    for name, table in raw.items():
        if not isinstance(table, dict) or not table:
            raise ConfigError(f"{src}: key codes.{name}: must be a mapping value -> code")
        out[str(name)] = {str(k): _str(f"{src}: key codes.{name}.{k}", v) for k, v in table.items()}
    return out


def load_mapping(extra: Path | None = None) -> MojMapping:
    """Load configs/export_moj.yaml, merge an operator's file over it, and validate.

    Args:
        extra: an optional override file (`--mapping FILE`).
    Returns:
        The validated mapping.
    Raises:
        ConfigError: naming the file, the key and the problem.
    """
    data = _read(DEFAULT_MAPPING)
    sources = [str(DEFAULT_MAPPING)]
    src = str(DEFAULT_MAPPING)
    if extra is not None:
        data = _merge(data, _read(Path(extra)))
        sources.append(str(extra))
        src = str(extra)
    codes = _codes(src, data.get("codes") or {})
    common = set(SCHEMAS["birth"].names) & set(SCHEMAS["death"].names) & set(SCHEMAS["marriage"].names)
    common |= _COMMON_SOURCES
    book_columns = _columns(src, "book_columns", data.get("book_columns"), common, codes)
    type_columns = {t: _columns(src, t, data.get(t), set(SCHEMAS[t].names) | _COMMON_SOURCES, codes)
                    for t in REGISTER_TYPES}
    for t in REGISTER_TYPES:
        names = [c.column for c in book_columns + type_columns[t]]
        dup = sorted({n for n in names if names.count(n) > 1})
        if dup:
            raise ConfigError(f"{src}: key {t}: column(s) {', '.join(dup)} appear twice")

    dates = data.get("dates") or {}
    month_year = dates.get("month_year", "year")
    if month_year not in ("year", "mm.yyyy"):
        raise ConfigError(f"{src}: key dates.month_year: must be 'year' or 'mm.yyyy', got {month_year!r}")

    kind = data.get("registration_kind") or {}
    rules = []
    for i, r in enumerate(kind.get("rules") or []):
        where = f"{src}: key registration_kind.rules[{i}]"
        if not isinstance(r, dict) or set(r) != {"notes_contains", "code"}:
            raise ConfigError(f"{where}: must be {{notes_contains: TEXT, code: CODE}}")
        rules.append(KindRule(_str(f"{where}.notes_contains", r["notes_contains"]).casefold(),
                              _str(f"{where}.code", r["code"])))

    books_raw = data.get("books") or {}
    if not isinstance(books_raw, dict):
        raise ConfigError(f"{src}: key books: must map volume ids to {{quyenSo, noiDangKy}}")
    books = {}
    for vol, facts in books_raw.items():
        if not isinstance(facts, dict) or set(facts) - set(BOOK_KEYS):
            raise ConfigError(f"{src}: key books.{vol}: may only give {', '.join(BOOK_KEYS)}")
        books[str(vol)] = {k: _str(f"{src}: key books.{vol}.{k}", v, allow_none=True)
                           for k, v in facts.items()}

    ck = data.get("checks") or {}
    all_cols = {c.column for t in REGISTER_TYPES for c in book_columns + type_columns[t]}
    book_cols = {c.column for c in book_columns}

    def role(key: str, value: Any, everywhere: bool = True) -> str | None:
        if value is None:
            return None
        value = _str(f"{src}: key checks.{key}", value)
        if value not in (book_cols if everywhere else all_cols):
            raise ConfigError(f"{src}: key checks.{key}: {value!r} is not a book column")
        return value

    checks = Checks(entry_no=role("entry_no", ck.get("entry_no")),
                    registration_date=role("registration_date", ck.get("registration_date")),
                    numeric=tuple(role("numeric", c, False) for c in ck.get("numeric") or []),
                    unique=tuple(role("unique", c) for c in ck.get("unique") or []))

    rc = data.get("review_columns") or {}
    pdf = data.get("pdf") or {}
    for k in pdf:
        if k not in ("margin_px", "page_max_px", "page_quality", "crop_quality"):
            raise ConfigError(f"{src}: key pdf.{k}: unknown (expected margin_px, page_max_px, "
                              f"page_quality, crop_quality)")

    def integer(key: str, default: int, lo: int, hi: int) -> int:
        v = pdf.get(key, default)
        if isinstance(v, bool) or not isinstance(v, int) or not lo <= v <= hi:
            raise ConfigError(f"{src}: key pdf.{key}: must be an integer {lo}..{hi}, got {v!r}")
        return v
    canonical = json.dumps(data, sort_keys=True, ensure_ascii=False, default=str)
    return MojMapping(
        book_columns=book_columns, type_columns=type_columns, codes=codes, month_year=month_year,
        kind_default=_str(f"{src}: key registration_kind.default", kind.get("default", "1")),
        kind_rules=tuple(rules), books=books, checks=checks,
        mark_column=_str(f"{src}: key review_columns.mark", rc.get("mark", "canKiemTra")),
        reasons_column=_str(f"{src}: key review_columns.reasons", rc.get("reasons", "lyDoKiemTra")),
        pdf_margin=integer("margin_px", 12, 0, 500),
        pdf_page_max_px=integer("page_max_px", 1240, 200, 20000),
        pdf_page_quality=integer("page_quality", 60, 1, 95),
        pdf_crop_quality=integer("crop_quality", 90, 50, 100), sources=tuple(sources),
        hash=hashlib.sha256(canonical.encode()).hexdigest()[:16])
