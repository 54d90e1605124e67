"""Names beyond the lexicon: real names held out of every model, rendered, read by Tesseract.

Truth: a surname drawn from normalize/data/surnames.tsv's shares and a real "middle given"
name of the dev or test group of bench/name_split.py (never counted into the lexicon). Each
is drawn in 8 faces the confusion measurement (bench/ocr_confusions.py: DejaVu, Liberation,
FreeFont) never used: Arimo, Tinos, Cousine (fonts-croscore), Open Sans, Roboto, 20-36 px,
a quarter in capitals, blur 0-1.2 px, noise sigma 0-24, and read by real Tesseract `vie` (psm
SINGLE_LINE, lstm_choice_mode 2). Reads are cached in bench/results/ (gitignored) by split,
count and seed, with the recogniser's glyph alternatives beside them (*_choices.jsonl).

Columns (value compared with the truth; `read` = the OCR text NFC-cleaned and capitalised):
- kept: right reads left right (target >= 99.8%);
- near: reads 1-2 characters off that came out right (target >= 80%); far: > 2 characters;
- silent_wrong: wrong (or empty) and not flagged, of all names (target <= 0.5%);
- flagged: share of names with a flag;
- unlisted: the same "kept / near" on names whose given name is on no list of the lexicon.
Baseline: the read itself (NFC + title case, no repair). Rows: `hotich` the text alone (what
`hotich normalize` sees), `hotich + glyph choices` with the glyph alternatives as evidence
(what the page reader passes for a ledger's name cells). Speed: 500,000 names through
normalize.field.normalize_field (what `hotich normalize` and the pipeline call), CPU time of
this process and wall-clock beside it.

Run:  PYTHONPATH=. .venv/bin/python -m bench.names_eval [--split dev|test|both] [--names 3000]
      [--speed 500000] [--show-errors 30]
"""
from __future__ import annotations

import argparse
import csv
import json
import os
import random
import time
from dataclasses import dataclass
from pathlib import Path

from rapidfuzz.distance import Levenshtein

from bench.build_name_lexicon import build
from bench.name_split import names_in
from normalize.evidence import ReadEvidence
from normalize.field import normalize_field
from normalize.lexicon import DATA, NAMES_VNFG_ENV, lexicon
from normalize.text import capitalize_word, clean_text

RESULTS = Path(__file__).resolve().parent / "results"
HELD_OUT_FONTS = ("croscore/Arimo-Regular.ttf", "croscore/Arimo-Bold.ttf", "croscore/Tinos-Regular.ttf",
                  "croscore/Tinos-Italic.ttf", "croscore/Cousine-Regular.ttf", "open-sans/OpenSans-Regular.ttf",
                  "open-sans/OpenSans-Semibold.ttf", "roboto/unhinted/RobotoTTF/Roboto-Regular.ttf")
SEEDS = {"dev": 1801, "test": 1802}


@dataclass(frozen=True)
class Case:
    truth: str
    sex: str
    raw: str
    evidence: ReadEvidence | None = None


def _surnames() -> tuple[list[str], list[float]]:
    rows = [l.split("\t") for l in (DATA / "surnames.tsv")
            .read_text(encoding="utf-8").splitlines() if l.strip() and not l.startswith("#")]
    rows = [r for r in rows if r[0] != "name" and len(r[0].split()) == 1]
    return [r[0] for r in rows], [float(r[1]) for r in rows]


def truths(split: str, n: int, seed: int) -> list[tuple[str, str]]:
    rng = random.Random(seed)
    pool = names_in(split)
    sur, w = _surnames()
    return [(" ".join([rng.choices(sur, w)[0], *parts]), sex)
            for parts, sex in (rng.choice(pool) for _ in range(n))]


def read_cases(split: str, n: int) -> list[Case]:
    """Rendered and OCR'd names of `split`, from the cache when it has them."""
    seed = SEEDS[split]
    cache = RESULTS / f"names_eval_{split}_{n}_{seed}.tsv"
    choices = RESULTS / f"names_eval_{split}_{n}_{seed}_choices.jsonl"
    if cache.is_file() and choices.is_file():
        with cache.open(encoding="utf-8") as f:
            rows = list(csv.reader(f, delimiter="\t", quoting=csv.QUOTE_NONE))
        with choices.open(encoding="utf-8") as f:
            evs = [json.loads(line) for line in f]
        return [Case(t, s, r, ReadEvidence.from_json(e) if e else None) for (t, s, r), e in zip(rows, evs)]
    from bench.render import LineReader, RenderSpec, render_line

    rng = random.Random(seed * 31)
    fonts = [f"/usr/share/fonts/truetype/{p}" for p in HELD_OUT_FONTS]
    missing = [f for f in fonts if not Path(f).is_file()]
    if missing:
        raise SystemExit(f"missing fonts {missing}: apt-get install fonts-croscore fonts-open-sans "
                         "fonts-roboto-unhinted (make install does)")
    reader = LineReader()
    out = []
    for i, (truth, sex) in enumerate(truths(split, n, seed)):
        spec = RenderSpec(font=rng.choice(fonts), size=rng.randint(20, 36), upper=rng.random() < 0.25,
                          blur=rng.uniform(0.0, 1.2), noise=rng.uniform(0.0, 24.0))
        raw, ev = reader.read_with_choices(render_line(truth, spec, seed * 7919 + i))
        out.append(Case(truth, sex, raw.replace("\t", " "), ev))
    reader.close()
    RESULTS.mkdir(exist_ok=True)
    tmp = cache.with_suffix(".tmp")
    with tmp.open("w", encoding="utf-8", newline="") as f:
        csv.writer(f, delimiter="\t", quoting=csv.QUOTE_NONE, escapechar="\\").writerows(
            (c.truth, c.sex, c.raw) for c in out)
    tmp.replace(cache)
    tmp = choices.with_suffix(".tmp")
    tmp.write_text("".join(json.dumps(c.evidence.to_json() if c.evidence else None, ensure_ascii=False) + "\n"
                           for c in out), encoding="utf-8")
    tmp.replace(choices)
    return out


def as_read(raw: str) -> str:
    return " ".join(capitalize_word(w) for w in clean_text(raw).split())


def score(cases: list[Case], method) -> dict[str, float]:
    listed = lexicon().logp["given"]
    c = dict.fromkeys(("n", "right", "kept", "near", "near_ok", "far", "far_ok", "silent", "flagged",
                       "u_right", "u_kept", "u_near", "u_near_ok"), 0)
    for case in cases:
        value, flags = method(case)
        ok = value == case.truth
        d = Levenshtein.distance(as_read(case.raw), case.truth)
        unlisted = case.truth.split()[-1].lower() not in listed
        c["n"] += 1
        c["flagged"] += bool(flags)
        c["silent"] += (not ok) and not flags
        if d == 0:
            c["right"] += 1
            c["kept"] += ok
            c["u_right"] += unlisted
            c["u_kept"] += ok and unlisted
        elif d <= 2:
            c["near"] += 1
            c["near_ok"] += ok
            c["u_near"] += unlisted
            c["u_near_ok"] += ok and unlisted
        else:
            c["far"] += 1
            c["far_ok"] += ok
    pct = lambda a, b: 100.0 * a / b if b else float("nan")  # noqa: E731
    return {"n": c["n"], "right": c["right"], "kept": pct(c["kept"], c["right"]),
            "near_n": c["near"], "near": pct(c["near_ok"], c["near"]),
            "far_n": c["far"], "far": pct(c["far_ok"], c["far"]),
            "silent_wrong": pct(c["silent"], c["n"]), "flagged": pct(c["flagged"], c["n"]),
            "unlisted_n": c["u_right"] + c["u_near"], "unlisted_kept": pct(c["u_kept"], c["u_right"]),
            "unlisted_near": pct(c["u_near_ok"], c["u_near"])}


def hotich(case: Case) -> tuple[str | None, tuple[str, ...]]:
    n = normalize_field("full_name", case.raw)
    return n.value, n.flags


def hotich_evidence(case: Case) -> tuple[str | None, tuple[str, ...]]:
    """The same with the recogniser's glyph alternatives (what the page reader passes)."""
    n = normalize_field("full_name", case.raw, evidence=case.evidence)
    return n.value, n.flags


def baseline(case: Case) -> tuple[str | None, tuple[str, ...]]:
    return as_read(case.raw) or None, ()


def print_errors(cases: list[Case], method, limit: int, label: str = "") -> None:
    shown = 0
    for c in cases:
        if shown >= limit:
            break
        v, f = method(c)
        if v != c.truth:
            print(f"  {label}{c.raw!r} -> {v!r} (truth {c.truth!r}) flags={list(f)}")
            shown += 1


COLS = ("n", "right", "kept", "near_n", "near", "far_n", "far", "silent_wrong", "flagged",
        "unlisted_n", "unlisted_kept", "unlisted_near")


def print_rows(rows: list[tuple[str, dict[str, float]]]) -> None:
    print("| split | method | " + " | ".join(COLS) + " |")
    print("|---" * (len(COLS) + 2) + "|")
    for label, r in rows:
        cells = [f"{r[k]:.0f}" if k in ("n", "right", "near_n", "far_n", "unlisted_n") else f"{r[k]:.2f}%"
                 for k in COLS]
        print(f"| {label} | " + " | ".join(cells) + " |")


def speed(cases: list[Case], total: int) -> tuple[float, float, float]:
    """(CPU seconds, wall seconds, names/s CPU) for `total` names: the OCR reads, each
    syllable of a cycle of them shuffled into new names so that caches do not see repeats only."""
    rng = random.Random(5)
    sur = [c.raw.split() for c in cases if len(c.raw.split()) >= 2]
    names = []
    for i in range(total):
        a, b = rng.choice(sur), rng.choice(sur)
        names.append(" ".join(a[:-1] + b[-1:]) if i % 2 else " ".join(a))
    normalize_field("full_name", "Nguyễn Văn An")  # build the lexicon outside the timing
    c0, w0 = time.process_time(), time.perf_counter()
    for r in names:
        normalize_field("full_name", r)
    cpu, wall = time.process_time() - c0, time.perf_counter() - w0
    return cpu, wall, total / cpu


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--split", choices=("dev", "test", "both"), default="both")
    ap.add_argument("--names", type=int, default=3000)
    ap.add_argument("--speed", type=int, default=500_000, help="names to time (0: skip)")
    ap.add_argument("--show-errors", type=int, default=0)
    args = ap.parse_args()
    # the lexicon of this measurement holds neither the dev nor the test names
    RESULTS.mkdir(exist_ok=True)
    os.environ[NAMES_VNFG_ENV] = str(build(RESULTS / "names_vnfg_lexicon_group.tsv", split_only=True))
    lexicon.cache_clear()
    rows = []
    sets = {}
    for split in (("dev", "test") if args.split == "both" else (args.split,)):
        sets[split] = read_cases(split, args.names)
        rows.append((f"{split} | read as is", score(sets[split], baseline)))
        rows.append((f"{split} | hotich", score(sets[split], hotich)))
        rows.append((f"{split} | hotich + glyph choices", score(sets[split], hotich_evidence)))
    print_rows(rows)
    for split, cases in sets.items():
        print_errors(cases, hotich_evidence, args.show_errors, f"[{split}] ")
    if args.speed:
        cases = next(iter(sets.values()))
        cpu, wall, rate = speed(cases, args.speed)
        print(f"\nspeed: {args.speed:,} names in {cpu:.1f} s CPU ({wall:.1f} s wall), {rate:,.0f} names/s "
              "on one core")


if __name__ == "__main__":
    main()
