"""The `hotich` command: a thin click layer over library calls (which tests also call).

Library code raises typed errors (schemas/errors.py); only this module turns them into a
one-line message on stderr and an exit status.
"""
from __future__ import annotations

import functools
import sys
from pathlib import Path

import click

from schemas.errors import ExitCode, HotichError, NotImplementedYet

from pipeline.version import PIPELINE_VERSION


def _handle_errors(fn):
    """Map library errors to `hotich: <message>` on stderr and the documented exit code."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except HotichError as e:
            click.echo(f"hotich: {e.message}", err=True)
            sys.exit(int(e.exit_code))
        except KeyboardInterrupt:
            click.echo("hotich: interrupted; finished work is kept, rerun the same command to resume",
                       err=True)
            sys.exit(int(ExitCode.INTERRUPTED))

    return wrapper


def _not_yet(command: str):
    raise NotImplementedYet(f"`hotich {command}` is not implemented yet")


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(PIPELINE_VERSION, prog_name="hotich")
def app():
    """hotich: OCR of scanned Vietnamese civil-status registers into Parquet records.

    Exit codes: 0 ok, 1 bad arguments, 2 bad input or config, 3 missing dependency
    (Tesseract / vie model / poppler), 4 some pages failed (see `hotich status`),
    5 command not implemented yet, 130 interrupted (rerun to resume).
    """


@app.command()
@click.argument("inputs", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--out", "out", required=True, type=click.Path(path_type=Path), help="Output folder.")
@click.option("--type", "register_type", default="auto", show_default=True,
              type=click.Choice(["auto", "birth", "death", "marriage"]),
              help="Register type; auto reads it from the page title.")
@click.option("--volume", "volume", default=None, help="Volume id (default: input name without extension).")
@click.option("--workers", default=None, type=click.IntRange(1, 256),
              help="Worker processes, one OCR engine each (default: the number of CPUs; "
                   "each needs up to ~0.5 GB).")
@click.option("--executor", default="local", show_default=True, type=click.Choice(["local", "dask"]))
@click.option("--scheduler", default=None, help="dask.distributed scheduler address (tcp://HOST:PORT).")
@click.option("--config", "config", default=None, type=click.Path(exists=True, path_type=Path),
              help="YAML overriding configs/ (thresholds, extra header variants).")
@click.option("--silent-target", default=None, type=click.FloatRange(0, 1),
              help="Expected share of fields wrong and unflagged that the flags are set for "
                   "(default 0.003, settings.yaml thresholds.silent_target; docs/flags.md). "
                   "Lower: more fields flagged.")
@click.option("--force", is_flag=True, help="Redo pages already done with the same image and config.")
@click.option("--page-timeout", default=600.0, show_default=True, type=click.FloatRange(min=0),
              help="Seconds one page may take before its worker is killed and replaced and "
                   "the page reported (0: no limit).")
@click.option("--max-megapixels", default=100.0, show_default=True, type=click.FloatRange(min=0.001),
              help="Pages above this many million pixels are refused before they are decoded "
                   "(the decompression-bomb guard; 100 is an A2 sheet at 400 dpi).")
@click.option("--quiet", is_flag=True, help="No progress bars (they are off anyway when stderr "
              "is not a terminal). Page errors are still reported.")
@click.option("--profile", "profile", default=None, type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Volume profile (docs/profile.md, e.g. OUT/volumes/ID/profile.yaml after an "
                   "edit) applied to every page: register type, layout and column mapping are "
                   "taken from it; a page it does not fit fails with the reason. Default: a "
                   "profile.yaml in the volume's input folder, else none.")
@_handle_errors
def run(inputs, out, register_type, volume, workers, executor, scheduler, config, silent_target,
        force, page_timeout, max_megapixels, quiet, profile):
    """OCR register volumes (image folders, PDFs, TIFFs) into OUT/records.

    Rerunning the same command redoes only pages whose image or config changed or that
    failed; a killed run resumes where it stopped. Each bad page is reported on stderr as
    one line and in OUT/runs/<run id>.json; the batch goes on. Exit codes: 0 every page
    done, 4 some pages failed (see `hotich status OUT`), 130 interrupted (rerun to resume),
    2 bad input or config, 3 missing dependency.

    With --executor dask, pages run on a dask.distributed cluster (--scheduler
    tcp://HOST:PORT; without it, a local cluster of --workers processes).
    """
    from pipeline.run.executors import available_cpus
    from pipeline.run.runner import RunOptions, run_batch

    if scheduler and executor != "dask":
        raise click.UsageError("--scheduler needs --executor dask")
    summary = run_batch(list(inputs), RunOptions(
        out=out, register_type=None if register_type == "auto" else register_type,
        volume=volume, workers=workers or available_cpus(), executor=executor, scheduler=scheduler,
        config_file=config, silent_target=silent_target, force=force, page_timeout=page_timeout or None,
        max_pixels=int(max_megapixels * 1e6), progress=False if quiet else None, argv=tuple(sys.argv),
        pipeline_version=PIPELINE_VERSION, profile=profile))
    click.echo(f"hotich: {summary.describe()}", err=True)
    return int(summary.exit_code)


@app.command()
@click.argument("out", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--full", is_flag=True,
              help="Ignore the saved state under OUT/dedup and compare everything afresh.")
@click.option("--threshold", default=None, type=click.FloatRange(0, 1),
              help="Match probability from which two records are duplicates (default 0.9).")
@_handle_errors
def dedup(out, full, threshold):
    """Find duplicate records across all volumes under OUT/records."""
    import json

    from pipeline.dedup.run import DedupSettings, run_dedup, summary_lines

    settings = DedupSettings() if threshold is None else DedupSettings(threshold=threshold)
    summary = run_dedup(out, settings, full=full)
    click.echo("\n".join(summary_lines(summary)))
    click.echo(json.dumps({k: summary[k] for k in ("records", "candidate_pairs", "pairs_kept",
                                                   "duplicate_pairs", "clusters", "time_s")}))


@app.command(name="eval")
@click.argument("out", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--truth", required=True, type=click.Path(exists=True, path_type=Path),
              help="Ground truth folder written by `hotich samples`.")
@click.option("--json", "json_path", default=None, type=click.Path(path_type=Path),
              help="Where to write the scores as JSON (default OUT/eval.json).")
@_handle_errors
def eval_(out, truth, json_path):
    """Score OUT against ground truth: CER, field accuracy, flagged and silent error rates."""
    from pipeline.evaluate import run_eval

    table, written = run_eval(out, truth, json_path)
    click.echo(table)
    click.echo(f"scores written to {written}")


@app.command()
@click.argument("out", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on; any non-loopback address requires a token.")
@click.option("--port", default=8765, show_default=True, type=click.IntRange(0, 65535),
              help="Port (0: any free port; the printed address says which).")
@click.option("--reviewer", default=None, help="Reviewer name for the audit trail (default: login name).")
@click.option("--token", default=None, help="Access token, at least 16 characters (default: made up when --host is not "
                   "loopback).")
@click.option("--signoff-limit", default=0.05, show_default=True, type=click.FloatRange(0, 1, min_open=True),
              help="Sign-off needs the silent-error rate's 95% upper bound below this.")
@click.option("--precision", default=0.02, show_default=True, type=click.FloatRange(0, 1, min_open=True, max_open=True),
              help="Spot-check sample size aims at a 95% interval of ± this.")
@click.option("--expected-error", default=0.03, show_default=True,
              type=click.FloatRange(0, 1, min_open=True, max_open=True),
              help="Planning silent-error rate for the sample size.")
@click.option("--lang", default="vi", show_default=True, type=click.Choice(["vi", "en"]),
              help="Language of the pages (Vietnamese by default: its users are archivists).")
@_handle_errors
def review(out, host, port, reviewer, token, signoff_limit, precision, expected_error, lang):
    """Start the archivists' review web page."""
    from pipeline.review.server import serve
    from pipeline.review.settings import ReviewSettings, default_reviewer

    serve(out, host, port, ReviewSettings(reviewer=reviewer or default_reviewer(), token=token,
                                          precision=precision, expected_rate=expected_error,
                                          signoff_limit=signoff_limit, lang=lang))


@app.command()
@click.argument("dest", type=click.Path(path_type=Path))
@click.option("--pages", default=4, show_default=True, type=click.IntRange(1, 100000),
              help="Pages per volume.")
@click.option("--seed", default=0, show_default=True, type=int)
@click.option("--format", "fmt", default="pdf", show_default=True,
              type=click.Choice(["pdf", "tiff", "png", "jpeg"]),
              help="One multi-page PDF/TIFF per volume, or a folder of PNG/JPEG pages.")
@click.option("--degrade", default="moderate", show_default=True,
              type=click.Choice(["none", "light", "moderate", "heavy"]), help="Scan degradation.")
@click.option("--types", default="birth,death,marriage", show_default=True,
              help="Comma-separated register types.")
@click.option("--layouts", default="ledger,form", show_default=True,
              help="Comma-separated layouts (ledger, form).")
@click.option("--dpi", default=None, type=click.IntRange(100, 600),
              help="Scan resolution of every volume (default: a 200-400 mix around 300).")
@click.option("--families", default=None, type=click.IntRange(1, 10000),
              help="Instead: N book families (samples/family.py), one volume each, family seeds "
                   "SEED..SEED+N-1; each family draws its own type, layout, paper, faces, "
                   "wordings and damage (--types/--layouts/--degrade/--dpi do not apply).")
@_handle_errors
def samples(dest, pages, seed, fmt, degrade, types, layouts, dpi, families):
    """Write synthetic register volumes with ground truth (DEST/truth/)."""
    from samples.generator import LAYOUTS, generate, generate_families
    from schemas.fields import REGISTER_TYPES

    if families is not None:
        truths = generate_families(dest, list(range(seed, seed + families)), pages, fmt=fmt)
        for t in truths:
            n = sum(len(p.entries) for p in t.pages)
            click.echo(f"wrote {Path(dest) / t.source_file}: {t.register_type} {t.layout}, "
                       f"{len(t.pages)} pages, {n} entries, {t.dpi} dpi, {t.font}")
        click.echo(f"wrote truth: {Path(dest) / 'truth'} ({len(truths)} family volumes)")
        return

    def choices(value: str, allowed: tuple[str, ...], option: str) -> tuple[str, ...]:
        got = tuple(v.strip() for v in value.split(",") if v.strip())
        bad = [v for v in got if v not in allowed]
        if bad or not got:
            raise click.BadParameter(f"{', '.join(bad) or 'nothing'}: expected some of "
                                     f"{', '.join(allowed)}", param_hint=option)
        return got

    truths = generate(dest, pages=pages, seed=seed, fmt=fmt, degrade=degrade, dpi=dpi,
                      types=choices(types, REGISTER_TYPES, "--types"),
                      layouts=choices(layouts, LAYOUTS, "--layouts"))
    for t in truths:
        n = sum(len(p.entries) for p in t.pages)
        click.echo(f"wrote {Path(dest) / t.source_file}: {t.register_type} {t.layout}, "
                   f"{len(t.pages)} pages, {n} entries, {t.dpi} dpi, {t.font}")
    click.echo(f"wrote truth: {Path(dest) / 'truth'} ({len(truths)} volumes + duplicates.json)")


@app.command()
@click.option("--field", "field_name", required=True, help="Record column, e.g. full_name, date_of_birth.")
@click.argument("texts", nargs=-1)
@_handle_errors
def normalize(field_name, texts):
    """Normalise raw values of one field; one JSON object per input line.

    TEXT values are normalised in order; without TEXT, each line of stdin is one value.
    """
    from normalize.field import normalize_lines

    for line in normalize_lines(field_name, texts if texts else sys.stdin):
        click.echo(line)


@app.command()
@click.argument("out", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--format", "fmt", required=True, type=click.Choice(["moj", "alto", "page", "csv"]),
              help="moj: the civil-status database's import workbook and a PDF per case; alto: "
                   "ALTO 4.4 XML per page; page: PAGE XML (2019-07-15) per page, for Transkribus, "
                   "eScriptorium, OCR-D; csv: one CSV per register type.")
@click.option("--dest", required=True, type=click.Path(path_type=Path), help="Folder to write into.")
@click.option("--volume", default=None, help="Export this volume id only.")
@click.option("--include-unreviewed", is_flag=True,
              help="moj: also write flagged cases nobody has reviewed, marked in the workbook.")
@click.option("--mapping", "mapping", default=None, type=click.Path(exists=True, path_type=Path),
              help="moj: YAML merged over configs/export_moj.yaml (a province's template).")
@click.option("--bom/--no-bom", default=True, show_default=True,
              help="csv: start each file with a UTF-8 byte-order mark, so that Excel shows the "
                   "Vietnamese letters right; --no-bom for tools that do not expect one.")
@click.option("--workers", default=None, type=click.IntRange(1, 256),
              help="moj: books exported at once, one worker process each (default: the "
                   "number of CPUs).")
@_handle_errors
def export(out, fmt, dest, volume, include_unreviewed, mapping, bom, workers):
    """Export records: MoJ import workbook + PDFs, ALTO XML, PAGE XML, or CSV.

    moj exits 4 when some cases were held back by the import checks (see each book's
    violations.csv) or a book could not be exported (one line names it; the others are
    written). alto and page write DEST/<volume>/<page>.xml beside a copy of the page image;
    page exits 4 when a volume's records cannot be read (one line names it; the others
    are written) or a page file is skipped. csv files start with a UTF-8 byte-order mark
    unless --no-bom.
    """
    from pipeline.export.run import run_export
    from pipeline.run.executors import available_cpus

    return run_export(out, fmt, dest, volume=volume, include_unreviewed=include_unreviewed,
                      mapping=mapping, bom=bom, version=PIPELINE_VERSION,
                      workers=workers or available_cpus(), echo=click.echo)


@app.command()
@click.argument("out", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@_handle_errors
def status(out, as_json):
    """Per volume: pages done/failed/pending, records, flagged, last run, errors."""
    import json

    from pipeline.run.status import batch_status, format_table, status_json

    volumes = batch_status(out)
    if as_json:
        click.echo(json.dumps(status_json(out, volumes), ensure_ascii=False, indent=2))
    else:
        click.echo(format_table(volumes))


@app.command()
@click.argument("out", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--out", "report_file", default=None, type=click.Path(path_type=Path),
              help="Report file (default OUT/report.html).")
@click.option("--lang", default="vi", show_default=True, type=click.Choice(["vi", "en"]),
              help="Language of the report: vi (Vietnamese) or en (English).")
@_handle_errors
def report(out, report_file, lang):
    """Write a self-contained HTML report with charts."""
    from pipeline.report import write_report

    path = write_report(out, report_file, version=PIPELINE_VERSION, lang=lang)
    click.echo(f"report: {path}", err=True)


@app.command()
@click.argument("input_path", metavar="INPUT", type=click.Path(exists=True, path_type=Path))
@click.option("--out", "dest", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Folder for the pictures (page-0001.png ...), layout.json and index.html.")
@click.option("--page", default=None, type=click.IntRange(min=1), help="Only this page (1-based).")
@click.option("--type", "register_type", default="auto", show_default=True,
              type=click.Choice(["auto", "birth", "death", "marriage"]),
              help="Register type; auto reads it from the page title.")
@click.option("--config", "config", default=None, type=click.Path(exists=True, path_type=Path),
              help="YAML overriding configs/ (as for `hotich run`).")
@click.option("--profile", "profile", default=None, type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Draw the layout as this volume profile maps it (docs/profile.md).")
@click.option("--lang", default="vi", show_default=True, type=click.Choice(["vi", "en"]),
              help="Language of the HTML view.")
@_handle_errors
def layout(input_path, dest, page, register_type, config, profile, lang):
    """Draw the layout hotich detects on each page of INPUT (grid or label lines, each
    column's field and header, rows, title, register type) as PNGs and an HTML view.

    Exit codes: 0 every page drawn, 4 some pages could not be read or laid out (one line
    each; their pictures show what was found), 1 bad options, 2 bad input, 3 missing
    Tesseract.
    """
    from ocr.tesseract import check_tesseract, make_engine
    from pipeline.extract.layoutrun import write_layout_view
    from schemas.profile import load_profile

    prof = load_profile(profile) if profile is not None else None
    check_tesseract()
    view = write_layout_view(input_path, dest, make_engine, page=page, config_file=config,
                             register_type=None if register_type == "auto" else register_type,
                             profile=prof, lang=lang)
    for line in view.failed:
        click.echo(f"hotich: {input_path}: {line}", err=True)
    click.echo(f"layout: {view.index} ({len(view.pictures)} page picture(s))", err=True)
    return int(ExitCode.PARTIAL) if view.failed else 0


def main(argv: list[str] | None = None) -> None:
    """Console entry point: click's usage errors exit 1 (not click's 2, which means bad input)."""
    try:
        rv = app.main(args=argv, prog_name="hotich", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("hotich: interrupted; finished work is kept, rerun the same command to resume", err=True)
        sys.exit(int(ExitCode.INTERRUPTED))
    except click.ClickException as e:
        e.show()
        sys.exit(int(ExitCode.BAD_ARGS))
    sys.exit(rv if isinstance(rv, int) else 0)


if __name__ == "__main__":
    main()
