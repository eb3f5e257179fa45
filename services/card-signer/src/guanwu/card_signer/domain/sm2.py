"""SM2/SM3 arithmetic glue (GM/T 0003, 0004, 0009): digests, signature encodings, verification. No I/O."""

from __future__ import annotations

import gmalglib
from gmalglib.sm2 import SM2


def sm3(data: bytes) -> bytes:
    return bytes(gmalglib.sm3_digest(data))


def signing_digest(public_key: bytes, user_id: bytes, message: bytes) -> bytes:
    """e = SM3(Z_A || M) with Z_A = SM3(ENTL || ID || a || b || xG || yG || xA || yA) (GM/T 0003.2 §6.1)."""
    z = bytes(gmalglib.sm2_get_entity_info(public_key, user_id))
    return sm3(z + message)


def _der_int(value: bytes) -> bytes:
    value = value.lstrip(b"\x00") or b"\x00"
    if value[0] & 0x80:
        value = b"\x00" + value
    return b"\x02" + bytes([len(value)]) + value


def rs_to_der(rs: bytes) -> bytes:
    if len(rs) != 64:
        raise ValueError("an SM2 signature r || s has 64 bytes")
    body = _der_int(rs[:32]) + _der_int(rs[32:])
    return b"\x30" + bytes([len(body)]) + body


def der_to_rs(der: bytes) -> bytes:
    if len(der) < 8 or der[0] != 0x30 or der[1] != len(der) - 2:
        raise ValueError("not a DER SM2Signature")
    out, pos = b"", 2
    for _ in range(2):
        if der[pos] != 0x02:
            raise ValueError("not a DER SM2Signature")
        size = der[pos + 1]
        value = der[pos + 2 : pos + 2 + size].lstrip(b"\x00")
        if len(value) > 32:
            raise ValueError("integer too large for SM2")
        out += value.rjust(32, b"\x00")
        pos += 2 + size
    return out


def verify(public_key: bytes, message: bytes, rs: bytes, user_id: bytes) -> bool:
    return bool(SM2(pk=public_key, uid=user_id).verify(message, rs))
