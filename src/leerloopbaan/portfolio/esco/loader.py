"""Load ESCO skills and search them.

Two sources:

* :func:`load_bundled` reads the ESCO *transversal skills and competences* collection that ships with
  Leerloopbaan (``data/esco-transversal-skills.json``, Dutch and English, see ``data/ATTRIBUTION.md``).
* :func:`load_official_download` reads the official ESCO CSV download (``skills_en.csv`` and
  ``skills_nl.csv``) so an administrator can load the full skills pillar (~13,900 skills).

:class:`EscoIndex` is a small, pure-Python search index for the skill picker.

This module must stay free of Django imports: the Django model and management command are built on top.
"""

from __future__ import annotations

import csv
import json
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

__all__ = [
    "skill_row",
    "BUNDLED_DATA_PATH",
    "ESCO_ATTRIBUTION",
    "ESCO_SKILL_URI_PREFIX",
    "EscoFormatError",
    "EscoIndex",
    "EscoRelease",
    "EscoSkillRecord",
    "load_bundled",
    "load_official_download",
    "normalise",
    "search",
]

Language = Literal["nl", "en"]
LANGUAGES: tuple[Language, ...] = ("nl", "en")

ESCO_SKILL_URI_PREFIX = "http://data.europa.eu/esco/skill/"
ESCO_ATTRIBUTION = "This service uses the ESCO classification of the European Commission."
SKILL_TYPES = ("skill/competence", "knowledge")
BUNDLED_DATA_PATH = Path(__file__).resolve().parent / "data" / "esco-transversal-skills.json"

#: Columns every official ``skills_xx.csv`` (and every ESCO collection CSV) has.
REQUIRED_COLUMNS = ("conceptUri", "skillType", "reuseLevel", "preferredLabel", "altLabels", "description")

_SKILL_URI_RE = re.compile(r"^http://data\.europa\.eu/esco/skill/[A-Za-z0-9][A-Za-z0-9._-]*$")
_UUID_TAIL_RE = re.compile(r"/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
# Collection files separate list values with " | "; the official skills_xx.csv uses newlines.
_LIST_SPLIT_RE = re.compile(r"\s*\|\s*|\s*\n\s*")
_MAX_LISTED = 5


class EscoFormatError(ValueError):
    """Bad ESCO input. The message names the file, line, column and what was expected."""

    def __init__(
        self, message: str, *, file: str | None = None, line: int | None = None, column: str | None = None
    ) -> None:
        super().__init__(message)
        self.file = file
        self.line = line
        self.column = column


@dataclass(frozen=True)
class EscoSkillRecord:
    uri: str
    skill_type: str  # "skill/competence", "knowledge" (or "" when ESCO leaves it empty)
    reuse_level: str  # "transversal", "cross-sector", "sector-specific", "occupation-specific" or ""
    label_nl: str
    label_en: str
    alt_nl: list[str] = field(default_factory=list)
    alt_en: list[str] = field(default_factory=list)
    description_nl: str = ""
    description_en: str = ""
    group_nl: str | None = None
    group_en: str | None = None

    def __hash__(self) -> int:  # lists are unhashable; the URI identifies the concept
        return hash(self.uri)

    def label(self, language: Language) -> str:
        return self.label_nl if language == "nl" else self.label_en

    def alt_labels(self, language: Language) -> list[str]:
        return self.alt_nl if language == "nl" else self.alt_en

    def description(self, language: Language) -> str:
        return self.description_nl if language == "nl" else self.description_en

    def group(self, language: Language) -> str | None:
        return self.group_nl if language == "nl" else self.group_en


@dataclass
class EscoRelease:
    version: str
    skills: list[EscoSkillRecord]
    attribution: str = ESCO_ATTRIBUTION
    licence: str = "CC BY 4.0"

    def by_uri(self) -> dict[str, EscoSkillRecord]:
        return {skill.uri: skill for skill in self.skills}


# --------------------------------------------------------------------------------------------------------
# Bundled data
# --------------------------------------------------------------------------------------------------------


def skill_row(record: EscoSkillRecord, version: str) -> dict:
    """The columns of the platform's ``EscoSkill`` table for one record (labels cut to 300 characters)."""
    return {"release": version, "skill_type": record.skill_type, "label_nl": record.label_nl[:300],
            "label_en": record.label_en[:300], "description_nl": record.description_nl or "",
            "description_en": record.description_en or "", "group_nl": (record.group_nl or "")[:300],
            "group_en": (record.group_en or "")[:300], "alt_labels": " | ".join([*record.alt_nl, *record.alt_en])}


def load_bundled(path: Path | None = None) -> EscoRelease:
    """Read the bundled transversal skills collection (Dutch + English)."""
    source = Path(path) if path is not None else BUNDLED_DATA_PATH
    with source.open(encoding="utf-8") as fh:
        payload = json.load(fh)
    skills = []
    for item in payload["skills"]:
        own = item["label"]
        groups = item.get("groups", [])
        skills.append(
            EscoSkillRecord(
                uri=item["uri"],
                skill_type=item["skill_type"],
                reuse_level=item["reuse_level"],
                label_nl=own["nl"],
                label_en=own["en"],
                alt_nl=list(item["alt_labels"]["nl"]),
                alt_en=list(item["alt_labels"]["en"]),
                description_nl=item["description"]["nl"],
                description_en=item["description"]["en"],
                group_nl=_first_group_label([g["label"].get("nl") for g in groups], own["nl"]),
                group_en=_first_group_label([g["label"].get("en") for g in groups], own["en"]),
            )
        )
    return EscoRelease(
        version=payload["esco_version"],
        skills=skills,
        attribution=payload.get("attribution", ESCO_ATTRIBUTION),
        licence=payload.get("licence", "CC BY 4.0"),
    )


# --------------------------------------------------------------------------------------------------------
# Official CSV download
# --------------------------------------------------------------------------------------------------------


@dataclass
class _Row:
    line: int
    uri: str
    skill_type: str
    reuse_level: str
    label: str
    alt_labels: list[str]
    description: str
    broader: list[tuple[str, str | None]]  # (uri, label in this file's language)


def load_official_download(folder: Path, *, version: str) -> EscoRelease:
    """Read ``skills_en.csv`` and ``skills_nl.csv`` from an official ESCO CSV download.

    File names are matched case-insensitively. Both files must describe the same set of skills.
    ``broaderConceptUri``/``broaderConceptPT`` columns are optional (the collection files have them,
    the full ``skills_xx.csv`` does not); without them ``group_nl``/``group_en`` stay ``None``.
    """
    folder = Path(folder)
    if not version or not version.strip():
        raise EscoFormatError("version is required (the ESCO release, e.g. '1.2.0')")
    if not folder.is_dir():
        raise EscoFormatError(
            f"{folder}: not a folder (expected the unpacked ESCO CSV download)", file=str(folder)
        )
    rows = {lang: read_skills_csv(_find_file(folder, f"skills_{lang}.csv")) for lang in LANGUAGES}
    return EscoRelease(version=version.strip(), skills=join_languages(rows["nl"], rows["en"]))


def _find_file(folder: Path, name: str) -> Path:
    matches = sorted(p for p in folder.iterdir() if p.is_file() and p.name.lower() == name.lower())
    if not matches:
        raise EscoFormatError(
            f"{name}: file not found in {folder} (expected the official ESCO CSV download with "
            f"skills_en.csv and skills_nl.csv)",
            file=name,
        )
    if len(matches) > 1:
        names = ", ".join(p.name for p in matches)
        raise EscoFormatError(f"{name}: more than one file matches in {folder}: {names}", file=name)
    return matches[0]


def _split_list(text: str) -> list[str]:
    seen: dict[str, None] = {}
    for part in _LIST_SPLIT_RE.split(text or ""):
        part = part.strip()
        if part:
            seen.setdefault(part, None)
    return list(seen)


def read_skills_csv(path: Path) -> dict[str, _Row]:
    """Parse one ESCO skills CSV (official ``skills_xx.csv`` or a collection file), keyed by URI."""
    path = Path(path)
    name = path.name

    def fail(line: int, column: str | None, message: str) -> EscoFormatError:
        where = f"{name}, line {line}" + (f", column {column}" if column else "")
        return EscoFormatError(f"{where}: {message}", file=name, line=line, column=column)

    result: dict[str, _Row] = {}
    try:
        fh = path.open(encoding="utf-8-sig", newline="")
    except OSError as exc:
        raise EscoFormatError(f"{name}: cannot be read ({exc})", file=name) from exc
    with fh:
        reader = csv.reader(fh)
        try:
            header = [h.strip() for h in next(reader)]
        except StopIteration:
            raise fail(1, None, "file is empty (expected a CSV header)") from None
        except (csv.Error, UnicodeDecodeError) as exc:
            raise fail(1, None, f"not a UTF-8 CSV file ({exc})") from exc
        for column in REQUIRED_COLUMNS:
            if column not in header:
                raise fail(
                    1,
                    column,
                    f"missing column '{column}' (expected a header with {', '.join(REQUIRED_COLUMNS)})",
                )
        position = {column: header.index(column) for column in header[::-1]}
        while True:
            line = reader.line_num + 1
            try:
                values = next(reader)
            except StopIteration:
                break
            except (csv.Error, UnicodeDecodeError) as exc:
                raise fail(line, None, f"malformed CSV ({exc})") from exc
            if not any(v.strip() for v in values):
                continue
            if len(values) != len(header):
                raise fail(line, None, f"expected {len(header)} fields as in the header, found {len(values)}")
            row = {column: values[index] for column, index in position.items()}
            uri = row["conceptUri"].strip()
            if not _SKILL_URI_RE.match(uri):
                raise fail(
                    line,
                    "conceptUri",
                    f"expected a skill URI starting with {ESCO_SKILL_URI_PREFIX}, found {uri!r}",
                )
            if uri in result:
                raise fail(
                    line, "conceptUri", f"duplicate skill {uri} (first seen on line {result[uri].line})"
                )
            label = " ".join(row["preferredLabel"].split())
            if not label:
                raise fail(line, "preferredLabel", f"expected a non-empty label for {uri}")
            skill_type = row["skillType"].strip()
            if skill_type and skill_type not in SKILL_TYPES:
                raise fail(
                    line,
                    "skillType",
                    f"expected one of {', '.join(SKILL_TYPES)} (or empty), found {skill_type!r}",
                )
            broader: list[tuple[str, str | None]] = []
            if "broaderConceptUri" in row:
                broader_uris = _split_list(row["broaderConceptUri"])
                labels = [part.strip() for part in row.get("broaderConceptPT", "").split(" | ")]
                if len(labels) != len(broader_uris):  # e.g. an empty broaderConceptPT
                    labels = [""] * len(broader_uris)
                broader = [(u, lab or None) for u, lab in zip(broader_uris, labels, strict=True)]
            result[uri] = _Row(
                line=line,
                uri=uri,
                skill_type=skill_type,
                reuse_level=row["reuseLevel"].strip(),
                label=label,
                alt_labels=_split_list(row["altLabels"]),
                description=row["description"].strip(),
                broader=broader,
            )
    return result


def join_languages(nl: dict[str, _Row], en: dict[str, _Row]) -> list[EscoSkillRecord]:
    """Join the Dutch and English rows on ``conceptUri``; both must hold the same skills."""
    for have, have_name, lack_name in (
        (en, "skills_en.csv", "skills_nl.csv"),
        (nl, "skills_nl.csv", "skills_en.csv"),
    ):
        other = nl if have is en else en
        missing = sorted(uri for uri in have if uri not in other)
        if missing:
            listed = ", ".join(missing[:_MAX_LISTED])
            more = f" and {len(missing) - _MAX_LISTED} more" if len(missing) > _MAX_LISTED else ""
            raise EscoFormatError(
                f"{lack_name}: {len(missing)} skill(s) of {have_name} are missing "
                f"(expected both languages to hold the same skills): {listed}{more}",
                file=lack_name,
                column="conceptUri",
            )
    skill_uris = set(en)
    records = []
    for uri in sorted(en):
        row_en, row_nl = en[uri], nl[uri]
        if row_nl.skill_type != row_en.skill_type:
            raise EscoFormatError(
                f"skills_nl.csv, line {row_nl.line}, column skillType: expected {row_en.skill_type!r} as in "
                f"skills_en.csv line {row_en.line} for {uri}, found {row_nl.skill_type!r}",
                file="skills_nl.csv",
                line=row_nl.line,
                column="skillType",
            )
        groups = merge_groups(row_en.broader, row_nl.broader, skill_uris)
        records.append(
            EscoSkillRecord(
                uri=uri,
                skill_type=row_en.skill_type,
                reuse_level=row_en.reuse_level,
                label_nl=row_nl.label,
                label_en=row_en.label,
                alt_nl=row_nl.alt_labels,
                alt_en=row_en.alt_labels,
                description_nl=row_nl.description,
                description_en=row_en.description,
                group_nl=_first_group_label([g["label"]["nl"] for g in groups], row_nl.label),
                group_en=_first_group_label([g["label"]["en"] for g in groups], row_en.label),
            )
        )
    return records


def merge_groups(
    broader_en: Sequence[tuple[str, str | None]],
    broader_nl: Sequence[tuple[str, str | None]],
    skill_uris: Iterable[str] = (),
) -> list[dict]:
    """Combine the broader concepts of both languages into ``[{"uri", "label": {"nl", "en"}}]``.

    Ordered most useful first for a picker: thematic groups of the transversal hierarchy (UUID URIs),
    then coded skill groups (``S1.5.0``, ``A1.9.0``, ISCED-F), then broader concepts that are skills.
    """
    skill_uris = set(skill_uris)
    labels: dict[str, dict[str, str | None]] = {}
    for lang, broader in (("en", broader_en), ("nl", broader_nl)):
        for uri, label in broader:
            entry = labels.setdefault(uri, {"nl": None, "en": None})
            entry[lang] = entry[lang] or label

    def rank(uri: str) -> int:
        if uri in skill_uris:
            return 2
        return 0 if _UUID_TAIL_RE.search(uri) else 1

    ordered = sorted(labels, key=rank)  # stable: keeps the English file's order within a rank
    return [{"uri": uri, "label": {"nl": labels[uri]["nl"], "en": labels[uri]["en"]}} for uri in ordered]


def _first_group_label(candidates: Iterable[str | None], own_label: str) -> str | None:
    """First group label that exists and is not just the skill's own label (ESCO repeats it in codes)."""
    own = normalise(own_label)
    for label in candidates:
        if label and normalise(label) != own:
            return label
    return None


# --------------------------------------------------------------------------------------------------------
# Search
# --------------------------------------------------------------------------------------------------------

_NON_WORD_RE = re.compile(r"[^\w]+")


def normalise(text: str) -> str:
    """Case- and accent-insensitive form: 'Creëren  van' -> 'creeren van'."""
    decomposed = unicodedata.normalize("NFKD", text or "")
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(_NON_WORD_RE.sub(" ", stripped.casefold()).split())


# Ranking tiers, best first.
_EXACT, _PREFIX, _WORD_PREFIX, _LABEL_OTHER, _ALT, _DESCRIPTION = range(6)


def _label_tier(label: str, query: str, tokens: list[str]) -> int | None:
    if label == query:
        return _EXACT
    if label.startswith(query):
        return _PREFIX
    padded = f" {label}"
    if f" {query}" in padded:
        return _WORD_PREFIX
    words = label.split()
    if all(any(word.startswith(tok) for word in words) for tok in tokens):
        return _WORD_PREFIX  # all words of the query start words of the label, in any order
    if query in label:
        return _LABEL_OTHER  # inside a compound, e.g. "software" in "tekstverwerkingssoftware"
    return None


def _text_matches(text: str, query: str, tokens: list[str]) -> bool:
    if query in text:
        return True
    words = text.split()
    return all(any(word.startswith(tok) for word in words) for tok in tokens)


@dataclass(frozen=True)
class _Entry:
    record: EscoSkillRecord
    blob: str
    labels: dict[str, str]
    alts: dict[str, tuple[str, ...]]
    descriptions: dict[str, str]
    sort_keys: dict[str, tuple[str, str]]


class EscoIndex:
    """Normalised search index over ESCO skill records; build it once, query it many times.

    Matches preferred and alternative labels in both languages (case- and accent-insensitive).
    Ranking: exact label, label prefix, word prefix in the label, other label substring (Dutch
    compounds), alternative label, description. Within a tier, matches in the requested language come
    first; ties are broken by the label in the requested language.
    """

    def __init__(self, records: Iterable[EscoSkillRecord]) -> None:
        self._entries: list[_Entry] = []
        for record in records:
            labels = {"nl": normalise(record.label_nl), "en": normalise(record.label_en)}
            alts = {
                "nl": tuple(normalise(a) for a in record.alt_nl),
                "en": tuple(normalise(a) for a in record.alt_en),
            }
            descriptions = {"nl": normalise(record.description_nl), "en": normalise(record.description_en)}
            blob = "\n".join([*labels.values(), *alts["nl"], *alts["en"], *descriptions.values()])
            sort_keys = {lang: (labels[lang], record.uri) for lang in LANGUAGES}
            self._entries.append(_Entry(record, blob, labels, alts, descriptions, sort_keys))

    def __len__(self) -> int:
        return len(self._entries)

    def search(self, query: str, *, language: Language, limit: int = 20) -> list[EscoSkillRecord]:
        if language not in LANGUAGES:
            raise ValueError(f"language must be one of {LANGUAGES}, not {language!r}")
        needle = normalise(query)
        if not needle or limit <= 0:
            return []
        tokens = needle.split()
        other: Language = "en" if language == "nl" else "nl"
        languages = (language, other)
        scored: list[tuple[int, int, tuple[str, str], EscoSkillRecord]] = []
        for entry in self._entries:
            if not all(tok in entry.blob for tok in tokens):
                continue  # cheap pre-filter: every word of the query occurs somewhere
            best: tuple[int, int] | None = None
            for penalty, lang in enumerate(languages):
                tier = _label_tier(entry.labels[lang], needle, tokens)
                if tier is None and any(_text_matches(alt, needle, tokens) for alt in entry.alts[lang]):
                    tier = _ALT
                if (
                    tier is None
                    and len(needle) >= 3
                    and _text_matches(entry.descriptions[lang], needle, tokens)
                ):
                    tier = _DESCRIPTION
                if tier is not None and (best is None or (tier, penalty) < best):
                    best = (tier, penalty)
            if best is not None:
                scored.append((best[0], best[1], entry.sort_keys[language], entry.record))
        scored.sort(key=lambda item: item[:3])
        return [item[3] for item in scored[:limit]]


def search(
    records: EscoIndex | Iterable[EscoSkillRecord], query: str, *, language: Language, limit: int = 20
) -> list[EscoSkillRecord]:
    """Search skills; pass an :class:`EscoIndex` to avoid rebuilding the index on every call."""
    index = records if isinstance(records, EscoIndex) else EscoIndex(records)
    return index.search(query, language=language, limit=limit)
