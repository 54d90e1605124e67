"""The recogniser's own evidence for one read: per glyph, the alternatives it weighed.

Tesseract's LSTM gives, for each recognised glyph, the other characters its beam search
considered and a score for each (`lstm_choice_mode` 2, the symbol ChoiceIterator; ocr/ reads
them). The normaliser takes this plain structure, never the engine: a real name read as it
stands ("THỦ") is changed to another real name ("THU") only when the recogniser itself gave
the other glyph real probability (normalize/names.py). The data classes live in
schemas/evidence.py (ocr/ and normalize/ are separate layers).
"""
from __future__ import annotations

import unicodedata

from schemas.evidence import Glyph, ReadEvidence

__all__ = ["Glyph", "ReadEvidence", "token_alternatives"]


def _key(s: str) -> str:
    return unicodedata.normalize("NFC", s).lower()


def token_alternatives(evidence: ReadEvidence | None, token: str) -> tuple[dict[str, float], ...] | None:
    """Per character of `token` (a lowercase syllable as the name repair prepared it), the
    probability the recogniser gave each character it weighed there; None when no word of
    the evidence spells `token` glyph for glyph (the read was cleaned or re-toned in between,
    so positions would not line up: then there is no evidence for it)."""
    if evidence is None:
        return None
    for word in evidence.words:
        if len(word) != len(token) or _key("".join(g.text for g in word)) != token:
            continue
        out = []
        for g in word:
            probs: dict[str, float] = {}
            for c, p in g.choices:
                k = _key(c)
                probs[k] = max(probs.get(k, 0.0), p)
            own = _key(g.text)
            if own not in probs:  # the glyph's own confidence, when its choices leave it out
                probs[own] = g.conf
            out.append(probs)
        return tuple(out)
    return None
