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

from leerloopbaan.kernel.access import audited_read
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

SMALL_CELL = 5


def _entries_qs(qs):
    return qs.select_related("esco_skill", "credential__issuer", "credential__achievement").prefetch_related("evidence")


def my_portfolios(*, user) -> list[Portfolio]:
    """The portfolios this youth or parent may open (creating them on first use)."""
    from leerloopbaan.portfolio.youth.services import portfolio_open

    return [portfolio_open(user=user, pupil=pupil) for pupil in access.linked_pupils(user).order_by("pk")]


def portfolio_get(*, user, pk: int, purpose: str = "talent portfolio") -> Portfolio:
    portfolio = access.owner_portfolios(user).select_related("pupil").filter(pk=pk).first()
    if portfolio is None:
        raise Http404
    audited_read(user=user, subject_type="portfolio", subjects=[portfolio.pupil.pupil_key], purpose=purpose,
                 object_repr=f"portfolio {portfolio.pk}")
    return portfolio


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
    entry = _entries_qs(access.visible_entries(user, portfolio)).filter(pk=pk).first()
    if entry is None:
        raise Http404
    return entry


def owner_grants(*, portfolio: Portfolio) -> list[ShareGrant]:
    return list(portfolio.grants.annotate(view_count=Count("views")).prefetch_related("entries", "views"))


def owner_requests(*, portfolio: Portfolio) -> list[AttestationRequest]:
    return list(portfolio.requests.select_related("issuer__organisation", "achievement"))


def owner_links(*, portfolio: Portfolio):
    return list(portfolio.issuer_links.filter(ended_at__isnull=True).select_related("issuer__organisation"))


def verified_issuers():
    return Issuer.objects.filter(status=Issuer.Status.VERIFIED).select_related("organisation")


# --- organisation side ----------------------------------------------------------------------

def issuer_youths(*, user) -> list[dict]:
    """The young people who shared with the user's organisation: chosen name, what it issued them."""
    issuer = access.issuer_of(user)
    if issuer is None:
        raise Http404
    portfolios = list(access.issuer_portfolios(issuer).select_related("pupil").prefetch_related(
        Prefetch("credentials", queryset=Credential.objects.filter(issuer=issuer).select_related("achievement"),
                 to_attr="issued_here")).order_by("display_name"))
    audited_read(user=user, subject_type="portfolio", subjects=[p.pupil.pupil_key for p in portfolios],
                 purpose="organisation: young people who shared", object_repr=issuer.slug)
    return [{"portfolio": p, "credentials": p.issued_here} for p in portfolios]


def issuer_youth_get(*, user, pk: int) -> tuple[Issuer, Portfolio, list[Credential]]:
    issuer = access.issuer_of(user)
    portfolio = access.issuer_portfolios(issuer).select_related("pupil").filter(pk=pk).first()
    if portfolio is None:
        raise Http404
    credentials = list(portfolio.credentials.filter(issuer=issuer).select_related("achievement"))
    audited_read(user=user, subject_type="portfolio", subjects=[portfolio.pupil.pupil_key],
                 purpose="organisation: young person who shared", object_repr=f"portfolio {portfolio.pk}")
    return issuer, portfolio, credentials


def issuer_requests(*, user, status: str | None = None) -> list[AttestationRequest]:
    issuer = access.issuer_of(user)
    if issuer is None:
        raise Http404
    qs = (issuer.requests.filter(portfolio__in=access.issuer_portfolios(issuer))
          .select_related("portfolio__pupil", "achievement", "entry").prefetch_related("entry__evidence"))
    if status:
        qs = qs.filter(status=status)
    requests = list(qs)
    audited_read(user=user, subject_type="portfolio", subjects=[r.portfolio.pupil.pupil_key for r in requests],
                 purpose="organisation: attestation requests", object_repr=issuer.slug)
    return requests


def issuer_request_get(*, user, pk: int) -> AttestationRequest:
    issuer = access.issuer_of(user)
    if issuer is None:
        raise Http404
    request = (issuer.requests.filter(portfolio__in=access.issuer_portfolios(issuer))
               .select_related("portfolio__pupil", "achievement", "entry")
               .prefetch_related("entry__evidence").filter(pk=pk).first())
    if request is None:
        raise Http404
    audited_read(user=user, subject_type="portfolio", subjects=[request.portfolio.pupil.pupil_key],
                 purpose="organisation: attestation request", object_repr=f"request {request.pk}")
    return request


def issuer_credentials(*, user) -> list[Credential]:
    issuer = access.issuer_of(user)
    if issuer is None:
        raise Http404
    credentials = _unshared_anonymous(issuer, list(issuer.credentials.select_related("achievement", "portfolio__pupil")[:500]))
    audited_read(user=user, subject_type="portfolio", subjects=[c.portfolio.pupil.pupil_key for c in credentials],
                 purpose="organisation: issued credentials", object_repr=issuer.slug)
    return credentials


def issuer_credential_get(*, user, pk: int) -> Credential:
    issuer = access.issuer_of(user)
    if issuer is None:
        raise Http404
    credential = issuer.credentials.select_related("achievement", "portfolio__pupil").filter(pk=pk).first()
    if credential is None:
        raise Http404
    _unshared_anonymous(issuer, [credential])
    audited_read(user=user, subject_type="portfolio", subjects=[credential.portfolio.pupil.pupil_key],
                 purpose="organisation: issued credential", object_repr=credential.credential_id)
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
    from leerloopbaan.kernel.audit.services import audit_record
    entries = list(_entries_qs(grant.entries.all()).order_by("-started_on"))
    audit_record(action="read", subject_type="portfolio", subjects=[grant.portfolio.pupil.pupil_key], actor=None,
                 purpose="share link viewed", object_repr=f"share {grant.pk}", detail={"items": len(entries)})
    return entries


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

    return verify_credential(credential, resolve_document=resolve_document, now=now or timezone.now())


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
    """Portfolios and credentials per district of the youth's school today; cells under 5 hidden."""
    if not access.is_city(user):
        raise Http404
    from leerloopbaan.registry.models import Enrolment

    today = timezone.localdate()
    district_of = dict(Enrolment.objects.filter(Q(start_date__lte=today), Q(end_date__isnull=True) | Q(end_date__gte=today))
                       .values_list("pupil_id", "school__district"))
    rows: dict[str, dict] = defaultdict(lambda: {"portfolios": 0, "credentials": 0, "attested_youths": 0})
    for pupil_id, n_credentials in Portfolio.objects.annotate(n=Count("credentials")).values_list("pupil_id", "n"):
        row = rows[district_of.get(pupil_id) or "—"]
        row["portfolios"] += 1
        row["credentials"] += n_credentials
        row["attested_youths"] += 1 if n_credentials else 0

    def cell(value: int):
        return value if value == 0 or value >= SMALL_CELL else None

    table = [{"district": d, **{k: cell(v) for k, v in r.items()}} for d, r in sorted(rows.items())]

    def total(column: str):
        """The column's total, unless a hidden cell could be computed back from it."""
        if any(row[column] is None for row in table):
            return None
        return cell(sum(r[column] for r in rows.values()))

    issuers = Issuer.objects.values("status").annotate(n=Count("id"))
    audited_read(user=user, subject_type="aggregate", subjects=[], purpose="portfolio figures", object_repr="city")
    return {"table": table, "issuers": {row["status"]: row["n"] for row in issuers},
            "total_portfolios": total("portfolios"), "total_credentials": total("credentials")}


def issuers_for_city(*, user, status: str | None = None) -> list[Issuer]:
    if not access.is_city(user):
        raise Http404
    qs = Issuer.objects.select_related("organisation").annotate(n_credentials=Count("credentials"))
    if status:
        qs = qs.filter(status=status)
    return list(qs.order_by("status", "organisation__name"))
