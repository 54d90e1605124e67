"""The recogniser's own evidence (glyph alternatives) in the name repair (issue 18)."""
from __future__ import annotations

import numpy as np
import pytest

from normalize.evidence import Glyph, ReadEvidence, token_alternatives
from normalize.field import normalize_field
from normalize.names import normalize_name


def _plain(text: str) -> ReadEvidence:
    """Evidence with no alternatives: every glyph as read, at 0.95."""
    return ReadEvidence(tuple(tuple(Glyph(c, ((c, 0.95),), 0.95) for c in w) for w in text.split()))


def _with(text: str, word: int, pos: int, choices: tuple[tuple[str, float], ...]) -> ReadEvidence:
    words = [list(w) for w in _plain(text).words]
    g = words[word][pos]
    words[word][pos] = Glyph(g.text, choices, 0.95)
    return ReadEvidence(tuple(tuple(w) for w in words))


# "LÊ QUẾ THỦ" for Lê Quế Thu (a measured read, Arimo capitals): Tesseract printed Ủ but
# weighed U as high (0.856 against 0.854).
THU = _with("LÊ QUẾ THỦ", 2, 2, (("U", 0.8555), ("Ủ", 0.8543), ("Ù", 0.5992), ("Ư", 0.4844)))


def test_a_real_name_read_is_changed_on_the_recognisers_own_choice_and_flagged():
    got = normalize_field("full_name", "LÊ QUẾ THỦ", evidence=THU)
    assert got.value == "Lê Quế Thu"
    assert "name_repaired" in got.flags
    assert "evidence:thủ->thu" in got.steps


def test_the_same_read_without_evidence_is_kept():
    got = normalize_field("full_name", "LÊ QUẾ THỦ")
    assert got.value == "Lê Quế Thủ"
    assert "name_repaired" not in got.flags and "name_alternative" in got.flags


def test_a_weak_second_choice_changes_nothing():
    # Trần Văn Tuân read right; the recogniser weighed ấ at a third of â: Tuấn is commoner,
    # but the read stands (a real name is never rewritten on the name model alone)
    ev = _with("Trần Văn Tuân", 2, 2, (("â", 0.93), ("ấ", 0.30)))
    got = normalize_field("full_name", "Trần Văn Tuân", evidence=ev)
    assert got.value == "Trần Văn Tuân"
    assert "name_repaired" not in got.flags


def test_no_alternatives_is_the_same_as_no_evidence():
    for raw in ("LÊ QUẾ THỦ", "Trần Văn Tuân", "Nguyễn Thị Cấm", "NGUYÊN VĂN HÙNG", "Lê Văn Dung"):
        assert normalize_field("full_name", raw, evidence=_plain(raw)) == normalize_field("full_name", raw)


def test_evidence_for_other_text_is_ignored():
    # the read was cleaned in between ("THỦ." or another line): glyphs do not line up, no change
    assert token_alternatives(THU, "thu") is None
    got = normalize_name("Lê Quế Thủ Hà", evidence=_with("Lê Quế Thà", 2, 2, (("u", 0.9),)))
    assert got == normalize_name("Lê Quế Thủ Hà")


def test_evidence_survives_json():
    assert ReadEvidence.from_json(THU.to_json()) == THU
    assert THU.text == "LÊ QUẾ THỦ"


@pytest.mark.tesseract
def test_read_line_gives_glyph_choices_for_the_text_it_read():
    from PIL import Image, ImageDraw, ImageFont

    from ocr.tesseract import make_engine, read_line

    font = ImageFont.truetype("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", 32)
    img = Image.new("L", (420, 60), 255)
    ImageDraw.Draw(img).text((10, 10), "Trần Thị Thu", font=font, fill=0)
    eng = make_engine()
    a = np.asarray(img)
    with_choices = read_line(eng, a, choices=True)
    assert with_choices.evidence is not None
    assert with_choices.evidence.text == with_choices.text
    assert all(g.choices for w in with_choices.evidence.words for g in w)
    plain = read_line(eng, a)  # the engine is back to plain reads
    assert plain.evidence is None and plain.text == with_choices.text


def test_the_page_reader_passes_a_name_cells_glyph_choices_to_the_repair():
    from configs.loader import load_config
    from ocr.entry import Entry
    from ocr.recognize import CellText, TextLine
    from pipeline.extract.record import Provenance, extract_record

    cfg = load_config()
    prov = Provenance("vol-1", "vol-1.pdf", 1, "ledger", "ab" * 32, cfg.hash)

    def cell(text: str, evidence: ReadEvidence | None = None) -> CellText:
        line = TextLine((0, 0, 10, 10), text, 0.97, ((text, 97.0, (0, 0, 10, 10)),), evidence)
        return CellText((0, 0, 10, 10), (line,))

    def entry(name: CellText) -> Entry:
        return Entry(row=1, bbox=(0, 0, 900, 80), cells={
            "entry_no": cell("125"), "registration_date": cell("12/3/1972"), "full_name": name,
            "sex": cell("Nữ"), "date_of_birth": cell("2/3/1972"), "mother_name": cell("Trần Thị Bình")})

    got = extract_record(entry(cell("LÊ QUẾ THỦ", THU)), "birth", prov, cfg)
    assert got["full_name"] == "Lê Quế Thu" and got["full_name_raw"] == "LÊ QUẾ THỦ"
    assert "name_repaired:full_name" in got["flags"]
    plain = extract_record(entry(cell("LÊ QUẾ THỦ")), "birth", prov, cfg)
    assert plain["full_name"] == "Lê Quế Thủ" and "name_alternative:full_name" in plain["flags"]


@pytest.mark.tesseract
def test_read_box_keeps_the_choices_of_a_name_cell_only_when_asked():
    from PIL import Image, ImageDraw, ImageFont

    from ocr.recognize import prepare_page, read_box
    from ocr.tesseract import make_engine

    font = ImageFont.truetype("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", 32)
    img = Image.new("L", (460, 80), 255)
    ImageDraw.Draw(img).text((10, 20), "Nguyễn Thị Thu", font=font, fill=0)
    page = prepare_page(np.asarray(img))
    eng = make_engine()
    named = read_box(eng, page, (0, 0, 460, 80), choices=True)
    assert named.evidence is not None and named.evidence.text == named.text
    assert read_box(eng, page, (0, 0, 460, 80)).evidence is None
