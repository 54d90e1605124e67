"""ocr/aster.py, the second recogniser: reads offline from the pinned model, refuses another
model, decodes CTC into words; verify's use of it; the config switch and the held-out faces."""
from __future__ import annotations

import subprocess
import sys
import textwrap

import numpy as np
import pytest

from configs.loader import load_config
from ocr import aster
from pipeline.extract.record import Reading, normalize_cell, verify
from schemas.errors import ConfigError, MissingDependencyError

from tests.conftest import REPO_ROOT

# Run in a fresh interpreter whose socket module refuses to be used at all: reading must not
# need it (no download, no telemetry), and no module of asterocr may be imported.
OFFLINE = textwrap.dedent('''
    import socket, sys
    opened = []
    class NoSocket(socket.socket):
        def __init__(self, *a, **k):
            opened.append(a)
            raise OSError("network is unavailable in this test")
    def refuse(*a, **k):
        opened.append(a)
        raise OSError("network is unavailable in this test")
    socket.socket = NoSocket
    socket.create_connection = socket.getaddrinfo = refuse
    import numpy as np
    from PIL import Image, ImageDraw, ImageFont
    font = ImageFont.truetype("/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf", 34)
    img = Image.new("L", (460, 64), 250)
    ImageDraw.Draw(img).text((12, 10), "Nguyễn Thị Thu Hằng", font=font, fill=20)
    from ocr.aster import make_engine
    r = make_engine().read_line(np.array(img))
    print(r.text)
    print(len(opened))
    print(sorted(m for m in sys.modules if m.split(".")[0] == "asterocr"))
''')


def test_it_reads_a_name_with_the_network_unavailable_and_imports_nothing_of_asterocr():
    got = subprocess.run([sys.executable, "-c", OFFLINE], cwd=REPO_ROOT, capture_output=True,
                         text=True, timeout=120)
    assert got.returncode == 0, got.stderr
    text, opened, modules = got.stdout.strip().splitlines()
    assert text == "Nguyễn Thị Thu Hằng"
    assert opened == "0"
    assert modules == "[]"


def test_a_model_file_other_than_the_audited_one_is_refused(monkeypatch):
    monkeypatch.setattr(aster, "MODEL_SHA256", "0" * 64)
    aster.model_files.cache_clear()
    try:
        with pytest.raises(MissingDependencyError, match=r"asternet\.onnx: SHA-256 .* not the audited"):
            aster.AsterEngine()
    finally:
        monkeypatch.undo()
        aster.model_files.cache_clear()
    assert aster.model_files()[0].name == "asternet.onnx"


def test_an_installed_version_other_than_the_audited_one_is_refused(monkeypatch):
    monkeypatch.setattr(aster, "VERSION", "0.0.1")
    aster.model_files.cache_clear()
    try:
        with pytest.raises(MissingDependencyError, match="hotich audited 0.0.1"):
            aster.model_files()
    finally:
        monkeypatch.undo()
        aster.model_files.cache_clear()


def test_ctc_decoding_collapses_repeats_drops_blanks_and_splits_words():
    chars = ["<blank>", "A", "n", " ", "B"]
    frames = [1, 1, 0, 2, 3, 3, 4, 0, 4]  # "A A _ n ␣ ␣ B _ B" -> "An BB"
    logp = np.full((len(frames), len(chars)), np.log(1e-4), np.float32)
    for t, k in enumerate(frames):
        logp[t, k] = np.log(0.9 if t != 8 else 0.6)
    words = aster.decode(logp, chars, width=90, height=30)
    assert [w[0] for w in words] == ["An", "BB"]
    assert words[0][2] == (0, 0, 40, 30) and words[1][2] == (60, 0, 90, 30)
    assert round(words[1][1]) == 60  # the weakest character of the word


def _reading(field: str, raw: str) -> Reading:
    return Reading(raw, 0.5, normalize_cell(field, raw, 1970))


def test_verify_settles_a_cell_on_the_two_recognisers_agreeing():
    asked = []

    def reread(variant):
        asked.append(variant)
        return "Nguyễn Văn An", 0.99

    best, agreed = verify("full_name", _reading("full_name", "Nguyễn Văn An"), reread, 1970, second=True)
    assert (best.norm.value, agreed, asked) == ("Nguyễn Văn An", True, ["second"])


def test_verify_flags_a_disagreement_and_the_second_read_breaks_a_tie():
    reads = {"second": "Trần Thị Lan", "scaled": "Trần Thị Lam", "small": "Trần Thị Lạn",
             "binary": "Trần Thị Lán"}
    best, agreed = verify("full_name", _reading("full_name", "Trần Thi Lân"),
                          lambda v: (reads[v], 0.9), 1970, second=True)
    assert agreed is False
    assert best.raw == "Trần Thị Lan"
    # without the second recogniser, the same Tesseract reads choose among themselves
    best, agreed = verify("full_name", _reading("full_name", "Trần Thi Lân"),
                          lambda v: (reads[v], 0.9), 1970)
    assert agreed is False and best.raw != "Trần Thị Lan"


def test_the_second_reader_is_off_by_default_and_switched_by_config(tmp_path):
    assert load_config().second_reader == "off"
    on = tmp_path / "on.yaml"
    on.write_text("recognition:\n  second_reader: doubtful\n")
    assert load_config(on).second_reader == "doubtful"
    off = tmp_path / "off.yaml"
    off.write_text("recognition:\n  second_reader: off\n")  # YAML's bare off is false
    assert load_config(off).second_reader == "off"
    bad = tmp_path / "bad.yaml"
    bad.write_text("recognition:\n  second_reader: always\n")
    with pytest.raises(ConfigError, match="recognition.second_reader: must be one of off, doubtful"):
        load_config(bad)


def test_held_out_faces_are_drawn_only_when_asked_for():
    from samples.fonts import FACES, HELDOUT_FACES
    from samples.generator import plan_volume

    held = tuple(f.name for f in HELDOUT_FACES)
    assert not set(held) & {f.name for f in FACES}
    plain = plan_volume("birth", "ledger", 1, 2101)
    other = plan_volume("birth", "ledger", 1, 2101, fonts=held)
    assert plain.design.face in {f.name for f in FACES}
    assert other.design.face in held
    # the rest of the book is drawn as without the option
    assert (other.design.year, other.design.dpi) == (plain.design.year, plain.design.dpi)
    with pytest.raises(ValueError, match="unknown font 'Comic'"):
        plan_volume("birth", "ledger", 1, 2101, fonts=("Comic",))


def test_a_line_wider_than_the_network_takes_is_read_in_pieces():
    from PIL import Image, ImageDraw, ImageFont

    text = ("Phường Bạch Mai, Quận Hai Bà Trưng, Thành phố Hà Nội, Việt Nam; "
            "Xã Đông Hưng, Huyện Tiên Lãng, Thành phố Hải Phòng")
    font = ImageFont.truetype("/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf", 30)
    img = Image.new("L", (int(font.getlength(text)) + 40, 50), 250)
    ImageDraw.Draw(img).text((20, 8), text, font=font, fill=20)
    a = np.array(img)
    assert a.shape[1] * aster.HEIGHT / a.shape[0] > 1024  # beyond 256 frames of 4 px
    r = aster.make_engine().read_line(a)
    assert r.text == text
    xs = [w[2][0] for w in r.words]
    assert xs == sorted(xs) and 0 < xs[-1] < a.shape[1]
