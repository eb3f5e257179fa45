"""A reviewer's text the customs XML cannot carry is refused (422 naming the field); the task is unchanged."""

from __future__ import annotations

from typing import Any

from review_harness import Service, auth, submission


async def open_task(service: Service) -> str:
    await service.submit(submission("d1", version=2))
    return str((await service.stored())[0]["_id"])


def refused_fields(response: Any) -> set[str]:
    assert response.status_code == 422, response.text
    return {f["field"] for f in response.json()["error"]["fields"] if f["type"] == "xml_char"}


async def test_marks_approval_and_rejection_with_unwritable_text_are_refused(service: Service) -> None:
    review_id = await open_task(service)
    url = f"/api/review/tasks/{review_id}"
    marks = {"marks": [{"field_path": "goods[0].g_qty", "verdict": "wrong", "comment": "数量\x00不符"}]}
    response = await service.client.put(f"{url}/marks", json=marks, headers=auth(version=1))
    assert refused_fields(response) == {"marks[0].comment"}
    one = {"field_path": "goods[0].g_qty", "state": "wrong", "comment": "数量\x00不符"}
    response = await service.client.post(f"{url}/mark", json=one, headers=auth(version=1))
    assert refused_fields(response) == {"comment"}
    response = await service.client.post(
        f"{url}/approve", json={"comment": "\ufffe"}, headers=auth(version=1)
    )
    assert refused_fields(response) == {"comment"}
    response = await service.client.post(
        f"{url}/reject", json={"comment": "退回\x07"}, headers=auth(version=1)
    )
    assert refused_fields(response) == {"comment"}
    task = (await service.client.get(url, headers=auth())).json()
    assert (task["version"], task["status"], task["marks"]) == (1, "待审核", [])
    assert await service.outcomes() == []


async def test_unwritable_query_and_path_parameters_are_refused(service: Service) -> None:
    response = await service.client.get("/api/review/tasks", params={"bill_no": "BL\x00"}, headers=auth())
    assert refused_fields(response) == {"bill_no"}
    response = await service.client.get("/api/review/tasks/x%01", headers=auth())
    assert refused_fields(response) == {"review_id"}
