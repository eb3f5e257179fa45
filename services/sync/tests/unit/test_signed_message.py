"""Building the signed DecMessage from the two halves (no I/O)."""

from __future__ import annotations

import base64
from datetime import datetime

import pytest

from guanwu.sync.domain.records import RequestHalf, SignatureHalf, client_seq_no_for
from guanwu.sync.domain.signed_message import NotSendable, dec_sign, signed_message

from .conftest import CONTENT_SM3, MESSAGE, SIGNATURE_B64

REQUEST = RequestHalf(
    declaration_version=5,
    client_seq_no="GW0000000000000001",
    content_sm3=CONTENT_SM3,
    message_b64=base64.b64encode(MESSAGE).decode(),
    requested_by="zhang",
    event_id="e-1",
    correlation_id="e-1",
)
SIGNATURE = SignatureHalf(
    declaration_id="d1",
    signature_b64=SIGNATURE_B64,
    content_sm3=CONTENT_SM3,
    certificate_serial="5f3a9c",
    signer_subject="O=GUANWU,CN=GUANWU SOFT TOKEN",
    device="soft",
    signed_at=datetime.fromisoformat("2026-11-27T15:59:59+00:00"),
    event_id="e-2",
)


def test_the_client_seq_no_is_18_characters_and_stable_per_declaration() -> None:
    first = client_seq_no_for("acme", "d1")
    assert len(first) == 18 and first == client_seq_no_for("acme", "d1")
    assert first != client_seq_no_for("acme", "d2") and first != client_seq_no_for("other", "d1")


def test_a_serial_longer_than_the_certificate_field_is_left_out() -> None:
    sign = dec_sign(REQUEST, SIGNATURE.model_copy(update={"certificate_serial": "7c" * 20}))
    assert sign.certificate is None and sign.oper_name == "GUANWU SOFT TOKEN"
    assert sign.sign_date == "20261127235959"


def test_a_message_that_is_not_the_canonical_form_is_not_sent() -> None:
    pretty = MESSAGE.replace(b"><DecLists>", b">\n<DecLists>")
    assert pretty != MESSAGE
    with pytest.raises(NotSendable) as refused:
        signed_message(
            REQUEST.model_copy(update={"message_b64": base64.b64encode(pretty).decode()}), SIGNATURE
        )
    assert refused.value.code == "not_canonical"


@pytest.mark.parametrize("message_b64", ["***", base64.b64encode(b"<DecMessage><DecHead>").decode()])
def test_an_unreadable_message_is_not_sent(message_b64: str) -> None:
    with pytest.raises(NotSendable) as refused:
        signed_message(REQUEST.model_copy(update={"message_b64": message_b64}), SIGNATURE)
    assert refused.value.code == "bad_message" and " / " in refused.value.message
