"""Ingest: INPUTs -> volumes of PageTasks, and one page's pixels at a time.

    inputs.py  folders, images, multi-page TIFF, PDFs -> Volume/PageTask plans; load_scan,
               the decompression-bomb guard, blank-page test, image hashes
    pdf.py     the one wrapper around poppler (pdf2image): page count, size, one-page render
"""
