"""The privacy core: pupil pseudonyms and national-number validation.

See docs/privacy.md for the pattern every app follows when it reads a person's data.
"""

from leerloopbaan.privacy.pseudonym import (
    InvalidNationalNumber,
    normalise_national_number,
    pseudonymise,
    pupil_key_for,
    validate_pupil_key,
)

__all__ = [
    "InvalidNationalNumber",
    "normalise_national_number",
    "pseudonymise",
    "pupil_key_for",
    "validate_pupil_key",
]
