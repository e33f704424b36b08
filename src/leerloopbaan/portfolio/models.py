"""Talent portfolio: a young person's experiences, competences and talents, owned by the youth.

Organisations that the city has verified (``Issuer``) attest competences as Open Badges 3.0
credentials (``Credential``), signed with the organisation's key (``SigningKey``) and revocable
through a Bitstring Status List (``StatusList``). The youth shares chosen items through a
``ShareGrant`` (link or QR), expiring and revocable, with every view logged.

Custody follows age (see ``portfolio/access.py``): until 13 a parent manages the portfolio with the
child; from 13 the youth decides and the parent sees only what the youth allows; from 25 the
portfolio is closed for new entries and can still be exported.
"""

from __future__ import annotations

import secrets
import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from leerloopbaan.kernel.access import PersonQuerySet
from leerloopbaan.registry.models import District


def _token() -> str:
    return secrets.token_urlsafe(24)


def _holder_id() -> str:
    return f"urn:uuid:{uuid.uuid4()}"


class EscoSkill(models.Model):
    """A skill or competence of the ESCO classification (European Commission, CC BY 4.0)."""

    uri = models.CharField(_("ESCO URI"), max_length=200, unique=True)
    release = models.CharField(_("ESCO version"), max_length=20)
    skill_type = models.CharField(_("type"), max_length=30, blank=True)
    label_nl = models.CharField(_("label (Dutch)"), max_length=300)
    label_en = models.CharField(_("label (English)"), max_length=300)
    description_nl = models.TextField(_("description (Dutch)"), blank=True)
    description_en = models.TextField(_("description (English)"), blank=True)
    group_nl = models.CharField(_("group (Dutch)"), max_length=300, blank=True)
    group_en = models.CharField(_("group (English)"), max_length=300, blank=True)
    alt_labels = models.TextField(_("alternative labels"), blank=True)

    class Meta:
        verbose_name = _("ESCO skill")
        verbose_name_plural = _("ESCO skills")
        ordering = ["label_nl"]

    def __str__(self) -> str:
        return self.label_nl

    def label(self, language: str | None = None) -> str:
        from django.utils.translation import get_language

        return self.label_en if (language or get_language() or "nl").startswith("en") else self.label_nl

    def group(self, language: str | None = None) -> str:
        from django.utils.translation import get_language

        return self.group_en if (language or get_language() or "nl").startswith("en") else self.group_nl


class Issuer(models.Model):
    """An organisation that may attest competences, once the city has verified (endorsed) it."""

    class Status(models.TextChoices):
        PENDING = "pending", _("waiting for verification")
        VERIFIED = "verified", _("verified by the city")
        REFUSED = "refused", _("refused")
        SUSPENDED = "suspended", _("suspended")

    organisation = models.OneToOneField("accounts.Organisation", on_delete=models.PROTECT, related_name="issuer")
    slug = models.SlugField(_("short name"), max_length=60, unique=True)
    description = models.TextField(_("what the organisation does with young people"), blank=True)
    website = models.URLField(_("website"), blank=True)
    district = models.CharField(_("district"), max_length=40, choices=District.choices, blank=True)
    contact_email = models.EmailField(_("contact e-mail"))
    contact_name = models.CharField(_("contact person"), max_length=200)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.PENDING)
    status_note = models.TextField(_("note"), blank=True)
    decided_at = models.DateTimeField(_("decided on"), null=True, blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    registered_at = models.DateTimeField(_("registered on"), default=timezone.now)

    class Meta:
        verbose_name = _("issuing organisation")
        verbose_name_plural = _("issuing organisations")
        ordering = ["organisation__name"]

    def __str__(self) -> str:
        return self.organisation.name

    @property
    def name(self) -> str:
        return self.organisation.name

    @property
    def is_verified(self) -> bool:
        return self.status == self.Status.VERIFIED


class SigningKey(models.Model):
    """An Ed25519 key of an issuer, held by the platform. The newest active key signs.

    Rotating retires the old key: it stays published in the issuer's DID document, so what it
    signed still verifies. Revoking (a compromised key) removes it from the document: what it
    signed no longer verifies.
    """

    issuer = models.ForeignKey(Issuer, on_delete=models.PROTECT, related_name="keys")
    fragment = models.CharField(_("key id"), max_length=20)
    public_multibase = models.CharField(_("public key (multibase)"), max_length=100)
    secret_sealed = models.BinaryField(_("secret key (encrypted)"))
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    retired_at = models.DateTimeField(_("retired"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    class Meta:
        verbose_name = _("signing key")
        verbose_name_plural = _("signing keys")
        ordering = ["issuer", "created_at"]
        constraints = [models.UniqueConstraint(fields=["issuer", "fragment"], name="signingkey_fragment_once")]

    def __str__(self) -> str:
        return f"{self.issuer.slug}#{self.fragment}"


class StatusList(models.Model):
    """One Bitstring Status List of an issuer, for one purpose (revocation or suspension)."""

    class Purpose(models.TextChoices):
        REVOCATION = "revocation", _("revocation")
        SUSPENSION = "suspension", _("suspension")

    SIZE = 131072  # the minimum length the specification requires, for herd privacy

    issuer = models.ForeignKey(Issuer, on_delete=models.PROTECT, related_name="status_lists")
    purpose = models.CharField(_("purpose"), max_length=20, choices=Purpose.choices)
    number = models.PositiveIntegerField(_("number"), default=1)
    bits = models.BinaryField(_("bits"))
    # how many indexes are taken (they are drawn at random, see services._take_index): full at SIZE
    next_index = models.PositiveIntegerField(_("indexes taken"), default=0)
    document = models.JSONField(_("signed status list credential"), null=True, blank=True)
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)

    class Meta:
        verbose_name = _("status list")
        verbose_name_plural = _("status lists")
        constraints = [models.UniqueConstraint(fields=["issuer", "purpose", "number"], name="statuslist_once")]

    def __str__(self) -> str:
        return f"{self.issuer.slug}/{self.purpose}/{self.number}"


class Achievement(models.Model):
    """What an organisation attests: one competence, aligned with an ESCO skill."""

    issuer = models.ForeignKey(Issuer, on_delete=models.PROTECT, related_name="achievements")
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"))
    criteria = models.TextField(_("criteria: what the young person showed"))
    esco_skill = models.ForeignKey(EscoSkill, on_delete=models.PROTECT, related_name="+", verbose_name=_("ESCO skill"))
    competent_code = models.CharField(_("Competent code (VDAB), optional"), max_length=40, blank=True)
    active = models.BooleanField(_("in use"), default=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("achievement")
        verbose_name_plural = _("achievements")
        ordering = ["issuer", "name"]

    def __str__(self) -> str:
        return self.name


class PortfolioPartQuerySet(PersonQuerySet):
    """A portfolio and everything in it names its youth (audit subject type "portfolio", the pupil key).
    Which rows an actor sees: ``portfolio.access.visible(model, actor, qs)``, the rules of that module."""

    subject_type = "portfolio"
    subject_path = "portfolio.pupil.pupil_key"

    def visible_to(self, actor) -> PortfolioPartQuerySet:
        from leerloopbaan.portfolio import access

        return access.visible(self, actor)


class PortfolioQuerySet(PortfolioPartQuerySet):
    subject_path = "pupil.pupil_key"


class EvidenceQuerySet(PortfolioPartQuerySet):
    subject_path = "entry.portfolio.pupil.pupil_key"


class GrantViewQuerySet(PortfolioPartQuerySet):
    subject_path = "grant.portfolio.pupil.pupil_key"


class Portfolio(models.Model):
    """The talent portfolio of one young person. ``holder_id`` is the pseudonymous credential subject."""

    pupil = models.OneToOneField("registry.Pupil", on_delete=models.PROTECT, related_name="portfolio")
    holder_id = models.CharField(_("pseudonymous identifier"), max_length=60, unique=True, default=_holder_id)
    display_name = models.CharField(_("name shown to organisations you share with"), max_length=60)
    parent_sees_all = models.BooleanField(_("my parent may see my whole portfolio"), default=False)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    objects = PortfolioQuerySet.as_manager()

    class Meta:
        verbose_name = _("talent portfolio")
        verbose_name_plural = _("talent portfolios")

    def __str__(self) -> str:
        return self.display_name


class Entry(models.Model):
    """An experience, competence or talent in a portfolio: entered by the youth or attested."""

    class Kind(models.TextChoices):
        EXPERIENCE = "experience", _("experience")
        COMPETENCE = "competence", _("competence")
        TALENT = "talent", _("talent")

    class Source(models.TextChoices):
        SELF = "self", _("own entry")
        ATTESTED = "attested", _("attested")

    portfolio = models.ForeignKey(Portfolio, on_delete=models.CASCADE, related_name="entries")
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    source = models.CharField(_("source"), max_length=20, choices=Source.choices, default=Source.SELF)
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    esco_skill = models.ForeignKey(EscoSkill, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                                   verbose_name=_("ESCO skill"))
    where = models.CharField(_("where (club, school, company, ...)"), max_length=200, blank=True)
    started_on = models.DateField(_("from"))
    ended_on = models.DateField(_("until"), null=True, blank=True)
    parent_visible = models.BooleanField(_("my parent may see this"), default=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    objects = PortfolioPartQuerySet.as_manager()

    class Meta:
        verbose_name = _("portfolio entry")
        verbose_name_plural = _("portfolio entries")
        ordering = ["-started_on", "-id"]
        constraints = [
            models.CheckConstraint(name="entry_end_after_start", condition=Q(ended_on__isnull=True) | Q(ended_on__gte=models.F("started_on"))),
        ]

    def __str__(self) -> str:
        return self.title


class Evidence(models.Model):
    class Kind(models.TextChoices):
        TEXT = "text", _("text")
        FILE = "file", _("file")
        LINK = "link", _("link")

    entry = models.ForeignKey(Entry, on_delete=models.CASCADE, related_name="evidence")
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    text = models.TextField(_("text"), blank=True)
    file = models.FileField(_("file"), upload_to="portfolio/evidence/%Y/%m/", blank=True)
    file_name = models.CharField(_("file name"), max_length=200, blank=True)
    url = models.URLField(_("link"), blank=True)
    created_at = models.DateTimeField(_("added"), default=timezone.now)

    objects = EvidenceQuerySet.as_manager()

    class Meta:
        verbose_name = _("evidence")
        verbose_name_plural = _("evidence")
        ordering = ["created_at"]


class IssuerLink(models.Model):
    """The youth shared their portfolio code with this organisation, or asked it for an attestation."""

    portfolio = models.ForeignKey(Portfolio, on_delete=models.CASCADE, related_name="issuer_links")
    issuer = models.ForeignKey(Issuer, on_delete=models.CASCADE, related_name="youth_links")
    since = models.DateTimeField(_("since"), default=timezone.now)
    ended_at = models.DateTimeField(_("ended"), null=True, blank=True)

    objects = PortfolioPartQuerySet.as_manager()

    class Meta:
        verbose_name = _("shared with organisation")
        verbose_name_plural = _("shared with organisations")
        constraints = [models.UniqueConstraint(fields=["portfolio", "issuer"], name="issuerlink_once")]


class ConsentCode(models.Model):
    """A one-time code (or QR) the youth gives an organisation so it can attest a competence."""

    VALID_HOURS = 72

    portfolio = models.ForeignKey(Portfolio, on_delete=models.CASCADE, related_name="codes")
    code = models.CharField(_("code"), max_length=12, unique=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    expires_at = models.DateTimeField(_("valid until"))
    used_at = models.DateTimeField(_("used"), null=True, blank=True)
    used_by = models.ForeignKey(Issuer, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    objects = PortfolioPartQuerySet.as_manager()

    class Meta:
        verbose_name = _("consent code")
        verbose_name_plural = _("consent codes")
        ordering = ["-created_at"]


class AttestationRequest(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", _("open")
        ISSUED = "issued", _("attested")
        DECLINED = "declined", _("declined")
        WITHDRAWN = "withdrawn", _("withdrawn")

    portfolio = models.ForeignKey(Portfolio, on_delete=models.CASCADE, related_name="requests")
    issuer = models.ForeignKey(Issuer, on_delete=models.CASCADE, related_name="requests")
    achievement = models.ForeignKey(Achievement, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    entry = models.ForeignKey(Entry, null=True, blank=True, on_delete=models.SET_NULL, related_name="requests")
    message = models.TextField(_("message to the organisation"))
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.OPEN)
    answer = models.TextField(_("answer"), blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("asked on"), default=timezone.now)
    answered_at = models.DateTimeField(_("answered on"), null=True, blank=True)
    answered_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    objects = PortfolioPartQuerySet.as_manager()

    class Meta:
        verbose_name = _("attestation request")
        verbose_name_plural = _("attestation requests")
        ordering = ["-created_at"]


class Credential(models.Model):
    """An issued Open Badges 3.0 credential: one competence, signed, with a place on the status lists."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("valid")
        SUSPENDED = "suspended", _("suspended")
        REVOKED = "revoked", _("revoked")

    credential_id = models.CharField(_("credential id"), max_length=60, unique=True)
    portfolio = models.ForeignKey(Portfolio, on_delete=models.PROTECT, related_name="credentials")
    issuer = models.ForeignKey(Issuer, on_delete=models.PROTECT, related_name="credentials")
    achievement = models.ForeignKey(Achievement, on_delete=models.PROTECT, related_name="credentials")
    entry = models.OneToOneField(Entry, on_delete=models.PROTECT, related_name="credential")
    document = models.JSONField(_("signed credential"))
    signing_key = models.ForeignKey(SigningKey, on_delete=models.PROTECT, related_name="+")
    revocation_list = models.ForeignKey(StatusList, on_delete=models.PROTECT, related_name="+")
    revocation_index = models.PositiveIntegerField()
    # earlier credentials carried a second status entry, for suspension; new ones carry revocation only
    # (Open Badges 3.0 allows one credentialStatus object) and a suspension is recorded in ``status``
    suspension_list = models.ForeignKey(StatusList, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    suspension_index = models.PositiveIntegerField(null=True, blank=True)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.ACTIVE)
    status_reason = models.CharField(_("reason"), max_length=300, blank=True)
    status_changed_at = models.DateTimeField(_("status changed"), null=True, blank=True)
    issued_at = models.DateTimeField(_("issued"), default=timezone.now)
    issued_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    valid_until = models.DateTimeField(_("valid until"), null=True, blank=True)

    objects = PortfolioPartQuerySet.as_manager()

    class Meta:
        verbose_name = _("credential")
        verbose_name_plural = _("credentials")
        ordering = ["-issued_at"]
        constraints = [
            models.UniqueConstraint(fields=["revocation_list", "revocation_index"], name="credential_revocation_slot"),
            models.UniqueConstraint(fields=["suspension_list", "suspension_index"], name="credential_suspension_slot"),
        ]

    def __str__(self) -> str:
        return self.credential_id


class ShareGrant(models.Model):
    """The youth shares chosen items with an audience: a secret link, expiring and revocable."""

    class Audience(models.TextChoices):
        EMPLOYER = "employer", _("employer")
        SCHOOL = "school", _("school or training")
        PROGRAMME = "programme", _("programme or project")
        OTHER = "other", _("other")

    portfolio = models.ForeignKey(Portfolio, on_delete=models.CASCADE, related_name="grants")
    token = models.CharField(max_length=64, unique=True, default=_token)
    audience = models.CharField(_("shared with"), max_length=20, choices=Audience.choices)
    audience_name = models.CharField(_("name of the employer, school or programme"), max_length=200)
    entries = models.ManyToManyField(Entry, related_name="grants", verbose_name=_("items"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    expires_at = models.DateTimeField(_("valid until"))
    revoked_at = models.DateTimeField(_("stopped"), null=True, blank=True)

    objects = PortfolioPartQuerySet.as_manager()

    class Meta:
        verbose_name = _("share")
        verbose_name_plural = _("shares")
        ordering = ["-created_at"]

    def is_open(self, now=None) -> bool:
        now = now or timezone.now()
        return self.revoked_at is None and self.expires_at > now


class GrantView(models.Model):
    """One opening of a share link: when, nothing about who (the viewer is not identified)."""

    grant = models.ForeignKey(ShareGrant, on_delete=models.CASCADE, related_name="views")
    at = models.DateTimeField(_("viewed"), default=timezone.now)
    what = models.CharField(_("what"), max_length=20, default="page")

    objects = GrantViewQuerySet.as_manager()

    class Meta:
        verbose_name = _("share view")
        verbose_name_plural = _("share views")
        ordering = ["-at"]


class TalentGrowthPlace(models.Model):
    """A talentgroeiplaats: a place where young people strengthen their talents, per district."""

    issuer = models.ForeignKey(Issuer, on_delete=models.PROTECT, related_name="places")
    name = models.CharField(_("name"), max_length=200)
    district = models.CharField(_("district"), max_length=40, choices=District.choices)
    address = models.CharField(_("address"), max_length=300, blank=True)
    description = models.TextField(_("description"), blank=True)
    active = models.BooleanField(_("open"), default=True)

    class Meta:
        verbose_name = _("talent growth place")
        verbose_name_plural = _("talent growth places")
        ordering = ["district", "name"]

    def __str__(self) -> str:
        return self.name


class PlaceActivity(models.Model):
    place = models.ForeignKey(TalentGrowthPlace, on_delete=models.CASCADE, related_name="activities")
    title = models.CharField(_("activity"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    age_from = models.PositiveSmallIntegerField(_("from age"), default=6)
    age_to = models.PositiveSmallIntegerField(_("to age"), default=25)
    schedule = models.CharField(_("when"), max_length=200, blank=True)
    skills = models.ManyToManyField(EscoSkill, blank=True, related_name="+", verbose_name=_("ESCO skills"))
    achievements = models.ManyToManyField(Achievement, blank=True, related_name="activities",
                                          verbose_name=_("achievements you can earn"))

    class Meta:
        verbose_name = _("activity")
        verbose_name_plural = _("activities")
        ordering = ["place", "title"]

    def __str__(self) -> str:
        return self.title
