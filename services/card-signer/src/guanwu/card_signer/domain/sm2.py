"""SM2/SM3 arithmetic glue (GM/T 0003, 0004, 0009): digests, signature encodings, verification. No I/O."""

from __future__ import annotations

from functools import lru_cache

import gmalglib
from gmalglib.sm2 import SM2
from gmalglib.sm3 import SM3


def sm3(data: bytes) -> bytes:
    return bytes(gmalglib.sm3_digest(data))


@lru_cache(maxsize=64)
def entity_digest(public_key: bytes, user_id: bytes) -> bytes:
    """Z_A = SM3(ENTL || ID || a || b || xG || yG || xA || yA) (GM/T 0003.2 §5.5): fixed per key and ID."""
    return bytes(gmalglib.sm2_get_entity_info(public_key, user_id))


def signing_digest(public_key: bytes, user_id: bytes, message: bytes) -> bytes:
    """e = SM3(Z_A || M), the value an SM2 signature signs (GM/T 0003.2 §6.1, GM/T 0009)."""
    hasher = SM3(entity_digest(public_key, user_id))
    hasher.update(message)
    return bytes(hasher.digest())


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
