"""SoftSigner: an SM2 key in a file, encrypted at rest with a passphrase (scrypt + AES-256-GCM).

For the embedded default and for development, where no card reader exists. The token file is JSON:
the public key and certificate in clear, the private key sealed with a key derived from the passphrase; the
header is authenticated as GCM associated data, so swapping the certificate or KDF parameters fails to open.
"""

from __future__ import annotations

import base64
import json
import os
import threading
from pathlib import Path

import gmalglib
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt
from gmalglib.sm2 import SM2

from guanwu.card_signer.adapters.x509 import certificate_info, self_signed_certificate
from guanwu.card_signer.domain import (
    DEFAULT_USER_ID,
    CardStatus,
    FailureReason,
    Secret,
    Signature,
    SignFailure,
)
from guanwu.card_signer.domain.sm2 import signing_digest, sm3

FORMAT = "guanwu-soft-token-v1"
_SCRYPT_N, _SCRYPT_R, _SCRYPT_P = 2**15, 8, 1


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _derive(passphrase: bytes, salt: bytes, n: int, r: int, p: int) -> bytes:
    return Scrypt(salt=salt, length=32, n=n, r=r, p=p).derive(passphrase)


def _header_aad(header: dict[str, object]) -> bytes:
    return json.dumps(header, sort_keys=True, separators=(",", ":")).encode()


def create_soft_token(
    path: Path,
    passphrase: Secret | bytes,
    common_name: str = "GUANWU SOFT TOKEN",
    organisation: str = "GUANWU",
    days: int = 365,
) -> None:
    """Make a new key pair and self-signed certificate and write them sealed with the passphrase."""
    secret = passphrase.reveal() if isinstance(passphrase, Secret) else passphrase
    if len(secret) < 8:
        raise ValueError("a soft-token passphrase has at least 8 characters")
    private_key, public_key = gmalglib.sm2_generate_keypair()
    certificate = self_signed_certificate(private_key, public_key, common_name, organisation, days)
    salt, nonce = os.urandom(16), os.urandom(12)
    header: dict[str, object] = {
        "format": FORMAT,
        "kdf": {"name": "scrypt", "n": _SCRYPT_N, "r": _SCRYPT_R, "p": _SCRYPT_P, "salt": _b64(salt)},
        "cipher": "AES-256-GCM",
        "nonce": _b64(nonce),
        "public_key": public_key.hex(),
        "certificate": _b64(certificate),
    }
    key = _derive(secret, salt, _SCRYPT_N, _SCRYPT_R, _SCRYPT_P)
    sealed = AESGCM(key).encrypt(nonce, bytes(private_key), _header_aad(header))
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps({**header, "sealed_key": _b64(sealed)}, indent=2))
    tmp.chmod(0o600)
    tmp.replace(path)


class SoftSigner:
    """Opens the token once (the passphrase is not kept) and signs in memory."""

    device = "soft"

    def __init__(self, path: Path, passphrase: Secret | bytes) -> None:
        self._path = path
        secret = passphrase.reveal() if isinstance(passphrase, Secret) else passphrase
        try:
            raw = json.loads(path.read_text())
            header = {k: v for k, v in raw.items() if k != "sealed_key"}
            if header.get("format") != FORMAT:
                raise ValueError(f"not a {FORMAT} file")
            kdf = header["kdf"]
            key = _derive(secret, base64.b64decode(kdf["salt"]), kdf["n"], kdf["r"], kdf["p"])
            private_key = AESGCM(key).decrypt(
                base64.b64decode(header["nonce"]), base64.b64decode(raw["sealed_key"]), _header_aad(header)
            )
        except InvalidTag:
            raise SignFailure(
                FailureReason.TOKEN_LOCKED,
                f"wrong passphrase for the soft token {path} (or the file was altered)",
            ) from None
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise SignFailure(
                FailureReason.TOKEN_LOCKED, f"cannot read the soft token {path}: {exc}"
            ) from None
        self._certificate = certificate_info(base64.b64decode(header["certificate"]))
        if self._certificate.public_key != bytes.fromhex(header["public_key"]):
            raise SignFailure(
                FailureReason.TOKEN_LOCKED, "the soft token's certificate does not match its key"
            )
        self._private_key = private_key
        self._signers: dict[bytes, SM2] = {}
        self._lock = threading.Lock()

    def sign(self, message: bytes, user_id: bytes = DEFAULT_USER_ID) -> Signature:
        digest = signing_digest(self._certificate.public_key, user_id, message)
        with self._lock:
            engine = self._signers.get(user_id)
            if engine is None:
                engine = self._signers[user_id] = SM2(sk=self._private_key, uid=user_id)
            rs = bytes(engine.sign_digest(digest))
        return Signature(
            rs=rs,
            certificate=self._certificate,
            user_id=user_id,
            message_sm3=sm3(message),
            device=self.device,
        )

    def status(self) -> list[CardStatus]:
        return [
            CardStatus(
                reader=f"soft-token:{self._path.name}",
                card_present=True,
                certificate=self._certificate,
                pin_verified=True,
            )
        ]
