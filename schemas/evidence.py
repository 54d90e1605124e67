"""The recogniser's own evidence for one read, as plain data (ocr/ fills it, normalize/ reads it).

Tesseract's LSTM gives, for each recognised glyph, the other characters its beam search
weighed and a score for each (`lstm_choice_mode` 2, the symbol ChoiceIterator).
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Glyph:
    """One recognised glyph.

    Attributes:
        text: the glyph as it stands in the read text.
        choices: (character, probability 0..1) the recogniser weighed for it, best first;
            may be empty (then only `text`, at `conf`, is known).
        conf: the recogniser's confidence in `text`, 0..1.
    """

    text: str
    choices: tuple[tuple[str, float], ...] = ()
    conf: float = 1.0


@dataclass(frozen=True)
class ReadEvidence:
    """The glyphs of one read, word by word (words as the recogniser split them)."""

    words: tuple[tuple[Glyph, ...], ...]

    @property
    def text(self) -> str:
        return " ".join("".join(g.text for g in w) for w in self.words)

    def to_json(self) -> list:
        return [[[g.text, round(g.conf, 4), [[c, round(p, 4)] for c, p in g.choices]] for g in w]
                for w in self.words]

    @classmethod
    def from_json(cls, data: list) -> ReadEvidence:
        return cls(tuple(tuple(Glyph(t, tuple((c, float(p)) for c, p in ch), float(conf))
                               for t, conf, ch in w) for w in data))
