"""The one reader of OUT/records (schemas/records_io.py) and the readers that use it: every
`*.parquet` of a partition counts (the contract's layout, `part-0.parquet` as other tools
write it), and no records or an unreadable file is an error with its reason."""
from __future__ import annotations

import json
import shutil

import pandas as pd
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from cli import app
from pipeline.review.index import RecordIndex
from pipeline.review.source import VolumeTables
from samples.duplicates import DupSpec, write_set
from schemas.parquet_io import volume_path, write_volume
from schemas.records_io import RecordsError, read_records, record_files, require_records
from tests.batchutil import batch  # noqa: F401 (fixture)
from tests.fakes import image_folder
from tests.review_fixture import build_out


def _as_parts(out, n_parts: int = 1) -> None:
    """Rewrite every volume file as part-0.parquet (.. part-N-1), as a dataset writer
    (pyarrow.dataset.write_dataset, Spark) lays them out; records.parquet is gone."""
    for f in record_files(out):
        t = pq.read_table(f.path)
        f.path.unlink()
        step = -(-t.num_rows // n_parts)
        for i in range(n_parts):
            pq.write_table(t.slice(i * step, step), f.path.parent / f"part-{i}.parquet")


def _pairwise_recall(clusters: pd.DataFrame, truth: pd.DataFrame) -> tuple[float, int]:
    d = truth.merge(clusters, on="record_id")
    c2 = lambda s: int((s * (s - 1) // 2).sum())  # noqa: E731
    true = c2(d.groupby("event_id").size())
    return c2(d.groupby(["cluster_id", "event_id"]).size()) / true, true


@pytest.fixture(scope="module")
def part_set(tmp_path_factory):
    out = tmp_path_factory.mktemp("parts") / "out"
    truth = write_set(out, DupSpec("birth", records=3000, seed=5, volume_size=500)).to_pandas()
    _as_parts(out, n_parts=2)
    return out, truth


def test_part_files_are_read_and_their_duplicates_found(part_set, tmp_path):
    src, truth = part_set
    out = tmp_path / "out"
    shutil.copytree(src, out)
    assert not list((out / "records").rglob("records.parquet"))
    assert len(pd.read_parquet(out / "records")) == len(truth)  # what the contract promises
    res = CliRunner().invoke(app, ["dedup", str(out)])
    assert res.exit_code == 0, res.output
    assert json.loads(res.output.strip().splitlines()[-1])["records"] == len(truth)
    clusters = pd.read_parquet(out / "dedup" / "clusters.parquet")
    assert set(clusters.record_id) == set(truth.record_id)
    recall, true = _pairwise_recall(clusters, truth)
    assert true > 200 and recall >= 0.95


def test_every_reader_sees_part_files(part_set, tmp_path):
    src, truth = part_set
    out = tmp_path / "out"
    shutil.copytree(src, out)
    t = read_records(out, "birth")
    assert sorted(t.column("record_id").to_pylist()) == sorted(truth.record_id)
    vol = t.column("volume_id")[0].as_py()
    assert read_records(out, "birth", vol).num_rows == (truth.volume_id == vol).sum()
    dest = tmp_path / "csv"
    res = CliRunner().invoke(app, ["export", str(out), "--format", "csv", "--dest", str(dest)])
    assert res.exit_code == 0, res.output
    assert len(pd.read_csv(dest / "birth.csv", dtype=str)) == len(truth)
    res = CliRunner().invoke(app, ["report", str(out), "--out", str(tmp_path / "r.html"), "--lang", "en"])
    assert res.exit_code == 0, res.output
    assert f"{len(truth):,}" in (tmp_path / "r.html").read_text(encoding="utf-8")


def test_empty_record_file_is_an_error_with_the_reason(tmp_path):
    out = tmp_path / "out"
    write_volume(out, "birth", "V1", [])
    for cmd in (["dedup", str(out)], ["export", str(out), "--format", "csv", "--dest",
                                      str(tmp_path / "d")]):
        res = CliRunner().invoke(app, cmd)
        assert res.exit_code == 2, (cmd, res.output)
        [line] = [x for x in res.output.splitlines() if x.startswith("hotich:")]
        assert "record file(s) but no records" in line


def _one_error_line(res) -> str:
    [line] = [x for x in res.output.splitlines() if x.startswith("hotich:")]
    return line


@pytest.mark.parametrize("command", ["dedup", "report", "status"])
def test_unreadable_record_file_exits_non_zero_naming_it(tmp_path, batch, command):
    out = tmp_path / "out"
    batch([image_folder(tmp_path / "A", 2)], out=out)
    [f] = record_files(out)
    bad = f.path.parent / "part-1.parquet"
    bad.write_bytes(b"PAR1 this is not parquet")
    res = CliRunner().invoke(app, [command, str(out)])
    assert res.exit_code == 2, res.output
    line = _one_error_line(res)
    assert str(bad) in line and "not a readable Parquet file" in line
    with pytest.raises(RecordsError, match="part-1.parquet"):
        require_records(out)


def test_wrong_column_type_is_named(tmp_path):
    vol = build_out(tmp_path / "out")
    folder = volume_path(vol.out, "birth", vol.volume_id).parent
    pd.DataFrame({"record_id": ["x"], "page": ["one"]}).to_parquet(folder / "part-9.parquet")
    with pytest.raises(RecordsError, match=r"part-9.parquet: column page is (large_)?string, expected int32"):
        require_records(vol.out)


def test_pages_read_but_no_records_is_an_error(tmp_path, batch):
    """Records gone (removed, or written where no reader looks) after pages were read:
    dedup, status and report say so and exit non-zero, not 'nothing to do'."""
    out = tmp_path / "out"
    batch([image_folder(tmp_path / "A", 2)], out=out)
    shutil.rmtree(out / "records")
    (out / "records").mkdir()
    for cmd in ("dedup", "status", "report"):
        res = CliRunner().invoke(app, [cmd, str(out)])
        assert res.exit_code == 2, (cmd, res.output)
        assert "no record" in _one_error_line(res), cmd


def test_review_index_and_pages_follow_part_files(tmp_path):
    vol = build_out(tmp_path / "out")
    idx = RecordIndex(vol.out)
    assert idx.sync(force=True) == 1
    path = volume_path(vol.out, "birth", vol.volume_id)
    t = pq.read_table(path)
    path.unlink()
    pq.write_table(t.slice(0, 3), path.parent / "part-0.parquet")
    assert idx.sync(force=True) == 1  # the volume's files changed: re-read
    assert idx.volume("birth", vol.volume_id)["records"] == 3
    pq.write_table(t.slice(3), path.parent / "part-1.parquet")
    assert idx.sync(force=True) == 1 and idx.sync(force=True) == 0
    assert idx.volume("birth", vol.volume_id)["records"] == t.num_rows
    last = t.column("record_id")[t.num_rows - 1].as_py()
    rec = idx.record("birth", last)
    row = VolumeTables(vol.out).row("birth", vol.volume_id, last, rec["pos"])
    assert row["record_id"] == last and row["page"] == t.column("page")[t.num_rows - 1].as_py()


def test_rewriting_a_volume_replaces_its_part_files(tmp_path):
    out = tmp_path / "out"
    rows = [{"record_id": "V:0001:01", "page": 1, "row": 1, "needs_review": False,
             "full_name": "Lê Văn An"}]
    write_volume(out, "birth", "V", rows)
    path = volume_path(out, "birth", "V")
    shutil.copy(path, path.parent / "part-0.parquet")
    assert read_records(out, "birth").num_rows == 2  # both files are the volume's records
    write_volume(out, "birth", "V", rows)  # e.g. a review correction rewrites the volume
    assert [f.path.name for f in record_files(out)] == ["records.parquet"]
    assert read_records(out, "birth").num_rows == 1
