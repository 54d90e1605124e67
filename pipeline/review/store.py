"""The review database OUT/review/review.sqlite: corrections, an audit trail, record states,
spot-check samples and sign-offs. It is the one place review work lives; the record files only
mirror it (pipeline/review/corrections.py re-applies it after every rewrite), so a rerun of the
OCR can never lose a correction.

Tables:
    changes      append-only audit: every correction, accept, verdict and sign-off, with
                 reviewer, time, field, old and new value, and the page image it was made on
    corrections  the current corrected value of each (record, field)
    record_state version (optimistic concurrency), status and the image it was reviewed on
    samples / sample_items / signoffs   spot checks and their results
"""
from __future__ import annotations

import datetime as dt
import sqlite3
import threading
from dataclasses import dataclass
from pathlib import Path

from schemas.errors import HotichError
from schemas.outdir import review_db_path

SCHEMA = """
CREATE TABLE IF NOT EXISTS changes (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at TEXT NOT NULL,
    reviewer TEXT NOT NULL,
    action TEXT NOT NULL,            -- correct | accept | verdict | resolve_stale | sign_off | sample | profile_column
    register_type TEXT NOT NULL,
    volume_id TEXT NOT NULL,
    record_id TEXT,
    field TEXT,
    old_value TEXT,
    new_value TEXT,
    image_sha256 TEXT,
    note TEXT                        -- why: "override: <reasons>" when a check was overridden
);
CREATE INDEX IF NOT EXISTS changes_record ON changes(register_type, record_id);
CREATE TABLE IF NOT EXISTS corrections (
    register_type TEXT NOT NULL,
    volume_id TEXT NOT NULL,
    record_id TEXT NOT NULL,
    field TEXT NOT NULL,
    value TEXT,
    image_sha256 TEXT,
    reviewer TEXT NOT NULL,
    at TEXT NOT NULL,
    PRIMARY KEY (register_type, record_id, field)
);
CREATE INDEX IF NOT EXISTS corrections_volume ON corrections(register_type, volume_id);
CREATE TABLE IF NOT EXISTS record_state (
    register_type TEXT NOT NULL,
    volume_id TEXT NOT NULL,
    record_id TEXT NOT NULL,
    version INTEGER NOT NULL,
    status TEXT NOT NULL,            -- accepted | corrected
    image_sha256 TEXT,
    reviewer TEXT NOT NULL,
    at TEXT NOT NULL,
    PRIMARY KEY (register_type, record_id)
);
CREATE INDEX IF NOT EXISTS record_state_volume ON record_state(register_type, volume_id);
CREATE TABLE IF NOT EXISTS samples (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    register_type TEXT NOT NULL,
    volume_id TEXT NOT NULL,
    at TEXT NOT NULL,
    reviewer TEXT NOT NULL,
    seed INTEGER NOT NULL,
    population INTEGER NOT NULL,
    size INTEGER NOT NULL,
    precision REAL NOT NULL,
    expected_rate REAL NOT NULL,
    confidence REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS sample_items (
    sample_id INTEGER NOT NULL REFERENCES samples(id),
    position INTEGER NOT NULL,
    record_id TEXT NOT NULL,
    verdict TEXT,                    -- NULL | right | wrong
    reviewer TEXT,
    at TEXT,
    PRIMARY KEY (sample_id, position)
);
CREATE INDEX IF NOT EXISTS sample_items_record ON sample_items(record_id);
CREATE TABLE IF NOT EXISTS signoffs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    register_type TEXT NOT NULL,
    volume_id TEXT NOT NULL,
    sample_id INTEGER NOT NULL REFERENCES samples(id),
    at TEXT NOT NULL,
    reviewer TEXT NOT NULL,
    judged INTEGER NOT NULL,
    wrong INTEGER NOT NULL,
    low REAL NOT NULL,
    high REAL NOT NULL,
    limit_ REAL NOT NULL,
    records_sha256 TEXT              -- schemas.content_hash of the volume's records when signed
);
"""


class ConflictError(HotichError):
    """A save was based on an older version of the record (another tab or reviewer saved
    first). Carries the current version so the page can show it."""

    def __init__(self, message: str, current_version: int):
        super().__init__(message)
        self.current_version = current_version


@dataclass(frozen=True)
class Correction:
    """The current corrected value of one field, and the page image it was made on."""

    record_id: str
    field: str
    value: str | None
    image_sha256: str | None
    reviewer: str
    at: str


@dataclass(frozen=True)
class RecordState:
    """What review did to a record: version (0 = never touched), status, image reviewed on."""

    record_id: str
    version: int
    status: str | None
    image_sha256: str | None


@dataclass(frozen=True)
class Sample:
    """One spot-check sample of a volume's unflagged records."""

    id: int
    register_type: str
    volume_id: str
    at: str
    reviewer: str
    seed: int
    population: int
    size: int
    precision: float
    expected_rate: float
    confidence: float


@dataclass(frozen=True)
class SampleItem:
    position: int
    record_id: str
    verdict: str | None
    reviewer: str | None
    at: str | None


def now() -> str:
    """UTC time, ISO 8601 with seconds (what the audit trail stores)."""
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


def connect(path: Path) -> sqlite3.Connection:
    """Open (creating) a review database in WAL mode with the schema in place.

    WAL lets the web server's threads read while one writes, and keeps committed work safe
    across a crash. `synchronous=FULL` because a correction must never be lost.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    con = sqlite3.connect(path, timeout=30, isolation_level=None, check_same_thread=False)
    con.row_factory = sqlite3.Row
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("PRAGMA synchronous=FULL")
    con.execute("PRAGMA foreign_keys=ON")
    con.executescript(SCHEMA)
    if "note" not in {r[1] for r in con.execute("PRAGMA table_info(changes)")}:
        con.execute("ALTER TABLE changes ADD COLUMN note TEXT")  # a database made before it
    if "records_sha256" not in {r[1] for r in con.execute("PRAGMA table_info(signoffs)")}:
        # sign-offs made before it keep NULL: shown as "unknown", not checkable for staleness
        con.execute("ALTER TABLE signoffs ADD COLUMN records_sha256 TEXT")
    return con


class ReviewStore:
    """Thread-safe access to OUT/review/review.sqlite (one connection per thread)."""

    def __init__(self, out: Path):
        self.path = review_db_path(out)
        self._local = threading.local()
        connect(self.path).close()  # create schema once, up front

    @property
    def con(self) -> sqlite3.Connection:
        con = getattr(self._local, "con", None)
        if con is None:
            con = self._local.con = connect(self.path)
        return con

    # ---- reading -------------------------------------------------------------------------
    def corrections(self, register_type: str, volume_id: str) -> dict[str, dict[str, Correction]]:
        """record_id -> field -> current correction, for one volume."""
        out: dict[str, dict[str, Correction]] = {}
        for r in self.con.execute(
                "SELECT record_id, field, value, image_sha256, reviewer, at FROM corrections "
                "WHERE register_type=? AND volume_id=?", (register_type, volume_id)):
            out.setdefault(r["record_id"], {})[r["field"]] = Correction(*r)
        return out

    def states(self, register_type: str, volume_id: str) -> dict[str, RecordState]:
        return {r["record_id"]: RecordState(r["record_id"], r["version"], r["status"], r["image_sha256"])
                for r in self.con.execute(
                    "SELECT record_id, version, status, image_sha256 FROM record_state "
                    "WHERE register_type=? AND volume_id=?", (register_type, volume_id))}

    def state(self, register_type: str, record_id: str) -> RecordState:
        r = self.con.execute("SELECT record_id, version, status, image_sha256 FROM record_state "
                             "WHERE register_type=? AND record_id=?", (register_type, record_id)).fetchone()
        return RecordState(*r) if r else RecordState(record_id, 0, None, None)

    def history(self, register_type: str, record_id: str) -> list[sqlite3.Row]:
        return self.con.execute(
            "SELECT * FROM changes WHERE register_type=? AND record_id=? ORDER BY id",
            (register_type, record_id)).fetchall()

    # ---- writing -------------------------------------------------------------------------
    def _bump(self, register_type: str, volume_id: str, record_id: str, expected_version: int,
              status: str, image_sha256: str | None, reviewer: str, at: str) -> int:
        """Advance the record's version inside the caller's transaction.

        Raises:
            ConflictError: the record's version is not `expected_version`.
        """
        cur = self.con.execute("SELECT version, status FROM record_state WHERE register_type=? "
                               "AND record_id=?", (register_type, record_id)).fetchone()
        current = cur["version"] if cur else 0
        if current != expected_version:
            raise ConflictError(f"record {record_id} was changed meanwhile (version {current}, "
                                f"your page had {expected_version})", current)
        # A record once corrected stays "corrected" when it is later accepted.
        if cur and cur["status"] == "corrected" and status == "accepted":
            status = "corrected"
        self.con.execute(
            "INSERT INTO record_state VALUES (?,?,?,?,?,?,?,?) ON CONFLICT(register_type, record_id) "
            "DO UPDATE SET version=excluded.version, status=excluded.status, "
            "image_sha256=excluded.image_sha256, reviewer=excluded.reviewer, at=excluded.at",
            (register_type, volume_id, record_id, current + 1, status, image_sha256, reviewer, at))
        return current + 1

    def correct(self, register_type: str, volume_id: str, record_id: str, field: str,
                old: str | None, new: str | None, image_sha256: str | None, reviewer: str,
                expected_version: int, note: str | None = None) -> int:
        """Store a corrected field value and its audit entry, atomically (`note`: why, kept
        in the audit entry; an override of the field's check says so there).

        Returns:
            The record's new version.

        Raises:
            ConflictError: someone saved this record since the page was loaded.
        """
        at = now()
        with self._tx():
            version = self._bump(register_type, volume_id, record_id, expected_version,
                                 "corrected", image_sha256, reviewer, at)
            self.con.execute(
                "INSERT INTO corrections VALUES (?,?,?,?,?,?,?,?) "
                "ON CONFLICT(register_type, record_id, field) DO UPDATE SET value=excluded.value, "
                "image_sha256=excluded.image_sha256, reviewer=excluded.reviewer, at=excluded.at",
                (register_type, volume_id, record_id, field, new, image_sha256, reviewer, at))
            # Other fields' corrections made on an older image stay stale until re-saved or
            # retired on accept: never re-based silently.
            self._audit(at, reviewer, "correct", register_type, volume_id, record_id, field,
                        old, new, image_sha256, note)
        return version

    def accept(self, register_type: str, volume_id: str, record_id: str,
               image_sha256: str | None, reviewer: str, expected_version: int,
               stale_fields: dict[str, str | None] | None = None) -> int:
        """Mark a record reviewed as it stands. Corrections made on an older page image that
        the reviewer has now seen and not re-applied (`stale_fields`: field -> value now
        shown) are retired, each with an audit entry, so they stop being re-applied.

        Raises:
            ConflictError: someone saved this record since the page was loaded.
        """
        at = now()
        with self._tx():
            version = self._bump(register_type, volume_id, record_id, expected_version,
                                 "accepted", image_sha256, reviewer, at)
            for field, shown in (stale_fields or {}).items():
                row = self.con.execute("SELECT value FROM corrections WHERE register_type=? AND "
                                       "record_id=? AND field=?", (register_type, record_id, field)).fetchone()
                if row is None:
                    continue
                self.con.execute("DELETE FROM corrections WHERE register_type=? AND record_id=? "
                                 "AND field=?", (register_type, record_id, field))
                self._audit(at, reviewer, "resolve_stale", register_type, volume_id, record_id,
                            field, row["value"], shown, image_sha256)
            self._audit(at, reviewer, "accept", register_type, volume_id, record_id, None,
                        None, None, image_sha256)
        return version

    def log_profile_change(self, reviewer: str, register_type: str, volume_id: str, column: int,
                           old: str | None, new: str | None, note: str | None = None) -> None:
        """Audit one column's field changed in the volume profile (field: "column N")."""
        with self._tx():
            self._audit(now(), reviewer, "profile_column", register_type, volume_id, None,
                        f"column {column}", old, new, None, note)

    def profile_changes(self, volume_id: str) -> list[dict]:
        """The volume's profile edits, oldest first."""
        cur = self.con.execute("SELECT * FROM changes WHERE volume_id=? AND action='profile_column' "
                               "ORDER BY id", (volume_id,))
        return [dict(r) for r in cur.fetchall()]

    def _audit(self, at, reviewer, action, register_type, volume_id, record_id, field, old, new,
               image_sha256, note=None) -> None:
        self.con.execute(
            "INSERT INTO changes (at, reviewer, action, register_type, volume_id, record_id, field, "
            "old_value, new_value, image_sha256, note) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
            (at, reviewer, action, register_type, volume_id, record_id, field, old, new,
             image_sha256, note))

    def _tx(self):
        return _Transaction(self.con)

    # ---- spot checks ---------------------------------------------------------------------
    def create_sample(self, register_type: str, volume_id: str, record_ids: list[str], *,
                      seed: int, population: int, precision: float, expected_rate: float,
                      confidence: float, reviewer: str) -> int:
        """Record a drawn sample (its parameters and items in drawing order)."""
        at = now()
        with self._tx():
            cur = self.con.execute(
                "INSERT INTO samples (register_type, volume_id, at, reviewer, seed, population, size, "
                "precision, expected_rate, confidence) VALUES (?,?,?,?,?,?,?,?,?,?)",
                (register_type, volume_id, at, reviewer, seed, population, len(record_ids),
                 precision, expected_rate, confidence))
            sid = cur.lastrowid
            self.con.executemany("INSERT INTO sample_items (sample_id, position, record_id) VALUES (?,?,?)",
                                 [(sid, i, rid) for i, rid in enumerate(record_ids)])
            self._audit(at, reviewer, "sample", register_type, volume_id, None, None, None,
                        f"sample {sid}: {len(record_ids)} of {population}", None)
        return sid

    def latest_sample(self, register_type: str, volume_id: str) -> Sample | None:
        r = self.con.execute("SELECT * FROM samples WHERE register_type=? AND volume_id=? "
                             "ORDER BY id DESC LIMIT 1", (register_type, volume_id)).fetchone()
        return Sample(**dict(r)) if r else None

    def sample(self, sample_id: int) -> Sample | None:
        r = self.con.execute("SELECT * FROM samples WHERE id=?", (sample_id,)).fetchone()
        return Sample(**dict(r)) if r else None

    def sample_items(self, sample_id: int) -> list[SampleItem]:
        return [SampleItem(*r) for r in self.con.execute(
            "SELECT position, record_id, verdict, reviewer, at FROM sample_items WHERE sample_id=? "
            "ORDER BY position", (sample_id,))]

    def set_verdict(self, sample_id: int, record_id: str, verdict: str, reviewer: str) -> None:
        """Record right/wrong for one sampled record (the latest verdict counts; all are audited).

        Raises:
            ValueError: bad verdict, or the record is not in the sample.
        """
        if verdict not in ("right", "wrong"):
            raise ValueError(f"verdict must be right or wrong, got {verdict!r}")
        s = self.sample(sample_id)
        at = now()
        with self._tx():
            cur = self.con.execute("SELECT verdict FROM sample_items WHERE sample_id=? AND record_id=?",
                                   (sample_id, record_id)).fetchone()
            if s is None or cur is None:
                raise ValueError(f"record {record_id} is not in sample {sample_id}")
            self.con.execute("UPDATE sample_items SET verdict=?, reviewer=?, at=? WHERE sample_id=? "
                             "AND record_id=?", (verdict, reviewer, at, sample_id, record_id))
            self._audit(at, reviewer, "verdict", s.register_type, s.volume_id, record_id, None,
                        cur["verdict"], verdict, None)

    def sign_off(self, sample: Sample, judged: int, wrong: int, low: float, high: float,
                 limit: float, reviewer: str, records_sha256: str | None = None) -> None:
        """Record a sign-off; `records_sha256` (schemas.content_hash.volume_hash) is what the
        records were when signed, so a later change shows the sign-off as stale."""
        at = now()
        with self._tx():
            self.con.execute(
                "INSERT INTO signoffs (register_type, volume_id, sample_id, at, reviewer, judged, wrong, "
                "low, high, limit_, records_sha256) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                (sample.register_type, sample.volume_id, sample.id, at, reviewer, judged, wrong,
                 low, high, limit, records_sha256))
            self._audit(at, reviewer, "sign_off", sample.register_type, sample.volume_id, None, None,
                        None, f"{wrong}/{judged} wrong, 95% CI {low:.4f}-{high:.4f} < {limit}", None)

    def latest_signoff(self, register_type: str, volume_id: str) -> sqlite3.Row | None:
        return self.con.execute("SELECT * FROM signoffs WHERE register_type=? AND volume_id=? "
                                "ORDER BY id DESC LIMIT 1", (register_type, volume_id)).fetchone()

    def latest_signoffs(self) -> dict[tuple[str, str], dict]:
        """(register_type, volume_id) -> the volume's latest sign-off as a dict."""
        return {(r["register_type"], r["volume_id"]): dict(r) for r in self.con.execute(
            "SELECT * FROM signoffs WHERE id IN (SELECT MAX(id) FROM signoffs "
            "GROUP BY register_type, volume_id)")}

    def all_samples_summary(self) -> dict[tuple[str, str], dict]:
        """(register_type, volume_id) -> latest sample id, size, judged, wrong; and signoff."""
        out: dict[tuple[str, str], dict] = {}
        for r in self.con.execute(
                "SELECT s.register_type, s.volume_id, s.id, s.size, "
                "SUM(i.verdict IS NOT NULL) AS judged, SUM(i.verdict='wrong') AS wrong "
                "FROM samples s LEFT JOIN sample_items i ON i.sample_id = s.id "
                "WHERE s.id IN (SELECT MAX(id) FROM samples GROUP BY register_type, volume_id) "
                "GROUP BY s.id"):
            out[(r[0], r[1])] = {"sample_id": r[2], "size": r[3], "judged": r[4] or 0,
                                 "wrong": r[5] or 0, "signoff": None}
        for key, so in self.latest_signoffs().items():
            out.setdefault(key, {})["signoff"] = so
        return out


class _Transaction:
    """BEGIN IMMEDIATE ... COMMIT / ROLLBACK: takes the write lock up front so that two
    concurrent saves serialise instead of failing halfway."""

    def __init__(self, con: sqlite3.Connection):
        self.con = con

    def __enter__(self):
        self.con.execute("BEGIN IMMEDIATE")
        return self.con

    def __exit__(self, exc_type, exc, tb):
        self.con.execute("COMMIT" if exc_type is None else "ROLLBACK")
        return False
