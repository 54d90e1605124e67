"""Store: what a page's outcome leaves under OUT, written atomically.

    cache.py      per-page result slots under OUT/cache (the rerun and crash-resume key)
    pagestore.py  one outcome -> cleaned image + lines (OUT/pages/V/) then its cache slot
    manifest.py   run manifests under OUT/runs/
    pngdpi.py     the page PNG's resolution chunk
"""
