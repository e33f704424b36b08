"""The portfolio's services: custody by age, consent codes, issuing, status lists, sharing."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from leerloopbaan.kernel import clock
from leerloopbaan.portfolio import access
from leerloopbaan.portfolio.models import Credential, Entry, IssuerLink, StatusList
from leerloopbaan.portfolio.youth import selectors, services
from leerloopbaan.portfolio.youth.services import PortfolioError

pytestmark = pytest.mark.django_db


def test_issued_credential_verifies_and_carries_no_personal_data(attested):
    credential = attested["credential"]
    document = credential.document
    report = selectors.verify(document)
    assert report.ok, report.to_dict()
    text = str(document)
    assert "Lina" not in text and "Achternaam" not in text and attested["pupil"].pupil_key not in text
    assert attested["pupil"].birth_date.isoformat() not in text
    assert document["credentialSubject"]["id"] == attested["portfolio"].holder_id
    assert document["credentialSubject"]["achievement"]["alignment"][0]["targetUrl"] == attested["achievement"].esco_skill.uri
    assert document["issuer"]["id"] == services.issuer_did(attested["issuer"])


def test_credential_has_one_revocation_status_object(attested):
    """Open Badges 3.0 allows one credentialStatus object: the platform issues one, for revocation."""
    status = attested["credential"].document["credentialStatus"]
    assert isinstance(status, dict) and status["statusPurpose"] == "revocation"
    assert attested["credential"].suspension_list is None
    assert not StatusList.objects.filter(issuer=attested["issuer"], purpose="suspension").exists()


def test_status_list_indexes_are_drawn_at_random(attested, monkeypatch):
    """Handed out in order, indexes would reveal the order of issuance; they are drawn from the unused ones."""
    contact, portfolio, achievement = attested["contact"], attested["portfolio"], attested["achievement"]
    credentials = [attested["credential"]] + [
        services.credential_issue(user=contact, portfolio=portfolio, achievement=achievement) for _i in range(5)]
    indexes = [c.revocation_index for c in credentials]
    assert len(set(indexes)) == len(indexes)
    assert indexes != sorted(indexes) or max(indexes) > 1000, indexes
    assert indexes != list(range(len(indexes)))
    # an index already taken is never drawn again: the draw skips it
    taken = credentials[1].revocation_index
    draws = iter([taken, taken, 4242])
    monkeypatch.setattr(services.secrets, "randbelow", lambda n: next(draws))
    again = services.credential_issue(user=contact, portfolio=portfolio, achievement=achievement)
    assert again.revocation_index == 4242
    assert StatusList.objects.get(issuer=attested["issuer"], purpose="revocation").next_index == 7


def test_revocation_and_suspension(attested):
    credential, contact = attested["credential"], attested["contact"]
    services.credential_set_status(user=contact, credential=credential, status="suspended", reason="checking")
    report = selectors.verify(credential.document)
    assert not report.ok and report.check("status").code == "status.suspended_by_issuer", report.to_dict()
    assert "suspended" in report.check("status").message
    services.credential_set_status(user=contact, credential=credential, status="active")
    assert selectors.verify(credential.document).ok
    services.credential_set_status(user=contact, credential=credential, status="revoked", reason="issued by mistake")
    report = selectors.verify(credential.document)
    assert not report.ok and any(c.code == "status.revoked" for c in report.checks), report.to_dict()
    with pytest.raises(PortfolioError):
        services.credential_set_status(user=contact, credential=credential, status="active")


def test_tampered_credential_fails_the_proof(attested):
    document = dict(attested["credential"].document)
    document["name"] = "Something else"
    report = selectors.verify(document)
    assert not report.ok
    assert [c for c in report.checks if c.name == "proof"][0].ok is False


def test_key_rotation_keeps_old_credentials_valid_and_revocation_breaks_them(attested):
    contact, issuer, credential = attested["contact"], attested["issuer"], attested["credential"]
    services.key_rotate(user=contact, issuer=issuer)
    assert selectors.verify(credential.document).ok
    second = services.credential_issue(user=contact, portfolio=attested["portfolio"], achievement=attested["achievement"])
    assert second.signing_key.fragment == "key-2" and selectors.verify(second.document).ok
    services.key_revoke(user=contact, key=credential.signing_key, reason="laptop stolen")
    assert not selectors.verify(credential.document).ok
    assert selectors.verify(second.document).ok


def test_code_is_one_time_and_expires(make_youth, make_issuer):
    pupil, youth, _parent = make_youth(14)
    issuer, contact = make_issuer()
    other, other_contact = make_issuer()
    portfolio = services.portfolio_open(user=youth, pupil=pupil)
    code = services.code_create(user=youth, portfolio=portfolio)
    services.code_redeem(user=contact, code=code.code.lower())
    assert IssuerLink.objects.filter(portfolio=portfolio, issuer=issuer).exists()
    with pytest.raises(PortfolioError, match="already been used"):
        services.code_redeem(user=other_contact, code=code.code)
    late = services.code_create(user=youth, portfolio=portfolio)
    type(late).objects.filter(pk=late.pk).update(expires_at=timezone.now() - datetime.timedelta(minutes=1))
    with pytest.raises(PortfolioError, match="expired"):
        services.code_redeem(user=other_contact, code=late.code)
    assert not IssuerLink.objects.filter(portfolio=portfolio, issuer=other).exists()


def test_organisation_cannot_attest_without_the_youths_code(make_youth, make_issuer, skill):
    pupil, youth, _parent = make_youth(16)
    _issuer, contact = make_issuer()
    portfolio = services.portfolio_open(user=youth, pupil=pupil)
    achievement = services.achievement_create(user=contact, name="A", description="d", criteria="c", esco_skill=skill)
    with pytest.raises(PermissionDenied):
        services.credential_issue(user=contact, portfolio=portfolio, achievement=achievement)
    assert not Credential.objects.exists() and not Entry.objects.exists()


def test_unverified_organisation_cannot_attest(make_issuer, skill):
    _issuer, contact = make_issuer(verify=False)
    with pytest.raises(PortfolioError, match="not verified"):
        services.achievement_create(user=contact, name="A", description="d", criteria="c", esco_skill=skill)


def test_custody_follows_age(make_youth):
    young, young_self, young_parent = make_youth(10)
    teen, teen_self, teen_parent = make_youth(14)
    old, old_self, _old_parent = make_youth(26)
    p_young = services.portfolio_open(user=young_parent, pupil=young)
    p_teen = services.portfolio_open(user=teen_self, pupil=teen)
    p_old = services.portfolio_open(user=old_self, pupil=old)
    today = clock.today()
    # until 13: the parent manages with the child
    services.entry_create(user=young_parent, portfolio=p_young, kind="talent", title="Drawing", started_on=today)
    services.entry_create(user=young_self, portfolio=p_young, kind="talent", title="Dancing", started_on=today)
    assert access.visible_entries(young_parent, p_young).count() == 2
    # from 13: the youth decides, the parent sees only what is shared
    hidden = services.entry_create(user=teen_self, portfolio=p_teen, kind="talent", title="Private", started_on=today)
    shown = services.entry_create(user=teen_self, portfolio=p_teen, kind="talent", title="Shown", started_on=today,
                                  parent_visible=True)
    assert list(access.visible_entries(teen_parent, p_teen)) == [shown]
    with pytest.raises(PortfolioError, match="From 13"):
        services.entry_create(user=teen_parent, portfolio=p_teen, kind="talent", title="x", started_on=today)
    with pytest.raises(PermissionDenied):
        services.entry_share_with_parent(user=teen_parent, entry=hidden, visible=True)
    services.portfolio_settings(user=teen_self, portfolio=p_teen, display_name="L", parent_sees_all=True)
    assert access.visible_entries(teen_parent, p_teen).count() == 2
    # from 25: closed, readable
    with pytest.raises(PortfolioError, match="closed"):
        services.entry_create(user=old_self, portfolio=p_old, kind="talent", title="x", started_on=today)
    assert access.relation(old_self, p_old) == "self"


def test_grant_validation_and_expiry(attested):
    youth, portfolio = attested["youth"], attested["portfolio"]
    entry = attested["credential"].entry
    with pytest.raises(PortfolioError) as error:
        services.grant_create(user=youth, portfolio=portfolio, entries=[], audience="employer", audience_name="",
                              expires_on=clock.today())
    assert set(error.value.fields) == {"entries", "audience_name", "expires_on"}
    grant = services.grant_create(user=youth, portfolio=portfolio, entries=[entry], audience="employer",
                                  audience_name="Bakery", expires_on=clock.today() + datetime.timedelta(days=3))
    assert selectors.grant_open(token=grant.token) is not None
    type(grant).objects.filter(pk=grant.pk).update(expires_at=timezone.now() - datetime.timedelta(seconds=1))
    assert selectors.grant_open(token=grant.token) is None


def test_status_list_is_signed_and_large_enough(attested):
    status_list = StatusList.objects.filter(issuer=attested["issuer"], purpose="revocation").get()
    document = services.status_list_document(status_list)
    assert document["type"] == ["VerifiableCredential", "BitstringStatusListCredential"]
    assert document["proof"]["cryptosuite"] == "eddsa-rdfc-2022"
    assert len(bytes(status_list.bits)) * 8 >= 131072


def test_esco_load_command_from_an_official_download(tmp_path):
    from django.core.management import CommandError, call_command

    from leerloopbaan.portfolio.models import EscoSkill

    header = "conceptType,conceptUri,skillType,reuseLevel,preferredLabel,altLabels,description\n"
    uri = "http://data.europa.eu/esco/skill/00000000-0000-4000-8000-000000000001"
    (tmp_path / "skills_en.csv").write_text(header + f"KnowledgeSkillCompetence,{uri},skill/competence,transversal,"
                                            "juggle,,Keep three balls in the air.\n")
    (tmp_path / "skills_nl.csv").write_text(header + f"KnowledgeSkillCompetence,{uri},skill/competence,transversal,"
                                            "jongleren,,Drie ballen in de lucht houden.\n")
    before = EscoSkill.objects.count()
    call_command("esco_load", folder=tmp_path, esco_version="1.2.0")
    skill = EscoSkill.objects.get(uri=uri)
    assert (skill.label_nl, skill.label_en, skill.release) == ("jongleren", "juggle", "1.2.0")
    assert EscoSkill.objects.count() == before + 1
    (tmp_path / "skills_nl.csv").write_text("conceptUri\n")
    with pytest.raises(CommandError, match="skills_nl.csv"):
        call_command("esco_load", folder=tmp_path, esco_version="1.2.0")
    assert selectors.esco_search(query="jongle")[0] == skill


@pytest.mark.parametrize("name, content, accepted", [
    ("bewijs.pdf", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", True),
    ("foto.png", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", True),
    ("foto.jpg", b"\xff\xd8\xff\xe0\x00\x10JFIF\x00", True),
    ("notities.txt", "Ik gaf de training één keer per week.\n".encode(), True),
    ("bewijs.pdf", b"<html><script>alert(1)</script></html>", False),
    ("foto.png", b"%PDF-1.4 a pdf named as a picture", False),
    ("foto.jpeg", b"\x89PNG\r\n\x1a\n a png named as a jpeg", False),
    ("notities.txt", b"MZ\x90\x00\x03\x00\x00\x00 a program", False),
    ("verslag.docx", b"PK\x03\x04 not really a zip", False),
])
def test_evidence_upload_is_checked_by_content(attested, name, content, accepted):
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.utils import translation

    youth, portfolio = attested["youth"], attested["portfolio"]
    upload = SimpleUploadedFile(name, content, content_type="application/octet-stream")
    if accepted:
        entry = services.entry_create(user=youth, portfolio=portfolio, kind="talent", title="Met bewijs",
                                      started_on=clock.today(), evidence_file=upload)
        assert entry.evidence.get().file.read() == content
        return
    with translation.override("nl"), pytest.raises(PortfolioError) as error:
        services.entry_create(user=youth, portfolio=portfolio, kind="talent", title="Met bewijs",
                              started_on=clock.today(), evidence_file=upload)
    assert "De inhoud van dit bestand is geen" in error.value.fields["evidence_file"]
    assert not Entry.objects.filter(title="Met bewijs").exists()


def test_shares_carry_pairwise_holder_ids(attested, client):
    """Two recipients of the same credential cannot link it: each share has its own holder id and
    credential id; the youth's own download keeps their holder id; every copy verifies."""
    import json as json_module

    from django.urls import reverse

    youth, portfolio, credential = attested["youth"], attested["portfolio"], attested["credential"]
    until = clock.today() + datetime.timedelta(days=5)
    grants = [services.grant_create(user=youth, portfolio=portfolio, entries=[credential.entry], audience="employer",
                                    audience_name=name, expires_on=until) for name in ("Bakery", "Garage")]
    second = services.credential_issue(user=attested["contact"], portfolio=portfolio, achievement=attested["achievement"])
    grants[0].entries.add(second.entry)

    def download(grant, c):
        response = client.get(reverse("portfolio:share_credential", args=[grant.token, c.pk]))
        assert response.status_code == 200
        return json_module.loads(response.content), response["Content-Disposition"]

    (bakery, bakery_name), (garage, garage_name) = download(grants[0], credential), download(grants[1], credential)
    subjects = {bakery["credentialSubject"]["id"], garage["credentialSubject"]["id"], portfolio.holder_id}
    assert len(subjects) == 3
    assert len({bakery["id"], garage["id"], credential.credential_id}) == 3
    assert credential.credential_id[9:17] not in bakery_name + garage_name
    # stable within a share: the same file again, and the same holder for every credential in it
    assert download(grants[0], credential)[0] == bakery
    assert download(grants[0], second)[0]["credentialSubject"]["id"] == bakery["credentialSubject"]["id"]
    assert credential.document["credentialSubject"]["id"] == portfolio.holder_id
    for document in (bakery, garage):
        assert selectors.verify(document).ok, selectors.verify(document).to_dict()
        api = client.post("/api/v1/credentials/verify", data=json_module.dumps(document), content_type="application/json")
        assert api.json()["ok"] is True
    # the issuer's suspension and revocation reach every copy
    services.credential_set_status(user=attested["contact"], credential=credential, status="suspended", reason="check")
    assert selectors.verify(garage).check("status").code == "status.suspended_by_issuer"
    services.credential_set_status(user=attested["contact"], credential=credential, status="revoked", reason="mistake")
    assert selectors.verify(bakery).check("status").code == "status.revoked"
    assert selectors.verify(download(grants[0], second)[0]).ok
