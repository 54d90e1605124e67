"""Dedup building blocks: folding, comparison levels, blocking, EM, clustering."""
from __future__ import annotations

import itertools

import numpy as np
import pyarrow as pa
import pytest

from pipeline.dedup import fold as F
from pipeline.dedup.blocking import candidate_pairs, make_blocks, pairs_in_blocks, BlockingRule
from pipeline.dedup.cluster import average_linkage, cluster, connected_components
from pipeline.dedup.compare import DateComparison, NameComparison, PlaceComparison
from pipeline.dedup.features import Features
from pipeline.dedup.model import agreement_start, expectation_maximisation, patterns


@pytest.mark.parametrize("raw, folded", [
    ("Trần Thị Huyền", "tran thi huyen"), ("TRẦN  THỊ HUYỀN ", "tran thi huyen"),
    ("Đặng Ưng Ơn", "dang ung on"), ("Nguyễn", "nguyen"),
    ("Nguye\u0302\u0303n", "nguyen"),  # decomposed input
    ("", None), (None, None)])
def test_fold(raw, folded):
    assert F.fold(raw) == folded


def test_place_key_ignores_units_and_abbreviations():
    full = F.place_key("Phường Bạch Mai, Quận Hai Bà Trưng, Hà Nội")
    assert full == F.place_key("P. Bạch Mai, Q. Hai Bà Trưng, HN")
    assert F.place_key("Bệnh viện Bạch Mai") == F.place_key("BV Bạch Mai") != full


def test_parse_date_and_name_parts():
    assert F.parse_date("1965-03") == (1965, 3, 0)
    assert F.parse_date("12/03/1965") == (0, 0, 0)
    assert F.name_part("Nguyễn Thị Thu Hằng", "middle") == "Thị Thu"
    assert F.name_part("Hằng", "surname") is None


def _feats(column: str, values: list) -> Features:
    return Features(pa.table({column: pa.array(values, pa.string())}))


def _levels(cmp, column, pairs_of_values):
    vals = [v for pair in pairs_of_values for v in pair]
    f = _feats(column, vals)
    ia = np.arange(0, len(vals), 2, dtype=np.int32)
    return [cmp.levels[x] if x >= 0 else "missing" for x in cmp.compare(f, ia, ia + 1)]


def test_name_levels_know_diacritic_slips():
    c = NameComparison("n", "full_name")
    got = _levels(c, "full_name", [
        ("Trần Văn Hùng", "Trần Văn Hùng"), ("Trần Văn Hùng", "Trân Văn Hùng"),
        ("Nguyễn Thị Hương", "Nguyen Thi Huong"), ("Đặng Văn Lâm", "Dặng Văn Lâm"),
        ("Nguyễn Thị Hằng", "Nguyễn Thị Hằg"), ("Nguyễn Thị Thu Hằng", "Nguyễn Thị Hằng"),
        ("Nguyễn Văn Hùng", "Phạm Thị Lan"), ("Nguyễn Văn Hùng", None)])
    assert got == ["exact", "diacritics", "diacritics", "diacritics", "ocr_close", "similar",
                   "different", "missing"]


def test_middle_name_subset_level():
    c = NameComparison("m", "full_name", "middle", tf=False)
    got = _levels(c, "full_name", [("Lê Thị Thu Hà", "Lê Thị Hà"), ("Lê Hà", "Lê Thị Hà"),
                                   ("Lê Văn Hà", "Lê Đức Hà")])
    assert got == ["similar", "similar", "different"]


def test_date_levels():
    c = DateComparison("d", "date_of_birth")
    got = _levels(c, "date_of_birth", [
        ("1965-03-12", "1965-03-12"), ("1965-03-12", "1965"), ("1965-03-12", "1965-03"),
        ("1965-03-12", "1965-12-03"), ("1965-03-12", "1965-03-17"), ("1965-03-12", "1966-03-12"),
        ("1965-03-12", "1966-08-30"), ("1965-03-12", "1972-03-12"), ("1965", None),
        ("1965-03", "1965-04-02")])
    assert got == ["exact", "partial", "partial", "typo", "typo", "typo", "near", "different",
                   "missing", "near"]


def test_place_levels():
    c = PlaceComparison("p", "place_of_birth")
    got = _levels(c, "place_of_birth", [
        ("Phường Bạch Mai, Quận Hai Bà Trưng, Hà Nội", "P. Bạch Mai, Q. Hai Bà Trưng, HN"),
        ("Bệnh viện Bạch Mai", "Bệnh viện Bạch Mal"), ("Bệnh viện Bạch Mai", "Nhà hộ sinh A"),
        # a district renamed: the ward is the same
        ("Phường Tín Hoa, Quận Diệp Hiệp, Thái Bình", "Phường Tín Hoa, Quận Trường Chưởng, Thái Bình"),
        # a hospital named after its province vs a ward of that province
        ("Bệnh viện Phụ sản Thái Bình", "Xã Luân Yên, Huyện Diệp Hiệp, Thái Bình"),
        # two wards of one province
        ("Phường Cầu Giấy, Quận Ba Đình, Hà Nội", "Xã Tân Lập, Huyện Đan Phượng, HN"),
        # other provinces, and an institution that names none
        ("Xã Tân Lập, Huyện Đông Sơn, Thanh Hóa", "Phường Cầu Giấy, Quận Ba Đình, Nghệ An"),
        ("Nhà hộ sinh A", "Phường Cầu Giấy, Quận Ba Đình, Nghệ An")])
    assert got == ["exact", "similar", "different", "same_locality", "same_area", "same_area",
                   "different", "different"]


def test_place_parts():
    assert F.place_parts("Phường Tín Hoa, Quận Diệp Hiệp, Thái Bình") == ("tin hoa", "thai binh")
    assert F.place_parts("P. Bạch Mai, Q. Hai Bà Trưng, Hà Nội") == ("bach mai", "hn")
    assert F.place_parts("Bệnh viện Phụ sản Thái Bình") == (None, "bv phu san thai binh")
    assert F.place_parts(None) == (None, None)


def test_pairs_in_blocks_is_every_pair_once():
    rng = np.random.default_rng(0)
    keys = rng.integers(0, 40, 300).astype(np.uint64)
    keys[:10] = 0  # no key: never paired
    blocks, stats = make_blocks(keys, cap=12)
    a, b = pairs_in_blocks(blocks.order, blocks.starts, blocks.sizes)
    got = set(zip(a.tolist(), b.tolist()))
    want = set()
    sizes = np.bincount(keys[keys != 0].astype(np.int64))
    for i, j in itertools.combinations(range(300), 2):
        if keys[i] != 0 and keys[i] == keys[j] and sizes[keys[i]] <= 12:
            want.add((i, j))
    assert got == want and len(a) == len(got) == stats.pairs
    assert stats.capped_blocks == int((sizes > 12).sum())


def test_candidate_pairs_union_and_dirty_subset():
    names = ["Lan", "Lan", "Hoa", "Hoa", "Lan", None]
    years = ["1990", "1991", "1990", "1990", "1990", "1990"]
    f = Features(pa.table({"full_name": names, "date_of_birth": years}))
    rules = (BlockingRule("name", ("full_name|given|fold",)),
             BlockingRule("year", ("date_of_birth|year",)))
    cand, _ = candidate_pairs(f, rules, cap=10)
    pairs = dict(zip(zip(cand.ia.tolist(), cand.ib.tolist()), cand.rules.tolist()))
    assert pairs[(0, 4)] == 0b11 and pairs[(0, 1)] == 0b01 and pairs[(2, 5)] == 0b10
    assert len(pairs) == len(set(pairs))
    dirty = np.array([False, False, False, False, True, False])
    sub, _ = candidate_pairs(f, rules, cap=10, dirty=[dirty, dirty])
    assert set(zip(sub.ia.tolist(), sub.ib.tolist())) == {p for p in pairs if 4 in p}


def test_em_separates_matches_from_non_matches():
    rng = np.random.default_rng(1)
    n_m, n_u = 2000, 20000
    m_true, u_true = np.array([0.9, 0.08, 0.02]), np.array([0.1, 0.2, 0.7])
    lv = np.concatenate([
        np.column_stack([rng.choice(3, n_m, p=m_true) for _ in range(4)]),
        np.column_stack([rng.choice(3, n_u, p=u_true) for _ in range(4)])]).astype(np.int8)
    lv[rng.random(lv.shape) < 0.05] = -1
    pats, counts = patterns(lv, [3] * 4)
    assert counts.sum() == len(lv)
    prm = expectation_maximisation(pats, counts, [(0.8, 0.15, 0.05)] * 4, [(0.3, 0.3, 0.4)] * 4,
                                   agreement_start(pats))
    assert prm.lam == pytest.approx(n_m / (n_m + n_u), abs=0.01)
    assert np.allclose(prm.m[0], m_true, atol=0.03) and np.allclose(prm.u[0], u_true, atol=0.03)


def test_connected_components():
    labels = connected_components(7, np.array([0, 1, 4, 6]), np.array([1, 2, 5, 4]))
    assert labels.tolist() == [0, 0, 0, 3, 4, 4, 4]


def test_average_linkage_splits_a_chain_and_respects_forbidden_pairs():
    p = np.array([[0, .99, .02], [.99, 0, .95], [.02, .95, 0]])
    assert average_linkage(p, np.zeros((3, 3), bool), 0.6).tolist() == [0, 0, 1]
    tight = np.full((3, 3), 0.99)
    forbid = np.zeros((3, 3), bool)
    forbid[0, 2] = forbid[2, 0] = True
    g = average_linkage(tight, forbid, 0.6)
    assert g[0] != g[2] and len(set(g.tolist())) == 2


def test_cluster_scores_missing_pairs_inside_components():
    # 0-1 and 1-2 are strong candidates; 0-2 was never a candidate and scores low
    ia, ib = np.array([0, 1]), np.array([1, 2])
    prob, forbid = np.array([0.99, 0.97]), np.zeros(2, bool)

    def score(a, b):
        table = {(0, 1): 0.99, (1, 2): 0.97, (0, 2): 0.01}
        return np.array([table[(int(x), int(y))] for x, y in zip(a, b)]), np.zeros(len(a), bool)

    labels, stats = cluster(4, ia, ib, prob, forbid, score, threshold=0.9, cohesion=0.6)
    assert labels[0] == labels[1] != labels[2] and labels[3] == 3
    assert stats["split_components"] == 1


def test_read_records_reads_only_the_columns_asked(tmp_path):
    from schemas.parquet_io import read_records, write_volume
    write_volume(tmp_path, "birth", "V", [{"record_id": "V:0001:01", "page": 1, "row": 1,
                                           "needs_review": False, "full_name": "Lê Văn An"}])
    t = read_records(tmp_path, "birth", columns=["record_id", "full_name"])
    assert t.column_names == ["record_id", "full_name", "volume_id", "register_type"]
    assert t.column("full_name").to_pylist() == ["Lê Văn An"]
    empty = read_records(tmp_path / "none", "birth", columns=["record_id", "full_name"])
    assert empty.num_rows == 0 and empty.column_names[:2] == ["record_id", "full_name"]
