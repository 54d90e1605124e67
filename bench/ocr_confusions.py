"""Measure Tesseract `vie`'s confusions on Vietnamese names -> normalize/data/confusions.tsv.

Renders real-looking names (samples.people.person_name) with several fonts (DejaVu,
Liberation, FreeFont), 28-40 px, a quarter in capitals, mild blur and noise; reads each
line with real Tesseract through ocr.tesseract.make_engine (psm SINGLE_LINE); prepares the
OCR text exactly as the name normaliser does (normalize.names.prepare_tokens); aligns
printed and read syllables one to one (lines whose syllable count changed are counted as
"token" rows and not aligned) and counts tone and letter events (normalize.confusion.align).

Run:  PYTHONPATH=. .venv/bin/python -m bench.ocr_confusions [--names 4000] [--seed 7]
"""
from __future__ import annotations

import argparse
import datetime as dt
import random
import time
from collections import Counter
from pathlib import Path

from bench.render import LineReader, random_spec, render_line
from normalize.confusion import CONFUSIONS_TSV, align
from normalize.names import prepare_tokens
from ocr.tesseract import check_tesseract
from samples.people import person_name


def measure(n_names: int, seed: int, upper_rate: float) -> tuple[Counter, dict]:
    """Count events over `n_names` rendered and OCR'd names, by case (lower / upper)."""
    rng = random.Random(seed)
    reader = LineReader()
    counts: Counter = Counter()
    stats = Counter()
    t0 = time.perf_counter()
    for i in range(n_names):
        name = person_name(rng, rng.choice(["Nam", "Nữ"]), year=rng.randint(1930, 2020))
        spec = random_spec(rng, upper_rate)
        case = "upper" if spec.upper else "lower"
        ocr = reader.read(render_line(name, spec, seed * 1_000_003 + i))
        truth_toks = prepare_tokens(name)
        ocr_toks = prepare_tokens(ocr)
        stats["names"] += 1
        stats[f"names_{case}"] += 1
        stats["names_exact"] += truth_toks == ocr_toks
        if len(truth_toks) != len(ocr_toks):
            counts[("token", case, str(len(truth_toks)), str(len(ocr_toks)))] += 1
            stats["names_token_count_changed"] += 1
            continue
        for t, o in zip(truth_toks, ocr_toks):
            stats[f"syllables_{case}"] += 1
            stats[f"syllables_wrong_{case}"] += t != o
            for kind, a, b in align(t, o):
                counts[(kind, case, a, b)] += 1
    reader.close()
    stats["seconds"] = round(time.perf_counter() - t0, 1)
    return counts, dict(stats)


def write_table(counts: Counter, stats: dict, path: Path, argv: str) -> None:
    info = check_tesseract()
    lines = [
        "# Tesseract vie confusions on rendered Vietnamese names, measured by bench/ocr_confusions.py",
        f"# command: {argv}",
        f"# date: {dt.date.today().isoformat()}; tesseract {info.version}; fonts: DejaVu, Liberation, FreeFont, Noto, Gentium, Charis;",
        "# 20-40 px, some lines in capitals (case column), Gaussian blur 0-1.2 px, noise sigma 0-24;",
        "# psm SINGLE_LINE.",
        "# stats: " + ", ".join(f"{k}={v}" for k, v in stats.items()),
        "# kind: tone (printed tone -> read tone, per syllable), letter (printed letter -> read",
        "# letter, '' = dropped; toneless, lowercase), insert (extra character), token (syllable",
        "# count printed -> read, lines not aligned).",
        "# case: lower = mixed-case lines, upper = lines in capitals (counted in lowercase).",
        "kind\tcase\tprinted\tread\tcount",
    ]
    order = {"tone": 0, "letter": 1, "insert": 2, "token": 3}
    for (kind, case, a, b), n in sorted(counts.items(),
                                        key=lambda kv: (order[kv[0][0]], kv[0][1], kv[0][2], -kv[1], kv[0][3])):
        lines.append(f"{kind}\t{case}\t{a}\t{b}\t{n}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def top_confusions(counts: Counter, k: int = 25) -> list[tuple[str, int]]:
    """The most frequent errors (printed != read), as 'kind: a -> b' strings."""
    errs = [(f"{kind} ({case}): {a or '∅'} -> {b or '∅'}", n) for (kind, case, a, b), n in counts.items()
            if a != b and kind != "token"]
    return sorted(errs, key=lambda x: -x[1])[:k]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--names", type=int, default=4000)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--upper-rate", type=float, default=0.4, help="share of lines in capitals")
    ap.add_argument("--out", type=Path, default=CONFUSIONS_TSV)
    args = ap.parse_args()
    counts, stats = measure(args.names, args.seed, args.upper_rate)
    write_table(counts, stats, args.out,
                f"PYTHONPATH=. .venv/bin/python -m bench.ocr_confusions --names {args.names} "
                f"--seed {args.seed} --upper-rate {args.upper_rate}")
    print(stats)
    for s, n in top_confusions(counts):
        print(f"{n:6d}  {s}")


if __name__ == "__main__":
    main()
