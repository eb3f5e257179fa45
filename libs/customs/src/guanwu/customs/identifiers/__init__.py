"""Identifier validators (with a precise reason in Chinese and English) and generators."""

from guanwu.customs.identifiers.client_seq_no import (
    generate_client_seq_no,
    validate_client_seq_no,
    validate_guanwu_client_seq_no,
)
from guanwu.customs.identifiers.container import (
    container_check_digit,
    generate_container_no,
    validate_container_no,
)
from guanwu.customs.identifiers.numbers import (
    generate_bond_invt_no,
    generate_entry_id,
    generate_seq_no,
    organization_check_char,
    validate_bond_invt_no,
    validate_customs_code,
    validate_entry_id,
    validate_organization_code,
    validate_owner_code,
    validate_seq_no,
)
from guanwu.customs.identifiers.result import IdCheck
from guanwu.customs.identifiers.uscc import generate_uscc, uscc_check_char, validate_uscc

__all__ = [
    "IdCheck",
    "container_check_digit",
    "generate_bond_invt_no",
    "generate_client_seq_no",
    "generate_container_no",
    "generate_entry_id",
    "generate_seq_no",
    "generate_uscc",
    "organization_check_char",
    "uscc_check_char",
    "validate_bond_invt_no",
    "validate_client_seq_no",
    "validate_container_no",
    "validate_customs_code",
    "validate_entry_id",
    "validate_guanwu_client_seq_no",
    "validate_organization_code",
    "validate_owner_code",
    "validate_seq_no",
    "validate_uscc",
]
