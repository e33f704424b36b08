"""Where the audit log's mirror lines (``audit action=…``, logger ``leerloopbaan.kernel.audit``) go: a
file of their own (``LEERLOOPBAAN_AUDIT_LOG``, default ``<data dir>/log/audit.log``), never the console,
where they drowned the progress of commands such as ``leerloopbaan demo``. The audit entries themselves
are rows of the audit database; this file is a convenience for operators. Imported by the logging
configuration before the apps load: no models here."""

from __future__ import annotations

import logging
from pathlib import Path

AUDIT_LOGGER = "leerloopbaan.kernel.audit"


class NotAudit(logging.Filter):
    """Lets every record through except the audit logger's (for the console handler)."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (record.name == AUDIT_LOGGER or record.name.startswith(AUDIT_LOGGER + "."))


class AuditFileHandler(logging.FileHandler):
    """A file handler that creates its folder when it writes its first line (and not before: a command
    that audits nothing leaves no file)."""

    def __init__(self, filename: str, encoding: str = "utf-8") -> None:
        super().__init__(filename, encoding=encoding, delay=True)

    def _open(self):
        Path(self.baseFilename).parent.mkdir(parents=True, exist_ok=True)
        return super()._open()
