"""The import of data-format.md: ``import_paths(paths, user=..., dry_run=...) -> ImportResult``."""

from leerloopbaan.registry.importer.core import ImportResult, collect_files, import_paths
from leerloopbaan.registry.importer.rules import RowError

__all__ = ["ImportResult", "RowError", "collect_files", "import_paths"]
