"""Tutoring's vocabulary: subjects, age groups, modes, languages, levels, the criteria of a match.

Words, not anybody's data: forms and views take them from here (they never import the person models
in ``tutoring.models``)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Subject(models.TextChoices):
    MATHS = "maths", _("mathematics")
    DUTCH = "dutch", _("Dutch")
    READING = "reading", _("reading")
    FRENCH = "french", _("French")
    ENGLISH = "english", _("English")
    SCIENCE = "science", _("science")
    STUDY_SKILLS = "study_skills", _("study skills")
    HOMEWORK = "homework", _("homework support")


class AgeGroup(models.TextChoices):
    PRIMARY = "primary", _("primary school")
    LOWER_SECONDARY = "lower_secondary", _("secondary, 1st grade")
    UPPER_SECONDARY = "upper_secondary", _("secondary, 2nd and 3rd grade")


class Mode(models.TextChoices):
    ONLINE = "online", _("online")
    OFFLINE = "offline", _("face to face")


class Language(models.TextChoices):
    NL = "nl", _("Dutch")
    EN = "en", _("English")
    FR = "fr", _("French")
    AR = "ar", _("Arabic")
    TR = "tr", _("Turkish")
    BER = "ber", _("Berber")
    PL = "pl", _("Polish")
    RO = "ro", _("Romanian")
    ES = "es", _("Spanish")
    UK = "uk", _("Ukrainian")
    RU = "ru", _("Russian")
    SO = "so", _("Somali")


# Levels 1..12: P1..P6, S1..S6 (the engine's ordinal scale).
LEVELS = [(i, f"P{i}") for i in range(1, 7)] + [(6 + i, f"S{i}") for i in range(1, 7)]


WEIGHT_KEYS = ("subject", "level", "distance", "language", "quality")

# An initiative's rules: which pupils its tutors may take (``Initiative.rules``; the engine's ``Rules``).
# "open": also pupils whose school asked another initiative; the lists restrict (empty: no restriction).
RULE_KEYS = ("open", "age_groups", "subjects", "districts")


# A need's priority as the pages show it: a tier, never the number the engine ranks by. The cut-offs
# are fixed: priority 1 (EWS band high, or medium raised by OKI or a long wait) is high, 2 medium, 3 and
# above low. It is recomputed at every matching run (matching.services.run_priorities).
PRIORITY_TIERS = {1: _("high"), 2: _("medium"), 3: _("low")}


def priority_tier(priority) -> str:
    """The tier of a priority (1 high .. 3 low) as a label; the lowest tier for anything past the cut-offs."""
    try:
        value = int(priority)
    except (TypeError, ValueError):
        return ""
    return str(PRIORITY_TIERS[1] if value <= 1 else PRIORITY_TIERS[2] if value == 2 else PRIORITY_TIERS[3])
