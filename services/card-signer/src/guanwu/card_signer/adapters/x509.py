"""X.509 for SM2: read what the signer needs from a certificate; build a self-signed one for a soft token.

`cryptography` parses SM2 certificates but has no SM2 keys, so the public key is taken from the
SubjectPublicKeyInfo, whose DER is fixed for an uncompressed SM2 point, and signing uses gmalglib.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta

from cryptography import x509
from gmalglib.sm2 import SM2

from guanwu.card_signer.domain import CertificateInfo
from guanwu.card_signer.domain.sm2 import rs_to_der

_SM2_SPKI_PREFIX = bytes.fromhex("3059301306072a8648ce3d020106082a811ccf5501822d034200")
_OID_SM2_WITH_SM3 = bytes.fromhex("06082a811ccf55018375")  # 1.2.156.10197.1.501


def certificate_info(der: bytes) -> CertificateInfo:
    cert = x509.load_der_x509_certificate(der)
    tbs = cert.tbs_certificate_bytes
    at = tbs.find(_SM2_SPKI_PREFIX)
    if at < 0:
        raise ValueError("the certificate does not hold an uncompressed SM2 public key")
    public_key = tbs[at + len(_SM2_SPKI_PREFIX) : at + len(_SM2_SPKI_PREFIX) + 65]
    return CertificateInfo(
        subject=cert.subject.rfc4514_string(),
        serial_hex=format(cert.serial_number, "x"),
        not_before=cert.not_valid_before_utc,
        not_after=cert.not_valid_after_utc,
        public_key=public_key,
        der=der,
    )


def _tlv(tag: int, value: bytes) -> bytes:
    size = len(value)
    if size < 0x80:
        length = bytes([size])
    else:
        raw = size.to_bytes((size.bit_length() + 7) // 8, "big")
        length = bytes([0x80 | len(raw)]) + raw
    return bytes([tag]) + length + value


def _seq(*items: bytes) -> bytes:
    return _tlv(0x30, b"".join(items))


def _integer(value: int) -> bytes:
    raw = value.to_bytes(value.bit_length() // 8 + 1, "big")
    return _tlv(0x02, raw)


def _name(common_name: str, organisation: str) -> bytes:
    def rdn(oid_tail: int, value: bytes, tag: int) -> bytes:
        return _tlv(0x31, _seq(_tlv(0x06, bytes([0x55, 0x04, oid_tail])), _tlv(tag, value)))

    return _seq(
        rdn(0x06, b"CN", 0x13),  # countryName, PrintableString
        rdn(0x0A, organisation.encode("utf-8"), 0x0C),  # organizationName, UTF8String
        rdn(0x03, common_name.encode("utf-8"), 0x0C),  # commonName, UTF8String
    )


def _time(moment: datetime) -> bytes:
    return _tlv(0x17, moment.strftime("%y%m%d%H%M%SZ").encode())  # UTCTime (years < 2050)


def self_signed_certificate(
    private_key: bytes, public_key: bytes, common_name: str, organisation: str, days: int = 365
) -> bytes:
    """A v1 self-signed SM2-with-SM3 certificate (GM/T 0015 profile minus extensions), signed with ID 1234…"""
    now = datetime.now(UTC).replace(microsecond=0)
    algorithm = _seq(_OID_SM2_WITH_SM3)
    name = _name(common_name, organisation)
    tbs = _seq(
        _integer(secrets.randbits(63) | 1 << 62),
        algorithm,
        name,
        _seq(_time(now - timedelta(minutes=5)), _time(now + timedelta(days=days))),
        name,
        _SM2_SPKI_PREFIX + public_key,
    )
    rs = bytes(SM2(sk=private_key, pk=public_key).sign(tbs))
    return _seq(tbs, algorithm, _tlv(0x03, b"\x00" + rs_to_der(rs)))
