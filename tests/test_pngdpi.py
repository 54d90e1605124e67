"""The page image's resolution travels in its PNG (pHYs)."""
from __future__ import annotations

import io

import cv2
import numpy as np
import pytest
from PIL import Image

from pipeline.store.pngdpi import png_with_dpi


def test_png_states_its_resolution_and_decodes_unchanged():
    a = (np.arange(60 * 80) % 251).astype(np.uint8).reshape(60, 80)
    ok, buf = cv2.imencode(".png", a)
    png = png_with_dpi(buf.tobytes(), 200)
    with Image.open(io.BytesIO(png)) as im:
        assert im.info["dpi"][0] == pytest.approx(200, abs=0.01)
        assert np.array_equal(np.asarray(im), a)
    assert np.array_equal(cv2.imdecode(np.frombuffer(png, np.uint8), cv2.IMREAD_UNCHANGED), a)
    with pytest.raises(ValueError):
        png_with_dpi(png, 300)  # stated once
    with pytest.raises(ValueError):
        png_with_dpi(b"GIF89a" + bytes(40), 300)
