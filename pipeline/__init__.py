"""The pipeline, one sub-package per stage, in the order a page travels:

    ingest/   INPUTs -> volumes of PageTasks; one page image loaded at a time (images, TIFF, PDF)
    extract/  one page -> records: cleanup, layout, recognition (ocr/), fields (normalize/),
              page-level structure checks
    store/    what a page leaves under OUT: cache slots, cleaned images, run manifests
    run/      `hotich run` and `hotich status`: batches, workers, executors, the OUT lock,
              publishing a volume's records

and the stages that read OUT/records afterwards: dedup/, review/, export/, report/, and
evaluate.py (scoring against generated truth). docs/architecture.md draws the flow; the layers
are checked by import-linter (pyproject.toml, tests/test_architecture.py).
"""
