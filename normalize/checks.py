"""Cross-field checks from the register configs' `rules` (configs/*.yaml).

Dates are ISO strings of reduced precision ("1965", "1965-03", "1965-03-12"); a comparison
is made only at the precision both sides share, so "1965" vs "1965-03-02" is not a violation.

Checks:
- not_before (field, other): `field` must not be before `other` -> "date_order:<field>".
- not_after (field, other): `field` must not be after `other` -> "date_order:<field>" (the
  later-read field is the one flagged: a birth year read 1994 in a 1989 death register).
- year_range (field): the year within min_year..max_year -> "year_out_of_range:<field>".
- min_age (field, at, years): `at` is at least `years` after `field` (a date of birth)
  -> "implausible_age:<field>". Also flags birth after `at`.
- name_sex (field, other | sex): a name's middle names say the sex ("Thị" a woman's, "Văn" a
  man's); against the sex field (`other`) or the column's own (`sex`: the husband's "Nam")
  -> "sex_mismatch:<field>": a misread sex, or a husband's and wife's columns swapped.
- max_delay (field, at, years, other): `at` (the registration) comes less than `years` after
  `field` (the event) unless `other` (the notes) says something -> "late_unnoted:<field>": a
  birth registered years late carries a note ("Đăng ký quá hạn"); without one, a year of
  either date is more likely misread ("1961" for 1967).
- same_surname (field, other): a child takes the father's surname; two surnames that are the
  same letters with other marks, or one letter apart ("Trình" / "Trịnh", "Lê" / "Lệ"), are
  one surname misread in one of them -> "surname_mismatch:<field>" and ":<other>". Surnames
  further apart are no evidence (a child may carry the mother's).
"""
from __future__ import annotations

from rapidfuzz.distance import Levenshtein

from configs.loader import Rule
from normalize.text import fold


# Middle names only one sex carries (in registers of 1956-2021).
_SEX_MIDDLE = {"thị": "Nữ", "văn": "Nam"}


def _surname(name: str | None) -> str | None:
    words = (name or "").split()
    return words[0].lower() if len(words) >= 2 else None


def sex_of_name(name: str | None) -> str | None:
    """ "Nguyễn Thị Lan" -> "Nữ", "Trần Văn An" -> "Nam" (by the middle names), else None
    (no telling middle name, or both)."""
    words = (name or "").lower().split()
    said = {_SEX_MIDDLE[w] for w in words[1:-1] if w in _SEX_MIDDLE}
    return said.pop() if len(said) == 1 else None


def _parts(iso: str | None) -> tuple[int, ...] | None:
    """(year[, month[, day]]) from a reduced-precision ISO date; None if not one."""
    if not iso:
        return None
    bits = iso.split("-")
    if not 1 <= len(bits) <= 3 or not all(b.isdigit() for b in bits):
        return None
    return tuple(int(b) for b in bits)


def _before(a: tuple[int, ...], b: tuple[int, ...]) -> bool:
    """a is certainly before b at their shared precision."""
    n = min(len(a), len(b))
    return a[:n] < b[:n]


def _low(d: tuple[int, ...]) -> tuple[int, int, int]:
    """The earliest full date a reduced-precision date can mean."""
    return (d + (1, 1))[:3] if len(d) < 3 else d  # type: ignore[return-value]


def _high(d: tuple[int, ...]) -> tuple[int, int, int]:
    """The latest full date a reduced-precision date can mean (day 31 is safe to compare)."""
    return (d + (12, 31)[len(d) - 1:])[:3] if len(d) < 3 else d  # type: ignore[return-value]


def _certainly_older(born: tuple[int, ...], at: tuple[int, ...], years: int) -> bool:
    """True when `at` is certainly at least `years` after `born`."""
    b, a = _high(born), _low(at)
    return a[0] - b[0] - ((a[1], a[2]) < (b[1], b[2])) >= years


def _certainly_younger(born: tuple[int, ...], at: tuple[int, ...], years: int) -> bool:
    """True when someone born `born` is certainly under `years` old on `at`."""
    b, a = _low(born), _high(at)
    age = a[0] - b[0] - ((a[1], a[2]) < (b[1], b[2]))
    return age < years


def cross_field_flags(register_type: str, values: dict[str, str | None], rules: tuple[Rule, ...], *,
                      min_year: int, max_year: int) -> list[str]:
    """Flags `reason:field` for every rule the normalised values certainly break.

    Args:
        register_type: birth, death or marriage (for messages; rules are already per type).
        values: normalised values by field name (dates as reduced-precision ISO strings).
        rules: the register config's rules.
        min_year, max_year: the plausible year window (settings.yaml `dates`).

    Returns:
        Flags in rule order, without duplicates. A rule whose dates are missing is skipped.
    """
    flags: list[str] = []
    for r in rules:
        a = _parts(values.get(r.field))
        if r.check == "year_range":
            if a is not None and not min_year <= a[0] <= max_year:
                flags.append(f"year_out_of_range:{r.field}")
        elif r.check == "not_before":
            b = _parts(values.get(r.other)) if r.other else None
            if a is not None and b is not None and _before(a, b):
                flags.append(f"date_order:{r.field}")
        elif r.check == "not_after":
            b = _parts(values.get(r.other)) if r.other else None
            if a is not None and b is not None and _before(b, a):
                flags.append(f"date_order:{r.field}")
        elif r.check == "min_age":
            at = _parts(values.get(r.at)) if r.at else None
            if a is None or at is None or r.years is None:
                continue
            if _before(at, a):
                flags.append(f"date_order:{r.field}")
            elif _certainly_younger(a, at, r.years):
                flags.append(f"implausible_age:{r.field}")
        elif r.check == "name_sex":
            said = r.sex or values.get(r.other or "")
            told = sex_of_name(values.get(r.field))
            if said in ("Nam", "Nữ") and told is not None and told != said:
                flags.append(f"sex_mismatch:{r.field}")
        elif r.check == "same_surname":
            a_s, b_s = _surname(values.get(r.field)), _surname(values.get(r.other or ""))
            if a_s and b_s and a_s != b_s and (fold(a_s) == fold(b_s)
                                               or Levenshtein.distance(a_s, b_s) == 1):
                flags += [f"surname_mismatch:{r.field}", f"surname_mismatch:{r.other}"]
        elif r.check == "max_delay":
            at = _parts(values.get(r.at)) if r.at else None
            if (a is not None and at is not None and r.years is not None
                    and not values.get(r.other or "") and _certainly_older(a, at, r.years)):
                flags.append(f"late_unnoted:{r.field}")
    return list(dict.fromkeys(flags))


def out_of_sequence(prev: str | None, cur: str | None, nxt: str | None) -> bool:
    """A register records cases in the order they come: a registration date before the one
    above it or after the one below it, where those two agree with each other, is certainly
    out of place ("19/12/1989" between 9/12 and 11/12: a 0 read as 9). Dates are
    reduced-precision ISO strings; compared at their shared precision."""
    p, c, n = _parts(prev), _parts(cur), _parts(nxt)
    if p is None or c is None or n is None or _before(n, p):
        return False
    return _before(c, p) or _before(n, c)

