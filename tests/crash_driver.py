"""`python -m tests.crash_driver OUT INPUT... [--sleep S] [--workers N] [--hang-on P]`: a real
`hotich run` process (runner, worker pool, files) with the cheap FakePage reader, for the
SIGKILL / Ctrl-C tests to kill from outside."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from pipeline.run.runner import RunOptions, run_batch
from tests.fakes import FakePage


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("inputs", nargs="+")
    ap.add_argument("--sleep", type=float, default=0.0)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--hang-on", type=int, action="append", default=[])
    a = ap.parse_args()
    page = FakePage(sleep=a.sleep, hang_on=tuple(a.hang_on))
    s = run_batch([Path(p) for p in a.inputs],
                  RunOptions(out=Path(a.out), workers=a.workers, page_fn=page,
                             engine_factory=None, progress=False, argv=tuple(sys.argv)))
    print(s.describe(), file=sys.stderr, flush=True)
    return int(s.exit_code)


if __name__ == "__main__":
    sys.exit(main())
