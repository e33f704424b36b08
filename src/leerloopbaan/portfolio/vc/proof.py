"""DataIntegrityProof with the eddsa-rdfc-2022 cryptosuite (W3C "Data Integrity EdDSA Cryptosuites v1.0").

hashData = SHA-256(canonical proof config) || SHA-256(canonical document), where the proof config is
the proof without ``proofValue`` plus the document's ``@context``, both canonicalised with RDFC-1.0;
the signature is Ed25519 over hashData and ``proofValue`` is its multibase base58btc ('z').
"""

from __future__ import annotations

import hashlib
from datetime import datetime

from .errors import CanonicalizationError, VcError
from .jsonld import canonicalize
from .keys import KeyPair
from .multibase import encode_z
from .timefmt import xsd_datetime

PROOF_TYPE = "DataIntegrityProof"
CRYPTOSUITE = "eddsa-rdfc-2022"
PROOF_PURPOSE = "assertionMethod"


def hash_data(unsecured_document: dict, proof_options: dict) -> bytes:
    """The bytes that are signed; CanonicalizationError when either part is not valid JSON-LD."""
    config = {key: value for key, value in proof_options.items() if key != "proofValue"}
    config["@context"] = unsecured_document.get("@context")
    config_hash = hashlib.sha256(canonicalize(config).encode("utf-8")).digest()
    document_hash = hashlib.sha256(canonicalize(unsecured_document).encode("utf-8")).digest()
    return config_hash + document_hash


def sign(document: dict, *, key: KeyPair, verification_method: str, created: datetime) -> dict:
    """A copy of ``document`` with a DataIntegrityProof (eddsa-rdfc-2022, assertionMethod)."""
    if not isinstance(document, dict) or "@context" not in document:
        raise VcError("Only a JSON-LD object with @context can be signed.")
    if "proof" in document:
        raise VcError("The document already has a proof; sign the unsigned document.")
    if not isinstance(key, KeyPair):
        raise VcError("key must be a KeyPair.")
    if not isinstance(verification_method, str) or not verification_method.startswith("did:") or (
            "#" not in verification_method):
        raise VcError("verification_method must be a DID URL with a key fragment, e.g. did:web:x#key-1.")
    options = {
        "type": PROOF_TYPE,
        "cryptosuite": CRYPTOSUITE,
        "created": xsd_datetime(created),
        "verificationMethod": verification_method,
        "proofPurpose": PROOF_PURPOSE,
    }
    try:
        data = hash_data(document, options)
    except CanonicalizationError as exc:
        raise VcError(f"The document cannot be canonicalised ({exc.code}: {exc.detail}).") from exc
    signed = dict(document)
    signed["proof"] = {**options, "proofValue": encode_z(key.sign(data))}
    return signed
