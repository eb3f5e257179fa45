"""生成接单 on FerretDB (the distributed store): the same request sent at once by several callers makes one order
with one JobOrderCreated in its outbox (the store's unique `_id` decides), declarations of another tenant are
not found by id, the tenants' orders with the same id stay apart, and the list is newest first."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pymongo
import pytest

from guanwu.contracts.events import JobOrderCreated
from guanwu.customs import fixtures
from guanwu.declaration.domain.job_orders import DeclarationsNotFound, JobOrderInput, storage_id
from guanwu.declaration.domain.model import draft
from guanwu.declaration.service_layer.handlers import job_orders
from guanwu.declaration.service_layer.unit_of_work import DeclarationUnitOfWork
from guanwu.platform.store.mongo import MongoDocumentStore
from guanwu.platform.store.port import Document

T0 = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


def ignore(collection: str | None = None, doc_id: str | None = None, written: Document | None = None) -> None:
    """No relay: the outbox stays where it was written."""


@dataclass(frozen=True)
class Caller:
    tenant: str
    user_id: str = "u1"


@pytest.fixture
async def store(mongo_url: str) -> AsyncIterator[MongoDocumentStore]:
    name = f"guanwu_declaration_{uuid.uuid4().hex[:8]}"
    store = MongoDocumentStore(mongo_url, name)
    uow = DeclarationUnitOfWork(store, ignore)
    for repository in (uow.declarations, uow.job_orders):
        await repository.ensure_indexes()
    yield store
    await store.close()
    client: pymongo.MongoClient[Document]
    with pymongo.MongoClient(mongo_url) as client:
        client.drop_database(name)


def uow_on(store: MongoDocumentStore) -> DeclarationUnitOfWork:
    return DeclarationUnitOfWork(store, ignore)


async def declarations(store: MongoDocumentStore, tenant: str, *ids: str) -> None:
    uow = uow_on(store)
    for declaration_id in ids:
        made = draft(
            fixtures.export_air(), [], declaration_id=declaration_id, tenant=tenant, user_id="u1", now=T0
        )
        uow.declarations.add(made)
    await uow.commit()


async def test_the_same_request_at_once_makes_one_order_announced_once(store: MongoDocumentStore) -> None:
    await declarations(store, "acme", "d1", "d2")
    asked = JobOrderInput(client_name="客户甲", declaration_ids=["d2", "d1"])

    async def make() -> bool:
        _, made = await job_orders.make_job_order(
            asked, caller=Caller("acme"), uow=uow_on(store), clock=lambda: T0, idempotency_key="k-1"
        )
        return made

    made = await asyncio.gather(*(make() for _ in range(6)))
    assert sorted(made) == [False] * 5 + [True]
    [doc] = await store.collection("declaration_job_orders").find({})
    [entry] = doc["_outbox"]
    event = JobOrderCreated.model_validate(entry["envelope"]["data"])
    assert [d.declaration_id for d in event.declarations] == ["d2", "d1"]
    assert entry["envelope"]["tenant"] == "acme" and event.job_order_id == doc["job_order_id"]


async def test_tenants_are_kept_apart(store: MongoDocumentStore) -> None:
    await declarations(store, "acme", "d1")
    await declarations(store, "other", "o1")
    with pytest.raises(DeclarationsNotFound) as refused:
        await job_orders.make_job_order(
            JobOrderInput(client_name="客户", declaration_ids=["o1", "d1"]),
            caller=Caller("acme"),
            uow=uow_on(store),
            clock=lambda: T0,
        )
    assert refused.value.missing == ["o1"]

    for tenant, linked in (("acme", "d1"), ("other", "o1")):
        asked = JobOrderInput(job_order_id="JO-1", client_name="客户", declaration_ids=[linked])
        order, made = await job_orders.make_job_order(
            asked, caller=Caller(tenant), uow=uow_on(store), clock=lambda: T0
        )
        assert made and order.tenant == tenant
    orders = store.collection("declaration_job_orders")
    assert {doc["_id"] for doc in await orders.find({})} == {
        storage_id("acme", "JO-1"),
        storage_id("other", "JO-1"),
    }
    mine = await job_orders.job_order("JO-1", caller=Caller("acme"), uow=uow_on(store))
    assert [d.declaration_id for d in mine.declarations] == ["d1"]


async def test_the_list_is_newest_first(store: MongoDocumentStore) -> None:
    await declarations(store, "acme", "d1")
    for n in range(4):
        await job_orders.make_job_order(
            JobOrderInput(job_order_id=f"JO-{n}", client_name="客户", declaration_ids=["d1"]),
            caller=Caller("acme"),
            uow=uow_on(store),
            clock=lambda n=n: T0 + timedelta(minutes=n),  # type: ignore[misc]
        )
    total, page = await job_orders.list_job_orders(caller=Caller("acme"), uow=uow_on(store), skip=1, limit=2)
    assert total == 4 and [o.job_order_id for o in page] == ["JO-2", "JO-1"]
    assert (await job_orders.list_job_orders(caller=Caller("other"), uow=uow_on(store), skip=0, limit=9)) == (
        0,
        [],
    )
