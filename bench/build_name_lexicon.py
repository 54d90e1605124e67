"""Build normalize/data/names_vnfg.tsv: extra middle and given names from a real list.

Source: the PyPI package vn-fullname-generator 0.0.2 (MIT licence, github lhlong/
vietnamese-fullname-generator), whose data/male.name and data/female.name list 2,534
"middle given" name pairs collected from Vietnamese baby-name lists. We count how many pairs
use each syllable as middle or given name, per sex; the count is a popularity proxy that the
lexicon scales down below the hand-weighted base lists (normalize/data/*.tsv).

Held out: every name in samples/data/heldout_given_names.txt is dropped from every position,
so the benchmark sees real given names the lexicon does not know. `build(path, split_only=True)`
counts only the lines of the "lexicon" group of bench/name_split.py: the file bench/names_eval.py
makes for itself (its dev and test groups, split by given name, are held out of it); hotich's
own file keeps every group, so that common names ("An", dev group) stay known in production.

Run (needs `pip install vn-fullname-generator==0.0.2`, in the `bench` extra):
    PYTHONPATH=. .venv/bin/python -m bench.build_name_lexicon
"""
from __future__ import annotations

from collections import Counter
from importlib import resources
from pathlib import Path

from bench.name_split import split_of
from normalize.text import capitalize_word, clean_text

OUT = Path(__file__).resolve().parent.parent / "normalize" / "data" / "names_vnfg.tsv"
HELDOUT = Path(__file__).resolve().parent.parent / "samples" / "data" / "heldout_given_names.txt"


def heldout() -> set[str]:
    rows = [l.split("\t")[0].strip() for l in HELDOUT.read_text(encoding="utf-8").splitlines()
            if l.strip() and not l.startswith("#")]
    return {clean_text(r) for r in rows if r and r != "name"}


def main() -> None:
    build(OUT)


def build(out: Path, split_only: bool = False) -> Path:
    """Write the counts to `out` (only the name_split "lexicon" group's lines if split_only)."""
    data = resources.files("vn_fullname_generator.data")
    counts: Counter = Counter()
    held = heldout()
    dropped = set()
    for fname, sex in (("male.name", "M"), ("female.name", "F")):
        for line in data.joinpath(fname).read_text(encoding="utf-8").splitlines():
            parts = [capitalize_word(p) for p in clean_text(line).split()]
            if len(parts) < 2 or (split_only and split_of(parts[-1]) != "lexicon"):
                continue
            for pos, name in [("middle", p) for p in parts[:-1]] + [("given", parts[-1])]:
                if name in held:
                    dropped.add(name)
                    continue
                counts[(name, pos, sex)] += 1
    lines = ["# Middle and given names from vn-fullname-generator 0.0.2 (MIT; github lhlong/",
             "# vietnamese-fullname-generator): pairs per syllable, position and sex.",
             *(["# Only the lines of the 'lexicon' group of bench/name_split.py (dev and test held out)."]
               if split_only else []),
             "# Built by bench/build_name_lexicon.py; names in samples/data/heldout_given_names.txt",
             f"# are left out ({', '.join(sorted(dropped)) or 'none found'}).",
             "# name\tposition\tsex\tpairs"]
    for (name, pos, sex), n in sorted(counts.items(), key=lambda kv: (kv[0][1], -kv[1], kv[0])):
        lines.append(f"{name}\t{pos}\t{sex}\t{n}")
    out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"{out}: {len(counts)} rows; held out: {sorted(dropped)}")
    return out


if __name__ == "__main__":
    main()
