"""Ingest: INPUTs -> volumes of PageTasks, and one page's pixels at a time.

    inputs.py  folders, images, multi-page TIFF, PDFs -> Volume/PageTask plans (an unreadable
               INPUT becomes a Volume with `error`); load_scan, blank-page test, image hashes
    pixels.py  the one decompression-bomb limit and how a refusal states it
    pdf.py     the one wrapper around poppler (pdf2image): page count, size, one-page render
"""
