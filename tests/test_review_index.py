"""The record index behind the review pages: folding, date queries, change detection."""
import shutil
import sqlite3

from pipeline.review.index import RecordIndex, date_query, fold
from schemas.parquet_io import volume_path
from tests.review_fixture import build_out


def test_fold_drops_vietnamese_marks():
    assert fold("Nguyễn Thị  Đoan Trang") == "nguyen thi doan trang"
    assert fold("HOÀNG VĂN ĐỨC") == "hoang van duc"


def test_date_query():
    assert date_query("12/3/1965") == "1965-03-12"
    assert date_query("3/1965") == "1965-03"
    assert date_query("1965-03") == "1965-03"
    assert date_query("Nguyễn") is None


def test_sync_follows_added_changed_and_removed_volumes(tmp_path):
    out = tmp_path / "out"
    vol = build_out(out)
    idx = RecordIndex(out)
    assert idx.sync(force=True) == 1
    assert idx.sync(force=True) == 0  # nothing changed: nothing re-read
    v = idx.volume("birth", vol.volume_id)
    assert (v["records"], v["flagged"]) == (len(vol.rows), sum(bool(r["flags"]) for r in vol.rows))
    other = build_out(tmp_path / "o2", seed=11)
    dst = volume_path(out, "birth", other.volume_id)
    dst.parent.mkdir(parents=True)
    shutil.copy(volume_path(other.out, "birth", other.volume_id), dst)
    assert idx.sync(force=True) == 1 and len(idx.volumes()) == 2
    name = other.rows[0]["full_name"]
    assert other.rows[0]["record_id"] in [r["record_id"] for r in idx.search(name)]
    shutil.rmtree(dst.parent)
    idx.sync(force=True)
    assert [r["volume_id"] for r in idx.volumes()] == [vol.volume_id]
    assert idx.record("birth", other.rows[0]["record_id"]) is None
    assert other.rows[0]["record_id"] not in [r["record_id"] for r in idx.search(name)]


def test_search_words_prefix_dates_and_numbers(tmp_path):
    vol = build_out(tmp_path / "out")
    idx = RecordIndex(vol.out)
    idx.sync(force=True)
    r0 = next(r for r in vol.rows if not r["flags"])
    words = fold(r0["full_name"]).split()
    ids = lambda q: [r["record_id"] for r in idx.search(q)]  # noqa: E731
    assert r0["record_id"] in ids(" ".join(words))
    assert r0["record_id"] in ids(" ".join(words[:-1] + [words[-1][:2]]))  # last word cut short
    assert r0["record_id"] in ids(r0["full_name"].upper())
    assert ids("zzzqx") == []
    y, m, d = r0["date_of_birth"].split("-")
    assert r0["record_id"] in ids(f"{int(d)}/{int(m)}/{y}")
    assert r0["record_id"] in ids(r0["date_of_birth"][:7])
    assert r0["record_id"] in ids(r0["entry_no"])
    assert ids('" OR names_fold : *') == []  # FTS syntax in the query is just text


def test_an_index_from_another_version_is_rebuilt(tmp_path):
    vol = build_out(tmp_path / "out")
    idx = RecordIndex(vol.out)
    idx.sync(force=True)
    con = sqlite3.connect(idx.path)
    con.execute("UPDATE meta SET value='old' WHERE key='version'")
    con.commit()
    con.close()
    again = RecordIndex(vol.out)
    assert again.volumes() == []  # dropped...
    again.sync(force=True)
    assert again.volume("birth", vol.volume_id)["records"] == len(vol.rows)  # ...and rebuilt
