"""Exceptions of the verifiable-credentials core."""

from __future__ import annotations


class VcError(ValueError):
    """Raised by the builders and by ``sign`` on input they cannot turn into a valid credential."""


class CanonicalizationError(Exception):
    """A document could not be turned into canonical N-Quads (RDFC-1.0).

    ``code`` is one of ``unknown_context`` (``detail`` = the URL), ``dropped_property`` (``detail`` =
    the property) or ``invalid_jsonld`` (``detail`` = the processor's reason).
    """

    def __init__(self, code: str, detail: str):
        super().__init__(f"{code}: {detail}")
        self.code = code
        self.detail = detail
