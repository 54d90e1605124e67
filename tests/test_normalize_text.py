"""normalize.text and normalize.syllables: Unicode repair, traditional tones, syllable rules."""
from __future__ import annotations

import os
import re
import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from normalize.syllables import HUNSPELL_DIC, hunspell_syllables, is_valid, parse
from normalize.text import apply_tone, clean_text, fold, retone, split_tone

# The contract checker's regex for new-style tone placement (shared/contract_check.py).
NEW_STYLE = re.compile(r"(?i)(o[àáảãạ]|o[èéẻẽẹ]|(?<!q)u[ỳýỷỹỵ])(?![a-zà-ỹđ])")


@pytest.mark.parametrize("raw, want", [
    ("hoà", "hòa"), ("Thuỷ", "Thủy"), ("khoẻ", "khỏe"), ("quý", "quý"), ("HOÀ", "HÒA"),
    ("Thuý", "Thúy"), ("ngoài", "ngoài"), ("Quỳnh", "Quỳnh"), ("giữa", "giữa"), ("gìn", "gìn"),
    ("hoàn", "hoàn"), ("thuở", "thuở"), ("khuỷu", "khuỷu"), ("Nguyễn", "Nguyễn"),
])
def test_traditional_tone_placement(raw, want):
    assert retone(raw) == want
    assert not NEW_STYLE.search(clean_text(f"xã {raw} thôn"))


def test_decomposed_and_stray_marks_repaired():
    assert clean_text("Nguye\u0302\u0303n") == "Nguyễn"
    assert clean_text("a\u0301\u0301") == "á"                # doubled tone
    assert clean_text(" \u0301abc") == "abc"                 # orphaned mark
    assert clean_text("Ðức") == "Đức"                        # Icelandic eth from legacy encodings
    assert clean_text("  Nguyễn \t thị   thu  ") == "Nguyễn thị thu"
    assert clean_text("“Lan” – Hà Nội ,") == '"Lan" - Hà Nội,'


def test_split_and_apply_tone_roundtrip():
    assert split_tone("Trần") == ("Trân", 1)
    assert apply_tone("Hoa", 1) == "Hòa"
    assert fold("Đặng Thị") == "dang thi"


@pytest.mark.parametrize("word", ["Nguyễn", "Trần", "quý", "giữa", "gìn", "Khuê", "Uy", "yên", "thuở",
                                  "quốc", "Quỳnh", "nghiêng", "khuỷu"])
def test_valid_syllables(word):
    assert is_valid(word)


@pytest.mark.parametrize("word", ["Trâà", "tầt", "cim", "ghạ", "ngê", "qoa", "Nguyễn1", "bxa", "thànk"])
def test_impossible_syllables(word):
    # tầt: stop final with huyền; cim/ngê: c/ng before a front vowel; Trâà: no such rhyme.
    assert not is_valid(word)


def test_stop_finals_take_only_sac_or_nang():
    assert parse("tất").tone == 2 and parse("tật").tone == 5
    assert all(not is_valid(w) for w in ("tat", "tàt", "tảt", "tãt"))


def test_every_hunspell_syllable_passes_except_loanwords():
    if not HUNSPELL_DIC.is_file():
        if os.environ.get("CI"):
            pytest.fail("hunspell-vi missing: `make install` installs it (APT_PACKAGES)")
        pytest.skip("hunspell-vi not installed")
    words = hunspell_syllables()
    bad = sorted(w for w in words if not is_valid(w))
    assert len(words) > 6000
    # The list's few loanwords and typos (email, internet, têt...) are the only failures.
    assert len(bad) < 30, bad


VIET = st.text(alphabet=st.sampled_from(list("aăâeêioôơuưydđbcghklmnpqrstvx ĐƯƠÂ") +
                                        ["\u0300", "\u0301", "\u0303", "\u0309", "\u0323", "\u0302", "\u031b"]),
               max_size=30)


@settings(max_examples=200, deadline=None)
@given(st.one_of(VIET, st.text(max_size=40)))
def test_clean_text_is_total_nfc_and_idempotent(s):
    out = clean_text(s)
    assert unicodedata.is_normalized("NFC", out)
    assert clean_text(out) == out
    assert out == out.strip() and "  " not in out


def test_a_period_glued_between_words_is_a_speck_but_abbreviations_stay():
    from normalize.text import speck_periods

    assert speck_periods("Suy.tim") == "Suy tim" and speck_periods("Phường.Kim Mã") == "Phường Kim Mã"
    assert speck_periods("P.Bạch Mai") == "P.Bạch Mai" and speck_periods("TP.HCM") == "TP.HCM"
    assert speck_periods("Già yếu. Bệnh tim") == "Già yếu. Bệnh tim"
