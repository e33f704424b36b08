"""Reads of talent portfolios: scoped to the user (``portfolio/access.py``) and audited.

A portfolio, entry, share or credential outside the user's scope answers 404 (``Http404``), so its
existence does not leak. Public reads (a share link, the verify page, DID documents and status
lists) carry no personal data beyond what the youth chose to share; share views are logged.
"""

from __future__ import annotations

import datetime
from collections import defaultdict

from django.db.models import Count, Prefetch, Q
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from leerloopbaan.accounts.roles import Role
from leerloopbaan.kernel import clock
from leerloopbaan.kernel.access import access_for, audited_read
from leerloopbaan.portfolio import access
from leerloopbaan.portfolio.models import (
    AttestationRequest,
    Credential,
    Entry,
    EscoSkill,
    Issuer,
    Portfolio,
    ShareGrant,
    StatusList,
    TalentGrowthPlace,
)

# the words pages and forms need (they never import the models)
EntryKind = Entry.Kind
EntrySource = Entry.Source
Audience = ShareGrant.Audience
RequestStatus = AttestationRequest.Status
CredentialStatus = Credential.Status
IssuerStatus = Issuer.Status


def _entries_qs(qs):
    return qs.select_related("esco_skill", "credential__issuer", "credential__achievement").prefetch_related("evidence")


def my_portfolios(*, user) -> list[Portfolio]:
    """The portfolios this youth or parent may open (creating them on first use)."""
    from leerloopbaan.portfolio.youth.services import portfolio_open

    portfolios = [portfolio_open(user=user, pupil=pupil) for pupil in access.linked_pupils(user).order_by("pk")]
    if len(portfolios) > 1:  # the choice shows each portfolio's name: a read (one alone is opened at once, and read there)
        access_for(user).record(portfolios, purpose="choose a portfolio")
    return portfolios


def portfolio_get(*, user, pk: int, purpose: str = "talent portfolio") -> Portfolio:
    """A portfolio this youth or parent holds, or 404; audited."""
    return access_for(user).get(access.owner_portfolios(user), purpose=purpose, object_repr=f"portfolio {pk}", pk=pk)


def portfolio_overview(*, user, portfolio: Portfolio) -> dict:
    """Entries the user may see, grouped by competence area and over time, with credentials."""
    entries = list(_entries_qs(access.visible_entries(user, portfolio)))
    by_area: dict[str, list[Entry]] = defaultdict(list)
    for entry in entries:
        area = entry.esco_skill.group() if entry.esco_skill and entry.esco_skill.group() else ""
        by_area[area].append(entry)
    by_year: dict[int, list[Entry]] = defaultdict(list)
    for entry in entries:
        by_year[entry.started_on.year].append(entry)
    return {
        "entries": entries,
        "by_area": sorted(by_area.items(), key=lambda kv: (kv[0] == "", kv[0].lower())),
        "by_year": sorted(by_year.items(), reverse=True),
        "credentials": [e.credential for e in entries if hasattr(e, "credential")],
        "age": access.youth_age(portfolio),
        "may_manage": access.may_manage(user, portfolio),
        "is_self": access.relation(user, portfolio) == "self",
        "parent_restricted": access.parent_restricted(user, portfolio),
        "closed": access.youth_age(portfolio) >= access.CLOSING_AGE,
    }


def entry_get(*, user, portfolio: Portfolio, pk: int) -> Entry:
    """An entry of a portfolio read through ``portfolio_get`` (that read is recorded), or 404."""
    entry = _entries_qs(access.visible_entries(user, portfolio)).filter(pk=pk).first()
    if entry is None:
        raise Http404
    return entry


def evidence_file_get(*, user, portfolio: Portfolio, pk: int):
    """An evidence file of an entry the user sees in a portfolio read through ``portfolio_get``, or 404."""
    from leerloopbaan.portfolio.models import Evidence

    evidence = Evidence.objects.visible_to(user).filter(pk=pk, kind=Evidence.Kind.FILE, entry__portfolio=portfolio).first()
    if evidence is None or not evidence.file:
        raise Http404
    return evidence


def grant_get(*, user, portfolio: Portfolio, pk: int) -> ShareGrant:
    """A share of a portfolio read through ``portfolio_get`` (a parent of a youth of 13 or older sees none), or 404."""
    grant = ShareGrant.objects.visible_to(user).prefetch_related("entries", "views").filter(pk=pk, portfolio=portfolio).first()
    if grant is None:
        raise Http404
    return grant


def owner_credential_get(*, user, portfolio: Portfolio, pk: int, purpose: str = "credential download") -> Credential:
    """A credential of an entry the owner (or a parent, where allowed) sees, for download: recorded as an export."""
    credential = (Credential.objects.visible_to(user).select_related("portfolio__pupil", "achievement")
                  .filter(pk=pk, portfolio=portfolio, entry__in=access.visible_entries(user, portfolio)).first())
    if credential is None:
        raise Http404
    access_for(user).record(credential, action="export", purpose=purpose, object_repr=credential.credential_id)
    return credential


def issuer_credential_export(*, user, portfolio_pk: int, pk: int) -> Credential:
    """A credential the user's organisation issued, for download: recorded as an export; 404 otherwise."""
    credential = (Credential.objects.visible_to(user).select_related("portfolio__pupil", "achievement")
                  .filter(pk=pk, portfolio_id=portfolio_pk).first())
    if credential is None or access.issuer_of(user) is None:
        raise Http404
    access_for(user).record(credential, action="export", purpose="credential download", object_repr=credential.credential_id)
    return credential


def portfolio_export_record(*, user, portfolio: Portfolio, credentials: int) -> None:
    """Record that the whole portfolio (read through ``portfolio_get``) leaves the platform as a file."""
    access_for(user).require(portfolio)
    access_for(user).record(portfolio, action="export", purpose="portfolio export", object_repr=f"portfolio {portfolio.pk}",
                            detail={"credentials": credentials})


def owner_grants(*, portfolio: Portfolio) -> list[ShareGrant]:
    return list(portfolio.grants.annotate(view_count=Count("views")).prefetch_related("entries", "views"))


def owner_requests(*, portfolio: Portfolio) -> list[AttestationRequest]:
    return list(portfolio.requests.select_related("issuer__organisation", "achievement"))


def owner_links(*, portfolio: Portfolio):
    return list(portfolio.issuer_links.filter(ended_at__isnull=True).select_related("issuer__organisation"))


def issuer_get(*, pk: int) -> Issuer:
    """An organisation (not personal data), or 404."""
    issuer = Issuer.objects.select_related("organisation").filter(pk=pk).first()
    if issuer is None:
        raise Http404
    return issuer


def published_issuer(*, slug: str) -> Issuer:
    """An issuer whose DID document the platform publishes (verified or suspended), or 404."""
    issuer = Issuer.objects.filter(slug=slug, status__in=[Issuer.Status.VERIFIED, Issuer.Status.SUSPENDED]).first()
    if issuer is None:
        raise Http404
    return issuer


def status_list_get(*, slug: str, purpose: str, number: int) -> StatusList:
    """A published status list (bits per credential, no names), or 404."""
    item = StatusList.objects.select_related("issuer").filter(issuer__slug=slug, purpose=purpose, number=number).first()
    if item is None:
        raise Http404
    return item


def verified_issuers():
    """Organisations the city verified (not personal data)."""
    return Issuer.objects.filter(status=Issuer.Status.VERIFIED).select_related("organisation")


def requestable_achievements():
    """Achievements a youth can ask a verified organisation to attest."""
    from leerloopbaan.portfolio.models import Achievement

    return Achievement.objects.filter(active=True, issuer__status=Issuer.Status.VERIFIED).select_related("issuer__organisation")


def esco_skills():
    """The ESCO skills (a public list)."""
    return EscoSkill.objects.all()


# --- organisation side ----------------------------------------------------------------------

def issuer_youths(*, user) -> list[dict]:
    """The young people who shared with the user's organisation: chosen name, what it issued them."""
    issuer = access.issuer_of(user)
    if issuer is None:
        raise Http404
    portfolios = access_for(user).list(Portfolio.objects.prefetch_related(
        Prefetch("credentials", queryset=Credential.objects.filter(issuer=issuer).select_related("achievement"),
                 to_attr="issued_here")).order_by("display_name"), purpose="organisation: young people who shared", object_repr=issuer.slug)
    return [{"portfolio": p, "credentials": p.issued_here} for p in portfolios]


def issuer_youth_get(*, user, pk: int) -> tuple[Issuer, Portfolio, list[Credential]]:
    issuer = access.issuer_of(user)
    if issuer is None:
        raise Http404
    portfolio = access_for(user).get(Portfolio, purpose="organisation: young person who shared", object_repr=f"portfolio {pk}", pk=pk)
    credentials = list(portfolio.credentials.filter(issuer=issuer).select_related("achievement"))
    return issuer, portfolio, credentials


def issuer_requests(*, user, status: str | None = None) -> list[AttestationRequest]:
    issuer = access.issuer_of(user)
    if issuer is None:
        raise Http404
    qs = AttestationRequest.objects.select_related("portfolio__pupil", "achievement", "entry").prefetch_related("entry__evidence")
    if status:
        qs = qs.filter(status=status)
    return access_for(user).list(qs, purpose="organisation: attestation requests", object_repr=issuer.slug)


def issuer_request_get(*, user, pk: int) -> AttestationRequest:
    issuer = access.issuer_of(user)
    if issuer is None:
        raise Http404
    return access_for(user).get(AttestationRequest.objects.select_related("portfolio__pupil", "achievement", "entry")
                                .prefetch_related("entry__evidence"), purpose="organisation: attestation request",
                                object_repr=f"request {pk}", pk=pk)


def issuer_credentials(*, user) -> list[Credential]:
    issuer = access.issuer_of(user)
    if issuer is None:
        raise Http404
    credentials = access_for(user).list(Credential.objects.select_related("achievement", "portfolio__pupil"), limit=500,
                                        purpose="organisation: issued credentials", object_repr=issuer.slug)
    return _unshared_anonymous(issuer, credentials)


def issuer_credential_get(*, user, pk: int) -> Credential:
    issuer = access.issuer_of(user)
    if issuer is None:
        raise Http404
    credential = access_for(user).get(Credential.objects.select_related("achievement", "portfolio__pupil"),
                                      purpose="organisation: issued credential", pk=pk)
    _unshared_anonymous(issuer, [credential])
    return credential


def _unshared_anonymous(issuer, credentials: list[Credential]) -> list[Credential]:
    """An organisation keeps managing what it issued (suspend, revoke), but once the youth stopped
    sharing with it, it no longer sees the name they chose: the in-memory name is blanked."""
    linked = set(access.issuer_portfolios(issuer).values_list("pk", flat=True))
    for credential in credentials:
        if credential.portfolio_id not in linked:
            credential.portfolio.display_name = "—"
    return credentials


# --- public -----------------------------------------------------------------------------------

def grant_open(*, token: str) -> ShareGrant | None:
    """The share behind a link, if it is still open (not expired, not stopped), else None."""
    grant = ShareGrant.objects.select_related("portfolio__pupil").filter(token=token).first()
    if grant is None or not grant.is_open():
        return None
    return grant


def grant_items(*, grant: ShareGrant) -> list[Entry]:
    """What an open share shows (the share link is the grant: no user scope); recorded as a read by the
    anonymous visitor."""
    entries = list(_entries_qs(grant.entries.all()).order_by("-started_on"))
    access_for(None).record(grant, purpose="share link viewed", object_repr=f"share {grant.pk}", detail={"items": len(entries)})
    return entries


def grant_credential(*, grant: ShareGrant, pk: int) -> Credential:
    """A credential among what an open share shows, for download: recorded as an export; 404 otherwise."""
    credential = Credential.objects.select_related("achievement", "portfolio__pupil").filter(pk=pk, entry__in=grant.entries.all()).first()
    if credential is None:
        raise Http404
    access_for(None).record(credential, action="export", purpose="share link credential download",
                            object_repr=credential.credential_id)
    return credential


def resolve_document(url: str) -> dict | None:
    """What the platform publishes at ``url``: an issuer's DID document or a status list credential.

    The verifier resolves only these, never over the network.
    """
    from leerloopbaan.portfolio.youth import services
    did_prefix = services.issuer_did(Issuer(slug="x"))[: -len("x")]
    if url.startswith(did_prefix):
        slug = url[len(did_prefix):].split("#", 1)[0]
        issuer = Issuer.objects.filter(slug=slug, status__in=[Issuer.Status.VERIFIED, Issuer.Status.SUSPENDED]).first()
        return services.controller_document(issuer) if issuer else None
    base = services.public_url() + "/portfolio/status/"
    if url.startswith(base):
        parts = url[len(base):].split("#", 1)[0].strip("/").split("/")
        if len(parts) == 3 and parts[2].isdigit():
            status_list = StatusList.objects.select_related("issuer").filter(
                issuer__slug=parts[0], purpose=parts[1], number=int(parts[2])).first()
            return services.status_list_document(status_list) if status_list else None
    return None


def verify(credential, *, now: datetime.datetime | None = None):
    """Verify a credential document (any JSON value) with the platform's own verifier."""
    from leerloopbaan.portfolio.vc import verify_credential

    report = verify_credential(credential, resolve_document=resolve_document, now=now or timezone.now())
    return _with_suspension(credential, report)


def _with_suspension(document, report):
    """A credential carries one status entry, for revocation (Open Badges 3.0 allows one credentialStatus
    object); a suspension is recorded on the platform. So the platform's verifier reports a credential
    it issued and its issuer suspended, once the proof shows the document is that credential."""
    from leerloopbaan.portfolio.vc import Check, VerificationReport

    status, proof = report.check("status"), report.check("proof")
    if not isinstance(document, dict) or not (proof and proof.ok) or (status and status.ok is False):
        return report
    # a share shows the credential under an id of its own (pairwise), with the original's status entry
    entry = document.get("credentialStatus")
    suspended = Credential.objects.filter(status=Credential.Status.SUSPENDED)
    if not suspended.filter(credential_id=str(document.get("id"))).exists() and not (
            isinstance(entry, dict) and suspended.filter(
                document__credentialStatus__statusListCredential=str(entry.get("statusListCredential")),
                document__credentialStatus__statusListIndex=str(entry.get("statusListIndex"))).exists()):
        return report
    suspended = Check("status", False, "status.suspended_by_issuer")
    return VerificationReport([suspended if c.name == "status" else c for c in report.checks])


# What an employer needs to read first: the check that failed, in one plain sentence. The
# technical report (keys, status lists, time stamps) stays available, folded away.
_PLAIN_REASONS = {
    "status.revoked": _("The issuer has withdrawn this credential."),
    "status.suspended": _("The issuer has suspended this credential for now."),
    "status.suspended_by_issuer": _("The issuer has suspended this credential for now."),
    "dates.expired": _("This credential has expired."),
    "dates.not_yet_valid": _("This credential is not valid yet."),
    "proof.invalid_signature": _("The credential was changed after it was signed, or not signed by this issuer."),
}


def plain_summary(document, report) -> dict:
    """Issuer, what was attested, when, and valid or not, in plain words (for the share and verify pages).

    Read from the document itself, so it describes exactly what was checked; a document too broken
    to read gives empty fields and the verdict "not valid"."""
    data = document if isinstance(document, dict) else {}
    issuer = data.get("issuer")
    subject = data.get("credentialSubject")
    achievement = subject.get("achievement") if isinstance(subject, dict) else None
    achievement = achievement if isinstance(achievement, dict) else {}

    def text(value) -> str:
        return str(value)[:300] if isinstance(value, str) else ""

    issued = _issued_on(data.get("validFrom"))
    valid_until = _issued_on(data.get("validUntil"))
    reason = ""
    if not report.ok:
        failed = next((c for c in report.checks if c.ok is False), None)
        reason = str(_PLAIN_REASONS.get(failed.code if failed else "", _(
            "Its authenticity could not be confirmed: see the technical details.")))
    return {"issuer": text(issuer.get("name")) if isinstance(issuer, dict) else "",
            "what": text(achievement.get("name")) or text(data.get("name")),
            "description": text(achievement.get("description")),
            "issued_on": issued, "valid_until": valid_until, "valid": bool(report.ok), "reason": reason}


def _issued_on(value) -> datetime.date | None:
    """An xsd:dateTime as the Brussels date it falls on (None when absent or not a date-time)."""
    from leerloopbaan.portfolio.vc.timefmt import parse_xsd_datetime

    moment = parse_xsd_datetime(value) if isinstance(value, str) else None
    try:
        return clock.date_of(moment) if moment is not None else None
    except OverflowError:  # its Brussels date falls outside the calendar (year 0 or 10000)
        return None


def credential_not_valid(entry) -> str:
    """Why an entry's credential is not valid now ("" when it is valid or the entry is not attested):
    the youth is warned before sharing it."""
    credential = getattr(entry, "credential", None) if hasattr(entry, "credential") else None
    if credential is None:
        return ""
    if credential.status != Credential.Status.ACTIVE:
        return str(credential.get_status_display())
    if credential.valid_until is not None and credential.valid_until < timezone.now():
        return str(_("expired"))
    return ""


_ESCO_INDEX: dict = {}


def esco_search(*, query: str, limit: int = 20) -> list[EscoSkill]:
    """ESCO skills matching ``query`` in Dutch or English (accents and case ignored), best first."""
    from django.db.models import Max
    from django.utils.translation import get_language

    from leerloopbaan.portfolio.esco.loader import EscoIndex, EscoSkillRecord

    if not (query or "").strip():
        return []
    state = EscoSkill.objects.aggregate(n=Count("id"), last=Max("id"))
    key = (state["n"], state["last"])
    if _ESCO_INDEX.get("key") != key:
        rows = list(EscoSkill.objects.values_list("uri", "skill_type", "label_nl", "label_en", "alt_labels",
                                                  "description_nl", "description_en", "group_nl", "group_en"))
        records = [EscoSkillRecord(uri=r[0], skill_type=r[1], reuse_level="", label_nl=r[2], label_en=r[3],
                                   alt_nl=[a for a in r[4].split(" | ") if a], alt_en=[], description_nl=r[5],
                                   description_en=r[6], group_nl=r[7] or None, group_en=r[8] or None) for r in rows]
        _ESCO_INDEX.update(key=key, index=EscoIndex(records))
    language = "en" if (get_language() or "nl").startswith("en") else "nl"
    uris = [record.uri for record in _ESCO_INDEX["index"].search(query, language=language, limit=limit)]
    found = EscoSkill.objects.in_bulk(uris, field_name="uri")
    return [found[uri] for uri in uris if uri in found]


def places_by_district() -> list[tuple[str, list[TalentGrowthPlace]]]:
    places = TalentGrowthPlace.objects.filter(active=True, issuer__status=Issuer.Status.VERIFIED).select_related(
        "issuer__organisation").prefetch_related("activities__skills", "activities__achievements")
    grouped: dict[str, list] = defaultdict(list)
    for place in places:
        grouped[place.get_district_display()].append(place)
    return sorted(grouped.items())


# --- city -------------------------------------------------------------------------------------

def city_figures(*, user) -> dict:
    """Portfolios and credentials per district of the youth's school today, with the city totals,
    through one disclosure-control release (docs/privacy.md, rule 3): the table's cells and totals
    are ``Figure`` objects (``<5`` for 1 to 4, ``×`` for a complement)."""
    if not access.is_city(user):
        raise Http404
    from leerloopbaan.kernel.disclosure import Release
    from leerloopbaan.registry.models import Enrolment

    today = clock.today()
    district_of = dict(Enrolment.objects.filter(Q(start_date__lte=today), Q(end_date__isnull=True) | Q(end_date__gte=today))
                       .values_list("pupil_id", "school__district"))
    rows: dict[str, dict] = defaultdict(lambda: {"portfolios": 0, "credentials": 0, "attested_youths": 0})
    for pupil_id, n_credentials in Portfolio.objects.annotate(n=Count("credentials")).values_list("pupil_id", "n"):
        row = rows[district_of.get(pupil_id) or "—"]
        row["portfolios"] += 1
        row["credentials"] += n_credentials
        row["attested_youths"] += 1 if n_credentials else 0

    release = Release("talent portfolio figures")
    districts = sorted(rows)
    for d in districts:
        r = rows[d]
        release.count(("portfolios", d), r["portfolios"])
        release.count(("attested", d), r["attested_youths"])
        release.count(("credentials", d), r["credentials"])
        # the portfolios without a credential follow from the two printed columns
        release.count(("unattested", d), r["portfolios"] - r["attested_youths"], displayed=False)
        release.relate(("portfolios", d), [("attested", d), ("unattested", d)])
    release.total(("portfolios", "city"), [("portfolios", d) for d in districts])
    release.total(("credentials", "city"), [("credentials", d) for d in districts])
    pub = release.publish()
    table = [{"district": d, "portfolios": pub[("portfolios", d)], "attested_youths": pub[("attested", d)],
              "credentials": pub[("credentials", d)]} for d in districts]

    issuers = Issuer.objects.values("status").annotate(n=Count("id"))
    audited_read(user=user, subject_type="aggregate", subjects=[], purpose="portfolio figures", object_repr="city")
    return {"table": table, "issuers": {row["status"]: row["n"] for row in issuers},
            "total_portfolios": pub[("portfolios", "city")], "total_credentials": pub[("credentials", "city")],
            "any_hidden": pub.any_hidden}


def issuers_for_city(*, user, status: str | None = None) -> list[Issuer]:
    if not access.is_city(user):
        raise Http404
    qs = Issuer.objects.select_related("organisation").annotate(n_credentials=Count("credentials"))
    if status:
        qs = qs.filter(status=status)
    return list(qs.order_by("status", "organisation__name"))


def open_request_count(*, user) -> int | None:
    """For the home page: attestation requests still open (asked, not yet answered) that the user may
    see: those of the portfolios a youth or parent holds, or those sent to an organisation contact's
    organisation by young people who still share with it (the organisation's request list
    ``?status=open``). One query; counts only. None for other roles."""
    if access.issuer_of(user) is None and not (access.is_active(user) and user.role in (Role.YOUTH, Role.PARENT)):
        return None
    return AttestationRequest.objects.visible_to(user).filter(status=AttestationRequest.Status.OPEN).count()
