"""Learning-gain tests: instruments per domain and test moment, and pupils' scale scores.

An ``Instrument`` is one test (e.g. ``LGT-NL-12``, the learning-gain test of Dutch at 12) with the
scale its scores are on (``scale_version``) and the range of that scale. The instruments of one
domain share a vertical scale, so a later score minus an earlier one is a learning gain.

A ``TestResult`` is one pupil's scale score on one instrument on one date (the natural key of the
import). It keeps the scale version it was scored on: a renormed instrument gets a new version and
old results stay comparable with their own norm group only. Norm bands (quintiles) are computed
from the population of results (``selectors.norms``), not stored.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from leerloopbaan.assessments.engine.subjects import SUBJECTS_OF_DOMAIN
from leerloopbaan.kernel.access import PersonQuerySet


class Domain(models.TextChoices):
    DUTCH = "dutch", _("Dutch language")
    READING = "reading", _("reading")
    MATHS = "maths", _("mathematics")


class Moment(models.TextChoices):
    """Test moments: the city's ages 6, 12 and 18, and the moments of the Flemish central tests."""

    AGE6 = "age6", _("age 6")
    P4 = "P4", _("end of P4")
    P6 = "P6", _("end of P6")
    AGE12 = "age12", _("age 12")
    S2 = "S2", _("end of S2")
    S6 = "S6", _("end of S6")
    AGE18 = "age18", _("age 18")


# Moments in the order a pupil meets them (the x axis of a growth curve).
MOMENT_ORDER = [m.value for m in Moment]

# Tutoring subjects that count as tutoring in a domain (growth of tutored pupils; remediation).
RELATED_SUBJECTS = SUBJECTS_OF_DOMAIN


class Instrument(models.Model):
    code = models.CharField(_("code"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=200)
    domain = models.CharField(_("domain"), max_length=10, choices=Domain.choices)
    moment = models.CharField(_("test moment"), max_length=10, choices=Moment.choices)
    scale_version = models.CharField(_("scale version"), max_length=20)
    score_min = models.FloatField(_("lowest scale score"))
    score_max = models.FloatField(_("highest scale score"))
    description = models.TextField(_("description"), max_length=2000, blank=True)
    active = models.BooleanField(_("in use"), default=True)

    class Meta:
        verbose_name = _("test instrument")
        verbose_name_plural = _("test instruments")
        ordering = ["domain", "code"]
        constraints = [
            models.CheckConstraint(condition=Q(domain__in=Domain.values), name="instrument_domain_known"),
            models.CheckConstraint(condition=Q(moment__in=Moment.values), name="instrument_moment_known"),
            models.CheckConstraint(condition=Q(score_min__lt=F("score_max")), name="instrument_score_range"),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    @property
    def moment_rank(self) -> int:
        return MOMENT_ORDER.index(self.moment)


class TestResultQuerySet(PersonQuerySet):
    def visible_to(self, actor) -> TestResultQuerySet:
        """The results of the pupils ``actor`` may see (``assessments.selectors.test_result_scope``)."""
        from leerloopbaan.assessments.selectors import test_result_scope

        return test_result_scope(actor, self)


class TestResult(models.Model):
    """A pupil's scale score on an instrument on a date (imported or entered by school staff)."""

    __test__ = False  # not a pytest test class

    class Source(models.TextChoices):
        IMPORT = "import", _("import")
        ENTRY = "entry", _("entered on the page")

    # One index besides the primary key, the unique (pupil, date, instrument): reads are per pupil,
    # norms scan the whole table; every extra index costs each bulk import (docs/data-import.md).
    pupil = models.ForeignKey("registry.Pupil", on_delete=models.CASCADE, related_name="test_results", verbose_name=_("pupil"),
                              db_index=False)
    instrument = models.ForeignKey(Instrument, on_delete=models.PROTECT, related_name="results", verbose_name=_("instrument"),
                                   db_index=False)
    date = models.DateField(_("date"))
    scale_score = models.FloatField(_("scale score"))
    scale_version = models.CharField(_("scale version"), max_length=20)
    source = models.CharField(_("source"), max_length=10, choices=Source.choices, default=Source.IMPORT)
    entered_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                                   db_index=False)
    created_at = models.DateTimeField(_("recorded on"), default=timezone.now)
    updated_at = models.DateTimeField(_("changed on"), default=timezone.now)

    objects = TestResultQuerySet.as_manager()

    class Meta:
        verbose_name = _("test result")
        verbose_name_plural = _("test results")
        ordering = ["pupil", "date", "instrument"]
        constraints = [
            models.UniqueConstraint(fields=["pupil", "date", "instrument"], name="test_result_natural_key"),
            models.CheckConstraint(condition=Q(source__in=["import", "entry"]), name="test_result_source_known"),
        ]
