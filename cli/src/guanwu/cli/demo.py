"""`guanwu demo`: walk one declaration through its whole lifecycle against a running guanwu (embedded).

制单 → 提交审核 → 审单通过 → 申报 (soft token signs) → sent to the Single Window (simulator) → receipts → 放行.
It uses only the public HTTP API, so it doubles as a worked example for integrators.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import httpx

from guanwu.customs import fixtures

DECLARATIONS = "/api/declaration/declarations"
Say = Callable[[str], None]


class DemoFailed(Exception):
    pass


def _body(response: httpx.Response, step: str) -> dict[str, Any]:
    if response.status_code not in (200, 201):
        raise DemoFailed(f"{step}: HTTP {response.status_code} {response.text[:500]}")
    body: dict[str, Any] = response.json()
    return body


async def _until(probe: Callable[[], Any], what: str, timeout: float) -> Any:
    async with asyncio.timeout(timeout):
        while not (found := await probe()):
            await asyncio.sleep(0.2)
    if not found:
        raise DemoFailed(f"timed out waiting for {what}")
    return found


async def walk(
    client: httpx.AsyncClient, headers: dict[str, str], say: Say, timeout: float = 30.0
) -> dict[str, Any]:
    """Returns the declaration as it ends (放行); raises DemoFailed naming the step that did not work."""
    document = fixtures.export_sea_general_trade().model_dump(mode="json", exclude_none=True)
    created = _body(await client.post(DECLARATIONS, json=document, headers=headers), "制单 create")
    url = f"{DECLARATIONS}/{created['declaration_id']}"
    say(
        f"制单 drafted {created['declaration_id']} ({created['status']}, {len(created['findings'])} findings)"
    )
    versioned = {**headers, "If-Match": f'"{created["version"]}"'}
    submitted = _body(await client.post(f"{url}/submit", headers=versioned), "提交审核 submit")
    say(f"提交审核 submitted for review ({submitted['status']})")

    async def task() -> dict[str, Any] | None:
        page = _body(await client.get("/api/review/tasks", headers=headers), "审单 list")
        mine = [t for t in page["items"] if t["declaration_id"] == created["declaration_id"]]
        return mine[0] if mine else None

    review = await _until(task, "the review task", timeout)
    task_url = f"/api/review/tasks/{review['review_id']}"
    versioned = {**headers, "If-Match": f'"{review["version"]}"'}
    _body(
        await client.post(f"{task_url}/approve", json={"comment": "演示：单证相符"}, headers=versioned),
        "审单 approve",
    )
    say("审单 approved by the reviewer")

    async def in_state(*states: str) -> dict[str, Any] | None:
        current = _body(await client.get(url, headers=headers), "read")
        return current if current["status"] in states else None

    approved = await _until(lambda: in_state("审核通过"), "审核通过", timeout)
    versioned = {**headers, "If-Match": f'"{approved["version"]}"'}
    declaring = _body(await client.post(f"{url}/declare", headers=versioned), "申报 declare")
    say(f"申报 declared: signing request {declaring['signing']['request_id']} ({declaring['status']})")
    final: dict[str, Any] = await _until(lambda: in_state("放行", "结关"), "放行", timeout)
    signature = final["signing"]["signature"]
    say(f"签名 signed by {signature['device']} token, certificate {signature['certificate_serial']}")
    say(
        f"已申报 统一编号 {final['document']['head']['seq_no']}, 海关编号 {final['document']['head']['entry_id']}"
    )
    say("回执 receipts: " + ", ".join(f"{r['channel']} {r['label']}" for r in final["receipts"]))
    say(f"状态 status now {final['status']}")
    return final


async def login(client: httpx.AsyncClient, username: str, password: str) -> dict[str, str]:
    answer = _body(
        await client.post("/api/auth/token", json={"username": username, "password": password}), "login"
    )
    return {"Authorization": f"Bearer {answer['access_token']}"}
