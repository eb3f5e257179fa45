"""A reaction whose write loses to a concurrent change of the declaration applies its step again to the newer
version, as many times as `DeclarationSettings.reaction_attempts` allows, then fails (the bus retries it)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from service_http import TEST_AUTH

from guanwu.contracts.envelope import Envelope
from guanwu.contracts.events import ReceiptReceived
from guanwu.customs import fixtures
from guanwu.declaration import bootstrap
from guanwu.declaration.config import DeclarationSettings
from guanwu.declaration.domain.lifecycle import apply_receipt
from guanwu.declaration.domain.model import Status, draft, transition
from guanwu.declaration.service_layer.handlers import reactions
from guanwu.declaration.service_layer.unit_of_work import DeclarationUnitOfWork
from guanwu.platform.events import envelope_for
from guanwu.platform.store.memory import MemoryCollection, MemoryDocumentStore
from guanwu.platform.store.port import OUTBOX_FIELD, VERSION_FIELD, ConcurrencyConflict, Document

NOW = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)


class RacingCollection(MemoryCollection):
    """The declarations, where another writer gets in just before each of the next `races` replaces."""

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.replaces = 0
        self.races = 0
        self.interloper: Callable[[str], Awaitable[None]] = self.touch

    async def touch(self, doc_id: str) -> None:
        current = await self.get(doc_id)
        assert current is not None
        await self.replace(current, expected_version=current[VERSION_FIELD])

    async def replace_keeping_outbox(self, doc: Document, *, expected_version: int) -> Document:
        self.replaces += 1
        if self.races:
            self.races -= 1
            await self.interloper(doc["_id"])
        return await super().replace_keeping_outbox(doc, expected_version=expected_version)


class RacingStore(MemoryDocumentStore):
    def __init__(self) -> None:
        super().__init__()
        self.declarations = RacingCollection("declaration_declarations")

    def collection(self, name: str) -> MemoryCollection:
        return self.declarations if name == self.declarations.name else super().collection(name)


def ignore(*_: Any) -> None:
    """No relay in these tests: what was written stays in the outbox, where the tests read it."""


async def declared(store: RacingStore) -> None:
    created = draft(fixtures.export_air(), [], declaration_id="d1", tenant="acme", user_id="u1", now=NOW)
    uow = DeclarationUnitOfWork(store, ignore)
    uow.declarations.add(transition(created, Status.DECLARED, action="x", user_id="u1", now=NOW))
    await uow.commit()


def receipt(receipt_id: str, channel: str, seconds: int) -> tuple[Envelope, ReceiptReceived]:
    event = ReceiptReceived(
        receipt_id=receipt_id,
        channel=channel,
        declaration_id="d1",
        notice_date=NOW + timedelta(seconds=seconds),
    )
    return envelope_for(event, source="/guanwu/sync", tenant="acme")[1], event


async def test_a_receipt_is_applied_again_to_the_version_a_concurrent_change_wrote() -> None:
    store = RacingStore()
    await declared(store)
    _, accepted = receipt("R1", "L", 0)

    async def apply_the_other_receipt(doc_id: str) -> None:
        other = DeclarationUnitOfWork(store, ignore)
        current = await other.declarations.load("acme", doc_id)
        changed = apply_receipt(current, accepted, now=NOW)
        assert changed is not None
        other.declarations.save(changed)
        await other.commit()

    store.declarations.interloper, store.declarations.races = apply_the_other_receipt, 1
    envelope, released = receipt("R2", "P", 1)
    uow = DeclarationUnitOfWork(store, ignore)

    outcome = await reactions.apply_customs_receipt(
        envelope, released, uow=uow, clock=lambda: NOW, attempts=5
    )

    assert outcome is reactions.Outcome.CHANGED
    stored = await uow.declarations.load("acme", "d1")
    assert (stored.version, stored.status) == (3, Status.RELEASED)  # stored at 1, R1 at 2, R2 at 3
    assert [r.receipt_id for r in stored.receipts] == ["R1", "R2"]
    assert store.declarations.replaces == 3  # the other writer's, the one that lost, the one applied again
    # The status change is announced from the version it was finally applied to.
    doc = await store.declarations.get("d1")
    assert doc is not None
    assert [e["envelope"]["data"]["previous_status"] for e in doc[OUTBOX_FIELD]] == ["入库成功"]


@pytest.mark.parametrize("attempts", [1, 3])
async def test_a_reaction_gives_up_after_the_attempts_the_settings_allow(attempts: int) -> None:
    store = RacingStore()
    await declared(store)
    settings = DeclarationSettings(auth=TEST_AUTH, reaction_attempts=attempts)
    parts = bootstrap.build(settings, store, ignore)
    [handle] = [
        s.handlers[ReceiptReceived.event_type]
        for s in parts.subscriptions
        if ReceiptReceived.event_type in s.handlers
    ]
    store.declarations.races = 1_000  # another writer always wins

    with pytest.raises(ConcurrencyConflict):
        await handle(*receipt("R1", "L", 0))

    assert store.declarations.replaces == attempts
    stored = await store.declarations.get("d1")
    assert stored is not None and stored["receipts"] == []


def test_five_attempts_by_default_and_the_environment_can_change_them(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert DeclarationSettings(auth=TEST_AUTH).reaction_attempts == 5
    monkeypatch.setenv("GUANWU_DECLARATION_REACTION_ATTEMPTS", "8")
    assert DeclarationSettings(auth=TEST_AUTH).reaction_attempts == 8
