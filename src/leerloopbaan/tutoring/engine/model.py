"""Input and output records of the matching engine (plain dataclasses, no Django)."""

from __future__ import annotations

from dataclasses import dataclass, field, fields

SLOTS = range(21)
"""Weekly slots: 7 days x 3 day parts; ``slot = day * 3 + part``, day 0 = Monday, part 0 = morning."""

DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
PARTS = ("morning", "afternoon", "evening")
AGE_GROUPS = ("primary", "lower_secondary", "upper_secondary")
MODES = ("online", "offline")
CRITERIA = ("subject", "level", "distance", "language", "quality")
MAX_CAPACITY = 3
NEUTRAL_QUALITY = 0.5
"""Peer-review quality used for a tutor who has not been reviewed yet."""
ONLINE_DISTANCE_FRACTION = 0.5
"""Share of the distance points an online pair earns (no travel, but no face-to-face contact either)."""
LEVEL_HEADROOM = 3
"""Level fit is full when the tutor's maximum level is at least ``LEVEL_HEADROOM - 1`` above the pupil's."""

# Codes of hard constraints (used in explain_ineligible and in Unmatched.detail).
HARD_CONSTRAINTS = (
    "not_eligible",      # tutor not screened and trained
    "subject",           # tutor does not teach the subject
    "age_group",         # tutor does not work with the pupil's age group
    "level",             # pupil's level outside the tutor's level range
    "language",          # no common tutoring language
    "language_support",  # pupil needs Dutch language support, the tutor does not offer it
    "slots",             # no common weekly slot
    "mode",              # no common mode (online/offline)
    "distance",          # offline is the only common mode and the pupil is out of the tutor's travel radius
    "conflict_school",   # tutor has a conflict of interest with the pupil's school
    "conflict_pupil",    # tutor has a conflict of interest with the pupil
    "initiative",        # the tutor's initiative does not take this pupil (its rules; the school did not ask it)
)


def slot_label(slot: int) -> str:
    """English label of a weekly slot, e.g. ``slot_label(4) == "Tuesday afternoon"``."""
    if slot not in SLOTS:
        raise ValueError(f"slot must be in 0..20, got {slot!r}")
    return f"{DAYS[slot // 3]} {PARTS[slot % 3]}"


@dataclass(frozen=True)
class Need:
    """A pupil's tutoring need."""

    id: int
    subject: str
    level: int                                   # 1..12: P1..P6 = 1..6, S1..S6 = 7..12
    age_group: str                               # "primary" | "lower_secondary" | "upper_secondary"
    languages: frozenset[str]                    # languages the pupil can be tutored in
    home_language: str | None = None             # a shared home language is a bonus, not a constraint
    language_support: bool = False               # needs Dutch language support: the tutor must offer it
    slots: frozenset[int] = frozenset()
    modes: frozenset[str] = frozenset({"online", "offline"})
    location: tuple[float, float] | None = None  # km coordinates, for offline tutoring
    district: str = ""
    priority: int = 3                            # tier 1 = highest .. 3 = normal
    school: int | None = None                    # for conflicts of interest
    pupil: int | None = None                     # for conflicts of interest
    asked: frozenset[int] | None = None          # initiatives the school asked; None = every initiative
    waiting_days: int = 0                        # days the pupil has waited for a tutor (see ``Waiting``)


@dataclass(frozen=True)
class Tutor:
    """A tutor; ``capacity`` is the number of places available to the needs of this call."""

    id: int
    subjects: tuple[str, ...]                    # in order of preference, first = strongest
    min_level: int
    max_level: int
    age_groups: frozenset[str]
    languages: frozenset[str]
    language_support: bool = False
    slots: frozenset[int] = frozenset()
    modes: frozenset[str] = frozenset({"online", "offline"})
    location: tuple[float, float] | None = None
    travel_km: float = 5.0
    capacity: int = 1                            # 0..3 remaining places
    quality: float | None = None                 # 0..1 from peer review; None = not reviewed (neutral)
    eligible: bool = True                        # screened and trained
    initiative: int | None = None
    conflict_schools: frozenset[int] = frozenset()
    conflict_pupils: frozenset[int] = frozenset()


@dataclass(frozen=True)
class Weights:
    """Relative weights of the criteria of the 0..100 match-quality score.

    They are normalised so that a perfect pair scores exactly 100 (largest-remainder rounding of
    ``100 * weight / sum``); all must be integers >= 0 and at least one > 0.
    """

    subject: int = 25
    level: int = 20
    distance: int = 20
    language: int = 15
    quality: int = 20

    def validate(self) -> None:
        values = [getattr(self, f.name) for f in fields(self)]
        for f, v in zip(fields(self), values, strict=True):
            if isinstance(v, bool) or not isinstance(v, int) or v < 0:
                raise ValueError(f"weight {f.name!r} must be an integer >= 0, got {v!r}")
        if sum(values) <= 0:
            raise ValueError("at least one weight must be > 0")

    def max_points(self) -> dict[str, int]:
        """Points a perfect pair earns per criterion; they sum to exactly 100."""
        self.validate()
        values = {c: getattr(self, c) for c in CRITERIA}
        total = sum(values.values())
        base = {c: (100 * v) // total for c, v in values.items()}
        rest = 100 - sum(base.values())
        # largest remainder first, ties in criterion order
        order = sorted(CRITERIA, key=lambda c: (-((100 * values[c]) % total), CRITERIA.index(c)))
        for c in order[:rest]:
            base[c] += 1
        return base


DEFAULT_WEIGHTS = Weights()


@dataclass(frozen=True)
class Rules:
    """Which pupils the tutors of one initiative may take: a hard constraint of every pair.

    A need is admitted when the school asked the initiative (``Need.asked`` holds it, or is None) or
    the initiative is ``open`` (it also takes pupils who asked another initiative), and it meets
    every condition given: its age group in ``age_groups``, its subject in ``subjects``, its
    district in ``districts`` (an empty set sets no condition). Without rules an initiative takes
    exactly the needs that asked it; a tutor without an initiative takes any need.
    """

    open: bool = False
    age_groups: frozenset[str] = frozenset()
    subjects: frozenset[str] = frozenset()
    districts: frozenset[str] = frozenset()

    def validate(self, initiative) -> None:
        unknown = set(self.age_groups) - set(AGE_GROUPS)
        if unknown:
            raise ValueError(f"initiative {initiative}: unknown age groups in its rules {sorted(unknown)}")

    def admits(self, need: Need, initiative: int) -> bool:
        """The reference definition (the encoder applies the same rule to whole columns)."""
        return ((need.asked is None or initiative in need.asked or self.open)
                and (not self.age_groups or need.age_group in self.age_groups)
                and (not self.subjects or need.subject in self.subjects)
                and (not self.districts or need.district in self.districts))


NO_RULES = Rules()


@dataclass(frozen=True)
class Waiting:
    """The waiting-time term: a matched need earns ``min(cap, per_week * waiting_days // 7)`` points on
    top of its pair's 0..100 score, at the quality level of the objective (so within the matches the
    priority tiers allow, the longer waiting pupils go first; the cap keeps a long wait from buying a
    pair that is more than ``cap`` points worse). Defaults: 2 points a week, at most 20 (ten weeks).
    """

    per_week: int = 2
    cap: int = 20

    def validate(self) -> None:
        for name in ("per_week", "cap"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int) or v < 0:
                raise ValueError(f"waiting {name} must be an integer >= 0, got {v!r}")

    def points(self, days: int) -> int:
        return min(self.cap, (self.per_week * max(0, int(days))) // 7)


DEFAULT_WAITING = Waiting()


@dataclass
class Assignment:
    need: int
    tutor: int
    score: int                       # 0..100 match quality
    criteria: dict[str, int]         # points per criterion; they sum to ``score``
    details: dict[str, object]       # the facts behind the points
    mode: str                        # "online" | "offline"
    fixed: bool = False              # set by a coordinator
    kept: bool = False               # continuity: the need keeps its current tutor
    violations: list[str] = field(default_factory=list)  # hard constraints a fixed pair breaks


@dataclass
class Unmatched:
    need: int
    reason: str                      # "no_eligible_tutor" | "tutors_full" | "initiative_full"
    detail: dict


@dataclass
class MatchResult:
    assignments: list[Assignment]    # sorted by need id
    unmatched: list[Unmatched]       # sorted by need id
    objective: dict
    stats: dict
    warnings: list[str]

    def by_need(self) -> dict[int, int]:
        return {a.need: a.tutor for a in self.assignments}
