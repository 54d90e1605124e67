"""The hook the batch runner looks up (pipeline/publish.py: CORRECTIONS_MODULE): review
corrections re-applied whenever a volume's records are rewritten. The work is in
pipeline/review/corrections.py."""
from pipeline.review.corrections import apply_corrections

__all__ = ["apply_corrections"]
