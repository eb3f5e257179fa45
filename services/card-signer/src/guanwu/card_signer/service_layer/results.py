"""The answers to sign requests, kept as documents that carry their event in the outbox.

Choices: one document per request envelope, written once (insert with a deterministic `_id`) together with
its DeclarationSigned/SignFailed event; the relay publishes the event. A redelivered request finds its
answer already there and is not signed twice.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from guanwu.contracts.envelope import Envelope
from guanwu.platform.idempotency import deterministic_id, insert_once
from guanwu.platform.outbox import add_events
from guanwu.platform.store.port import Collection

COLLECTION = "card_signer_results"


def result_id(request: Envelope) -> str:
    return deterministic_id("sign-result", request.source, request.id)


class SignResults:
    def __init__(self, collection: Collection, outbox_written: Callable[[], None]) -> None:
        self.collection = collection
        self._outbox_written = outbox_written

    async def answered(self, request: Envelope) -> bool:
        return await self.collection.get(result_id(request)) is not None

    def recorder(self, request: Envelope) -> Callable[[str, Envelope], Awaitable[None]]:
        async def record(topic: str, answer: Envelope) -> None:
            doc = {
                "_id": result_id(request),
                "tenant": request.tenant,
                "request_envelope_id": request.id,
                "answer_type": answer.type,
                "subject": answer.subject,
                "answered_at": datetime.now(UTC).isoformat(),
            }
            if await insert_once(self.collection, add_events(doc, [(topic, answer)])):
                self._outbox_written()

        return record
