"""/api/sync/jobs: start a job (202 + Location), watch it, list, cancel, read its quarantine; one tenant never
sees another's; only the roles that may sync; a clear 422 for every bad field; SyncRequested from outside."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

import pytest
from prometheus_client import REGISTRY
from service_http import bearer

from guanwu.contracts import topics
from guanwu.contracts.events import (
    DeclarationSynced,
    SyncCompleted,
    SyncFailed,
    SyncRequested,
    SyncStarted,
)
from guanwu.platform.events import envelope_for
from guanwu.sync.domain.jobs import NO_SINGLE_WINDOW

from .jobs_support import BONDED_BY_DAY, BY_DAY, FakeSingleWindow, JobsService, running_jobs, seq_no

JOBS = "/api/sync/jobs"
BY_TICKET = {
    "kind": "declarations",
    "mode": "by_ticket",
    "seq_no": seq_no(3),
    "enterprise_category": "1",
    "entry_kind": "0",
}
BONDED_BY_TICKET = {
    "kind": "bonded_lists",
    "mode": "by_ticket",
    "number": "QD311124I000065401",
    "enterprise_type": "1",
    "data_source": "1",
    "ie_flag": "I",
}


def seeded() -> FakeSingleWindow:
    fake = FakeSingleWindow()
    fake.seed("acme", "declarations", 12)
    fake.seed("acme", "bonded_lists", 3)
    return fake


def metric(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


async def start(sync: JobsService, criteria: dict[str, Any], **who: Any) -> dict[str, Any]:
    response = await sync.client.post(JOBS, json=criteria, headers=bearer(**who))
    assert response.status_code == 202, response.text
    body: dict[str, Any] = response.json()
    assert response.headers["Location"] == f"{JOBS}/{body['job_id']}"
    return body


async def test_a_job_runs_to_completed_and_everything_it_read_is_announced() -> None:
    written = metric("guanwu_sync_records_total", kind="declarations", outcome="written")
    completed = metric("guanwu_sync_data_jobs_total", kind="declarations", outcome="completed")
    async with running_jobs(seeded()) as sync:
        started = await start(sync, BY_DAY)
        assert started["state"] in ("queued", "running") and started["kind"] == "declarations"
        job = await sync.job_when_ended(f"{JOBS}/{started['job_id']}", bearer())
        assert job["state"] == "completed" and job["runs"] == 1 and job["finished_at"]
        assert job["counts"] == {
            "pages": 3,
            "fetched": 12,
            "written": 12,
            "unchanged": 0,
            "quarantined": 0,
            "expected": 12,
        }
        [requested] = await sync.published(SyncRequested.event_type, topics.SYNC_REQUESTS)
        assert requested.data["criteria"]["mode"] == "by_day" and requested.tenant == "acme"
        synced = await sync.published(DeclarationSynced.event_type)
        assert len(synced) == 12 and {e.correlationid for e in synced} == {requested.correlationid}
        [done] = await sync.published(SyncCompleted.event_type)
        assert done.data["counts"]["written"] == 12
    assert metric("guanwu_sync_records_total", kind="declarations", outcome="written") == written + 12
    assert metric("guanwu_sync_data_jobs_total", kind="declarations", outcome="completed") == completed + 1


async def test_by_ticket_and_bonded_lists_run_too() -> None:
    async with running_jobs(seeded()) as sync:
        ticket = await start(sync, BY_TICKET)
        bonded = await start(sync, BONDED_BY_DAY)
        one = await sync.job_when_ended(f"{JOBS}/{ticket['job_id']}", bearer())
        lists = await sync.job_when_ended(f"{JOBS}/{bonded['job_id']}", bearer())
        assert one["counts"]["written"] == 1 and one["counts"]["expected"] == 1
        assert lists["state"] == "completed" and lists["counts"]["written"] == 3
        assert len(await sync.published("guanwu.sync.BondedListSynced.v1")) == 3


async def test_the_list_is_newest_first_filtered_and_paged() -> None:
    async with running_jobs(seeded()) as sync:
        first = await start(sync, BY_DAY)
        second = await start(sync, BONDED_BY_DAY)
        for job in (first, second):
            await sync.job_when_ended(f"{JOBS}/{job['job_id']}", bearer())
        page = (await sync.client.get(JOBS, headers=bearer())).json()
        assert page["total"] == 2 and [j["job_id"] for j in page["items"]] == [
            second["job_id"],
            first["job_id"],
        ]
        only = (await sync.client.get(JOBS, params={"kind": "bonded_lists"}, headers=bearer())).json()
        assert [j["job_id"] for j in only["items"]] == [second["job_id"]]
        none = (await sync.client.get(JOBS, params={"state": "failed"}, headers=bearer())).json()
        assert none == {"total": 0, "items": []}
        paged = (await sync.client.get(JOBS, params={"skip": 1, "limit": 1}, headers=bearer())).json()
        assert paged["total"] == 2 and [j["job_id"] for j in paged["items"]] == [first["job_id"]]


async def test_another_tenants_job_is_not_found() -> None:
    async with running_jobs(seeded()) as sync:
        job = await start(sync, BY_DAY)
        url = f"{JOBS}/{job['job_id']}"
        other = bearer("other")
        for method, path in (("GET", url), ("POST", f"{url}/cancel"), ("GET", f"{url}/quarantine")):
            response = await sync.client.request(method, path, headers=other)
            assert response.status_code == 404, path
            assert response.json()["error"]["code"] == "sync.job.not_found"
        assert (await sync.client.get(JOBS, headers=other)).json()["total"] == 0
        assert (await sync.client.get(url, headers=bearer())).status_code == 200


@pytest.mark.parametrize("roles", [("preparer",), ("manager",), ("integration",), ("admin",)])
async def test_the_roles_that_may_sync(roles: tuple[str, ...]) -> None:
    async with running_jobs(seeded()) as sync:
        await start(sync, BY_TICKET, roles=roles)
        assert (await sync.client.get(JOBS, headers=bearer(roles=roles))).status_code == 200


async def test_a_reviewer_may_not() -> None:
    async with running_jobs(seeded()) as sync:
        reviewer = bearer(roles=("reviewer",))
        assert (await sync.client.post(JOBS, json=BY_DAY, headers=reviewer)).status_code == 403
        assert (await sync.client.get(JOBS, headers=reviewer)).status_code == 403
        assert (await sync.client.post(JOBS, json=BY_DAY)).status_code == 401


async def test_cancel_a_queued_job_at_once_and_a_running_one_after_its_page() -> None:
    fake = seeded()
    fake.gate = asyncio.Event()
    cancelled = metric("guanwu_sync_data_jobs_total", kind="declarations", outcome="cancelled")
    async with running_jobs(fake, max_concurrent_jobs=1) as sync:
        running = await start(sync, BY_DAY)
        queued = await start(sync, BY_DAY)
        url = f"{JOBS}/{running['job_id']}"

        async def is_running() -> bool:
            return bool((await sync.client.get(url, headers=bearer())).json()["state"] == "running")

        while not await is_running():
            await asyncio.sleep(0.01)
        stopped = await sync.client.post(f"{JOBS}/{queued['job_id']}/cancel", headers=bearer(user="boss"))
        assert stopped.status_code == 200 and stopped.json()["state"] == "cancelled"
        asked = (await sync.client.post(f"{url}/cancel", headers=bearer(user="boss"))).json()
        assert asked["state"] == "running" and asked["cancel_requested_by"] == "boss"
        fake.gate.set()
        job = await sync.job_when_ended(url, bearer())
        assert job["state"] == "cancelled" and job["counts"]["pages"] == 1
        again = await sync.client.post(f"{url}/cancel", headers=bearer())
        assert again.status_code == 200 and again.json()["state"] == "cancelled"
    assert metric("guanwu_sync_data_jobs_total", kind="declarations", outcome="cancelled") == cancelled + 2


async def test_an_ended_job_cannot_be_cancelled() -> None:
    async with running_jobs(seeded()) as sync:
        job = await start(sync, BY_TICKET)
        url = f"{JOBS}/{job['job_id']}"
        await sync.job_when_ended(url, bearer())
        refused = await sync.client.post(f"{url}/cancel", headers=bearer())
        assert refused.status_code == 409 and refused.json()["error"]["code"] == "sync.job_finished"


async def test_unreadable_records_are_listed_in_the_jobs_quarantine() -> None:
    fake = seeded()
    fake.records[("acme", "declarations")][4].malformed = True
    async with running_jobs(fake) as sync:
        started = await start(sync, BY_DAY)
        job = await sync.job_when_ended(f"{JOBS}/{started['job_id']}", bearer())
        assert job["state"] == "completed"
        assert (job["counts"]["written"], job["counts"]["quarantined"]) == (11, 1)
        listed = (await sync.client.get(job["quarantine"], headers=bearer())).json()
        [item] = listed["items"]
        assert listed["total"] == 1 and item["seq_no"] == seq_no(5) and "XML" in item["reason"]
        assert "<DecMessage><broken" in item["payload"] and item["truncated"] is False
        assert len(await sync.published(DeclarationSynced.event_type)) == 11


async def test_without_a_single_window_a_job_fails_at_once_saying_so() -> None:
    async with running_jobs(seeded(), single_window_url=None) as sync:
        job = await start(sync, BY_DAY)
        assert job["state"] == "failed" and job["reason"] == NO_SINGLE_WINDOW
        assert job["errors"][0]["code"] == "no_single_window"
        [failed] = await sync.published(SyncFailed.event_type)
        assert failed.data["reason"] == NO_SINGLE_WINDOW


async def test_a_sync_requested_from_outside_becomes_one_job() -> None:
    async with running_jobs(seeded()) as sync:
        event = SyncRequested(
            job_id="erp-0001",
            requested_by="erp",
            requested_at=datetime(2026, 11, 30, tzinfo=UTC),
            criteria=BY_TICKET,
        )
        _, envelope = envelope_for(event, source="/erp", tenant="acme")
        await sync.bus.publish(topics.SYNC_REQUESTS, envelope)
        await sync.bus.publish(topics.SYNC_REQUESTS, envelope)
        job = await sync.job_when_ended(f"{JOBS}/erp-0001", bearer())
        assert job["state"] == "completed" and job["requested_by"] == "erp" and job["counts"]["written"] == 1
        assert (await sync.client.get(JOBS, headers=bearer())).json()["total"] == 1
        [started] = await sync.published(SyncStarted.event_type)
        assert started.correlationid == envelope.correlationid
        assert (await sync.client.get(f"{JOBS}/erp-0001", headers=bearer("other"))).status_code == 404


async def test_a_sync_requested_with_a_bad_number_fails_its_job_with_the_reason() -> None:
    async with running_jobs(seeded()) as sync:
        event = SyncRequested(
            job_id="erp-0002",
            requested_by="erp",
            requested_at=datetime(2026, 11, 30, tzinfo=UTC),
            criteria={**BY_TICKET, "seq_no": "E18000000000000001"},
        )
        _, envelope = envelope_for(event, source="/erp", tenant="acme")
        await sync.bus.publish(topics.SYNC_REQUESTS, envelope)
        job = (await sync.client.get(f"{JOBS}/erp-0002", headers=bearer())).json()
        assert job["state"] == "failed" and job["errors"][0]["code"] == "invalid_request"
        assert "统一编号" in job["reason"] and sync.bus.dead_letters == []


# ------------------------------------------------------------------------------------------------ 422s

BAD_FIELDS = [
    (BY_TICKET, "seq_no", "E2026"),
    (BY_TICKET, "seq_no", "e20260000000000001"),
    (BY_TICKET, "seq_no", None),
    (BY_TICKET, "enterprise_category", "4"),
    (BY_TICKET, "enterprise_category", None),
    (BY_TICKET, "entry_kind", "5"),
    (BY_TICKET, "entry_kind", None),
    (BY_TICKET, "extra", "x"),
    (BY_DAY, "updated_from", "yesterday"),
    (BY_DAY, "updated_from", None),
    (BY_DAY, "updated_to", "2026-10-01T00:00:00+00:00"),  # before updated_from
    (BY_DAY, "updated_to", "2027-06-01T00:00:00+00:00"),  # more than 92 days
    (BY_DAY, "updated_to", "2026-11-30T00:00:00"),  # one with a time zone, one without
    (BY_DAY, "enterprise_category", "0"),
    (BY_DAY, "trade_name", ""),
    (BY_DAY, "trade_name", "名" * 101),
    (BONDED_BY_TICKET, "number", "QD311124I0000654"),
    (BONDED_BY_TICKET, "number", "qd311124I000065401"),
    (BONDED_BY_TICKET, "enterprise_type", "0"),
    (BONDED_BY_TICKET, "data_source", "3"),
    (BONDED_BY_TICKET, "ie_flag", "X"),
    (BONDED_BY_TICKET, "ie_flag", None),
    (BONDED_BY_DAY, "data_status", "4"),
    (BONDED_BY_DAY, "enterprise_type", "9"),
    (BONDED_BY_DAY, "data_source", None),
    (BONDED_BY_DAY, "ie_flag", "IE"),
    (BONDED_BY_DAY, "updated_to", "2026-10-01T00:00:00+00:00"),
]


@pytest.mark.parametrize(("criteria", "field", "value"), BAD_FIELDS)
async def test_a_bad_field_is_a_422_naming_it(criteria: dict[str, Any], field: str, value: Any) -> None:
    body = (
        {**criteria, field: value} if value is not None else {k: v for k, v in criteria.items() if k != field}
    )
    async with running_jobs(seeded()) as sync:
        response = await sync.client.post(JOBS, json=body, headers=bearer())
        assert response.status_code == 422, response.text
        error = response.json()["error"]
        assert error["code"] == "request.invalid" and error["message_zh"].startswith("请求数据有误")
        named = [f["field"] for f in error["fields"]]
        # A model check over two fields (the day range) names the criteria; every other names its field.
        scope = f"{criteria['kind']}.{criteria['mode']}"
        assert any(n in (f"{scope}.{field}", scope) for n in named), named
        assert (await sync.client.get(JOBS, headers=bearer())).json()["total"] == 0


@pytest.mark.parametrize(
    "body",
    [
        {**BY_DAY, "kind": "receipts"},
        {**BY_DAY, "mode": "by_week"},
        {k: v for k, v in BY_DAY.items() if k != "mode"},
        ["not", "an", "object"],
    ],
)
async def test_an_unknown_kind_or_mode_is_a_422(body: Any) -> None:
    async with running_jobs(seeded()) as sync:
        response = await sync.client.post(JOBS, json=body, headers=bearer())
        assert response.status_code == 422
        assert response.json()["error"]["fields"][0]["type"] == "sync_scope"


@pytest.mark.parametrize(
    ("criteria", "field", "value", "says"),
    [
        (BY_TICKET, "seq_no", "E18000000000000001", "统一编号中的年份"),
        (BY_TICKET, "seq_no", "EA0260000000000001", "统一编号第2位"),
        (BONDED_BY_TICKET, "number", "QD3111X4I000065401", "核注清单编号第7位"),
        (BONDED_BY_TICKET, "number", "QD311124X000065401", "核注清单编号第9位"),
        (BONDED_BY_TICKET, "number", "A20260000000000001", "统一编号第1位"),
    ],
)
async def test_a_number_of_the_wrong_form_is_a_422_in_both_languages(
    criteria: dict[str, Any], field: str, value: str, says: str
) -> None:
    async with running_jobs(seeded()) as sync:
        response = await sync.client.post(JOBS, json={**criteria, field: value}, headers=bearer())
        assert response.status_code == 422
        error = response.json()["error"]
        assert error["code"] == "sync.invalid_number" and error["field"] == field
        assert says in error["message_zh"] and error["message_en"] and error["position"] >= 1


async def test_a_long_user_id_is_named_in_its_first_64_characters() -> None:
    async with running_jobs(seeded()) as sync:
        subject = "oidc|" + "x" * 120
        job = await start(sync, BY_TICKET, user=subject)
        assert job["requested_by"] == subject[:64]
        [requested] = await sync.published(SyncRequested.event_type, topics.SYNC_REQUESTS)
        assert requested.data["requested_by"] == subject[:64]
