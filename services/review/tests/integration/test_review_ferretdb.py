"""The review service on FerretDB (the distributed store): the list's filters, 最近操作时间 range, sorts and
pages against a recount; marks with If-Match and FieldMarked; a resubmission's stale marks."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import pymongo
import pytest
from review_harness import Service, auth, running_service, submission
from review_listing import every_filter_agrees_with_a_recount, seed, sorted_pages_cover_the_list_once_in_order

from guanwu.platform.store.mongo import MongoDocumentStore

pytestmark = pytest.mark.integration


@pytest.fixture
async def service(mongo_url: str) -> AsyncIterator[Service]:
    name = f"guanwu_review_{uuid.uuid4().hex[:8]}"
    store = MongoDocumentStore(mongo_url, name)
    try:
        async with running_service(store) as running:
            yield running
    finally:
        await store.close()
        with pymongo.MongoClient(mongo_url) as client:
            client.drop_database(name)


async def test_every_filter_agrees_with_a_recount_on_ferretdb(service: Service) -> None:
    await every_filter_agrees_with_a_recount(service)


async def test_sorted_pages_on_ferretdb(service: Service) -> None:
    await sorted_pages_cover_the_list_once_in_order(service, await seed(service, 30))


async def test_concurrent_marks_on_ferretdb_one_wins(service: Service) -> None:
    await service.submit(submission("d1", version=2))
    review_id = str((await service.stored())[0]["_id"])
    url = f"/api/review/tasks/{review_id}/mark"
    responses = await asyncio.gather(
        service.client.post(
            url, json={"field_path": "head.bill_no", "state": "ok"}, headers=auth("r1", version=1)
        ),
        service.client.post(
            url, json={"field_path": "head.bill_no", "state": "wrong"}, headers=auth("r2", version=1)
        ),
    )
    assert sorted(r.status_code for r in responses) == [200, 412]
    assert len(await service.marked()) == 1
