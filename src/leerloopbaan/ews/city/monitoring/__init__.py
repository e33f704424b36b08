"""Monitoring the early warning after release (city analysts): were past lists right, how stable
are consecutive lists, how far have the features drifted since training (docs/ews-monitoring.md)."""
