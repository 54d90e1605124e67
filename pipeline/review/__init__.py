"""The archivists' review: web pages over OUT, corrections in OUT/review/review.sqlite.

For the batch runner: call `apply_corrections(out, register_type, volume_id, rows)` on a
volume's rows before writing them (or `write_reviewed_volume`, which also takes the records lock
and writes atomically), so corrections survive OCR reruns.
"""
from pipeline.review.corrections import apply_corrections, write_reviewed_volume

__all__ = ["apply_corrections", "write_reviewed_volume"]
