"""Unsigned Open Badges 3.0 ``OpenBadgeCredential`` documents (VC Data Model 2.0)."""

from __future__ import annotations

import re
from datetime import datetime

from .errors import VcError
from .jsonld import OB_V3, VC_V2
from .status import PURPOSES
from .timefmt import xsd_datetime

# Open Badges 3.0 AchievementType enumeration; "ext:..." extensions are allowed too.
ACHIEVEMENT_TYPES = frozenset({
    "Achievement", "ApprenticeshipCertificate", "Assessment", "Assignment", "AssociateDegree", "Award",
    "Badge", "BachelorDegree", "Certificate", "CertificateOfCompletion", "Certification",
    "CommunityService", "Competency", "Course", "CoCurricular", "Degree", "Diploma", "DoctoralDegree",
    "Fieldwork", "GeneralEducationDevelopment", "JourneymanCertificate", "LearningProgram", "License",
    "Membership", "ProfessionalDoctorate", "QualityAssuranceCredential", "MasterCertificate",
    "MasterDegree", "MicroCredential", "ResearchDoctorate", "SecondarySchoolDiploma",
})
ALIGNMENT_TARGET_TYPES = frozenset({
    "ceasn:Competency", "ceterms:Credential", "CFItem", "CFRubric", "CFRubricCriterion",
    "CFRubricCriterionLevel", "CTDL",
})
_URI = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:\S+$")
_UUID_URN = re.compile(r"^urn:uuid:[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_ACHIEVEMENT_KEYS = {"id", "name", "description", "criteria", "alignment", "achievementType", "otherIdentifier"}
_ALIGNMENT_KEYS = {"targetName", "targetUrl", "targetFramework", "targetCode", "targetDescription",
                   "targetType"}
_EVIDENCE_KEYS = {"id", "name", "description", "narrative", "genre", "audience"}


def _uri(value, what: str) -> str:
    if not isinstance(value, str) or not _URI.match(value):
        raise VcError(f"{what} must be an absolute URI, got {value!r}.")
    return value


def _text(value, what: str, *, required: bool = True) -> str | None:
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value.strip():
        raise VcError(f"{what} must be a non-empty string.")
    return value


def _only(mapping, allowed: set[str], what: str) -> dict:
    if not isinstance(mapping, dict):
        raise VcError(f"{what} must be a dict.")
    extra = sorted(set(mapping) - allowed)
    if extra:
        # refuse rather than drop: an unknown key could carry personal data into a public credential
        raise VcError(f"{what} has unsupported keys: {', '.join(extra)}.")
    return mapping


def _alignment(item: dict, n: int) -> dict:
    _only(item, _ALIGNMENT_KEYS, f"achievement.alignment[{n}]")
    out = {
        "type": ["Alignment"],
        "targetName": _text(item.get("targetName"), f"alignment[{n}].targetName"),
        "targetUrl": _uri(item.get("targetUrl"), f"alignment[{n}].targetUrl"),
    }
    for key in ("targetDescription", "targetFramework", "targetCode"):
        if item.get(key) is not None:
            out[key] = _text(item[key], f"alignment[{n}].{key}")
    if item.get("targetType") is not None:
        target_type = item["targetType"]
        if target_type not in ALIGNMENT_TARGET_TYPES and not str(target_type).startswith("ext:"):
            raise VcError(f"alignment[{n}].targetType {target_type!r} is not an OB 3.0 AlignmentTargetType.")
        out["targetType"] = target_type
    return out


def _achievement(achievement: dict) -> dict:
    _only(achievement, _ACHIEVEMENT_KEYS, "achievement")
    out = {
        "id": _uri(achievement.get("id"), "achievement.id"),
        "type": ["Achievement"],
        "name": _text(achievement.get("name"), "achievement.name"),
        "description": _text(achievement.get("description"), "achievement.description"),
        "criteria": {"narrative": _text(achievement.get("criteria"), "achievement.criteria")},
    }
    achievement_type = achievement.get("achievementType")
    if achievement_type is not None:
        if achievement_type not in ACHIEVEMENT_TYPES and not str(achievement_type).startswith("ext:"):
            raise VcError(f"achievementType {achievement_type!r} is not an OB 3.0 AchievementType.")
        out["achievementType"] = achievement_type
    alignment = achievement.get("alignment") or []
    if not isinstance(alignment, list):
        raise VcError("achievement.alignment must be a list.")
    if alignment:
        out["alignment"] = [_alignment(item, n) for n, item in enumerate(alignment)]
    identifiers = achievement.get("otherIdentifier") or []
    if not isinstance(identifiers, list):
        raise VcError("achievement.otherIdentifier must be a list.")
    if identifiers:
        out["otherIdentifier"] = [_identifier(item, n) for n, item in enumerate(identifiers)]
    return out


def _identifier(item: dict, n: int) -> dict:
    """An OB 3.0 IdentifierEntry; identifierType is one of the spec's types or an ``ext:`` extension."""
    _only(item, {"type", "identifier", "identifierType"}, f"otherIdentifier[{n}]")
    kind = item.get("identifierType")
    if not isinstance(kind, str) or not re.fullmatch(r"ext:[A-Za-z0-9._-]+", kind):
        raise VcError(f"otherIdentifier[{n}].identifierType must be an ext: extension type.")
    return {"type": "IdentifierEntry", "identifier": _text(item.get("identifier"), f"otherIdentifier[{n}].identifier"),
            "identifierType": kind}


def _evidence(item: dict, n: int) -> dict:
    _only(item, _EVIDENCE_KEYS, f"evidence[{n}]")
    out: dict = {}
    if item.get("id") is not None:
        out["id"] = _uri(item["id"], f"evidence[{n}].id")
    out["type"] = ["Evidence"]
    for key in ("name", "description", "narrative", "genre", "audience"):
        if item.get(key) is not None:
            out[key] = _text(item[key], f"evidence[{n}].{key}")
    if len(out) == 1:
        raise VcError(f"evidence[{n}] is empty.")
    return out


def build_credential(*, credential_id: str, issuer: dict, subject_id: str, achievement: dict,
                     valid_from: datetime, valid_until: datetime | None, status: dict | None,
                     evidence: list[dict] | None = None, name: str) -> dict:
    """An unsigned OpenBadgeCredential; sign it with :func:`sign`.

    ``subject_id`` is pseudonymous (``urn:uuid:...`` or a DID): the credential never names the
    learner (no name, e-mail or birth date), so it can be shared without a data leak.
    """
    _only(issuer, {"id", "name", "url"}, "issuer")
    issuer_id = issuer.get("id")
    if not isinstance(issuer_id, str) or not issuer_id.startswith("did:") or "#" in issuer_id:
        raise VcError("issuer.id must be a DID without fragment.")
    profile = {"id": issuer_id, "type": ["Profile"], "name": _text(issuer.get("name"), "issuer.name")}
    if issuer.get("url") is not None:
        profile["url"] = _uri(issuer["url"], "issuer.url")

    if not isinstance(subject_id, str) or not (_UUID_URN.match(subject_id) or subject_id.startswith("did:")):
        raise VcError("subject_id must be a pseudonymous urn:uuid:... or DID (never a name or e-mail).")

    credential = {
        "@context": [VC_V2, OB_V3],
        "id": _uri(credential_id, "credential_id"),
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "name": _text(name, "name"),
        "issuer": profile,
        "validFrom": xsd_datetime(valid_from),
    }
    if valid_until is not None:
        if valid_until <= valid_from:
            raise VcError("valid_until must be after valid_from.")
        credential["validUntil"] = xsd_datetime(valid_until)
    credential["credentialSubject"] = {
        "id": subject_id,
        "type": ["AchievementSubject"],
        "achievement": _achievement(achievement),
    }
    if status is not None:
        # one object: Open Badges 3.0's JSON schema types credentialStatus as a single CredentialStatus
        # (VC 2.0 would allow a list, but an OB 3.0 validator refuses it)
        if not isinstance(status, dict) or status.get("type") != "BitstringStatusListEntry" or (
                status.get("statusPurpose") not in PURPOSES):
            raise VcError("status must be one BitstringStatusListEntry (build it with status_entry()) or None; "
                          "Open Badges 3.0 allows one credentialStatus object.")
        credential["credentialStatus"] = dict(status)
    if evidence:
        credential["evidence"] = [_evidence(item, n) for n, item in enumerate(evidence)]
    return credential
