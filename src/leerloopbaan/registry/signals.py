"""Signals other apps listen to, so the registry depends on none of them."""

from django.dispatch import Signal

# Sent after an import was committed (never for a dry run or a refused data set).
# Arguments: run (the ImportRun), counts (per file).
import_completed = Signal()
