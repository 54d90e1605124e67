"""A small SQLite index of OUT/records for the review pages (OUT/review/index.sqlite).

The pages need, for 500k records, queues sorted by doubt, per-volume counts and search by
name/date/number, in well under a second. Reading the Parquet dataset per request is too slow,
so each volume file's few needed columns are copied here once, and again only when that file's
(mtime, size) changes. The index is a disposable cache: deleting it costs one rebuild; the
review work itself lives in review.sqlite.
"""
from __future__ import annotations

import json
import re
import sqlite3
import threading
import time
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from schemas.fields import all_fields, field_kind
from schemas.records_io import RecordFile, RecordsError, read_files, record_files

INDEX_VERSION = "6"  # 6: a volume is every *.parquet of its partition

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE IF NOT EXISTS files (
    register_type TEXT NOT NULL, volume_id TEXT NOT NULL, path TEXT NOT NULL,
    mtime_ns INTEGER NOT NULL, size INTEGER NOT NULL,
    PRIMARY KEY (register_type, volume_id));
CREATE TABLE IF NOT EXISTS recs (
    register_type TEXT NOT NULL, volume_id TEXT NOT NULL, record_id TEXT NOT NULL,
    pos INTEGER NOT NULL, page INTEGER NOT NULL, row INTEGER NOT NULL,
    n_flags INTEGER NOT NULL, min_conf REAL NOT NULL, needs_review INTEGER NOT NULL,
    review_status TEXT NOT NULL, entry_no TEXT, label TEXT, names_fold TEXT, dates TEXT,
    flag_text TEXT, PRIMARY KEY (register_type, record_id));
CREATE INDEX IF NOT EXISTS recs_queue
    ON recs(register_type, volume_id, needs_review, review_status, min_conf, n_flags, record_id);
CREATE INDEX IF NOT EXISTS recs_page ON recs(register_type, volume_id, page);
CREATE INDEX IF NOT EXISTS recs_entry ON recs(entry_no);
CREATE VIRTUAL TABLE IF NOT EXISTS recs_fts USING fts5(
    names_fold, dates, content='recs', content_rowid='rowid', tokenize='unicode61');
CREATE TABLE IF NOT EXISTS vols (
    register_type TEXT NOT NULL, volume_id TEXT NOT NULL, records INTEGER, flagged INTEGER,
    pending INTEGER, reviewed INTEGER, corrected INTEGER, unflagged INTEGER,
    PRIMARY KEY (register_type, volume_id));
"""


@lru_cache(maxsize=1 << 16)
def _fold_word(word: str) -> str:
    word = unicodedata.normalize("NFD", word.replace("đ", "d").replace("Đ", "D"))
    return "".join(c for c in word if not unicodedata.combining(c)).lower()


def fold(text: str) -> str:
    """Lower-case and drop Vietnamese diacritics (đ -> d) so "nguyen thi" finds "Nguyễn Thị".

    Word by word through a cache: names reuse a few thousand syllables, and indexing 500k
    records folds two million names."""
    return " ".join(_fold_word(w) for w in text.split())


def name_fields(register_type: str) -> tuple[str, ...]:
    return tuple(f for f in all_fields(register_type) if field_kind(f) == "name")


def date_fields(register_type: str) -> tuple[str, ...]:
    return tuple(f for f in all_fields(register_type) if field_kind(f) == "date")


def label_fields(register_type: str) -> tuple[str, ...]:
    """The fields that name a record in lists (the person, or the couple)."""
    return ("husband_name", "wife_name") if register_type == "marriage" else ("full_name",)


@dataclass(frozen=True)
class VolumeFile:
    """One volume's record files (any *.parquet of its partition, schemas.records_io).

    Attributes:
        path: the files' (path, mtime_ns, size) as JSON: the index re-reads the volume when
            any file is added, removed or changes. mtime_ns: the newest; size: their total.
    """

    register_type: str
    volume_id: str
    files: tuple[RecordFile, ...]

    @property
    def path(self) -> str:
        return json.dumps([list(f.stamp) for f in self.files])

    @property
    def mtime_ns(self) -> int:
        return max(f.mtime_ns for f in self.files)

    @property
    def size(self) -> int:
        return sum(f.size for f in self.files)


def scan_files(out: Path) -> list[VolumeFile]:
    """Every volume under OUT/records (hive layout) with its record files' stamps."""
    by_vol: dict[tuple[str, str], list[RecordFile]] = {}
    for f in record_files(out):
        by_vol.setdefault((f.register_type, f.volume_id), []).append(f)
    return [VolumeFile(t, v, tuple(fs)) for (t, v), fs in by_vol.items()]


def index_rows(register_type: str, volume_id: str, table: pa.Table) -> list[tuple]:
    """The index rows of one volume's records table (pure)."""
    n = table.num_rows
    if n == 0:
        return []
    # Only cells with something in them count: an empty cell's confidence (often 0) says
    # nothing about how doubtful the entry is.
    # (A cell is empty when the OCR read nothing: F_raw null.)
    conf_cols = [pc.if_else(pc.is_null(table[f + "_raw"]), pa.scalar(None, pa.float32()),
                            table[f + "_conf"])
                 for f in all_fields(register_type) if f + "_conf" in table.column_names]
    if conf_cols:
        min_conf = pc.fill_null(pc.min_element_wise(*conf_cols, skip_nulls=True), 1.0).to_pylist()
    else:
        min_conf = [1.0] * n
    flags = table["flags"].to_pylist()
    names = [table[f].to_pylist() for f in name_fields(register_type)]
    dates = [table[f].to_pylist() for f in date_fields(register_type)]
    labels = [table[f].to_pylist() for f in label_fields(register_type)]
    ids, pages, rws = (table[c].to_pylist() for c in ("record_id", "page", "row"))
    needs = table["needs_review"].to_pylist()
    status = table["review_status"].to_pylist()
    entry = table["entry_no"].to_pylist()
    out = []
    for i in range(n):
        nm = " | ".join(fold(c[i]) for c in names if c[i])
        dt = " ".join(c[i] for c in dates if c[i])
        lb = " & ".join(c[i] for c in labels if c[i])
        fl = flags[i] or []
        out.append((register_type, volume_id, ids[i], i, pages[i], rws[i], len(fl),
                    float(min_conf[i]), int(bool(needs[i])), status[i] or "unreviewed",
                    entry[i], lb, nm, dt, " ".join(fl)))
    return out


def _read_for_index(register_type: str, files: tuple[RecordFile, ...]) -> pa.Table:
    values = set(name_fields(register_type) + date_fields(register_type) + ("entry_no",))
    cols = (["record_id", "page", "row", "flags", "needs_review", "review_status"]
            + [f for f in all_fields(register_type) if f in values]
            + [f + s for f in all_fields(register_type) for s in ("_raw", "_conf")])
    return read_files(files, register_type, columns=cols)


_DATE_DMY = re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$")
_DATE_MY = re.compile(r"^(\d{1,2})[/.-](\d{4})$")
_ISO = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")


def date_query(q: str) -> str | None:
    """An ISO date prefix from a typed date ("12/3/1965" -> "1965-03-12"), else None."""
    if _ISO.match(q):
        return q
    if m := _DATE_DMY.match(q):
        return f"{m[3]}-{int(m[2]):02d}-{int(m[1]):02d}"
    if m := _DATE_MY.match(q):
        return f"{m[2]}-{int(m[1]):02d}"
    return None


class RecordIndex:
    """The index, kept in step with OUT/records (call `sync`; cheap when nothing changed)."""

    def __init__(self, out: Path, path: Path | None = None, min_interval: float = 1.0):
        self.out = Path(out)
        self.path = path or self.out / "review" / "index.sqlite"
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.min_interval = min_interval
        self._local = threading.local()
        self._lock = threading.Lock()
        self._last_sync = 0.0
        con = self.con
        con.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT)")
        v = con.execute("SELECT value FROM meta WHERE key='version'").fetchone()
        if not v or v[0] != INDEX_VERSION:  # an index from another version: rebuild it
            con.executescript("DROP TABLE IF EXISTS recs_fts; DROP TABLE IF EXISTS files; "
                              "DROP TABLE IF EXISTS recs; DROP TABLE IF EXISTS vols;")
            con.execute("INSERT OR REPLACE INTO meta VALUES ('version', ?)", (INDEX_VERSION,))
        con.executescript(SCHEMA)

    @property
    def con(self) -> sqlite3.Connection:
        con = getattr(self._local, "con", None)
        if con is None:
            con = sqlite3.connect(self.path, timeout=60, isolation_level=None, check_same_thread=False)
            con.row_factory = sqlite3.Row
            con.execute("PRAGMA journal_mode=WAL")
            con.execute("PRAGMA synchronous=NORMAL")  # a cache: rebuilt if lost
            self._local.con = con
        return con

    def sync(self, force: bool = False) -> int:
        """Re-index volume files that changed since the last sync (at most once per
        `min_interval` seconds unless forced). Returns the number of files re-indexed."""
        if not force and time.monotonic() - self._last_sync < self.min_interval:
            return 0
        with self._lock:
            files = scan_files(self.out)
            known = {(r[0], r[1]): (r[2], r[3], r[4]) for r in self.con.execute(
                "SELECT register_type, volume_id, path, mtime_ns, size FROM files")}
            changed = [f for f in files if known.get((f.register_type, f.volume_id))
                       != (f.path, f.mtime_ns, f.size)]
            gone = set(known) - {(f.register_type, f.volume_id) for f in files}
            for f in changed:
                self._index_file(f)
            for rtype, vol in gone:
                self._drop(rtype, vol)
            self._last_sync = time.monotonic()
            return len(changed)

    def reindex(self, register_type: str, volume_id: str) -> None:
        """Re-index one volume now (after this process rewrote it)."""
        with self._lock:
            for f in scan_files(self.out):
                if (f.register_type, f.volume_id) == (register_type, volume_id):
                    self._index_file(f)

    def _delete_recs(self, register_type: str, volume_id: str) -> None:
        """Remove a volume's rows from recs and the full-text index (inside a transaction).
        The FTS table is external-content: it must be told the old values to forget them."""
        args = (register_type, volume_id)
        self.con.execute("INSERT INTO recs_fts(recs_fts, rowid, names_fold, dates) SELECT 'delete', "
                         "rowid, names_fold, dates FROM recs WHERE register_type=? AND volume_id=?", args)
        self.con.execute("DELETE FROM recs WHERE register_type=? AND volume_id=?", args)

    def _drop(self, register_type: str, volume_id: str) -> None:
        con = self.con
        con.execute("BEGIN")
        self._delete_recs(register_type, volume_id)
        for t in ("files", "vols"):
            con.execute(f"DELETE FROM {t} WHERE register_type=? AND volume_id=?", (register_type, volume_id))
        con.execute("COMMIT")

    def _index_file(self, f: VolumeFile) -> None:
        try:
            table = _read_for_index(f.register_type, f.files)
        except (OSError, pa.ArrowException, RecordsError):
            # Replaced while we read it (atomic rename) or unreadable: next sync tries again.
            return
        rows = index_rows(f.register_type, f.volume_id, table)
        con = self.con
        con.execute("BEGIN")
        try:
            self._delete_recs(f.register_type, f.volume_id)
            con.executemany("INSERT INTO recs VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", rows)
            con.execute("INSERT INTO recs_fts(rowid, names_fold, dates) SELECT rowid, names_fold, dates "
                        "FROM recs WHERE register_type=? AND volume_id=?", (f.register_type, f.volume_id))
            flagged = sum(r[8] for r in rows)
            pending = sum(1 for r in rows if r[8] and r[9] == "unreviewed")
            reviewed = sum(1 for r in rows if r[9] != "unreviewed")
            corrected = sum(1 for r in rows if r[9] == "corrected")
            con.execute("INSERT OR REPLACE INTO vols VALUES (?,?,?,?,?,?,?,?)",
                        (f.register_type, f.volume_id, len(rows), flagged, pending, reviewed,
                         corrected, len(rows) - flagged))
            con.execute("INSERT OR REPLACE INTO files VALUES (?,?,?,?,?)",
                        (f.register_type, f.volume_id, f.path, f.mtime_ns, f.size))
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise

    # ---- queries -------------------------------------------------------------------------
    def volumes(self) -> list[sqlite3.Row]:
        return self.con.execute("SELECT * FROM vols ORDER BY volume_id, register_type").fetchall()

    def volume(self, register_type: str, volume_id: str) -> sqlite3.Row | None:
        return self.con.execute("SELECT * FROM vols WHERE register_type=? AND volume_id=?",
                                (register_type, volume_id)).fetchone()

    def record(self, register_type: str, record_id: str) -> sqlite3.Row | None:
        return self.con.execute("SELECT * FROM recs WHERE register_type=? AND record_id=?",
                                (register_type, record_id)).fetchone()

    _ORDER = "ORDER BY min_conf ASC, n_flags DESC, record_id ASC"

    def queue(self, register_type: str, volume_id: str, limit: int = 100, offset: int = 0,
              include_reviewed: bool = False) -> list[sqlite3.Row]:
        """Flagged records of a volume, most doubtful first (lowest confidence, most flags)."""
        status = "" if include_reviewed else "AND review_status='unreviewed'"
        return self.con.execute(
            f"SELECT * FROM recs WHERE register_type=? AND volume_id=? AND needs_review=1 {status} "
            f"{self._ORDER} LIMIT ? OFFSET ?", (register_type, volume_id, limit, offset)).fetchall()

    def next_in_queue(self, register_type: str, volume_id: str, after: sqlite3.Row | None,
                      backwards: bool = False) -> sqlite3.Row | None:
        """The pending flagged record after (or before) `after` in queue order; the first
        pending one when `after` is None. Keyset paging: no OFFSET scan."""
        base = ("SELECT * FROM recs WHERE register_type=? AND volume_id=? AND needs_review=1 "
                "AND review_status='unreviewed'")
        if after is None:
            return self.con.execute(f"{base} {self._ORDER} LIMIT 1", (register_type, volume_id)).fetchone()
        c, f, rid = after["min_conf"], after["n_flags"], after["record_id"]
        if not backwards:
            cond = ("AND (min_conf > ? OR (min_conf = ? AND (n_flags < ? OR "
                    "(n_flags = ? AND record_id > ?))))")
            order = self._ORDER
        else:
            cond = ("AND (min_conf < ? OR (min_conf = ? AND (n_flags > ? OR "
                    "(n_flags = ? AND record_id < ?))))")
            order = "ORDER BY min_conf DESC, n_flags ASC, record_id DESC"
        return self.con.execute(f"{base} {cond} {order} LIMIT 1",
                                (register_type, volume_id, c, c, f, f, rid)).fetchone()

    def unflagged_ids(self, register_type: str, volume_id: str) -> list[str]:
        return [r[0] for r in self.con.execute(
            "SELECT record_id FROM recs WHERE register_type=? AND volume_id=? AND needs_review=0",
            (register_type, volume_id))]

    def page_exists(self, volume_id: str, page: int) -> bool:
        return self.con.execute("SELECT 1 FROM recs WHERE volume_id=? AND page=? LIMIT 1",
                                (volume_id, page)).fetchone() is not None

    def page_records(self, register_type: str, volume_id: str, page: int) -> list[sqlite3.Row]:
        return self.con.execute("SELECT * FROM recs WHERE register_type=? AND volume_id=? AND page=? "
                                "ORDER BY row", (register_type, volume_id, page)).fetchall()

    def file_path(self, register_type: str, volume_id: str) -> Path | None:
        r = self.con.execute("SELECT path FROM files WHERE register_type=? AND volume_id=?",
                             (register_type, volume_id)).fetchone()
        return Path(r[0]) if r else None

    def search(self, query: str, limit: int = 100) -> list[sqlite3.Row]:
        """Records across all volumes by name (accent-insensitive, whole words, the last one
        may be cut short: "nguyen thi h"), date (1965-03-12, 12/3/1965, 1965-03, 1965) or
        entry number (125, 125/1965), through the full-text index: no table scan."""
        q = unicodedata.normalize("NFC", query).strip()
        if not q:
            return []
        found: dict[tuple[str, str], sqlite3.Row] = {}
        if re.fullmatch(r"\d+(/\d+)?", q):  # "1965" or "1/1985" may also be an entry number
            for r in self.con.execute("SELECT * FROM recs WHERE entry_no = ? OR entry_no LIKE ? "
                                      "ESCAPE '\\' LIMIT ?", (q, f"{_like(q)}/%", limit)):
                found[(r["register_type"], r["record_id"])] = r
        iso = date_query(q)
        if iso is not None:
            match = 'dates : "' + " ".join(iso.split("-")) + '"'
        elif ":" in q:
            match = None
            for r in self.con.execute("SELECT * FROM recs WHERE record_id = ?", (q,)):
                found[(r["register_type"], r["record_id"])] = r
        elif not found:
            words = [w for w in re.split(r"[^\w]+", fold(q)) if w]
            match = ('names_fold : "' + " ".join(words) + '"*') if words else None
        else:
            match = None
        if match and len(found) < limit:
            for r in self.con.execute(
                    "SELECT recs.* FROM recs_fts JOIN recs ON recs.rowid = recs_fts.rowid "
                    "WHERE recs_fts MATCH ? ORDER BY recs_fts.rowid LIMIT ?", (match, limit - len(found))):
                found.setdefault((r["register_type"], r["record_id"]), r)
        return sorted(found.values(), key=lambda r: (r["volume_id"], r["page"], r["row"]))


def _like(s: str) -> str:
    return s.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
