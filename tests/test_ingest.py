"""Ingest: inputs -> volumes and page tasks; one page loaded at a time; bad files named."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from pipeline.ingest import pdf
from pipeline.ingest.inputs import blank_reason, image_sha256, load_page, plan_volumes
from schemas.errors import BadInputError, MissingDependencyError
from schemas.pages import PageTask
from tests import badfiles
from tests.fakes import image_folder, page_image


def test_folder_is_one_volume_in_natural_order(tmp_path):
    folder = image_folder(tmp_path / "HBT-KS-1972", 11)
    (folder / "notes.txt").write_text("scanner log")
    (vol,) = plan_volumes([folder])
    assert vol.volume_id == "HBT-KS-1972"
    assert [Path(t.source_file).name for t in vol.tasks][:3] == ["page1.png", "page2.png", "page3.png"]
    assert Path(vol.tasks[-1].source_file).name == "page11.png"  # not after page1
    assert [t.page for t in vol.tasks] == list(range(1, 12))
    assert any("notes.txt" in n and "skipped" in n for n in vol.notes)


def test_pdf_pages_and_one_page_render(tmp_path):
    path = badfiles.pdf_of_pages(tmp_path / "KT-1980.pdf", [1, 2, 3], dpi=50)
    (vol,) = plan_volumes([path], register_type="death")
    assert vol.volume_id == "KT-1980"
    assert [(t.page, t.index_in_file, t.register_type) for t in vol.tasks] == [
        (1, 0, "death"), (2, 1, "death"), (3, 2, "death")]
    # A scanned page renders at its own resolution, clamped to 150..600 dpi: 120x90 px at
    # 50 dpi -> 150 dpi, x3, whatever dpi the caller falls back to for vector pages.
    a = load_page(vol.tasks[1], dpi=100)
    assert a.shape == (270, 360, 3) and a.dtype == np.uint8
    b = load_page(vol.tasks[1], dpi=50)
    assert b.shape == (270, 360, 3)
    assert image_sha256(a) != image_sha256(load_page(vol.tasks[0], dpi=100))


def test_multipage_tiff_frames_are_pages(tmp_path):
    ims = [page_image(i) for i in (7, 8, 9)]
    path = tmp_path / "scan.tif"
    ims[0].save(path, save_all=True, append_images=ims[1:], compression="tiff_deflate")
    (vol,) = plan_volumes([path])
    assert [t.index_in_file for t in vol.tasks] == [0, 1, 2]
    for t, im in zip(vol.tasks, ims):
        assert np.array_equal(load_page(t, 300), np.asarray(im))


def test_exif_orientation_is_applied(tmp_path):
    im = Image.new("RGB", (60, 40), "white")
    im.paste((0, 0, 0), (0, 0, 10, 10))
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 CW to display
    path = tmp_path / "photo.jpg"
    im.save(path, exif=exif.tobytes())
    a = load_page(PageTask("v", str(path), 1), 300)
    assert a.shape[:2] == (60, 40)  # width and height swapped


def test_volume_option_joins_inputs(tmp_path):
    a = image_folder(tmp_path / "a", 2)
    b = badfiles.pdf_of_pages(tmp_path / "b.pdf", [5, 6])
    (vol,) = plan_volumes([a, b], volume="BOOK-1")
    assert vol.volume_id == "BOOK-1"
    assert [(t.page, Path(t.source_file).name, t.index_in_file) for t in vol.tasks] == [
        (1, "page1.png", 0), (2, "page2.png", 0), (3, "b.pdf", 0), (4, "b.pdf", 1)]


def test_same_volume_id_twice_is_refused(tmp_path):
    image_folder(tmp_path / "x" / "v", 1)
    image_folder(tmp_path / "y" / "v", 1)
    with pytest.raises(BadInputError, match="volume id 'v'"):
        plan_volumes([tmp_path / "x" / "v", tmp_path / "y" / "v"])
    with pytest.raises(BadInputError, match="cannot name a folder"):
        plan_volumes([tmp_path / "x" / "v"], volume="a=b")


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


@pytest.mark.parametrize("maker, reason", [
    (lambda p: _write(p / "zero.png", b""), "empty file"),
    (lambda p: _write(p / "t.png", b"not an image"), "not a readable image"),
    (lambda p: badfiles.huge_png_header(p / "huge.png"), "image too large"),
    (lambda p: badfiles.encrypted_pdf(p / "enc.pdf"), "encrypted PDF"),
    (lambda p: badfiles.huge_page_pdf(p / "big.pdf"), "page too large"),
    (lambda p: badfiles.truncated(p / "cut.pdf", badfiles.pdf_of_pages(p / "ok.pdf", [1, 2])),
     "not a readable PDF"),
    (lambda p: _write(p / "g.pdf", b"%PDF-1.4 garbage"), "not a readable PDF"),
])
def test_bad_files_plan_one_page_that_fails_with_a_reason(tmp_path, maker, reason):
    path = maker(tmp_path)
    (vol,) = plan_volumes([path])
    assert len(vol.tasks) == 1
    with pytest.raises(BadInputError) as e:
        load_page(vol.tasks[0], 100)
    assert reason in e.value.message and str(path) in e.value.message
    assert "\n" not in e.value.message


def test_unreadable_tiff_page_fails_alone(tmp_path):
    path = badfiles.tiff_with_bad_page(tmp_path / "t.tif", bad=1)
    (vol,) = plan_volumes([path])
    assert len(vol.tasks) == 3
    load_page(vol.tasks[0], 300)
    load_page(vol.tasks[2], 300)
    with pytest.raises(BadInputError, match="page 2: unreadable image data"):
        load_page(vol.tasks[1], 300)


def test_pixel_limit_is_a_parameter(tmp_path):
    path = tmp_path / "p.png"
    page_image(1).save(path)
    with pytest.raises(BadInputError, match="image too large"):
        load_page(PageTask("v", str(path), 1), 300, max_pixels=1000)


def test_blank_page_detection():
    assert blank_reason(np.full((200, 150), 238, np.uint8))
    noisy = np.random.default_rng(0).normal(230, 8, (200, 150)).clip(0, 255).astype(np.uint8)
    assert blank_reason(noisy)  # paper grain is not ink
    assert blank_reason(np.asarray(page_image(3))) is None


def test_missing_poppler_names_the_package(tmp_path, monkeypatch):
    path = badfiles.pdf_of_pages(tmp_path / "a.pdf", [1])
    monkeypatch.setenv("PATH", str(tmp_path / "nothing"))
    with pytest.raises(MissingDependencyError, match="poppler-utils"):
        pdf.page_count(path)
    with pytest.raises(MissingDependencyError, match="poppler-utils"):
        pdf.check_poppler()


def test_sixteen_bit_gray_is_scaled_not_clipped(tmp_path):
    a16 = (np.arange(100 * 80, dtype=np.uint16).reshape(80, 100) * 8)
    path = tmp_path / "g16.png"
    Image.fromarray(a16).save(path)
    a = load_page(PageTask("v", str(path), 1), 300)
    assert a.dtype == np.uint8 and a.max() > 200 and a.min() == 0


def test_scanned_pdf_renders_at_its_own_resolution(tmp_path):
    # A scan embedded at 200 dpi comes back at 200 dpi (pixels 1:1, bboxes in scan pixels),
    # whatever the configured render dpi; a page that is not one full-page image gives None.
    for dpi in (200, 300):
        im = Image.new("RGB", (int(8.27 * dpi), int(5.0 * dpi)), "white")
        path = tmp_path / f"scan{dpi}.pdf"
        im.save(path, resolution=dpi)
        assert pdf.scan_dpi(path, 1, pdf.page_size(path, 1)) == dpi
        arr = load_page(PageTask("v", str(path), 1, 0), dpi=72)
        assert arr.shape[:2] == (im.height, im.width)
    low = tmp_path / "low.pdf"
    Image.new("RGB", (100, 100), "white").save(low, resolution=50)  # a 2x2 inch page
    assert pdf.scan_dpi(low, 1, pdf.page_size(low, 1)) == 150  # 50 ppi clamps to the 150 floor


def test_the_bomb_guard_states_one_limit(tmp_path):
    """A 400 Mpx PNG bomb is refused with hotich's limit only (PIL's own 89/179 Mpx limits
    never show), and a limit raised above PIL's lets a 300 Mpx header through the guard."""
    bomb = badfiles.huge_png_header(tmp_path / "bomb.png", 20000, 20000)
    with pytest.raises(BadInputError) as e:
        load_page(PageTask("v", str(bomb), 1), 300)
    msg = e.value.message
    assert "image too large (20000x20000 = 400 Mpx; the limit is 100 Mpx, set by" in msg
    assert "178956970" not in msg and "89478485" not in msg and msg.count("limit") == 1
    big = badfiles.huge_png_header(tmp_path / "big.png", 20000, 15000)
    with pytest.raises(BadInputError) as e:  # past the guard: the pixels themselves are junk
        load_page(PageTask("v", str(big), 1), 300, max_pixels=500_000_000)
    assert "too large" not in e.value.message and "limit" not in e.value.message


def test_max_megapixels_is_an_option_of_run(tmp_path, capsys):
    import cli

    d = tmp_path / "V"
    d.mkdir()
    page_image(1).save(d / "p1.png")  # 120x90: 0.0108 Mpx
    with pytest.raises(SystemExit) as e:
        cli.main(["run", str(d), "--out", str(tmp_path / "out"), "--quiet", "--max-megapixels", "0.01"])
    err = capsys.readouterr().err
    assert e.value.code == 4, err
    assert "image too large (120x90 = 0.0108 Mpx; the limit is 0.01 Mpx, set by --max-megapixels)" in err
