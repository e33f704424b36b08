"""ESCO skills for the talent portfolio: bundled transversal skills (nl/en), official-download loader, search.

Data: ESCO classification of the European Commission, CC BY 4.0 (see ``data/ATTRIBUTION.md``).
"""

from .loader import (
    ESCO_ATTRIBUTION,
    EscoFormatError,
    EscoIndex,
    EscoRelease,
    EscoSkillRecord,
    load_bundled,
    load_official_download,
    search,
)

__all__ = [
    "ESCO_ATTRIBUTION",
    "EscoFormatError",
    "EscoIndex",
    "EscoRelease",
    "EscoSkillRecord",
    "load_bundled",
    "load_official_download",
    "search",
]
