"""The registry of file kinds: which files an import takes, in which order, and who reads them.

A *file kind* is one file of a data set (``schools.csv``, ``absences.xlsx``, ...). Each kind is a
module with a public interface, ``KIND = FileKind(...)``: its columns, its place in the write order
and ``load(importer, files)``, which checks every row of the files and upserts them through the
importer's public methods (``registry.importer.core.Importer``). The app that owns the table
registers the kind from its ``AppConfig.ready()``: the registry registers schools, pupils,
enrolments, absences and attestations; assessments registers test_results. The importer itself
knows no kind and imports no app above the registry.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

EXTENSIONS = (".csv", ".xlsx")


@dataclass(frozen=True)
class FileKind:
    """One kind of import file.

    ``name``: the file is ``<name>.csv`` or ``<name>.xlsx``. ``order``: kinds are written in
    ascending order, so a kind comes after the kinds its rows refer to (schools 10, pupils 20,
    enrolments 30, absences 40, attestations 50, test_results 60). ``required`` / ``optional``: the
    columns besides the pupil reference; ``has_pupil``: rows name a pupil by ``national_number`` or
    ``pupil_key``. ``load(importer, files)``: check every row of ``files`` ((shown name, path)
    pairs), report each problem with ``importer.error``/``importer.report_row`` and, while no error
    was found, write the rows. ``owner``: the label of the app that owns the table. ``label``: what the
    file holds in the user's language (a lazy translation), shown beside its name on the import page.
    """

    name: str
    order: int
    required: tuple[str, ...]
    load: Callable[..., None]
    optional: tuple[str, ...] = ()
    has_pupil: bool = False
    owner: str = ""
    label: str = ""


class UnknownKind(LookupError):
    """A kind no app registered."""


_kinds: dict[str, FileKind] = {}


def register(kind: FileKind) -> None:
    """Add a kind (idempotent for the same kind; another kind under a registered name is an error)."""
    current = _kinds.get(kind.name)
    if current is not None and current != kind:
        raise ValueError(f"file kind {kind.name!r} is already registered by {current.owner or 'another app'}")
    _kinds[kind.name] = kind


def unregister(name: str) -> None:
    _kinds.pop(name, None)


def registered() -> tuple[FileKind, ...]:
    """Every registered kind, in write order."""
    return tuple(sorted(_kinds.values(), key=lambda k: (k.order, k.name)))


def names() -> tuple[str, ...]:
    return tuple(k.name for k in registered())


def get(name: str) -> FileKind:
    """The kind registered under ``name``; UnknownKind, naming every registered kind, otherwise."""
    try:
        return _kinds[name]
    except KeyError:
        known = ", ".join(names()) or "none"
        raise UnknownKind(f"unknown file kind {name!r}; the registered kinds are: {known}") from None


def kind_of(path: Path) -> FileKind | None:
    """``schools.csv`` -> the schools kind; None for a file that is not of a registered kind."""
    if path.suffix.lower() not in EXTENSIONS:
        return None
    return _kinds.get(path.stem.lower())


def listing(final: str = "or") -> str:
    """The registered kinds for a message: ``schools, pupils, ... or test_results``."""
    all_names = names()
    if len(all_names) < 2:
        return "".join(all_names)
    return ", ".join(all_names[:-1]) + f" {final} {all_names[-1]}"
