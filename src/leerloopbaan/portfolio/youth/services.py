"""Writes for the talent portfolio: one keyword-only function per use case.

Every write checks who acts (``portfolio/access.py``), validates, writes in one transaction and
leaves an audit entry. Errors are ``PortfolioError`` with a message for the user (and per-field
messages for forms); nothing is half-written. Issuers and credentials change state through the
workflow kernel (``ISSUER`` and ``CREDENTIAL`` below)::

    issuer:     pending -> verified | refused;  verified -> suspended -> verified
    credential: active -> suspended -> active;  active | suspended -> revoked (final)
    request:    open -> issued | declined (the organisation) | withdrawn (the youth)
"""

from __future__ import annotations

import base64
import datetime
import hashlib
import secrets
import uuid

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured, PermissionDenied
from django.db import transaction
from django.db.models import F
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from leerloopbaan.accounts.models import Membership, Organisation, User
from leerloopbaan.accounts.roles import Role
from leerloopbaan.kernel import clock, workflow
from leerloopbaan.kernel.audit.services import audit_record
from leerloopbaan.portfolio import access
from leerloopbaan.portfolio.models import (
    Achievement,
    AttestationRequest,
    ConsentCode,
    Credential,
    Entry,
    EscoSkill,
    Evidence,
    GrantView,
    Issuer,
    IssuerLink,
    Portfolio,
    ShareGrant,
    SigningKey,
    StatusList,
)

CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud and typed by hand
MAX_SHARE_DAYS = 365
MAX_FILE_BYTES = 5 * 1024 * 1024
ALLOWED_FILE_TYPES = {".pdf", ".jpg", ".jpeg", ".png", ".txt", ".mp3", ".mp4", ".docx", ".odt"}


class PortfolioError(Exception):
    """A refused write: ``message`` for the page, ``fields`` for the form."""

    def __init__(self, message: str, fields: dict | None = None):
        super().__init__(message)
        self.message = message
        self.fields = fields or {}


class TransitionNotAllowed(PortfolioError, workflow.TransitionNotAllowed):
    pass


class Conflict(PortfolioError, workflow.Conflict):
    pass


def _require(condition: bool) -> None:
    if not condition:
        raise PermissionDenied


def _subject(portfolio: Portfolio) -> list[str]:
    return [portfolio.pupil.pupil_key]


# --- addresses the credentials refer to ------------------------------------------------------

def public_url() -> str:
    """The platform's public address; issuer DIDs and status lists are published under it."""
    return settings.PORTFOLIO_PUBLIC_URL.rstrip("/")


def issuer_did(issuer: Issuer) -> str:
    """did:web of the issuer: the DID document is served at <public url>/portfolio/issuers/<slug>/did.json."""
    host_and_path = public_url().split("://", 1)[-1]
    host, _sep, path = host_and_path.partition("/")
    parts = [host.replace(":", "%3A")] + [p for p in path.split("/") if p] + ["portfolio", "issuers", issuer.slug]
    return "did:web:" + ":".join(parts)


def status_list_url(status_list: StatusList) -> str:
    return public_url() + reverse("portfolio:status_list", args=[status_list.issuer.slug, status_list.purpose,
                                                                 status_list.number])


def achievement_url(achievement: Achievement) -> str:
    return public_url() + reverse("portfolio:achievement_public", args=[achievement.uuid])


# --- keys -------------------------------------------------------------------------------------

def _fernet(secret: str):
    from cryptography.fernet import Fernet

    digest = hashlib.sha256(b"leerloopbaan signing keys\x00" + secret.encode()).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


def _sealer():
    """Seals issuers' signing keys with the first LEERLOOPBAAN_SIGNING_KEY and opens them with any of
    them, so a key is rotated by putting the new one in front and resealing (``signing_keys_reseal``).
    Independent of the Django secret key, which can be rotated without losing a signing key."""
    from cryptography.fernet import MultiFernet

    keys = list(settings.SIGNING_KEYS)
    if not keys:
        raise ImproperlyConfigured("LEERLOOPBAAN_SIGNING_KEY is not set: issuers' signing keys cannot be sealed or "
                                   "opened (docs/deploy.md)")
    if settings.DEMO:
        # demo data dirs made before the signing key existed sealed with the secret key
        keys.append(settings.SECRET_KEY)
    return MultiFernet([_fernet(k) for k in keys])


def signing_keys_reseal() -> int:
    """Reseal every issuer signing key with the first LEERLOOPBAAN_SIGNING_KEY; the number resealed."""
    sealer = _sealer()
    count = 0
    with transaction.atomic():
        for key in SigningKey.objects.select_for_update().order_by("pk"):
            key.secret_sealed = sealer.rotate(bytes(key.secret_sealed))
            key.save(update_fields=["secret_sealed"])
            count += 1
    audit_record(action="update", subject_type="signing_key", subjects=[], object_repr=f"{count} signing keys resealed",
                 purpose="key rotation")
    return count


def _key_pair(key: SigningKey):
    from leerloopbaan.portfolio.vc import KeyPair

    return KeyPair.from_secret_bytes(_sealer().decrypt(bytes(key.secret_sealed)))


def _new_key(issuer: Issuer) -> SigningKey:
    from leerloopbaan.portfolio.vc import KeyPair

    pair = KeyPair.generate()
    number = issuer.keys.count() + 1
    return SigningKey.objects.create(issuer=issuer, fragment=f"key-{number}", public_multibase=pair.public_multibase,
                                     secret_sealed=_sealer().encrypt(pair.secret_bytes))


def active_key(issuer: Issuer) -> SigningKey | None:
    return issuer.keys.filter(retired_at__isnull=True, revoked_at__isnull=True).order_by("-created_at").first()


def controller_document(issuer: Issuer) -> dict:
    """The issuer's DID document: every key that is not revoked (retired keys still verify)."""
    from leerloopbaan.portfolio.vc import controller_document as build

    keys = [(k.fragment, k.public_multibase) for k in issuer.keys.filter(revoked_at__isnull=True).order_by("created_at")]
    return build(issuer_did(issuer), keys)


@transaction.atomic
def key_rotate(*, user, issuer: Issuer) -> SigningKey:
    """A new key signs from now on; the old one stays published so its credentials still verify."""
    _require(_may_administer_issuer(user, issuer))
    now = timezone.now()
    issuer.keys.filter(retired_at__isnull=True, revoked_at__isnull=True).update(retired_at=now)
    key = _new_key(issuer)
    _republish_status_lists(issuer)
    audit_record(action="update", subject_type="issuer", subjects=[], actor=user, purpose="key rotation",
                 object_repr=f"{issuer.slug}#{key.fragment}")
    return key


@transaction.atomic
def key_revoke(*, user, key: SigningKey, reason: str) -> None:
    """A compromised key: removed from the DID document, so nothing it signed verifies any more."""
    _require(_may_administer_issuer(user, key.issuer))
    if not reason.strip():
        raise PortfolioError(_("Say why the key is revoked."), {"reason": _("This field is required.")})
    if key.revoked_at is not None:
        raise PortfolioError(_("This key has already been revoked."))
    now = timezone.now()
    was_active = key.retired_at is None and key.revoked_at is None
    SigningKey.objects.filter(pk=key.pk).update(revoked_at=now, retired_at=key.retired_at or now)
    if was_active:
        _new_key(key.issuer)
    _republish_status_lists(key.issuer)
    audit_record(action="update", subject_type="issuer", subjects=[], actor=user, purpose="key revocation",
                 object_repr=f"{key.issuer.slug}#{key.fragment}", detail={"reason": reason[:200]})


def _may_administer_issuer(user, issuer: Issuer) -> bool:
    if access.is_active(user) and user.role == Role.ADMIN:
        return True
    own = access.issuer_of(user)
    return own is not None and own.pk == issuer.pk


# --- status lists -----------------------------------------------------------------------------

def _status_list_for(issuer: Issuer, purpose: str) -> StatusList:
    current = (StatusList.objects.select_for_update().filter(issuer=issuer, purpose=purpose)
               .order_by("-number").first())
    if current is None or current.next_index >= StatusList.SIZE:
        from leerloopbaan.portfolio.vc import StatusBits

        number = (current.number + 1) if current else 1
        current = StatusList.objects.create(issuer=issuer, purpose=purpose, number=number,
                                            bits=StatusBits(StatusList.SIZE).to_bytes())
    return current


def _used_indexes(status_list: StatusList) -> set[int]:
    """The indexes of ``status_list`` that a credential already holds."""
    if status_list.purpose == StatusList.Purpose.REVOCATION:
        return set(Credential.objects.filter(revocation_list=status_list).values_list("revocation_index", flat=True))
    return set(Credential.objects.filter(suspension_list=status_list).values_list("suspension_index", flat=True))


def _take_index(issuer: Issuer, purpose: str) -> tuple[StatusList, int]:
    """A free place on the issuer's current list, drawn uniformly at random from the unused indexes:
    handed out in order, the index would tell a verifier in what order (and, with two credentials,
    how far apart) credentials were issued. The list row is locked, so two issuances never draw
    the same index (the unique constraint on Credential backs this)."""
    status_list = _status_list_for(issuer, purpose)
    used = _used_indexes(status_list)
    index = None
    for _attempt in range(64):  # rejection sampling: uniform over the unused indexes
        candidate = secrets.randbelow(StatusList.SIZE)
        if candidate not in used:
            index = candidate
            break
    if index is None:  # an almost full list: draw from the unused indexes themselves
        index = secrets.choice([i for i in range(StatusList.SIZE) if i not in used])
    # next_index counts the indexes taken: the list is full when it reaches SIZE
    StatusList.objects.filter(pk=status_list.pk).update(next_index=F("next_index") + 1)
    return status_list, index


def status_list_document(status_list: StatusList) -> dict:
    """The signed BitstringStatusListCredential, cached until a bit or the key changes."""
    if status_list.document:
        return status_list.document
    return _publish_status_list(status_list)


def _publish_status_list(status_list: StatusList) -> dict:
    from leerloopbaan.portfolio.vc import StatusBits, build_status_list_credential, sign

    issuer = status_list.issuer
    key = active_key(issuer)
    now = timezone.now().replace(microsecond=0)
    unsigned = build_status_list_credential(
        url=status_list_url(status_list), issuer_did=issuer_did(issuer), purpose=status_list.purpose,
        encoded_list=StatusBits.from_bytes(bytes(status_list.bits)).encoded(), valid_from=now)
    signed = sign(unsigned, key=_key_pair(key), verification_method=f"{issuer_did(issuer)}#{key.fragment}", created=now)
    StatusList.objects.filter(pk=status_list.pk).update(document=signed, updated_at=now)
    status_list.document = signed
    return signed


def _republish_status_lists(issuer: Issuer) -> None:
    for status_list in issuer.status_lists.all():
        _publish_status_list(status_list)


# --- ESCO -------------------------------------------------------------------------------------

def esco_load(*, release) -> tuple[int, int]:
    """Insert or update the skills of an ESCO release (``portfolio.esco.loader.EscoRelease``).

    Returns (created, updated). Skills that achievements use are never deleted.
    """
    from leerloopbaan.portfolio.esco.loader import skill_row

    existing = {s.uri: s for s in EscoSkill.objects.all()}
    created, updated = [], []
    fields = ["release", "skill_type", "label_nl", "label_en", "description_nl", "description_en", "group_nl", "group_en",
              "alt_labels"]
    for record in release.skills:
        values = skill_row(record, release.version)
        skill = existing.get(record.uri)
        if skill is None:
            created.append(EscoSkill(uri=record.uri, **values))
        elif any(getattr(skill, k) != v for k, v in values.items()):
            for k, v in values.items():
                setattr(skill, k, v)
            updated.append(skill)
    with transaction.atomic():
        EscoSkill.objects.bulk_create(created, batch_size=1000)
        EscoSkill.objects.bulk_update(updated, fields, batch_size=1000)
    return len(created), len(updated)


# --- organisations ----------------------------------------------------------------------------

@transaction.atomic
def issuer_register(*, name: str, kind: str, contact_name: str, contact_email: str, description: str = "",
                    website: str = "", district: str = "") -> Issuer:
    """An organisation asks to attest competences. The city verifies it before it can."""
    name, contact_email = name.strip(), contact_email.strip().lower()
    fields = {}
    if not name:
        fields["name"] = _("Fill in the organisation's name.")
    elif Organisation.objects.filter(name__iexact=name, issuer__isnull=False).exists():
        fields["name"] = _("This organisation has already registered.")
    if not contact_name.strip():
        fields["contact_name"] = _("Fill in who we can contact.")
    if not contact_email or "@" not in contact_email:
        fields["contact_email"] = _("Fill in a valid e-mail address.")
    if kind not in Organisation.Kind.values:
        fields["kind"] = _("Choose the kind of organisation.")
    if fields:
        raise PortfolioError(_("The registration is not complete."), fields)
    organisation = Organisation.objects.filter(name__iexact=name).first() or Organisation.objects.create(name=name, kind=kind)
    base = slugify(name)[:50] or "organisation"
    slug, n = base, 1
    while Issuer.objects.filter(slug=slug).exists():
        n += 1
        slug = f"{base}-{n}"
    issuer = Issuer.objects.create(organisation=organisation, slug=slug, description=description.strip(),
                                   website=website.strip(), district=district, contact_name=contact_name.strip(),
                                   contact_email=contact_email)
    audit_record(action="create", subject_type="issuer", subjects=[], actor=None, purpose="issuer registration",
                 object_repr=issuer.slug)
    return issuer


def _city(user, issuer: Issuer) -> bool:
    return access.is_city(user)


def _issuer_entry(issuer: Issuer, change: workflow.Change) -> dict:
    return {"action": "update", "subject_type": "issuer", "subjects": [], "actor": change.actor,
            "purpose": change.context.get("purpose", "issuer status"), "object_repr": issuer.slug,
            "detail": change.context.get("detail", {"from": change.source, "to": change.target})}


_DECIDED = gettext_lazy("The city has already decided on this registration.")
IssuerStatus = Issuer.Status

ISSUER = workflow.Lifecycle(
    name="portfolio.issuer", model=Issuer, noun=gettext_lazy("organisation"), states=IssuerStatus.values,
    initial=[IssuerStatus.PENDING], terminal=[IssuerStatus.REFUSED], version_field=None, audit=_issuer_entry,
    conflict=Conflict, not_allowed=TransitionNotAllowed,
    conflict_message=gettext_lazy("Someone else changed this organisation in the meantime. Reload the page and try again."),
    transitions=[
        workflow.Transition("verify", (IssuerStatus.PENDING,), IssuerStatus.VERIFIED, gettext_lazy("Verify"), _city, refused=_DECIDED),
        workflow.Transition("refuse", (IssuerStatus.PENDING,), IssuerStatus.REFUSED, gettext_lazy("Refuse"), _city, refused=_DECIDED),
        workflow.Transition("suspend", (IssuerStatus.VERIFIED,), IssuerStatus.SUSPENDED, gettext_lazy("Suspend"), _city),
        workflow.Transition("reinstate", (IssuerStatus.SUSPENDED,), IssuerStatus.VERIFIED, gettext_lazy("Reinstate"), _city),
    ],
)


@transaction.atomic
def issuer_decide(*, user, issuer: Issuer, verify: bool, note: str = "", base_url: str = "") -> Issuer:
    """The city verifies (endorses) or refuses an organisation. Verifying creates its key, status
    lists and the contact's account (an invitation to choose a password)."""
    def values(current: Issuer) -> dict:
        if not verify and not note.strip():
            raise PortfolioError(_("Say why the registration is refused."), {"note": _("This field is required.")})
        return {"status_note": note.strip(), "decided_at": timezone.now(), "decided_by": user}

    def verified(current: Issuer, change) -> None:
        if not verify:
            return
        Organisation.objects.filter(pk=current.organisation_id).update(verified_at=change.at)
        if active_key(current) is None:
            _new_key(current)
        _status_list_for(current, StatusList.Purpose.REVOCATION)
        _republish_status_lists(current)
        _contact_account(current, base_url)

    return workflow.transition(ISSUER, issuer, "verify" if verify else "refuse", actor=user, version=None, values=values,
                               apply=verified, context={"purpose": "issuer verification", "detail": {"verified": verify}})


@transaction.atomic
def issuer_suspend(*, user, issuer: Issuer, note: str) -> Issuer:
    """The city suspends a verified organisation (it cannot attest while suspended; what it issued stays valid)."""
    def values(current: Issuer) -> dict:
        if not note.strip():
            raise PortfolioError(_("Say why."), {"note": _("This field is required.")})
        return {"status_note": note.strip(), "decided_at": timezone.now(), "decided_by": user}

    return workflow.transition(ISSUER, issuer, "suspend", actor=user, version=None, values=values)


@transaction.atomic
def issuer_reinstate(*, user, issuer: Issuer, note: str = "") -> Issuer:
    """The city lifts the suspension of an organisation."""
    return workflow.transition(ISSUER, issuer, "reinstate", actor=user, version=None,
                               values={"status_note": note.strip(), "decided_at": timezone.now(), "decided_by": user})


def _contact_account(issuer: Issuer, base_url: str) -> User:
    from leerloopbaan.accounts.services import invitation_send, membership_add, user_create

    account = User.objects.filter(email__iexact=issuer.contact_email).first()
    if account is None:
        first, _sep, last = issuer.contact_name.partition(" ")
        account = user_create(email=issuer.contact_email, password=None, role=Role.ORGANISATION_CONTACT,
                              first_name=first, last_name=last)
    elif account.role != Role.ORGANISATION_CONTACT:
        raise PortfolioError(_("The contact's e-mail address belongs to an account with another role. Use another address."))
    if not Membership.objects.active().filter(user=account, organisation_id=issuer.organisation_id).exists():
        membership_add(user=account, organisation=issuer.organisation)
    if not account.has_usable_password():
        invitation_send(account=account, base_url=base_url, subject_template="portfolio/mail/invitation_subject.txt",
                        body_template="portfolio/mail/invitation_email.txt", context={"organisation": issuer.name})
    return account


def _verified_issuer(user) -> Issuer:
    issuer = access.issuer_of(user)
    _require(issuer is not None)
    if not issuer.is_verified:
        raise PortfolioError(_("The city has not verified your organisation yet: you cannot attest competences."))
    return issuer


@transaction.atomic
def achievement_create(*, user, name: str, description: str, criteria: str, esco_skill: EscoSkill | None,
                       competent_code: str = "") -> Achievement:
    issuer = _verified_issuer(user)
    fields = {}
    if not name.strip():
        fields["name"] = _("Give the achievement a name.")
    if not description.strip():
        fields["description"] = _("Describe the achievement.")
    if not criteria.strip():
        fields["criteria"] = _("Say what a young person shows to earn it.")
    if esco_skill is None:
        fields["esco_skill"] = _("Choose the ESCO skill this achievement is about.")
    if fields:
        raise PortfolioError(_("The achievement is not complete."), fields)
    achievement = Achievement.objects.create(issuer=issuer, name=name.strip(), description=description.strip(),
                                             criteria=criteria.strip(), esco_skill=esco_skill,
                                             competent_code=competent_code.strip())
    audit_record(action="create", subject_type="achievement", subjects=[], actor=user, purpose="achievement",
                 object_repr=str(achievement.uuid))
    return achievement


# --- the youth's side -------------------------------------------------------------------------

@transaction.atomic
def portfolio_open(*, user, pupil) -> Portfolio:
    """The portfolio of a pupil linked to this youth or parent; created on first use."""
    _require(access.linked_pupils(user).filter(pk=pupil.pk).exists())
    portfolio = Portfolio.objects.filter(pupil=pupil).first()
    if portfolio is None:
        # Not the pupil's real name: organisations see only a name the youth chooses in the settings.
        portfolio = Portfolio.objects.create(pupil=pupil, display_name=_("Young person")[:60])
        audit_record(action="create", subject_type="portfolio", subjects=[pupil.pupil_key], actor=user,
                     purpose="talent portfolio", object_repr=f"portfolio {portfolio.pk}")
    return portfolio


def _require_manage(user, portfolio: Portfolio) -> None:
    if access.relation(user, portfolio) is None:
        raise PermissionDenied
    if not access.may_manage(user, portfolio):
        if access.youth_age(portfolio) >= access.CLOSING_AGE:
            raise PortfolioError(_("This portfolio is closed: from 25 you can still read and download it."))
        raise PortfolioError(_("From 13 the young person manages the portfolio; you can see what they share with you."))


@transaction.atomic
def portfolio_settings(*, user, portfolio: Portfolio, display_name: str, parent_sees_all: bool) -> Portfolio:
    _require_manage(user, portfolio)
    if not display_name.strip():
        raise PortfolioError(_("Fill in the name organisations see."), {"display_name": _("This field is required.")})
    portfolio.display_name = display_name.strip()[:60]
    if access.relation(user, portfolio) == "self":  # only the youth decides what the parent sees
        portfolio.parent_sees_all = bool(parent_sees_all)
    portfolio.save(update_fields=["display_name", "parent_sees_all"])
    audit_record(action="update", subject_type="portfolio", subjects=_subject(portfolio), actor=user,
                 purpose="talent portfolio", object_repr=f"portfolio {portfolio.pk}")
    return portfolio


@transaction.atomic
def entry_create(*, user, portfolio: Portfolio, kind: str, title: str, description: str = "", where: str = "",
                 started_on: datetime.date | None, ended_on: datetime.date | None = None,
                 esco_skill: EscoSkill | None = None, parent_visible: bool = False,
                 evidence_text: str = "", evidence_url: str = "", evidence_file=None) -> Entry:
    """A youth (or, until 13, a parent) adds an experience, competence or talent with evidence."""
    _require_manage(user, portfolio)
    fields = {}
    if kind not in Entry.Kind.values:
        fields["kind"] = _("Choose experience, competence or talent.")
    if not title.strip():
        fields["title"] = _("Give it a title.")
    if started_on is None:
        fields["started_on"] = _("Fill in when it started (day/month/year).")
    elif started_on > clock.today():
        fields["started_on"] = _("The start cannot be in the future.")
    if started_on and ended_on and ended_on < started_on:
        fields["ended_on"] = _("The end cannot be before the start.")
    if evidence_url and not evidence_url.startswith(("https://", "http://")):
        fields["evidence_url"] = _("A link starts with https://.")
    if evidence_file is not None:
        _check_file(evidence_file, fields)
    if fields:
        raise PortfolioError(_("The entry is not complete."), fields)
    if access.relation(user, portfolio) == "parent":
        parent_visible = True  # a parent's own entry is visible to the parent
    entry = Entry.objects.create(portfolio=portfolio, kind=kind, title=title.strip(), description=description.strip(),
                                 where=where.strip(), started_on=started_on, ended_on=ended_on, esco_skill=esco_skill,
                                 parent_visible=parent_visible, created_by=user)
    if evidence_text.strip():
        Evidence.objects.create(entry=entry, kind=Evidence.Kind.TEXT, text=evidence_text.strip())
    if evidence_url.strip():
        Evidence.objects.create(entry=entry, kind=Evidence.Kind.LINK, url=evidence_url.strip())
    if evidence_file is not None:
        Evidence.objects.create(entry=entry, kind=Evidence.Kind.FILE, file=evidence_file,
                                file_name=evidence_file.name[:200])
    audit_record(action="create", subject_type="portfolio", subjects=_subject(portfolio), actor=user,
                 purpose="talent portfolio", object_repr=f"entry {entry.pk}")
    return entry


def _zip_names(head: bytes, upload) -> list[str] | None:
    import zipfile

    if not head.startswith(b"PK\x03\x04"):
        return None
    try:
        upload.seek(0)
        with zipfile.ZipFile(upload) as archive:
            names = archive.namelist()
            mimetype = archive.read("mimetype") if "mimetype" in names else b""
    except (zipfile.BadZipFile, KeyError, OSError, ValueError):
        return None
    finally:
        upload.seek(0)
    return names + ([f"mimetype:{mimetype.decode('ascii', 'replace').strip()}"] if mimetype else [])


def _content_matches(extension: str, upload) -> bool:
    """Whether the file's content is what its extension claims (its magic bytes): a name alone says
    nothing, and a parent, youth or organisation downloads the file later."""
    upload.seek(0)
    head = upload.read(4096)
    upload.seek(0)
    if extension == ".pdf":
        return head.startswith(b"%PDF-")
    if extension == ".png":
        return head.startswith(b"\x89PNG\r\n\x1a\n")
    if extension in (".jpg", ".jpeg"):
        return head.startswith(b"\xff\xd8\xff")
    if extension == ".mp3":  # an ID3 tag, or an MPEG audio frame sync
        return head.startswith(b"ID3") or (len(head) > 1 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0)
    if extension == ".mp4":
        return head[4:8] == b"ftyp"
    if extension == ".docx":
        names = _zip_names(head, upload)
        return names is not None and "[Content_Types].xml" in names and "word/document.xml" in names
    if extension == ".odt":
        names = _zip_names(head, upload)
        return names is not None and "mimetype:application/vnd.oasis.opendocument.text" in names
    if extension == ".txt":  # text: UTF-8 without control bytes such as NUL
        try:
            text = head.decode("utf-8")
        except UnicodeDecodeError as exc:  # a character cut off at the end of the sample is fine
            if exc.start < len(head) - 3:
                return False
            text = head[:exc.start].decode("utf-8")
        return not any(ord(ch) < 32 and ch not in "\t\r\n\f" for ch in text)
    return False


def _check_file(upload, fields: dict) -> None:
    import os

    extension = os.path.splitext(upload.name or "")[1].lower()
    if extension not in ALLOWED_FILE_TYPES:
        fields["evidence_file"] = _("This kind of file is not accepted; expected one of: %(types)s.") % {
            "types": ", ".join(sorted(ALLOWED_FILE_TYPES))}
    elif upload.size > MAX_FILE_BYTES:
        fields["evidence_file"] = _("The file is larger than 5 MB.")
    elif not _content_matches(extension, upload):
        fields["evidence_file"] = _("The content of this file is not a %(type)s file, although its name ends in "
                                    "%(extension)s. Choose the original file.") % {
            "type": extension.lstrip(".").upper(), "extension": extension}


@transaction.atomic
def entry_share_with_parent(*, user, entry: Entry, visible: bool) -> None:
    """Only the youth decides which entries the parent sees."""
    _require(access.relation(user, entry.portfolio) == "self")
    Entry.objects.filter(pk=entry.pk).update(parent_visible=visible)
    audit_record(action="update", subject_type="portfolio", subjects=_subject(entry.portfolio), actor=user,
                 purpose="talent portfolio", object_repr=f"entry {entry.pk}", detail={"parent_visible": visible})


@transaction.atomic
def code_create(*, user, portfolio: Portfolio) -> ConsentCode:
    """A one-time code the youth gives an organisation so it may attest a competence."""
    _require_manage(user, portfolio)
    now = timezone.now()
    while True:
        code = "".join(secrets.choice(CODE_ALPHABET) for _i in range(8))
        if not ConsentCode.objects.filter(code=code).exists():
            break
    consent = ConsentCode.objects.create(portfolio=portfolio, code=code, created_by=user, created_at=now,
                                         expires_at=now + datetime.timedelta(hours=ConsentCode.VALID_HOURS))
    audit_record(action="create", subject_type="portfolio", subjects=_subject(portfolio), actor=user,
                 purpose="consent code", object_repr=f"code {consent.pk}")
    return consent


def normalise_code(code: str) -> str:
    return "".join(ch for ch in (code or "").upper() if ch.isalnum())


@transaction.atomic
def code_redeem(*, user, code: str) -> Portfolio:
    """An organisation enters the youth's code: from then on it may attest for this youth."""
    issuer = _verified_issuer(user)
    value = normalise_code(code)
    consent = ConsentCode.objects.select_for_update().select_related("portfolio__pupil").filter(code=value).first()
    now = timezone.now()
    if consent is None or len(value) != 8:
        raise PortfolioError(_("This code is not known. Check the 8 characters the young person gave you."),
                             {"code": _("Unknown code.")})
    if consent.used_at is not None:
        raise PortfolioError(_("This code has already been used. Ask the young person for a new code."),
                             {"code": _("Code already used.")})
    if consent.expires_at <= now:
        raise PortfolioError(_("This code has expired. Ask the young person for a new code."), {"code": _("Code expired.")})
    if access.youth_age(consent.portfolio) >= access.CLOSING_AGE:
        raise PortfolioError(_("This portfolio is closed."))
    consent.used_at, consent.used_by = now, issuer
    consent.save(update_fields=["used_at", "used_by"])
    _link(consent.portfolio, issuer)
    audit_record(action="update", subject_type="portfolio", subjects=_subject(consent.portfolio), actor=user,
                 purpose="consent code", object_repr=f"code {consent.pk}")
    return consent.portfolio


def _link(portfolio: Portfolio, issuer: Issuer) -> None:
    link, created = IssuerLink.objects.get_or_create(portfolio=portfolio, issuer=issuer)
    if not created and link.ended_at is not None:
        IssuerLink.objects.filter(pk=link.pk).update(ended_at=None, since=timezone.now())


@transaction.atomic
def link_end(*, user, portfolio: Portfolio, issuer: Issuer) -> None:
    """The youth stops sharing with an organisation: it no longer sees them or attests for them."""
    _require_manage(user, portfolio)
    ended = IssuerLink.objects.filter(portfolio=portfolio, issuer=issuer, ended_at__isnull=True).update(ended_at=timezone.now())
    if not ended:
        # nothing shared with this organisation: no write, no entry, and no answer about an organisation
        # the portfolio never had anything to do with
        raise Http404("no such link")
    audit_record(action="update", subject_type="portfolio", subjects=_subject(portfolio), actor=user,
                 purpose="stop sharing with organisation", object_repr=issuer.slug)


@transaction.atomic
def request_create(*, user, portfolio: Portfolio, issuer: Issuer, message: str, achievement: Achievement | None = None,
                   entry: Entry | None = None) -> AttestationRequest:
    """The youth asks an organisation to attest something, with evidence (an entry of theirs)."""
    _require_manage(user, portfolio)
    fields = {}
    if not issuer.is_verified:
        fields["issuer"] = _("Choose an organisation the city has verified.")
    if achievement is not None and achievement.issuer_id != issuer.pk:
        fields["achievement"] = _("This achievement belongs to another organisation.")
    if entry is not None and entry.portfolio_id != portfolio.pk:
        raise PermissionDenied
    if not message.strip():
        fields["message"] = _("Tell the organisation what you did and what you ask.")
    if fields:
        raise PortfolioError(_("The request is not complete."), fields)
    request = AttestationRequest.objects.create(portfolio=portfolio, issuer=issuer, achievement=achievement, entry=entry,
                                                message=message.strip(), created_by=user)
    _link(portfolio, issuer)
    audit_record(action="create", subject_type="portfolio", subjects=_subject(portfolio), actor=user,
                 purpose="attestation request", object_repr=f"request {request.pk}")
    return request


def _answers(user, request: AttestationRequest) -> bool:
    issuer = access.issuer_of(user)
    return issuer is not None and issuer.is_verified and request.issuer_id == issuer.pk


def _asked(user, request: AttestationRequest) -> bool:
    return access.may_manage(user, request.portfolio)


def _request_entry(request: AttestationRequest, change: workflow.Change) -> dict:
    return {"action": "update", "subject_type": "portfolio", "subjects": _subject(request.portfolio), "actor": change.actor,
            "purpose": "attestation request", "object_repr": f"request {request.pk}",
            "detail": change.context.get("detail", {"from": change.source, "to": change.target})}


_ANSWERED = gettext_lazy("This request has already been answered.")
RequestStatus = AttestationRequest.Status

ATTESTATION_REQUEST = workflow.Lifecycle(
    name="portfolio.request", model=AttestationRequest, noun=gettext_lazy("request"), states=RequestStatus.values,
    initial=[RequestStatus.OPEN], terminal=[RequestStatus.ISSUED, RequestStatus.DECLINED, RequestStatus.WITHDRAWN],
    version_field=None, audit=_request_entry, conflict=Conflict, not_allowed=TransitionNotAllowed, update_caller=True,
    conflict_message=gettext_lazy("Someone else changed this request in the meantime. Reload the page to see their change, then try again."),
    transitions=[
        workflow.Transition("issue", (RequestStatus.OPEN,), RequestStatus.ISSUED, gettext_lazy("Attest"), _answers, refused=_ANSWERED),
        workflow.Transition("decline", (RequestStatus.OPEN,), RequestStatus.DECLINED, gettext_lazy("Decline"), _answers,
                            refused=_ANSWERED),
        workflow.Transition("withdraw", (RequestStatus.OPEN,), RequestStatus.WITHDRAWN, gettext_lazy("Withdraw"), _asked,
                            refused=_ANSWERED),
    ],
)


@transaction.atomic
def request_decline(*, user, request: AttestationRequest, answer: str) -> AttestationRequest:
    issuer = _verified_issuer(user)
    _require(request.issuer_id == issuer.pk)

    def values(current: AttestationRequest) -> dict:
        if not answer.strip():
            raise PortfolioError(_("Tell the young person why."), {"answer": _("This field is required.")})
        return {"answer": answer.strip(), "answered_at": timezone.now(), "answered_by": user}

    return workflow.transition(ATTESTATION_REQUEST, request, "decline", actor=user, version=None, values=values,
                               context={"detail": {"declined": True}})


@transaction.atomic
def request_withdraw(*, user, request: AttestationRequest) -> AttestationRequest:
    """The youth (or a parent who manages the portfolio) withdraws a request that is still open."""
    return workflow.transition(ATTESTATION_REQUEST, request, "withdraw", actor=user, version=None,
                               values={"answered_at": timezone.now(), "answered_by": user})


# --- credentials ------------------------------------------------------------------------------

@transaction.atomic
def credential_issue(*, user, portfolio: Portfolio, achievement: Achievement, note: str = "",
                     valid_years: int | None = None, request: AttestationRequest | None = None,
                     issued_on: datetime.datetime | None = None) -> Credential:
    """Attest a competence: a new attested entry and its signed Open Badges 3.0 credential."""
    from leerloopbaan.portfolio.vc import build_credential, sign, status_entry

    issuer = _verified_issuer(user)
    if not access.issuer_portfolios(issuer).filter(pk=portfolio.pk).exists():
        if portfolio.issuer_links.filter(issuer=issuer).exists():
            raise PortfolioError(_("This young person no longer shares their portfolio with your organisation."))
        raise PermissionDenied
    _require(achievement.issuer_id == issuer.pk)
    if not achievement.active:
        raise PortfolioError(_("This achievement is no longer in use."), {"achievement": _("Choose another achievement.")})
    if request is not None:
        _require(request.issuer_id == issuer.pk and request.portfolio_id == portfolio.pk)
        if request.status != AttestationRequest.Status.OPEN:
            raise PortfolioError(_("This request has already been answered."))
    if access.youth_age(portfolio) >= access.CLOSING_AGE:
        raise PortfolioError(_("This portfolio is closed."))
    if valid_years is not None and not 1 <= valid_years <= 50:
        raise PortfolioError(_("Validity is between 1 and 50 years, or unlimited."), {"valid_years": _("Between 1 and 50.")})
    key = active_key(issuer)
    now = (issued_on or timezone.now()).replace(microsecond=0)
    valid_until = None
    if valid_years:
        try:
            valid_until = now.replace(year=now.year + valid_years)
        except ValueError:  # 29 February: the validity ends on 28 February
            valid_until = now.replace(year=now.year + valid_years, day=28)
    # one status entry, for revocation: Open Badges 3.0 allows one credentialStatus object, and revocation
    # is what any verifier checks; a suspension is recorded here and reported by the platform's verifier
    revocation_list, revocation_index = _take_index(issuer, StatusList.Purpose.REVOCATION)
    entry = Entry.objects.create(portfolio=portfolio, kind=Entry.Kind.COMPETENCE, source=Entry.Source.ATTESTED,
                                 title=achievement.name, description=note.strip() or achievement.description,
                                 where=issuer.name, started_on=clock.date_of(now), esco_skill=achievement.esco_skill,
                                 created_by=user)
    skill = achievement.esco_skill
    alignment = {"targetName": skill.label_en, "targetUrl": skill.uri, "targetFramework": "ESCO",
                 "targetDescription": skill.label_nl}
    achievement_fields = {"id": achievement_url(achievement), "name": achievement.name, "description": achievement.description,
                          "criteria": achievement.criteria, "alignment": [alignment], "achievementType": "Competency"}
    if achievement.competent_code:
        # VDAB's Competent code as an identifier of the achievement, not an alignment: an alignment needs a
        # targetUrl, and Competent publishes no stable address per code, so none is made up.
        achievement_fields["otherIdentifier"] = [{"type": "IdentifierEntry", "identifier": achievement.competent_code,
                                                   "identifierType": "ext:VDABCompetent"}]
    credential_id = f"urn:uuid:{uuid.uuid4()}"
    did = issuer_did(issuer)
    unsigned = build_credential(
        credential_id=credential_id,
        issuer={"id": did, "name": issuer.name, "url": issuer.website or None},
        subject_id=portfolio.holder_id,
        achievement=achievement_fields,
        valid_from=now, valid_until=valid_until,
        status=status_entry(list_url=status_list_url(revocation_list), index=revocation_index, purpose="revocation"),
        name=achievement.name,
    )
    signed = sign(unsigned, key=_key_pair(key), verification_method=f"{did}#{key.fragment}", created=now)
    credential = Credential.objects.create(
        credential_id=credential_id, portfolio=portfolio, issuer=issuer, achievement=achievement, entry=entry,
        document=signed, signing_key=key, revocation_list=revocation_list, revocation_index=revocation_index,
        issued_at=now, issued_by=user,
        valid_until=valid_until)
    if request is not None:
        # the request is answered: one audit entry for the whole attestation (below)
        workflow.transition(ATTESTATION_REQUEST, request, "issue", actor=user, version=None, audit=False,
                            values={"answer": note.strip(), "answered_at": now, "answered_by": user})
        if request.entry_id:
            for evidence in request.entry.evidence.all():
                Evidence.objects.create(entry=entry, kind=evidence.kind, text=evidence.text, url=evidence.url,
                                        file=evidence.file, file_name=evidence.file_name)
    audit_record(action="create", subject_type="portfolio", subjects=_subject(portfolio), actor=user,
                 purpose="attestation", object_repr=credential_id)
    return credential


def _pairwise_uuid(purpose: str, *parts: str) -> str:
    """A ``urn:uuid:`` (version 8: derived) from a keyed hash of ``parts``: stable for the same parts,
    and without the key nothing links two of them."""
    from django.utils.crypto import salted_hmac

    digest = bytearray(salted_hmac(f"leerloopbaan.portfolio.{purpose}", "|".join(parts), algorithm="sha256").digest()[:16])
    digest[6] = (digest[6] & 0x0F) | 0x80  # version 8
    digest[8] = (digest[8] & 0x3F) | 0x80  # RFC 9562 variant
    return f"urn:uuid:{uuid.UUID(bytes=bytes(digest))}"


def pairwise_holder_id(portfolio: Portfolio, grant: ShareGrant) -> str:
    """The youth's holder id for one share: the same for every credential in that share (the recipient
    sees they belong to one person), different per share, so two recipients cannot link them."""
    return _pairwise_uuid("pairwise-holder", portfolio.holder_id, grant.token)


def share_document(credential: Credential, grant: ShareGrant) -> dict:
    """The credential as a share shows it: the same claim, issuer, dates and status entry, with the
    share's pairwise holder id and a credential id of its own, signed with the key that signed the
    original and at the same moment (Ed25519 is deterministic, so every download is the same file).
    The youth's own download keeps the original (their own holder id). A credential whose key was
    revoked is shown as it is: it no longer verifies, and a copy must not make it verify again."""
    from leerloopbaan.portfolio.vc import sign

    key = credential.signing_key
    original = credential.document
    if key.revoked_at is not None:
        return original
    unsigned = {k: v for k, v in original.items() if k != "proof"}
    unsigned["id"] = _pairwise_uuid("pairwise-credential", credential.credential_id, grant.token)
    unsigned["credentialSubject"] = {**original["credentialSubject"],
                                     "id": pairwise_holder_id(credential.portfolio, grant)}
    created = datetime.datetime.fromisoformat(original["proof"]["created"].replace("Z", "+00:00"))
    return sign(unsigned, key=_key_pair(key), verification_method=original["proof"]["verificationMethod"],
                created=created)


def _issued_by(user, credential: Credential) -> bool:
    issuer = access.issuer_of(user)
    return issuer is not None and issuer.is_verified and credential.issuer_id == issuer.pk


def _credential_entry(credential: Credential, change: workflow.Change) -> dict:
    return {"action": "update", "subject_type": "portfolio", "subjects": _subject(credential.portfolio), "actor": change.actor,
            "purpose": "credential status", "object_repr": credential.credential_id, "detail": {"status": change.target}}


def _stays_revoked(state: str) -> str:
    if state == Credential.Status.REVOKED:
        return _("A revoked credential stays revoked.")
    return _("A credential that is %(from)s cannot change like this.")


CredentialStatus = Credential.Status

CREDENTIAL = workflow.Lifecycle(
    name="portfolio.credential", model=Credential, noun=gettext_lazy("credential"), states=CredentialStatus.values,
    initial=[CredentialStatus.ACTIVE], terminal=[CredentialStatus.REVOKED], version_field=None, audit=_credential_entry,
    conflict=Conflict, not_allowed=TransitionNotAllowed,
    conflict_message=gettext_lazy("Someone else changed this credential in the meantime. Reload the page and try again."),
    transitions=[
        workflow.Transition("suspend", (CredentialStatus.ACTIVE,), CredentialStatus.SUSPENDED, gettext_lazy("Suspend"), _issued_by,
                            refused=_stays_revoked),
        workflow.Transition("reinstate", (CredentialStatus.SUSPENDED,), CredentialStatus.ACTIVE, gettext_lazy("Make valid again"),
                            _issued_by, refused=_stays_revoked),
        workflow.Transition("revoke", (CredentialStatus.ACTIVE, CredentialStatus.SUSPENDED), CredentialStatus.REVOKED,
                            gettext_lazy("Revoke"), _issued_by, refused=_stays_revoked),
    ],
)
ACTION_FOR_STATUS = {CredentialStatus.ACTIVE: "reinstate", CredentialStatus.SUSPENDED: "suspend", CredentialStatus.REVOKED: "revoke"}


@transaction.atomic
def credential_set_status(*, user, credential: Credential, status: str, reason: str = "") -> Credential:
    """Revoke (final), suspend or reinstate a credential: flips its bits and republishes the lists."""
    from leerloopbaan.portfolio.vc import StatusBits

    issuer = _verified_issuer(user)
    _require(credential.issuer_id == issuer.pk)
    if status not in Credential.Status.values:
        raise PortfolioError(_("Unknown status."))

    def values(current: Credential) -> dict:
        if status in (Credential.Status.REVOKED, Credential.Status.SUSPENDED) and not reason.strip():
            raise PortfolioError(_("Say why."), {"reason": _("This field is required.")})
        return {"status_reason": reason.strip()[:300], "status_changed_at": timezone.now()}

    def flip_bits(current: Credential, change) -> None:
        revoke = status == Credential.Status.REVOKED
        suspend = status == Credential.Status.SUSPENDED
        places = [(current.revocation_list, current.revocation_index, revoke)]
        if current.suspension_list_id is not None:  # earlier credentials carry a suspension entry too
            places.append((current.suspension_list, current.suspension_index, suspend))
        for status_list, index, value in places:
            status_list = StatusList.objects.select_for_update().get(pk=status_list.pk)
            bits = StatusBits.from_bytes(bytes(status_list.bits))
            if bits.get(index) != value:
                bits.set(index, value)
                status_list.bits = bits.to_bytes()
                status_list.save(update_fields=["bits"])
                _publish_status_list(status_list)

    return workflow.transition(CREDENTIAL, credential, ACTION_FOR_STATUS[status], actor=user, version=None, values=values,
                               apply=flip_bits)


# --- sharing ----------------------------------------------------------------------------------

@transaction.atomic
def grant_create(*, user, portfolio: Portfolio, entries, audience: str, audience_name: str,
                 expires_on: datetime.date | None) -> ShareGrant:
    _require_manage(user, portfolio)
    entries = list(entries)
    fields = {}
    if audience not in ShareGrant.Audience.values:
        fields["audience"] = _("Choose who you share with.")
    if not audience_name.strip():
        fields["audience_name"] = _("Fill in the name of the employer, school or programme.")
    today = clock.today()
    if expires_on is None:
        fields["expires_on"] = _("Choose until when the link works.")
    elif expires_on <= today:
        fields["expires_on"] = _("Choose a day after today.")
    elif expires_on > today + datetime.timedelta(days=MAX_SHARE_DAYS):
        fields["expires_on"] = _("A link works for at most a year.")
    if not entries:
        fields["entries"] = _("Choose at least one item to share.")
    if any(e.portfolio_id != portfolio.pk for e in entries):
        raise PermissionDenied
    if fields:
        raise PortfolioError(_("The share is not complete."), fields)
    end = datetime.datetime.combine(expires_on, datetime.time(23, 59, 59), tzinfo=timezone.get_current_timezone())
    grant = ShareGrant.objects.create(portfolio=portfolio, audience=audience, audience_name=audience_name.strip(),
                                      created_by=user, expires_at=end)
    grant.entries.set(entries)
    audit_record(action="create", subject_type="portfolio", subjects=_subject(portfolio), actor=user,
                 purpose="share", object_repr=f"share {grant.pk}", detail={"items": len(entries), "audience": audience})
    return grant


@transaction.atomic
def grant_revoke(*, user, grant: ShareGrant) -> None:
    _require_manage(user, grant.portfolio)
    ShareGrant.objects.filter(pk=grant.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())
    audit_record(action="update", subject_type="portfolio", subjects=_subject(grant.portfolio), actor=user,
                 purpose="share", object_repr=f"share {grant.pk}", detail={"revoked": True})


def grant_view_record(*, grant: ShareGrant, what: str = "page") -> None:
    GrantView.objects.create(grant=grant, what=what)
