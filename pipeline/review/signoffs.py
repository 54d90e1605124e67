"""Each volume's latest sign-off and whether it still holds, for `hotich status` and the report.

Reads the review database read-only (never creates or migrates it; a database made before
sign-offs kept a records hash has no such column, and its sign-offs are "unknown") and
compares each sign-off's records hash with the records as they are now
(schemas.content_hash).
"""
from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path

from schemas.content_hash import signoff_state, volume_hash
from schemas.outdir import review_db_path


@dataclass(frozen=True)
class SignoffState:
    """A volume's latest sign-off. state: fresh | stale (records changed since) | unknown."""

    register_type: str
    volume_id: str
    reviewer: str
    at: str
    state: str


def signoff_states(out: Path) -> dict[tuple[str, str], SignoffState]:
    """(register_type, volume_id) -> its latest sign-off; {} without a review database."""
    path = review_db_path(out)
    if not path.exists():
        return {}
    try:
        con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            cols = {r[1] for r in con.execute("PRAGMA table_info(signoffs)")}
            if not cols:
                return {}
            sha = "records_sha256" if "records_sha256" in cols else "NULL"
            rows = con.execute(
                f"SELECT register_type, volume_id, reviewer, at, {sha} FROM signoffs WHERE id IN "
                "(SELECT MAX(id) FROM signoffs GROUP BY register_type, volume_id)").fetchall()
        finally:
            con.close()
    except sqlite3.Error:
        return {}
    return {(rt, vol): SignoffState(rt, vol, who, at, signoff_state(h, volume_hash(out, rt, vol)))
            for rt, vol, who, at, h in rows}
