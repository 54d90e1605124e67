"""The reference: Splink (DuckDB backend) on the same birth records, configured honestly.

Same input as `hotich dedup` (read_records on OUT), the same cleaned columns (diacritic-free
folded names and name parts, canonical places: Splink's documented practice is to standardise
columns first, and without folding it could not see a lost tone mark), the same blocking keys
as our rules, comparison levels that mirror ours (exact with diacritics and term-frequency
adjustment, folded-equal, edit distance 1-2, Jaro-Winkler, else; dates exact / one edit /
same year), Splink's usual training (probability two random records match from
deterministic rules, u by random sampling, m by EM over two blocking rules), and the same
threshold rule: match probability >= the threshold for predict and for clustering.
Splink has no cannot-link rules; it is run as it is normally used.
"""
from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pandas as pd

from pipeline.dedup.features import Features
from pipeline.dedup.profiles import BIRTH
from schemas.parquet_io import read_records


def prepared_birth_frame(out: Path) -> pd.DataFrame:
    """The birth records with the cleaned columns both engines compare."""
    t = read_records(out, "birth", columns=["record_id", *BIRTH.fields])
    f = Features(t)

    def col(name: str) -> np.ndarray:
        e = f.encoded(name)
        return np.asarray(list(e.values) + [None], dtype=object)[np.where(e.codes >= 0, e.codes,
                                                                          len(e.values))]

    df = pd.DataFrame({"unique_id": t.column("record_id").to_pylist()})
    for part in ("surname", "middle", "given", "full"):
        df[part] = col(f"full_name|{part}|exact")
        df[f"{part}_fold"] = col(f"full_name|{part}|fold")
    df["full_skel"] = col("full_name|full|skel")
    for p in ("father", "mother"):
        df[p] = col(f"{p}_name|full|exact")
        df[f"{p}_fold"] = col(f"{p}_name|full|fold")
    df["father_skel"] = col("father_name|full|skel")
    df["dob"] = t.column("date_of_birth").to_pylist()
    df["dob_full"] = col("date_of_birth|full")
    df["dob_year"] = col("date_of_birth|year")
    df["place"] = col("place_of_birth|place")
    df["hometown"] = col("hometown|place")
    df["sex"] = t.column("sex").to_pylist()
    df["ethnicity"] = t.column("ethnicity").to_pylist()
    return df


def settings(threshold_note: str = ""):
    """The Splink settings (comparisons and prediction blocking rules)."""
    import splink.comparison_level_library as cll
    import splink.comparison_library as cl
    from splink import SettingsCreator, block_on

    def name(col: str, tf: bool = True, jw: float | None = 0.9):
        levels = [cll.NullLevel(col), cll.ExactMatchLevel(col, term_frequency_adjustments=tf),
                  cll.ExactMatchLevel(f"{col}_fold"), cll.LevenshteinLevel(f"{col}_fold", 1)]
        if jw is not None:
            levels.append(cll.JaroWinklerLevel(f"{col}_fold", jw))
        levels.append(cll.ElseLevel())
        return cl.CustomComparison(levels, output_column_name=col)

    dob = cl.CustomComparison([
        cll.NullLevel("dob"), cll.ExactMatchLevel("dob"), cll.LevenshteinLevel("dob", 1),
        cll.ExactMatchLevel("dob_year"), cll.ElseLevel()], output_column_name="dob")
    place = lambda c: cl.CustomComparison([  # noqa: E731
        cll.NullLevel(c), cll.ExactMatchLevel(c), cll.JaroWinklerLevel(c, 0.9), cll.ElseLevel()],
        output_column_name=c)
    return SettingsCreator(
        link_type="dedupe_only",
        comparisons=[name("surname", jw=None), name("middle", tf=False, jw=None),
                     name("given", jw=None), cl.ExactMatch("sex"), dob, name("father"),
                     name("mother"), place("place"), place("hometown"),
                     cl.ExactMatch("ethnicity")],
        blocking_rules_to_generate_predictions=[
            block_on("dob_full", "surname_fold"), block_on("given_fold", "mother_fold"),
            block_on("father_fold", "dob_year"), block_on("mother_fold", "dob_year"),
            block_on("full_fold", "dob_year"), block_on("full_skel", "father_skel"),
            block_on("given_fold", "dob_full")],
        retain_matching_columns=False,
        retain_intermediate_calculation_columns=False,
    )


def run_splink(out: Path, threshold: float, u_pairs: float = 1e7) -> tuple[pd.DataFrame, dict]:
    """Dedup OUT's birth records with Splink; (clusters: record_id, cluster_id), info."""
    import duckdb
    import splink
    from splink import DuckDBAPI, Linker, block_on

    df = prepared_birth_frame(out)
    db = DuckDBAPI()
    linker = Linker(db.register(df), settings(), log_level=logging.WARNING)
    linker.training.estimate_probability_two_random_records_match(
        [block_on("full_fold", "dob_full", "mother_fold"),
         block_on("full_fold", "dob_full", "father_fold")], recall=0.7)
    linker.training.estimate_u_using_random_sampling(max_pairs=u_pairs, seed=1)
    linker.training.estimate_parameters_using_expectation_maximisation(
        block_on("dob_full", "surname_fold"))
    linker.training.estimate_parameters_using_expectation_maximisation(
        block_on("given_fold", "mother_fold"))
    pred = linker.inference.predict(threshold_match_probability=threshold)
    n_pairs = pred.as_duckdbpyrelation().aggregate("count(*)").fetchall()[0][0]
    clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(
        pred, threshold_match_probability=threshold)
    c = clusters.as_pandas_dataframe()[["unique_id", "cluster_id"]]
    c = c.rename(columns={"unique_id": "record_id"}).astype({"cluster_id": str})
    return c, {"splink": splink.__version__, "duckdb": duckdb.__version__,
               "pairs_above_threshold": int(n_pairs)}
