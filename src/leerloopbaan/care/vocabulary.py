"""The support network's vocabulary: the early-warning predictors an offer works on, offer levels.

Words, not anybody's data: forms and views take them from here (they never import the person models)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Predictor(models.TextChoices):
    ABSENCE = "absence", _("absence")
    RESULTS = "results", _("results and delay")
    SCHOOL_CHANGES = "school_changes", _("school changes")
    WELLBEING = "wellbeing", _("wellbeing")
    LANGUAGE = "language", _("language")
    OTHER = "other", _("other")


class OfferLevel(models.TextChoices):
    PUPIL = "pupil", _("pupil")
    CLASS = "class", _("class or group")
    SCHOOL = "school", _("school")
