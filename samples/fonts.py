"""Fonts with full Vietnamese coverage from Debian packages, one per rendered volume.

Real registers were typewritten (a monospaced typeface) or printed (serif or sans); each
volume uses one face at one size, as a typist's machine would.

Coverage is checked, not assumed: DejaVu Sans Mono lacks 46 precomposed Vietnamese letters
(ả, ố, ử...) and libraqm then stacks loose combining marks ("Sô´"), so it is not used; nor is
Courier Prime (no ơ/ư).
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from PIL import ImageFont

from schemas.errors import MissingDependencyError

FONT_ROOT = Path("/usr/share/fonts/truetype")


@dataclass(frozen=True)
class FontFace:
    """One typeface: display name, style class, regular/bold files and its Debian package.

    Attributes:
        name: e.g. "FreeMono".
        style: "typewriter", "serif" or "sans".
        regular: path of the regular TrueType file.
        bold: path of the bold file (titles and headers).
        package: the Debian package that ships both files.
    """

    name: str
    style: str
    regular: Path
    bold: Path
    package: str


def _f(name, style, sub, reg, bold, pkg) -> FontFace:
    return FontFace(name, style, FONT_ROOT / sub / reg, FONT_ROOT / sub / bold, pkg)


FACES: tuple[FontFace, ...] = (
    _f("FreeMono", "typewriter", "freefont", "FreeMono.ttf", "FreeMonoBold.ttf", "fonts-freefont-ttf"),
    _f("Liberation Mono", "typewriter", "liberation2", "LiberationMono-Regular.ttf",
       "LiberationMono-Bold.ttf", "fonts-liberation2"),
    _f("DejaVu Serif", "serif", "dejavu", "DejaVuSerif.ttf", "DejaVuSerif-Bold.ttf", "fonts-dejavu-core"),
    _f("Liberation Serif", "serif", "liberation2", "LiberationSerif-Regular.ttf",
       "LiberationSerif-Bold.ttf", "fonts-liberation2"),
    _f("FreeSerif", "serif", "freefont", "FreeSerif.ttf", "FreeSerifBold.ttf", "fonts-freefont-ttf"),
    _f("DejaVu Sans", "sans", "dejavu", "DejaVuSans.ttf", "DejaVuSans-Bold.ttf", "fonts-dejavu-core"),
    _f("Liberation Sans", "sans", "liberation2", "LiberationSans-Regular.ttf",
       "LiberationSans-Bold.ttf", "fonts-liberation2"),
    _f("FreeSans", "sans", "freefont", "FreeSans.ttf", "FreeSansBold.ttf", "fonts-freefont-ttf"),
)
# Faces the reader was never tuned on (full Vietnamese coverage, installed by the Makefile's
# fonts-dejavu-extra): only drawn when asked for by name (`hotich samples --fonts`, the
# benches' held-out sets); the default mix above is unchanged.
HELDOUT_FACES: tuple[FontFace, ...] = (
    _f("DejaVu Sans Condensed", "sans", "dejavu", "DejaVuSansCondensed.ttf",
       "DejaVuSansCondensed-Bold.ttf", "fonts-dejavu-extra"),
    _f("DejaVu Serif Condensed", "serif", "dejavu", "DejaVuSerifCondensed.ttf",
       "DejaVuSerifCondensed-Bold.ttf", "fonts-dejavu-extra"),
)
# Faces of the book families (samples/family.py): a wider space than the default mix, drawn
# only by family books. Printers used serif and sans faces of every width; typists' machines
# had monospaced faces of several designs (Cousine stands for a different typewriter).
FAMILY_FACES: tuple[FontFace, ...] = (
    _f("Cousine", "typewriter", "croscore", "Cousine-Regular.ttf", "Cousine-Bold.ttf", "fonts-croscore"),
    _f("Tinos", "serif", "croscore", "Tinos-Regular.ttf", "Tinos-Bold.ttf", "fonts-croscore"),
    _f("Arimo", "sans", "croscore", "Arimo-Regular.ttf", "Arimo-Bold.ttf", "fonts-croscore"),
    _f("Noto Serif", "serif", "noto", "NotoSerif-Regular.ttf", "NotoSerif-Bold.ttf", "fonts-noto-core"),
    _f("Noto Sans", "sans", "noto", "NotoSans-Regular.ttf", "NotoSans-Bold.ttf", "fonts-noto-core"),
    _f("Gentium Plus", "serif", "gentiumplus", "GentiumPlus-Regular.ttf", "GentiumPlus-Bold.ttf",
       "fonts-sil-gentiumplus"),
    _f("Charis SIL", "serif", "charis", "CharisSIL-Regular.ttf", "CharisSIL-Bold.ttf", "fonts-sil-charis"),
    _f("Roboto", "sans", "roboto/unhinted/RobotoTTF", "Roboto-Regular.ttf", "Roboto-Bold.ttf",
       "fonts-roboto-unhinted"),
    _f("Open Sans", "sans", "open-sans", "OpenSans-Regular.ttf", "OpenSans-Bold.ttf", "fonts-open-sans"),
    _f("Open Sans Condensed", "condensed", "open-sans", "OpenSans-CondLight.ttf", "OpenSans-CondBold.ttf",
       "fonts-open-sans"),
    _f("Roboto Condensed", "condensed", "roboto/unhinted", "RobotoCondensed-Regular.ttf",
       "RobotoCondensed-Bold.ttf", "fonts-roboto-unhinted"),
)
FACE_BY_NAME: dict[str, FontFace] = {f.name: f for f in FACES + HELDOUT_FACES + FAMILY_FACES}


def faces_named(names) -> tuple[FontFace, ...]:
    """The faces of these names (FACES and HELDOUT_FACES), in the given order.

    Raises:
        ValueError: a name that is neither, listing the known ones.
    """
    unknown = [n for n in names if n not in FACE_BY_NAME]
    if unknown:
        raise ValueError(f"unknown font {unknown[0]!r}; known: {', '.join(FACE_BY_NAME)}")
    return tuple(FACE_BY_NAME[n] for n in names)


VIETNAMESE_LETTERS = ("aàáảãạăằắẳẵặâầấẩẫậeèéẻẽẹêềếểễệiìíỉĩịoòóỏõọôồốổỗộơờớởỡợ"
                      "uùúủũụưừứửữựyỳýỷỹỵđ")


def missing_letters(path: Path) -> str:
    """Vietnamese letters (both cases) that the font file has no glyph for."""
    font = ImageFont.truetype(str(path), 24, layout_engine=ImageFont.Layout.BASIC)
    notdef = bytes(font.getmask("\U0010FFFD"))
    letters = VIETNAMESE_LETTERS + VIETNAMESE_LETTERS.upper()
    return "".join(c for c in letters if bytes(font.getmask(c)) == notdef)


@lru_cache(maxsize=None)
def check_face(face: FontFace) -> None:
    """Confirm both files of a face exist and cover Vietnamese (checked once per face).

    Raises:
        MissingDependencyError: naming the missing file and the Debian package to install,
            or the letters a font file lacks.
    """
    for path in (face.regular, face.bold):
        if not path.is_file():
            raise MissingDependencyError(
                f"font file {path} ({face.name}) not found; install it with: "
                f"sudo apt-get install {face.package}")
        missing = missing_letters(path)
        if missing:
            raise MissingDependencyError(
                f"font file {path} ({face.name}) lacks Vietnamese letters {missing[:20]}; "
                f"reinstall {face.package}")


@lru_cache(maxsize=64)
def load_font(face_name: str, size: int, bold: bool = False) -> ImageFont.FreeTypeFont:
    """A PIL font of `face_name` at `size` pixels (cached: fonts are reused across pages).

    Raises:
        MissingDependencyError: the font file is absent (names the Debian package).
        KeyError: `face_name` is not one of FACES or HELDOUT_FACES.
    """
    face = FACE_BY_NAME[face_name]
    check_face(face)
    return ImageFont.truetype(str(face.bold if bold else face.regular), size=size)


SAMPLE_TEXT = "Nguyễn Thị Thu Hằng 12/3/1965 Phường Bạch Mai, Quận Hai Bà Trưng"


def char_width(face_name: str, size: int) -> float:
    """Average advance of one character of typical register text, in pixels."""
    return load_font(face_name, size).getlength(SAMPLE_TEXT) / len(SAMPLE_TEXT)
