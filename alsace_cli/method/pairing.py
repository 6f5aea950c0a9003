"""The pairing rule of ALSACE: every teacher teaches every other language; students never teach each other
(unless an ablation asks). Pure functions of a table of (id, lang) rows and each language's role;
stages/pairs.py explains the ablations."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

COLUMNS = ("id", "student_lang", "teacher_lang", "pair_type")


def weak_languages(scores: dict[str, float], roles: dict[str, str], role: str) -> set[str]:
    """The languages of `role` whose ŝ is below the group's mean (none if the group has one language)."""
    group = {lang: scores[lang] for lang, r in roles.items() if r == role}
    if len(group) < 2:
        return set()
    mean = sum(group.values()) / len(group)
    return {lang for lang, score in group.items() if score < mean - 1e-12}


def make_pairs_frame(
    frame: pd.DataFrame,
    roles: dict[str, str],
    *,
    no_students: set[str] = frozenset(),  # type: ignore[assignment]
    no_teachers: set[str] = frozenset(),  # type: ignore[assignment]
    student_pairs: bool = False,
) -> tuple[pd.DataFrame, int]:
    """All allowed pairs over the ids of `frame`, in id order of first appearance; returns (pairs, dropped).

    `no_students` never appear on the student side, `no_teachers` never on the teacher side; with
    `student_pairs` students teach each other too."""
    ids = pd.unique(frame["id"])
    present = pd.crosstab(frame["id"], frame["lang"]).reindex(ids).gt(0)
    teaching = {"teacher", "student"} if student_pairs else {"teacher"}
    teachers = sorted(lang for lang, role in roles.items() if role in teaching and lang not in no_teachers)
    parts, dropped = [], 0
    for teacher in teachers:
        for student in sorted(roles):
            if student == teacher or student in no_students:
                continue
            have = present.index[present[student].to_numpy() & present[teacher].to_numpy()]
            dropped += len(ids) - len(have)
            pair_type = f"{roles[student]}-{roles[teacher]}"
            parts.append(
                pd.DataFrame(
                    {"id": have, "student_lang": student, "teacher_lang": teacher, "pair_type": pair_type}
                )
            )
    pairs = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=list(COLUMNS))
    order = pairs["id"].map({key: i for i, key in enumerate(ids)})
    pairs = pairs.iloc[np.lexsort((pairs["student_lang"], pairs["teacher_lang"], order))]
    return pairs.reset_index(drop=True), dropped


@dataclass
class PairRule:
    """The pairs as a rule rather than a table: who may teach, who may learn. A pair joins one group's rows
    (an instance; for QA, an instance's context) in two units (languages; for QA, question languages): a
    unit that `teaches` on the teacher side, a different one that `learns` on the student side. Its full
    table is what make_pairs_frame enumerates; `PairSampler` draws from it uniformly without building it."""

    roles: dict[str, str]
    teaches: frozenset[str]
    learns: frozenset[str]

    @classmethod
    def of(
        cls,
        roles: dict[str, str],
        *,
        no_students: set[str] = frozenset(),  # type: ignore[assignment]
        no_teachers: set[str] = frozenset(),
        student_pairs: bool = False,
    ) -> PairRule:  # type: ignore[assignment]
        teaching = {"teacher", "student"} if student_pairs else {"teacher"}
        teaches = frozenset(u for u, role in roles.items() if role in teaching and u not in no_teachers)
        return cls(dict(roles), teaches, frozenset(u for u in roles if u not in no_students))

    def frame(self) -> pd.DataFrame:
        units = sorted(self.roles)
        return pd.DataFrame(
            {
                "lang": units,
                "role": [self.roles[u] for u in units],
                "teaches": [u in self.teaches for u in units],
                "learns": [u in self.learns for u in units],
            }
        )

    @classmethod
    def from_frame(cls, frame: pd.DataFrame) -> PairRule:
        return cls(
            dict(zip(frame["lang"], frame["role"], strict=True)),
            frozenset(frame.loc[frame["teaches"], "lang"]),
            frozenset(frame.loc[frame["learns"], "lang"]),
        )


class PairSampler:
    """Pairs drawn uniformly from a rule's full table over the rows of a corpus, seeded, without building it.

    Uniform over the table: a group is drawn with probability proportional to its number of pairs
    c_g = |T_g|·|L_g| − |T_g ∩ L_g| (T_g, L_g: the units present in the group that teach, that learn),
    then a teacher t with weight |L_g| − [t ∈ L_g], then a learner uniformly among L_g without t. Memory is
    one row per group and unit present, linear in the corpus."""

    def __init__(self, rule: PairRule, frame: pd.DataFrame, groups: tuple[str, ...] = ("id",)) -> None:
        self.rule, self.group_columns = rule, groups
        keys = (
            frame[list(groups)].astype(str).agg("\x1f".join, axis=1)
            if len(groups) > 1
            else frame[groups[0]].astype(str)
        )
        self.group_codes, self.group_keys = pd.factorize(keys, sort=False)
        self.first_row = pd.Series(np.arange(len(frame))).groupby(self.group_codes).first().to_numpy()
        self.frame = frame
        units = np.asarray(sorted(rule.roles), dtype=object)
        unit_codes = pd.Index(units).get_indexer(frame["lang"].astype(str))
        known = unit_codes >= 0
        self.units = units
        self.present = np.zeros((len(self.group_keys), len(units)), dtype=bool)
        self.present[self.group_codes[known], unit_codes[known]] = True
        self.teach = np.isin(units, list(rule.teaches))
        self.learn = np.isin(units, list(rule.learns))
        t = (self.present & self.teach).sum(axis=1)
        lrn = (self.present & self.learn).sum(axis=1)
        both = (self.present & self.teach & self.learn).sum(axis=1)
        self.counts = t * lrn - both

    @property
    def total(self) -> int:
        """Pairs in the full table."""
        return int(self.counts.sum())

    def counts_by_type(self) -> dict[str, int]:
        """Pairs in the full table per pair type ("student-teacher", ...)."""
        out = {}
        roles = np.array([self.rule.roles[u] for u in self.units])
        for learner_role in sorted(set(roles)):
            for teacher_role in sorted(set(roles)):
                t = (self.present & self.teach & (roles == teacher_role)).sum(axis=1)
                lrn = (self.present & self.learn & (roles == learner_role)).sum(axis=1)
                same = (self.present & self.teach & self.learn & (roles == teacher_role)).sum(axis=1)
                n = int((t * lrn - (same if learner_role == teacher_role else 0)).sum())
                if n:
                    out[f"{learner_role}-{teacher_role}"] = n
        return out

    def dropped(self) -> int:
        """Pairs the table would have if every group had every unit, minus those it has."""
        t, lrn, both = int(self.teach.sum()), int(self.learn.sum()), int((self.teach & self.learn).sum())
        return (t * lrn - both) * len(self.group_keys) - self.total

    def rows(self) -> pd.DataFrame:
        """The corpus rows that take part in some pair (their group has a pair and their unit teaches or learns)."""
        units = pd.Index(self.units)
        code = units.get_indexer(self.frame["lang"].astype(str))
        takes_part = (code >= 0) & (self.counts[self.group_codes] > 0)
        takes_part[takes_part] &= (self.teach | self.learn)[code[takes_part]]
        return self.frame[takes_part]

    def draw(self, n: int, seed: int) -> pd.DataFrame:
        """n pairs (with replacement), as make_pairs_frame's columns (and the group's other key columns)."""
        if self.total == 0:
            raise ValueError("the rule allows no pair on this corpus")
        rng = np.random.default_rng(seed)
        cumulative = np.cumsum(self.counts)
        groups = np.searchsorted(cumulative, rng.random(n) * cumulative[-1], side="right")
        students, teachers = [], []
        for g in groups:
            teach = np.flatnonzero(self.present[g] & self.teach)
            learn = np.flatnonzero(self.present[g] & self.learn)
            weights = len(learn) - np.isin(teach, learn)
            t = teach[np.searchsorted(np.cumsum(weights), rng.random() * weights.sum(), side="right")]
            others = learn[learn != t]
            students.append(others[rng.integers(len(others))])
            teachers.append(t)
        rows = self.frame.iloc[self.first_row[groups]]
        out = pd.DataFrame({column: rows[column].astype(str).to_numpy() for column in self.group_columns})
        out["student_lang"], out["teacher_lang"] = self.units[students], self.units[teachers]
        out["pair_type"] = [
            f"{self.rule.roles[s]}-{self.rule.roles[t]}"
            for s, t in zip(out["student_lang"], out["teacher_lang"], strict=True)
        ]
        return out
