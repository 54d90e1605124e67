"""Extract: one page image -> records (PageResult).

    page.py        process_page: cleanup, orientation, title, grid or form lines, recognition
                   (all in ocr/), then extraction and the page checks below
    record.py      recognised cells -> one record row: normalisation (normalize/), second
                   opinions, flags, provenance
    pagechecks.py  passes over a page's records: book year, entry-number run, date order
"""
