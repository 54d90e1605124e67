"""normalize.checks: cross-field rules from the register configs, at shared precision."""
from __future__ import annotations

from configs.loader import Rule, load_config
from normalize.checks import cross_field_flags

CFG = load_config()


def flags(rtype, **values):
    return cross_field_flags(rtype, values, CFG.registers[rtype].rules, min_year=CFG.min_year,
                             max_year=CFG.max_year)


def test_birth_before_registration():
    assert flags("birth", date_of_birth="1965-03-02", registration_date="1965-03-10") == []
    # either may be the misread one: both are flagged
    assert flags("birth", date_of_birth="1966-01-02", registration_date="1965-03-10") == \
        ["date_order:registration_date", "date_order:date_of_birth"]


def test_reduced_precision_is_not_a_violation():
    assert flags("birth", date_of_birth="1965", registration_date="1965-03-02") == []
    assert flags("birth", date_of_birth="1965-03", registration_date="1965-03-02") == []
    assert flags("birth", date_of_birth="1965-04", registration_date="1965") == []


def test_death_after_birth_and_registration_after_death():
    assert flags("death", date_of_birth="1930", date_of_death="1990-05-01",
                 registration_date="1990-05-03") == []
    assert flags("death", date_of_birth="1995", date_of_death="1990-05-01",
                 registration_date="1990-04-03") == ["date_order:date_of_death", "date_order:registration_date",
                                                     "date_order:date_of_birth"]


def test_marriage_age():
    assert flags("marriage", husband_date_of_birth="1960", wife_date_of_birth="1962-05-01",
                 registration_date="1985-06-01") == []
    assert flags("marriage", husband_date_of_birth="1974", wife_date_of_birth="1975-03-02",
                 registration_date="1990-01-05") == ["implausible_age:husband_date_of_birth",
                                                     "implausible_age:wife_date_of_birth"]
    # Born 1972 (any day) and married 1990-01-05: perhaps already 18: not certain, no flag.
    assert flags("marriage", husband_date_of_birth="1972", wife_date_of_birth="1960",
                 registration_date="1990-01-05") == []


def test_year_range_and_missing_values():
    assert flags("birth", date_of_birth="1850-01-01", registration_date=None) == ["year_out_of_range:date_of_birth"]
    assert flags("birth", date_of_birth=None, registration_date=None) == []
    rules = (Rule(check="year_range", field="registration_date"),)
    assert cross_field_flags("birth", {"registration_date": "2030"}, rules, min_year=1880, max_year=2021) == \
        ["year_out_of_range:registration_date"]


def test_a_birth_after_the_registration_flags_the_birth_date():
    assert "date_order:date_of_birth" in flags("death", date_of_birth="1994", registration_date="1989-01-05")
    assert "date_order:date_of_birth" not in flags("death", date_of_birth="1904", registration_date="1989-01-05")


def test_a_birth_registered_years_late_needs_a_note():
    # 1961 in a 1967 book, no note: one of the two years is likely misread
    assert flags("birth", date_of_birth="1961-03-02", registration_date="1967-04-10") == \
        ["late_unnoted:date_of_birth"]
    assert flags("birth", date_of_birth="1961-03-02", registration_date="1967-04-10",
                 notes="Đăng ký quá hạn") == []
    # under a year late, or not certainly a year at the precision read: nothing to say
    assert flags("birth", date_of_birth="1966-05-02", registration_date="1967-04-10") == []
    assert flags("birth", date_of_birth="1966", registration_date="1967-04-10") == []
    assert flags("birth", date_of_birth="1965", registration_date="1967-04-10") == ["late_unnoted:date_of_birth"]
    assert flags("death", date_of_birth="1900", date_of_death="1975-01-02", registration_date="1978-01-05") == \
        ["late_unnoted:date_of_death"]


def test_middle_names_that_tell_the_sex_against_the_sex_read_or_the_column():
    assert flags("birth", full_name="Nguyễn Thị Lan", sex="Nam") == ["sex_mismatch:full_name"]
    assert flags("birth", full_name="Nguyễn Thị Lan", sex="Nữ") == []
    assert flags("birth", full_name="Nguyễn Minh Anh", sex="Nữ") == []  # Minh tells nothing
    # the husband's and the wife's columns read the wrong way round
    assert flags("marriage", husband_name="Đào Thị Hải", wife_name="Lê Văn Quyền") == \
        ["sex_mismatch:husband_name", "sex_mismatch:wife_name"]
    assert flags("marriage", husband_name="Lê Văn Quyền", wife_name="Đào Thị Hải") == []


def test_a_child_and_father_whose_surnames_differ_by_one_mark_are_both_flagged():
    from configs.loader import load_config
    from normalize.checks import cross_field_flags

    rules = load_config().registers["birth"].rules

    def flags(child, father):
        return cross_field_flags("birth", {"full_name": child, "father_name": father}, rules,
                                 min_year=1900, max_year=2030)

    assert {"surname_mismatch:full_name", "surname_mismatch:father_name"} <= set(
        flags("Trình Thu Tâm", "Trịnh Văn Hùng"))
    assert "surname_mismatch:full_name" in flags("Lệ Thị Hoa", "Lê Văn Nam")
    # the same surname, or a different one (the mother's), is no evidence
    assert not [f for f in flags("Trịnh Thu Tâm", "Trịnh Văn Hùng") if f.startswith("surname")]
    assert not [f for f in flags("Nguyễn Thu Tâm", "Trịnh Văn Hùng") if f.startswith("surname")]
    assert not [f for f in flags("Trình Thu Tâm", None) if f.startswith("surname")]
