"""Ed25519 keys as Multikey, and the controller (DID) document that publishes them."""

from __future__ import annotations

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat, PublicFormat

from .errors import VcError
from .jsonld import DID_V1, MULTIKEY_V1
from .multibase import ED25519_PRIV, ED25519_PUB, decode_z, encode_z


class KeyPair:
    """An Ed25519 key pair. Only the 32-byte seed needs storing (``secret_bytes``)."""

    __slots__ = ("_private", "_public_raw")

    def __init__(self, private_key: Ed25519PrivateKey):
        self._private = private_key
        self._public_raw = private_key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)

    @classmethod
    def generate(cls) -> KeyPair:
        return cls(Ed25519PrivateKey.generate())

    @classmethod
    def from_secret_bytes(cls, secret: bytes) -> KeyPair:
        if not isinstance(secret, (bytes, bytearray)) or len(secret) != 32:
            raise VcError("An Ed25519 secret key is exactly 32 bytes (the seed).")
        return cls(Ed25519PrivateKey.from_private_bytes(bytes(secret)))

    @classmethod
    def from_secret_multibase(cls, text: str) -> KeyPair:
        try:
            raw = decode_z(text)
        except ValueError as exc:
            raise VcError(f"Not a base58btc multibase secret key: {exc}") from exc
        if raw[:2] != ED25519_PRIV:
            raise VcError("Not an Ed25519 secret key (multicodec 0x1300 expected).")
        return cls.from_secret_bytes(raw[2:])

    @property
    def secret_bytes(self) -> bytes:
        return self._private.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())

    @property
    def public_bytes(self) -> bytes:
        return self._public_raw

    @property
    def public_multibase(self) -> str:
        return encode_z(ED25519_PUB + self._public_raw)

    @property
    def secret_multibase(self) -> str:
        return encode_z(ED25519_PRIV + self.secret_bytes)

    def sign(self, data: bytes) -> bytes:
        return self._private.sign(data)

    def __repr__(self) -> str:  # never show the secret
        return f"KeyPair(public={self.public_multibase})"


def public_key_from_multibase(text: str) -> Ed25519PublicKey:
    """Multikey ``publicKeyMultibase`` -> public key; ValueError when it is not an Ed25519 Multikey."""
    raw = decode_z(text)
    if raw[:2] != ED25519_PUB or len(raw) != 34:
        raise ValueError("not an Ed25519 public key (multicodec 0xed01 and 32 bytes expected)")
    return Ed25519PublicKey.from_public_bytes(raw[2:])


def verify_signature(public_key: Ed25519PublicKey, signature: bytes, data: bytes) -> bool:
    try:
        public_key.verify(signature, data)
    except InvalidSignature:
        return False
    return True


def controller_document(did: str, keys: list[tuple[str, str]]) -> dict:
    """The DID/controller document that publishes ``keys`` = [(fragment, public_multibase), ...].

    Every key is an assertionMethod: keep a rotated-out key listed as long as credentials signed
    with it must keep verifying; drop it to retire them.
    """
    if not isinstance(did, str) or not did.startswith("did:") or "#" in did:
        raise VcError("A controller document needs a DID without fragment, e.g. did:web:example.org.")
    methods, seen = [], set()
    for fragment, public_multibase in keys:
        if not fragment or "#" in fragment or fragment in seen:
            raise VcError(f"Key fragment {fragment!r} is empty, contains '#' or is used twice.")
        seen.add(fragment)
        try:
            public_key_from_multibase(public_multibase)
        except ValueError as exc:
            raise VcError(f"Key {fragment!r}: {exc}.") from exc
        methods.append({
            "id": f"{did}#{fragment}",
            "type": "Multikey",
            "controller": did,
            "publicKeyMultibase": public_multibase,
        })
    return {
        "@context": [DID_V1, MULTIKEY_V1],
        "id": did,
        "verificationMethod": methods,
        "assertionMethod": [m["id"] for m in methods],
    }
