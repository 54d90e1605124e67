"""The checks the civil-status database's import applies, run before a workbook is written.

A case that fails any check is held back from the workbook and listed (with every reason) in
violations.csv beside it, so nothing is silently written that the import would reject or,
worse, accept wrongly. Pure functions over MojRow values.
"""
from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass

from pipeline.export.mapping import MojMapping
from pipeline.export.moj import MojRow

_DATE = re.compile(r"^(\d{2}\.\d{2}\.\d{4}|\d{4})$")
# "125/1965", "125/65", "125 / 1965": the year after the last slash.
_ENTRY_YEAR = re.compile(r"/\s*(\d{4}|\d{2})\s*$")


@dataclass(frozen=True)
class Violation:
    """One failed check of one case.

    Attributes:
        record_id: the case's record.
        column: the workbook column concerned.
        value: its value as it would have been written.
        rule: date_length | entry_year | numeric | duplicate | required | code.
        message: one line saying what is wrong.
    """

    record_id: str
    column: str
    value: str
    rule: str
    message: str


def _year(date_text: str) -> str | None:
    return date_text[-4:] if _DATE.match(date_text or "") else None


def check_row(row: MojRow, register_type: str, mapping: MojMapping) -> list[Violation]:
    """The checks that look at one case alone.

    Returns:
        Every violation of the case (empty when it passes).
    """
    out: list[Violation] = []
    v = row.values
    for spec in mapping.columns(register_type):
        val = v.get(spec.column, "")
        if spec.required and val == "":
            out.append(Violation(row.record_id, spec.column, val, "required",
                                 f"{spec.column} is empty but required"))
        if spec.conversion == "date" and val != "" and not _DATE.match(val):
            out.append(Violation(row.record_id, spec.column, val, "date_length",
                                 f"{spec.column} {val!r} is {len(val)} characters; the import "
                                 f"takes 10 (dd.mm.yyyy), 4 (yyyy) or none"))
        if spec.codes is not None and val != "" and val not in mapping.codes[spec.codes].values():
            out.append(Violation(row.record_id, spec.column, val, "code",
                                 f"{spec.column} {val!r} has no code in table {spec.codes}"))
    for col in mapping.checks.numeric:
        if col in v and v[col] != "" and not v[col].isdigit():
            out.append(Violation(row.record_id, col, v[col], "numeric",
                                 f"{col} {v[col]!r} is not a number"))
    eno, reg = mapping.checks.entry_no, mapping.checks.registration_date
    if eno and reg:
        m = _ENTRY_YEAR.search(v.get(eno, ""))
        reg_year = _year(v.get(reg, ""))
        if m and reg_year:
            year = m.group(1)
            if (year != reg_year) if len(year) == 4 else (year != reg_year[2:]):
                out.append(Violation(row.record_id, eno, v[eno], "entry_year",
                                     f"{eno} {v[eno]!r} carries year {year} but {reg} is "
                                     f"{v[reg]} (year {reg_year})"))
    return out


def check_duplicates(rows: list[MojRow], mapping: MojMapping) -> list[Violation]:
    """No two cases may share the unique key (so, quyenSo, noiDangKy): every case of a shared
    key is listed, since which one is right needs a person."""
    key_cols = mapping.checks.unique
    if not key_cols:
        return []
    groups: dict[tuple, list[MojRow]] = defaultdict(list)
    for r in rows:
        key = tuple(r.values.get(c, "") for c in key_cols)
        if key[0] != "":
            groups[key].append(r)
    out = []
    for key, group in groups.items():
        if len(group) > 1:
            others = ", ".join(g.record_id for g in group)
            shown = ", ".join(f"{c}={k!r}" for c, k in zip(key_cols, key))
            for r in group:
                out.append(Violation(r.record_id, key_cols[0], key[0], "duplicate",
                                     f"{len(group)} cases share {shown}: {others}"))
    return out


def check_rows(rows: list[MojRow], register_type: str, mapping: MojMapping) -> list[Violation]:
    """All checks over one book's cases, in row order then duplicates."""
    out = [v for r in rows for v in check_row(r, register_type, mapping)]
    return out + check_duplicates(rows, mapping)
