"""Date-parser benchmark: normalize.dates.parse_date on the styles registers use, some damaged.

Generated cases (random real dates 1880-2021, a seed):
- styles: "12/3/1965", "12/03/1965", "12-03-65" (two-digit year, register year given),
  "12.3.1965", "1965-03-12", "ngày 12 tháng 3 năm 1965", "12 tháng 3 năm 1965",
  "ngày 12 tháng ba năm 1965" (month words), "tháng 3/1965", "năm 1965", "1965",
  "6 giờ 15 ngày 12/3/1965", "12-III-1965", "ngày 12/3/1965", UPPERCASE variants;
- damage (a third of the cases): OCR look-alikes O->0, l/I->1, S->5, B->8 in the digits,
  stray spaces around separators;
- impossible dates (31/2, 30/2, 29/2 of a common year, 31/4, day 32, month 13): must give None.
Baseline: dateutil's parser (dayfirst) on the same text, to show what a general parser does.
Set `ocr` (unless --no-ocr): undamaged cases rendered like register text (bench/render.py)
and read by real Tesseract vie; the parser gets what Tesseract read.

Run:  PYTHONPATH=. .venv/bin/python -m bench.dates [--cases 20000] [--ocr-cases 1000] [--no-ocr]
"""
from __future__ import annotations

import argparse
import calendar
import datetime as dt
import random
import time

from normalize.dates import parse_date

MONTH_WORDS = ["giêng", "hai", "ba", "tư", "năm", "sáu", "bảy", "tám", "chín", "mười", "mười một", "chạp"]
ROMAN = ["I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII"]
DAMAGE = {"0": "O", "1": "l", "5": "S", "8": "B"}


def _damage(text: str, rng: random.Random) -> str:
    chars = list(text)
    digits = [i for i, c in enumerate(chars) if c in DAMAGE]
    for i in rng.sample(digits, k=min(len(digits), rng.randint(1, 2))):
        chars[i] = DAMAGE[chars[i]]
    out = "".join(chars)
    if rng.random() < 0.3:
        out = out.replace("/", " / ", 1)
    return out


def make_case(rng: random.Random) -> tuple[str, str, int | None]:
    """(text, expected ISO value, register year)."""
    d = dt.date(1880, 1, 1) + dt.timedelta(days=rng.randint(0, (dt.date(2021, 12, 31) - dt.date(1880, 1, 1)).days))
    D, M, Y = d.day, d.month, d.year
    full = d.isoformat()
    style = rng.randrange(15)
    reg = None
    if style == 0:
        t, v = f"{D}/{M}/{Y}", full
    elif style == 1:
        t, v = f"{D:02d}/{M:02d}/{Y}", full
    elif style == 2:
        reg = min(2021, Y + rng.randint(0, 60))
        if reg - Y >= 100 or Y < 1900:
            reg = Y
        t, v = f"{D:02d}-{M:02d}-{Y % 100:02d}", full
    elif style == 3:
        t, v = f"{D}.{M}.{Y}", full
    elif style == 4:
        t, v = full, full
    elif style == 5:
        t, v = f"ngày {D} tháng {M} năm {Y}", full
    elif style == 6:
        t, v = f"{D} tháng {M} năm {Y}", full
    elif style == 7:
        t, v = f"ngày {D} tháng {MONTH_WORDS[M - 1]} năm {Y}", full
    elif style == 8:
        t, v = f"tháng {M}/{Y}", full[:7]
    elif style == 9:
        t, v = f"năm {Y}", str(Y)
    elif style == 10:
        t, v = str(Y), str(Y)
    elif style == 11:
        t, v = f"{rng.randint(0, 23)} giờ {rng.randint(0, 59)} ngày {D}/{M}/{Y}", full
    elif style == 12:
        t, v = f"{D}-{ROMAN[M - 1]}-{Y}", full
    elif style == 13:
        t, v = f"ngày {D:02d}/{M:02d}/{Y}", full
    else:
        t, v = f"Ngày {D} tháng {M} năm {Y}".upper(), full
    if rng.random() < 0.33 and style not in (7, 12):
        t = _damage(t, rng)
    return t, v, reg


def impossible_case(rng: random.Random) -> str:
    y = rng.randint(1880, 2021)
    common = next(yy for yy in range(y, y + 8) if not calendar.isleap(yy))
    day, month, year = rng.choice([(31, 2, y), (30, 2, y), (29, 2, common), (31, 4, y), (31, 6, y),
                                   (31, 9, y), (31, 11, y), (32, 1, y), (12, 13, y), (0, 5, y)])
    return rng.choice([f"{day}/{month}/{year}", f"ngày {day} tháng {month} năm {year}", f"{day:02d}-{month:02d}-{year}"])


def _dateutil(text: str) -> str | None:
    try:
        from dateutil import parser
        return parser.parse(text, dayfirst=True, default=dt.datetime(1, 1, 1)).date().isoformat()
    except Exception:  # noqa: BLE001 - a baseline: any failure is "no date"
        return None


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cases", type=int, default=20000)
    ap.add_argument("--seed", type=int, default=11)
    ap.add_argument("--show-errors", type=int, default=10)
    ap.add_argument("--ocr-cases", type=int, default=1000)
    ap.add_argument("--no-ocr", action="store_true")
    args = ap.parse_args()
    rng = random.Random(args.seed)
    cases = [make_case(rng) for _ in range(args.cases)]
    bad = [impossible_case(rng) for _ in range(args.cases // 10)]
    t0 = time.process_time()
    ok = 0
    errors = []
    for text, want, reg in cases:
        got = parse_date(text, reg).value
        ok += got == want
        if got != want and len(errors) < args.show_errors:
            errors.append((text, want, got))
    elapsed = time.process_time() - t0
    returned = [t for t in bad if parse_date(t).value is not None]
    base_ok = sum(_dateutil(t) == w for t, w, _ in cases if len(w) == 10)
    n_full = sum(len(w) == 10 for _, w, _ in cases)
    damaged = [(t, w, r) for t, w, r in cases if any(c in t for c in "OlSB")]
    dmg_ok = sum(parse_date(t, r).value == w for t, w, r in damaged)
    print("| method | cases | exact | damaged-digit cases exact | impossible dates returned |")
    print("|---|---|---|---|---|")
    print(f"| normalize.dates.parse_date | {len(cases)} | {100 * ok / len(cases):.2f}% | "
          f"{100 * dmg_ok / max(1, len(damaged)):.2f}% of {len(damaged)} | {len(returned)} of {len(bad)} |")
    print(f"| baseline dateutil (full dates only) | {n_full} | {100 * base_ok / max(1, n_full):.2f}% | - | - |")
    print(f"\nspeed: {len(cases) / elapsed:,.0f} dates/s (CPU)")
    for text, want, got in errors:
        print(f"  {text!r}: want {want}, got {got}")
    for t in returned[:5]:
        print(f"  impossible returned: {t!r} -> {parse_date(t).value}")
    if not args.no_ocr:
        ocr_set(args.ocr_cases, args.seed + 1, args.show_errors)


def ocr_set(n: int, seed: int, show: int) -> None:
    """Dates rendered and read by Tesseract: exact share of parse_date on the OCR text."""
    from bench.render import LineReader, random_spec, render_line

    rng = random.Random(seed)
    reader = LineReader()
    ok = exact_read = wrong_value = 0
    shown = 0
    for i in range(n):
        text, want, reg = make_case(rng)
        while any(c in text for c in "OlSB"):  # render the clean text; OCR adds its own damage
            text, want, reg = make_case(rng)
        read = reader.read(render_line(text, random_spec(rng, upper_rate=0.0), seed * 31 + i))
        exact_read += read == text
        got = parse_date(read, reg)
        ok += got.value == want
        wrong_value += got.value is not None and got.value != want and not got.flags
        if got.value != want and shown < show:
            print(f"  ocr {text!r} read {read!r}: want {want}, got {got.value} {list(got.flags)}")
            shown += 1
    reader.close()
    print(f"\nset=ocr: {n} rendered dates, Tesseract read {100 * exact_read / n:.2f}% exactly; "
          f"parse_date exact {100 * ok / n:.2f}%; wrong and unflagged {100 * wrong_value / n:.2f}%")


if __name__ == "__main__":
    main()
