"""Demo talent portfolios, built through the real services (keys, codes, signatures, status lists).

Verified organisations (a company, a sports club, a youth centre with a talent growth place, a music
academy) and one waiting for the city; their achievements aligned with ESCO; young people of
different ages with own entries and attested competences; for the demo youth (14 or so) a share
with an employer, an open request and one suspended credential.
"""

from __future__ import annotations

import datetime
import logging
import random

from django.db import transaction
from django.test import override_settings
from django.utils import timezone

from leerloopbaan.accounts.models import Organisation, User
from leerloopbaan.accounts.roles import Role
from leerloopbaan.demo.accounts import demo_email
from leerloopbaan.kernel import clock
from leerloopbaan.portfolio import access
from leerloopbaan.portfolio.models import EscoSkill, Issuer, PlaceActivity, Portfolio, TalentGrowthPlace
from leerloopbaan.portfolio.youth import services
from leerloopbaan.registry.models import Enrolment, PupilAccountLink

ESCO = "http://data.europa.eu/esco/skill/"
SKILLS = {
    "commitments": ESCO + "113b4428-0a31-4199-8496-070af7854b91",
    "interact": ESCO + "09e28145-e205-4b7a-8b3b-5c4876396069",
    "enthusiasm": ESCO + "22b7d99d-252f-4572-8e3c-438ea87607eb",
    "frustration": ESCO + "1d1fedcb-4995-44ac-90f5-f31a157ce512",
    "presentation": ESCO + "234aeb8d-56c3-4531-9193-1c5e6a8d16cb",
    "advice": ESCO + "045f71e6-0699-4169-8a54-9c6b96f3174d",
    "effort": ESCO + "0ab5084c-cbd0-46d5-b61f-f1b8e9cc0ca0",
    "digital_collaboration": ESCO + "2b34a99f-9813-4c91-9509-b6b9b8c3132e",
    "calculations": ESCO + "19ba11f3-9c99-41fd-a7c9-f77e6a026186",
    "programming": ESCO + "21d2f96d-35f7-4e3f-9745-c533d2dd6e97",
    "quality": ESCO + "236526e2-d5a8-436b-91d1-47e5d431e7ea",
}

# (organisation, kind, district, [(achievement, description, criteria, skill key)])
ISSUERS = [
    ("Haven Logistiek NV (demo)", Organisation.Kind.COMPANY, "Antwerpen", [
        ("Snuffelstage magazijn", "Een week meegewerkt in het magazijn van een logistiek bedrijf.",
         "Was elke dag op tijd, volgde de veiligheidsregels en werkte taken af zoals afgesproken.", "commitments"),
        ("Voorraad tellen en berekenen", "Voorraad geteld en bestelhoeveelheden berekend.",
         "Rekende zelfstandig en foutloos de bestellingen van een week uit.", "calculations"),
        ("Kwaliteitscontrole bij inkomende goederen", "Inkomende leveringen gecontroleerd volgens de checklist.",
         "Volgde de kwaliteitsprocedure zonder fouten.", "quality"),
    ]),
    ("Sportclub Kiel (demo)", Organisation.Kind.YOUTH_WORK, "Antwerpen", [
        ("Hulptrainer jeugdploeg", "Hielp een seizoen lang de trainer van de U10.",
         "Begeleidde oefeningen, gaf de kinderen tips en bleef rustig bij tegenslag.", "advice"),
        ("Sportief doorzetten", "Trainde een seizoen lang en haalde het doel dat we samen vastlegden.",
         "Was op 90 % van de trainingen en haalde het vooraf gestelde doel.", "effort"),
        ("Omgaan met winst en verlies", "Bleef sportief en kalm, ook bij verlies en tegenslag.",
         "De trainer zag een seizoen lang hoe de speler met frustratie omging.", "frustration"),
    ]),
    ("Jeugdhuis Borgerhout (demo)", Organisation.Kind.YOUTH_WORK, "Borgerhout", [
        ("Coderen in de codeclub", "Maakte een eigen spel in de codeclub.", "Programmeerde zelf een werkend spel en legde het uit.",
         "programming"),
        ("Een activiteit mee organiseren", "Organiseerde samen met anderen een buurtactiviteit.",
         "Overlegde, verdeelde taken en sprak bezoekers aan.", "interact"),
        ("Online samenwerken aan een project", "Werkte met anderen aan een digitaal project.",
         "Gebruikte gedeelde documenten en overlegde online.", "digital_collaboration"),
    ]),
    ("Muziekacademie Deurne (demo)", Organisation.Kind.OTHER, "Deurne", [
        ("Optreden voor publiek", "Speelde mee in het jaarlijkse concert.", "Bereidde een stuk voor en speelde het voor publiek.",
         "enthusiasm"),
        ("Een presentatie geven", "Stelde een muziekproject voor aan de klas.", "Maakte een presentatie en gaf ze zelfstandig.",
         "presentation"),
    ]),
]

PLACES = [
    ("Jeugdhuis Borgerhout (demo)", "Talentgroeiplaats De Kroon", "Borgerhout", "Turnhoutsebaan 1 (demo)",
     [("Codeclub", "Leer programmeren en maak je eigen spel.", 10, 16, "woensdag 14-16 u", ["programming"]),
      ("Buurtfeest mee organiseren", "Organiseer samen met anderen een activiteit voor de buurt.", 12, 25, "in de vakanties",
       ["interact"])]),
    ("Sportclub Kiel (demo)", "Sporthal Kiel", "Antwerpen", "Sint-Bernardsesteenweg 1 (demo)",
     [("Hulptrainer worden", "Help de trainers van de jongste ploegen.", 14, 25, "zaterdagvoormiddag", ["advice"])]),
    ("Muziekacademie Deurne (demo)", "Muziekatelier Deurne", "Deurne", "Bisschoppenhoflaan 1 (demo)",
     [("Samen muziek maken", "Speel samen in een band of ensemble.", 8, 18, "dinsdag 17-19 u", ["enthusiasm"])]),
]


def create_demo_portfolio(*, seed: int = 7, youths: int = 40) -> dict:
    if not EscoSkill.objects.filter(uri__in=SKILLS.values()).count() == len(SKILLS):
        return {"issuers": 0, "portfolios": 0, "credentials": 0}
    audit_log = logging.getLogger("leerloopbaan.kernel.audit")
    level = audit_log.level
    audit_log.setLevel(logging.WARNING)  # the audit entries are written; the demo's output stays short
    try:
        with override_settings(EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend"):
            with transaction.atomic():
                return _create(random.Random(seed), youths)
    finally:
        audit_log.setLevel(level)


def _contact(issuer: Issuer) -> User:
    return User.objects.get(email__iexact=issuer.contact_email)


def _create(rng: random.Random, n_youths: int) -> dict:
    city = User.objects.filter(email=demo_email(Role.CITY_ANALYST)).first()
    demo_contact = User.objects.filter(email=demo_email(Role.ORGANISATION_CONTACT)).first()
    if city is None or Issuer.objects.exists():
        return {"issuers": 0, "portfolios": 0, "credentials": 0}
    skills = {key: EscoSkill.objects.get(uri=uri) for key, uri in SKILLS.items()}
    today = clock.today()
    issuers: list[tuple[Issuer, list]] = []
    for name, kind, district, achievements in ISSUERS:
        is_demo_company = demo_contact is not None and name.startswith("Haven Logistiek")
        email = demo_contact.email if is_demo_company else f"contact@{name.split(' (')[0].lower().replace(' ', '-')}.voorbeeld.test"
        issuer = services.issuer_register(name=name, kind=kind, contact_name="Demo Contact", contact_email=email,
                                          description="", website="", district=district)
        issuer = services.issuer_decide(user=city, issuer=issuer, verify=True, note="")
        contact = _contact(issuer)
        made = [services.achievement_create(user=contact, name=a, description=d, criteria=c, esco_skill=skills[s])
                for a, d, c, s in achievements]
        issuers.append((issuer, made))
    services.issuer_register(name="Dansschool Merksem (demo)", kind=Organisation.Kind.YOUTH_WORK, contact_name="Demo Contact",
                             contact_email="contact@dansschool-merksem.voorbeeld.test", district="Merksem",
                             description="Danslessen en optredens voor kinderen en jongeren.")
    by_name = {i.name: (i, a) for i, a in issuers}
    for org, place_name, district, address, activities in PLACES:
        issuer, achievements = by_name[org]
        place = TalentGrowthPlace.objects.create(issuer=issuer, name=place_name, district=district, address=address,
                                     description="Een talentgroeiplaats van de stad Antwerpen (demo).")
        for title, description, age_from, age_to, schedule, skill_keys in activities:
            activity = PlaceActivity.objects.create(place=place, title=title, description=description, age_from=age_from,
                                                    age_to=age_to, schedule=schedule)
            activity.skills.set([skills[k] for k in skill_keys])
            activity.achievements.set([a for a in achievements if a.esco_skill_id in {skills[k].pk for k in skill_keys}])

    youth_user = User.objects.filter(email=demo_email(Role.YOUTH)).first()
    demo_pupil_id = (PupilAccountLink.objects.filter(user=youth_user).values_list("pupil_id", flat=True).first()
                     if youth_user else None)
    pupils = _pupils_of_all_ages(rng, n_youths, exclude=demo_pupil_id)
    credentials = 0
    portfolios = 0
    for pupil in pupils:
        portfolio = Portfolio.objects.create(pupil=pupil, display_name=_first_name(pupil))
        portfolios += 1
        credentials += _fill(rng, portfolio, issuers, today)
    if demo_pupil_id is not None:
        portfolio = services.portfolio_open(user=youth_user, pupil=youth_user.pupil_links.first().pupil)
        portfolios += 1
        credentials += _demo_youth(rng, youth_user, portfolio, issuers, skills, today)
    return {"issuers": len(issuers), "portfolios": portfolios, "credentials": credentials,
            "places": TalentGrowthPlace.objects.count()}


def _first_name(pupil) -> str:
    name = getattr(pupil, "name", None)
    return (name.first_name if name and name.first_name else "Jongere")[:60]


def _pupils_of_all_ages(rng: random.Random, n: int, *, exclude) -> list:
    """Pupils enrolled today, spread over the ages 6 to 18."""
    today = clock.today()
    by_age: dict[int, list] = {}
    enrolments = (Enrolment.objects.filter(start_date__lte=today, end_date__isnull=True).exclude(pupil_id=exclude)
                  .select_related("pupil__name").order_by("pupil__pupil_key")[:6000])
    for enrolment in enrolments:
        age = access.age_on(enrolment.pupil.birth_date, today)
        if 6 <= age <= 18:
            by_age.setdefault(age, []).append(enrolment.pupil)
    chosen, seen = [], set()
    ages = sorted(by_age)
    while ages and len(chosen) < n:
        for age in list(ages):
            pool = [p for p in by_age[age] if p.pk not in seen]
            if not pool:
                ages.remove(age)
                continue
            pupil = rng.choice(pool)
            seen.add(pupil.pk)
            chosen.append(pupil)
            if len(chosen) >= n:
                break
    return chosen


def _attest(rng, portfolio, issuer, achievements, today, *, count: int, owner=None) -> int:
    """Link the youth to the issuer through a real consent code, then attest ``count`` achievements."""
    contact = _contact(issuer)
    owner = owner or _owner(portfolio)
    code = services.code_create(user=owner, portfolio=portfolio)
    services.code_redeem(user=contact, code=code.code)
    issued = 0
    for achievement in rng.sample(achievements, min(count, len(achievements))):
        days_ago = rng.randint(10, 700)
        when = timezone.now() - datetime.timedelta(days=days_ago)
        services.credential_issue(user=contact, portfolio=portfolio, achievement=achievement, issued_on=when,
                                  note="")
        issued += 1
    return issued


def _owner(portfolio) -> User:
    """Who manages the portfolio in the demo: a stand-in account linked to the pupil (youth or parent)."""
    age = access.youth_age(portfolio)
    role = Role.YOUTH if age >= access.CUSTODY_AGE else Role.PARENT
    email = f"portfolio-{portfolio.pk}-{role}@voorbeeld.test"
    user = User.objects.filter(email=email).first()
    if user is None:
        user = User.objects.create_user(email=email, password=None, role=role, first_name=portfolio.display_name)
        PupilAccountLink.objects.create(user=user, pupil=portfolio.pupil,
                                        relation=PupilAccountLink.Relation.SELF if role == Role.YOUTH
                                        else PupilAccountLink.Relation.PARENT)
    return user


SELF_ENTRIES = [
    ("experience", "Vrijwilliger op het buurtfeest", "Hielp bij de opbouw en de bar.", "Buurtcomité", "interact"),
    ("talent", "Tekenen", "Ik teken strips en personages.", "", None),
    ("experience", "Zomerjob in de bakkerij", "Werkte in de verkoop.", "Bakkerij", "commitments"),
    ("competence", "Presentatie over mijn stage", "Gaf een presentatie in de klas.", "School", "presentation"),
    ("talent", "Voetbal", "Speel al vijf jaar bij de club.", "Sportclub", "effort"),
]


def _fill(rng, portfolio, issuers, today) -> int:
    owner = _owner(portfolio)
    for kind, title, description, where, skill_key in rng.sample(SELF_ENTRIES, rng.randint(1, 3)):
        skill = EscoSkill.objects.get(uri=SKILLS[skill_key]) if skill_key else None
        services.entry_create(user=owner, portfolio=portfolio, kind=kind, title=title, description=description, where=where,
                              started_on=today - datetime.timedelta(days=rng.randint(30, 900)), esco_skill=skill,
                              evidence_text="")
    issued = 0
    for issuer, achievements in rng.sample(issuers, rng.randint(0, 2)):
        issued += _attest(rng, portfolio, issuer, achievements, today, count=rng.randint(1, 2), owner=owner)
    return issued


def _demo_youth(rng, youth_user, portfolio, issuers, skills, today) -> int:
    """The demo youth: own entries, three attestations, a share with an employer, an open request."""
    services.portfolio_settings(user=youth_user, portfolio=portfolio, display_name="Imane", parent_sees_all=False)
    services.entry_create(user=youth_user, portfolio=portfolio, kind="talent", title="Gitaar spelen",
                          description="Ik speel gitaar sinds mijn tiende en treed op met mijn band.", where="Muziekacademie",
                          started_on=today.replace(year=today.year - 4), esco_skill=skills["enthusiasm"],
                          parent_visible=True, evidence_url="https://example.org/mijn-band")
    own = services.entry_create(user=youth_user, portfolio=portfolio, kind="experience", title="Stage in het magazijn",
                                description="Een week meegewerkt in het magazijn.", where="Haven Logistiek",
                                started_on=today - datetime.timedelta(days=60), ended_on=today - datetime.timedelta(days=55),
                                esco_skill=skills["commitments"], evidence_text="Dagboek van mijn stageweek.")
    company, company_achievements = issuers[0]
    club, club_achievements = issuers[1]
    music, music_achievements = issuers[3]
    issued = _attest(rng, portfolio, company, company_achievements[:1], today, count=1, owner=youth_user)
    issued += _attest(rng, portfolio, club, club_achievements, today, count=2, owner=youth_user)
    credential = portfolio.credentials.filter(issuer=club).order_by("issued_at").first()
    services.credential_set_status(user=_contact(club), credential=credential, status="suspended",
                                   reason="Wordt nagekeken na een vraag van de jongere.")
    services.request_create(user=youth_user, portfolio=portfolio, issuer=music, achievement=music_achievements[0],
                            message="Ik speelde mee in het concert van juni. Kunnen jullie dat bevestigen?", entry=None)
    services.request_create(user=youth_user, portfolio=portfolio, issuer=company, achievement=company_achievements[1],
                            message="Tijdens mijn stage heb ik ook de voorraad geteld.", entry=own)
    services.grant_create(user=youth_user, portfolio=portfolio, entries=portfolio.entries.filter(source="attested"),
                          audience="employer", audience_name="Haven Logistiek NV (sollicitatie)",
                          expires_on=today + datetime.timedelta(days=30))
    return issued
