"""`hotich report`: a self-contained HTML page about an output folder, with charts."""
from pipeline.report.render import write_report

__all__ = ["write_report"]
