"""The review database and apply_corrections: corrections survive reruns, stale ones are
flagged, every change is audited, concurrent saves conflict instead of overwriting."""
import sqlite3

import pytest

from pipeline.review.corrections import apply_corrections, write_reviewed_volume
from pipeline.review.store import ConflictError, ReviewStore
from schemas.outdir import review_db_path
from schemas.parquet_io import read_records
from tests.review_fixture import build_out, rerun_rows

RT = "birth"


@pytest.fixture
def vol(tmp_path):
    return build_out(tmp_path / "out")


def _by_id(rows):
    return {r["record_id"]: r for r in rows}


def test_database_is_wal_and_audits_each_change(vol):
    store = ReviewStore(vol.out)
    rid = vol.flagged_name_errors[0]
    row = _by_id(vol.rows)[rid]
    truth = vol.truth[rid]["full_name"]
    v = store.correct(RT, vol.volume_id, rid, "full_name", row["full_name"], truth,
                      row["image_sha256"], "Lan", 0)
    assert v == 1
    con = sqlite3.connect(review_db_path(vol.out))
    assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    audit = con.execute("SELECT reviewer, action, field, old_value, new_value, at FROM changes").fetchall()
    assert audit[0][:5] == ("Lan", "correct", "full_name", row["full_name"], truth)
    assert audit[0][5].startswith("20")
    assert store.state(RT, rid).version == 1 and store.state(RT, rid).status == "corrected"


def test_stale_version_conflicts_and_keeps_the_first_save(vol):
    store = ReviewStore(vol.out)
    rid = vol.rows[0]["record_id"]
    sha = vol.rows[0]["image_sha256"]
    store.correct(RT, vol.volume_id, rid, "full_name", "A", "Tab One", sha, "t1", 0)
    with pytest.raises(ConflictError) as e:
        store.correct(RT, vol.volume_id, rid, "full_name", "A", "Tab Two", sha, "t2", 0)
    assert e.value.current_version == 1
    with pytest.raises(ConflictError):
        store.accept(RT, vol.volume_id, rid, sha, "t2", 0)
    assert store.corrections(RT, vol.volume_id)[rid]["full_name"].value == "Tab One"
    # accepting after a correction keeps the status "corrected"
    store.accept(RT, vol.volume_id, rid, sha, "t1", 1)
    assert store.state(RT, rid).status == "corrected"


def test_apply_corrections_reapplies_on_rerun_with_same_image(vol):
    store = ReviewStore(vol.out)
    rid = vol.flagged_name_errors[0]
    row = _by_id(vol.rows)[rid]
    good = vol.truth[rid]["full_name"]
    store.correct(RT, vol.volume_id, rid, "full_name", row["full_name"], good, row["image_sha256"], "Lan", 0)
    accepted = vol.rows[0]["record_id"]
    store.accept(RT, vol.volume_id, accepted, vol.rows[0]["image_sha256"], "Lan", 0)

    fresh = rerun_rows(vol)
    assert _by_id(fresh)[rid]["full_name"] != good  # the rerun read it wrong again
    out = _by_id(apply_corrections(vol.out, RT, vol.volume_id, fresh))
    assert out[rid]["full_name"] == good and out[rid]["review_status"] == "corrected"
    assert out[rid]["full_name_raw"] == _by_id(fresh)[rid]["full_name_raw"]  # OCR text kept
    assert out[accepted]["review_status"] == "accepted"
    others = [r for k, r in out.items() if k not in (rid, accepted)]
    assert all(r["review_status"] == "unreviewed" for r in others)
    assert _by_id(fresh)[rid]["review_status"] == "unreviewed"  # input rows untouched
    # idempotent
    again = _by_id(apply_corrections(vol.out, RT, vol.volume_id, list(out.values())))
    assert again == out


def test_apply_corrections_marks_stale_when_the_page_image_changed(vol):
    store = ReviewStore(vol.out)
    rid = vol.flagged_name_errors[0]
    row = _by_id(vol.rows)[rid]
    good = vol.truth[rid]["full_name"]
    store.correct(RT, vol.volume_id, rid, "full_name", row["full_name"], good, row["image_sha256"], "Lan", 0)
    acc = vol.rows[0]["record_id"]
    store.accept(RT, vol.volume_id, acc, vol.rows[0]["image_sha256"], "Lan", 0)

    fresh = rerun_rows(vol, image_changed=True)
    new = _by_id(fresh)[rid]
    assert new["image_sha256"] != row["image_sha256"]
    out = _by_id(apply_corrections(vol.out, RT, vol.volume_id, fresh))
    r = out[rid]
    assert r["full_name"] == new["full_name"]  # not silently kept...
    assert "review_stale:full_name" in r["flags"] and r["needs_review"]
    assert r["review_status"] == "unreviewed"
    assert store.corrections(RT, vol.volume_id)[rid]["full_name"].value == good  # ...nor dropped
    assert "review_stale" in out[acc]["flags"] and out[acc]["review_status"] == "unreviewed"

    # The archivist looks again and accepts what the new scan reads: the stale correction is
    # retired with an audit entry and the flag goes away on the next write.
    write_reviewed_volume(vol.out, RT, vol.volume_id, fresh)
    store.accept(RT, vol.volume_id, rid, new["image_sha256"], "Lan", 1, {"full_name": new["full_name"]})
    final = _by_id(apply_corrections(vol.out, RT, vol.volume_id, fresh))
    assert not any(f.startswith("review_stale") for f in final[rid]["flags"])
    assert final[rid]["review_status"] == "accepted"
    actions = [h["action"] for h in store.history(RT, rid)]
    assert actions == ["correct", "resolve_stale", "accept"]


def test_write_reviewed_volume_writes_corrected_values(vol):
    store = ReviewStore(vol.out)
    rid = vol.silent_errors[0] if vol.silent_errors else vol.rows[5]["record_id"]
    row = _by_id(vol.rows)[rid]
    store.correct(RT, vol.volume_id, rid, "mother_name", row["mother_name"], "Lê Thị Hòa",
                  row["image_sha256"], "Lan", 0)
    write_reviewed_volume(vol.out, RT, vol.volume_id, rerun_rows(vol))
    got = _by_id(read_records(vol.out, RT, vol.volume_id).to_pylist())[rid]
    assert got["mother_name"] == "Lê Thị Hòa" and got["review_status"] == "corrected"


def test_apply_corrections_without_database_only_sets_status(tmp_path):
    vol = build_out(tmp_path / "out", pages=1)
    assert not review_db_path(vol.out).exists()
    out = apply_corrections(vol.out, RT, vol.volume_id, vol.rows)
    assert [r["review_status"] for r in out] == ["unreviewed"] * len(vol.rows)
    assert [r["full_name"] for r in out] == [r["full_name"] for r in vol.rows]
    assert not review_db_path(vol.out).exists()


def test_sample_verdicts_are_recorded(vol):
    store = ReviewStore(vol.out)
    ids = [r["record_id"] for r in vol.rows[:4]]
    sid = store.create_sample(RT, vol.volume_id, ids, seed=5, population=9, precision=0.02,
                              expected_rate=0.03, confidence=0.95, reviewer="Lan")
    store.set_verdict(sid, ids[0], "right", "Lan")
    store.set_verdict(sid, ids[1], "wrong", "Lan")
    with pytest.raises(ValueError):
        store.set_verdict(sid, "nope:0001:01", "right", "Lan")
    with pytest.raises(ValueError):
        store.set_verdict(sid, ids[2], "maybe", "Lan")
    items = store.sample_items(sid)
    assert [i.verdict for i in items] == ["right", "wrong", None, None]
    s = store.all_samples_summary()[(RT, vol.volume_id)]
    assert (s["size"], s["judged"], s["wrong"]) == (4, 2, 1)


def test_typed_values_go_through_the_fields_own_normaliser():
    from pipeline.review.views import InvalidValue, check_value, record_year

    def stored(field, text, year=None):
        c = check_value(field, text, year)
        assert c.ok, (field, text, c.reasons)
        return c.value

    # Decomposed input from an IME, new-style tone placement, stray spaces, lower case.
    assert stored("full_name", "  nguyê\u0303n   thị  ho\u00e0 ") == "Nguyễn Thị Hòa"
    assert stored("place_of_birth", "Phường Thuỵ Khuê, Quận Tây Hồ, Hà Nội") == "Phường Thụy Khuê, Quận Tây Hồ, Hà Nội"
    assert stored("entry_no", " 125/1965 ") == "125/1965"
    assert stored("entry_no", "Số: 125") == "125"
    assert stored("notes", "   ") is None
    # dates as the register writes them; a two-digit year by the record's own year
    assert stored("date_of_birth", "21.8.1941") == "1941-08-21"
    assert stored("date_of_birth", "ngày 21 tháng 8 năm 1941") == "1941-08-21"
    assert stored("date_of_birth", "12/3/65", record_year({"registration_date": "1965-04-01"})) == "1965-03-12"
    assert stored("registration_date", "3/4/72", record_year({"entry_no": "7/1972"}, "registration_date")) == "1972-04-03"
    assert record_year({"volume_id": "hbt-ks-1976-f"}) == 1976
    assert stored("ethnicity", "kinh") == "Kinh" and stored("sex", "nữ") == "Nữ"
    # refused with the reason; an override stores the typed text where the format allows
    name_as_number = check_value("entry_no", "Nguyễn Văn An")
    assert not name_as_number.ok and "code_not_numeric" in name_as_number.reasons
    assert "number" in name_as_number.messages()[0] and name_as_number.forced == "Nguyễn Văn An"
    bad_date = check_value("date_of_birth", "31.2.1941")
    assert not bad_date.ok and not bad_date.can_override  # a date column holds ISO dates only
    assert not check_value("ethnicity", "Nguyễn").ok and not check_value("sex", "x").can_override
    assert not check_value("full_name", "125").ok
    with pytest.raises(InvalidValue):
        check_value("notes", "a\x07b")
