"""Where pages run: a local process pool (pebble) or a dask.distributed cluster.

Both stream: at most `in_flight` pages are submitted at once and outcomes are yielded as they
complete, so memory stays flat over any number of pages. Both enforce the per-page timeout by
killing the process that runs a hung page and starting a fresh one; the page is reported.
"""
from __future__ import annotations

import concurrent.futures as cf
import logging
import multiprocessing
import os
import time
from typing import Iterable, Iterator, Protocol

from pipeline.run.worker import WorkUnit, init_worker, run_unit
from schemas.errors import BadInputError, MissingDependencyError
from schemas.pages import PageOutcome, PageResult
from schemas.records import PageError


def available_cpus() -> int:
    """CPUs this process may run on (the affinity mask, e.g. a container's cpuset): the
    default number of workers of `hotich run` and `hotich export`."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


class Executor(Protocol):
    """Runs work units; the runner only needs these three methods."""

    capacity: int

    def map_unordered(self, units: Iterable[WorkUnit], in_flight: int) -> Iterator[PageOutcome]: ...

    def close(self) -> None: ...


def failed_outcome(unit: WorkUnit, stage: str, reason: str, seconds: float = 0.0) -> PageOutcome:
    """An outcome for a page whose worker timed out or died (nothing came back)."""
    t = unit.task
    err = PageError(source_file=t.source_file, page=t.page, stage=stage, reason=reason)
    res = PageResult(task=t, image_sha256="", register_type=t.register_type, layout=None,
                     errors=(err,))
    return PageOutcome(t, None, False, res, seconds, "")


class LocalExecutor:
    """N worker processes on this machine, one OCR engine each (pebble.ProcessPool).

    pebble is used (not concurrent.futures) because it can kill the one worker whose page
    exceeds the timeout, and replaces workers that die (e.g. a segfault in Tesseract),
    failing only that page.
    """

    def __init__(self, workers: int, page_timeout: float | None, engine_factory):
        from pebble import ProcessPool

        self.capacity = workers
        self.page_timeout = page_timeout
        # spawn, not fork: a worker must not inherit OUT's lock (our fds are close-on-exec)
        # nor the parent's threads; and as a direct child of this process it can ask the
        # kernel to kill it when this process dies (worker._die_with_parent), so no orphan
        # stuck in a hung page outlives a SIGKILLed run.
        ctx = multiprocessing.get_context("spawn")
        # max_tasks=0: workers live for the whole run (the engine is made once per process).
        self.pool = ProcessPool(max_workers=workers, max_tasks=0, initializer=init_worker,
                                initargs=(engine_factory, os.getpid()), context=ctx)

    def map_unordered(self, units: Iterable[WorkUnit], in_flight: int) -> Iterator[PageOutcome]:
        from pebble import ProcessExpired

        it = iter(units)
        pending: dict[cf.Future, tuple[WorkUnit, float]] = {}

        def fill() -> None:
            while len(pending) < in_flight:
                unit = next(it, None)
                if unit is None:
                    return
                fut = self.pool.schedule(run_unit, args=(unit,), timeout=self.page_timeout)
                pending[fut] = (unit, time.monotonic())

        fill()
        while pending:
            done, _ = cf.wait(pending, return_when=cf.FIRST_COMPLETED)
            for fut in done:
                unit, t0 = pending.pop(fut)
                try:
                    yield fut.result()
                except cf.TimeoutError:
                    yield failed_outcome(unit, "timeout", f"no result after {self.page_timeout:g} s; "
                                         "the worker was killed and replaced", time.monotonic() - t0)
                except ProcessExpired as e:
                    yield failed_outcome(unit, "worker", f"worker process died (exit code "
                                         f"{e.exitcode}); it was replaced", time.monotonic() - t0)
                except Exception as e:  # e.g. an unpicklable result
                    yield failed_outcome(unit, "worker", f"{type(e).__name__}: {e}"[:200],
                                         time.monotonic() - t0)
            fill()

    def close(self) -> None:
        """Stop the workers now (pending pages are abandoned; they are redone on rerun)."""
        self.pool.stop()
        self.pool.join(timeout=10)


# dask settings for pages that each take seconds of CPU (also given as environment variables
# for `dask worker` in the README).
LEAN_DASK_CONFIG = {
    "distributed.worker.profile.enabled": False,
    "distributed.admin.tick.interval": "1s",
    "distributed.admin.system-monitor.interval": "2s",
    "distributed.worker.memory.monitor-interval": "1s",
}


class DaskExecutor:
    """The same work units on dask.distributed: a scheduler address, or a LocalCluster.

    Workers import hotich themselves (same install, same paths to the inputs); each worker
    thread makes its OCR engine lazily on first use (pipeline.run.worker.get_engine). Start
    workers with `--nthreads 1` and one worker process per core.
    """

    def __init__(self, workers: int, scheduler: str | None, page_timeout: float | None):
        try:
            from distributed import Client, LocalCluster
        except ImportError as e:  # pragma: no cover - it is a pinned dependency
            raise MissingDependencyError(f"dask.distributed is not installed ({e}); "
                                         "run `make install`") from e
        self.page_timeout = page_timeout
        self.cluster = None
        if scheduler:
            try:
                self.client = Client(scheduler, timeout="20s")
            except (OSError, TimeoutError, ValueError) as e:
                raise BadInputError(f"dask scheduler {scheduler}: cannot connect "
                                    f"({type(e).__name__}: {str(e).splitlines()[0][:120]})") from None
        else:
            import dask

            os.environ["OMP_THREAD_LIMIT"] = "1"  # inherited by the spawned workers
            # A page that kills its worker is tried on one more worker, not four (dask's
            # default): each try costs a worker restart. Our one-line report replaces the
            # scheduler's error log. The rest cuts dask's own wake-ups, which on a machine
            # whose cores all run OCR cost ~10% of throughput (measured: bench/README.md):
            # no statistical profiler (a stack sample every 10 ms), and event-loop, system
            # and memory checks every second or two instead of every 20-500 ms.
            with dask.config.set({"distributed.scheduler.allowed-failures": 1,
                                  **LEAN_DASK_CONFIG}):
                self.cluster = LocalCluster(n_workers=workers, threads_per_worker=1,
                                            processes=True, dashboard_address=None,
                                            silence_logs=logging.CRITICAL)
            self.client = Client(self.cluster)
        self.capacity = max(1, sum(self.client.nthreads().values()))

    def map_unordered(self, units: Iterable[WorkUnit], in_flight: int) -> Iterator[PageOutcome]:
        from distributed import KilledWorker, wait

        it = iter(units)
        # The timeout runs from submission, so keep no queue behind the workers' threads:
        # a submitted page starts at once (dask cannot tell us when a task starts).
        in_flight = min(in_flight, self.capacity)
        pending: dict = {}

        def fill() -> None:
            while len(pending) < in_flight:
                unit = next(it, None)
                if unit is None:
                    return
                key = f"page-{unit.task.volume_id}-{unit.task.page}-{time.time_ns()}"
                pending[self.client.submit(run_unit, unit, key=key, pure=False)] = (
                    unit, time.monotonic())

        fill()
        while pending:
            now = time.monotonic()
            left = None
            if self.page_timeout:
                left = max(0.05, min(t0 + self.page_timeout - now for _, t0 in pending.values()))
            try:
                done = wait(list(pending), timeout=left, return_when="FIRST_COMPLETED").done
            except TimeoutError:
                done = set()
            for fut in done:
                unit, t0 = pending.pop(fut)
                try:
                    yield fut.result()
                except KilledWorker:
                    yield failed_outcome(unit, "worker", "worker process died while reading "
                                         "this page (dask retried it on another worker)",
                                         time.monotonic() - t0)
                except Exception as e:
                    yield failed_outcome(unit, "worker", f"{type(e).__name__}: {e}"[:200],
                                         time.monotonic() - t0)
                finally:
                    fut.release()
            if self.page_timeout:
                yield from self._expire(pending)
            fill()

    def _expire(self, pending: dict) -> Iterator[PageOutcome]:
        """Cancel pages over the timeout and restart the workers running them (the nanny
        starts a fresh process; dask reschedules the other pages those workers held)."""
        now = time.monotonic()
        late = [f for f, (_, t0) in pending.items() if now - t0 > self.page_timeout]
        if not late:
            return
        keys = {f.key for f in late}
        busy = [w for w, ks in self.client.processing().items() if keys & set(ks)]
        self.client.cancel(late, force=True)
        if busy:
            self.client.restart_workers(busy, raise_for_error=False)
        for f in late:
            unit, t0 = pending.pop(f)
            yield failed_outcome(unit, "timeout", f"no result after {self.page_timeout:g} s; "
                                 "the worker was killed and replaced", now - t0)

    def close(self) -> None:
        self.client.close()
        if self.cluster is not None:
            self.cluster.close()


def make_executor(kind: str, workers: int, scheduler: str | None, page_timeout: float | None,
                  engine_factory) -> Executor:
    """The executor for `--executor`: "local" (process pool) or "dask"."""
    if kind == "dask":
        return DaskExecutor(workers, scheduler, page_timeout)
    return LocalExecutor(workers, page_timeout, engine_factory)
