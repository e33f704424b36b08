"""JSON-LD processing with bundled contexts only: nothing is ever fetched from the network.

Canonicalisation is RDFC-1.0 (pyld's ``URDNA2015``, the same algorithm) to N-Quads. Remote
contexts are resolved once per process and kept in a private cache, so the large Open Badges
context is parsed and processed once, not per credential.
"""

from __future__ import annotations

import json
import threading
from functools import cache
from importlib import resources

from cachetools import LRUCache
from pyld.context_resolver import ContextResolver
from pyld.jsonld import JsonLdError, JsonLdProcessor
from pyld.resolved_context import ResolvedContext

from .errors import CanonicalizationError

VC_V2 = "https://www.w3.org/ns/credentials/v2"
OB_V3 = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
MULTIKEY_V1 = "https://w3id.org/security/multikey/v1"
DID_V1 = "https://www.w3.org/ns/did/v1"

# context URL -> bundled file in ./contexts (see contexts/README.md for provenance)
BUNDLED_CONTEXTS = {
    VC_V2: "credentials-v2.json",
    OB_V3: "ob-v3p0-context-3.0.3.json",
    MULTIKEY_V1: "multikey-v1.json",
    DID_V1: "did-v1.json",
}


class UnknownContextError(Exception):
    def __init__(self, url: str):
        super().__init__(f"context {url!r} is not bundled; remote documents are never fetched")
        self.url = url


class _DroppedPropertyError(Exception):
    def __init__(self, term):
        super().__init__(f"property {term!r} has no JSON-LD definition")
        self.term = term


@cache
def bundled_context(url: str) -> dict:
    """The bundled JSON of a context URL; UnknownContextError when it is not bundled."""
    name = BUNDLED_CONTEXTS.get(url)
    if name is None:
        raise UnknownContextError(url)
    document = json.loads(resources.files(__package__).joinpath("contexts", name).read_text("utf-8"))
    _register_static(document)
    return document


def document_loader(url, options=None):
    """pyld document loader serving bundled contexts only."""
    # tag "static": pyld then keeps the resolved context in the shared cache across operations
    return {"contextUrl": None, "documentUrl": url, "document": bundled_context(url), "tag": "static"}


# A private resolved-context cache: shared across calls (that is the speed), but not with any
# other pyld user in the process, whose loader might serve different documents for the same URL.
_RESOLVED = LRUCache(maxsize=256)
# id -> (object, cache key) of every JSON object inside a bundled context. They live as long as the
# process (bundled_context is cached) and are never changed, so their key is computed once.
_STATIC_KEYS: dict[int, tuple[dict, str]] = {}


def _register_static(value) -> None:
    if isinstance(value, dict):
        key = "bundled:" + json.dumps(value, sort_keys=True, separators=(",", ":"))
        _STATIC_KEYS[id(value)] = (value, key)
        for item in value.values():
            _register_static(item)
    elif isinstance(value, list):
        for item in value:
            _register_static(item)


class _BundledContextResolver(ContextResolver):
    """pyld's resolver, minus re-serialising the same scoped contexts on every operation.

    pyld keys each embedded (type- or property-scoped) context by its JCS serialisation, computed
    every time the context is applied; for the large Open Badges context that is a fifth of the
    canonicalisation time. For objects that belong to a bundled context a key (their sorted JSON,
    in a namespace of its own) is computed once; everything else goes through pyld unchanged.
    """

    def resolve(self, active_ctx, context, base, cycles=None):
        static = _STATIC_KEYS.get(id(context))
        if static is None or static[0] is not context or "@context" in context:
            return super().resolve(active_ctx, context, base, cycles)
        key = static[1]
        resolved = self._get(key)
        if not resolved:
            resolved = ResolvedContext(context)
            self._cache_resolved_context(key, resolved, "static")
        return [resolved]


def _raise_dropped(term) -> None:
    raise _DroppedPropertyError(term)


_PROCESSOR = JsonLdProcessor(on_property_dropped=_raise_dropped)
_LOCK = threading.Lock()


def _find_cause(exc: BaseException, kind: type) -> BaseException | None:
    seen = set()
    stack = [exc]
    while stack:
        current = stack.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, kind):
            return current
        stack.extend([current.__cause__, current.__context__, getattr(current, "cause", None)])
    return None


def canonicalize(document: dict) -> str:
    """RDFC-1.0 canonical N-Quads of a JSON-LD document; CanonicalizationError on any problem.

    Like Digital Bazaar's "safe mode", a property that would be silently dropped (no definition
    in any context) is an error: dropped data would otherwise be unsigned data.
    """
    options = {
        "algorithm": "URDNA2015",
        "format": "application/n-quads",
        "documentLoader": document_loader,
        "contextResolver": _BundledContextResolver(_RESOLVED, document_loader),
        "base": "",
    }
    try:
        # pyld's caches (cachetools LRUs) are not thread-safe, and waitress serves from threads;
        # pure-Python work holds the GIL anyway, so the lock costs next to nothing
        with _LOCK:
            return _PROCESSOR.normalize(document, options)
    except Exception as exc:  # noqa: BLE001 - malformed input must become a reason, never a crash
        unknown = _find_cause(exc, UnknownContextError)
        if unknown is not None:
            raise CanonicalizationError("unknown_context", unknown.url) from exc
        dropped = _find_cause(exc, _DroppedPropertyError)
        if dropped is not None:
            term = dropped.term if isinstance(dropped.term, str) and dropped.term else "(a keyword-like key)"
            raise CanonicalizationError("dropped_property", term) from exc
        raise CanonicalizationError("invalid_jsonld", _describe(exc)) from exc


def _describe(exc: BaseException) -> str:
    # pyld wraps the real reason in a chain of JsonLdErrors; the innermost one says most
    messages = []
    current: BaseException | None = exc
    while current is not None and len(messages) < 8:
        text = current.args[0] if isinstance(current, JsonLdError) and current.args else str(current)
        code = getattr(current, "code", None)
        text = f"{text} ({code})" if isinstance(code, str) and code else str(text)
        messages.append(text.strip() or type(current).__name__)
        current = current.__cause__
    return messages[-1][:300]
