"""The pipeline version stamped into every record and part of every page's cache key:
bump it when a change to reading or extraction should redo cached pages."""
PIPELINE_VERSION = "0.6.0"
