"""The `hotich export` command's library entry: run one format, say what was written."""
from __future__ import annotations

from pathlib import Path
from typing import Callable

from schemas.errors import ExitCode


def run_export(out: Path, fmt: str, dest: Path, *, volume: str | None = None,
               include_unreviewed: bool = False, mapping: Path | None = None, bom: bool = True,
               version: str = "0", workers: int = 1, echo: Callable[..., None] = print) -> int:
    """Export OUT in one format to DEST and report one line per book/file on stderr.

    Args:
        fmt: moj | alto | page | csv.
        bom: csv: start each file with a UTF-8 byte-order mark (default; False: --no-bom).
        workers: moj: books exported at once, one worker process each (1: in this process).
        echo: prints a line (click.echo in the CLI); called with err=True.
    Returns:
        ExitCode.OK, or ExitCode.PARTIAL when moj held cases back (violations.csv lists them)
        or could not export a book (the other books are written), or ALTO/PAGE skipped pages,
        or PAGE could not read a volume's records (the other volumes are written).
    Raises:
        HotichError: bad input (no records/pages, unknown volume) or an invalid mapping.
    """
    if fmt == "moj":
        from pipeline.export.moj_export import BookExport, export_moj

        def line(b: BookExport) -> None:  # as each book finishes
            if b.error:
                echo(f"hotich: {b.register_type} {b.volume_id}: not exported: {b.error}", err=True)
                return
            extra = f", {b.marked_unreviewed} marked unreviewed" if include_unreviewed else \
                f", {b.skipped_unreviewed} flagged unreviewed left out (--include-unreviewed)"
            echo(f"{b.register_type} {b.volume_id}: {b.written} cases written, "
                 f"{b.held_back} held back{extra} -> {b.folder}", err=True)

        books = export_moj(out, dest, volume, include_unreviewed, mapping, workers=workers, on_book=line)
        held = sum(b.held_back for b in books)
        failed = sum(bool(b.error) for b in books)
        if held:
            echo(f"hotich: {held} case(s) held back by the import checks; see violations.csv "
                 f"in each book's folder", err=True)
        if failed:
            echo(f"hotich: {failed} of {len(books)} book(s) not exported (see above)", err=True)
        return int(ExitCode.PARTIAL if held or failed else ExitCode.OK)
    if fmt == "alto":
        from pipeline.export.alto import export_alto

        res = export_alto(out, dest, volume, software_version=version)
        echo(f"alto: {len(res.written)} page(s) written under {dest}", err=True)
        for s in res.skipped:
            echo(f"hotich: skipped {s}", err=True)
        return int(ExitCode.PARTIAL if res.skipped else ExitCode.OK)
    if fmt == "page":
        from pipeline.export.pagexml import export_page

        res = export_page(out, dest, volume, software_version=version)
        echo(f"page: {len(res.written)} page(s) written under {dest}", err=True)
        for s in res.failed:
            echo(f"hotich: page: {s}", err=True)
        for s in res.skipped:
            echo(f"hotich: skipped {s}", err=True)
        return int(ExitCode.PARTIAL if res.skipped or res.failed else ExitCode.OK)
    from pipeline.export.csv_export import export_csv

    for path in export_csv(out, dest, volume, bom=bom):
        echo(f"csv: {path}", err=True)
    return int(ExitCode.OK)
