"""The import of data-format.md: ``import_paths(paths, user=..., dry_run=...) -> ImportResult``.

The files it takes are the registered file kinds (``registry.importer.kinds``)."""

from leerloopbaan.registry.importer.core import Importer, ImportResult, collect_files, import_paths
from leerloopbaan.registry.importer.kinds import FileKind, UnknownKind
from leerloopbaan.registry.importer.rules import RowError

__all__ = ["FileKind", "ImportResult", "Importer", "RowError", "UnknownKind", "collect_files", "import_paths"]
