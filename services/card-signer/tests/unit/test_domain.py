from __future__ import annotations

import pickle

import gmalglib
import pytest

from guanwu.card_signer.domain import FailureReason, Pin, PinDecision, PinPolicy, SignFailure
from guanwu.card_signer.domain.refusals import MESSAGES_ZH, SignRefused
from guanwu.card_signer.domain.sm2 import der_to_rs, rs_to_der, signing_digest, verify
from guanwu.platform.http.errors import refusal_body


def test_pin_never_prints_itself() -> None:
    pin = Pin("481516")
    for text in (repr(pin), str(pin), f"{pin}", f"{pin!r}", str([pin]), str({"pin": pin})):
        assert "481516" not in text
    assert pin.reveal() == b"481516"


def test_pin_refuses_pickling_and_bad_lengths() -> None:
    with pytest.raises(TypeError):
        pickle.dumps(Pin("481516"))
    for bad in ("123", "1" * 17, "   "):
        with pytest.raises(ValueError) as excinfo:
            Pin(bad)
        assert bad.strip() == "" or bad not in str(excinfo.value)


@pytest.mark.parametrize(
    ("retries", "rejected", "decision"),
    [
        (3, False, PinDecision.TRY),
        (2, False, PinDecision.TRY),
        (1, False, PinDecision.REFUSE_LAST_TRY),
        (0, False, PinDecision.BLOCKED),
        (2, True, PinDecision.ALREADY_REJECTED),
        (0, True, PinDecision.BLOCKED),
    ],
)
def test_pin_policy_never_spends_the_last_try(retries: int, rejected: bool, decision: PinDecision) -> None:
    assert PinPolicy().decide(retries, rejected) is decision


def test_signature_encodings_round_trip() -> None:
    sk, _pk = gmalglib.sm2_generate_keypair()
    for _ in range(20):
        rs = bytes(gmalglib.sm2_sign(sk, b"m"))
        assert der_to_rs(rs_to_der(rs)) == rs
    short = b"\x00" * 31 + b"\x01" + b"\x80" + b"\x00" * 31
    der = rs_to_der(short)
    assert der == bytes.fromhex("3026020101022100") + b"\x80" + b"\x00" * 31
    assert der_to_rs(der) == short


def test_digest_is_sm3_of_z_and_message_per_gmt_0009() -> None:
    sk, pk = gmalglib.sm2_generate_keypair()
    uid = b"ALICE123@YAHOO.COM"
    rs = bytes(gmalglib.sm2_sign_digest(sk, signing_digest(pk, uid, b"declaration"), uid))
    assert verify(pk, b"declaration", rs, uid)
    assert not verify(pk, b"declaration", rs, b"1234567812345678")
    assert not verify(pk, b"Declaration", rs, uid)


R = FailureReason
STATUS_OF = {  # as the API answered before refusals moved to the platform
    **{reason: 503 for reason in (R.NO_READER, R.NO_CARD, R.CARD_REMOVED, R.PIN_MISSING, R.TOKEN_LOCKED)},
    **{reason: 409 for reason in (R.PIN_WRONG, R.PIN_LAST_TRY_REFUSED, R.PIN_BLOCKED)},
    R.BAD_REQUEST: 400,
    R.TENANT_NOT_SERVED: 403,
    R.BUSY: 429,
    R.CARD_ERROR: 503,
    R.TIMEOUT: 504,
}


@pytest.mark.parametrize("reason", list(FailureReason))
def test_a_failure_over_http_is_refused_with_the_status_and_body_of_its_reason(reason: FailureReason) -> None:
    refusal = SignRefused(SignFailure(reason, "what happened", 2))
    assert refusal.status == STATUS_OF[reason]
    assert refusal_body(refusal) == {
        "error": {
            "code": f"card_signer.{reason.value}",
            "message_zh": MESSAGES_ZH[reason],
            "message_en": "what happened",
            "retries_left": 2,
        }
    }
    assert refusal_body(SignRefused(SignFailure(reason)))["error"]["message_en"] == reason.value
