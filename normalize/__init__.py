"""Vietnamese normalisation that repairs OCR: names, dates, places, vocabularies.

Entry points: `normalize_field(field, raw, register_year=None) -> Normalized` (one cell) and
`cross_field_flags(register_type, values, rules, min_year=, max_year=)` (a whole record).
"""
from normalize.checks import cross_field_flags
from normalize.field import normalize_field

__all__ = ["cross_field_flags", "normalize_field"]
