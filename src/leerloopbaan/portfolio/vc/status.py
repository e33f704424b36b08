"""W3C Bitstring Status List: the bitstring, its entries in credentials, and the list credential."""

from __future__ import annotations

import gzip
import zlib
from datetime import datetime

from .errors import VcError
from .jsonld import VC_V2
from .multibase import decode_u, encode_u
from .timefmt import xsd_datetime

PURPOSES = ("revocation", "suspension")
# The spec's minimum: 16 KiB, so that one credential cannot be singled out by the list it is on.
MIN_SIZE = 131072
# A decoded list larger than this is refused (gzip bomb guard): 16 Mbit = 2 MiB.
MAX_SIZE = 16 * 1024 * 1024 * 8


class StatusBits:
    """A bitstring; index 0 is the left-most (most significant) bit of the first byte."""

    __slots__ = ("_bytes",)

    def __init__(self, size: int = MIN_SIZE):
        if not isinstance(size, int) or size <= 0 or size % 8 or size > MAX_SIZE:
            raise VcError(f"A status list has a positive multiple of 8 bits, at most {MAX_SIZE}.")
        self._bytes = bytearray(size // 8)

    @classmethod
    def from_bytes(cls, data: bytes) -> StatusBits:
        bits = cls.__new__(cls)
        if not data or len(data) * 8 > MAX_SIZE:
            raise VcError("A status list needs at least one byte.")
        bits._bytes = bytearray(data)
        return bits

    @classmethod
    def decode(cls, encoded: str) -> StatusBits:
        """``encodedList`` (multibase base64url of the gzipped bits) -> StatusBits; VcError if malformed."""
        try:
            compressed = decode_u(encoded)
            # bounded decompression: never inflate beyond MAX_SIZE
            inflater = zlib.decompressobj(wbits=31)
            raw = inflater.decompress(compressed, MAX_SIZE // 8 + 1)
        except (ValueError, zlib.error) as exc:
            raise VcError(f"encodedList is not multibase base64url gzip: {exc}") from exc
        if len(raw) > MAX_SIZE // 8 or inflater.unconsumed_tail:
            raise VcError("encodedList is too large.")
        return cls.from_bytes(raw)

    @property
    def size(self) -> int:
        return len(self._bytes) * 8

    def _check(self, index: int) -> None:
        if not isinstance(index, int) or isinstance(index, bool) or not 0 <= index < self.size:
            raise VcError(f"Status index {index!r} is outside 0..{self.size - 1}.")

    def get(self, index: int) -> bool:
        self._check(index)
        return bool(self._bytes[index >> 3] & (0x80 >> (index & 7)))

    def set(self, index: int, value: bool) -> None:
        self._check(index)
        if value:
            self._bytes[index >> 3] |= 0x80 >> (index & 7)
        else:
            self._bytes[index >> 3] &= ~(0x80 >> (index & 7)) & 0xFF

    def to_bytes(self) -> bytes:
        return bytes(self._bytes)

    def encoded(self) -> str:
        # mtime=0: the same bits always give the same encodedList
        return encode_u(gzip.compress(bytes(self._bytes), compresslevel=9, mtime=0))


def status_entry(*, list_url: str, index: int, purpose: str) -> dict:
    """A ``BitstringStatusListEntry`` for a credential's ``credentialStatus``."""
    if purpose not in PURPOSES:
        raise VcError(f"Status purpose must be one of {', '.join(PURPOSES)}, not {purpose!r}.")
    if not isinstance(list_url, str) or "#" in list_url or ":" not in list_url:
        raise VcError("The status list URL must be an absolute URL without fragment.")
    if not isinstance(index, int) or isinstance(index, bool) or index < 0:
        raise VcError("The status list index is a non-negative integer.")
    return {
        "id": f"{list_url}#{index}",
        "type": "BitstringStatusListEntry",
        "statusPurpose": purpose,
        "statusListIndex": str(index),
        "statusListCredential": list_url,
    }


def build_status_list_credential(*, url: str, issuer_did: str, purpose: str, encoded_list: str,
                                 valid_from: datetime, valid_until: datetime | None = None) -> dict:
    """An unsigned ``BitstringStatusListCredential`` published at ``url``."""
    if purpose not in PURPOSES:
        raise VcError(f"Status purpose must be one of {', '.join(PURPOSES)}, not {purpose!r}.")
    if not isinstance(url, str) or "#" in url or ":" not in url:
        raise VcError("The status list URL must be an absolute URL without fragment.")
    if not isinstance(issuer_did, str) or not issuer_did.startswith("did:"):
        raise VcError("The status list issuer is a DID.")
    StatusBits.decode(encoded_list)  # refuse to publish something verifiers cannot read
    credential = {
        "@context": [VC_V2],
        "id": url,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": issuer_did,
        "validFrom": xsd_datetime(valid_from),
        "credentialSubject": {
            "id": f"{url}#list",
            "type": "BitstringStatusList",
            "statusPurpose": purpose,
            "encodedList": encoded_list,
        },
    }
    if valid_until is not None:
        credential["validUntil"] = xsd_datetime(valid_until)
    return credential
