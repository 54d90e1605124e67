"""`hotich export --format moj`: the import workbook, its checks, and one PDF per case."""
from __future__ import annotations

import csv
import dataclasses
import io
import re
import subprocess
import zipfile
from pathlib import Path

import cv2
import numpy as np
import openpyxl
import pytest
from PIL import Image

import cli
from pipeline.export.checks import check_rows
from pipeline.export.mapping import load_mapping
from pipeline.export.moj import format_date, map_record
from pipeline.export.moj_export import export_moj
from pipeline.export.pdfcases import PageScan, case_pdf, crop_box, crop_jpeg, load_page, page_preview
from schemas.errors import ConfigError, ExitCode
from tests.export_fixture import build_out

SEX = {"Nam": "1", "Nữ": "2", None: "3"}


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    return build_out(tmp_path_factory.mktemp("out"))


@pytest.fixture(scope="module")
def moj(built, tmp_path_factory):
    dest = tmp_path_factory.mktemp("moj")
    return dest, {b.volume_id: b for b in export_moj(built.out, dest)}


def _sheet(path: Path) -> list[dict]:
    wb = openpyxl.load_workbook(path, read_only=True)
    rows = list(wb.worksheets[0].iter_rows(values_only=True))
    wb.close()
    width = len(rows[0])  # trailing empty cells are not stored
    return [dict(zip(rows[0], ("" if v is None else v for v in (*r, *[None] * (width - len(r))))))
            for r in rows[1:]]


def _read_csv(path: Path) -> list[dict]:
    with open(path, encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))


def _iso_to_moj(iso):
    if iso is None:
        return ""
    parts = iso.split("-")
    return ".".join(reversed(parts)) if len(parts) == 3 else parts[0]


def test_format_date_all_precisions():
    assert format_date("1965-03-12") == ("12.03.1965", None)
    assert format_date("1965") == ("1965", None)
    assert format_date("1965-03") == ("1965", "03.1965")
    assert format_date("1965-03", "mm.yyyy") == ("03.1965", None)
    assert format_date(None) == ("", None)
    assert format_date("12 tháng 3") == ("12 tháng 3", None)  # left for the length check


def test_workbook_one_row_per_case_with_codes_and_dates(built, moj):
    dest, books = moj
    cases = {}
    for vol, book in books.items():
        rows = _sheet(book.folder / f"{vol}.xlsx")
        index = _read_csv(book.folder / "cases.csv")
        assert len(rows) == len(index) == book.written > 0
        for row, case in zip(rows, index):
            cases[case["record_id"]] = (book.register_type, row)
    violations = {v["record_id"] for b in books.values() for v in _read_csv(b.folder / "violations.csv")}
    skipped = set(built.planted["unreviewed"])
    expected = set(built.records) - violations - skipped
    assert set(cases) == expected  # every other case exactly once
    subject = {"birth": ("nksHoTen", "nksGioiTinh", "nksNgaySinh"),
               "death": ("nktHoTen", "nktGioiTinh", "nktNgaySinh")}
    for rid, (rtype, row) in cases.items():
        rec = built.records[rid]
        assert row["so"] == rec["entry_no"]
        assert row["quyenSo"] == rec["volume_id"]
        assert row["trangSo"] == str(rec["page"])
        assert row["ngayDangKy"] == _iso_to_moj(rec["registration_date"])
        assert len(row["ngayDangKy"]) == 10
        notes = (rec["notes"] or "").casefold()
        assert row["loaiDangKy"] == ("2" if "quá hạn" in notes else "3" if "đăng ký lại" in notes else "1")
        if rtype in subject:
            name, sex, dob = subject[rtype]
            assert row[name] == rec["full_name"]
            assert row[sex] == SEX[rec["sex"]]
            if rec["date_of_birth"] and len(rec["date_of_birth"]) != 7:
                assert row[dob] == _iso_to_moj(rec["date_of_birth"])
        else:
            assert row["chongHoTen"] == rec["husband_name"] and row["voHoTen"] == rec["wife_name"]
            assert row["voNgaySinh"] == _iso_to_moj(rec["wife_date_of_birth"])
    year_only = cases[built.planted["year_only"][0]][1]
    assert year_only["nksNgaySinh"] == "1971"
    month_year = cases[built.planted["month_year"][0]][1]
    assert month_year["nksNgaySinh"] == "1971"
    assert "nksNgaySinh: 06.1971" in month_year["ghiChu"]  # the month is not lost
    ks = _sheet(books["KS-1972"].folder / "KS-1972.xlsx")
    assert "canKiemTra" not in ks[0]  # review marks only with --include-unreviewed


def test_violations_report_catches_planted_problems(built, moj):
    dest, books = moj
    book = books["KS-1972"]
    found = _read_csv(book.folder / "violations.csv")
    by_rule = {}
    for v in found:
        by_rule.setdefault(v["rule"], set()).add(v["record_id"])
    assert by_rule.get("duplicate") == set(built.planted["duplicate"])
    assert by_rule.get("entry_year") == set(built.planted["entry_year"])
    assert set(by_rule) == {"duplicate", "entry_year"}
    entry_year = next(v for v in found if v["rule"] == "entry_year")
    assert "7/1971" in entry_year["message"] and "1972" in entry_year["message"]
    written = {c["record_id"] for c in _read_csv(book.folder / "cases.csv")}
    assert not written & (by_rule["duplicate"] | by_rule["entry_year"])  # held back, not written
    assert book.held_back == 3
    for other in ("KT-1980", "KH-1990"):
        assert _read_csv(books[other].folder / "violations.csv") == []


def test_checks_date_length_numeric_and_two_digit_years(built):
    mapping = load_mapping()
    rec = dict(next(r for r in built.records.values() if r["register_type"] == "birth"))
    rec.update(entry_no="12/72", registration_date="1973-01-05", date_of_birth="1972-11")
    ok = map_record(rec | {"registration_date": "1972-01-05"}, "birth", mapping, {"quyenSo": "Q1"})
    assert check_rows([ok], "birth", mapping) == []
    bad = map_record(rec, "birth", mapping, {"quyenSo": "Q1"})
    assert {v.rule for v in check_rows([bad], "birth", mapping)} == {"entry_year"}
    strict = dataclasses.replace(mapping, month_year="mm.yyyy")
    row = map_record(rec | {"registration_date": "1972-01-05", "page": 7}, "birth", strict, {"quyenSo": "Q1"})
    assert [v.rule for v in check_rows([row], "birth", strict)] == ["date_length"]
    row.values["trangSo"] = "7a"
    assert {v.rule for v in check_rows([row], "birth", strict)} == {"date_length", "numeric"}


def test_one_pdf_per_case_showing_the_entry(built, moj):
    dest, books = moj
    pdf_dir = dest / "_pdf"
    for vol, book in books.items():
        index = _read_csv(book.folder / "cases.csv")
        with zipfile.ZipFile(book.folder / f"{vol}_pdf.zip") as zf:
            assert sorted(zf.namelist()) == sorted(c["pdf"] for c in index)
            zf.extractall(pdf_dir / vol)
        for case in index:
            assert case["pdf"] == f"{vol}_{case['so'].replace('/', '-')}.pdf"
    for i, case in enumerate(c for b in books.values() for c in _read_csv(b.folder / "cases.csv")):
        rec = built.records[case["record_id"]]
        pdf = pdf_dir / rec["volume_id"] / case["pdf"]
        info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
        assert re.search(r"^Pages:\s+2$", info, re.M), info
        images = subprocess.run(["pdfimages", "-list", str(pdf)], capture_output=True, text=True,
                                check=True).stdout.splitlines()[2:]
        sizes = [(int(l.split()[3]), int(l.split()[4])) for l in images]
        assert [l.split()[8] for l in images] == ["jpeg", "jpeg"]  # embedded as encoded (DCT)
        assert [l.split()[5] for l in images] == ["gray", "gray"]  # the page is grey
        page_png = built.out / "pages" / rec["volume_id"] / f"{rec['page']:04d}.png"
        page = Image.open(page_png)
        mapping = load_mapping()
        box = crop_box(tuple(rec["bbox"]), mapping.pdf_margin, page.size)
        scale = min(1.0, mapping.pdf_page_max_px / max(page.size))
        assert sizes == [(box[2] - box[0], box[3] - box[1]),
                         (round(page.width * scale), round(page.height * scale))]
        if i % 7 == 0:  # look at some: page 1 shows the entry's pixels
            ppm = subprocess.run(["pdftoppm", "-f", "1", "-l", "1", "-r", "150", "-gray", str(pdf)],
                                 capture_output=True, check=True).stdout
            shown = np.asarray(Image.open(io.BytesIO(ppm)).convert("L"), dtype=float)
            want = np.asarray(page.convert("L").crop(box), dtype=float)
            h, w = min(shown.shape[0], want.shape[0]), min(shown.shape[1], want.shape[1])
            assert abs(shown.shape[0] - want.shape[0]) <= 1 and abs(shown.shape[1] - want.shape[1]) <= 1
            other = np.asarray(page.convert("L").crop((box[0], 0, box[2], box[3] - box[1])), dtype=float)
            same = np.corrcoef(shown[:h, :w].ravel(), want[:h, :w].ravel())[0, 1]
            elsewhere = np.corrcoef(shown[:h, :w].ravel(), other[:h, :w].ravel())[0, 1]
            # Rendering smooths thin ruling lines, so the match is loose; elsewhere is ~0.
            assert same > 0.5 and elsewhere < 0.2, (same, elsewhere)
            out_prefix = pdf_dir / f"img{i}"
            subprocess.run(["pdfimages", "-f", "1", "-l", "1", "-png", str(pdf), str(out_prefix)], check=True)
            embedded = np.asarray(Image.open(f"{out_prefix}-000.png").convert("L"))
            # The entry's pixels, JPEG-encoded at crop_quality: close, not identical.
            assert embedded.shape == want.shape
            assert cv2.PSNR(embedded, want.astype(np.uint8)) > 30


def test_include_unreviewed_writes_and_marks(built, tmp_path):
    [book] = [b for b in export_moj(built.out, tmp_path, "KS-1972", include_unreviewed=True)]
    rows = {c["record_id"]: r for c, r in zip(_read_csv(book.folder / "cases.csv"),
                                              _sheet(book.folder / "KS-1972.xlsx"))}
    assert book.skipped_unreviewed == 0 and book.marked_unreviewed == len(built.planted["unreviewed"])
    for rid in built.planted["unreviewed"]:
        assert rows[rid]["canKiemTra"] == "1"
        assert rows[rid]["lyDoKiemTra"] == "; ".join(built.records[rid]["flags"])
        assert rows[rid]["lyDoKiemTra"].startswith("low_confidence:")
    for rid in built.planted["reviewed"]:
        assert rows[rid]["canKiemTra"] == ""  # reviewed: written, not marked
    assert sum(r["canKiemTra"] == "1" for r in rows.values()) == book.marked_unreviewed


def test_province_mapping_override(built, tmp_path):
    override = tmp_path / "tinh.yaml"
    override.write_text(
        "books:\n  KT-1980: {quyenSo: '02/1980', noiDangKy: 'UBND phường Bạch Mai'}\n"
        "death:\n  - {column: HoTenNguoiChet, from: full_name, required: true}\n"
        "  - {column: NgayChet, from: date_of_death, as: date}\n", encoding="utf-8")
    [book] = export_moj(built.out, tmp_path / "d", "KT-1980", mapping_file=override)
    rows = _sheet(book.folder / "KT-1980.xlsx")
    assert list(rows[0]) == ["so", "quyenSo", "trangSo", "ngayDangKy", "loaiDangKy", "noiDangKy",
                             "ghiChu", "HoTenNguoiChet", "NgayChet"]
    assert {r["quyenSo"] for r in rows} == {"02/1980"}
    assert {r["noiDangKy"] for r in rows} == {"UBND phường Bạch Mai"}
    with zipfile.ZipFile(book.folder / "KT-1980_pdf.zip") as zf:
        assert all(n.startswith("02-1980_") for n in zf.namelist())


@pytest.mark.parametrize("text, key", [
    ("birth:\n  - {column: X, from: no_such_field}\n", "key birth[0].from"),
    ("dates: {month_year: month}\n", "key dates.month_year"),
    ("codes: {sex: {Nam: 1}}\nbirth:\n  - {column: X, from: sex, codes: gender}\n", "key birth[0].codes"),
    ("checks: {unique: [nksHoTen]}\n", "key checks.unique"),
    ("colour: red\n", "key colour"),
])
def test_mapping_errors_name_file_and_key(tmp_path, text, key):
    bad = tmp_path / "bad.yaml"
    bad.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as e:
        load_mapping(bad)
    assert str(bad) in e.value.message and key in e.value.message


def test_cli_exit_codes(built, tmp_path, capsys):
    with pytest.raises(SystemExit) as e:
        cli.main(["export", str(built.out), "--format", "moj", "--dest", str(tmp_path / "a")])
    assert e.value.code == ExitCode.PARTIAL  # cases held back by the checks
    assert "held back" in capsys.readouterr().err
    with pytest.raises(SystemExit) as e:
        cli.main(["export", str(built.out), "--format", "moj", "--dest", str(tmp_path / "b"),
                  "--volume", "KT-1980"])
    assert e.value.code == ExitCode.OK
    with pytest.raises(SystemExit) as e:
        cli.main(["export", str(built.out), "--format", "moj", "--dest", str(tmp_path / "c"),
                  "--volume", "NOPE"])
    assert e.value.code == ExitCode.BAD_INPUT
    assert "NOPE" in capsys.readouterr().err


def test_page_preview_keeps_print_size(tmp_path):
    page = PageScan(np.full((3508, 2480), 255, np.uint8), (300.0, 300.0))
    small = page_preview(page, 1754, 75)
    assert Image.open(io.BytesIO(small.data)).format == "JPEG"
    assert (small.width, small.height) == (1240, 1754) and small.grey
    assert small.dpi == pytest.approx((150, 150), abs=0.5)  # still A4 on paper
    same = page_preview(page, 4000, 75)
    assert (same.width, same.height) == (2480, 3508)  # never enlarged
    pdf = tmp_path / "case.pdf"
    pdf.write_bytes(case_pdf(crop_jpeg(page, (100, 200, 700, 320), 0, 85), small))
    info = subprocess.run(["pdfinfo", "-f", "1", "-l", "2", str(pdf)], capture_output=True, text=True,
                          check=True).stdout
    sizes = [tuple(float(v) for v in m) for m in re.findall(r"size:\s+([\d.]+) x ([\d.]+) pts", info)]
    # Page 1: 600x120 px at 300 dpi = 2 x 0.4 in; page 2: A4 (595 x 842 pt).
    assert sizes == [pytest.approx((144, 28.8), abs=0.01), pytest.approx((595.2, 841.9), abs=0.2)]


def _contents(dest: Path) -> dict[str, object]:
    """Every exported file by relative path: zip members' bytes, workbook cells, CSV text."""
    got: dict[str, object] = {}
    for path in sorted(p for p in dest.rglob("*") if p.is_file()):
        rel = str(path.relative_to(dest))
        if path.suffix == ".zip":
            with zipfile.ZipFile(path) as zf:
                got[rel] = [(n, zf.read(n)) for n in zf.namelist()]
        elif path.suffix == ".xlsx":
            wb = openpyxl.load_workbook(path, read_only=True)
            got[rel] = [list(r) for ws in wb.worksheets for r in ws.iter_rows(values_only=True)]
            wb.close()
        else:
            got[rel] = path.read_bytes()
    return got


def test_workers_give_the_same_output(built, moj, tmp_path, capsys):
    dest, _ = moj
    with pytest.raises(SystemExit) as e:
        cli.main(["export", str(built.out), "--format", "moj", "--dest", str(tmp_path / "w2"),
                  "--workers", "2"])
    assert e.value.code == ExitCode.PARTIAL  # the planted violations, as with one worker
    one, two = _contents(dest), _contents(tmp_path / "w2")
    one = {k: v for k, v in one.items() if not k.startswith("_pdf")}  # another test's scratch
    assert sorted(one) == sorted(two) and len([k for k in one if k.endswith(".zip")]) == len(built.volumes)
    for k in one:
        assert one[k] == two[k], k


def test_a_failing_book_is_reported_and_the_others_written(built, tmp_path, capsys):
    import shutil

    out = tmp_path / "out"
    shutil.copytree(built.out, out)
    rtype, bad = built.volumes[0][:2]
    for f in (out / "records" / f"register_type={rtype}" / f"volume_id={bad}").glob("*.parquet"):
        f.write_bytes(b"not parquet")
    with pytest.raises(SystemExit) as e:
        cli.main(["export", str(out), "--format", "moj", "--dest", str(tmp_path / "d"), "--workers", "2"])
    assert e.value.code == ExitCode.PARTIAL
    err = capsys.readouterr().err
    [line] = [l for l in err.splitlines() if "not exported:" in l]
    assert line.startswith(f"hotich: {rtype} {bad}: not exported: ") and "1 of" in err
    assert not (tmp_path / "d" / bad).exists()
    for _, vol, _, _ in built.volumes[1:]:
        assert (tmp_path / "d" / vol / f"{vol}_pdf.zip").exists() and (tmp_path / "d" / vol / f"{vol}.xlsx").exists()


def test_load_page_makes_8_bit_grey_or_colour(tmp_path):
    grey = np.tile(np.arange(0, 250, 2, dtype=np.uint8), (40, 1))
    cases = {  # what is stored -> what the PDF gets
        "grey.png": (grey, grey),
        "grey_as_rgb.png": (np.dstack([grey] * 3), grey),
        "grey16.png": (grey.astype(np.uint16) * 257, grey),
        "rgba.png": (np.dstack([grey, grey // 2, grey, np.full_like(grey, 9)]), np.dstack([grey, grey // 2, grey])),
    }
    for name, (stored, want) in cases.items():
        cv2.imwrite(str(tmp_path / name), stored)
        page = load_page(tmp_path / name)
        assert page.pixels.dtype == np.uint8 and np.array_equal(page.pixels, want), name
        assert page.dpi == (300.0, 300.0)  # none stored (as cv2 writes pages): 300 dpi
    Image.fromarray(grey).save(tmp_path / "dpi.png", dpi=(200, 200))
    assert load_page(tmp_path / "dpi.png").dpi == pytest.approx((200, 200), abs=0.01)
    (tmp_path / "bad.png").write_bytes(b"not an image")
    with pytest.raises(ValueError):
        load_page(tmp_path / "bad.png")
    with pytest.raises(OSError):
        load_page(tmp_path / "missing.png")
