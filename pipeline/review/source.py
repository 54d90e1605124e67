"""Full record rows for the record page: one volume file read once and kept while unchanged."""
from __future__ import annotations

import threading
from collections import OrderedDict
from pathlib import Path

import pyarrow as pa

from schemas.records_io import RecordsError, read_files, record_files


class VolumeTables:
    """An LRU of whole volume tables keyed by each record file's (path, mtime_ns, size): a
    record page reads its volume's files once (a few ms for 500 entries), later pages of that volume reuse it."""

    def __init__(self, out: Path, size: int = 8):
        self.out = Path(out)
        self._cache: OrderedDict = OrderedDict()
        self._size = size
        self._lock = threading.Lock()

    def table(self, register_type: str, volume_id: str) -> pa.Table:
        """The volume's records (every record file of it, schemas.records_io), in the order
        the index numbered them (`pos`).

        Raises:
            FileNotFoundError: the volume has no record file.
        """
        files = record_files(self.out, register_type, volume_id)
        if not files:
            raise FileNotFoundError(f"no record file for {register_type}/{volume_id}")
        key = tuple(f.stamp for f in files)
        with self._lock:
            if key in self._cache:
                self._cache.move_to_end(key)
                return self._cache[key]
        table = read_files(files, register_type)
        with self._lock:
            self._cache[key] = table
            while len(self._cache) > self._size:
                self._cache.popitem(last=False)
        return table

    def row(self, register_type: str, volume_id: str, record_id: str, pos: int | None = None) -> dict | None:
        """One record as a dict; `pos` (from the index) is tried first, then a scan, since the
        file may have been rewritten since the index saw it."""
        try:
            t = self.table(register_type, volume_id)
        except (FileNotFoundError, RecordsError):
            return None
        if pos is not None and 0 <= pos < t.num_rows and t["record_id"][pos].as_py() == record_id:
            row = t.slice(pos, 1).to_pylist()[0]
        else:
            ids = t["record_id"].to_pylist()
            if record_id not in ids:
                return None
            row = t.slice(ids.index(record_id), 1).to_pylist()[0]
        row["register_type"], row["volume_id"] = register_type, volume_id
        return row
