"""高级审核 and 发送 in the embedded system: review reads the declaration's template and declares through the
declaration service's own HTTP API (in process, through the app serving the request), as the reviewer."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
from embedded_system import bearer, eventually, running_embedded

from guanwu.contracts.declaration import DeclarationDocument
from guanwu.customs import fixtures

DECLARATIONS = "/api/declaration/declarations"


def versioned(headers: dict[str, str], version: int) -> dict[str, str]:
    return {**headers, "If-Match": f'"{version}"'}


async def ok(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code in (200, 201), response.text
    body: dict[str, Any] = response.json()
    return body


async def submitted_from_template(
    client: httpx.AsyncClient, preparer: dict[str, str], document: DeclarationDocument
) -> dict[str, Any]:
    """A template from `document`, a draft made from it with its 合同协议号 changed, submitted for review."""
    template = await ok(
        await client.post(
            "/api/declaration/templates",
            json={"name": "海运出口", "document": document.model_dump(mode="json", exclude_none=True)},
            headers=preparer,
        )
    )
    draft = await ok(
        await client.post(
            f"/api/declaration/templates/{template['template_id']}/declarations", headers=preparer
        )
    )
    url = f"{DECLARATIONS}/{draft['declaration_id']}"
    changed = draft["document"]
    changed["head"]["contr_no"] = "CHANGED-2026"
    draft = await ok(await client.put(url, json=changed, headers=versioned(preparer, draft["version"])))
    await ok(await client.post(f"{url}/submit", headers=versioned(preparer, draft["version"])))
    return draft


async def test_a_reviewer_sends_an_approved_declaration_made_from_a_template(tmp_path: Path) -> None:
    async with running_embedded(tmp_path, ["acme"], simulator=False) as (system, client):
        preparer = bearer(system, "acme", roles=("preparer",), user="zhang")
        reviewer = bearer(system, "acme", roles=("reviewer",), user="li")
        reviewer_preparer = bearer(system, "acme", roles=("reviewer", "preparer"), user="wang")
        manager = bearer(system, "acme", roles=("manager",), user="boss")
        document = fixtures.export_sea_general_trade()
        draft = await submitted_from_template(client, preparer, document)
        url = f"{DECLARATIONS}/{draft['declaration_id']}"

        async def review_task() -> list[dict[str, Any]]:
            page = await client.get("/api/review/tasks", params={"status": "待审核"}, headers=reviewer)
            return [t for t in page.json()["items"] if t["declaration_id"] == draft["declaration_id"]]

        [task] = await eventually(review_task)
        task_url = f"/api/review/tasks/{task['review_id']}"
        view = await ok(await client.get(f"{task_url}/advanced", headers=reviewer))
        assert view["template"]["state"] == "compared" and view["template"]["name"] == "海运出口"
        by_template = {c["field_path"]: c for c in view["comparisons"] if c["kind"] == "template"}
        assert by_template["head.contr_no"]["ours"] == "CHANGED-2026"
        assert by_template["head.contr_no"]["theirs"] == document.head.contr_no

        task = await ok(await client.get(task_url, headers=reviewer))
        await ok(
            await client.post(f"{task_url}/approve", json={}, headers=versioned(reviewer, task["version"]))
        )

        async def approved() -> dict[str, Any] | None:
            current = await ok(await client.get(url, headers=preparer))
            return current if current["status"] == "审核通过" else None

        await eventually(approved)
        send = f"{task_url}/send"
        not_allowed = await client.post(send, headers=reviewer)
        assert not_allowed.status_code == 403
        assert not_allowed.json()["error"]["code"] == "review.send_not_allowed"
        await ok(await client.put("/api/review/settings", json={"reviewers_may_send": True}, headers=manager))
        # The declaration service applies its own rules to the reviewer's token: 申报 is a preparer's command.
        refused = await client.post(send, headers=reviewer)
        assert refused.status_code == 403 and "申报服务拒绝" in refused.json()["error"]["message_zh"]

        sent = await ok(await client.post(send, headers=reviewer_preparer))
        assert (sent["declaration_status"], sent["sent_by"]) == ("申报中", "wang")
        declaration = await ok(await client.get(url, headers=preparer))
        assert declaration["status"] == "申报中" and declaration["version"] == sent["declaration_version"]
        again = await client.post(send, headers=reviewer_preparer)
        assert again.status_code == 409  # the declaration service's refusal: it is no longer 审核通过

        audit = await ok(
            await client.get(
                "/api/review/audit", params={"declaration_id": draft["declaration_id"]}, headers=manager
            )
        )
        assert [(r["action"], r["reviewer"]) for r in audit["items"]][-2:] == [
            ("approve", "li"),
            ("sent", "wang"),
        ]
