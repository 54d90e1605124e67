"""Form pages: "Label: value" lines split into fields and entries."""
from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from configs.loader import load_config
from ocr.forms import group_entries, label_vocab, parse_line
from ocr.recognize import TextLine

CFG = load_config()
BIRTH = CFG.registers["birth"]
VOCAB = label_vocab([BIRTH])


def words(text: str, y: int = 0, conf: float = 95.0) -> list:
    """Word tuples as Tesseract gives them, laid out left to right."""
    out, x = [], 100
    for w in text.split():
        out.append((w, conf, (x, y, x + 20 * len(w), y + 30)))
        x += 20 * len(w) + 15
    return out


def pairs(text: str) -> list[tuple[str | None, str]]:
    return [(p.field, " ".join(w[0] for w in p.words)) for p in parse_line(words(text), VOCAB, CFG.header_match)]


def test_one_label_per_line():
    assert pairs("Họ và tên: Nguyễn Văn An") == [("full_name", "Nguyễn Văn An")]
    assert pairs("Ngày, tháng, năm sinh: 12/3/1972") == [("date_of_birth", "12/3/1972")]


def test_inline_pairs_split_at_the_next_label():
    assert pairs("Giới tính: Nam Dân tộc: Kinh Quốc tịch: Việt Nam") == [
        ("sex", "Nam"), ("ethnicity", "Kinh"), ("nationality", "Việt Nam")]
    assert pairs("Số: 125 Ngày đăng ký: 3/4/1972") == [("entry_no", "125"), ("registration_date", "3/4/1972")]


def test_misread_colons_still_close_labels():
    assert pairs("Nam hay nữ' Nữ Dân tộc' Kinh") == [("sex", "Nữ"), ("ethnicity", "Kinh")]
    assert pairs('Số" 2/1961 Ngày khai: 30/7/1961') == [("entry_no", "2/1961"), ("registration_date", "30/7/1961")]
    # a colon's dots read low and glued to both words: taken for "Họ và tên" + a value, the
    # father's name started a new (spurious) entry
    assert pairs("Họ và tên cha„HOÀNG VĂN CƯƠNG") == [("father_name", "HOÀNG VĂN CƯƠNG")]
    # an i read as 1 just before the colon is no time of day
    assert pairs("Trai/Gá1: Nữ") == [("sex", "Nữ")]
    # a speck after "tên" is no colon when the label goes on to "bố:" (the father, not the
    # child: taken for the child's name it split the entry in two)
    assert pairs("Họ và tên. bố: TRẦN ĐÌNH NAM") == [("father_name", "TRẦN ĐÌNH NAM")]
    # even a speck read as a real colon, when the words after it make a closer label:
    # "Ngày sinh:" taken alone gave the wife's birth date "của" and split the entry
    marriage = label_vocab([CFG.registers["marriage"]])
    got = parse_line(words("Ngày sinh: của chồng: 1965"), marriage, CFG.header_match)
    assert [(p.field, " ".join(w[0] for w in p.words)) for p in got] == [("husband_date_of_birth", "1965")]
    # a real colon followed by a value is still the label's end
    assert pairs("Ngày sinh: 12/3/1972 Nơi sinh: Hà Nội") == [("date_of_birth", "12/3/1972"),
                                                              ("place_of_birth", "Hà Nội")]


def test_a_first_label_without_its_colon_still_lets_the_next_pairs_split():
    assert pairs("Nam hay nữ Nam Quốc tịch: Việt Nam") == [("sex", "Nam"), ("nationality", "Việt Nam")]
    assert pairs("Giới tính Nữ Dân tộc: Kinh Quốc tịch: Việt Nam") == [
        ("sex", "Nữ"), ("ethnicity", "Kinh"), ("nationality", "Việt Nam")]


def test_an_unreadable_line_start_does_not_lose_the_label_after_it():
    # "STT: 9/1973" read as "6TT: 971913": the registration date behind it was lost with it
    assert pairs("6TT: 971913 Ngày đăng ký: 12/12/1973") == [("registration_date", "12/12/1973")]
    assert pairs("VSTEL7/1915 Ngày đăng ký: 14/9/1973") == [("registration_date", "14/9/1973")]
    # a short label inside a line's first words still is no label
    assert pairs("Sổ hộ tịch số: 4") == []


def test_colon_inside_a_value_and_foreign_lines_are_not_labels():
    assert pairs("Quyển số: 12 - Năm 1961") == []  # "số" inside "Quyển số" is no label
    assert pairs("UBND phường Bạch Mai") == []
    # a time in a value does not split it
    assert pairs("Ghi chú: lúc 6:15 sáng") == [("notes", "lúc 6:15 sáng")]


def test_empty_value_keeps_its_label():
    assert pairs("Ghi chú:") == [("notes", "")]


def _line(text: str, y: int) -> TextLine:
    ws = tuple(words(text, y))
    return TextLine((100, y, 900, y + 30), text, 0.95, ws)


def test_entries_split_at_entry_number_wrapped_values_join_and_page_numbers_stay_out():
    lines = [_line("SỔ ĐĂNG KÝ KHAI SINH", 0),
             _line("Số: 1 Ngày đăng ký: 2/1/1972", 100), _line("Họ và tên: Nguyễn Văn An", 140),
             _line("Nơi sinh: Phường Bạch Mai, Quận Hai", 180), _line("Bà Trưng, Hà Nội", 212),
             _line("Ghi chú:", 250),
             _line("Số: 2 Ngày đăng ký: 5/1/1972", 400), _line("Họ và tên: Trần Thị Bình", 440),
             _line("Ghi chú:", 480),
             _line("44", 1500)]  # the printed page number, far below
    entries, outside = group_entries(lines, BIRTH, CFG.header_match)
    assert [e.row for e in entries] == [1, 2]
    assert entries[0].cells["entry_no"].text == "1"
    assert entries[0].cells["place_of_birth"].text == "Phường Bạch Mai, Quận Hai Bà Trưng, Hà Nội"
    assert entries[1].cells["full_name"].text == "Trần Thị Bình"
    assert entries[1].cells["notes"].empty
    assert [l.text for l in outside] == ["SỔ ĐĂNG KÝ KHAI SINH", "44"]
    # entry 2 has no "Nơi sinh" line while entry 1 has: flagged, not silently empty
    assert "label_not_found:place_of_birth" in entries[1].flags
    assert entries[0].bbox[1] == 100 and entries[1].bbox[1] == 400


def test_repeated_field_starts_a_new_entry_when_the_number_line_is_unreadable():
    lines = [_line("Số: 1 Ngày đăng ký: 2/1/1972", 100), _line("Họ và tên: Nguyễn Văn An", 140),
             _line("s83 Ngày đăng ký: 5/1/1972", 300), _line("Họ và tên: Trần Thị Bình", 340)]
    entries, _ = group_entries(lines, BIRTH, CFG.header_match)
    assert len(entries) == 2
    assert "entry_no" not in entries[1].cells  # extraction flags it missing_required


def test_a_value_s_second_reads_see_the_whole_stretch_after_its_label():
    # the first read made "TI 1TN" of the middle of "VŨ THU MINH": a second read cropped
    # to those words could not see the rest
    tl = _line("Họ và tên mẹ: TI 1TN", 100)  # ink from x=100 to 900
    inline = _line("Giới tính: Nam Dân tộc: Kinh", 140)
    bare = _line("Ngày đăng ký:", 180)  # the faint value beside it read as nothing
    entries, _ = group_entries([_line("Số: 1", 60), tl, inline, bare], BIRTH, CFG.header_match)
    cells = entries[0].cells
    label_end = tl.words[3][2][2]
    assert cells["mother_name"].lines[0].bbox == (label_end, 100, 900, 130)
    assert cells["mother_name"].text == "TI 1TN"
    # an inline value ends where the next label starts
    assert cells["sex"].lines[0].bbox[2] == inline.words[3][2][0]  # "Dân"
    # a label whose line's ink goes on with nothing read: a cell to read on its own
    reg = cells["registration_date"]
    assert reg.empty and reg.unread and reg.bbox == (bare.words[-1][2][2], 180, 900, 210)


@pytest.mark.tesseract
def test_form_page_read_end_to_end():
    from ocr.forms import read_form, read_lines, rule_mask
    from ocr.recognize import prepare_page
    from ocr.tesseract import make_engine
    from tests.synth import form

    entries = [[("Số", "12"), ("Họ và tên", "Nguyễn Văn An"), ("Giới tính", "Nam"),
                ("Ngày, tháng, năm sinh", "2/3/1972")],
               [("Số", "13"), ("Họ và tên", "Trần Thị Bình"), ("Giới tính", "Nữ"),
                ("Ngày, tháng, năm sinh", "5/3/1972")],
               [("Số", "14")]]  # the next number carried to the foot of the page: no entry
    img, boxes = form(entries, size=(1240, 1100), pt=30)
    gray = np.array(img)
    page = prepare_page(gray, rule_mask(gray), leaders=True)
    engine = make_engine()
    lines, _ = read_lines(engine, page, (0, 0, gray.shape[1], gray.shape[0]))
    fr = read_form(engine, page, BIRTH, CFG, lines=lines)
    assert len(fr.entries) == 2
    got = [{f: c.text for f, c in e.cells.items()} for e in fr.entries]
    assert got[0] == {"entry_no": "12", "full_name": "Nguyễn Văn An", "sex": "Nam", "date_of_birth": "2/3/1972"}
    assert got[1]["full_name"] == "Trần Thị Bình" and got[1]["sex"] == "Nữ"
    for e, (x0, y0, x1, y1) in zip(fr.entries, boxes):
        assert y0 - 10 <= e.bbox[1] and e.bbox[3] <= y1 + 10


def test_a_label_that_lost_its_colon_to_a_letter_still_names_the_father():
    # "Họ tên cha:" read "Họ tên chat": not the child's name again (that would start a
    # second entry); a value in capitals after "Họ tên" stays the child's name
    assert pairs("Họ tên chat HOÀNG TRỌNG KHÁNH") == [("father_name", "HOÀNG TRỌNG KHÁNH")]
    assert pairs("Họ tên CHU VĂN AN") == [("full_name", "CHU VĂN AN")]


def test_a_caption_far_right_of_the_labels_is_no_entry():
    lines = [_line("Số: 1 Ngày đăng ký: 2/1/1972", 100), _line("Họ và tên: Nguyễn Văn An", 140),
             _line("Người đi khai: Trần Văn Bình", 180)]
    ws = words("Người ghi sổ", 600)
    caption = TextLine((1900, 600, 2100, 630), "Người ghi sổ",
                       0.95, tuple((t, c, (b[0] + 1800, b[1], b[2] + 1800, b[3])) for t, c, b in ws))
    entries, outside = group_entries(lines + [caption], BIRTH, CFG.header_match)
    assert len(entries) == 1 and outside == [caption]


@pytest.mark.tesseract
def test_faint_values_beside_bold_labels_are_read_on_their_own():
    # a clerk's light typing after the form's bold printed labels: Tesseract's read of the
    # whole line kept the labels and returned none of the values
    from PIL import Image, ImageDraw, ImageFilter, ImageFont

    from ocr.forms import read_form, read_lines, rule_mask
    from ocr.recognize import prepare_page
    from ocr.tesseract import make_engine

    bold = ImageFont.truetype("/usr/share/fonts/truetype/dejavu/DejaVuSansMono-Bold.ttf", 28)
    typed = ImageFont.truetype("/usr/share/fonts/truetype/freefont/FreeMono.ttf", 28)
    rows = [("Số: ", "12/2013"), ("Ngày tháng năm đăng ký: ", "15/7/2013"),
            ("Họ tên người được khai sinh: ", "LÊ THỊ MAI"), ("Giới tính: ", "Nữ"),
            ("Họ và tên mẹ: ", "VŨ THU MINH")]
    img = Image.new("L", (1400, 700), 248)
    d = ImageDraw.Draw(img)
    for i, (label, value) in enumerate(rows):
        y = 80 + 60 * i
        d.text((60, y), label, font=bold, fill=30)
        d.text((60 + bold.getlength(label), y), value, font=typed, fill=190)
    gray = np.array(img.filter(ImageFilter.GaussianBlur(0.7)))
    page = prepare_page(gray, rule_mask(gray), leaders=True)
    engine = make_engine()
    lines, _ = read_lines(engine, page, (0, 0, gray.shape[1], gray.shape[0]))
    fr = read_form(engine, page, BIRTH, CFG, lines=lines)
    cells = {f: c.text for f, c in fr.entries[0].cells.items()}
    assert cells["registration_date"] == "15/7/2013"
    assert cells["full_name"] == "LÊ THỊ MAI"
    assert cells["sex"] == "Nữ"
    assert cells["mother_name"] == "VŨ THU MINH"


DEATH = CFG.registers["death"]


def _death_page(name_label: str, sex_label: str) -> list[TextLine]:
    """Two numbered death entries whose labels are worded `name_label` / `sex_label`."""
    lines, y = [], 100
    for n, (who, sex, decl) in enumerate([("Trần Quang Hoàng", "Nam", "Trần Văn Trí"),
                                          ("Lê Thị Tuyết", "Nữ", "Nguyễn Ngọc Việt")], 1):
        for text in (f"STT: {n}", f"{name_label}: {who}", f"{sex_label}: {sex}",
                     "Dân tộc: Kinh", f"Họ và tên người đi khai: {decl}", "Ghi chú (cải chính, bổ sung):"):
            lines.append(_line(text, y))
            y += 40
        y += 120
    return lines


def test_two_labels_of_a_page_never_mean_one_field():
    # alone, "Họ và tên người đã mất" ranks nearest the declarant's "Họ và tên người đi
    # khai": it took the declarant's field and split every entry in two
    entries, _ = group_entries(_death_page("Họ và tên người đã mất", "Giới tính"), DEATH, CFG.header_match)
    assert len(entries) == 2
    assert [e.cells["full_name"].text for e in entries] == ["Trần Quang Hoàng", "Lê Thị Tuyết"]
    assert [e.cells["declarant_name"].text for e in entries] == ["Trần Văn Trí", "Nguyễn Ngọc Việt"]
    # the bracketed qualifier is the label's, not the note's value
    assert all(e.cells["notes"].empty for e in entries)
    assert not any("entry_unnumbered" in e.flags or "unmapped_label" in e.flags for e in entries)


def _reads_as(field, text):
    from pipeline.extract.page import reads_as
    return reads_as(field, text)


def test_a_label_nobody_knows_is_told_by_its_values_or_flagged():
    lines = _death_page("Họ và tên người đã mất", "Phái")  # an older wording of "Giới tính"
    entries, _ = group_entries(lines, DEATH, CFG.header_match, fits=_reads_as)
    assert [e.cells["sex"].text for e in entries] == ["Nam", "Nữ"]
    assert all("label_inferred:sex" in e.flags for e in entries)
    # without the values' evidence the value goes to no field, loudly: never glued to the
    # field above, never silently dropped
    entries, _ = group_entries(lines, DEATH, CFG.header_match)
    assert all("sex" not in e.cells for e in entries)
    assert [e.cells["full_name"].text for e in entries] == ["Trần Quang Hoàng", "Lê Thị Tuyết"]
    assert all("unmapped_label" in e.flags for e in entries)


def test_a_block_without_a_number_on_a_numbered_page_is_flagged():
    lines = _death_page("Họ và tên người đã mất", "Giới tính")
    # a second "Họ và tên người đi khai" (a misprint, or an entry's tail) in entry 2
    lines.append(_line("Họ và tên người đi khai: Phạm Văn Huy", lines[-1].bbox[1] + 40))
    entries, _ = group_entries(lines, DEATH, CFG.header_match)
    assert len(entries) == 3
    assert "entry_unnumbered" in entries[2].flags
    assert "entry_unnumbered" not in entries[0].flags and "entry_unnumbered" not in entries[1].flags


def test_the_gap_between_entries_opens_an_entry_whose_number_line_was_misread():
    # entry 1's own date line was lost; entry 2's number label misread: by field repetition
    # alone entry 2's registration date went to entry 1, silently
    lines = [_line("Số: 1", 100), _line("Họ và tên: Nguyễn Văn An", 140), _line("Ghi chú:", 180),
             _line("S6 2", 320), _line("Ngày đăng ký: 5/1/1972", 360), _line("Họ và tên: Trần Thị Bình", 400),
             _line("Ghi chú:", 440)]
    entries, _ = group_entries(lines, BIRTH, CFG.header_match)
    assert len(entries) == 2
    assert "registration_date" not in entries[0].cells
    assert entries[1].cells["registration_date"].text == "5/1/1972"
    assert entries[1].cells["full_name"].text == "Trần Thị Bình"


def test_a_bracketed_qualifier_to_the_end_of_the_line_is_the_label_not_a_note():
    # its colon lost, or its last word cut by a stamp: "(cải chính, bổ sung)" became the note
    assert pairs("Ghi chú (cải chính, bổ sung)") == [("notes", "")]
    assert pairs("Ghi chú (cải chính, bổ su") == [("notes", "")]
    assert pairs("Ghi chú (cải chỉnh, bổ PM") == [("notes", "")]
    assert pairs("Ghi chú (cải chính, bổ su ):") == [("notes", "")]
    assert pairs("Ghi chú (cải chính,bổsu -") == [("notes", "")]
    assert pairs("Ghi chú (cải chính) Bổ sung ngày sinh") == [("notes", "Bổ sung ngày sinh")]
    # a value after the qualifier's colon is still the note; a note in capitals is a note
    assert pairs("Ghi chú (cải chính, bổ sung): Bổ sung ngày sinh") == [("notes", "Bổ sung ngày sinh")]
    assert pairs("Ghi chú Cải chính họ tên") == [("notes", "Cải chính họ tên")]


@pytest.mark.tesseract
def test_a_label_line_misread_at_the_labels_margin_is_read_again_from_the_page():
    # "Số TT: 1" over a dotted leader on grey paper came back "S0 EEXST" (Cousine, fam330):
    # every entry lost its number. The misread line is given as read; the second read comes
    # from the page's pixels, binarised; a line away from the labels' margin is left alone
    from PIL import Image, ImageDraw, ImageFont

    from ocr.forms import _reread_label_lines, rule_mask
    from ocr.recognize import prepare_page
    from ocr.tesseract import make_engine

    font = ImageFont.truetype("/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf", 28)
    img = Image.new("L", (1400, 400), 236)
    d = ImageDraw.Draw(img)
    rows = [(60, 80, "Số TT: 1"), (60, 140, "Họ và tên: Nguyễn Văn An"), (60, 200, "Giới tính: Nam"),
            (700, 300, "Cán bộ Tư pháp")]
    boxes = []
    for x, y, text in rows:
        d.text((x, y), text, font=font, fill=70)
        x0, y0, x1, y1 = d.textbbox((x, y), text, font=font)
        boxes.append((x0 - 2, y0 - 4, x1 + 2, y1 + 4))
    gray = np.array(img)
    page = prepare_page(gray, rule_mask(gray), leaders=True)
    as_read = [TextLine(boxes[0], "S0 EEXST", 0.0, tuple(words("S0 EEXST", boxes[0][1]))),
               *(_line(t, b[1]) for (_, _, t), b in zip(rows[1:3], boxes[1:3])),
               TextLine(boxes[3], "Cán bộ Tu phap", 0.3, tuple((t, c, (b[0] + 640, b[1], b[2] + 640, b[3]))
                                                              for t, c, b in words("Cán bộ Tu phap", boxes[3][1])))]
    as_read = [replace(l, bbox=(60, l.bbox[1], l.bbox[2], l.bbox[3])) if i in (1, 2) else l
               for i, l in enumerate(as_read)]
    got, _, seconds = _reread_label_lines(make_engine(), page, as_read, VOCAB, CFG.header_match)
    assert got[0].text.endswith("TT: 1") and seconds > 0
    assert got[0].words[0][2][0] == pytest.approx(boxes[0][0], abs=12)  # boxes back in page pixels
    assert got[1:] == as_read[1:]  # labelled lines and the far caption are not read again
    entries, _ = group_entries(got, BIRTH, CFG.header_match)
    assert entries[0].cells["entry_no"].text == "1"
