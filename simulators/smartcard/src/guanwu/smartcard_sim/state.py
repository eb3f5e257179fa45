"""The card's persistent state: SM2 key pair, certificate, PIN (salted SM3 hash) and its retry counter.

One folder per card so a test can build, inspect and reset a card. Files:
`key.pem` (SEC1, readable by OpenSSL: a real card never exports its key, this one is a test device),
`cert.der` / `cert.pem` (self-signed SM2-with-SM3, made by the OpenSSL CLI), `pin.json`.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import gmalglib

DEFAULT_USER_ID = b"1234567812345678"  # GM/T 0009 default distinguishing identifier
_SM2_OID = bytes.fromhex("06082a811ccf5501822d")  # 1.2.156.10197.1.301


@dataclass
class PinState:
    salt: bytes
    pin_hash: bytes
    retries_left: int
    max_retries: int

    def matches(self, candidate: bytes) -> bool:
        return secrets.compare_digest(_hash_pin(self.salt, candidate), self.pin_hash)


def _hash_pin(salt: bytes, pin: bytes) -> bytes:
    return bytes(gmalglib.sm3_digest(salt + pin))


def sec1_pem(private_key: bytes, public_key: bytes) -> str:
    """ECPrivateKey (RFC 5915) with the SM2 curve: fixed-size fields, so a fixed DER layout."""
    der = (
        bytes.fromhex("3077020101")
        + b"\x04\x20"
        + private_key
        + b"\xa0\x0a"
        + _SM2_OID
        + b"\xa1\x44\x03\x42\x00"
        + public_key
    )
    body = "\n".join(base64.encodebytes(der).decode().split())
    return f"-----BEGIN EC PRIVATE KEY-----\n{body}\n-----END EC PRIVATE KEY-----\n"


def private_key_from_sec1_pem(pem: str) -> bytes:
    lines = [line for line in pem.strip().splitlines() if not line.startswith("-----")]
    der = base64.b64decode("".join(lines))
    return der[7:39]


class CardStore:
    """Reads and writes one card's folder. Writes of the PIN counter are atomic (write, fsync, rename)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    @property
    def initialised(self) -> bool:
        return (self.folder / "pin.json").exists() and (self.folder / "cert.der").exists()

    def initialise(
        self,
        pin: bytes,
        subject: str = "/C=CN/O=GUANWU Demo Trading Co./CN=GUANWU VIRTUAL TEST CARD",
        max_retries: int = 3,
        days: int = 365,
    ) -> None:
        openssl = shutil.which("openssl")
        if openssl is None:
            raise RuntimeError(
                "the OpenSSL CLI is needed to create the card's certificate (apt-get install openssl)"
            )
        if not 4 <= len(pin) <= 16:
            raise ValueError("the PIN must have 4 to 16 bytes")
        self.folder.mkdir(parents=True, exist_ok=True)
        private_key, public_key = gmalglib.sm2_generate_keypair()
        key_path = self.folder / "key.pem"
        key_path.write_text(sec1_pem(private_key, public_key))
        key_path.chmod(0o600)
        serial = "0x" + secrets.token_hex(8)
        subprocess.run(
            [openssl, "req", "-new", "-x509", "-utf8", "-key", str(key_path), "-sm3",
             "-sigopt", f"distid:{DEFAULT_USER_ID.decode()}", "-subj", subject, "-days", str(days),
             "-set_serial", serial, "-outform", "DER", "-out", str(self.folder / "cert.der")],
            check=True, capture_output=True,
        )  # fmt: skip
        subprocess.run(
            [openssl, "x509", "-inform", "DER", "-in", str(self.folder / "cert.der"),
             "-out", str(self.folder / "cert.pem")],
            check=True, capture_output=True,
        )  # fmt: skip
        salt = secrets.token_bytes(16)
        self.save_pin(PinState(salt, _hash_pin(salt, pin), max_retries, max_retries))

    def private_key(self) -> bytes:
        return private_key_from_sec1_pem((self.folder / "key.pem").read_text())

    def certificate(self) -> bytes:
        return (self.folder / "cert.der").read_bytes()

    def load_pin(self) -> PinState:
        raw = json.loads((self.folder / "pin.json").read_text())
        return PinState(
            salt=bytes.fromhex(raw["salt"]),
            pin_hash=bytes.fromhex(raw["pin_hash"]),
            retries_left=int(raw["retries_left"]),
            max_retries=int(raw["max_retries"]),
        )

    def save_pin(self, state: PinState) -> None:
        raw = {
            "salt": state.salt.hex(),
            "pin_hash": state.pin_hash.hex(),
            "retries_left": state.retries_left,
            "max_retries": state.max_retries,
        }
        tmp = self.folder / "pin.json.tmp"
        with tmp.open("w") as handle:
            json.dump(raw, handle)
            handle.flush()
            os.fsync(handle.fileno())
        tmp.replace(self.folder / "pin.json")

    def set_retries(self, retries_left: int) -> None:
        """Test and demo helper: an issuer's reset (or a block) of the PIN counter."""
        state = self.load_pin()
        state.retries_left = max(0, min(retries_left, state.max_retries))
        self.save_pin(state)
