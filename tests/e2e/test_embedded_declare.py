"""A declaration's whole way in the embedded system: 制单 → 提交审核 → 审单 → 申报 → signed by the soft token →
sent by sync to the Single Window (simulator) → its receipts move it to 放行."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import gmalglib
import httpx
from embedded_system import bearer, eventually, running_embedded

from guanwu.customs import fixtures
from guanwu.customs.messages import canonical_sign_bytes

DECLARATIONS = "/api/declaration/declarations"


def versioned(headers: dict[str, str], version: int) -> dict[str, str]:
    return {**headers, "If-Match": f'"{version}"'}


async def ok(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code in (200, 201), response.text
    body: dict[str, Any] = response.json()
    return body


async def test_drafted_reviewed_declared_and_signed(tmp_path: Path) -> None:
    async with running_embedded(tmp_path, ["acme"], with_signer=True) as (system, client):
        preparer = bearer(system, "acme", roles=("preparer",), user="zhang")
        reviewer = bearer(system, "acme", roles=("reviewer",), user="li")
        document = fixtures.export_sea_general_trade()
        created = await ok(
            await client.post(
                DECLARATIONS, json=document.model_dump(mode="json", exclude_none=True), headers=preparer
            )
        )
        url = f"{DECLARATIONS}/{created['declaration_id']}"
        await ok(await client.post(f"{url}/submit", headers=versioned(preparer, 1)))

        async def review_task() -> list[dict[str, Any]]:
            page = await client.get("/api/review/tasks", params={"status": "待审核"}, headers=reviewer)
            return [t for t in page.json()["items"] if t["declaration_id"] == created["declaration_id"]]

        [task] = await eventually(review_task)
        task_url = f"/api/review/tasks/{task['review_id']}"
        task = await ok(await client.get(task_url, headers=reviewer))
        await ok(
            await client.post(
                f"{task_url}/approve",
                json={"comment": "单证相符"},
                headers=versioned(reviewer, task["version"]),
            )
        )

        async def in_state(status: str) -> dict[str, Any] | None:
            current = await ok(await client.get(url, headers=preparer))
            return current if current["status"] == status else None

        approved = await eventually(lambda: in_state("审核通过"))
        assert approved["review"]["reviewer"] == "li" and approved["review"]["comment"] == "单证相符"
        declaring = await ok(
            await client.post(f"{url}/declare", headers=versioned(preparer, approved["version"]))
        )
        assert declaring["status"] == "申报中"

        final = await eventually(lambda: in_state("放行"))
        expected_sm3 = bytes(gmalglib.sm3_digest(canonical_sign_bytes(document))).hex()
        assert final["signing"]["content_sm3"] == expected_sm3
        signature = final["signing"]["signature"]
        assert signature["device"] == "soft" and base64.b64decode(signature["signature_b64"])
        head = final["document"]["head"]
        assert len(head["seq_no"]) == 18 and len(head["entry_id"]) == 18
        assert [r["channel"] for r in final["receipts"]] == ["L", "P"]
        actions = [
            entry["action"] for entry in (await ok(await client.get(f"{url}/audit", headers=reviewer)))
        ]
        assert actions[:4] == ["create", "submit_for_review", "review_approved", "declare"]
        assert actions[4].startswith("signed (soft") and actions[5].startswith("submitted: 统一编号")
        sent = await ok(
            await client.get(f"/api/sync/declarations/{created['declaration_id']}", headers=preparer)
        )
        assert sent["seq_no"] == head["seq_no"]

        # The query projection shows the current state to every list.
        async def listed() -> list[dict[str, Any]]:
            page = await client.get("/api/query/declarations", params={"status": "放行"}, headers=preparer)
            return page.json()["items"]

        rows = await eventually(listed)
        assert [r["declaration_id"] for r in rows] == [created["declaration_id"]]


async def test_a_declaration_the_single_window_refuses_shows_declare_failed_with_the_reason(
    tmp_path: Path,
) -> None:
    async with running_embedded(tmp_path, ["acme"], with_signer=True) as (system, client):
        refusal = {"enterprise": "acme", "reject_with": "表体商品编码与申报要素不符"}
        assert (await client.put("/sim/declarations/behaviour", json=refusal)).status_code == 200
        headers = bearer(system, "acme", roles=("preparer", "reviewer", "admin"), user="boss")
        document = fixtures.export_sea_general_trade().model_dump(mode="json", exclude_none=True)
        created = await ok(await client.post(DECLARATIONS, json=document, headers=headers))
        url = f"{DECLARATIONS}/{created['declaration_id']}"
        await ok(await client.post(f"{url}/submit", headers=versioned(headers, 1)))

        async def task() -> list[dict[str, Any]]:
            return (await client.get("/api/review/tasks", headers=headers)).json()["items"]

        [review] = await eventually(task)
        task_url = f"/api/review/tasks/{review['review_id']}"
        await ok(
            await client.post(f"{task_url}/approve", json={}, headers=versioned(headers, review["version"]))
        )

        async def status(wanted: str) -> dict[str, Any] | None:
            current = await ok(await client.get(url, headers=headers))
            return current if current["status"] == wanted else None

        approved = await eventually(lambda: status("审核通过"))
        await ok(await client.post(f"{url}/declare", headers=versioned(headers, approved["version"])))
        failed = await eventually(lambda: status("申报失败"))
        assert failed["submission_failure"]["message"].startswith("表体商品编码与申报要素不符")
        assert failed["signing"]["signature"] is not None and failed["receipts"] == []
