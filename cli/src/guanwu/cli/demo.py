"""`guanwu demo`: walk one declaration through its whole lifecycle against a running guanwu (embedded).

制单 → 提交审核 → 审单 (a field marked red, 退回) → fixed and submitted again (the mark shown stale) → 审单通过
→ 申报 (soft token signs) → sent to the Single Window (simulator) → receipts → 放行.
It uses only the public HTTP API, so it doubles as a worked example for integrators.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import httpx

from guanwu.customs import fixtures

DECLARATIONS = "/api/declaration/declarations"
NOTE_FIELD = "head.note_s"
"""The field the demo's reviewer marks red, the preparer fixes, and the resubmitted task shows stale."""
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

    await _review(client, headers, say, url, created["declaration_id"], timeout)

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


async def _review(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    say: Say,
    url: str,
    declaration_id: str,
    timeout: float,
) -> None:
    """审单 with a red mark and a return; the preparer fixes the field and submits again; the new task carries
    the mark flagged stale (both values shown), the reviewer marks the field green and approves."""
    first = await _until(_task_of(client, headers, declaration_id), "the review task", timeout)
    task_url = f"/api/review/tasks/{first['review_id']}"
    red = {"field_path": NOTE_FIELD, "state": "wrong", "comment": "演示：备注不全"}
    marked = _body(await client.post(f"{task_url}/mark", json=red, headers=_at(headers, first)), "审单 mark")
    returned = {"comment": "演示：请补全备注"}
    _body(await client.post(f"{task_url}/reject", json=returned, headers=_at(headers, marked)), "审单 return")
    say(f"审单 returned with {NOTE_FIELD} marked red")

    declaration = await _until(_in_state(client, headers, url, "审核退回"), "审核退回", timeout)
    document = declaration["document"]
    document["head"]["note_s"] = "演示：备注已补全"
    fixed = _body(await client.put(url, json=document, headers=_at(headers, declaration)), "修改 fix")
    _body(await client.post(f"{url}/submit", headers=_at(headers, fixed)), "提交审核 resubmit")
    later = _task_of(client, headers, declaration_id, after=first["declaration_version"])
    second = await _until(later, "the resubmitted review task", timeout)
    task_url = f"/api/review/tasks/{second['review_id']}"
    task = _body(await client.get(task_url, headers=headers), "审单 read")
    stale = next((m for m in task["marks"] if m["field_path"] == NOTE_FIELD and m["stale"]), None)
    if stale is None:
        raise DemoFailed(f"审单: the resubmitted task does not flag {NOTE_FIELD} stale")
    say(f"审单 resubmitted: {NOTE_FIELD} stale (was {stale['value']!r}, now {stale['value_now']!r})")
    green = {"field_path": NOTE_FIELD, "state": "ok"}
    marked = _body(await client.post(f"{task_url}/mark", json=green, headers=_at(headers, task)), "审单 mark")
    approval = {"comment": "演示：单证相符"}
    _body(
        await client.post(f"{task_url}/approve", json=approval, headers=_at(headers, marked)), "审单 approve"
    )
    say("审单 approved by the reviewer")


def _at(headers: dict[str, str], seen: dict[str, Any]) -> dict[str, str]:
    return {**headers, "If-Match": f'"{seen["version"]}"'}


def _task_of(
    client: httpx.AsyncClient, headers: dict[str, str], declaration_id: str, after: int = 0
) -> Callable[[], Any]:
    async def pending() -> dict[str, Any] | None:
        params = {"declaration_id": declaration_id, "status": "待审核"}
        page = _body(await client.get("/api/review/tasks", params=params, headers=headers), "审单 list")
        tasks = [t for t in page["items"] if t["declaration_version"] > after]
        return tasks[0] if tasks else None

    return pending


def _in_state(
    client: httpx.AsyncClient, headers: dict[str, str], url: str, *states: str
) -> Callable[[], Any]:
    async def probe() -> dict[str, Any] | None:
        current = _body(await client.get(url, headers=headers), "read")
        return current if current["status"] in states else None

    return probe


async def login(client: httpx.AsyncClient, username: str, password: str) -> dict[str, str]:
    answer = _body(
        await client.post("/api/auth/token", json={"username": username, "password": password}), "login"
    )
    return {"Authorization": f"Bearer {answer['access_token']}"}
