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
