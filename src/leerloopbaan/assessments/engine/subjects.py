"""Tutoring subjects that count as tutoring in a test domain (growth of tutored pupils; remediation)."""

SUBJECTS_OF_DOMAIN: dict[str, tuple[str, ...]] = {
    "maths": ("maths",),
    "dutch": ("dutch", "reading"),
    "reading": ("dutch", "reading"),
}
