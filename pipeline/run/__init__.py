"""Run: `hotich run` and `hotich status` over many volumes.

    runner.py     plan volumes, skip cached pages, stream the rest through an executor,
                  store each outcome, publish each volume
    worker.py     the per-page work unit run in a worker process (never raises for a bad page)
    executors.py  a local process pool (pebble) or a dask.distributed cluster
    publish.py    a volume's records from its cached pages (one atomic file), corrections
                  re-applied
    lock.py       one run per OUT at a time
    status.py     per-volume progress and failures
"""
