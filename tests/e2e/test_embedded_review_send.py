"""高级审核 and 发送 in the embedded system: review reads the declaration's template through the declaration
service's HTTP API (in process), and 发送 is a command through events — ReviewSendRequested, which the declaration
service carries out as the reviewer (who need not be a preparer), answered by DeclarationDeclareRequested with the
send's id or by DeclarationSendRefused."""

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


async def in_state(client: httpx.AsyncClient, url: str, headers: dict[str, str], *wanted: str) -> Any:
    current = await ok(await client.get(url, headers=headers))
    return current if current["status"] in wanted else None


async def settled(client: httpx.AsyncClient, task_url: str, headers: dict[str, str]) -> Any:
    send = (await ok(await client.get(task_url, headers=headers)))["send"]
    return send if send and send["state"] != "requested" else None


async def test_a_reviewer_only_sends_an_approved_declaration_made_from_a_template(tmp_path: Path) -> None:
    async with running_embedded(tmp_path, ["acme"], with_signer=True) as (system, client):
        preparer = bearer(system, "acme", roles=("preparer",), user="zhang")
        reviewer = bearer(system, "acme", roles=("reviewer",), user="li")  # no preparer role
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
        approved = await eventually(lambda: in_state(client, url, preparer, "审核通过"))
        send = f"{task_url}/send"
        not_allowed = await client.post(send, headers=reviewer)
        assert not_allowed.status_code == 403
        assert not_allowed.json()["error"]["code"] == "review.send_not_allowed"
        await ok(await client.put("/api/review/settings", json={"reviewers_may_send": True}, headers=manager))

        requested = await client.post(send, headers=reviewer)
        assert requested.status_code == 202, requested.text
        assert requested.json()["state"] == "requested" and requested.headers["Location"] == task_url
        answer = await eventually(lambda: settled(client, task_url, reviewer))
        assert (answer["state"], answer["requested_by"]) == ("declared", "li")
        assert answer["send_id"] == requested.json()["send_id"]
        assert answer["declared_version"] == approved["version"] + 1
        again = await client.post(send, headers=reviewer)
        assert again.status_code == 200 and again.json()["send_id"] == answer["send_id"]

        released = await eventually(lambda: in_state(client, url, preparer, "放行"))
        assert released["signing"]["requested_by"] == "li" and released["signing"]["signature"] is not None
        assert [r["channel"] for r in released["receipts"]] == ["L", "P"]
        trail = await client.get(f"{url}/audit", headers=preparer)
        assert trail.status_code == 200, trail.text
        actions = [entry["action"] for entry in trail.json()]
        assert actions.count("declare") == 1

        async def sent_audited() -> list[tuple[str, str]] | None:
            audit = await ok(
                await client.get(
                    "/api/review/audit", params={"declaration_id": draft["declaration_id"]}, headers=manager
                )
            )
            pairs = [(r["action"], r["reviewer"]) for r in audit["items"]]
            return pairs if ("sent", "li") in pairs else None

        assert (await eventually(sent_audited))[-2:] == [("approve", "li"), ("sent", "li")]


async def test_a_send_the_declaration_service_refuses_shows_why(tmp_path: Path) -> None:
    async with running_embedded(tmp_path, ["acme"], simulator=False) as (system, client):
        preparer = bearer(system, "acme", roles=("preparer",), user="zhang")
        reviewer = bearer(system, "acme", roles=("reviewer",), user="li")
        manager = bearer(system, "acme", roles=("manager",), user="boss")
        await ok(await client.put("/api/review/settings", json={"reviewers_may_send": True}, headers=manager))
        body = fixtures.export_sea_general_trade().model_dump(mode="json", exclude_none=True)
        created = await ok(await client.post(DECLARATIONS, json=body, headers=preparer))
        url = f"{DECLARATIONS}/{created['declaration_id']}"
        await ok(await client.post(f"{url}/submit", headers=versioned(preparer, 1)))

        async def review_task() -> list[dict[str, Any]]:
            return (await client.get("/api/review/tasks", headers=reviewer)).json()["items"]

        [task] = await eventually(review_task)
        task_url = f"/api/review/tasks/{task['review_id']}"
        await ok(
            await client.post(f"{task_url}/approve", json={}, headers=versioned(reviewer, task["version"]))
        )
        approved = await eventually(lambda: in_state(client, url, preparer, "审核通过"))
        # The preparer declares first (no card signer here: it stays 申报中); the reviewer's send comes late.
        await ok(await client.post(f"{url}/declare", headers=versioned(preparer, approved["version"])))
        requested = await client.post(f"{task_url}/send", headers=reviewer)
        assert requested.status_code == 202, requested.text
        answer = await eventually(lambda: settled(client, task_url, reviewer))
        assert (answer["state"], answer["code"]) == ("refused", "declaration.not_approved")
        assert "审核通过后才能申报" in answer["message_zh"] and answer["message_en"]
        declaration = await ok(await client.get(url, headers=preparer))
        assert declaration["status"] == "申报中" and declaration["signing"]["requested_by"] == "zhang"
        retried = await client.post(f"{task_url}/send", headers=reviewer)
        assert retried.status_code == 202 and retried.json()["send_id"] != answer["send_id"]
