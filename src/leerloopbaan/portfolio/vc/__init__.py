"""Verifiable credentials for the talent portfolio: Open Badges 3.0 on W3C VC Data Model 2.0.

Signed with a DataIntegrityProof (cryptosuite eddsa-rdfc-2022: Ed25519 over RDFC-1.0 canonical
N-Quads), revocation and suspension through W3C Bitstring Status Lists. Pure: no Django models or
settings, no network (JSON-LD contexts are bundled in ``contexts/``).
"""

from .credential import build_credential
from .errors import VcError
from .keys import KeyPair, controller_document
from .proof import sign
from .status import StatusBits, build_status_list_credential, status_entry
from .verify import Check, VerificationReport, verify_credential

__all__ = [
    "Check",
    "KeyPair",
    "StatusBits",
    "VcError",
    "VerificationReport",
    "build_credential",
    "build_status_list_credential",
    "controller_document",
    "sign",
    "status_entry",
    "verify_credential",
]
