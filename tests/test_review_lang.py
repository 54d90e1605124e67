"""The review page in Vietnamese (the default) and English, from the one catalogue."""
import re

import pytest
from click.testing import CliRunner

from cli import app as cli_app
from pipeline.review.app import create_app
from pipeline.review.settings import ReviewSettings
from tests.review_fixture import build_out

RT = "birth"


@pytest.fixture(scope="module")
def vol(tmp_path_factory):
    return build_out(tmp_path_factory.mktemp("lang") / "out")


def _pages(vol, settings):
    c = create_app(vol.out, settings).test_client()
    rid = next(r["record_id"] for r in vol.rows if r["flags"])
    urls = ["/", f"/v/{RT}/{vol.volume_id}", f"/r/{RT}/{rid}", f"/v/{RT}/{vol.volume_id}/spot",
            "/search?q=nguyen", f"/page/{RT}/{vol.volume_id}/1"]
    return {u: c.get(u).get_data(as_text=True) for u in urls}


def _text(html):
    """The visible text: tags, scripts and attribute values dropped."""
    return re.sub(r"<[^>]+>", " ", html)


# English words of the page chrome; none may be left in the Vietnamese page's text
ENGLISH = ("to review", "spot check", "Spot check", "accept record", "Keyboard", "reviewer",
           "Sign-off needs", "whole page", "History", "draw a sample", "status", "Search")


def test_vietnamese_is_the_default(vol):
    for url, html in _pages(vol, ReviewSettings()).items():
        assert '<html lang="vi">' in html, url
        left = [w for w in ENGLISH if w in _text(html)]
        assert not left, f"{url}: English left in the Vietnamese page: {left}"
    pages = _pages(vol, ReviewSettings())
    assert "<h1>Sổ</h1>" in pages["/"]
    assert "chờ kiểm tra" in pages[f"/v/{RT}/{vol.volume_id}"]
    assert "chấp nhận bản ghi" in pages[next(u for u in pages if u.startswith("/r/"))]
    assert "Chưa lấy mẫu." in pages[f"/v/{RT}/{vol.volume_id}/spot"]


def test_english_on_request(vol):
    pages = _pages(vol, ReviewSettings(lang="en"))
    assert all('<html lang="en">' in h for h in pages.values())
    assert "<h1>Volumes</h1>" in pages["/"]
    assert "to review" in pages[f"/v/{RT}/{vol.volume_id}"]
    assert "No sample drawn yet." in pages[f"/v/{RT}/{vol.volume_id}/spot"]


def test_unknown_language_is_refused(vol):
    with pytest.raises(ValueError, match="unknown language 'fr'"):
        create_app(vol.out, ReviewSettings(lang="fr"))
    res = CliRunner().invoke(cli_app, ["review", str(vol.out), "--lang", "fr"])
    assert res.exit_code != 0 and "--lang" in res.output
