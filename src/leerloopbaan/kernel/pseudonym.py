"""Pupil pseudonyms, exactly as in shared/spec/data-format.md.

``pupil_key = hex(HMAC-SHA256(key = LEERLOOPBAAN_PSEUDONYM_KEY as UTF-8, message = 11 digits as ASCII))``

The national number (INSZ / rijksregisternummer, or a BIS number) is validated and turned into this
key on import; the number itself is never stored or logged. This module imports no Django, so the
importer and the demo generator can use it on plain data.
"""

from __future__ import annotations

import hashlib
import hmac
import re

_PUNCTUATION = re.compile(r"[.\-\s]")
_PUPIL_KEY = re.compile(r"^[0-9a-f]{64}$")


class InvalidNationalNumber(ValueError):
    """The value is not a valid INSZ or BIS number; the message says why (without the number)."""


def check_digits(first_nine: str, born_from_2000: bool) -> int:
    """The INSZ check number: 97 minus (the first 9 digits mod 97); prefix 2 for births from 2000."""
    base = int(("2" + first_nine) if born_from_2000 else first_nine)
    return 97 - (base % 97)


def normalise_national_number(value: str) -> str:
    """Return the 11 digits of a valid INSZ or BIS number, or raise InvalidNationalNumber.

    Punctuation (``.``, ``-``, spaces) is ignored. The check digits must match the rule for a birth
    before 2000 or the rule for a birth from 2000 (the ``2`` prefix). The month part may be 0-12
    (INSZ; 0 when the birth date is unknown), +20 or +40 (BIS numbers); the day part 0-31.
    """
    digits = _PUNCTUATION.sub("", value or "")
    if not digits:
        raise InvalidNationalNumber("empty; expected 11 digits")
    if not digits.isdigit() or not digits.isascii():
        raise InvalidNationalNumber("contains characters other than digits, '.', '-' or spaces; expected 11 digits")
    if len(digits) != 11:
        raise InvalidNationalNumber(f"has {len(digits)} digits; expected 11")
    month = int(digits[2:4])
    day = int(digits[4:6])
    if not (month <= 12 or 20 <= month <= 32 or 40 <= month <= 52):
        raise InvalidNationalNumber("month part is not 01-12 (INSZ) or 21-32/41-52 (BIS)")
    if day > 31:
        raise InvalidNationalNumber("day part is over 31")
    check = int(digits[9:])
    first_nine = digits[:9]
    if check not in (check_digits(first_nine, False), check_digits(first_nine, True)):
        raise InvalidNationalNumber("check digits do not match (97 - first 9 digits mod 97, with the 2 prefix from 2000)")
    return digits


class PseudonymKeyMissing(RuntimeError):
    """A national number must be pseudonymised, and production has no LEERLOOPBAAN_PSEUDONYM_KEY."""

    def __init__(self):
        super().__init__("LEERLOOPBAAN_PSEUDONYM_KEY is not set, so national numbers cannot be turned into pupil "
                         "keys. Set it to the city's pseudonym key (docs/deploy.md), or import files with a "
                         "pupil_key column; nothing was written.")


def pseudonymise(digits: str, key: str | None) -> str:
    """HMAC-SHA256 of the 11 digits under the operator's key, as 64 lowercase hex characters."""
    if not key:
        raise PseudonymKeyMissing()
    return hmac.new(key.encode("utf-8"), digits.encode("ascii"), hashlib.sha256).hexdigest()


def pupil_key_for(national_number: str, key: str) -> str:
    """Validate a national number and return its pupil key."""
    return pseudonymise(normalise_national_number(national_number), key)


def validate_pupil_key(value: str) -> str:
    """A pupil key given directly must be 64 lowercase hex characters."""
    if not _PUPIL_KEY.match(value or ""):
        raise ValueError("expected 64 lowercase hexadecimal characters")
    return value


# A run of 11 or more digits, each pair possibly separated by one '.', '-', '/' or space, not glued to
# a further digit: every form a national number is written in (85073003328, 85.07.30-033.28,
# 850730 033 28). The run may sit inside other text (a name, a file name, a database message).
_DIGIT_RUN = re.compile(r"(?<![0-9])[0-9](?:[.\-/ ]?[0-9]){10,}(?![0-9])")


def mask_national_numbers(text: str) -> str:
    """``text`` with every run of 11 or more digits that could be a national number masked.

    The one helper for every message that may echo a cell of an import file (row errors, reports,
    logs, exceptions): the first 6 digits (the birth date part) stay, every further digit becomes
    ``*`` and the separators stay, so ``85.07.30-033.28`` is shown as ``85.07.30-***.**``. Runs are
    masked whether or not their check digits match: a mistyped number still names a person.
    """
    if not text or not isinstance(text, str):
        return text

    def _mask(match: re.Match) -> str:
        seen = 0
        out = []
        for ch in match.group(0):
            if ch.isdigit():
                seen += 1
                out.append(ch if seen <= 6 else "*")
            else:
                out.append(ch)
        return "".join(out)

    return _DIGIT_RUN.sub(_mask, text)


def contains_national_number(text: str) -> bool:
    """Whether ``text`` holds a run of digits that is a valid national number (INSZ or BIS)."""
    if not text:
        return False
    for match in _DIGIT_RUN.finditer(text):
        digits = re.sub(r"[^0-9]", "", match.group(0))
        for start in range(len(digits) - 10):
            try:
                normalise_national_number(digits[start:start + 11])
                return True
            except InvalidNationalNumber:
                continue
    return False
