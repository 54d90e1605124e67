"""The record fields fixed by CONTRACT.md, per register type, and their kinds.

This is the single list of field names; configs/ attaches header vocabulary to them and
schemas/arrow.py derives the Parquet columns from them.
"""
from __future__ import annotations

REGISTER_TYPES: tuple[str, ...] = ("birth", "death", "marriage")

# Fields every register entry carries besides its type-specific ones.
COMMON_FIELDS: tuple[str, ...] = ("entry_no", "registration_date")

FIELDS: dict[str, tuple[str, ...]] = {
    "birth": ("full_name", "sex", "date_of_birth", "place_of_birth", "ethnicity", "nationality",
              "hometown", "father_name", "mother_name", "declarant_name", "notes"),
    "death": ("full_name", "sex", "date_of_birth", "ethnicity", "nationality", "residence",
              "date_of_death", "place_of_death", "cause_of_death", "declarant_name", "notes"),
    "marriage": ("husband_name", "husband_date_of_birth", "husband_ethnicity",
                 "husband_nationality", "husband_residence", "wife_name", "wife_date_of_birth",
                 "wife_ethnicity", "wife_nationality", "wife_residence", "notes"),
}

# What a value is, which decides how normalize/ parses it.
KINDS: tuple[str, ...] = ("name", "date", "sex", "place", "ethnicity", "nationality", "code", "text")


def field_kind(field: str) -> str:
    """The kind of a contract field, from its name (the configs may not override it)."""
    if field == "entry_no":
        return "code"
    if field.endswith("_name"):
        return "name"
    if field.endswith("date") or "date_of" in field:
        return "date"
    if field == "sex":
        return "sex"
    if field.endswith("ethnicity"):
        return "ethnicity"
    if field.endswith("nationality"):
        return "nationality"
    if field in ("place_of_birth", "place_of_death", "hometown") or field.endswith("residence"):
        return "place"
    return "text"


def all_fields(register_type: str) -> tuple[str, ...]:
    """Common fields then the type's own, in column order."""
    return COMMON_FIELDS + FIELDS[register_type]


def place_fields(register_type: str) -> tuple[str, ...]:
    """Fields that also get an administrative-unit code column `F_code`."""
    return tuple(f for f in FIELDS[register_type] if field_kind(f) == "place")
