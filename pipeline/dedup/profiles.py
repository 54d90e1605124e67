"""What identifies an event in each register type: comparisons, blocking rules, hard rules.

Declared as data (Splink-style settings): each comparison's levels and thresholds are on its
object (compare.py), each blocking rule names the features it keys on (features.py), each
hard rule names the comparison levels that forbid a merge.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np

from pipeline.dedup.blocking import BlockingRule
from pipeline.dedup.compare import (DateComparison, ExactComparison, NameComparison,
                                    PlaceComparison)
from pipeline.dedup.features import Features


@dataclass(frozen=True)
class CannotLink:
    """A hard rule: a pair meeting all conditions is never merged, whatever its score.

    Attributes:
        name: shown in the summary (how many candidate pairs it vetoed).
        all_of: (comparison name, levels) conditions that must all hold; the level
            "missing" means either side lacks the value.
        same_entry: also require the same volume and the same entry number.
        same_volume_other_entry: also require the same volume and two different entry
            numbers (both known).
        untrained: leave the pairs it forbids out of EM (model.py): for rules that pick out
            relatives (twins, siblings), who agree on nearly everything but the child and
            would teach EM a "same family" class instead of "same event".
    """

    name: str
    all_of: tuple[tuple[str, tuple[str, ...]], ...]
    same_entry: bool = False
    same_volume_other_entry: bool = False
    untrained: bool = False

    def applies(self, levels: np.ndarray, comparisons: tuple, feats: Features,
                ia: np.ndarray, ib: np.ndarray) -> np.ndarray:
        """Bool per pair: this rule forbids the merge."""
        names = [c.name for c in comparisons]
        hit = np.ones(len(ia), dtype=bool)
        for cname, labels in self.all_of:
            k = names.index(cname)
            codes = [-1 if lb == "missing" else comparisons[k].levels.index(lb) for lb in labels]
            hit &= np.isin(levels[:, k], codes)
        if self.same_entry:
            hit &= feats.same_value("volume_id", ia, ib) & feats.same_value("entry_no", ia, ib)
        if self.same_volume_other_entry:
            hit &= feats.same_value("volume_id", ia, ib) & feats.other_value("entry_no", ia, ib)
        return hit


@dataclass(frozen=True)
class Profile:
    """One register type's identity: fields read, comparisons, blocking rules, hard rules."""

    register_type: str
    fields: tuple[str, ...]
    comparisons: tuple
    blocking: tuple[BlockingRule, ...]
    constraints: tuple[CannotLink, ...]
    # comparisons whose "different" level (both values known: a missing one never counts)
    # means two members of one cluster contradict each other: the pair carries it in
    # pairs.parquet `contradicts`, the cluster is flagged for review (clusters.parquet)
    contradictions: tuple[str, ...] = ()

    def version(self) -> str:
        """A hash of the declaration: saved state from another declaration is not reused."""
        return hashlib.sha256(repr(self).encode()).hexdigest()[:16]


_CHILD = (NameComparison("surname", "full_name", "surname", similar=None),
          NameComparison("middle_name", "full_name", "middle", tf=False),
          NameComparison("given_name", "full_name", "given", similar=None))

# Two entries (different numbers) of one register book are two events: a book registers an
# event once (twins are registered one after the other; namesakes born the same day in the
# same ward land in the same book). The same entry number in the same book is a page scanned
# twice, which may merge. A book that really registered one event twice needs a reviewer.
_SAME_BOOK = CannotLink("same_book_other_entry", (), same_volume_other_entry=True)
_SEX = CannotLink("different_sex", (("sex", ("different",)),), untrained=True)
_GIVEN = CannotLink("different_given_name", (("given_name", ("different",)),), untrained=True)

BIRTH = Profile(
    register_type="birth",
    fields=("full_name", "sex", "date_of_birth", "father_name", "mother_name",
            "place_of_birth", "hometown", "ethnicity", "entry_no"),
    comparisons=_CHILD + (
        ExactComparison("sex", "sex"),
        DateComparison("date_of_birth", "date_of_birth"),
        NameComparison("father_name", "father_name"),
        NameComparison("mother_name", "mother_name"),
        PlaceComparison("place_of_birth", "place_of_birth"),
        PlaceComparison("hometown", "hometown"),
        ExactComparison("ethnicity", "ethnicity"),
    ),
    blocking=(
        BlockingRule("dob_surname", ("date_of_birth|full", "full_name|surname|fold")),
        BlockingRule("given_mother", ("full_name|given|fold", "mother_name|full|fold")),
        BlockingRule("father_year", ("father_name|full|fold", "date_of_birth|year")),
        BlockingRule("mother_surname_year", ("mother_name|full|fold", "full_name|surname|fold",
                                             "date_of_birth|year")),
        BlockingRule("name_year", ("full_name|full|fold", "date_of_birth|year")),
        BlockingRule("skeleton_father", ("full_name|full|skel", "father_name|full|skel")),
        BlockingRule("given_dob", ("full_name|given|fold", "date_of_birth|full")),
    ),
    constraints=(
        _SEX, _GIVEN, _SAME_BOOK,
        CannotLink("same_entry_other_person", (("surname", ("different",)),), same_entry=True),
        # the birth date is the event: full dates that differ beyond a typo are two births
        CannotLink("different_birth_date", (("date_of_birth", ("near", "different")),)),
        # a different mother, or a different father, with no parent agreeing: another child
        CannotLink("different_mother", (("mother_name", ("similar", "different")),
                                        ("father_name", ("similar", "different", "missing")))),
        CannotLink("different_father", (("father_name", ("similar", "different")),
                                        ("mother_name", ("similar", "different", "missing")))),
    ),
    contradictions=("sex", "date_of_birth", "father_name", "mother_name"),
)

DEATH = Profile(
    register_type="death",
    fields=("full_name", "sex", "date_of_birth", "date_of_death", "residence",
            "place_of_death", "ethnicity", "entry_no"),
    comparisons=_CHILD + (
        ExactComparison("sex", "sex"),
        DateComparison("date_of_death", "date_of_death"),
        DateComparison("date_of_birth", "date_of_birth"),
        PlaceComparison("residence", "residence"),
        PlaceComparison("place_of_death", "place_of_death"),
        ExactComparison("ethnicity", "ethnicity"),
    ),
    blocking=(
        BlockingRule("dod_surname", ("date_of_death|full", "full_name|surname|fold")),
        BlockingRule("name_dod_year", ("full_name|full|fold", "date_of_death|year")),
        BlockingRule("name_dob_year", ("full_name|full|fold", "date_of_birth|year")),
        BlockingRule("given_dod", ("full_name|given|fold", "date_of_death|full")),
        BlockingRule("skeleton_residence", ("full_name|full|skel", "residence|place")),
    ),
    constraints=(
        _SEX, _GIVEN, _SAME_BOOK,
        CannotLink("same_entry_other_person", (("surname", ("different",)),), same_entry=True),
        CannotLink("different_death_date", (("date_of_death", ("different",)),)),
    ),
    contradictions=("sex", "date_of_death", "date_of_birth"),
)

MARRIAGE = Profile(
    register_type="marriage",
    fields=("husband_name", "husband_date_of_birth", "husband_residence", "wife_name",
            "wife_date_of_birth", "wife_residence", "entry_no"),
    comparisons=(
        NameComparison("husband_name", "husband_name"),
        NameComparison("husband_given_name", "husband_name", "given", similar=None),
        DateComparison("husband_date_of_birth", "husband_date_of_birth"),
        NameComparison("wife_name", "wife_name"),
        NameComparison("wife_given_name", "wife_name", "given", similar=None),
        DateComparison("wife_date_of_birth", "wife_date_of_birth"),
        PlaceComparison("husband_residence", "husband_residence"),
        PlaceComparison("wife_residence", "wife_residence"),
    ),
    blocking=(
        BlockingRule("husband_wife", ("husband_name|full|fold", "wife_name|full|fold")),
        BlockingRule("husband_dob", ("husband_name|full|fold", "husband_date_of_birth|year")),
        BlockingRule("wife_dob", ("wife_name|full|fold", "wife_date_of_birth|year")),
        BlockingRule("givens_skeleton", ("husband_name|full|skel", "wife_name|full|skel")),
        BlockingRule("dobs", ("husband_date_of_birth|full", "wife_date_of_birth|full")),
    ),
    constraints=(
        CannotLink("different_husband", (("husband_given_name", ("different",)),),
                   untrained=True),
        CannotLink("different_wife", (("wife_given_name", ("different",)),), untrained=True),
        _SAME_BOOK,
    ),
    contradictions=("husband_given_name", "wife_given_name", "husband_date_of_birth",
                    "wife_date_of_birth"),
)

PROFILES: dict[str, Profile] = {p.register_type: p for p in (BIRTH, DEATH, MARRIAGE)}
