"""Run one export task per book: in this process, or one book per task in a process pool.

A book whose task raises (or whose worker process dies) comes back as a `Failed` with a
one-line reason; the other books go on. Results come back as books finish.
"""
from __future__ import annotations

import concurrent.futures as cf
import multiprocessing
import os
from dataclasses import dataclass
from typing import Callable, Iterator, Sequence, TypeVar

T = TypeVar("T")
R = TypeVar("R")


@dataclass(frozen=True)
class Failed:
    """A task that raised: its reason as `<ExceptionType>: <message>` (first line)."""

    reason: str


def _reason(e: BaseException) -> str:
    text = str(getattr(e, "message", "") or e).strip().splitlines()
    return f"{type(e).__name__}: {text[0] if text else ''}"[:300]


def map_tasks(fn: Callable[[T], R], items: Sequence[T], workers: int) -> Iterator[tuple[int, R | Failed]]:
    """(position, fn(item) or Failed) for every item, in the order they finish.

    Args:
        fn: a module-level function (it is pickled to the workers).
        items: picklable arguments, one task each.
        workers: processes; 1 runs every task here, in order.
    """
    if workers <= 1 or len(items) <= 1:
        for i, item in enumerate(items):
            try:
                yield i, fn(item)
            except Exception as e:
                yield i, Failed(_reason(e))
        return
    from pebble import ProcessExpired, ProcessPool

    from pipeline.run.worker import init_worker

    # As for `hotich run` (pipeline/run/executors.py): pebble replaces a worker that dies and
    # fails only its task; spawned workers ignore Ctrl-C, die with this process and run
    # OpenCV single-threaded (N workers on N cores).
    pool = ProcessPool(max_workers=min(workers, len(items)), max_tasks=0, initializer=init_worker,
                       initargs=(None, os.getpid()), context=multiprocessing.get_context("spawn"))
    try:
        pending = {pool.schedule(fn, args=(item,)): i for i, item in enumerate(items)}
        for fut in cf.as_completed(pending):
            i = pending.pop(fut)
            try:
                yield i, fut.result()
            except ProcessExpired as e:
                yield i, Failed(f"worker process died (exit code {e.exitcode})")
            except Exception as e:
                yield i, Failed(_reason(e))
    except BaseException:  # Ctrl-C, or the caller stopped early: drop the rest now
        pool.stop()
        pool.join(timeout=10)
        raise
    pool.close()
    pool.join()
