from __future__ import annotations

import base64

import pytest

from guanwu.card_signer.domain import FailureReason, SignFailure
from guanwu.card_signer.domain.sm2 import der_to_rs, verify
from guanwu.card_signer.entrypoints.consumer import handle_sign_requested
from guanwu.card_signer.service_layer.card_queue import CardQueue
from guanwu.card_signer.service_layer.owners import CardOwners
from guanwu.contracts.envelope import Envelope
from guanwu.contracts.events.signer import DeclarationSigned, SignFailed, SignRequested

from .conftest import FakeSigner

TENANT = "91610000MA6TGXXX1X"
OWNERS = CardOwners([TENANT])


def request_envelope(content: bytes = b"<Declaration/>", **overrides: object) -> Envelope:
    data = SignRequested(
        request_id="req-1", declaration_id="decl-1", content_b64=base64.b64encode(content).decode()
    ).model_dump(mode="json")
    data.update(overrides)
    return Envelope(
        source="/guanwu/declaration",
        type=SignRequested.event_type,
        subject="decl-1",
        tenant=TENANT,
        correlationid="flow-1",
        data=data,
    )


class Published:
    def __init__(self) -> None:
        self.items: list[tuple[str, Envelope]] = []

    async def __call__(self, topic: str, envelope: Envelope) -> None:
        self.items.append((topic, envelope))


@pytest.fixture
async def queue(fake_signer: FakeSigner) -> CardQueue:
    q = CardQueue(fake_signer)
    await q.start()
    yield q  # type: ignore[misc]
    await q.stop()


async def test_signed(queue: CardQueue) -> None:
    published = Published()
    cause = request_envelope()
    await handle_sign_requested(cause, queue, published, OWNERS)
    [(topic, out)] = published.items
    assert topic == DeclarationSigned.topic and out.type == DeclarationSigned.event_type
    assert (out.subject, out.tenant, out.correlationid, out.causationid) == (
        "decl-1",
        cause.tenant,
        "flow-1",
        cause.id,
    )
    event = DeclarationSigned.model_validate(out.data)
    cert = base64.b64decode(event.certificate_b64 or "")
    assert cert and event.certificate_serial and event.signer_subject
    rs = der_to_rs(base64.b64decode(event.signature_b64))
    public_key = queue.signer.status()[0].certificate.public_key  # type: ignore[union-attr]
    assert verify(public_key, b"<Declaration/>", rs, event.user_id.encode())


async def test_answer_id_is_stable_across_redelivery(queue: CardQueue) -> None:
    published = Published()
    cause = request_envelope()
    await handle_sign_requested(cause, queue, published, OWNERS)
    await handle_sign_requested(cause, queue, published, OWNERS)
    assert published.items[0][1].id == published.items[1][1].id


async def test_failure_becomes_sign_failed(queue: CardQueue, fake_signer: FakeSigner) -> None:
    fake_signer.fail_with = SignFailure(FailureReason.PIN_WRONG, "the card rejected the PIN", 2)
    published = Published()
    await handle_sign_requested(request_envelope(), queue, published, OWNERS)
    [(topic, out)] = published.items
    event = SignFailed.model_validate(out.data)
    assert topic == SignFailed.topic
    assert (event.reason, event.retries_left, event.request_id) == ("pin_wrong", 2, "req-1")


async def test_bad_content_is_answered_as_bad_request(queue: CardQueue) -> None:
    published = Published()
    await handle_sign_requested(request_envelope(content_b64="***not base64***"), queue, published, OWNERS)
    assert SignFailed.model_validate(published.items[0][1].data).reason == "bad_request"


async def test_unanswerable_request_raises_for_the_dead_letter_queue(queue: CardQueue) -> None:
    published = Published()
    with pytest.raises(ValueError):
        await handle_sign_requested(request_envelope(request_id=""), queue, published, OWNERS)
    assert published.items == []


async def test_another_tenants_request_is_refused_before_the_card(
    queue: CardQueue, fake_signer: FakeSigner
) -> None:
    published = Published()
    await handle_sign_requested(request_envelope(), queue, published, CardOwners(["another-enterprise"]))
    [(topic, out)] = published.items
    event = SignFailed.model_validate(out.data)
    assert topic == SignFailed.topic and out.tenant == TENANT
    assert (event.reason, event.request_id, event.declaration_id) == ("tenant_not_served", "req-1", "decl-1")
    assert fake_signer.calls == 0
