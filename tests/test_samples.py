"""`hotich samples` and samples/generator: volumes of every type and layout, truth that is
complete, inside the page, reproducible from its seed, and files that read back."""
from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from PIL import Image

import cli
from samples.generator import LAYOUTS, generate, plan_volume, render_volume
from samples.truth import VolumeTruth
from schemas.fields import REGISTER_TYPES, all_fields
from tests.conftest import SAMPLE_PAGES, SAMPLE_SEED


def _inside(box, width, height):
    x0, y0, x1, y1 = box
    return 0 <= x0 < x1 <= width and 0 <= y0 < y1 <= height


@pytest.fixture(scope="module")
def cli_run(tmp_path_factory):
    dest = tmp_path_factory.mktemp("cli-samples")
    result = CliRunner().invoke(cli.app, ["samples", str(dest), "--pages", str(SAMPLE_PAGES),
                                          "--seed", str(SAMPLE_SEED)])
    assert result.exit_code == 0, result.output
    return dest, result.output


def test_cli_writes_every_type_and_layout(cli_run):
    dest, output = cli_run
    truths = [VolumeTruth.load(p) for p in sorted((dest / "truth").glob("hbt-*.json"))]
    assert {(t.register_type, t.layout) for t in truths} == {
        (r, l) for r in REGISTER_TYPES for l in LAYOUTS}
    for t in truths:
        assert (dest / t.source_file).is_file(), t.source_file
        assert t.source_file == f"{t.volume_id}.pdf"
        assert f"wrote {dest / t.source_file}" in output
        assert len(t.pages) == SAMPLE_PAGES
    assert (dest / "truth" / "duplicates.json").is_file()


def test_same_seed_gives_identical_truth_and_files(cli_run, sample_set):
    """The CLI run and the session fixture used the same pages and seed."""
    dest, _ = cli_run
    names = sorted(p.name for p in (dest / "truth").iterdir())
    assert names == sorted(p.name for p in sample_set.truth_dir().iterdir())
    for name in names:
        assert (dest / "truth" / name).read_bytes() == (sample_set.truth_dir() / name).read_bytes(), name
    for t in sample_set.truths.values():
        assert (dest / t.source_file).read_bytes() == (sample_set.dest / t.source_file).read_bytes()


def test_different_seed_gives_different_volume():
    _, a = render_volume("death", "form", 1, seed=1, degrade="none")
    _, b = render_volume("death", "form", 1, seed=2, degrade="none")
    assert a.to_json() != b.to_json()
    assert a.entries()[0].fields != b.entries()[0].fields


def test_truth_is_complete_and_inside_the_page(sample_set):
    for t in sample_set.truths.values():
        fields = set(all_fields(t.register_type))
        for p in t.pages:
            assert _inside(p.title_bbox, p.width, p.height)
            assert p.layout == t.layout and p.register_type == t.register_type
            assert 1 <= len(p.entries) <= (16 if t.layout == "ledger" else 4)
            last_top = -1
            for row, e in enumerate(p.entries, start=1):
                assert e.row == row
                assert e.record_id == f"{t.volume_id}:{p.page:04d}:{row:02d}"
                assert set(e.fields) == fields, e.record_id
                assert set(e.cells) == fields
                assert e.fields["entry_no"] and e.fields["registration_date"]
                assert _inside(e.bbox, p.width, p.height), (e.record_id, e.bbox)
                assert e.bbox[1] > last_top  # rows go down the page
                last_top = e.bbox[1]
                for f, box in e.cell_bboxes.items():
                    assert _inside(box, p.width, p.height), (e.record_id, f, box)
                for f, text in e.cells.items():
                    if text is not None:
                        assert text == " ".join(text.split()) and text, (f, text)
                        assert f in e.cell_bboxes
                    if e.fields[f] is None:
                        assert text is None, (e.record_id, f)
            if t.layout == "ledger":
                assert {c.field for c in p.columns} <= fields
                assert all(c.bbox and _inside(c.bbox, p.width, p.height) for c in p.columns)


def test_duplicate_groups_point_at_the_same_person(sample_set):
    entries = {e.record_id: e for t in sample_set.truths.values() for e in t.entries()}
    assert len(sample_set.duplicates) >= len(REGISTER_TYPES)
    for group in sample_set.duplicates:
        assert len(group) == 2 and all(r in entries for r in group), group
        a, b = (entries[r].fields for r in group)
        name = "full_name" if "full_name" in a else "husband_name"
        assert a[name] == b[name]
        assert b["registration_date"] > a["registration_date"]
        assert b["notes"] == "Đăng ký lại"


def test_pdf_pages_rasterise_back_to_the_truth_size(sample_set):
    from pdf2image import convert_from_path, pdfinfo_from_path

    t = next(t for t in sample_set.truths.values() if t.layout == "form")
    path = sample_set.dest / t.source_file
    assert pdfinfo_from_path(str(path))["Pages"] == len(t.pages)
    img = convert_from_path(str(path), dpi=t.dpi, first_page=1, last_page=1)[0]
    assert img.size == (t.pages[0].width, t.pages[0].height)


@pytest.mark.parametrize("fmt", ["tiff", "png", "jpeg"])
def test_other_formats(tmp_path, fmt):
    truths = generate(tmp_path, pages=2, seed=3, fmt=fmt, types=("death",), layouts=("form",),
                      degrade="light", dpi=200)
    t = truths[0]
    if fmt == "tiff":
        assert t.source_file == f"{t.volume_id}.tif"
        with Image.open(tmp_path / t.source_file) as im:
            assert im.n_frames == 2
            assert im.size == (t.pages[0].width, t.pages[0].height)
    else:
        ext = "png" if fmt == "png" else "jpg"
        files = sorted((tmp_path / t.volume_id).iterdir())
        assert [f.name for f in files] == [f"page-0001.{ext}", f"page-0002.{ext}"]
        with Image.open(files[0]) as im:
            assert im.mode == "RGB" and im.size == (t.pages[0].width, t.pages[0].height)
    assert json.loads((tmp_path / "truth" / "duplicates.json").read_text()) == []


def test_in_memory_pages_match_truth_and_are_rgb():
    images, t = render_volume("marriage", "ledger", 1, seed=5, degrade="heavy", dpi=200)
    assert len(images) == 1 and images[0].mode == "RGB"
    assert images[0].size == (t.pages[0].width, t.pages[0].height) == (2350, 1650)  # A4 at 200 dpi, whole points
    assert abs(t.pages[0].skew) <= 3.0
    groups = {c.group for c in t.pages[0].columns}
    assert len(groups - {None}) == 2  # the Chồng / Vợ header groups


def test_volume_plan_orders_entries_by_registration():
    plan = plan_volume("birth", "ledger", 2, seed=9)
    entries = [e for p in plan.pages for e in p]
    dates = [e["registration_date"] for e in entries]
    assert dates == sorted(dates)
    numbers = [int(e["entry_no"].split("/")[0]) for e in entries]
    assert numbers == list(range(numbers[0], numbers[0] + len(numbers)))


def test_bad_arguments_are_reported():
    with pytest.raises(ValueError, match="degrade level"):
        render_volume("birth", "form", 1, seed=0, degrade="awful")
    with pytest.raises(ValueError, match="register type"):
        plan_volume("divorce", "form", 1, seed=0)
    result = CliRunner().invoke(cli.app, ["samples", "/tmp/never", "--types", "birth,divorce"])
    assert result.exit_code != 0 and "divorce" in result.output


def test_designs_vary_between_volumes():
    """Column order, header wording, fonts and date styles differ across seeds."""
    orders, headers, faces, dates = set(), set(), set(), set()
    for seed in range(12):
        d = plan_volume("birth", "ledger", 1, seed=seed).design
        orders.add(tuple(c.field for c in d.columns))
        headers.add(next(c.header for c in d.columns if c.field == "full_name"))
        faces.add(d.face)
        dates.add(d.style.date_style)
    assert len(orders) >= 8 and len(headers) >= 3 and len(faces) >= 4 and len(dates) >= 3


def test_committed_demo_is_reproducible(tmp_path):
    """samples/demo is exactly what its documented command writes (truth compared)."""
    from tests.conftest import REPO_ROOT

    demo = REPO_ROOT / "samples" / "demo"
    assert "--pages 2 --seed 2024 --dpi 200" in (demo / "README.md").read_text(encoding="utf-8")
    truths = generate(tmp_path, pages=2, seed=2024, dpi=200)
    assert len(truths) == 6
    for t in truths:
        name = f"{t.volume_id}.json"
        assert (tmp_path / "truth" / name).read_text() == (demo / "truth" / name).read_text(), (
            "samples/demo is stale: regenerate it with the command in samples/demo/README.md")
        assert (demo / t.source_file).is_file()
    assert (tmp_path / "truth" / "duplicates.json").read_text() == \
        (demo / "truth" / "duplicates.json").read_text()


def test_truth_json_round_trip(sample_set):
    for t in sample_set.truths.values():
        back = VolumeTruth.from_json(t.to_json())
        assert back == t
        assert VolumeTruth.load(sample_set.truth_dir() / f"{t.volume_id}.json") == t
    marks = [m for t in sample_set.truths.values() for p in t.pages for m in p.marks]
    for t in sample_set.truths.values():
        for p in t.pages:
            for box in p.marks:  # signatures and seals sit clear of every entry
                assert _inside(box, p.width, p.height)
                assert all(box[1] >= e.bbox[3] - 5 for e in p.entries), (t.volume_id, box)
    assert marks, "some pages carry a sign-off"
