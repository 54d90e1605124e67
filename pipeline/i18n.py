"""The pages people read (the review page, the report) in Vietnamese or English.

One catalogue: English msgids in the code and templates, their Vietnamese in
`pipeline/locale/vi/LC_MESSAGES/hotich.po` (gettext PO, edited by hand or with any PO editor).
The PO file is compiled in memory with Babel on first use, so there is no generated .mo file
to keep in step. English needs no catalogue: a msgid is its own English text.

Refresh the template after adding strings (msgids are extracted from Python and Jinja):

    .venv/bin/pybabel extract -F pipeline/locale/babel.cfg -o pipeline/locale/hotich.pot .
    .venv/bin/pybabel update -i pipeline/locale/hotich.pot -d pipeline/locale -D hotich -l vi

tests/test_i18n.py fails when a msgid in the code has no Vietnamese translation.
"""
from __future__ import annotations

import gettext
import io
from functools import lru_cache
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

LOCALE_DIR = Path(__file__).resolve().parent / "locale"
DOMAIN = "hotich"
LANGS = ("vi", "en")


def po_path(lang: str) -> Path:
    return LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


def check_lang(lang: str) -> str:
    """`lang` if hotich has it, else ValueError naming the choices (for the CLI's options)."""
    if lang not in LANGS:
        raise ValueError(f"unknown language {lang!r}: choose one of {', '.join(LANGS)}")
    return lang


@lru_cache(maxsize=None)
def translations(lang: str) -> gettext.NullTranslations:
    """gettext translations for `lang` ("en": the msgids themselves).

    Raises:
        ValueError: `lang` is not one of LANGS.
    """
    check_lang(lang)
    path = po_path(lang)
    if not path.exists():
        return gettext.NullTranslations()
    with path.open("rb") as f:
        catalog = read_po(f, locale=lang, domain=DOMAIN)
    buf = io.BytesIO()
    write_mo(buf, catalog, use_fuzzy=False)
    buf.seek(0)
    return gettext.GNUTranslations(buf)


def gettext_for(lang: str):
    """The `_` function for one language: `_("Volumes")` -> "Sổ" in Vietnamese."""
    return translations(lang).gettext


def install(env, lang: str) -> None:
    """Give a Jinja environment `_`, `gettext` and `ngettext` in `lang` (the i18n extension,
    new-style: `{{ _("%(n)s records", n=3) }}` formats and escapes like the rest)."""
    if "jinja2.ext.InternationalizationExtension" not in env.extensions:
        env.add_extension("jinja2.ext.i18n")
    env.install_gettext_translations(translations(lang), newstyle=True)


def ngettext_for(lang: str):
    """The plural-aware `ngettext(singular, plural, n)` for one language."""
    return translations(lang).ngettext


def N_(s: str) -> str:
    """Marks a string for the catalogue where it is defined; it is translated where shown."""
    return s
