"""`hotich dedup` end to end on small generated and hand-made OUT folders."""
from __future__ import annotations

import json
import shutil

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from cli import app
from pipeline.dedup.evidence import PAIRS_SCHEMA
from pipeline.dedup.run import run_dedup
from samples.duplicates import DupSpec, write_set
from schemas.parquet_io import write_volume
from tests.contract import contract_check



def pairwise(clusters: pd.DataFrame, truth: pd.DataFrame) -> dict:
    """Pairwise precision / recall of predicted clusters against true events."""
    d = truth.merge(clusters, on="record_id")
    c2 = lambda s: (s * (s - 1) // 2).sum()  # noqa: E731
    tp = c2(d.groupby(["cluster_id", "event_id"]).size())
    pred, true = c2(d.groupby("cluster_id").size()), c2(d.groupby("event_id").size())
    return {"precision": tp / pred if pred else 1.0, "recall": tp / true if true else 1.0,
            "true": int(true), "pred": int(pred)}


def wrong_merges(clusters: pd.DataFrame, truth: pd.DataFrame, key: str) -> int:
    """Pairs in one cluster from different events that share `key` (twins: family_id)."""
    d = truth.merge(clusters, on="record_id").dropna(subset=[key])
    n = 0
    for _, g in d.groupby(["cluster_id", key]):
        n += sum(1 for i, a in enumerate(g.event_id) for b in list(g.event_id)[i + 1:] if a != b)
    return n


@pytest.fixture(scope="module")
def birth_set(tmp_path_factory):
    out = tmp_path_factory.mktemp("birth") / "out"
    truth = write_set(out, DupSpec("birth", records=4000, seed=11, volume_size=500,
                                   namesake_rate=0.03)).to_pandas()
    summary = run_dedup(out)
    return out, truth, summary


def test_known_duplicates_found_without_merging_strangers(birth_set):
    out, truth, summary = birth_set
    clusters = pd.read_parquet(out / "dedup" / "clusters.parquet")
    score = pairwise(clusters, truth)
    assert score["true"] > 400  # the set really has duplicates
    assert score["recall"] >= 0.97, score
    assert score["precision"] >= 0.98, score
    assert summary["records"] == len(truth) == len(clusters)
    assert clusters.record_id.is_unique


def test_twins_and_namesakes_stay_apart(birth_set):
    out, truth, _ = birth_set
    clusters = pd.read_parquet(out / "dedup" / "clusters.parquet")
    assert truth.tags.str.contains("twin").sum() > 20
    assert truth.namesake_group.notna().sum() > 50
    assert wrong_merges(clusters, truth, "family_id") == 0
    assert wrong_merges(clusters, truth, "namesake_group") <= 1


def test_pairs_carry_evidence(birth_set):
    out, _, summary = birth_set
    pairs = pq.read_table(out / "dedup" / "pairs.parquet")
    assert pairs.schema.names == PAIRS_SCHEMA.names
    df = pairs.to_pandas()
    assert len(df) == summary["duplicate_pairs"] > 0
    assert (df.record_id_a < df.record_id_b).all()
    assert df.score.between(0, 1).all()
    assert set(df.given_name_level) <= {"exact", "diacritics", "ocr_close", "similar", "missing"}
    assert df.found_by.str.len().gt(0).all()
    # every pair's records share the pair's cluster
    clusters = pd.read_parquet(out / "dedup" / "clusters.parquet").set_index("record_id")
    assert (clusters.loc[df.record_id_a, "cluster_id"].to_numpy() == df.cluster_id).all()
    assert (clusters.loc[df.record_id_b, "cluster_id"].to_numpy() == df.cluster_id).all()


def test_contract_check_passes(birth_set):
    out, _, _ = birth_set
    res = contract_check(out)
    assert res.returncode == 0, res.stdout + res.stderr


def test_rerun_is_idempotent_and_cheap(birth_set, tmp_path):
    src, _, first = birth_set
    out = tmp_path / "out"
    shutil.copytree(src, out)
    before = {p: (out / "dedup" / p).read_bytes() for p in ("clusters.parquet", "pairs.parquet")}
    again = run_dedup(out)
    assert again["unchanged"] is True
    assert {p: (out / "dedup" / p).read_bytes() for p in before} == before
    # without the manifest shortcut the saved pairs are reused and the output is the same
    (out / "dedup" / "state" / "manifest.json").unlink()
    third = run_dedup(out)
    assert third["unchanged"] is False
    assert third["by_type"]["birth"]["compared_pairs"] == 0
    assert third["by_type"]["birth"]["reused_pairs"] == first["candidate_pairs"]
    for p in before:
        assert pq.read_table(out / "dedup" / p).equals(pq.read_table(src / "dedup" / p))


def test_adding_a_volume_equals_a_full_run(tmp_path):
    out = tmp_path / "out"
    write_set(out, DupSpec("birth", records=2500, seed=5, volume_size=300))
    vols = sorted((out / "records" / "register_type=birth").glob("volume_id=*"))
    held = tmp_path / "held"
    held.mkdir()
    for v in (vols[2], vols[-1]):
        shutil.move(str(v), held / v.name)
    run_dedup(out)
    for v in held.iterdir():
        shutil.move(str(v), out / "records" / "register_type=birth" / v.name)
    inc = run_dedup(out)["by_type"]["birth"]
    assert 0 < inc["new_or_changed_records"] < inc["records"] / 2
    assert inc["reused_pairs"] > 0 and inc["compared_pairs"] < inc["candidate_pairs"]
    inc_tables = {p: pq.read_table(out / "dedup" / p) for p in ("clusters.parquet", "pairs.parquet")}
    full = run_dedup(out, full=True)["by_type"]["birth"]
    assert full["candidate_pairs"] == inc["candidate_pairs"]
    for p, t in inc_tables.items():
        assert pq.read_table(out / "dedup" / p).equals(t), p


def test_empty_records_folder_is_an_error_not_a_success(tmp_path):
    # "no duplicates, nothing changed" on records it could not see was the bug (issue 17)
    out = tmp_path / "out"
    (out / "records").mkdir(parents=True)
    res = CliRunner().invoke(app, ["dedup", str(out)])
    assert res.exit_code == 2
    assert "no record files" in res.output and "nothing changed" not in res.output
    assert not (out / "dedup" / "clusters.parquet").exists()


def test_missing_records_folder_is_a_clear_error(tmp_path):
    res = CliRunner().invoke(app, ["dedup", str(tmp_path)])
    assert res.exit_code != 0


def _row(vol: str, page: int, row: int, **values) -> dict:
    rec = {"record_id": f"{vol}:{page:04d}:{row:02d}", "page": page, "row": row,
           "flags": [], "needs_review": False}
    rec.update(values)
    if rec["flags"]:
        rec["needs_review"] = True
    return rec


def test_single_record(tmp_path):
    out = tmp_path / "out"
    write_volume(out, "birth", "V1", [_row("V1", 1, 1, full_name="Nguyễn Văn An", sex="Nam")])
    summary = run_dedup(out)
    clusters = pd.read_parquet(out / "dedup" / "clusters.parquet")
    assert summary["clusters"] == 1 and len(clusters) == 1
    assert pd.read_parquet(out / "dedup" / "pairs.parquet").empty


FAMILY = dict(sex="Nữ", date_of_birth="1985-04-18", father_name="Phạm Tiến Hùng",
              mother_name="Hoàng Thị Dung", place_of_birth="Bệnh viện Thanh Nhàn",
              hometown="Xã Gia Viễn, Huyện Gia Viễn, Ninh Bình", ethnicity="Kinh")


def test_hand_made_hard_cases(tmp_path):
    """Twins (one book, then both re-registered), namesakes born the same day in the same
    ward, an OCR-damaged UPPERCASE copy, a year-only re-registration without the mother."""
    out = tmp_path / "out"
    ward = "Phường Bạch Mai, Quận Hai Bà Trưng, Hà Nội"
    book = [
        _row("KS-1985", 1, 1, entry_no="12", full_name="Phạm Thị Nhung", **FAMILY),
        _row("KS-1985", 1, 2, entry_no="13", full_name="Phạm Thị Hồng", **FAMILY),
        _row("KS-1985", 1, 3, entry_no="14", full_name="Nguyễn Văn Hùng", sex="Nam",
             date_of_birth="1985-05-02", father_name="Nguyễn Văn Bình",
             mother_name="Trần Thị Lan", place_of_birth=ward, ethnicity="Kinh"),
        _row("KS-1985", 1, 4, entry_no="15", full_name="Nguyễn Văn Hùng", sex="Nam",
             date_of_birth="1985-05-02", father_name="Nguyễn Đức Thắng",
             mother_name="Lê Thị Hoa", place_of_birth=ward, ethnicity="Kinh"),
        _row("KS-1985", 1, 5, entry_no="16", full_name="Đặng Thu Hường", sex="Nữ",
             date_of_birth="1985-06-30", father_name="Đặng Văn Tuấn",
             mother_name="Vũ Thị Hằng", place_of_birth="Bệnh viện Bạch Mai", ethnicity="Kinh"),
    ]
    later = [
        _row("KS-DKL-2001", 1, 1, entry_no="1/2001", full_name="Phạm Thị Nhung",
             **dict(FAMILY, mother_name=None, date_of_birth="1985")),
        _row("KS-DKL-2001", 1, 2, entry_no="2/2001", full_name="Phạm Thị Hồng",
             **dict(FAMILY, date_of_birth="1985")),
        _row("KS-DKL-2001", 1, 3, entry_no="3/2001", full_name="Nguyễn Văn Hùng", sex="Nam",
             date_of_birth="1985", father_name="Nguyễn Đức Thắng", mother_name=None,
             place_of_birth="P. Bạch Mai, Q. Hai Bà Trưng, HN", ethnicity="Kinh"),
        _row("KS-BS-1985", 2, 7, entry_no="16", full_name="Dang Thu Huong", sex="Nữ",
             date_of_birth="1985-06-30", father_name="Dang Van Tuan",
             mother_name="Vũ Thị Hăng", place_of_birth="BV Bạch Mai", ethnicity="Kinh",
             flags=["low_confidence:full_name"]),
        # a different child: another sex, otherwise much alike the Đặng girl
        _row("KS-BS-1985", 2, 8, entry_no="17", full_name="Đặng Thu Hường", sex="Nam",
             date_of_birth="1985-06-30", father_name="Đặng Văn Tuấn",
             mother_name="Vũ Thị Hằng", place_of_birth="Bệnh viện Bạch Mai", ethnicity="Kinh"),
        # missing nearly everything: tolerated, stays alone
        _row("KS-BS-1985", 2, 9, entry_no="18", full_name="Lê Văn Nam"),
    ]
    write_volume(out, "birth", "KS-1985", book)
    write_volume(out, "birth", "KS-BS-1985", [r for r in later if r["record_id"].startswith("KS-BS")])
    write_volume(out, "birth", "KS-DKL-2001", [r for r in later if r["record_id"].startswith("KS-DKL")])
    run_dedup(out)
    c = pd.read_parquet(out / "dedup" / "clusters.parquet").set_index("record_id").cluster_id
    same = lambda a, b: c[a] == c[b]  # noqa: E731
    assert same("KS-1985:0001:01", "KS-DKL-2001:0001:01")  # Nhung, re-registered
    assert same("KS-1985:0001:02", "KS-DKL-2001:0001:02")  # Hồng, re-registered
    assert not same("KS-1985:0001:01", "KS-1985:0001:02")  # twins
    assert not same("KS-DKL-2001:0001:01", "KS-DKL-2001:0001:02")
    assert not same("KS-1985:0001:03", "KS-1985:0001:04")  # namesakes, same day and ward
    assert same("KS-1985:0001:04", "KS-DKL-2001:0001:03")  # the one whose father matches
    assert not same("KS-1985:0001:03", "KS-DKL-2001:0001:03")
    assert same("KS-1985:0001:05", "KS-BS-1985:0002:07")  # UPPERCASE copy, marks lost
    assert not same("KS-1985:0001:05", "KS-BS-1985:0002:08")  # other sex
    assert (c == c["KS-BS-1985:0002:09"]).sum() == 1


def test_cli_prints_summary(birth_set, tmp_path):
    src, _, _ = birth_set
    out = tmp_path / "out"
    shutil.copytree(src / "records", out / "records")
    res = CliRunner().invoke(app, ["dedup", str(out)])
    assert res.exit_code == 0, res.output
    last = json.loads(res.output.strip().splitlines()[-1])
    assert last["records"] > 0 and last["clusters"] < last["records"]
    assert "candidate pairs" in res.output


@pytest.mark.parametrize("rtype", ["death", "marriage"])
def test_death_and_marriage_registers(tmp_path, rtype):
    out = tmp_path / "out"
    truth = write_set(out, DupSpec(rtype, records=2500, seed=3, volume_size=400)).to_pandas()
    summary = run_dedup(out)
    clusters = pd.read_parquet(out / "dedup" / "clusters.parquet")
    score = pairwise(clusters, truth)
    assert score["true"] > 200
    assert score["recall"] >= 0.95, score
    assert score["precision"] >= 0.98, score
    assert summary["by_type"][rtype]["records"] == len(truth)


def test_contradicting_members_are_flagged_with_the_evidence(tmp_path):
    """A re-registration that agrees on the child, the date and the father but names another
    mother (both known) may still be merged on the rest; then the cluster is flagged for
    review and the pair says which field contradicts. A missing mother never contradicts."""
    out = tmp_path / "out"
    base = dict(FAMILY, full_name="Phạm Thị Nhung", entry_no="12")
    write_volume(out, "birth", "KS-1985", [_row("KS-1985", 1, 1, **base)])
    write_volume(out, "birth", "KS-DKL-2001", [
        _row("KS-DKL-2001", 1, 1, **dict(base, entry_no="1/2001", mother_name="Lưu Thị Mai")),
    ])
    write_volume(out, "birth", "KS-BS-1985", [
        _row("KS-BS-1985", 1, 1, **dict(base, mother_name=None))])
    run_dedup(out)
    c = pd.read_parquet(out / "dedup" / "clusters.parquet").set_index("record_id")
    p = pd.read_parquet(out / "dedup" / "pairs.parquet")
    assert {"needs_review", "review_reason"} <= set(c.columns) and "contradicts" in p.columns
    for row in p.itertuples():
        ids = {row.record_id_a, row.record_id_b}
        if ids == {"KS-1985:0001:01", "KS-DKL-2001:0001:01"}:
            assert row.contradicts == "mother_name"
        elif "KS-BS-1985:0001:01" in ids and "KS-1985:0001:01" in ids:
            assert pd.isna(row.contradicts)  # the missing mother: neutral
    for cid, g in c.groupby("cluster_id"):
        bad = p[(p.cluster_id == cid) & p.contradicts.notna()]
        assert g.needs_review.all() == (len(bad) > 0)
        if len(bad):
            assert set(g.review_reason) == {"mother_name"}
    assert c.loc["KS-1985:0001:01", "needs_review"] == \
        (c.loc["KS-1985:0001:01", "cluster_id"] == c.loc["KS-DKL-2001:0001:01", "cluster_id"])


def test_contradictions_ignore_missing_values():
    from pipeline.dedup.evidence import contradictions
    from pipeline.dedup.profiles import BIRTH
    k = {c.name: i for i, c in enumerate(BIRTH.comparisons)}
    lv = np.zeros((3, len(BIRTH.comparisons)), dtype=np.int8)
    lv[0, k["mother_name"]] = 4  # different
    lv[1, k["mother_name"]] = -1  # missing
    lv[2, k["father_name"]] = 4
    lv[2, k["date_of_birth"]] = 4
    assert contradictions(BIRTH.comparisons, BIRTH.contradictions, lv) == \
        ["mother_name", None, "date_of_birth,father_name"]
