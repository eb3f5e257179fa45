"""Identifier validators accept what the generators make and reject corruptions, each with a reason.

Check-character schemes (USCC, guanwu ClientSeqNo, ISO 6346, 组织机构代码) must reject every single-character
substitution, except the blind spots proven for ISO 6346 (see guanwu.customs.identifiers.container), which
are computed independently here and asserted to be the *only* survivors. Customs-assigned numbers have no
check digit: only corruptions that break their structure can be caught, and the tests say so.
"""

from __future__ import annotations

import random
import re
import string
from collections.abc import Callable, Iterator
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from stdnum.cn import uscc as stdnum_uscc

from guanwu.customs.codes import Table, load_default_tables
from guanwu.customs.identifiers import (
    IdCheck,
    generate_bond_invt_no,
    generate_client_seq_no,
    generate_container_no,
    generate_entry_id,
    generate_seq_no,
    generate_uscc,
    organization_check_char,
    validate_bond_invt_no,
    validate_client_seq_no,
    validate_container_no,
    validate_customs_code,
    validate_entry_id,
    validate_guanwu_client_seq_no,
    validate_organization_code,
    validate_owner_code,
    validate_seq_no,
    validate_uscc,
)
from guanwu.customs.identifiers.container import CHAR_VALUE, container_remainder
from guanwu.customs.identifiers.uscc import ALPHABET as USCC_ALPHABET

DISTRICTS = load_default_tables()[Table.CUSTOMS_DISTRICT]
SUBSTITUTES = string.digits + string.ascii_uppercase + "a-* 中"
seeds = st.integers(min_value=0, max_value=2**32)


def substitutions(value: str) -> Iterator[tuple[int, str]]:
    """Every single-character substitution of `value`: (0-based position, corrupted value)."""
    for i, original in enumerate(value):
        for char in SUBSTITUTES:
            if char != original:
                yield i, value[:i] + char + value[i + 1 :]


def assert_reason(check: IdCheck) -> None:
    assert not check.ok
    assert re.search(r"[\u4e00-\u9fff]", check.reason_zh)
    assert re.search(r"[a-z]{3}", check.reason_en)


def assert_every_substitution_rejected(value: str, validate: Callable[[str], IdCheck]) -> None:
    assert validate(value).ok, validate(value)
    for _, corrupted in substitutions(value):
        assert_reason(validate(corrupted))


# ---- USCC (GB 32100) ----------------------------------------------------------------------------------


@given(seeds, st.sampled_from(["1", "5", "9", "Y"]), st.sampled_from(["1", "2", "3"]))
def test_generated_uscc_is_valid_and_every_substitution_is_rejected(seed: int, dept: str, kind: str) -> None:
    code = generate_uscc(random.Random(seed), department=dept, kind=kind)
    assert_every_substitution_rejected(code, validate_uscc)


@given(seeds)
def test_uscc_check_char_agrees_with_python_stdnum(seed: int) -> None:
    code = generate_uscc(random.Random(seed))  # department 9: stdnum accepts digit-only prefixes
    assert stdnum_uscc.calc_check_digit(code[:17]) == code[17]
    assert stdnum_uscc.is_valid(code)


def test_uscc_reasons_are_precise() -> None:
    assert validate_uscc("91110108551385082Q").ok
    assert validate_uscc("91110108551385082").reason_en == "USCC must have 18 characters, got 17"
    assert validate_uscc("9111010855138508IQ").position == 17  # I is not in the alphabet
    assert validate_uscc("911A0108551385082Q").position == 4  # region code must be digits
    assert validate_uscc("91110108551385082R").position == 18
    assert validate_uscc("91110108551385082q").position == 18  # lower case is refused, not folded


# ---- ISO 6346 -----------------------------------------------------------------------------------------


def iso6346_blind_spot(original: str, corrupted: str) -> bool:
    """The substitutions ISO 6346 cannot see, derived from the arithmetic rather than from the validator."""
    (i,) = [k for k in range(11) if original[k] != corrupted[k]]
    if i == 10 or not corrupted[:10].isalnum() or corrupted[3] not in "UJZ":
        return False
    if (i < 4 and not corrupted[i].isupper()) or (i >= 4 and not corrupted[i].isdigit()):
        return False
    same_weight = (CHAR_VALUE[original[i]] - CHAR_VALUE[corrupted[i]]) % 11 == 0
    zero_ten = {container_remainder(original[:10]), container_remainder(corrupted[:10])} == {0, 10}
    return same_weight or zero_ten


@given(seeds, st.text(alphabet=string.ascii_uppercase, min_size=3, max_size=3), st.sampled_from("UJZ"))
@settings(max_examples=200)
def test_generated_container_numbers_are_valid_and_substitutions_rejected_but_for_proven_blind_spots(
    seed: int, owner: str, category: str
) -> None:
    number = generate_container_no(random.Random(seed), owner=owner, category=category)
    assert validate_container_no(number).ok
    for _, corrupted in substitutions(number):
        check = validate_container_no(corrupted)
        if iso6346_blind_spot(number, corrupted):
            assert check.ok
        else:
            assert_reason(check)


def test_the_iso6346_blind_spots_are_real_and_few() -> None:
    assert validate_container_no("CSQU3054383").ok  # the standard's own example
    assert validate_container_no("CSQK3054383").reason_en  # category must be U, J or Z
    # A (10) and K (21) share a weight mod 11: swapping them in the owner code keeps the number valid.
    assert validate_container_no("ASQU3054383").ok == validate_container_no("KSQU3054383").ok
    # Over all digit substitutions of serials with remainder ≠ 0, nothing slips through.
    rng = random.Random(6346)
    for _ in range(200):
        number = generate_container_no(rng)
        if container_remainder(number[:10]) == 0:
            continue
        for i, corrupted in substitutions(number):
            if i >= 4:
                assert not validate_container_no(corrupted).ok


# ---- ClientSeqNo -------------------------------------------------------------------------------------


@given(seeds, st.dates(min_value=date(2000, 1, 1), max_value=date(2099, 12, 31)))
def test_guanwu_client_seq_no_detects_every_substitution(seed: int, day: date) -> None:
    number = generate_client_seq_no(random.Random(seed), day)
    assert len(number) == 18 and validate_client_seq_no(number).ok
    assert_every_substitution_rejected(number, validate_guanwu_client_seq_no)


def test_any_enterprise_client_seq_no_needs_only_shape() -> None:
    assert validate_client_seq_no("202400000000000001").ok
    assert validate_client_seq_no("A1").ok
    assert validate_client_seq_no("").position is None and not validate_client_seq_no("").ok
    assert validate_client_seq_no("X" * 19).reason_en == "ClientSeqNo must have 1-18 characters, got 19"
    assert validate_client_seq_no("ABC-1").position == 4


# ---- numbers without a check digit -----------------------------------------------------------------


@given(
    st.sampled_from(sorted(DISTRICTS.codes() - {"0000"})),
    st.integers(1990, 2099),
    st.sampled_from("IE"),
    st.integers(0, 10**9 - 1),
)
def test_entry_ids_round_trip_and_structural_corruptions_are_rejected(
    district: str, year: int, ie: str, seq: int
) -> None:
    entry_id = generate_entry_id(district, year, ie, seq)
    assert validate_entry_id(entry_id, DISTRICTS, ie).ok
    for i, corrupted in substitutions(entry_id):
        check = validate_entry_id(corrupted, DISTRICTS, ie)
        if not corrupted.isdigit() or i == 8:  # a non-digit, or the I/E digit contradicting IEFlag
            assert_reason(check)
    # no check digit: a changed sequence digit is still a well-formed number
    assert validate_entry_id(entry_id[:-1] + str((int(entry_id[-1]) + 1) % 10), DISTRICTS, ie).ok


def test_entry_id_samples_from_the_reference() -> None:
    assert validate_entry_id("531820161181010544", DISTRICTS, "I").ok
    assert validate_entry_id("311120240619962103", DISTRICTS, "E").ok
    assert validate_entry_id("311120240619962103", DISTRICTS, "I").position == 9
    assert validate_entry_id("111120240619962103", DISTRICTS).position == 1  # 11xx is no district
    assert validate_entry_id("311118800619962103").position == 5


@given(st.sampled_from("IE"), st.integers(1990, 2099), st.integers(0, 10**13 - 1))
def test_seq_nos_round_trip(ie: str, year: int, seq: int) -> None:
    seq_no = generate_seq_no(ie, year, seq)
    assert validate_seq_no(seq_no).ok
    for i, corrupted in substitutions(seq_no):
        if not corrupted[1:].isdigit() or (
            i == 0 and not corrupted[0].isdigit() and corrupted[0] not in "IE"
        ):
            assert_reason(validate_seq_no(corrupted))


def test_seq_no_forms() -> None:
    assert validate_seq_no("I20180000147015879").ok
    assert validate_seq_no("000000001139524197").ok  # the older all-digit form
    assert validate_seq_no("Z20180000147015879").position == 1


@given(
    st.sampled_from(sorted(DISTRICTS.codes() - {"0000"})),
    st.integers(2000, 2099),
    st.sampled_from("IE"),
    st.integers(0, 10**9 - 1),
)
def test_bond_invt_nos_round_trip_and_structural_corruptions_are_rejected(
    district: str, year: int, ie: str, seq: int
) -> None:
    number = generate_bond_invt_no(district, year, ie, seq)
    assert validate_bond_invt_no(number, DISTRICTS).ok
    for i, corrupted in substitutions(number):
        if i < 2 or corrupted[8] not in "IE" or not corrupted[2:8].isdigit() or not corrupted[9:].isdigit():
            assert_reason(validate_bond_invt_no(corrupted, DISTRICTS))


def test_bond_invt_no_sample() -> None:
    assert validate_bond_invt_no("QD311124I000065378", DISTRICTS).ok
    assert validate_bond_invt_no("QX311124I000065378").position == 1


# ---- enterprise codes --------------------------------------------------------------------------------


@pytest.mark.parametrize("code", ["3302210012", "330261A004", "5101644060", "3107980011", "6620180410"])
def test_customs_codes_from_the_reference_are_valid(code: str) -> None:
    assert validate_customs_code(code).ok
    assert validate_owner_code(code).ok


def test_customs_code_and_owner_code_reasons() -> None:
    assert validate_customs_code("330261a004").position == 7
    assert validate_customs_code("33026").reason_en.endswith("got 5")
    assert validate_owner_code("NO").ok
    assert validate_owner_code("551385082").ok
    assert not validate_owner_code("12345678").ok


@given(st.text(alphabet=string.digits, min_size=8, max_size=8))
def test_organization_codes_detect_every_digit_substitution(body: str) -> None:
    code = body + organization_check_char(body)
    assert validate_organization_code(code).ok
    for i, corrupted in substitutions(code):
        # GB 11714 values letters 10..35, so a letter can share a digit's weight mod 11: only digits are
        # guaranteed (the body of most real codes is all digits).
        if i == 8 or corrupted[i].isdigit() or not corrupted[i].isalnum() or not corrupted[i].isupper():
            assert_reason(validate_organization_code(corrupted))


def test_the_organisation_code_inside_a_uscc_validates() -> None:
    assert validate_organization_code("91110108551385082Q"[8:17]).ok
    assert validate_organization_code("551385083").position == 9


def test_uscc_alphabet_has_31_symbols_without_ambiguous_letters() -> None:
    assert len(USCC_ALPHABET) == 31 and not set("IOSVZ") & set(USCC_ALPHABET)
