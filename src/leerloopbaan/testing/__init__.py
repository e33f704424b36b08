"""Helpers for the tests of every app (shipped in the package so app tests can share them)."""
