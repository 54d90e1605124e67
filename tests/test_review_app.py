"""The review web app through Flask's test client: CSRF, token, escaping, image paths,
corrections into OUT/records and the audit table, conflicts, search, spot-check flow."""
import re
import sqlite3
import unicodedata

import pytest

from pipeline.review.app import create_app
from pipeline.review.corrections import write_reviewed_volume
from pipeline.review.security import TokenError
from pipeline.review.settings import ReviewSettings
from pipeline.review.views import check_value
from schemas.fields import all_fields
from schemas.outdir import review_db_path
from schemas.parquet_io import read_records
from tests.review_fixture import SCRIPT_NOTE, build_out, rerun_rows

RT = "birth"


@pytest.fixture
def vol(tmp_path):
    return build_out(tmp_path / "out")


@pytest.fixture
def client(vol):
    app = create_app(vol.out, ReviewSettings(lang="en", reviewer="Lan", precision=0.2, expected_rate=0.1))
    return app.test_client()


def _form(client, url):
    """The hidden inputs of the page at url, by form action."""
    html = client.get(url).get_data(as_text=True)
    forms = {}
    for m in re.finditer(r'<form method="post" action="([^"]+)"(.*?)</form>', html, re.S):
        forms[m.group(1)] = dict(re.findall(r'name="(\w+)" value="([^"]*)"', m.group(2)))
    return html, forms


def _record(vol, rid):
    return {r["record_id"]: r for r in read_records(vol.out, RT, vol.volume_id).to_pylist()}[rid]


def test_pages_answer(client, vol):
    for url in ("/", f"/v/{RT}/{vol.volume_id}", f"/r/{RT}/{vol.rows[0]['record_id']}",
                f"/v/{RT}/{vol.volume_id}/spot", "/search?q=nguyen", f"/page/{RT}/{vol.volume_id}/1"):
        r = client.get(url)
        assert r.status_code == 200, url
        assert "default-src 'self'" in r.headers["Content-Security-Policy"]
    assert client.get("/v/birth/nope").status_code == 404
    assert client.get("/r/death/x:0001:01").status_code == 404


def test_queue_lists_flagged_most_doubtful_first(client, vol):
    html = client.get(f"/v/{RT}/{vol.volume_id}").get_data(as_text=True)
    ids = re.findall(r'<td><a href="/r/birth/([^"]+)">', html)
    def doubt(r):  # lowest confidence of a non-empty cell, then most flags
        confs = [r[f + "_conf"] for f in all_fields(RT) if r[f + "_raw"] is not None]
        return (round(min(confs), 5), -len(r["flags"]))

    flagged = {r["record_id"]: doubt(r) for r in vol.rows if r["flags"]}
    assert set(ids) == set(flagged)
    order = [flagged[i] for i in ids]
    assert order == sorted(order) and order[0] < order[-1]
    assert ids[0] == vol.script_record  # notes read at 20%: the most doubtful


def test_script_in_a_field_is_escaped(client, vol):
    html = client.get(f"/r/{RT}/{vol.script_record}").get_data(as_text=True)
    assert SCRIPT_NOTE not in html
    assert "&lt;script&gt;document.title=&#34;pwned&#34;&lt;/script&gt;&lt;b&gt;" in html


def test_image_paths_cannot_leave_out(client, vol):
    ok = client.get(f"/img/page/{vol.volume_id}/1.png")
    assert ok.status_code == 200 and ok.data[:8] == b"\x89PNG\r\n\x1a\n"
    crop = client.get(f"/img/crop/{RT}/{vol.rows[0]['record_id']}.png")
    assert crop.status_code == 200 and len(crop.data) < len(ok.data)
    (vol.out / "secret.png").write_bytes(b"secret")
    for bad in ("/img/page/../1.png", "/img/page/..%2F..%2Fsecret/1.png", "/img/page/%2E%2E/1.png",
                f"/img/page/{vol.volume_id}/99.png", "/img/page/nope/1.png",
                f"/img/page/{vol.volume_id}/..%2F..%2Fsecret.png", "/page/birth/../1"):
        r = client.get(bad)
        assert r.status_code in (400, 404), bad
        assert b"secret" not in r.data


def test_post_without_csrf_token_is_refused(client, vol):
    rid = vol.flagged_name_errors[0]
    _, forms = _form(client, f"/r/{RT}/{rid}")
    f = dict(forms[f"/r/{RT}/{rid}/field/full_name"])
    f.pop("csrf")
    assert client.post(f"/r/{RT}/{rid}/field/full_name", data={**f, "value": "X Y"}).status_code == 400
    r = client.post(f"/r/{RT}/{rid}/field/full_name", data={**f, "csrf": "forged", "value": "X Y"})
    assert r.status_code == 400
    good = forms[f"/r/{RT}/{rid}/field/full_name"]
    r = client.post(f"/r/{RT}/{rid}/field/full_name", data={**good, "value": "X Y"},
                    headers={"Origin": "http://evil.example"})
    assert r.status_code == 403
    assert not review_db_path(vol.out).exists() or not sqlite3.connect(
        review_db_path(vol.out)).execute("SELECT COUNT(*) FROM changes").fetchone()[0]


def test_correction_goes_to_records_and_audit_in_nfc(client, vol):
    rid = vol.flagged_name_errors[0]
    good = vol.truth[rid]["full_name"]
    _, forms = _form(client, f"/r/{RT}/{rid}")
    f = forms[f"/r/{RT}/{rid}/field/full_name"]
    typed = "  " + unicodedata.normalize("NFD", good).replace(" ", "   ") + " "  # an IME sending NFD
    r = client.post(f"/r/{RT}/{rid}/field/full_name", data={**f, "value": typed})
    assert r.status_code == 302 and "f=sex" in r.headers["Location"]
    rec = _record(vol, rid)
    assert rec["full_name"] == good and unicodedata.is_normalized("NFC", rec["full_name"])
    assert rec["review_status"] == "corrected"
    assert rec["full_name_raw"] == next(x for x in vol.rows if x["record_id"] == rid)["full_name_raw"]
    row = sqlite3.connect(review_db_path(vol.out)).execute(
        "SELECT reviewer, field, old_value, new_value FROM changes WHERE action='correct'").fetchone()
    assert row == ("Lan", "full_name", next(x for x in vol.rows if x["record_id"] == rid)["full_name"], good)
    # The queue no longer lists it; the volume counts it.
    assert rid not in client.get(f"/v/{RT}/{vol.volume_id}").get_data(as_text=True)
    html = client.get("/").get_data(as_text=True)
    nums = [int(x) for x in re.findall(r'<td class="num">(\d+)</td>', html)]
    flagged = sum(bool(r["flags"]) for r in vol.rows)
    assert nums == [len(vol.rows), flagged, flagged - 1, 1, 1]  # records flagged pending reviewed corrected


def test_two_tabs_conflict_instead_of_losing_an_edit(client, vol):
    rid = vol.flagged_name_errors[1]
    _, tab1 = _form(client, f"/r/{RT}/{rid}")
    _, tab2 = _form(client, f"/r/{RT}/{rid}")
    url = f"/r/{RT}/{rid}/field/full_name"
    assert client.post(url, data={**tab1[url], "value": "Trần Văn Một"}).status_code == 302
    r = client.post(url, data={**tab2[url], "value": "Trần Văn Hai"})
    assert r.status_code == 409
    html = r.get_data(as_text=True)
    assert "Not saved" in html and "Trần Văn Hai" in html and "Trần Văn Một" in html
    assert _record(vol, rid)["full_name"] == "Trần Văn Một"
    # accepting from the stale tab conflicts too
    acc = f"/r/{RT}/{rid}/accept"
    assert client.post(acc, data=tab2[acc]).status_code == 409
    # the conflict page carries the current version: saving from it works
    _, fresh = _form(client, f"/r/{RT}/{rid}")
    assert client.post(url, data={**fresh[url], "value": "Trần Văn Hai"}).status_code == 302
    assert _record(vol, rid)["full_name"] == "Trần Văn Hai"


def test_invalid_date_is_refused_with_a_message(client, vol):
    rid = vol.rows[0]["record_id"]
    _, forms = _form(client, f"/r/{RT}/{rid}")
    url = f"/r/{RT}/{rid}/field/date_of_birth"
    r = client.post(url, data={**forms[url], "value": "31/02/1972"})
    html = r.get_data(as_text=True)
    assert r.status_code == 400 and "no such date" in html and 'id="refused"' in html
    # a date column holds ISO dates: no override can store 31/02
    r = client.post(url, data={**forms[url], "value": "31/02/1972", "override": "1"})
    assert r.status_code == 400
    r = client.post(url, data={**forms[url], "value": ""})  # empty -> null
    assert r.status_code == 302 and _record(vol, rid)["date_of_birth"] is None


def test_corrections_typed_as_the_register_writes_them(client, vol):
    rid = vol.rows[0]["record_id"]
    _, forms = _form(client, f"/r/{RT}/{rid}")
    url = f"/r/{RT}/{rid}/field/date_of_birth"
    check = client.get(f"/r/{RT}/{rid}/check/date_of_birth", query_string={"value": "21.8.1941"}).get_json()
    assert check == {"ok": True, "value": "1941-08-21", "reasons": [], "override": None}
    assert client.post(url, data={**forms[url], "value": "ngày 21 tháng 8 năm 1941"}).status_code == 302
    assert _record(vol, rid)["date_of_birth"] == "1941-08-21"


def test_a_name_in_entry_no_is_refused_unless_overridden(client, vol):
    rid = vol.rows[0]["record_id"]
    before = _record(vol, rid)["entry_no"]
    _, forms = _form(client, f"/r/{RT}/{rid}")
    url = f"/r/{RT}/{rid}/field/entry_no"
    r = client.post(url, data={**forms[url], "value": "Nguyễn Văn An"})
    html = r.get_data(as_text=True)
    assert r.status_code == 400 and "an entry number is a number" in html
    assert _record(vol, rid)["entry_no"] == before
    r = client.post(url, data={**forms[url], "value": "Nguyễn Văn An", "override": "1"})
    assert r.status_code == 302 and _record(vol, rid)["entry_no"] == "Nguyễn Văn An"
    note = sqlite3.connect(review_db_path(vol.out)).execute(
        "SELECT note FROM changes WHERE record_id=? AND field='entry_no'", (rid,)).fetchone()[0]
    assert note == "override: code_not_numeric"
    assert "override: code_not_numeric" in client.get(f"/r/{RT}/{rid}").get_data(as_text=True)


def test_cell_crops_are_the_fields_own_cells(client, vol):
    from io import BytesIO

    from PIL import Image

    from pipeline.review.images import TEXT_PX, text_line_height
    import numpy as np

    rid = vol.rows[0]["record_id"]
    html = client.get(f"/r/{RT}/{rid}").get_data(as_text=True)
    assert f'/img/cell/{RT}/{rid}/full_name.png' in html
    r = client.get(f"/img/cell/{RT}/{rid}/full_name.png")
    img = Image.open(BytesIO(r.data)).convert("L")
    x0, y0, x1, y1 = vol.rows[0]["full_name_bbox"]
    assert img.width >= x1 - x0 and img.height >= y1 - y0  # the cell, never shrunk
    assert img.width < 2000  # not the whole entry strip
    assert text_line_height(np.asarray(img)) >= TEXT_PX - 2
    # a record file from before F_bbox: no cell crop, the entry strip stays
    assert client.get(f"/img/cell/{RT}/{rid}/hometown.png").status_code in (200, 404)


def test_accept_moves_to_the_next_record(client, vol):
    html = client.get(f"/v/{RT}/{vol.volume_id}").get_data(as_text=True)
    ids = re.findall(r'<td><a href="/r/birth/([^"]+)">', html)
    _, forms = _form(client, f"/r/{RT}/{ids[0]}")
    r = client.post(f"/r/{RT}/{ids[0]}/accept", data=forms[f"/r/{RT}/{ids[0]}/accept"])
    assert r.headers["Location"].endswith(f"/r/{RT}/{ids[1]}")
    assert _record(vol, ids[0])["review_status"] == "accepted"
    nxt = client.get(f"/r/{RT}/{ids[1]}/go?to=next")
    assert nxt.headers["Location"].endswith(f"/r/{RT}/{ids[2]}")


def test_search_by_name_date_and_entry_number(client, vol):
    r0 = vol.rows[0]
    folded = unicodedata.normalize("NFD", r0["full_name"]).encode("ascii", "ignore").decode().lower()
    folded = folded.replace("đ", "d")
    assert r0["record_id"] in client.get(f"/search?q={folded}").get_data(as_text=True)
    y, m, d = r0["registration_date"].split("-")
    assert r0["record_id"] in client.get(f"/search?q={int(d)}/{int(m)}/{y}").get_data(as_text=True)
    html = client.get(f"/search?q={r0['entry_no']}").get_data(as_text=True)
    assert r0["record_id"] in html
    assert "0 results" in client.get("/search?q=Zzyzx").get_data(as_text=True)


def test_spot_check_estimate_and_sign_off(client, vol):
    base = f"/v/{RT}/{vol.volume_id}/spot"
    _, forms = _form(client, base)
    r = client.post(base, data=forms[base])
    assert r.status_code == 302
    html = client.get(base).get_data(as_text=True)
    items = re.findall(r'href="/r/birth/([^"?]+)\?sample=(\d+)"', html)
    unflagged = {r["record_id"] for r in vol.rows if not r["flags"]}
    ids = list(dict.fromkeys(i for i, _ in items))
    assert ids and set(ids) <= unflagged
    sid = items[0][1]
    for k, rid in enumerate(ids):
        _, f = _form(client, f"/r/{RT}/{rid}?sample={sid}")
        verdict_forms = [v for a, v in f.items() if a == f"/spot/{sid}/verdict"]
        data = {**verdict_forms[0], "verdict": "wrong" if rid in vol.silent_errors else "right"}
        assert client.post(f"/spot/{sid}/verdict", data=data).status_code == 302
    html = client.get(base).get_data(as_text=True)
    wrong = sum(rid in vol.silent_errors for rid in ids)
    assert f"Checked {len(ids)}/{len(ids)}, wrong {wrong}" in html
    assert re.search(r'95% CI <strong id="ci">[\d.]+% – [\d.]+%</strong>', html)
    # small sample: the upper bound is far above 5%, so sign-off is refused
    _, forms = _form(client, base)
    assert client.post(f"{base.rsplit('/spot', 1)[0]}/signoff",
                       data=forms[f"/v/{RT}/{vol.volume_id}/signoff"]).status_code == 400
    con = sqlite3.connect(review_db_path(vol.out))
    assert con.execute("SELECT COUNT(*) FROM sample_items WHERE verdict IS NOT NULL").fetchone()[0] == len(ids)


def test_token_required_off_loopback(vol):
    tok = "s3cret-s3cret-s3cret"
    app = create_app(vol.out, ReviewSettings(lang="en", token=tok))
    c = app.test_client()
    assert c.get("/").status_code == 403
    assert c.get("/?token=wrong").status_code == 403
    r = c.get(f"/search?q=nguyen&token={tok}")
    # the token moves from the address into the cookie: same page, no ?token=
    assert r.status_code == 303 and r.headers["Location"] == "/search?q=nguyen"
    assert f"hotich_token={tok}" in r.headers.get("Set-Cookie", "")
    assert c.get("/").status_code == 200  # the cookie carries it now
    assert c.get(f"/img/page/{vol.volume_id}/1.png").status_code == 200


def test_short_token_is_refused(vol):
    with pytest.raises(TokenError, match="at least 16"):
        create_app(vol.out, ReviewSettings(lang="en", token="x" * 15))
    create_app(vol.out, ReviewSettings(lang="en", token="x" * 16))


def test_index_follows_a_rewrite_by_the_runner(client, vol):
    rid = vol.flagged_name_errors[0]
    fresh = rerun_rows(vol)
    for r in fresh:
        if r["record_id"] == rid:
            r["flags"], r["full_name_conf"] = [], 0.99
    write_reviewed_volume(vol.out, RT, vol.volume_id, fresh)
    import time
    time.sleep(1.1)  # the index re-checks file stamps at most once a second
    assert rid not in client.get(f"/v/{RT}/{vol.volume_id}").get_data(as_text=True)


def test_cli_errors_are_one_line(tmp_path, vol):
    import socket

    from click.testing import CliRunner

    from cli import app as cli_app

    empty = tmp_path / "empty"
    empty.mkdir()
    r = CliRunner().invoke(cli_app, ["review", str(empty), "--port", "0"])
    assert r.exit_code == 2 and "no records/ folder" in r.output
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        busy = s.getsockname()[1]
        r = CliRunner().invoke(cli_app, ["review", str(vol.out), "--port", str(busy)])
    assert r.exit_code == 1 and f"cannot listen on 127.0.0.1:{busy}" in r.output


def test_foreign_host_names_are_refused_without_a_token(client):
    assert client.get("/", headers={"Host": "127.0.0.1:8765"}).status_code == 200
    assert client.get("/", headers={"Host": "[::1]:8765"}).status_code == 200
    assert client.get("/", headers={"Host": "evil.example:8765"}).status_code == 400


def test_a_stale_correction_is_shown_and_can_be_confirmed(client, vol):
    rid = vol.flagged_name_errors[0]
    good = vol.truth[rid]["full_name"]
    url = f"/r/{RT}/{rid}/field/full_name"
    _, forms = _form(client, f"/r/{RT}/{rid}")
    client.post(url, data={**forms[url], "value": good})
    write_reviewed_volume(vol.out, RT, vol.volume_id, rerun_rows(vol, image_changed=True))
    import time
    time.sleep(1.1)
    html, forms = _form(client, f"/r/{RT}/{rid}")
    assert "corrected earlier to “" + good in html and "review_stale" in html
    ocr = _record(vol, rid)["full_name"]
    assert ocr != good and "review_stale:full_name" in _record(vol, rid)["flags"]
    # The archivist keeps the value the new scan gives: saving it resolves the stale flag.
    assert client.post(url, data={**forms[url], "value": ocr}).status_code == 302
    rec = _record(vol, rid)
    # (stored as the name normaliser gives it: the fixture's OCR value lacks its marks)
    assert rec["full_name"] == check_value("full_name", ocr).value
    assert "review_stale:full_name" not in rec["flags"]
    assert rec["review_status"] == "corrected"
