"""A sign-off records the volume's records hash; a rerun that changes the records shows it
STALE in the review page (volumes list, volume page, spot check), `hotich status` and the
report; an unchanged rerun (which restamps review bookkeeping) keeps it fresh."""
import re
import sqlite3

import pytest

from pipeline.report.collect import collect
from pipeline.report.render import write_report
from pipeline.review.app import create_app
from pipeline.review.corrections import write_reviewed_volume
from pipeline.review.settings import ReviewSettings
from pipeline.review.store import connect
from pipeline.run.status import format_table, volume_status
from schemas.content_hash import records_hash, volume_hash
from schemas.outdir import review_db_path
from tests.review_fixture import build_out, rerun_rows

RT = "birth"


def _forms(client, url):
    html = client.get(url).get_data(as_text=True)
    return {m.group(1): dict(re.findall(r'name="(\w+)" value="([^"]*)"', m.group(2)))
            for m in re.finditer(r'<form method="post" action="([^"]+)"(.*?)</form>', html, re.S)}


@pytest.fixture
def signed(tmp_path):
    """A volume spot-checked (every sampled record judged by its truth) and signed off."""
    vol = build_out(tmp_path / "out")
    client = create_app(vol.out, ReviewSettings(lang="en", reviewer="Lan", precision=0.2, expected_rate=0.1,
                                                signoff_limit=0.99)).test_client()
    spot = f"/v/{RT}/{vol.volume_id}/spot"
    assert client.post(spot, data=_forms(client, spot)[spot]).status_code == 302
    html = client.get(spot).get_data(as_text=True)
    items = list(dict.fromkeys(re.findall(r'href="/r/birth/([^"?]+)\?sample=(\d+)"', html)))
    assert items
    for rid, sid in items:
        form = _forms(client, f"/r/{RT}/{rid}?sample={sid}")[f"/spot/{sid}/verdict"]
        assert client.post(f"/spot/{sid}/verdict",
                           data={**form, "verdict": "right", "record_id": rid}).status_code == 302
    action = f"/v/{RT}/{vol.volume_id}/signoff"
    assert client.post(action, data=_forms(client, spot)[action]).status_code == 302
    return vol, client


def _states(vol, client):
    """What the four places say: review volumes list, volume page, status, report."""
    listing = client.get("/").get_data(as_text=True)
    queue = client.get(f"/v/{RT}/{vol.volume_id}").get_data(as_text=True)
    spot = client.get(f"/v/{RT}/{vol.volume_id}/spot").get_data(as_text=True)
    st = volume_status(vol.out, vol.volume_id)
    rep = collect(vol.out).volumes[0].signoff
    html = write_report(vol.out).read_text(encoding="utf-8")
    return {"list": "sign-off STALE" in listing, "queue": 'id="signoff-stale"' in queue,
            "spot": 'id="signoff-stale"' in spot, "status": st.signoff,
            "status_table": "STALE" in format_table([st]), "report": rep,
            "report_html": "STALE: records changed after the sign-off" in html}


FRESH = {"list": False, "queue": False, "spot": False, "status": "fresh", "status_table": False,
         "report": "fresh", "report_html": False}
STALE = {"list": True, "queue": True, "spot": True, "status": "stale", "status_table": True,
         "report": "stale", "report_html": True}


def test_signoff_stores_the_records_hash(signed):
    vol, _ = signed
    con = sqlite3.connect(review_db_path(vol.out))
    (h,) = con.execute("SELECT records_sha256 FROM signoffs").fetchone()
    assert h == volume_hash(vol.out, RT, vol.volume_id) and len(h) == 64


def test_unchanged_rerun_keeps_the_signoff_fresh(signed):
    vol, client = signed
    assert _states(vol, client) == FRESH
    # the rerun's rows carry review_status "unreviewed" and no review flags; what the store
    # re-applies differs in bookkeeping only, so the sign-off still holds
    write_reviewed_volume(vol.out, RT, vol.volume_id, rerun_rows(vol))
    assert _states(vol, client) == FRESH


def test_changed_rerun_makes_the_signoff_stale(signed):
    vol, client = signed
    rows = rerun_rows(vol)
    clean = next(r for r in rows if not r["flags"])
    clean["place_of_birth"] = "Xã Khác, Huyện Khác"
    write_reviewed_volume(vol.out, RT, vol.volume_id, rows)
    assert _states(vol, client) == STALE
    # putting the signed values back makes it fresh again: the hash is of the values
    write_reviewed_volume(vol.out, RT, vol.volume_id, rerun_rows(vol))
    assert _states(vol, client) == FRESH


def test_records_hash_ignores_bookkeeping_and_order_but_not_values():
    rows = [{"record_id": "v:0001:02", "full_name": "Lê Văn Bình", "review_status": "accepted",
             "flags": [], "full_name_conf": 0.9},
            {"record_id": "v:0001:01", "full_name": "Nguyễn Thị Hòa", "review_status": "unreviewed",
             "flags": ["low_confidence:full_name"], "full_name_conf": 0.4}]
    h = records_hash(RT, rows)
    moved = [dict(rows[1], review_status="corrected", flags=["review_stale"], full_name_conf=0.1),
             dict(rows[0], image_sha256="other")]
    assert records_hash(RT, moved) == h
    assert records_hash(RT, [dict(rows[0], full_name="Lê Văn Bính"), rows[1]]) != h
    assert records_hash(RT, rows[:1]) != h
    assert records_hash("death", rows) != h


def test_old_signoffs_without_hash_are_unknown(signed):
    vol, client = signed
    path = review_db_path(vol.out)
    con = sqlite3.connect(path)
    # a database from before the column: rebuild signoffs without it
    con.executescript("""
        CREATE TABLE old AS SELECT id, register_type, volume_id, sample_id, at, reviewer, judged,
            wrong, low, high, limit_ FROM signoffs;
        DROP TABLE signoffs; ALTER TABLE old RENAME TO signoffs;""")
    con.close()
    assert volume_status(vol.out, vol.volume_id).signoff == "unknown"  # read-only, no migration
    assert collect(vol.out).volumes[0].signoff == "unknown"
    connect(path).close()  # the review server's connect adds the column
    cols = {r[1] for r in sqlite3.connect(path).execute("PRAGMA table_info(signoffs)")}
    assert "records_sha256" in cols
    app = create_app(vol.out, ReviewSettings(lang="en", reviewer="Lan"))
    spot = app.test_client().get(f"/v/{RT}/{vol.volume_id}/spot").get_data(as_text=True)
    assert "Records hash unknown" in spot and 'id="signoff-stale"' not in spot
