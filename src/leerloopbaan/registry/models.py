"""The pupil registry: schools, pupils under a pseudonymous key, enrolments, absences, attestations.

The vocabulary and the constraints are those of shared/spec/data-format.md. The national number is
never stored: a pupil is known by ``pupil_key`` (HMAC-SHA256, see leerloopbaan.kernel.pseudonym).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Now
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from leerloopbaan.kernel.access import PersonQuerySet
from leerloopbaan.registry.vocabulary import (  # noqa: F401 (the vocabulary, re-exported for older imports)
    GRADES,
    SECONDARY_GRADES,
    AbsenceCode,
    District,
    EndReason,
    HalfDay,
    Level,
    Network,
    Qualification,
    Result,
    Sex,
    Track,
)


def recorded_at_field():
    """When a row entered the platform: set on insert (by the import, in one moment per import; the
    database fills it for any other insert), never changed by a later import. Time-true backtests of the early warning
    cut the registry to what was known on a date by it (docs/data-import.md). Only a history load
    may move it earlier, to when the source knew the row (``registry/history.py``)."""
    return models.DateTimeField(_("recorded"), default=timezone.now, db_default=Now(), editable=False)


def changed_at_field():
    """When an import last changed the row (its recorded time until then)."""
    return models.DateTimeField(_("last changed"), default=timezone.now, db_default=Now(), editable=False)


class Clb(models.Model):
    """A pupil guidance centre (centrum voor leerlingenbegeleiding)."""

    name = models.CharField(_("name"), max_length=200, unique=True)

    class Meta:
        verbose_name = _("CLB")
        verbose_name_plural = _("CLBs")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class School(models.Model):
    school_number = models.CharField(_("school number"), max_length=6, unique=True)
    name = models.CharField(_("name"), max_length=200)
    network = models.CharField(_("network"), max_length=10, choices=Network.choices)
    level = models.CharField(_("level"), max_length=20, choices=Level.choices)
    district = models.CharField(_("district"), max_length=40, choices=District.choices)
    postcode = models.CharField(_("postcode"), max_length=4, blank=True)
    clb = models.ForeignKey(Clb, null=True, blank=True, on_delete=models.PROTECT, related_name="schools", verbose_name=_("CLB"))
    board = models.CharField(_("school board"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("school")
        verbose_name_plural = _("schools")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(condition=Q(network__in=Network.values), name="school_network_known"),
            models.CheckConstraint(condition=Q(level__in=Level.values), name="school_level_known"),
            models.CheckConstraint(condition=Q(district__in=District.values), name="school_district_known"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.school_number})"


class PupilQuerySet(PersonQuerySet):
    subject_path = "pupil_key"

    def visible_to(self, actor) -> PupilQuerySet:
        """The pupils ``actor`` may see (``registry.selectors.pupil_scope``: the rule per role)."""
        from leerloopbaan.registry.selectors import pupil_scope

        return pupil_scope(actor, self)


class PupilRecordQuerySet(PersonQuerySet):
    """Records of a pupil (enrolments, absences, attestations, characteristics): those of the pupils
    the actor may see. A pupil who left the actor's schools is cut at ``records_visible_until`` by
    the selectors that show the records (the cut depends on the pupil)."""

    def visible_to(self, actor) -> PupilRecordQuerySet:
        return self.filter(pupil__in=Pupil.objects.visible_to(actor))


class PupilNameQuerySet(PupilRecordQuerySet):
    def visible_to(self, actor) -> PupilNameQuerySet:
        from leerloopbaan.registry.selectors import names_visible

        if actor is None or not getattr(actor, "is_authenticated", False) or not names_visible(actor):
            return self.none()
        return super().visible_to(actor)


class PupilAccountLinkQuerySet(PupilRecordQuerySet):
    def visible_to(self, actor) -> PupilAccountLinkQuerySet:
        """A young person's or parent's own links (to find their pupil), never anyone else's."""
        if actor is None or not getattr(actor, "is_authenticated", False):
            return self.none()
        return self.filter(user=actor)


class Pupil(models.Model):
    """A pupil, known only by the pseudonymous key. Names live in PupilName."""

    pupil_key = models.CharField(_("pupil key"), max_length=64, unique=True)
    birth_date = models.DateField(_("birth date"))
    sex = models.CharField(_("sex"), max_length=1, choices=Sex.choices)
    postcode = models.CharField(_("postcode"), max_length=4, blank=True)

    objects = PupilQuerySet.as_manager()

    class Meta:
        verbose_name = _("pupil")
        verbose_name_plural = _("pupils")
        constraints = [models.CheckConstraint(condition=Q(sex__in=Sex.values), name="pupil_sex_known")]

    def __str__(self) -> str:
        return self.pupil_key[:12]

    @property
    def short_key(self) -> str:
        return self.pupil_key[:10]


class PupilName(models.Model):
    """A pupil's name: only for the staff of a school the pupil is or was enrolled in."""

    pupil = models.OneToOneField(Pupil, on_delete=models.CASCADE, primary_key=True, related_name="name")
    first_name = models.CharField(_("first name"), max_length=100, blank=True)
    last_name = models.CharField(_("last name"), max_length=100, blank=True)

    objects = PupilNameQuerySet.as_manager()

    class Meta:
        verbose_name = _("pupil name")
        verbose_name_plural = _("pupil names")

    def __str__(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()


class PupilCharacteristics(models.Model):
    """The four OKI characteristics (and residence) registered on ``as_of``; rows add history."""

    pupil = models.ForeignKey(Pupil, on_delete=models.CASCADE, related_name="characteristics")
    as_of = models.DateField(_("registered on"))
    postcode = models.CharField(_("postcode"), max_length=4, blank=True)
    home_language_not_dutch = models.BooleanField(_("home language not Dutch"))
    mother_low_education = models.BooleanField(_("mother without secondary diploma"))
    school_allowance = models.BooleanField(_("school allowance"))
    neighbourhood_high_delay = models.BooleanField(_("neighbourhood with high school delay"))
    recorded_at = recorded_at_field()

    objects = PupilRecordQuerySet.as_manager()

    class Meta:
        verbose_name = _("pupil characteristics")
        verbose_name_plural = _("pupil characteristics")
        constraints = [models.UniqueConstraint(fields=["pupil", "as_of"], name="characteristics_once_per_date")]
        ordering = ["pupil", "as_of"]

    @property
    def oki(self) -> int:
        return int(self.home_language_not_dutch) + int(self.mother_low_education) + int(self.school_allowance) + int(
            self.neighbourhood_high_delay
        )


class Enrolment(models.Model):
    pupil = models.ForeignKey(Pupil, on_delete=models.CASCADE, related_name="enrolments")
    school = models.ForeignKey(School, on_delete=models.PROTECT, related_name="enrolments")
    school_year = models.CharField(_("school year"), max_length=9, db_index=True)
    start_date = models.DateField(_("start"))
    end_date = models.DateField(_("end"), null=True, blank=True)
    grade = models.CharField(_("grade"), max_length=2)
    stream = models.CharField(_("stream"), max_length=1, blank=True)
    track = models.CharField(_("track"), max_length=12, blank=True)
    class_group = models.CharField(_("class"), max_length=20, blank=True, default="", db_default="")  # the school's own class label (3B, 5 ECWI)
    dual = models.BooleanField(_("dual learning"), default=False)
    programme = models.CharField(_("study programme"), max_length=200, blank=True)
    end_reason = models.CharField(_("end reason"), max_length=20, blank=True)
    recorded_at = recorded_at_field()
    changed_at = changed_at_field()

    objects = PupilRecordQuerySet.as_manager()

    class Meta:
        verbose_name = _("enrolment")
        verbose_name_plural = _("enrolments")
        ordering = ["pupil", "start_date"]
        constraints = [
            models.UniqueConstraint(fields=["pupil", "school", "school_year", "start_date"], name="enrolment_natural_key"),
            models.CheckConstraint(condition=Q(end_date__isnull=True) | Q(end_date__gte=F("start_date")), name="enrolment_end_after_start"),
            models.CheckConstraint(condition=Q(grade__in=GRADES), name="enrolment_grade_known"),
            models.CheckConstraint(condition=Q(stream__in=["", "A", "B"]), name="enrolment_stream_known"),
            models.CheckConstraint(condition=Q(track__in=["", *Track.values]), name="enrolment_track_known"),
            models.CheckConstraint(condition=Q(end_reason__in=["", *EndReason.values]), name="enrolment_end_reason_known"),
        ]
        # Overlapping enrolments of one pupil are refused by the database too: an exclusion
        # constraint on PostgreSQL, a trigger on SQLite (migration 0002).
        indexes = [models.Index(fields=["school", "school_year"], name="enrolment_school_year")]


class Absence(models.Model):
    """One half day on which a pupil was absent. At Flemish scale this is the big table (see docs)."""

    # No single-column indexes on the foreign keys: the unique (pupil, date, half_day) and the
    # (school, date) indexes serve those lookups, and every index costs the bulk import time.
    pupil = models.ForeignKey(Pupil, on_delete=models.CASCADE, related_name="absences", db_index=False)
    school = models.ForeignKey(School, on_delete=models.PROTECT, related_name="absences", db_index=False)
    date = models.DateField(_("date"))
    half_day = models.CharField(_("half day"), max_length=2, choices=HalfDay.choices)
    code = models.CharField(_("code"), max_length=1, choices=AbsenceCode.choices)
    recorded_at = recorded_at_field()

    objects = PupilRecordQuerySet.as_manager()

    class Meta:
        verbose_name = _("absence")
        verbose_name_plural = _("absences")
        constraints = [
            models.UniqueConstraint(fields=["pupil", "date", "half_day"], name="absence_once_per_half_day"),
            models.CheckConstraint(condition=Q(code__in=AbsenceCode.values), name="absence_code_known"),
            models.CheckConstraint(condition=Q(half_day__in=HalfDay.values), name="absence_half_day_known"),
        ]
        # No (school, date) index: absences are read per pupil (the unique index serves that) and
        # school figures go through the school's enrolments to its pupils; each index on this
        # table costs every bulk import a rebuild (docs/data-import.md).


class Attestation(models.Model):
    """End-of-year result of a pupil in a school year, with the qualification obtained if any."""

    pupil = models.ForeignKey(Pupil, on_delete=models.CASCADE, related_name="attestations")
    school = models.ForeignKey(School, on_delete=models.PROTECT, related_name="attestations")
    school_year = models.CharField(_("school year"), max_length=9, db_index=True)
    grade = models.CharField(_("grade"), max_length=2)
    result = models.CharField(_("result"), max_length=12, choices=Result.choices)
    qualification = models.CharField(_("qualification"), max_length=30, blank=True, choices=Qualification.choices)
    recorded_at = recorded_at_field()
    changed_at = changed_at_field()

    objects = PupilRecordQuerySet.as_manager()

    class Meta:
        verbose_name = _("attestation")
        verbose_name_plural = _("attestations")
        constraints = [
            models.UniqueConstraint(fields=["pupil", "school_year"], name="attestation_once_per_year"),
            models.CheckConstraint(condition=Q(result__in=Result.values), name="attestation_result_known"),
            models.CheckConstraint(condition=Q(qualification__in=["", *Qualification.values]), name="attestation_qualification_known"),
            models.CheckConstraint(condition=Q(grade__in=GRADES), name="attestation_grade_known"),
        ]


class ImportRun(models.Model):
    """One import of a data set: who, when, which files (name and SHA-256), what it did."""

    class Status(models.TextChoices):
        RUNNING = "running", _("running")
        DONE = "done", _("imported")
        CHECKED = "checked", _("checked (dry run)")
        REFUSED = "refused", _("refused")
        FAILED = "failed", _("failed")

    started_at = models.DateTimeField(_("started"), default=timezone.now)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, verbose_name=_("by"))
    source = models.CharField(_("source"), max_length=20, default="command")
    files = models.JSONField(_("files"), default=list)
    counts = models.JSONField(_("counts"), default=dict)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.RUNNING)
    dry_run = models.BooleanField(_("dry run"), default=False)
    report = models.JSONField(_("report"), default=list, blank=True)
    # rows of school staff held for the city (a conflict with another school's enrolment): file, kind,
    # pupil key and values (never a national number, never a name); shown to city analysts and admins only
    held = models.JSONField(_("held for the city"), default=list, blank=True)

    class Meta:
        verbose_name = _("import")
        verbose_name_plural = _("imports")
        ordering = ["-started_at"]


class RecordChange(models.Model):
    """History of a registry row that a later import corrected: the values before and after."""

    import_run = models.ForeignKey(ImportRun, on_delete=models.PROTECT, related_name="changes")
    table = models.CharField(_("table"), max_length=40)
    natural_key = models.CharField(_("record"), max_length=200)
    before = models.JSONField(_("before"))
    after = models.JSONField(_("after"))
    at = models.DateTimeField(_("time"), default=timezone.now)

    class Meta:
        verbose_name = _("record change")
        verbose_name_plural = _("record changes")
        indexes = [models.Index(fields=["table", "natural_key"], name="recordchange_key")]


class PupilAccountLink(models.Model):
    """Ties a login to a pupil: the young person themself, or a parent/guardian."""

    class Relation(models.TextChoices):
        SELF = "self", _("self")
        PARENT = "parent", _("parent or guardian")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="pupil_links")
    pupil = models.ForeignKey(Pupil, on_delete=models.CASCADE, related_name="account_links")
    relation = models.CharField(_("relation"), max_length=10, choices=Relation.choices)

    objects = PupilAccountLinkQuerySet.as_manager()

    class Meta:
        verbose_name = _("pupil account link")
        verbose_name_plural = _("pupil account links")
        constraints = [models.UniqueConstraint(fields=["user", "pupil"], name="pupil_link_once")]
