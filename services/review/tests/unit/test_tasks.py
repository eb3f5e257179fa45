"""Review tasks opened from DeclarationSubmittedForReview; the list and its filters; tenant isolation."""

from __future__ import annotations

from review_harness import PREPARER, Service, auth, submission

TASKS = "/api/review/tasks"


async def ids(service: Service, **params: str) -> list[str]:
    response = await service.client.get(TASKS, params=params, headers=auth())
    assert response.status_code == 200, response.text
    page = response.json()
    assert page["total"] == len(page["items"])
    return sorted(t["declaration_id"] for t in page["items"])


async def test_a_submission_delivered_twice_opens_exactly_one_task(service: Service) -> None:
    envelope = await service.submit(submission("d1", version=2))
    await service.bus.publish("declaration.events.v1", envelope)  # the relay republishing after a crash
    await service.submit(submission("d1", version=2))  # the same fact under a new event id
    stored = await service.stored()
    assert len(stored) == 1
    task = (await service.client.get(f"{TASKS}/{stored[0]['_id']}", headers=auth())).json()
    assert task["status"] == "待审核" and task["version"] == 1
    assert (task["declaration_id"], task["declaration_version"], task["prepared_by"]) == ("d1", 2, PREPARER)
    assert (task["seq_no"], task["bill_no"], task["ie_flag"], task["custom_master"]) == (
        "S-1",
        "BL-1",
        "E",
        "5100",
    )
    assert task["correlation_id"] == envelope.correlationid
    assert [(a["action"], a["by"]) for a in task["audit"]] == [("submitted", PREPARER)]


async def test_a_resubmitted_version_opens_a_new_task(service: Service) -> None:
    await service.submit(submission("d1", version=2))
    await service.submit(submission("d1", version=4))
    assert sorted(d["declaration_version"] for d in await service.stored()) == [2, 4]


async def test_the_list_filters_by_the_f10_fields(service: Service) -> None:
    await service.submit(
        submission("d-export", ie_flag="E", seq_no="S-1", bill_no="BL-1", custom_master="5100")
    )
    await service.submit(
        submission("d-import", ie_flag="I", seq_no="S-2", bill_no="BL-2", custom_master="0101")
    )
    await service.submit(
        submission("d-other", ie_flag="I", seq_no="S-3", bill_no="BL-3", custom_master="5100")
    )
    assert await ids(service) == ["d-export", "d-import", "d-other"]
    assert await ids(service, ie_flag="I") == ["d-import", "d-other"]
    assert await ids(service, custom_master="5100") == ["d-export", "d-other"]
    assert await ids(service, bill_no="BL-2") == ["d-import"]
    assert await ids(service, seq_no="S-3", ie_flag="I") == ["d-other"]
    assert await ids(service, status="审核通过") == []
    assert len(await ids(service, status="待审核")) == 3
    page = (await service.client.get(TASKS, params={"limit": 1, "skip": 1}, headers=auth())).json()
    assert page["total"] == 3 and len(page["items"]) == 1


async def test_another_tenant_sees_nothing(service: Service) -> None:
    await service.submit(submission("d1"))
    review_id = (await service.stored())[0]["_id"]
    other = auth(tenant="globex")
    page = (await service.client.get(TASKS, headers=other)).json()
    assert (page["total"], page["items"]) == (0, [])
    missing = await service.client.get(f"{TASKS}/{review_id}", headers=other)
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "review.not_found"
    approve = await service.client.post(
        f"{TASKS}/{review_id}/approve", headers=auth(tenant="globex", version=1)
    )
    assert approve.status_code == 404
    assert (await service.stored())[0]["status"] == "待审核"


async def test_every_route_needs_a_token_and_the_list_a_reading_role(service: Service) -> None:
    assert (await service.client.get(TASKS)).status_code == 401
    assert (await service.client.get(TASKS, headers=auth(roles=("preparer",)))).status_code == 403
    for role in ("manager", "integration", "admin"):
        assert (await service.client.get(TASKS, headers=auth(roles=(role,)))).status_code == 200


async def test_the_document_is_kept_beside_the_task_and_read_with_it(service: Service) -> None:
    await service.submit(submission("d1"))
    [stored] = await service.stored()
    assert "document" not in stored  # the list filters and counts tasks without their documents
    task = (await service.client.get(f"{TASKS}/{stored['_id']}", headers=auth())).json()
    assert task["document"]["head"]["bill_no"] == "MAEU240716553" and len(task["document"]["goods"]) == 3
    row = (await service.client.get(TASKS, headers=auth())).json()["items"][0]
    assert "document" not in row
