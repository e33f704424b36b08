"""Verification of an OpenBadgeCredential: schema, proof, status and dates, each a separate check.

Nothing is fetched: ``resolve_document(url)`` returns what the platform publishes (controller/DID
documents, status list credentials) or None. Malformed input gives failed checks, never an exception.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from importlib import resources

from cachetools import LRUCache
from jsonschema import Draft202012Validator

from .errors import CanonicalizationError, VcError
from .jsonld import BUNDLED_CONTEXTS
from .keys import public_key_from_multibase, verify_signature
from .multibase import decode_z
from .proof import CRYPTOSUITE, PROOF_PURPOSE, PROOF_TYPE, hash_data
from .status import PURPOSES, StatusBits
from .timefmt import parse_xsd_datetime

Resolver = Callable[[str], dict | None]


def _(message: str) -> str:
    """Marks a message for the translation catalogue; it is translated when read (``Check.message``)."""
    return message


_translate: Callable[[str], str] = _


def use_translation(translate: Callable[[str], str]) -> None:
    """Translate the messages with the host's function (the portfolio app passes Django's ``gettext``,
    so a message follows the language of the request). Without it, messages are in English."""
    global _translate
    _translate = translate


# code -> English message template (translatable); params fill the %(name)s placeholders.
MESSAGES = {
    "schema.ok": _("The credential has the structure of an Open Badges 3.0 credential."),
    "schema.not_an_object": _("The credential is not a JSON object."),
    "schema.missing_field": _("%(path)s is missing; Open Badges 3.0 requires it."),
    "schema.wrong_type": _("%(path)s has the wrong type: expected %(expected)s."),
    "schema.invalid_value": _("%(path)s is not valid: expected %(expected)s."),
    "schema.unknown_context": _("@context %(url)s is unknown here; only bundled contexts are used, "
                                "nothing is fetched."),
    "proof.ok": _("The signature is valid (key %(method)s)."),
    "proof.missing": _("The credential has no proof."),
    "proof.malformed": _("proof.%(field)s is missing or malformed."),
    "proof.unsupported": _("proof.%(field)s is %(found)s; expected %(expected)s."),
    "proof.unknown_controller": _("The key document %(controller)s of key %(method)s is not published."),
    "proof.unknown_key": _("Key %(method)s is not listed in %(controller)s."),
    "proof.not_authorized": _("Key %(method)s may not issue credentials: it is not an assertionMethod "
                              "of %(controller)s."),
    "proof.issuer_mismatch": _("Key %(method)s belongs to %(controller)s, but the issuer is %(issuer)s."),
    "proof.malformed_key": _("Key %(method)s in %(controller)s is not an Ed25519 Multikey."),
    "proof.unknown_context": _("@context %(url)s is unknown here; only bundled contexts are used, "
                               "nothing is fetched."),
    "proof.dropped_property": _("Property %(property)s has no JSON-LD definition, so it is not covered by "
                                "the signature."),
    "proof.invalid_jsonld": _("The credential is not valid JSON-LD: %(detail)s."),
    "proof.invalid_signature": _("The signature does not match: the credential was changed after "
                                 "signing, or not signed with key %(method)s."),
    "status.not_applicable": _("The credential has no status entry."),
    "status.ok": _("Neither revoked nor suspended (%(count)s status list(s) checked)."),
    "status.malformed_entry": _("credentialStatus entry %(entry)s: %(field)s is missing or invalid."),
    "status.list_unavailable": _("Status list %(url)s is not published."),
    "status.list_malformed": _("Status list %(url)s is malformed: %(field)s is missing or invalid."),
    "status.list_not_verified": _("Status list %(url)s does not verify (%(reason)s)."),
    "status.list_not_valid_now": _("Status list %(url)s is not valid on %(now)s."),
    "status.issuer_mismatch": _("Status list %(url)s is issued by %(list_issuer)s, not by the "
                                "credential's issuer %(issuer)s."),
    "status.purpose_mismatch": _("Status list %(url)s is for %(list_purpose)s, but the entry says "
                                 "%(purpose)s."),
    "status.index_out_of_range": _("Index %(index)s is beyond the end of status list %(url)s "
                                   "(%(size)s entries)."),
    "status.revoked": _("The credential has been revoked (status list %(url)s, index %(index)s)."),
    "status.suspended": _("The credential is suspended (status list %(url)s, index %(index)s)."),
    "status.suspended_by_issuer": _("The issuer has suspended the credential (recorded by the platform that "
                                    "issued it)."),
    "dates.ok": _("Valid on %(now)s."),
    "dates.invalid": _("%(field)s is not a date-time with time zone: %(value)s."),
    "dates.not_yet_valid": _("Not valid before %(valid_from)s (checked on %(now)s)."),
    "dates.expired": _("Expired on %(valid_until)s (checked on %(now)s)."),
    "dates.proof_in_future": _("The proof was created in the future (%(created)s, checked on %(now)s)."),
}


@dataclass(frozen=True)
class Check:
    """One check's outcome. ``ok`` is None when the check does not apply (e.g. no credentialStatus)."""

    name: str
    ok: bool | None
    code: str
    params: dict = field(default_factory=dict)

    @property
    def message(self) -> str:
        """The human message in the active language (rendered on access, so it follows the request)."""
        template = MESSAGES.get(self.code, self.code)
        try:
            text = str(_translate(template))
        except Exception:  # noqa: BLE001 - a translation that cannot run here (scripts): plain English
            text = template
        try:
            return text % self.params
        except (KeyError, TypeError, ValueError):
            return text

    def to_dict(self) -> dict:
        return {"name": self.name, "ok": self.ok, "code": self.code, "message": str(self.message),
                "params": self.params}


@dataclass(frozen=True)
class VerificationReport:
    checks: list[Check]

    @property
    def ok(self) -> bool:
        """Every applicable check passed, and the proof did."""
        return all(c.ok is not False for c in self.checks) and any(
            c.name == "proof" and c.ok for c in self.checks)

    @property
    def failures(self) -> list[Check]:
        return [c for c in self.checks if c.ok is False]

    def check(self, name: str) -> Check | None:
        return next((c for c in self.checks if c.name == name), None)

    def to_dict(self) -> dict:
        return {"ok": self.ok, "checks": [c.to_dict() for c in self.checks]}


# ---------------------------------------------------------------------------------------- schema

@cache
def _validator() -> Draft202012Validator:
    schema = json.loads(resources.files(__package__).joinpath("openbadge-credential.schema.json")
                        .read_text("utf-8"))
    Draft202012Validator.check_schema(schema)
    # inline the local "#/$defs/..." references: the same schema, a third faster to apply
    defs = schema.pop("$defs", {})

    def inline(node):
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/$defs/") and len(node) == 1:
                return inline(defs[ref.removeprefix("#/$defs/")])
            return {key: inline(value) for key, value in node.items()}
        if isinstance(node, list):
            return [inline(item) for item in node]
        return node

    return Draft202012Validator(inline(schema))


def _json_path(path) -> str:
    out = "$"
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else f".{part}"
    return out


_EXPECTED_BY_KEYWORD = {
    "const": lambda e: json.dumps(e.validator_value),
    "enum": lambda e: " or ".join(json.dumps(v) for v in e.validator_value),
    "pattern": lambda e: "a value matching " + e.validator_value,
    "minItems": lambda e: f"at least {e.validator_value} item(s)",
    "maxItems": lambda e: f"at most {e.validator_value} item(s)",
    "minLength": lambda e: "a non-empty text",
    "contains": lambda e: "an item " + _describe_subschema(e.validator_value),
}


def _describe_subschema(schema) -> str:
    if isinstance(schema, dict):
        if "const" in schema:
            return "equal to " + json.dumps(schema["const"])
        if "enum" in schema:
            return "equal to " + " or ".join(json.dumps(v) for v in schema["enum"])
        if "pattern" in schema:
            return "matching " + schema["pattern"]
    return "of the required kind"


def _schema_check(credential) -> Check:
    if not isinstance(credential, dict):
        return Check("schema", False, "schema.not_an_object", {"found": type(credential).__name__})
    validator = _validator()
    error = None
    for candidate in validator.iter_errors(credential):
        # the shallowest error is the most useful one to show; deeper ones usually follow from it
        if error is None or len(candidate.absolute_path) < len(error.absolute_path):
            error = candidate
    if error is None:
        unknown = [c for c in credential["@context"] if isinstance(c, str) and c not in BUNDLED_CONTEXTS]
        if unknown:
            return Check("schema", False, "schema.unknown_context", {"url": unknown[0]})
        return Check("schema", True, "schema.ok")
    # anyOf/oneOf report the container; look at the most specific sub-error
    while error.context:
        error = min(error.context, key=lambda e: (-len(e.absolute_path), len(e.context or ())))
    path = _json_path(error.absolute_path)
    keyword = error.validator
    if keyword == "required":
        missing = [p for p in error.validator_value if isinstance(error.instance, dict) and p not in error.instance]
        field_path = f"{path}.{missing[0]}" if missing else path
        return Check("schema", False, "schema.missing_field", {"path": field_path})
    if keyword == "type":
        expected = error.validator_value
        expected = " or ".join(expected) if isinstance(expected, list) else expected
        return Check("schema", False, "schema.wrong_type", {"path": path, "expected": str(expected)})
    describe = _EXPECTED_BY_KEYWORD.get(keyword)
    expected = describe(error) if describe else f"a value satisfying '{keyword}'"
    return Check("schema", False, "schema.invalid_value", {"path": path, "expected": expected})


# ----------------------------------------------------------------------------------------- proof

def _short(value) -> str:
    try:
        text = json.dumps(value)
    except (TypeError, ValueError):
        text = type(value).__name__
    return text if len(text) <= 80 else text[:77] + "..."


def _issuer_id(document: dict):
    issuer = document.get("issuer")
    return issuer.get("id") if isinstance(issuer, dict) else issuer


def _resolve(resolve_document: Resolver, url: str):
    try:
        document = resolve_document(url)
    except Exception:  # noqa: BLE001 - a failing resolver means "not published", not a crash
        return None
    return document if isinstance(document, dict) else None


def _as_id(value, base: str):
    value = value.get("id") if isinstance(value, dict) else value
    if isinstance(value, str) and value.startswith("#"):
        return base + value
    return value


# (json of the document, json of its controller document) -> outcome; status lists are shared by
# many credentials, so their proof is checked once while they do not change.
_PROOF_CACHE: LRUCache = LRUCache(maxsize=256)
_PROOF_CACHE_LOCK = threading.Lock()


def _proof_outcome(document, resolve_document: Resolver, *, cache_result: bool = False) -> tuple[str, dict]:
    """(code, params) of a document's proof; code 'proof.ok' when it verifies."""
    if not isinstance(document, dict):
        return "proof.missing", {}
    proof = document.get("proof")
    if isinstance(proof, list) and len(proof) == 1:
        proof = proof[0]
    if proof is None:
        return "proof.missing", {}
    if not isinstance(proof, dict):
        return "proof.malformed", {"field": "type"}
    for key, expected in (("type", PROOF_TYPE), ("cryptosuite", CRYPTOSUITE), ("proofPurpose", PROOF_PURPOSE)):
        if proof.get(key) != expected:
            return "proof.unsupported", {"field": key, "found": _short(proof.get(key)), "expected": expected}
    method = proof.get("verificationMethod")
    if not isinstance(method, str) or "#" not in method:
        return "proof.malformed", {"field": "verificationMethod"}
    try:
        signature = decode_z(proof.get("proofValue"))
    except ValueError:
        signature = b""
    if len(signature) != 64:
        return "proof.malformed", {"field": "proofValue"}
    if "created" in proof and parse_xsd_datetime(proof["created"]) is None:
        return "proof.malformed", {"field": "created"}

    controller_url = method.split("#", 1)[0]
    params = {"method": method, "controller": controller_url}
    controller = _resolve(resolve_document, controller_url)
    if controller is None or controller.get("id") != controller_url:
        return "proof.unknown_controller", params
    methods = controller.get("verificationMethod")
    entry = None
    if isinstance(methods, list):
        entry = next((m for m in methods if isinstance(m, dict) and _as_id(m, controller_url) == method), None)
    if entry is None:
        return "proof.unknown_key", params
    assertion = controller.get("assertionMethod")
    if not isinstance(assertion, list) or method not in {_as_id(a, controller_url) for a in assertion}:
        return "proof.not_authorized", params
    if entry.get("controller") != controller_url or _issuer_id(document) != controller_url:
        return "proof.issuer_mismatch", {**params, "issuer": str(_issuer_id(document))}
    if entry.get("type") != "Multikey":
        return "proof.malformed_key", params
    try:
        public_key = public_key_from_multibase(entry.get("publicKeyMultibase"))
    except ValueError:
        return "proof.malformed_key", params

    cache_key = None
    if cache_result:
        try:
            cache_key = (json.dumps(document, sort_keys=True), json.dumps(entry, sort_keys=True))
        except (TypeError, ValueError):
            cache_key = None
        if cache_key is not None:
            with _PROOF_CACHE_LOCK:
                cached = _PROOF_CACHE.get(cache_key)
            if cached is not None:
                return cached
    unsecured = {key: value for key, value in document.items() if key != "proof"}
    try:
        data = hash_data(unsecured, proof)
    except CanonicalizationError as exc:
        if exc.code == "unknown_context":
            return "proof.unknown_context", {"url": exc.detail}
        if exc.code == "dropped_property":
            return "proof.dropped_property", {"property": exc.detail}
        return "proof.invalid_jsonld", {"detail": exc.detail}
    outcome = ("proof.ok" if verify_signature(public_key, signature, data) else "proof.invalid_signature",
               params)
    if cache_key is not None:
        with _PROOF_CACHE_LOCK:
            _PROOF_CACHE[cache_key] = outcome
    return outcome


def _proof_check(credential, resolve_document: Resolver) -> Check:
    code, params = _proof_outcome(credential, resolve_document)
    return Check("proof", code == "proof.ok", code, params)


# ---------------------------------------------------------------------------------------- status

def _entry_outcome(entry, n: int, issuer, resolve_document: Resolver, now: datetime) -> tuple[str, dict]:
    if not isinstance(entry, dict):
        return "status.malformed_entry", {"entry": n, "field": "credentialStatus"}
    for key in ("type", "statusPurpose", "statusListIndex", "statusListCredential"):
        if not isinstance(entry.get(key), str):
            return "status.malformed_entry", {"entry": n, "field": key}
    if entry["type"] != "BitstringStatusListEntry":
        return "status.malformed_entry", {"entry": n, "field": "type"}
    purpose, url = entry["statusPurpose"], entry["statusListCredential"]
    if purpose not in PURPOSES:
        return "status.malformed_entry", {"entry": n, "field": "statusPurpose"}
    if not entry["statusListIndex"].isdigit() or not entry["statusListIndex"].isascii():
        return "status.malformed_entry", {"entry": n, "field": "statusListIndex"}
    index = int(entry["statusListIndex"])
    params = {"url": url, "index": index, "purpose": purpose}

    status_list = _resolve(resolve_document, url)
    if status_list is None:
        return "status.list_unavailable", params
    types = status_list.get("type")
    subject = status_list.get("credentialSubject")
    if not isinstance(types, list) or "BitstringStatusListCredential" not in types:
        return "status.list_malformed", {**params, "field": "type"}
    if not isinstance(subject, dict) or subject.get("type") != "BitstringStatusList":
        return "status.list_malformed", {**params, "field": "credentialSubject.type"}
    code, proof_params = _proof_outcome(status_list, resolve_document, cache_result=True)
    if code != "proof.ok":
        return "status.list_not_verified", {**params, "reason": code}
    list_issuer = _issuer_id(status_list)
    if list_issuer != issuer:
        return "status.issuer_mismatch", {**params, "list_issuer": str(list_issuer), "issuer": str(issuer)}
    if _dates_outcome(status_list, now)[0] != "dates.ok":
        return "status.list_not_valid_now", {**params, "now": _fmt(now)}
    if subject.get("statusPurpose") != purpose:
        return "status.purpose_mismatch", {**params, "list_purpose": str(subject.get("statusPurpose"))}
    try:
        bits = StatusBits.decode(subject.get("encodedList"))
    except VcError:
        return "status.list_malformed", {**params, "field": "credentialSubject.encodedList"}
    if index >= bits.size:
        return "status.index_out_of_range", {**params, "size": bits.size}
    if bits.get(index):
        return ("status.revoked" if purpose == "revocation" else "status.suspended"), params
    return "status.ok", params


def _status_check(credential, resolve_document: Resolver, now: datetime) -> Check:
    if not isinstance(credential, dict) or credential.get("credentialStatus") is None:
        return Check("status", None, "status.not_applicable")
    entries = credential["credentialStatus"]
    if not isinstance(entries, list):
        entries = [entries]
    if not entries:
        return Check("status", False, "status.malformed_entry", {"entry": 0, "field": "credentialStatus"})
    issuer = _issuer_id(credential)
    outcomes = [_entry_outcome(entry, n, issuer, resolve_document, now) for n, entry in enumerate(entries)]
    summary = [{"code": code, **{k: p[k] for k in ("url", "index", "purpose") if k in p}}
               for code, p in outcomes]
    # a revocation or suspension says most; otherwise the first entry that could not be checked
    failing = [o for o in outcomes if o[0] in ("status.revoked", "status.suspended")] or [
        o for o in outcomes if o[0] != "status.ok"]
    if failing:
        code, params = failing[0]
        return Check("status", False, code, {**params, "entries": summary})
    return Check("status", True, "status.ok", {"count": len(outcomes), "entries": summary})


# ----------------------------------------------------------------------------------------- dates

def _fmt(moment: datetime) -> str:
    """A check time as people read it: to the second, no microseconds."""
    return moment.replace(microsecond=0).isoformat()


def _dates_outcome(document: dict, now: datetime) -> tuple[str, dict]:
    stamp = _fmt(now)
    valid_from = parse_xsd_datetime(document.get("validFrom"))
    if valid_from is None and "validFrom" in document:
        return "dates.invalid", {"field": "validFrom", "value": str(document.get("validFrom"))[:64]}
    valid_until = parse_xsd_datetime(document.get("validUntil"))
    if valid_until is None and "validUntil" in document:
        return "dates.invalid", {"field": "validUntil", "value": str(document.get("validUntil"))[:64]}
    if valid_from is not None and now < valid_from:
        return "dates.not_yet_valid", {"valid_from": document["validFrom"], "now": stamp}
    if valid_until is not None and now > valid_until:
        return "dates.expired", {"valid_until": document["validUntil"], "now": stamp}
    return "dates.ok", {"now": stamp}


def _dates_check(credential, now: datetime) -> Check:
    if not isinstance(credential, dict):
        return Check("dates", False, "dates.invalid", {"field": "validFrom", "value": ""})
    if "validFrom" not in credential:
        return Check("dates", False, "dates.invalid", {"field": "validFrom", "value": ""})
    code, params = _dates_outcome(credential, now)
    if code == "dates.ok":
        proof = credential.get("proof")
        proof = proof[0] if isinstance(proof, list) and proof else proof
        created = parse_xsd_datetime(proof.get("created")) if isinstance(proof, dict) else None
        if created is not None and created > now:
            return Check("dates", False, "dates.proof_in_future", {"created": proof["created"], "now": params["now"]})
    return Check("dates", code == "dates.ok", code, params)


# ------------------------------------------------------------------------------------------ entry

def verify_credential(credential, *, resolve_document: Resolver, now: datetime) -> VerificationReport:
    """Verify an OpenBadgeCredential: schema, proof, status and dates (in that order, all run)."""
    if not isinstance(now, datetime) or now.tzinfo is None or now.utcoffset() is None:
        raise VcError("now must be a timezone-aware datetime.")
    return VerificationReport([
        _schema_check(credential),
        _proof_check(credential, resolve_document),
        _status_check(credential, resolve_document, now),
        _dates_check(credential, now),
    ])
