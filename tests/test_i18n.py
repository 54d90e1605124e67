"""The one catalogue of the pages people read: every msgid in the code and templates has its
Vietnamese, and the loader, the Jinja hook and the language check behave."""
from __future__ import annotations

from pathlib import Path

import jinja2
import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from pipeline import i18n

ROOT = Path(__file__).resolve().parents[1]
METHODS = [("**/templates/**.html", "jinja2"), ("**/templates/**.j2", "jinja2"), ("**.py", "python")]


def _msgids() -> dict[str, str]:
    """msgid -> where it is used, extracted from pipeline/ as pybabel extract does."""
    found = {}
    for filename, lineno, message, _comments, _ctx in extract_from_dir(
            ROOT / "pipeline", METHODS, options_map={"**/templates/**": {"silent": "false"}}):
        for m in (message if isinstance(message, tuple) else (message,)):
            if m:
                found.setdefault(m, f"pipeline/{filename}:{lineno}")
    return found


def test_every_msgid_has_a_vietnamese_translation():
    with i18n.po_path("vi").open("rb") as f:
        catalog = read_po(f, locale="vi")
    missing = [f"{mid!r} ({where})" for mid, where in _msgids().items()
               if not (catalog.get(mid) and catalog.get(mid).string)]
    assert not missing, "untranslated (add to pipeline/locale/vi/LC_MESSAGES/hotich.po): " + ", ".join(missing)


def test_vietnamese_and_english():
    assert i18n.gettext_for("vi")("Volumes") == "Sổ"
    assert i18n.gettext_for("en")("Volumes") == "Volumes"
    assert i18n.gettext_for("vi")("a string nobody translated") == "a string nobody translated"
    with pytest.raises(ValueError, match="unknown language 'fr'"):
        i18n.translations("fr")


def test_jinja_templates_translate_and_escape():
    env = jinja2.Environment(autoescape=True)
    i18n.install(env, "vi")
    t = env.from_string('{{ _("Volumes") }}: {{ _("%(name)s", name=who) }}')
    assert t.render(who="<b>Lan</b>") == "Sổ: &lt;b&gt;Lan&lt;/b&gt;"


def test_the_extraction_sees_templates_and_code(tmp_path):
    """The completeness check above is only as good as its extraction: it finds msgids in a
    Jinja template and in Python."""
    (tmp_path / "x" / "templates").mkdir(parents=True)
    (tmp_path / "x" / "templates" / "p.html").write_text('<p>{{ _("Sign off") }}</p>', encoding="utf-8")
    (tmp_path / "x" / "m.py").write_text('_ = str\nLABEL = _("Spot check")\n', encoding="utf-8")
    got = {m for _f, _l, m, _c, _x in extract_from_dir(tmp_path / "x", METHODS)}
    assert {"Sign off", "Spot check"} <= got
