"""Tutoring: initiatives, the shared tutor pool (sign-up, screening, training, profile), pupils'
tutoring needs, matching runs, matches with their lifecycle, peer reviews and check-ins.

One pool, one screening standard, one matching engine (``tutoring/engine``) for every initiative
in the city. A tutor only ever sees the first name and the needs of the pupils matched to them;
priority (EWS band, OKI, waiting time; recomputed at every run) feeds the engine and is never shown to a tutor.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from leerloopbaan.kernel.access import PersonQuerySet
from leerloopbaan.registry.vocabulary import District
from leerloopbaan.tutoring.vocabulary import (  # noqa: F401 (the vocabulary, re-exported for older imports)
    LEVELS,
    RULE_KEYS,
    WEIGHT_KEYS,
    AgeGroup,
    Language,
    Mode,
    Subject,
    priority_tier,
)


class Initiative(models.Model):
    """A tutoring programme (a higher-education tutoring project, a company volunteering programme,
    the city's own). Own coordinators, criteria weights and capacity; shared pool and engine."""

    class Kind(models.TextChoices):
        HIGHER_EDUCATION = "higher_education", _("higher-education tutoring project")
        COMPANY = "company", _("company volunteering programme")
        VOLUNTEER = "volunteer", _("volunteer organisation")
        CITY = "city", _("city programme")

    name = models.CharField(_("name"), max_length=200, unique=True)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    organisation = models.ForeignKey("accounts.Organisation", null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="tutoring_initiatives", verbose_name=_("organisation"))
    description = models.TextField(_("description"), max_length=4000, blank=True)
    capacity = models.PositiveIntegerField(_("capacity (active matches)"), null=True, blank=True)
    # criteria weights for the match quality score, keys as the engine's Weights
    weights = models.JSONField(_("criteria weights"), default=dict, blank=True)
    # which pupils its tutors may take, keys RULE_KEYS (the engine's Rules); {}: only the needs that asked it
    rules = models.JSONField(_("rules (which pupils it takes)"), default=dict, blank=True)
    coordinators = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="coordinated_initiatives",
                                          verbose_name=_("coordinators"))
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created on"), default=timezone.now)
    version = models.PositiveIntegerField(default=1)  # optimistic locking of the coordinators' settings page

    class Meta:
        verbose_name = _("tutoring initiative")
        verbose_name_plural = _("tutoring initiatives")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def clean(self):
        super().clean()
        errors = {}
        problems = weights_problems(self.weights)
        if problems:
            errors["weights"] = problems
        problems = rules_problems(self.rules)
        if problems:
            errors["rules"] = problems
        if errors:
            raise ValidationError(errors)


def rules_problems(rules) -> list[str]:
    """What is wrong with an initiative's rules ([] when they are fine; {} means: only the needs that asked it).

    Keys: "open" (true or false), "age_groups", "subjects", "districts" (lists of their values)."""
    if rules in (None, {}):
        return []
    if not isinstance(rules, dict):
        return [str(_("The rules must be a mapping, for example {\"open\": true, \"age_groups\": [\"primary\"]}."))]
    problems = []
    unknown = sorted(set(rules) - set(RULE_KEYS))
    if unknown:
        problems.append(str(_("Unknown rules: %(keys)s.")) % {"keys": ", ".join(map(str, unknown))})
    if not isinstance(rules.get("open", False), bool):
        problems.append(str(_("The rule \"open\" must be true or false.")))
    for key, allowed in (("age_groups", AgeGroup.values), ("subjects", Subject.values), ("districts", District.values)):
        values = rules.get(key, [])
        if not isinstance(values, list) or any(v not in allowed for v in values):
            problems.append(str(_("The rule %(key)s must be a list of: %(allowed)s.")) % {"key": key, "allowed": ", ".join(allowed)})
    return problems


def weights_problems(weights) -> list[str]:
    """What is wrong with an initiative's criteria weights ([] when they are fine; {} means the defaults).

    Keys: subject, level, distance, language, quality; each an integer >= 0; at least one above 0."""
    if weights in (None, {}):
        return []
    if not isinstance(weights, dict):
        return [str(_("The criteria weights must be a mapping of criterion to weight."))]
    problems = []
    unknown = sorted(set(weights) - set(WEIGHT_KEYS))
    if unknown:
        problems.append(str(_("Unknown criteria: %(keys)s.")) % {"keys": ", ".join(map(str, unknown))})
    for key in WEIGHT_KEYS:
        value = weights.get(key, 0)
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            problems.append(str(_("The weight of %(key)s must be a whole number of 0 or more.")) % {"key": key})
    if not problems and not any(weights.get(k, 0) > 0 for k in WEIGHT_KEYS):
        problems.append(str(_("At least one criterion needs a weight above 0.")))
    return problems


class TutorQuerySet(PersonQuerySet):
    subject_type = "tutor"
    subject_path = "pk"
    subject_prefix = "tutor:"

    def visible_to(self, actor) -> TutorQuerySet:
        """The tutors ``actor`` may see (``tutoring.tutors.selectors.tutor_scope``)."""
        from leerloopbaan.tutoring.tutors.selectors import tutor_scope

        return tutor_scope(actor, self)


class TutorPartQuerySet(PersonQuerySet):
    """Screening, decisions, training and reviews of a tutor: those of the tutors the actor may see."""

    subject_type = "tutor"
    subject_path = "tutor_id"
    subject_prefix = "tutor:"

    def visible_to(self, actor) -> TutorPartQuerySet:
        return self.filter(tutor__in=Tutor.objects.visible_to(actor))


class NeedQuerySet(PersonQuerySet):
    def visible_to(self, actor) -> NeedQuerySet:
        """The needs ``actor`` may see (``tutoring.matching.selectors.need_scope``)."""
        from leerloopbaan.tutoring.matching.selectors import need_scope

        return need_scope(actor, self)


class MatchQuerySet(PersonQuerySet):
    subject_path = "need.pupil.pupil_key"

    def visible_to(self, actor) -> MatchQuerySet:
        """The matches ``actor`` may see (``tutoring.matching.selectors.match_visible``)."""
        from leerloopbaan.tutoring.matching.selectors import match_visible

        return match_visible(actor, self)


class CheckInQuerySet(PersonQuerySet):
    subject_path = "match.need.pupil.pupil_key"

    def visible_to(self, actor) -> CheckInQuerySet:
        return self.filter(match__in=Match.objects.visible_to(actor))


class ExclusionQuerySet(PersonQuerySet):
    """A pair never to be matched again: for those who may see the need."""

    subject_path = "need.pupil.pupil_key"

    def visible_to(self, actor) -> ExclusionQuerySet:
        return self.filter(need__in=TutoringNeed.objects.visible_to(actor))


class Tutor(models.Model):
    """A person in the shared tutor pool, from sign-up to leaving."""

    class Kind(models.TextChoices):
        VOLUNTEER = "volunteer", _("volunteer (resident)")
        STUDENT = "student", _("student of a higher-education institution")
        EMPLOYEE = "employee", _("employee of a company")

    class Status(models.TextChoices):
        APPLIED = "applied", _("signed up")
        SCREENING = "screening", _("in screening")
        TRAINING = "training", _("in training")
        ACTIVE = "active", _("active")
        PAUSED = "paused", _("paused")
        LEFT = "left", _("left")
        REJECTED = "rejected", _("not admitted")

    initiative = models.ForeignKey(Initiative, on_delete=models.PROTECT, related_name="tutors", verbose_name=_("initiative"))
    user = models.OneToOneField(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="tutor_profile", verbose_name=_("account"))
    first_name = models.CharField(_("first name"), max_length=100)
    last_name = models.CharField(_("last name"), max_length=100)
    email = models.EmailField(_("e-mail address"))
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    kind = models.CharField(_("I am"), max_length=20, choices=Kind.choices)
    institution = models.CharField(_("institution or company"), max_length=200, blank=True)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.APPLIED, db_index=True)
    # profile (JSON lists of choice values)
    languages = models.JSONField(_("languages"), default=list)
    subjects = models.JSONField(_("subjects (strongest first)"), default=list)
    min_level = models.PositiveSmallIntegerField(_("from level"), default=1, validators=[MinValueValidator(1), MaxValueValidator(12)])
    max_level = models.PositiveSmallIntegerField(_("to level"), default=12, validators=[MinValueValidator(1), MaxValueValidator(12)])
    age_groups = models.JSONField(_("age groups"), default=list)
    language_support = models.BooleanField(_("can give Dutch language support"), default=False)
    slots = models.JSONField(_("weekly availability"), default=list)  # engine slot numbers 0..20
    modes = models.JSONField(_("online or face to face"), default=list)
    district = models.CharField(_("district"), max_length=40, blank=True)
    postcode = models.CharField(_("postcode"), max_length=4, blank=True)
    travel_km = models.DecimalField(_("travel radius (km)"), max_digits=4, decimal_places=1, default=5)
    capacity = models.PositiveSmallIntegerField(_("pupils at a time"), default=1, validators=[MinValueValidator(1), MaxValueValidator(3)])
    conflict_schools = models.ManyToManyField("registry.School", blank=True, related_name="+",
                                              verbose_name=_("schools with a conflict of interest"))
    motivation = models.TextField(_("motivation"), max_length=2000, blank=True)
    signed_up_at = models.DateTimeField(_("signed up on"), default=timezone.now)
    approved_at = models.DateTimeField(_("admitted on"), null=True, blank=True)
    left_at = models.DateTimeField(_("left on"), null=True, blank=True)
    left_reason = models.CharField(_("reason for leaving"), max_length=300, blank=True)
    # status changes: [{"at": iso datetime, "by": user id or None, "from": status, "to": status, "note": str}]
    history = models.JSONField(_("history"), default=list, blank=True)
    version = models.PositiveIntegerField(default=1)  # optimistic locking: tutor and coordinator edit the same record

    objects = TutorQuerySet.as_manager()

    class Meta:
        verbose_name = _("tutor")
        verbose_name_plural = _("tutors")
        ordering = ["last_name", "first_name", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(min_level__lte=models.F("max_level")), name="tutor_level_range"),
            models.CheckConstraint(condition=Q(capacity__gte=1, capacity__lte=3), name="tutor_capacity_1_3"),
        ]

    def __str__(self) -> str:
        return f"{self.first_name} {self.last_name}"


class ScreeningItem(models.Model):
    """One line of the screening checklist, the same standard for every initiative.

    The certificate of good conduct (model 2) is recorded as checked with its date; the document
    itself is never stored."""

    class Item(models.TextChoices):
        INTERVIEW = "interview", _("intake interview")
        GOOD_CONDUCT = "good_conduct", _("certificate of good conduct, model 2 (seen, not stored)")
        REFERENCE = "reference", _("reference checked")
        CODE_OF_CONDUCT = "code_of_conduct", _("code of conduct signed")

    class Status(models.TextChoices):
        PENDING = "pending", _("to do")
        OK = "ok", _("in order")
        NOT_OK = "not_ok", _("not in order")

    tutor = models.ForeignKey(Tutor, on_delete=models.CASCADE, related_name="screening")
    item = models.CharField(_("item"), max_length=20, choices=Item.choices)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    evidence = models.CharField(_("evidence (what was seen, no documents)"), max_length=500, blank=True)
    document_date = models.DateField(_("date on the document"), null=True, blank=True)
    checked_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    checked_at = models.DateTimeField(_("checked on"), null=True, blank=True)

    objects = TutorPartQuerySet.as_manager()

    class Meta:
        verbose_name = _("screening item")
        verbose_name_plural = _("screening items")
        ordering = ["tutor", "item"]
        constraints = [models.UniqueConstraint(fields=["tutor", "item"], name="screening_item_once")]


class ScreeningDecision(models.Model):
    """The coordinator's decision after screening: admit (to training) or not, with a reason."""

    class Decision(models.TextChoices):
        APPROVE = "approve", _("admitted")
        REJECT = "reject", _("not admitted")

    tutor = models.ForeignKey(Tutor, on_delete=models.CASCADE, related_name="decisions")
    decision = models.CharField(_("decision"), max_length=10, choices=Decision.choices)
    reason = models.CharField(_("reason"), max_length=500, blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    decided_at = models.DateTimeField(_("decided on"), default=timezone.now)

    objects = TutorPartQuerySet.as_manager()

    class Meta:
        ordering = ["-decided_at", "-pk"]


class TrainingModule(models.Model):
    code = models.SlugField(_("code"), max_length=40, unique=True)
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), max_length=2000, blank=True)
    required = models.BooleanField(_("required before matching"), default=True)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("training module")
        verbose_name_plural = _("training modules")
        ordering = ["order", "code"]

    def __str__(self) -> str:
        return self.title


class TrainingCompletion(models.Model):
    tutor = models.ForeignKey(Tutor, on_delete=models.CASCADE, related_name="trainings")
    module = models.ForeignKey(TrainingModule, on_delete=models.PROTECT, related_name="completions")
    completed_on = models.DateField(_("completed on"), default=timezone.localdate)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    objects = TutorPartQuerySet.as_manager()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["tutor", "module"], name="training_once")]


class PeerReview(models.Model):
    """Review of a tutor by a coordinator or a fellow tutor; the mean feeds the match score."""

    class By(models.TextChoices):
        COORDINATOR = "coordinator", _("coordinator")
        TUTOR = "tutor", _("fellow tutor")

    tutor = models.ForeignKey(Tutor, on_delete=models.CASCADE, related_name="reviews")
    reviewer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    reviewer_kind = models.CharField(_("by"), max_length=12, choices=By.choices)
    score = models.PositiveSmallIntegerField(_("score (1-5)"), validators=[MinValueValidator(1), MaxValueValidator(5)])
    comment = models.TextField(_("comment"), max_length=2000, blank=True)
    created_at = models.DateTimeField(_("on"), default=timezone.now)

    objects = TutorPartQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [models.CheckConstraint(condition=Q(score__gte=1, score__lte=5), name="peer_review_score_1_5")]


class TutoringNeed(models.Model):
    """A pupil's need for a tutor, entered by school staff or the CLB with consent."""

    class Status(models.TextChoices):
        WAITING = "waiting", _("waiting for a tutor")
        MATCHED = "matched", _("matched")
        ENDED = "ended", _("ended")
        WITHDRAWN = "withdrawn", _("withdrawn")

    class ConsentBy(models.TextChoices):
        PUPIL = "pupil", _("the pupil")
        PARENT = "parent", _("a parent")

    pupil = models.ForeignKey("registry.Pupil", on_delete=models.CASCADE, related_name="tutoring_needs", verbose_name=_("pupil"))
    school = models.ForeignKey("registry.School", on_delete=models.PROTECT, related_name="tutoring_needs", verbose_name=_("school"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("entered on"), default=timezone.now)
    subject = models.CharField(_("subject"), max_length=20, choices=Subject.choices)
    level = models.PositiveSmallIntegerField(_("level"), choices=LEVELS)
    age_group = models.CharField(_("age group"), max_length=20, choices=AgeGroup.choices)
    language_support = models.BooleanField(_("needs Dutch language support"), default=False)
    languages = models.JSONField(_("languages the pupil can be tutored in"), default=list)
    home_language = models.CharField(_("home language"), max_length=5, blank=True)
    slots = models.JSONField(_("weekly availability"), default=list)
    modes = models.JSONField(_("online or face to face"), default=list)
    district = models.CharField(_("district"), max_length=40, blank=True)
    description = models.TextField(_("what the tutor should know (no diagnoses)"), max_length=1000, blank=True)
    # 1 highest .. 3 normal; from the EWS band, OKI and waiting time, recomputed at every matching run. Never shown to
    # tutors; coordinators see only its tier.
    priority = models.PositiveSmallIntegerField(_("priority"), default=3, validators=[MinValueValidator(1), MaxValueValidator(3)])
    # the initiatives the school asked: their coordinators see the need while it waits; their tutors (and those of
    # initiatives whose rules take pupils who asked another one) may be proposed in the city-wide matching
    initiatives = models.ManyToManyField(Initiative, blank=True, related_name="needs", verbose_name=_("initiatives asked"))
    consent_by = models.CharField(_("consent given by"), max_length=10, choices=ConsentBy.choices)
    consent_on = models.DateField(_("consent given on"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.WAITING, db_index=True)
    closed_at = models.DateTimeField(_("closed on"), null=True, blank=True)
    version = models.PositiveIntegerField(default=1)

    objects = NeedQuerySet.as_manager()

    class Meta:
        verbose_name = _("tutoring need")
        verbose_name_plural = _("tutoring needs")
        ordering = ["created_at", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(priority__gte=1, priority__lte=3), name="need_priority_1_3"),
            models.CheckConstraint(condition=Q(level__gte=1, level__lte=12), name="need_level_1_12"),
        ]

    @property
    def priority_tier(self) -> str:
        """The priority as pages show it: high, medium or low (never the number)."""
        return priority_tier(self.priority)


class MatchRun(models.Model):
    """One run of the engine: a draft that coordinators review and publish, or a simulation."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("draft")
        PUBLISHED = "published", _("published")
        DISCARDED = "discarded", _("discarded")
        SIMULATION = "simulation", _("simulation")

    initiative = models.ForeignKey(Initiative, null=True, blank=True, on_delete=models.PROTECT, related_name="runs",
                                   verbose_name=_("initiative"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("run on"), default=timezone.now)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.DRAFT)
    weights = models.JSONField(_("criteria weights"), default=dict)
    objective = models.JSONField(_("objective"), default=dict)
    stats = models.JSONField(_("statistics"), default=dict)
    unmatched = models.JSONField(_("needs left unmatched, with reasons"), default=list)
    published_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    published_at = models.DateTimeField(_("published on"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]


class Match(models.Model):
    """A tutor-pupil pair: proposed by a run, reviewed, active, ended (with a reason)."""

    class Status(models.TextChoices):
        PROPOSED = "proposed", _("proposed")
        REJECTED = "rejected", _("rejected by the coordinator")
        ACTIVE = "active", _("active")
        ENDED = "ended", _("ended")

    class EndReason(models.TextChoices):
        GOAL_REACHED = "goal_reached", _("goal reached")
        SCHOOL_YEAR_END = "school_year_end", _("end of the school year")
        TUTOR_LEFT = "tutor_left", _("tutor left")
        PUPIL_STOPPED = "pupil_stopped", _("pupil stopped")
        NO_CLICK = "no_click", _("the match did not work")
        OTHER = "other", _("other")

    run = models.ForeignKey(MatchRun, null=True, blank=True, on_delete=models.CASCADE, related_name="matches")
    need = models.ForeignKey(TutoringNeed, on_delete=models.PROTECT, related_name="matches")
    tutor = models.ForeignKey(Tutor, on_delete=models.PROTECT, related_name="matches")
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PROPOSED, db_index=True)
    mode = models.CharField(_("mode"), max_length=10, choices=Mode.choices)
    score = models.PositiveSmallIntegerField(_("match score"), default=0)
    explanation = models.JSONField(_("explanation"), default=dict)
    fixed = models.BooleanField(_("fixed by a coordinator"), default=False)
    override_reason = models.CharField(_("reason for the override"), max_length=500, blank=True)
    reviewed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    reviewed_at = models.DateTimeField(_("reviewed on"), null=True, blank=True)
    started_on = models.DateField(_("started on"), null=True, blank=True)
    ended_on = models.DateField(_("ended on"), null=True, blank=True)
    end_reason = models.CharField(_("end reason"), max_length=20, choices=EndReason.choices, blank=True)
    end_note = models.CharField(_("note"), max_length=500, blank=True)
    version = models.PositiveIntegerField(default=1)

    objects = MatchQuerySet.as_manager()

    class Meta:
        verbose_name = _("match")
        verbose_name_plural = _("matches")
        ordering = ["-pk"]
        constraints = [
            # a need has at most one active match at a time
            models.UniqueConstraint(fields=["need"], condition=Q(status="active"), name="one_active_match_per_need"),
        ]


class MatchExclusion(models.Model):
    """"Never again": this tutor is never proposed for this pupil."""

    pupil = models.ForeignKey("registry.Pupil", on_delete=models.CASCADE, related_name="+")
    tutor = models.ForeignKey(Tutor, on_delete=models.CASCADE, related_name="exclusions")
    reason = models.CharField(_("reason"), max_length=500)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    objects = ExclusionQuerySet.as_manager()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["pupil", "tutor"], name="exclusion_once")]


class CheckIn(models.Model):
    """A short form every few weeks, by the tutor, the pupil or a teacher."""

    class Respondent(models.TextChoices):
        TUTOR = "tutor", _("tutor")
        PUPIL = "pupil", _("pupil")
        TEACHER = "teacher", _("teacher")

    match = models.ForeignKey(Match, on_delete=models.CASCADE, related_name="checkins")
    respondent = models.CharField(_("filled in by"), max_length=10, choices=Respondent.choices)
    date = models.DateField(_("date"), default=timezone.localdate)
    sessions = models.PositiveSmallIntegerField(_("sessions since the last check-in"), default=0)
    rating = models.PositiveSmallIntegerField(_("how is it going (1-5)"), validators=[MinValueValidator(1), MaxValueValidator(5)])
    progress = models.PositiveSmallIntegerField(_("progress on the goal (1-5)"), validators=[MinValueValidator(1), MaxValueValidator(5)])
    concern = models.BooleanField(_("I have a concern"), default=False)
    comment = models.TextField(_("comment"), max_length=1000, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    objects = CheckInQuerySet.as_manager()

    class Meta:
        ordering = ["-date", "-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(rating__gte=1, rating__lte=5, progress__gte=1, progress__lte=5),
                                   name="checkin_scales_1_5"),
        ]
