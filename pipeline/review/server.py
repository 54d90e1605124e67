"""Run the review app on waitress (a production WSGI server, pure Python, threaded)."""
from __future__ import annotations

import logging
import socket
import sys
from dataclasses import replace
from pathlib import Path
from typing import Callable

from pipeline.review.app import create_app
from pipeline.review.security import check_token, is_loopback, new_token
from pipeline.review.settings import ReviewSettings
from schemas.errors import ExitCode, HotichError


class ServeError(HotichError):
    """The server cannot start (address in use, not allowed)."""

    exit_code = ExitCode.BAD_ARGS


def serve(out: Path, host: str = "127.0.0.1", port: int = 8765,
          settings: ReviewSettings | None = None,
          announce: Callable[[str], None] | None = None, threads: int = 4) -> None:
    """Serve the review pages until interrupted. Any host other than loopback needs a token:
    one is made up when none is given, and printed inside the address.

    Args:
        port: 0 picks a free port (the printed address says which).
        announce: where the address line goes (default: stdout, flushed).

    Raises:
        BadInputError: OUT has no records.
        ServeError: the address cannot be listened on (in use, not permitted).
        TokenError: a token shorter than 16 characters.
    """
    from waitress import create_server

    settings = settings or ReviewSettings()
    check_token(settings.token)
    if not is_loopback(host) and not settings.token:
        settings = replace(settings, token=new_token())
    print(f"hotich review: indexing {Path(out) / 'records'} (slow only the first time)...",
          file=sys.stderr, flush=True)
    app = create_app(out, settings)
    try:
        server = create_server(app, host=host, port=port, threads=threads, ident="hotich-review")
    except OSError as e:
        raise ServeError(f"cannot listen on {host}:{port}: {e.strerror or e}") from e
    # A wildcard address is not one a browser can open: show this machine's name instead.
    shown = socket.gethostname() if host in ("0.0.0.0", "::", "") else host
    shown_host = f"[{shown}]" if ":" in shown else shown
    url = f"http://{shown_host}:{server.effective_port}/"
    if settings.token:
        url += f"?token={settings.token}"
    say = announce or (lambda s: (print(s), sys.stdout.flush()))
    say(f"hotich review: {out} at {url}  (Ctrl-C to stop)")
    logging.getLogger("waitress.queue").setLevel(logging.ERROR)
    try:
        server.run()
    finally:
        server.close()
