"""The pupil pseudonym and the INSZ/BIS check-digit rule, on known vectors (data-format.md)."""

import pytest

from leerloopbaan.kernel.pseudonym import (
    InvalidNationalNumber,
    check_digits,
    normalise_national_number,
    pseudonymise,
    pupil_key_for,
)

# HMAC-SHA256 under the key "example", computed independently with
# `printf %s 01031410135 | openssl dgst -sha256 -hmac example` (see shared/spec/example/README.md).
KNOWN = {
    "01031410135": "89682f47606c24d4d7124ae735e678dec7e26eea429e92c964790575337c7378",
    "01110220259": "56003b08a7a05f044047594af99706dfe6a686328aa45eb6ff49dbb64ad34aff",
    "03063030395": "a28a8a12ca8b40dd5587228a759f93219ddefd868eb21521a6c31044469c86c6",
    "00010504634": "72c7aa1b6b995710774e0de012daabb348ae341c1cc09a370bdb66bce9472be3",
}


@pytest.mark.parametrize("number,key", KNOWN.items())
def test_pseudonym_matches_spec_vectors(number, key):
    assert pupil_key_for(number, "example") == key


def test_punctuation_is_ignored():
    assert pupil_key_for("01.03.14-101.35", "example") == KNOWN["01031410135"]
    assert pupil_key_for(" 01031410135 ", "example") == KNOWN["01031410135"]


def test_key_changes_the_pseudonym():
    assert pseudonymise("01031410135", "another") != KNOWN["01031410135"]


def test_birth_before_2000_uses_plain_rule():
    # 85.07.30-033: 97 - (850730033 mod 97) = 28
    assert check_digits("850730033", born_from_2000=False) == 28
    assert normalise_national_number("85.07.30-033.28") == "85073003328"


def test_birth_from_2000_uses_2_prefix():
    # Amir, born 2001-03-14: only the rule with the 2 prefix gives 35
    assert check_digits("010314101", born_from_2000=True) == 35
    assert check_digits("010314101", born_from_2000=False) != 35
    assert normalise_national_number("01031410135") == "01031410135"


def test_bis_numbers_month_plus_40_and_plus_20():
    # BIS with known sex: month + 40; 97 - (854712001 mod 97) = 7
    assert normalise_national_number("85471200107") == "85471200107"
    # BIS born from 2000: 2 prefix, 97 - (2054712001 mod 97) = 5
    assert normalise_national_number("05471200105") == "05471200105"
    # BIS with month + 20 (sex unknown)
    first = "852712001"
    assert normalise_national_number(first + f"{97 - int(first) % 97:02d}")


@pytest.mark.parametrize(
    "value,reason",
    [
        ("", "empty"),
        ("0103141013", "has 10 digits"),
        ("010314101355", "has 12 digits"),
        ("0103141013A", "characters other than digits"),
        ("01031410136", "check digits"),
        ("01131410135", "month part"),
        ("01033410135", "day part"),
    ],
)
def test_invalid_numbers_are_refused_with_a_reason(value, reason):
    with pytest.raises(InvalidNationalNumber) as err:
        normalise_national_number(value)
    assert reason in str(err.value)
    # the message never repeats the number itself
    assert value.strip() == "" or value not in str(err.value)
