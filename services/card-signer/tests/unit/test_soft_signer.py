from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from guanwu.card_signer.adapters.soft import SoftSigner, create_soft_token
from guanwu.card_signer.domain import FailureReason, Secret, SignFailure
from guanwu.card_signer.domain.sm2 import sm3, verify


def openssl_verifies(tmp_path: Path, cert_der: bytes, message: bytes, sig_der: bytes, uid: bytes) -> bool:
    (tmp_path / "cert.der").write_bytes(cert_der)
    (tmp_path / "msg").write_bytes(message)
    (tmp_path / "sig").write_bytes(sig_der)
    pub = subprocess.run(
        ["openssl", "x509", "-inform", "DER", "-in", str(tmp_path / "cert.der"), "-pubkey", "-noout"],
        check=True, capture_output=True,
    ).stdout  # fmt: skip
    (tmp_path / "pub.pem").write_bytes(pub)
    result = subprocess.run(
        ["openssl", "pkeyutl", "-verify", "-pubin", "-inkey", str(tmp_path / "pub.pem"), "-rawin",
         "-digest", "sm3", "-pkeyopt", f"distid:{uid.decode()}", "-in", str(tmp_path / "msg"),
         "-sigfile", str(tmp_path / "sig")],
        capture_output=True, text=True,
    )  # fmt: skip
    return result.returncode == 0 and "Signature Verified Successfully" in result.stdout


def test_soft_token_signs_and_verifies(soft_token: Path, tmp_path: Path) -> None:
    signer = SoftSigner(soft_token, Secret("correct horse battery"))
    message = b"<DecHead><EntryId>610120251000000001</EntryId></DecHead>"
    signature = signer.sign(message)
    assert signature.device == "soft"
    assert signature.message_sm3 == sm3(message)
    assert verify(signature.certificate.public_key, message, signature.rs, b"1234567812345678")
    assert "测试 操作员" in signature.certificate.subject
    if shutil.which("openssl"):
        assert openssl_verifies(
            tmp_path, signature.certificate.der, message, signature.der, b"1234567812345678"
        )
        assert not openssl_verifies(
            tmp_path, signature.certificate.der, message + b" ", signature.der, b"1234567812345678"
        )


def test_soft_token_with_a_custom_user_id(soft_token: Path, tmp_path: Path) -> None:
    signature = SoftSigner(soft_token, b"correct horse battery").sign(b"m", b"OPERATOR-0042")
    assert verify(signature.certificate.public_key, b"m", signature.rs, b"OPERATOR-0042")
    if shutil.which("openssl"):
        assert openssl_verifies(tmp_path, signature.certificate.der, b"m", signature.der, b"OPERATOR-0042")


def test_wrong_passphrase_fails_clearly(soft_token: Path) -> None:
    with pytest.raises(SignFailure) as excinfo:
        SoftSigner(soft_token, b"wrong horse battery")
    assert excinfo.value.reason is FailureReason.TOKEN_LOCKED
    assert "wrong passphrase" in str(excinfo.value)
    assert "horse" not in str(excinfo.value)


def test_altered_token_does_not_open(soft_token: Path, tmp_path: Path) -> None:
    raw = json.loads(soft_token.read_text())
    raw["kdf"]["n"] = 2**14
    altered = tmp_path / "altered.json"
    altered.write_text(json.dumps(raw))
    with pytest.raises(SignFailure) as excinfo:
        SoftSigner(altered, b"correct horse battery")
    assert excinfo.value.reason is FailureReason.TOKEN_LOCKED


def test_missing_token_fails_clearly(tmp_path: Path) -> None:
    with pytest.raises(SignFailure) as excinfo:
        SoftSigner(tmp_path / "nope.json", b"correct horse battery")
    assert excinfo.value.reason is FailureReason.TOKEN_LOCKED


def test_key_is_not_stored_in_clear(tmp_path: Path) -> None:
    path = tmp_path / "t.json"
    create_soft_token(path, b"another passphrase")
    raw = json.loads(path.read_text())
    assert set(raw) >= {"sealed_key", "kdf", "certificate", "public_key"}
    assert path.stat().st_mode & 0o077 == 0
    with pytest.raises(ValueError):
        create_soft_token(tmp_path / "weak.json", b"short")
