"""Person names: case restored, each syllable repaired towards the likeliest real name syllable.

For every syllable the OCR read (`obs`) and its position in the name (surname first, then
middle names, the given name last; compound surnames such as "Tôn Nữ" are a second
hypothesis), we weigh every attested syllable `c` near it:

    P(c | obs, position) ∝ P(c | position) · P(obs | c)

with P(c | position) from the name lexicon (normalize/lexicon.py) and P(obs | c) from the
measured Tesseract channel model (normalize/confusion.py), where a diacritic slip costs far
less than a letter change. The most probable syllable wins; its posterior is the conf.
When it is not clearly the best (posterior < UNCERTAIN) the name is flagged
"name_uncertain": Trân and Trần are both real, so a close call is never made silently.
A syllable that is impossible in Vietnamese and has no plausible repair is kept as read and
flagged "impossible_syllable" (minority names such as "Ksor" are not guessed away).
"""
from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from rapidfuzz.distance import Levenshtein

from normalize.confusion import channel_model, syllable_form
from normalize.evidence import ReadEvidence, token_alternatives
from normalize.lexicon import Lexicon, lexicon
from normalize.syllables import is_valid
from normalize.text import attach_spacing_accents, capitalize_word, clean_text, fold, retone
from schemas.records import Normalized

# Below this posterior a syllable choice is a close call: the name is flagged.
UNCERTAIN = 0.9
# log P(obs | c) below this (about three letter changes) is no repair but a different word.
MIN_LOG_LIKELIHOOD = -20.0
# Look two skeleton edits away only when nothing within one edit explains the reading.
SECOND_PASS_BELOW = -14.0

_EDGE_PUNCT = ".,;:'\"()[]{}|!*-_/\\<>"
_JUNK = re.compile(r"[^\w]|[\d_]")


@dataclass(frozen=True)
class Choice:
    """The decision for one syllable in one position.

    Attributes:
        best: the chosen lowercase syllable.
        posterior: P(best | obs, position).
        runner_up: the second most probable syllable (None if there was no other).
        log_marginal: log Σ_c P(c | position) P(obs | c), to compare position hypotheses.
        log_likelihood: log P(obs | best).
        impossible: obs is not a Vietnamese syllable and no candidate explains it.
        obs_posterior: P(obs itself | obs, position): 0 when obs is no valid syllable.
    """

    best: str
    posterior: float
    runner_up: str | None
    log_marginal: float
    log_likelihood: float = 0.0
    impossible: bool = False
    obs_posterior: float = 0.0


# A name already in plain form: letters and single spaces (the usual case; a fast path).
_SIMPLE = re.compile(r"[^\W\d_\u00d0\u00f0\u02b0-\u02ff]+(?: [^\W\d_\u00d0\u00f0\u02b0-\u02ff]+)*")


@lru_cache(maxsize=131072)
def _simple_token(word: str) -> str:
    return retone(word).lower()


def prepare_tokens(raw: str) -> list[str]:
    """OCR text of a name -> lowercase syllable tokens, junk inside a token kept.

    Spacing accents are attached first ("Hô`ng" -> "hồng"), then the text is cleaned
    (NFC, traditional tones) and split on spaces and hyphens; punctuation at a token's edges
    is dropped. A character inside a token ("nguyê*n", "g1ang") is kept for the repair to weigh.
    """
    if _SIMPLE.fullmatch(raw) and unicodedata.is_normalized("NFKC", raw):
        return [_simple_token(w) for w in raw.split(" ")]
    s = clean_text(attach_spacing_accents(raw), word_digits=True)
    out = []
    for tok in re.split(r"[\s\-\u2013]+", s):
        tok = tok.strip(_EDGE_PUNCT).lower()
        if tok and any(c.isalpha() for c in tok):
            out.extend(_split_at_speck(tok))
    return out


def _split_at_speck(tok: str) -> list[str]:
    """ "thị.yến" -> ["thị", "yến"]: a period or comma between two whole syllables is a speck
    where the space was; inside one ("ngu.ễn") it stays for the repair to weigh."""
    parts = re.split(r"[.,]+", tok)
    if len(parts) > 1 and all(parts) and all(p in lexicon().attested for p in parts):
        return parts
    return [tok]


def _deletes(s: str, depth: int) -> set[str]:
    out = {s}
    frontier = {s}
    for _ in range(depth):
        frontier = {w[:i] + w[i + 1:] for w in frontier for i in range(len(w))}
        out |= frontier
    return out


@dataclass(frozen=True)
class _Index:
    """Skeleton neighbourhoods (symmetric-delete indexes) and syllables grouped by letters.

    Attributes:
        deletes1, deletes2: a skeleton with up to 1 / 2 letters deleted -> skeletons.
        groups: skeleton -> ((toneless letters, ((syllable, tone), ...)), ...).
    """

    deletes1: dict[str, tuple[str, ...]]
    deletes2: dict[str, tuple[str, ...]]
    groups: dict[str, tuple[tuple[str, tuple[tuple[str, int], ...]], ...]]


@lru_cache(maxsize=1)
def _index() -> _Index:
    lex = lexicon()
    d1: dict[str, set[str]] = {}
    d2: dict[str, set[str]] = {}
    for sk in lex.by_skeleton:
        for d in _deletes(sk, 1):
            d1.setdefault(d, set()).add(sk)
        for d in _deletes(sk, 2):
            d2.setdefault(d, set()).add(sk)
    groups = {}
    for sk, sylls in lex.by_skeleton.items():
        by_letters: dict[str, list[tuple[str, int]]] = {}
        for s in sylls:
            letters, tone = syllable_form(s)
            by_letters.setdefault(letters, []).append((s, tone))
        groups[sk] = tuple((k, tuple(v)) for k, v in by_letters.items())
    return _Index({k: tuple(v) for k, v in d1.items()}, {k: tuple(v) for k, v in d2.items()}, groups)


def _neighbour_skeletons(sk: str, max_d: int) -> set[str]:
    idx = _index()
    table = idx.deletes1 if max_d == 1 else idx.deletes2
    found: set[str] = set()
    for d in _deletes(sk, max_d):
        found.update(table.get(d, ()))
    return {k for k in found if Levenshtein.distance(k, sk, score_cutoff=max_d) <= max_d}


def _logsumexp(xs: list[float]) -> float:
    m = max(xs)
    return m + math.log(sum(math.exp(x - m) for x in xs))


@lru_cache(maxsize=262144)
def choose(obs: str, pos: str, case: str = "lower") -> Choice:
    """The likeliest real syllable behind `obs` (lowercase token) in a name position.

    Args:
        obs: one prepared token (prepare_tokens).
        pos: "surname", "middle", "given", "given_M" or "given_F".
        case: "upper" when the register wrote the name in capitals (another channel model).

    Returns:
        Choice (cached: registers repeat the same names endlessly).
    """
    lex: Lexicon = lexicon()
    model = channel_model(case)
    idx = _index()
    o_letters, o_tone = syllable_form(obs)
    sk = fold(o_letters)
    scored: dict[str, tuple[float, float]] = {}  # syllable -> (log posterior numerator, log lik)
    tone_lp = [model.tone_log_p(o_tone, t) for t in range(6)]
    seen: set[str] = set()

    def score(skeletons: set[str]) -> None:
        for k in skeletons - seen:
            seen.add(k)
            for c_letters, sylls in idx.groups.get(k, ()):
                l_lp = model.letters_log_p(o_letters, c_letters)
                if l_lp < MIN_LOG_LIKELIHOOD:
                    continue
                for c, c_tone in sylls:
                    ll = l_lp + tone_lp[c_tone]
                    scored[c] = (lex.log_prior(pos, c) + ll, ll)

    score(_neighbour_skeletons(sk, 1))
    valid_obs = is_valid(obs)
    if valid_obs and obs not in scored:
        ll = model.log_p_forms(o_letters, o_tone, o_letters, o_tone)
        scored[obs] = (lex.log_prior(pos, obs) + ll, ll)
    if not scored or max(ll for _, ll in scored.values()) < SECOND_PASS_BELOW:
        score(_neighbour_skeletons(sk, 2))
    plausible = {c: v for c, v in scored.items() if v[1] >= MIN_LOG_LIKELIHOOD}
    if not plausible:
        return Choice(obs, 0.0, None, MIN_LOG_LIKELIHOOD + lex.unattested[pos], MIN_LOG_LIKELIHOOD,
                      impossible=not valid_obs)
    ranked = sorted(plausible.items(), key=lambda kv: -kv[1][0])
    total = _logsumexp([v[0] for _, v in ranked])
    best, (lp, ll) = ranked[0]
    own = math.exp(plausible[obs][0] - total) if obs in plausible else 0.0
    return Choice(best, math.exp(lp - total), ranked[1][0] if len(ranked) > 1 else None, total, ll,
                  obs_posterior=own)


@lru_cache(maxsize=65536)
def _compound(t0: str, t1: str, case: str = "lower") -> tuple[float, tuple[str, str], float] | None:
    """Best compound-surname reading of two tokens: (log marginal, parts, posterior).

    None when the first token is nowhere near a compound's first syllable (the usual case).
    """
    lex = lexicon()
    if not any(Levenshtein.distance(fold(t0), fold(a), score_cutoff=2) <= 2 for a, _ in lex.compounds):
        return None
    model = channel_model(case)
    scores = [(lp + model.log_p(t0, a) + model.log_p(t1, b), (a, b)) for (a, b), lp in lex.compounds.items()]
    total = _logsumexp([s for s, _ in scores])
    s, parts = max(scores)
    return total, parts, math.exp(s - total)


# Sum of middle-name log-likelihood ratios (man vs woman) beyond which the sex is taken as
# known for the given name's prior (about 95% sure).
SEX_LLR = 3.0


def _given_position(middles: list[str]) -> str:
    llr = lexicon().middle_male_llr
    total = sum(llr.get(m, 0.0) for m in middles)
    if total > SEX_LLR:
        return "given_M"
    if total < -SEX_LLR:
        return "given_F"
    return "given"


def _settle(tok: str, first: Choice, pos: str, case: str) -> str:
    """The repaired syllable, followed to a fixed point so that normalising twice changes
    nothing: an impossible token loses its junk characters and is chosen again; a repair
    whose own best reading differs is followed (at most a few steps)."""
    word = tok
    c = first
    for _ in range(4):
        nxt = retone(_JUNK.sub("", word) or word) if c.impossible else c.best
        if nxt == word:
            return word
        word = nxt
        c = choose(word, pos, case)
    return word


def _in_capitals(raw: str) -> bool:
    """The register wrote this name in capitals (its letters, two at least, all upper)."""
    letters = [c for c in raw if c.isalpha()]
    return len(letters) >= 2 and all(c.isupper() for c in letters)


# A syllable OCR split in two ("Thă ˆng", "Nguyê n") is joined back when one half is not a
# syllable and the joined reading is explained this well (log P(obs | syllable)).
MERGE_MIN_LOG_LIKELIHOOD = -12.0


def _merge_split_syllables(tokens: list[str], case: str) -> list[str]:
    out: list[str] = []
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        if i + 1 < len(tokens) and (not is_valid(tok) or not is_valid(tokens[i + 1])):
            joined = prepare_tokens(tok + tokens[i + 1])
            # Only a join that is itself a syllable: "th" + "thanh" is a lost syllable, not a split.
            if len(joined) == 1 and is_valid(_JUNK.sub("", joined[0])):
                c = choose(joined[0], "middle", case)
                if not c.impossible and c.log_likelihood >= MERGE_MIN_LOG_LIKELIHOOD:
                    out.append(joined[0])
                    i += 2
                    continue
        out.append(tok)
        i += 1
    return out


def clear_caches() -> None:
    """Empty the per-syllable caches (the lexicon and indexes stay): for cold benchmarks."""
    from normalize import text

    for fn in (choose, _simple_token, _compound, text.retone, text.fold, surname_by_marks):
        fn.cache_clear()
    for case in ("lower", "upper"):
        channel_model(case)._memo.clear()


def _letter_dropped(tok: str, word: str) -> bool:
    """The reading was no syllable and was made one by dropping a letter ("thuv" -> "thu"):
    the dropped letter may stand for a lost one (Thụy's y read as v), so the repair is a guess."""
    letters = "".join(ch for ch in tok if ch.isalpha())
    if is_valid(tok) or letters != tok or not is_valid(word) or len(fold(word)) >= len(fold(tok)):
        return False
    # A doubled letter ("namm") is a slip of the print or the reading, not a lost letter.
    return re.sub(r"(.)\1+", r"\1", fold(tok)) != fold(word)


def _rewritten(tok: str, word: str) -> bool:
    """The repair changed letters, not only marks, of a one- or two-letter reading ("W" ->
    "E", "V" -> "Vi"), or two letters or more of a longer one: then the lexicon chose among
    many syllables the reading barely tells apart, which is a guess however likely."""
    a, b = fold(tok), fold(word)
    if a == b:
        return False
    d = Levenshtein.distance(a, b)
    return d >= 2 or min(len(a), len(b)) <= 2


# A surname repaired by its marks alone is taken when it is this many times more frequent
# than the next surname with the same letters; otherwise the name is flagged.
SURNAME_TIE_RATIO = 5.0


@lru_cache(maxsize=1)
def _surnames_by_fold() -> dict[str, tuple[tuple[str, float], ...]]:
    """Folded letters -> listed surnames with them, most frequent first, with log priors."""
    lex = lexicon()
    out: dict[str, list[tuple[str, float]]] = {}
    for syl, lp in lex.logp["surname"].items():
        out.setdefault(fold(syl), []).append((syl, lp))
    return {k: tuple(sorted(v, key=lambda x: -x[1])) for k, v in out.items()}


@lru_cache(maxsize=4096)
def surname_by_marks(word: str) -> tuple[str, float, bool]:
    """A surname-position syllable that is no listed surname but has a listed surname's
    letters ("tran" for Trần: capitals read without their marks): the most frequent such
    surname.

    Returns:
        (syllable, its posterior, tie): `word` itself (posterior 1, no tie) when it is a
        listed surname or no surname has its letters; tie is True when a second surname with
        the same letters is within SURNAME_TIE_RATIO of the first (the name gets flagged).
    """
    lex = lexicon()
    if lex.listed("surname", word):
        return word, 1.0, False
    cands = _surnames_by_fold().get(fold(word), ())
    if not cands:
        return word, 1.0, False
    best, lp = cands[0]
    if len(cands) > 1 and lp - cands[1][1] < math.log(SURNAME_TIE_RATIO):
        total = sum(math.exp(x - lp) for _, x in cands)
        return best, 1.0 / total, True
    return best, 0.95, False


# An unlisted name syllable is flagged when its rivals hold this much of the posterior
# (chosen on the dev split of bench/names_eval.py).
UNLISTED_DOUBT = 0.005


def _listed_name(word: str) -> bool:
    lex = lexicon()
    return any(lex.listed(p, word) for p in ("surname", "middle", "given"))


def _well_formed(tok: str, pos: str, in_compound: bool) -> bool:
    """Whether a token the repair would replace is itself a plausible name syllable: a valid,
    attested syllable, and a listed surname in the surname's place."""
    if in_compound or not is_valid(tok) or tok not in lexicon().attested:
        return False
    return pos != "surname" or lexicon().listed("surname", tok)


# The recogniser's own evidence (normalize/evidence.py: per glyph, the alternatives Tesseract's
# LSTM weighed, with their probabilities). A glyph alternative under EVIDENCE_MIN_CHOICE is no
# evidence; a glyph the recogniser never weighed gets EVIDENCE_FLOOR. A real syllable read as
# it stands is changed to another real name syllable only when that one's posterior,
# P(name | position) times the recogniser's P(glyphs), is at least EVIDENCE_POSTERIOR (chosen
# on the dev split of bench/names_eval.py); the change is flagged "name_repaired".
EVIDENCE_MIN_CHOICE = 0.05
EVIDENCE_FLOOR = 1e-3
EVIDENCE_POSTERIOR = 0.99
# At most this many glyphs of one syllable changed on the recogniser's evidence.
EVIDENCE_MAX_CHANGES = 2
# A candidate needs its glyphs at least this likely, against the glyphs read, to the recogniser.
EVIDENCE_MIN_RATIO = 0.6


def _evidence_choice(tok: str, pos: str, alts: tuple[dict[str, float], ...]) -> tuple[str, float] | None:
    """The real name syllable the recogniser's glyph alternatives point to instead of `tok`
    (a real syllable as read), with its posterior; None when they point to none.

    Candidates: `tok` with one or two glyphs replaced by alternatives the recogniser gave at
    least EVIDENCE_MIN_CHOICE, kept when well formed for the position (_well_formed).
    Each is scored log P(c | position) + Σ log P(glyph_i = c_i) against the read itself."""
    lex = lexicon()
    own = [max(a.get(ch, 0.0), EVIDENCE_FLOOR) for ch, a in zip(tok, alts)]
    options = [(i, [(c, p) for c, p in a.items() if c != tok[i] and p >= EVIDENCE_MIN_CHOICE])
               for i, a in enumerate(alts)]
    options = [(i, cs) for i, cs in options if cs]
    if not options:
        return None
    cands: dict[str, float] = {}

    min_gain = math.log(EVIDENCE_MIN_RATIO) if EVIDENCE_MIN_RATIO > 0 else -math.inf

    def add(chars: list[str], gain: float) -> None:
        c = "".join(chars)
        if gain >= min_gain and c != tok and c not in cands and _well_formed(c, pos, False):
            cands[c] = gain

    chars = list(tok)
    for k, (i, cs) in enumerate(options):
        for c, p in cs:
            one = chars.copy()
            one[i] = c
            add(one, math.log(p) - math.log(own[i]))
            if EVIDENCE_MAX_CHANGES >= 2:
                for j, cs2 in options[k + 1:]:
                    for c2, p2 in cs2:
                        two = one.copy()
                        two[j] = c2
                        add(two, math.log(p) - math.log(own[i]) + math.log(p2) - math.log(own[j]))
    if not cands:
        return None
    scores = {c: lex.log_prior(pos, c) + g for c, g in cands.items()}
    scores[tok] = lex.log_prior(pos, tok)
    total = _logsumexp(list(scores.values()))
    best = max(scores, key=scores.__getitem__)
    return best, math.exp(scores[best] - total)


def _read(tokens: list[str], case: str, evidence: ReadEvidence | None = None) -> Normalized:
    """One pass: choose every syllable by position, settle it, weigh a compound surname;
    with the recogniser's glyph alternatives (`evidence`), a real syllable may be changed
    on them (_evidence_choice), flagged "name_repaired"."""
    n = len(tokens)
    if n == 1:
        positions = ["given"]
        choices = [choose(tokens[0], "given", case)]
    else:
        head = [choose(tokens[0], "surname", case)] + [choose(t, "middle", case) for t in tokens[1:-1]]
        positions = ["surname"] + ["middle"] * (n - 2)
        middles = [_settle(t, c, "middle", case) for t, c in zip(tokens[1:-1], head[1:])]
        positions.append(_given_position(middles))
        choices = head + [choose(tokens[-1], positions[-1], case)]
    picked = [_settle(t, c, p, case) for t, c, p in zip(tokens, choices, positions)]
    posts = [c.posterior for c in choices]
    compound = False
    if n >= 3:
        comp = _compound(tokens[0], tokens[1], case)
        simple = choices[0].log_marginal + choices[1].log_marginal
        if comp is not None and comp[0] > simple:
            picked[0], picked[1] = comp[1]
            p = math.exp(comp[0] - _logsumexp([comp[0], simple])) * comp[2]
            posts[0] = posts[1] = p
            compound = True
    flags: list[str] = []
    steps: list[str] = []
    alternative: set[int] = set()  # real syllables kept against the model's preference
    for i, (tok, c, pos) in enumerate(zip(tokens, choices, positions)):
        if evidence is not None and _well_formed(tok, pos, compound and i < 2):
            alts = token_alternatives(evidence, tok)
            ev = _evidence_choice(tok, pos, alts) if alts is not None else None
            if ev is not None and ev[0] != tok and ev[1] >= EVIDENCE_POSTERIOR:
                # the recogniser itself weighed the other glyph: the change is made, flagged,
                # the read kept in F_raw and in the steps
                flags.append("name_repaired")
                steps.append(f"evidence:{tok}->{ev[0]}")
                picked[i] = ev[0]
                posts[i] = ev[1]
                alternative.add(i)
                continue
        if picked[i] != tok and _well_formed(tok, pos, compound and i < 2):
            # a real syllable read as it stands is the reading: another name the lexicon
            # prefers is no evidence it was misread (Tuân is no slip of Tuấn). Only the
            # recogniser's own evidence (a second read of the cell) may change it; here it is
            # kept and flagged, the preferred name in the steps.
            flags.append("name_alternative")
            steps.append(f"alternative:{tok}->{picked[i]}")
            picked[i] = tok
            posts[i] = c.obs_posterior
            alternative.add(i)
    if n >= 2 and not compound:
        fixed, post0, tie = surname_by_marks(picked[0])
        if fixed != picked[0]:
            steps.append(f"surname_marks:{picked[0]}->{fixed}")
            picked[0] = fixed
            posts[0] = post0
        if tie:
            flags.append("name_uncertain")
        if picked[0] and not lexicon().listed("surname", picked[0].lower()):
            # "Uyên Hồng Tiến": a surname no list has is most often a cut "Nguyễn"
            flags.append("name_uncertain")
    for i, (tok, c, word, post) in enumerate(zip(tokens, choices, picked, posts)):
        if i in alternative:
            post = 1.0  # its doubt is name_alternative's or name_repaired's, already flagged
        if c.impossible:
            flags.append("impossible_syllable")
        # a syllable no Vietnamese word or listed name has ("Ròa" for "Hòa") is a reading
        # the lexicon could not vouch for, however sure the channel model is
        unknown = bool(word) and word.lower() not in lexicon().attested
        # a syllable no name list has (only a word: "Nghỉ") read beside a real rival is as
        # likely that rival misread (Nghi): without a list to vouch for it, never silent
        doubt = UNCERTAIN if _listed_name(word.lower()) else 1.0 - UNLISTED_DOUBT
        if post < doubt or _letter_dropped(tok, word) or _rewritten(tok, word) or unknown:
            flags.append("name_uncertain")
        if word != tok:
            steps.append(f"lexicon:{tok}->{word}")
    words = [capitalize_word(w) for w in picked if w]
    conf = math.prod(max(p, 0.0) for p in posts)
    if any(c.impossible for c in choices):
        conf = min(conf, 0.3)
    return Normalized(" ".join(words), round(conf, 4), tuple(dict.fromkeys(flags)), steps=tuple(steps))


def normalize_name(raw: str | None, evidence: ReadEvidence | None = None) -> Normalized:
    """Repair and capitalise a person's name as read by OCR; a name of one word is flagged
    "name_incomplete" (registers write surname and given name: "Hải" alone is what is left
    of "Nguyễn Thị Hồng Hải" when a line or word was lost).

    `evidence`: the recogniser's glyph alternatives for `raw` (optional; without it the
    result is exactly as before). See _repair for the rest."""
    n = _repair(raw, evidence)
    if n.value is not None and len(n.value.split()) == 1:
        return Normalized(n.value, n.conf, n.flags + ("name_incomplete",), n.code, n.steps)
    if n.value is not None and _ends_in_middle_name(n.value) and "name_incomplete" not in n.flags:
        # "Trần Văn", "Nguyễn Khắc": the given name after the middle one was lost (faded,
        # wrapped onto a line not read)
        return Normalized(n.value, n.conf, n.flags + ("name_incomplete",), n.code, n.steps + ("ends_in_middle",))
    if n.value is not None and _small_initial(raw) and "name_uncertain" not in n.flags:
        # every word of a name written in mixed case starts with a capital: a small letter
        # there is a misread capital ("Nguyễn tồng Loan": the H of Hồng read as t)
        return Normalized(n.value, n.conf, n.flags + ("name_uncertain",), n.code, n.steps + ("small_initial",))
    return n


# A name whose last word is this much likelier a middle name than a given name (log ratio of
# the lexicon's position priors: Văn -5.6, Thị -9.9, Hữu -4.7; Đức -1.0, Lan +0.9) has lost
# its given name.
MIDDLE_NOT_GIVEN_LLR = -4.0


def _ends_in_middle_name(value: str) -> bool:
    last = value.split()[-1].lower()
    lex = lexicon()
    return lex.log_prior("given", last) - lex.log_prior("middle", last) < MIDDLE_NOT_GIVEN_LLR


def _small_initial(raw: str) -> bool:
    words = [w for w in re.findall(r"[^\W\d_]+", raw)]
    if len(words) < 2 or not any(w[0].isupper() for w in words) or raw.isupper():
        return False
    return any(w[0].islower() for w in words)


def _repair(raw: str | None, evidence: ReadEvidence | None = None) -> Normalized:
    """Repair and capitalise a person's name as read by OCR.

    The result is a fixed point: normalising the value again gives the value (a name read in
    capitals is re-read once in mixed case, the case of the output).

    Args:
        raw: the OCR text of one name cell (any string).

    Returns:
        Normalized(value "Nguyễn Thị Thu Hằng", conf = product of syllable posteriors,
        flags "name_uncertain" / "impossible_syllable" / "unreadable_name", steps).
    """
    if raw is None or not raw.strip():
        return Normalized(None, 1.0)
    tokens = prepare_tokens(raw)
    if not tokens:
        return Normalized(None, 0.0, ("unreadable_name",))
    case = "upper" if _in_capitals(raw) else "lower"
    merged = _merge_split_syllables(tokens, case)
    result = _read(merged, case, evidence)
    value = result.value
    if case == "lower" and value.lower().split() == merged:
        return result  # nothing changed: re-reading would give the same
    for _ in range(3):
        again = _read(_merge_split_syllables(prepare_tokens(value), "lower"), "lower")
        if again.value == value or not again.value:
            break
        value = again.value
    if value != result.value:
        return Normalized(value, result.conf, tuple(dict.fromkeys(result.flags + ("name_uncertain",))),
                          steps=result.steps + ("settled",))
    return result
