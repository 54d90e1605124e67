"""The two line recognisers on the project's own names: Tesseract `vie` (Debian's model, what
hotich reads with) against the second recogniser (ocr/aster.py, AsterOCR's ONNX model).

    PYTHONPATH=. .venv/bin/python -m bench.recognisers [--names 600] [--seed 4242]

Names from samples.people.person_name, each drawn by bench/render.py in a face of
bench.render.fonts() (DejaVu, Liberation, FreeFont; 28-40 px, a quarter in capitals, blur
0-0.9 px, noise σ 0-18); every crop read by both, in the same run, one thread each.
Columns: exact (the whole name right), CER, within 2 edits, ms per crop (wall, same run),
and the same per face. Results also go to bench/results/recognisers.json.
"""
from __future__ import annotations

import argparse
import json
import random
import sys
import time
from collections import defaultdict
from pathlib import Path

import numpy as np
from rapidfuzz.distance import Levenshtein

from bench.render import random_spec, render_line
from samples.people import person_name


def _norm(s: str) -> str:
    import unicodedata

    return " ".join(unicodedata.normalize("NFC", s).split())


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.recognisers", description=__doc__.split("\n")[0])
    ap.add_argument("--names", type=int, default=600)
    ap.add_argument("--seed", type=int, default=4242)
    ap.add_argument("--json", default="bench/results/recognisers.json")
    a = ap.parse_args(argv)
    from ocr.aster import make_engine as make_aster
    from ocr.tesseract import make_engine, read_line

    tess, aster = make_engine(), make_aster()
    rng = random.Random(a.seed)
    crops = []
    for i in range(a.names):
        truth = person_name(rng, rng.choice(["Nam", "Nữ"]), year=rng.randint(1930, 2020))
        spec = random_spec(rng)
        img = np.array(render_line(truth, spec, a.seed * 7919 + i))
        crops.append((truth.upper() if spec.upper else truth, Path(spec.font).stem, img))
    readers = {"tesseract vie (Debian)": lambda im: read_line(tess, im, with_boxes=False).text,
               "asterocr 1.0.2 (ONNX)": lambda im: aster.read_line(im).text}
    for r in readers.values():  # warm up outside the clock
        r(crops[0][2])
    stats: dict = {}
    for name, read in readers.items():
        tot = defaultdict(lambda: [0, 0, 0, 0, 0])  # n, exact, edits, chars, within2
        secs = 0.0
        for truth, face, img in crops:
            t0 = time.perf_counter()
            got = _norm(read(img))
            secs += time.perf_counter() - t0
            d = Levenshtein.distance(got, truth)
            for key in ("all", face):
                s = tot[key]
                s[0] += 1
                s[1] += got == truth
                s[2] += d
                s[3] += len(truth)
                s[4] += d <= 2
        stats[name] = {k: {"n": v[0], "exact": round(100 * v[1] / v[0], 1), "cer": round(100 * v[2] / v[3], 2),
                           "within2": round(100 * v[4] / v[0], 1)} for k, v in tot.items()}
        stats[name]["all"]["ms_per_crop"] = round(1000 * secs / len(crops), 1)
    print(f"{len(crops)} names, seed {a.seed}, one thread each (machine shared: compare ms as a ratio)")
    print("| recogniser | exact | CER | within 2 edits | ms per crop |\n|---|---|---|---|---|")
    for name, s in stats.items():
        t = s["all"]
        print(f"| {name} | {t['exact']}% | {t['cer']}% | {t['within2']}% | {t['ms_per_crop']} |")
    names = list(stats)
    print("\nper face: exact % (n)")
    print("| face | n | " + " | ".join(names) + " |\n|---|---|" + "---|" * len(names))
    for face in sorted(k for k in stats[names[0]] if k != "all"):
        print(f"| {face} | {stats[names[0]][face]['n']} | "
              + " | ".join(f"{stats[n][face]['exact']}%" for n in names) + " |")
    path = Path(a.json)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"command": "PYTHONPATH=. .venv/bin/python -m bench.recognisers "
                                + " ".join(argv or sys.argv[1:]), "names": len(crops), "seed": a.seed,
                                "results": stats}, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
