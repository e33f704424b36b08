"""Early warning: trained models, scores per pupil per reference date, follow-ups, portrait notes."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from leerloopbaan.kernel.access import PersonQuerySet

BASELINE_MODEL = "rule"


class ModelRunQuerySet(models.QuerySet):
    def newest_first(self) -> ModelRunQuerySet:
        return self.order_by("-created_at", "-pk")

    def active(self) -> ModelRun | None:
        """The run that scores: the latest approved candidate, else the latest rule baseline, else None."""
        runs = self.newest_first()
        for run in runs.filter(approved=True).exclude(model_name=BASELINE_MODEL):
            if run.is_approved:
                return run
        return runs.filter(model_name=BASELINE_MODEL).first()

    def that_may_score(self) -> list[int]:
        """The ids of the runs whose scores may be shown: approved candidates and rule baselines (scores
        of an unapproved run, from before approval was enforced, are never shown)."""
        return [run.pk for run in self.filter(Q(approved=True) | Q(model_name=BASELINE_MODEL)) if run.may_score]


class ModelRun(models.Model):
    """One training run: the chosen model, its validation report and fairness verdict; or the rule
    baseline stored beside it (``model_name`` "rule"), which scores while no model is approved.

    Only an approved candidate or the rule baseline may score (``may_score``); an unapproved run
    never does (``ews.services.active_run``)."""

    version = models.CharField(_("version"), max_length=40, unique=True)
    created_at = models.DateTimeField(_("trained on"), default=timezone.now)
    trained_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    model_name = models.CharField(_("model"), max_length=40)
    path = models.CharField(_("model file"), max_length=300)
    report = models.JSONField(_("validation report"), default=dict)
    approved = models.BooleanField(_("approved by the fairness audit"), default=False)
    reasons = models.JSONField(_("why not approved"), default=list, blank=True)

    objects = ModelRunQuerySet.as_manager()

    class Meta:
        verbose_name = _("model run")
        verbose_name_plural = _("model runs")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.version

    @property
    def release(self) -> dict:
        """The release verdict of the training (approved, reasons, approved_on, the precision and recall
        at the operating point, fairness "passed"/"failed", ...); empty for runs from before it."""
        release = (self.report or {}).get("release")
        return release if isinstance(release, dict) else {}

    @property
    def is_baseline(self) -> bool:
        return self.model_name == BASELINE_MODEL

    @property
    def is_approved(self) -> bool:
        """An approved candidate: approved by its training, and not refused by its release verdict."""
        return bool(self.approved) and not self.is_baseline and self.release.get("approved", True) is not False

    @property
    def may_score(self) -> bool:
        return self.is_approved or self.is_baseline


class RiskScoreQuerySet(PersonQuerySet):
    def visible_to(self, actor) -> RiskScoreQuerySet:
        """Scores given while the pupil was in one of the actor's schools (``ews.selectors.score_scope``)."""
        from leerloopbaan.ews.selectors import score_scope

        return score_scope(actor, self)

    def that_may_show(self) -> RiskScoreQuerySet:
        """Scores of the runs that may score (approved candidates and rule baselines): every reader of
        stored scores (pages, tutoring priority, care effects, monitoring) goes through it, so the
        scores an unapproved run kept from before approval was enforced reach no one."""
        return self.filter(model_run_id__in=ModelRun.objects.that_may_score())


class FollowUpQuerySet(PersonQuerySet):
    def visible_to(self, actor) -> FollowUpQuerySet:
        """Follow-ups recorded by the actor's schools, of pupils the actor may see scores of."""
        from leerloopbaan.ews.selectors import follow_up_scope

        return follow_up_scope(actor, self)


class RiskScore(models.Model):
    """A pupil's risk on a reference date, from one model run, with the reasons behind it."""

    class Band(models.TextChoices):
        LOW = "low", _("low")
        MEDIUM = "medium", _("medium")
        HIGH = "high", _("high")

    pupil = models.ForeignKey("registry.Pupil", on_delete=models.CASCADE, related_name="risk_scores")
    school = models.ForeignKey("registry.School", on_delete=models.PROTECT, related_name="risk_scores")
    reference_date = models.DateField(_("reference date"))
    model_run = models.ForeignKey(ModelRun, on_delete=models.CASCADE, related_name="scores")
    risk = models.FloatField(_("risk"))
    band = models.CharField(_("band"), max_length=6, choices=Band.choices)
    # [{"area": ..., "text_nl": ..., "text_en": ..., "contribution": ..., "points": ...}], school-facing only
    reasons = models.JSONField(_("reasons"), default=list)
    # the uncertainty interval of the risk (bootstrap replicates of the model; empty for models without)
    risk_low = models.FloatField(_("risk, lower bound"), null=True, blank=True)
    risk_high = models.FloatField(_("risk, upper bound"), null=True, blank=True)
    uncertain_band = models.BooleanField(_("band uncertain"), default=False,
                                         help_text=_("The interval of the risk reaches into another band."))
    # {"base": %, "total": %, "parts": [[area, points], ...]}: the shown numbers add up (engine.explain)
    breakdown = models.JSONField(_("how the risk adds up"), default=dict, blank=True)
    grade = models.CharField(_("grade"), max_length=2, blank=True)
    track = models.CharField(_("track"), max_length=12, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    objects = RiskScoreQuerySet.as_manager()

    class Meta:
        verbose_name = _("risk score")
        verbose_name_plural = _("risk scores")
        constraints = [models.UniqueConstraint(fields=["pupil", "reference_date", "model_run"], name="score_once_per_run_and_date")]
        indexes = [models.Index(fields=["school", "reference_date"], name="score_school_date"),
                   models.Index(fields=["pupil", "reference_date"], name="score_pupil_date")]


class FollowUp(models.Model):
    """What a school did after seeing a pupil on the risk list."""

    class Kind(models.TextChoices):
        CONVERSATION = "conversation", _("conversation with the pupil or parents")
        CLB = "clb", _("involved the CLB")
        SUPPORT_REQUEST = "support_request", _("support request")
        NO_ACTION = "no_action", _("no action needed")
        OTHER = "other", _("other")

    pupil = models.ForeignKey("registry.Pupil", on_delete=models.CASCADE, related_name="follow_ups")
    school = models.ForeignKey("registry.School", on_delete=models.PROTECT)
    score = models.ForeignKey(RiskScore, null=True, blank=True, on_delete=models.SET_NULL)
    kind = models.CharField(_("what was done"), max_length=20, choices=Kind.choices)
    note = models.TextField(_("note"), blank=True, max_length=2000)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL)
    at = models.DateTimeField(default=timezone.now)

    objects = FollowUpQuerySet.as_manager()

    class Meta:
        verbose_name = _("follow-up")
        verbose_name_plural = _("follow-ups")
        ordering = ["-at"]


class PortraitComment(models.Model):
    """The school's own comment on its portrait of a school year."""

    school = models.ForeignKey("registry.School", on_delete=models.CASCADE)
    school_year = models.CharField(_("school year"), max_length=9)
    text = models.TextField(_("comment"), max_length=4000, blank=True)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("portrait comment")
        verbose_name_plural = _("portrait comments")
        constraints = [models.UniqueConstraint(fields=["school", "school_year"], name="portrait_comment_once")]


class DriftBaseline(models.Model):
    """The training distribution of a model run's features, binned once for the Population Stability
    Index (``ews.city.monitoring``): per feature the inner bin edges and the share of training rows in
    each bin (the last bin holds the rows where the feature is unknown). City-wide shares, no pupil."""

    model_run = models.OneToOneField(ModelRun, on_delete=models.CASCADE, related_name="drift_baseline")
    rows = models.PositiveIntegerField(_("training rows"))
    bins = models.JSONField(_("bins per feature"), default=dict)  # {feature: {"edges": [...], "shares": [...]}}
    built_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("drift baseline")
        verbose_name_plural = _("drift baselines")


class FeatureDrift(models.Model):
    """After a finished import: how far the distribution of each model feature in the population
    scored that day moved from the training distribution of the model run (PSI per feature)."""

    import_run = models.ForeignKey("registry.ImportRun", on_delete=models.CASCADE, related_name="feature_drifts")
    model_run = models.ForeignKey(ModelRun, on_delete=models.CASCADE, related_name="feature_drifts")
    reference_date = models.DateField(_("reference date"))
    population = models.PositiveIntegerField(_("pupils"))
    psi = models.JSONField(_("PSI per feature"), default=dict)  # {feature: psi}
    shares = models.JSONField(_("shares per bin"), default=dict)  # {feature: [share per bin of the baseline]}
    measured_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("feature drift")
        verbose_name_plural = _("feature drifts")
        ordering = ["-reference_date", "-pk"]
        constraints = [models.UniqueConstraint(fields=["import_run", "model_run"], name="drift_once_per_import_and_run")]
