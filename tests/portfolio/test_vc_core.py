"""The verifiable-credentials core: keys, building, signing, status lists and every verification check."""

from __future__ import annotations

import copy
import gzip
import json
from datetime import UTC, datetime, timedelta

import pytest

from leerloopbaan.portfolio.vc import (
    KeyPair,
    StatusBits,
    VcError,
    build_credential,
    build_status_list_credential,
    controller_document,
    sign,
    status_entry,
    verify_credential,
)
from leerloopbaan.portfolio.vc.jsonld import canonicalize
from leerloopbaan.portfolio.vc.multibase import b58decode, b58encode, decode_u

DID = "did:web:leerloopbaan.example:schools:0001"
NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
ISSUED = NOW - timedelta(days=30)
REVOCATION_URL = "https://leerloopbaan.example/status/0001/revocation/1"
SUSPENSION_URL = "https://leerloopbaan.example/status/0001/suspension/1"
SUBJECT = "urn:uuid:5b0f6c43-2f7e-4f4e-9c55-1b5d8f2b9a10"
ACHIEVEMENT = {
    "id": "https://leerloopbaan.example/achievements/teamwork",
    "name": "Samenwerken in een project",
    "description": "Werkt doelgericht samen met anderen in een project.",
    "criteria": "Drie projecten, beoordeeld door twee leerkrachten.",
    "achievementType": "Competency",
    "alignment": [{
        "targetName": "work in teams",
        "targetUrl": "http://data.europa.eu/esco/skill/6e0c4d0d-4c53-4aa7-8c1c-a7e2b6a0d0f1",
        "targetFramework": "ESCO",
        "targetCode": "S1.3",
    }],
}


def key(n: int) -> KeyPair:
    return KeyPair.from_secret_bytes(bytes([n]) * 32)


class Platform:
    """What an issuing school publishes: its controller document and its status list credentials."""

    def __init__(self, keys=(("key-1", 1),), did=DID):
        self.did = did
        self.keys = {fragment: key(seed) for fragment, seed in keys}
        self.current = list(self.keys)[-1]
        self.bits = {"revocation": StatusBits(), "suspension": StatusBits()}
        self.documents: dict = {}
        self.publish()

    def publish(self) -> None:
        self.documents[self.did] = controller_document(
            self.did, [(f, k.public_multibase) for f, k in self.keys.items()])
        for purpose, url in (("revocation", REVOCATION_URL), ("suspension", SUSPENSION_URL)):
            unsigned = build_status_list_credential(url=url, issuer_did=self.did, purpose=purpose,
                                                    encoded_list=self.bits[purpose].encoded(),
                                                    valid_from=ISSUED - timedelta(days=1))
            self.documents[url] = self.sign(unsigned, created=ISSUED - timedelta(days=1))

    def sign(self, document, *, fragment=None, created=ISSUED):
        fragment = fragment or self.current
        return sign(document, key=self.keys[fragment], verification_method=f"{self.did}#{fragment}",
                    created=created)

    def credential(self, index: int, *, fragment=None, purpose="revocation", **overrides) -> dict:
        url = REVOCATION_URL if purpose == "revocation" else SUSPENSION_URL
        status = status_entry(list_url=url, index=index, purpose=purpose)
        fields = dict(
            credential_id=f"urn:uuid:7d1e2c3a-0000-4000-8000-{index:012d}",
            issuer={"id": self.did, "name": "Basisschool De Linde", "url": "https://delinde.example"},
            subject_id=SUBJECT, achievement=ACHIEVEMENT, valid_from=ISSUED, valid_until=None,
            status=status, evidence=[{"narrative": "Projectwerk 'De stad van morgen'.", "name": "Project"}],
            name="Samenwerken",
        )
        fields.update(overrides)
        return self.sign(build_credential(**fields), fragment=fragment)

    def resolve(self, url):
        return self.documents.get(url)

    def verify(self, credential, now=NOW):
        return verify_credential(credential, resolve_document=self.resolve, now=now)


@pytest.fixture(scope="module")
def platform() -> Platform:
    return Platform()


def codes(report) -> dict:
    return {check.name: check.code for check in report.checks}


# ---------------------------------------------------------------------------------- encodings, keys

def test_base58btc_known_values_and_leading_zeros():
    assert b58encode(b"hello world") == "StV1DL6CwTryKyV"
    assert b58encode(b"\0\0\x01") == "112"
    for data in (b"", b"\0", b"\0\0\xff\x10", bytes(range(40))):
        assert b58decode(b58encode(data)) == data
    with pytest.raises(ValueError):
        b58decode("0OIl")


def test_key_pair_matches_the_w3c_eddsa_test_vector():
    # "Data Integrity EdDSA Cryptosuites v1.0", test vectors: the same Ed25519 key pair as Multikey
    pair = KeyPair.from_secret_multibase("z3u2en7t5LR2WtQH5PfFqMqwVHBeXouLzo6haApm8XHqvjxq")
    assert pair.public_multibase == "z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2"
    assert pair.secret_multibase == "z3u2en7t5LR2WtQH5PfFqMqwVHBeXouLzo6haApm8XHqvjxq"


def test_key_pair_round_trips_and_hides_the_secret():
    pair = KeyPair.generate()
    again = KeyPair.from_secret_bytes(pair.secret_bytes)
    assert again.public_multibase == pair.public_multibase
    assert pair.public_multibase.startswith("z6Mk")
    assert pair.secret_multibase not in repr(pair)
    with pytest.raises(VcError):
        KeyPair.from_secret_bytes(b"short")


def test_controller_document_lists_every_key_as_assertion_method():
    doc = controller_document(DID, [("key-1", key(1).public_multibase), ("key-2", key(2).public_multibase)])
    assert doc["@context"] == ["https://www.w3.org/ns/did/v1", "https://w3id.org/security/multikey/v1"]
    assert [m["id"] for m in doc["verificationMethod"]] == [f"{DID}#key-1", f"{DID}#key-2"]
    assert all(m["type"] == "Multikey" and m["controller"] == DID for m in doc["verificationMethod"])
    assert doc["assertionMethod"] == [f"{DID}#key-1", f"{DID}#key-2"]
    canonicalize(doc)  # valid JSON-LD with the bundled contexts
    with pytest.raises(VcError):
        controller_document(DID, [("key-1", "z123")])
    with pytest.raises(VcError):
        controller_document("https://not-a-did", [])


# --------------------------------------------------------------------------------------- status bits

def test_status_bits_left_to_right_and_encoding():
    bits = StatusBits(16)
    bits.set(0, True)
    bits.set(9, True)
    assert bits.to_bytes() == bytes([0b1000_0000, 0b0100_0000])
    assert bits.get(0) and bits.get(9) and not bits.get(1)
    bits.set(0, False)
    assert not bits.get(0)
    with pytest.raises(VcError):
        bits.get(16)

    big = StatusBits()
    assert big.size == 131072
    big.set(131071, True)
    encoded = big.encoded()
    assert encoded.startswith("u") and "=" not in encoded
    assert gzip.decompress(decode_u(encoded)) == big.to_bytes()
    decoded = StatusBits.decode(encoded)
    assert decoded.get(131071) and not decoded.get(0)
    assert StatusBits.from_bytes(big.to_bytes()).to_bytes() == big.to_bytes()
    with pytest.raises(VcError):
        StatusBits.decode("not-multibase")


def test_status_entry_shape():
    entry = status_entry(list_url=REVOCATION_URL, index=42, purpose="revocation")
    assert entry == {
        "id": f"{REVOCATION_URL}#42", "type": "BitstringStatusListEntry", "statusPurpose": "revocation",
        "statusListIndex": "42", "statusListCredential": REVOCATION_URL,
    }
    with pytest.raises(VcError):
        status_entry(list_url=REVOCATION_URL, index=1, purpose="refresh")


# --------------------------------------------------------------------------------------- building

def test_built_credential_is_an_open_badge_without_personal_data(platform):
    credential = platform.credential(1)
    assert credential["@context"] == ["https://www.w3.org/ns/credentials/v2",
                                      "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"]
    assert credential["type"] == ["VerifiableCredential", "OpenBadgeCredential"]
    assert credential["issuer"]["type"] == ["Profile"]
    subject = credential["credentialSubject"]
    assert subject == {"id": SUBJECT, "type": ["AchievementSubject"], "achievement": subject["achievement"]}
    achievement = subject["achievement"]
    assert achievement["criteria"] == {"narrative": ACHIEVEMENT["criteria"]}
    assert achievement["alignment"][0]["type"] == ["Alignment"]
    assert achievement["alignment"][0]["targetFramework"] == "ESCO"
    assert credential["validFrom"] == "2026-01-30T12:00:00Z"
    assert credential["credentialStatus"]["statusPurpose"] == "revocation"
    proof = credential["proof"]
    assert proof["type"] == "DataIntegrityProof" and proof["cryptosuite"] == "eddsa-rdfc-2022"
    assert proof["proofPurpose"] == "assertionMethod" and proof["proofValue"].startswith("z")
    assert proof["verificationMethod"] == f"{DID}#key-1"


def test_credential_status_is_one_object_as_open_badges_requires(platform):
    """Open Badges 3.0's JSON schema types credentialStatus as one CredentialStatus object: the builder
    makes one, and the verifier's schema check refuses a list (which VC 2.0 alone would allow)."""
    credential = platform.credential(2)
    assert isinstance(credential["credentialStatus"], dict)
    assert platform.verify(credential).ok
    two = [status_entry(list_url=REVOCATION_URL, index=2, purpose="revocation"),
           status_entry(list_url=SUSPENSION_URL, index=2, purpose="suspension")]
    with pytest.raises(VcError, match="one credentialStatus object"):
        platform.credential(2, status=two)
    unsigned = {k: v for k, v in credential.items() if k != "proof"}
    listed = platform.sign({**unsigned, "credentialStatus": two})
    report = platform.verify(listed)
    assert not report.ok and report.check("schema").ok is False
    assert report.check("schema").params["path"] == "$.credentialStatus", report.to_dict()


@pytest.mark.parametrize("overrides, fragment", [
    ({"subject_id": "jan.peeters@example.org"}, "subject_id"),
    ({"subject_id": "Jan Peeters"}, "subject_id"),
    ({"achievement": {**ACHIEVEMENT, "learner_email": "x@example.org"}}, "unsupported keys"),
    ({"achievement": {**ACHIEVEMENT, "achievementType": "Medal"}}, "AchievementType"),
    ({"achievement": {**ACHIEVEMENT, "alignment": [{"targetName": "x", "targetUrl": "not a url"}]}}, "targetUrl"),
    ({"issuer": {"id": "https://school.example", "name": "X"}}, "issuer.id"),
    ({"valid_from": datetime(2026, 1, 1)}, "timezone"),
    ({"valid_until": ISSUED - timedelta(days=1)}, "valid_until"),
    ({"status": [status_entry(list_url=REVOCATION_URL, index=1, purpose="revocation")]}, "one credentialStatus"),
])
def test_build_refuses_bad_or_personal_input(overrides, fragment):
    fields = dict(credential_id="urn:uuid:7d1e2c3a-0000-4000-8000-000000000001",
                  issuer={"id": DID, "name": "School"}, subject_id=SUBJECT, achievement=ACHIEVEMENT,
                  valid_from=ISSUED, valid_until=None, status=None, name="X")
    fields.update(overrides)
    with pytest.raises(VcError, match=fragment):
        build_credential(**fields)


def test_sign_refuses_unknown_context_and_signed_documents(platform):
    unsigned = {"@context": ["https://www.w3.org/ns/credentials/v2", "https://example.org/unknown/v1"],
                "type": ["VerifiableCredential"], "issuer": DID, "credentialSubject": {"id": SUBJECT}}
    with pytest.raises(VcError, match="unknown_context"):
        platform.sign(unsigned)
    with pytest.raises(VcError, match="already has a proof"):
        platform.sign(platform.credential(3))


# ------------------------------------------------------------------------------------- verification

def test_valid_credential_passes_every_check(platform):
    report = platform.verify(platform.credential(4))
    assert report.ok, report.to_dict()
    assert codes(report) == {"schema": "schema.ok", "proof": "proof.ok", "status": "status.ok", "dates": "dates.ok"}
    assert report.check("status").params["count"] == 1
    assert json.loads(json.dumps(report.to_dict()))["ok"] is True


def test_no_status_is_not_applicable(platform):
    report = platform.verify(platform.credential(5, status=None))
    assert report.ok
    assert report.check("status").ok is None and report.check("status").code == "status.not_applicable"


@pytest.mark.parametrize("mutate", [
    lambda c: c["credentialSubject"]["achievement"].__setitem__("name", "Leiderschap"),
    lambda c: c["credentialSubject"].__setitem__("id", "urn:uuid:00000000-0000-4000-8000-000000000000"),
    lambda c: c.__setitem__("validFrom", "2025-01-30T12:00:00Z"),
    lambda c: c["credentialSubject"]["achievement"]["alignment"][0].__setitem__("targetCode", "S9"),
    lambda c: c["credentialSubject"]["achievement"].__setitem__("creator", {"id": "did:web:other.example"}),
    lambda c: c["proof"].__setitem__("created", "2026-01-29T12:00:00Z"),
])
def test_any_change_after_signing_breaks_the_proof(platform, mutate):
    credential = copy.deepcopy(platform.credential(6))
    mutate(credential)
    report = platform.verify(credential)
    assert not report.ok
    assert report.check("proof").code == "proof.invalid_signature"
    assert "changed after signing" in report.check("proof").message


def test_revoked_and_suspended():
    platform = Platform()
    revoked, suspended = platform.credential(10), platform.credential(11, purpose="suspension")
    fine = platform.credential(12)
    platform.bits["revocation"].set(10, True)
    platform.bits["suspension"].set(11, True)
    platform.publish()
    assert codes(platform.verify(revoked))["status"] == "status.revoked"
    assert codes(platform.verify(suspended))["status"] == "status.suspended"
    assert platform.verify(fine).ok
    report = platform.verify(revoked)
    assert not report.ok and report.check("proof").ok
    assert "revoked" in report.check("status").message and "index 10" in report.check("status").message
    # lifting a suspension makes the credential valid again, without re-issuing it
    platform.bits["suspension"].set(11, False)
    platform.publish()
    assert platform.verify(suspended).ok


def test_key_rotation_keeps_old_credentials_valid_while_the_old_key_is_published():
    platform = Platform(keys=(("key-1", 1),))
    old = platform.credential(20)
    platform.keys["key-2"] = key(2)
    platform.current = "key-2"
    platform.publish()
    new = platform.credential(21)
    assert new["proof"]["verificationMethod"].endswith("#key-2")
    assert platform.verify(old).ok and platform.verify(new).ok
    # retiring key-1 retires what it signed
    del platform.keys["key-1"]
    platform.publish()
    assert codes(platform.verify(old))["proof"] == "proof.unknown_key"
    assert platform.verify(new).ok


def test_proof_failures_have_stable_codes(platform):
    credential = platform.credential(30)

    def with_docs(**changes):
        docs = {**platform.documents, **changes}
        return verify_credential(credential, resolve_document=docs.get, now=NOW)

    assert codes(with_docs(**{DID: None}))["proof"] == "proof.unknown_controller"
    not_authorised = copy.deepcopy(platform.documents[DID])
    not_authorised["assertionMethod"] = []
    assert codes(with_docs(**{DID: not_authorised}))["proof"] == "proof.not_authorized"
    other_key = controller_document(DID, [("key-1", key(9).public_multibase)])
    assert codes(with_docs(**{DID: other_key}))["proof"] == "proof.invalid_signature"

    def crashing(url):
        raise RuntimeError("resolver down")
    assert codes(verify_credential(credential, resolve_document=crashing, now=NOW))["proof"] == (
        "proof.unknown_controller")

    # signed by another issuer's key: the key's controller must be the credential's issuer
    other = Platform(did="did:web:elsewhere.example")
    forged = other.sign({k: v for k, v in credential.items() if k != "proof"})
    report = verify_credential(forged, resolve_document={**platform.documents, **other.documents}.get, now=NOW)
    assert codes(report)["proof"] == "proof.issuer_mismatch"

    wrong_suite = copy.deepcopy(credential)
    wrong_suite["proof"]["cryptosuite"] = "ecdsa-rdfc-2019"
    report = platform.verify(wrong_suite)
    assert report.check("proof").code == "proof.unsupported"
    assert report.check("proof").params["field"] == "cryptosuite"

    unsigned = {k: v for k, v in credential.items() if k != "proof"}
    report = platform.verify(unsigned)
    assert codes(report)["proof"] == "proof.missing" and codes(report)["schema"] == "schema.missing_field"


def test_unknown_context_fails_clearly_without_fetching(platform):
    credential = copy.deepcopy(platform.credential(31))
    credential["@context"].append("https://evil.example/context.jsonld")
    report = platform.verify(credential)
    assert codes(report)["schema"] == "schema.unknown_context"
    assert codes(report)["proof"] == "proof.unknown_context"
    assert report.check("proof").params["url"] == "https://evil.example/context.jsonld"
    assert "https://evil.example/context.jsonld" in report.check("proof").message


@pytest.mark.parametrize("where", ["top", "subject"])
def test_undefined_property_is_an_error_not_silently_unsigned(platform, where):
    # VC 2.0's base context has no @vocab: an undefined term would vanish from the signed data
    credential = copy.deepcopy(platform.credential(32))
    (credential if where == "top" else credential["credentialSubject"])["learnerEmail"] = "jan@example.org"
    report = platform.verify(credential)
    assert not report.ok
    assert report.check("proof").code == "proof.dropped_property"
    unsigned = {k: v for k, v in credential.items() if k != "proof"}
    with pytest.raises(VcError, match="dropped_property"):
        platform.sign(unsigned)


def test_dates(platform):
    credential = platform.credential(33, valid_until=NOW + timedelta(days=1))
    assert platform.verify(credential).ok
    assert codes(platform.verify(credential, now=NOW + timedelta(days=2)))["dates"] == "dates.expired"
    assert codes(platform.verify(credential, now=ISSUED - timedelta(seconds=1)))["dates"] == "dates.not_yet_valid"
    future = platform.credential(34, fragment=None)
    future = platform.sign({k: v for k, v in future.items() if k != "proof"}, created=NOW + timedelta(hours=1))
    assert codes(platform.verify(future))["dates"] == "dates.proof_in_future"
    with pytest.raises(VcError):
        platform.verify(credential, now=datetime(2026, 1, 1))


def test_status_list_problems(platform):
    credential = platform.credential(35)
    docs = dict(platform.documents)

    def run():
        return verify_credential(credential, resolve_document=docs.get, now=NOW).check("status")

    del docs[REVOCATION_URL]
    assert run().code == "status.list_unavailable"
    docs = dict(platform.documents)
    tampered = copy.deepcopy(docs[REVOCATION_URL])
    bits = StatusBits()
    bits.set(0, True)
    tampered["credentialSubject"]["encodedList"] = bits.encoded()
    docs[REVOCATION_URL] = tampered
    check = run()
    assert check.code == "status.list_not_verified" and check.params["reason"] == "proof.invalid_signature"
    docs = dict(platform.documents)
    docs[REVOCATION_URL], docs[SUSPENSION_URL] = docs[SUSPENSION_URL], docs[REVOCATION_URL]
    assert run().code == "status.purpose_mismatch"
    small = Platform()
    small.bits["revocation"] = StatusBits(8)
    small.publish()
    report = small.verify(small.credential(35))
    assert report.check("status").code == "status.index_out_of_range"


@pytest.mark.parametrize("garbage", [
    None, "a string", 42, [], {}, {"@context": "x"}, {"@context": [1, 2], "proof": "x"},
    {"@context": ["https://www.w3.org/ns/credentials/v2"], "proof": {"type": "DataIntegrityProof"},
     "credentialStatus": [1], "validFrom": "yesterday"},
    {"@context": ["https://www.w3.org/ns/credentials/v2", {"@version": 99}], "issuer": DID,
     "proof": {"type": "DataIntegrityProof", "cryptosuite": "eddsa-rdfc-2022", "proofPurpose": "assertionMethod",
               "verificationMethod": f"{DID}#key-1", "proofValue": "z" + "2" * 87}},
])
def test_malformed_input_fails_checks_without_exceptions(platform, garbage):
    report = platform.verify(garbage)
    assert not report.ok
    assert {c.name for c in report.checks} == {"schema", "proof", "status", "dates"}
    for check in report.checks:
        assert isinstance(check.message, str) and check.message
    json.dumps(report.to_dict())


def test_schema_messages_name_the_failing_path(platform):
    credential = copy.deepcopy(platform.credential(36))
    del credential["credentialSubject"]["achievement"]["criteria"]
    check = platform.verify(credential).check("schema")
    assert check.code == "schema.missing_field"
    assert check.params["path"] == "$.credentialSubject.achievement.criteria"
    assert "$.credentialSubject.achievement.criteria" in check.message

    credential = copy.deepcopy(platform.credential(36))
    credential["@context"] = list(reversed(credential["@context"]))
    check = platform.verify(credential).check("schema")
    assert check.code == "schema.invalid_value" and check.params["path"] == "$.@context[0]"
    assert "https://www.w3.org/ns/credentials/v2" in check.message

    credential = copy.deepcopy(platform.credential(36))
    credential["type"] = ["VerifiableCredential"]
    check = platform.verify(credential).check("schema")
    assert check.code == "schema.invalid_value" and check.params["path"] == "$.type"


def test_messages_follow_the_language_of_the_request_through_the_app(platform):
    """The core is Django-free; the portfolio app hands it Django's translation, so a message is read
    in the active language (Dutch by default), and in English without it."""
    from django.utils import translation

    from leerloopbaan.portfolio.vc import verify

    check = platform.verify({"@context": ["https://www.w3.org/ns/credentials/v2"]}).check("proof")
    assert check.code == "proof.missing"
    with translation.override("nl"):
        assert check.message == "Het digitale bewijs heeft geen proof (handtekening)."
    with translation.override("en"):
        assert check.message == "The credential has no proof."
    translate = verify._translate
    try:
        verify.use_translation(lambda text: text.upper())
        assert check.message == "THE CREDENTIAL HAS NO PROOF."
    finally:
        verify.use_translation(translate)
