"""The declaration service's metrics: a committed change of status counts once, by the status moved to (a
refused or lost write does not), and the background count shows the declarations by status."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from declaration_harness import as_json, auth
from metric_samples import CountedStore, after_a_whole_count, sample, serving_on
from service_http import TEST_AUTH, built_with

from guanwu.contracts.events import ReceiptReceived
from guanwu.customs import fixtures
from guanwu.declaration import bootstrap
from guanwu.declaration.config import DeclarationSettings
from guanwu.declaration.domain.model import Status, draft, transition
from guanwu.declaration.service_layer.handlers import reactions
from guanwu.declaration.service_layer.unit_of_work import DeclarationUnitOfWork
from guanwu.platform.events import envelope_for
from guanwu.platform.store.memory import MemoryCollection, MemoryDocumentStore
from guanwu.platform.store.port import VERSION_FIELD, Document

URL = "/api/declaration/declarations"
NOW = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)


def ignore(*_: Any) -> None:
    """No relay: what was written stays in the outbox."""


CHANGES = "guanwu_declaration_status_changes_total"
SETTINGS = DeclarationSettings(auth=TEST_AUTH, metrics_refresh_seconds=0.01)


def changes() -> dict[str, float]:
    return {status.value: sample(CHANGES, status=status.value) for status in Status}


def moved(before: dict[str, float]) -> dict[str, float]:
    return {status: n - before[status] for status, n in changes().items() if n != before[status]}


async def test_each_committed_status_change_counts_once_by_the_status_moved_to() -> None:
    store = CountedStore()
    async with serving_on(store, built_with(bootstrap.build, SETTINGS), "declaration") as (client, _):
        before = changes()
        document = as_json(fixtures.export_sea_general_trade())
        created = await client.post(URL, json=document, headers=auth())
        assert created.status_code == 201, created.text
        assert moved(before) == {"草稿": 1}
        url = f"{URL}/{created.json()['declaration_id']}"
        updated = await client.put(url, json=document, headers={**auth(), "If-Match": '"1"'})
        assert updated.status_code == 200, updated.text  # 暂存 again: still 草稿, no transition
        stale = await client.post(f"{url}/submit", headers={**auth(), "If-Match": '"1"'})
        assert stale.status_code == 412
        assert moved(before) == {"草稿": 1}
        submitted = await client.post(f"{url}/submit", headers={**auth(), "If-Match": '"2"'})
        assert submitted.status_code == 200, submitted.text
        assert moved(before) == {"草稿": 1, "待审核": 1}


async def test_the_gauge_counts_every_status_of_every_tenant() -> None:
    store = CountedStore()
    async with serving_on(store, built_with(bootstrap.build, SETTINGS), "declaration") as (client, _):
        document = as_json(fixtures.export_sea_general_trade())
        for tenant in ("acme", "other"):
            assert (await client.post(URL, json=document, headers=auth(tenant))).status_code == 201
        created = await client.post(URL, json=document, headers=auth())
        url = f"{URL}/{created.json()['declaration_id']}"
        assert (await client.post(f"{url}/submit", headers={**auth(), "If-Match": '"1"'})).status_code == 200
        await after_a_whole_count(store, queries_per_run=len(Status))
        counted = {s.value: sample("guanwu_declaration_declarations", status=s.value) for s in Status}
    assert counted == {s.value: {"草稿": 2, "待审核": 1}.get(s.value, 0) for s in Status}


class Heard:
    def __init__(self) -> None:
        self.statuses: list[Status] = []

    def moved_to(self, status: Status) -> None:
        self.statuses.append(status)


class LosingOnce(MemoryCollection):
    """The declarations, where another writer gets in once, just before the next replace."""

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.race = False

    async def replace_keeping_outbox(self, doc: Document, *, expected_version: int) -> Document:
        if self.race:
            self.race = False
            current = await self.get(doc["_id"])
            assert current is not None
            await self.replace(current, expected_version=current[VERSION_FIELD])
        return await super().replace_keeping_outbox(doc, expected_version=expected_version)


class Store(MemoryDocumentStore):
    def __init__(self) -> None:
        super().__init__()
        self.declarations = LosingOnce("declaration_declarations")

    def collection(self, name: str) -> MemoryCollection:
        return self.declarations if name == self.declarations.name else super().collection(name)


async def test_a_reaction_counts_the_write_that_won_and_a_redelivery_nothing() -> None:
    store, heard = Store(), Heard()
    created = draft(fixtures.export_air(), [], declaration_id="d1", tenant="acme", user_id="u1", now=NOW)
    uow = DeclarationUnitOfWork(store, ignore, status_changes=heard)
    uow.declarations.add(transition(created, Status.DECLARED, action="x", user_id="u1", now=NOW))
    await uow.commit()
    assert heard.statuses == [Status.DECLARED]
    event = ReceiptReceived(receipt_id="R1", channel="P", declaration_id="d1", notice_date=NOW)
    envelope = envelope_for(event, source="/guanwu/sync", tenant="acme")[1]
    store.declarations.race = True  # the first write loses: the step is applied again to the newer version
    for _ in range(2):  # the second time: a redelivery, which changes nothing
        uow = DeclarationUnitOfWork(store, ignore, status_changes=heard)
        await reactions.apply_customs_receipt(envelope, event, uow=uow, clock=lambda: NOW, attempts=5)
    assert heard.statuses == [Status.DECLARED, Status.RELEASED]
    stored = await store.declarations.get("d1")
    assert stored is not None and stored[VERSION_FIELD] == 3  # stored at 1, the other writer's 2, ours 3
