"""Name-repair benchmark: normalize.names against a baseline, on OCR-damaged real-looking names.

Sets (truth from samples.people.person_name, which includes held-out given names the
lexicon does not know):
- model: names corrupted syllable by syllable with the measured Tesseract channel model
  (normalize/data/confusions.tsv, see bench/ocr_confusions.py); a quarter written in capitals
  as many registers do.
- ocr: names rendered (fonts, 28-40 px, blur, noise; a seed the measurement did not use) and
  read by real Tesseract vie (skipped with --no-ocr).

Metrics (per set, for the repair and for the baseline = NFC + clean + title case):
- exact_all: share of names whose value equals the truth.
- exact_wrong<=2: exact-match share among names whose raw reading (baseline-normalised) was
  wrong in 1 or 2 characters (target >= 95%).
- made_wrong: share of names read right (baseline == truth) that the method made wrong
  (target <= 0.2%).
- silent_wrong: share of all names wrong and not flagged (target <= 1%).
- flagged: share of names flagged for review.
- heldout_*: the same on names whose given name is held out of the lexicon.
Speed: names/s of normalize_name on one core, cold (caches emptied) and warm.

Run:  PYTHONPATH=. .venv/bin/python -m bench.names [--names 20000] [--ocr-names 2000] [--no-ocr]
"""
from __future__ import annotations

import argparse
import random
import time
from dataclasses import dataclass

from rapidfuzz.distance import Levenshtein

from normalize import names as names_mod
from normalize.confusion import channel_model
from normalize.names import normalize_name
from normalize.text import capitalize_word, clean_text
from samples.people import SAMPLES_DATA, person_name


def baseline(raw: str) -> str:
    """What normalisation without repair gives: NFC, cleaned, each word capitalised."""
    return " ".join(capitalize_word(w) for w in clean_text(raw).split())


def heldout_names() -> set[str]:
    rows = (SAMPLES_DATA / "heldout_given_names.txt").read_text(encoding="utf-8").splitlines()
    return {r.split("\t")[0] for r in rows if r.strip() and not r.startswith("#")}


@dataclass(frozen=True)
class Case:
    truth: str
    raw: str


def model_cases(n: int, seed: int, upper_rate: float = 0.25) -> list[Case]:
    """Names corrupted by the measured model of their case (a quarter in capitals)."""
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        truth = person_name(rng, rng.choice(["Nam", "Nữ"]), year=rng.randint(1930, 2020))
        upper = rng.random() < upper_rate
        model = channel_model("upper" if upper else "lower")
        raw = " ".join(model.corrupt(w, rng) for w in truth.split())
        out.append(Case(truth, raw.upper() if upper else raw))
    return out


def ocr_cases(n: int, seed: int) -> list[Case]:
    from bench.render import LineReader, random_spec, render_line

    rng = random.Random(seed)
    reader = LineReader()
    out = []
    for i in range(n):
        truth = person_name(rng, rng.choice(["Nam", "Nữ"]), year=rng.randint(1930, 2020))
        out.append(Case(truth, reader.read(render_line(truth, random_spec(rng), seed * 7919 + i))))
    reader.close()
    return out


def score(cases: list[Case], method, held: set[str]) -> dict[str, float]:
    n = len(cases)
    exact = small = small_ok = right = made_wrong = silent = flagged = 0
    h_n = h_ok = h_right = h_made_wrong = 0
    for c in cases:
        base = baseline(c.raw)
        value, flags = method(c.raw)
        ok = value == c.truth
        exact += ok
        flagged += bool(flags)
        silent += (not ok) and not flags
        d = Levenshtein.distance(base, c.truth)
        if 1 <= d <= 2:
            small += 1
            small_ok += ok
        if base == c.truth:
            right += 1
            made_wrong += not ok
        if c.truth.split()[-1] in held:
            h_n += 1
            h_ok += ok
            if base == c.truth:
                h_right += 1
                h_made_wrong += not ok
    pct = lambda a, b: 100.0 * a / b if b else float("nan")  # noqa: E731
    return {"n": n, "exact_all": pct(exact, n), "n_wrong<=2": small,
            "exact_wrong<=2": pct(small_ok, small), "made_wrong": pct(made_wrong, right),
            "silent_wrong": pct(silent, n), "flagged": pct(flagged, n),
            "heldout_n": h_n, "heldout_exact": pct(h_ok, h_n), "heldout_made_wrong": pct(h_made_wrong, h_right)}


def repair(raw: str) -> tuple[str | None, tuple[str, ...]]:
    r = normalize_name(raw)
    return r.value, r.flags


def base_method(raw: str) -> tuple[str | None, tuple[str, ...]]:
    return baseline(raw), ()


def speed(raws: list[str]) -> dict[str, float]:
    """names/s on one core, cold (per-syllable caches emptied; lexicon built) and warm.

    Measured in process CPU time (time.process_time) so that other processes on a shared
    machine do not count against us; wall-clock rates are reported beside it.
    """
    normalize_name("Nguyễn Văn An")  # build the lexicon and indexes outside the timing
    names_mod.clear_caches()
    out = {}
    for label in ("cold", "warm"):
        c0, w0 = time.process_time(), time.perf_counter()
        for r in raws:
            normalize_name(r)
        out[f"{label}_cpu"] = len(raws) / (time.process_time() - c0)
        out[f"{label}_wall"] = len(raws) / (time.perf_counter() - w0)
    return out


def print_errors(cases, method, limit: int, label: str = "") -> None:
    """The first `limit` cases (anything with .raw and .truth) that `method` gets wrong."""
    shown = 0
    for c in cases:
        if shown >= limit:
            break
        v, f = method(c.raw)
        if v != c.truth:
            print(f"  {label}{c.raw!r} -> {v!r} (truth {c.truth!r}) flags={list(f)}")
            shown += 1


def print_table(title: str, rows: dict[str, dict[str, float]]) -> None:
    cols = ["n", "exact_all", "n_wrong<=2", "exact_wrong<=2", "made_wrong", "silent_wrong", "flagged",
            "heldout_n", "heldout_exact", "heldout_made_wrong"]
    print(f"\n{title}")
    print("| method | " + " | ".join(cols) + " |")
    print("|---" * (len(cols) + 1) + "|")
    for name, r in rows.items():
        cells = [f"{r[c]:.0f}" if c in ("n", "n_wrong<=2", "heldout_n") else f"{r[c]:.2f}%" for c in cols]
        print(f"| {name} | " + " | ".join(cells) + " |")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--names", type=int, default=20000)
    ap.add_argument("--ocr-names", type=int, default=2000)
    ap.add_argument("--no-ocr", action="store_true")
    ap.add_argument("--seed", type=int, default=2024)
    ap.add_argument("--show-errors", type=int, default=0, help="print this many repair errors")
    args = ap.parse_args()
    held = heldout_names()
    sets = {"model": model_cases(args.names, args.seed)}
    if not args.no_ocr:
        sets["ocr"] = ocr_cases(args.ocr_names, args.seed + 1)
    for name, cases in sets.items():
        n_syl = channel_model("lower").n_syllables
        print_table(f"set={name} (confusion model: {n_syl:.0f} measured syllables, weighted)",
                    {"baseline (NFC+title)": score(cases, base_method, held),
                     "normalize_name": score(cases, repair, held)})
        print_errors(cases, repair, args.show_errors)
    sp = speed([c.raw for c in sets["model"]])
    print(f"\nspeed (one core, {len(sets['model'])} names of set=model): "
          f"cold {sp['cold_cpu']:,.0f} names/s CPU ({sp['cold_wall']:,.0f} wall), "
          f"warm {sp['warm_cpu']:,.0f} names/s CPU ({sp['warm_wall']:,.0f} wall)")


if __name__ == "__main__":
    main()
