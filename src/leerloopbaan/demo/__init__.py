"""The synthetic demo city."""
