"""SignRequested answered with DeclarationSigned or SignFailed, and the handler that records each answer once."""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from typing import Any

import pytest

from guanwu.card_signer.domain import FailureReason, SignFailure
from guanwu.card_signer.domain.results import answer_event_id, sign_result_id
from guanwu.card_signer.domain.sm2 import der_to_rs, verify
from guanwu.card_signer.service_layer.card_queue import CardQueue
from guanwu.card_signer.service_layer.handlers import answer_sign_request, answer_to
from guanwu.card_signer.service_layer.owners import CardOwners
from guanwu.card_signer.service_layer.unit_of_work import CardSignerUnitOfWork
from guanwu.contracts.envelope import Envelope
from guanwu.contracts.events.signer import DeclarationSigned, SignFailed, SignRequested
from guanwu.platform.clock import utc_now
from guanwu.platform.store.memory import MemoryDocumentStore
from guanwu.platform.store.port import OUTBOX_FIELD

from .conftest import FakeSigner

TENANT = "91610000MA6TGXXX1X"
OWNERS = CardOwners([TENANT])
NOW = datetime(2026, 4, 1, 10, 0, tzinfo=UTC)


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
    """The answers given, in order, as (topic, envelope)."""

    def __init__(self) -> None:
        self.items: list[tuple[str, Envelope]] = []

    async def answer(self, request: Envelope, queue: CardQueue, owners: CardOwners = OWNERS) -> None:
        self.items.append(await answer_to(request, queue=queue, owners=owners, clock=utc_now))


@pytest.fixture
async def queue(fake_signer: FakeSigner) -> CardQueue:
    q = CardQueue(fake_signer)
    await q.start()
    yield q  # type: ignore[misc]
    await q.stop()


async def test_signed(queue: CardQueue) -> None:
    published = Published()
    cause = request_envelope()
    await published.answer(cause, queue)
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
    await published.answer(cause, queue)
    await published.answer(cause, queue)
    assert published.items[0][1].id == published.items[1][1].id


async def test_failure_becomes_sign_failed(queue: CardQueue, fake_signer: FakeSigner) -> None:
    fake_signer.fail_with = SignFailure(FailureReason.PIN_WRONG, "the card rejected the PIN", 2)
    published = Published()
    await published.answer(request_envelope(), queue)
    [(topic, out)] = published.items
    event = SignFailed.model_validate(out.data)
    assert topic == SignFailed.topic
    assert (event.reason, event.retries_left, event.request_id) == ("pin_wrong", 2, "req-1")


async def test_bad_content_is_answered_as_bad_request(queue: CardQueue) -> None:
    published = Published()
    await published.answer(request_envelope(content_b64="***not base64***"), queue)
    assert SignFailed.model_validate(published.items[0][1].data).reason == "bad_request"


async def test_unanswerable_request_raises_for_the_dead_letter_queue(queue: CardQueue) -> None:
    published = Published()
    with pytest.raises(ValueError):
        await published.answer(request_envelope(request_id=""), queue)
    assert published.items == []


async def test_another_tenants_request_is_refused_before_the_card(
    queue: CardQueue, fake_signer: FakeSigner
) -> None:
    published = Published()
    await published.answer(request_envelope(), queue, CardOwners(["another-enterprise"]))
    [(topic, out)] = published.items
    event = SignFailed.model_validate(out.data)
    assert topic == SignFailed.topic and out.tenant == TENANT
    assert (event.reason, event.request_id, event.declaration_id) == ("tenant_not_served", "req-1", "decl-1")
    assert fake_signer.calls == 0


class Relay:
    """Records which documents the unit of work tells the outbox relay about."""

    def __init__(self) -> None:
        self.told: list[tuple[str | None, str | None]] = []

    def __call__(self, collection: str | None = None, doc_id: str | None = None, written: Any = None) -> None:
        self.told.append((collection, doc_id))


async def test_the_handler_records_one_answer_with_its_event_and_signs_a_redelivery_not_again(
    queue: CardQueue, fake_signer: FakeSigner
) -> None:
    store, relay = MemoryDocumentStore(), Relay()
    request = request_envelope()
    for _ in range(2):  # the second delivery finds the answer
        await answer_sign_request(
            request,
            SignRequested.model_validate(request.data),
            uow=CardSignerUnitOfWork(store, relay),
            queue=queue,
            owners=OWNERS,
            clock=lambda: NOW,
        )
    assert fake_signer.calls == 1
    [doc] = await store.collection("card_signer_results").find({})
    assert (doc["_id"], doc["tenant"], doc["answer_type"]) == (
        sign_result_id(request),
        TENANT,
        DeclarationSigned.event_type,
    )
    [entry] = doc[OUTBOX_FIELD]
    answer = Envelope.model_validate(entry["envelope"])
    assert answer.id == answer_event_id(request) and answer.causationid == request.id
    assert DeclarationSigned.model_validate(answer.data).signed_at == NOW
    assert relay.told == [("card_signer_results", doc["_id"])]
