"""GET /api/sync/declarations/{id}: what the Single Window said, to the declaring tenant's preparers only."""

from __future__ import annotations

import pytest

from .conftest import SyncService, auth

URL = "/api/sync/declarations/d1"


async def test_the_declaring_tenant_sees_the_seq_no(sync: SyncService) -> None:
    await sync.declare_requested()
    await sync.signed()
    response = await sync.client.get(URL, headers=auth("acme", ("preparer",)))
    assert response.status_code == 200, response.text
    body = response.json()
    [filing] = sync.simulator.filings.values()
    assert (body["state"], body["seq_no"]) == ("sent", filing.seq_no)
    [attempt] = body["attempts"]
    assert attempt["request_id"] == "req-1" and attempt["client_seq_no"] == filing.client_seq_no
    assert attempt["certificate_serial"] == "5f3a9c" and attempt["error"] is None
    assert "message_b64" not in response.text and "signature_b64" not in response.text


async def test_a_refusal_is_shown_with_its_reason(sync: SyncService) -> None:
    sync.line.answer_status = 400
    await sync.declare_requested()
    await sync.signed()
    body = (await sync.client.get(URL, headers=auth("acme", ("integration",)))).json()
    assert body["state"] == "rejected" and body["seq_no"] is None
    assert body["attempts"][0]["error"]["code"] == "response_code_HTTP 400"


async def test_newest_request_first(sync: SyncService) -> None:
    await sync.declare_requested("req-1")
    await sync.declare_requested("req-2")
    body = (await sync.client.get(URL, headers=auth("acme", ("manager",)))).json()
    assert [a["request_id"] for a in body["attempts"]] == ["req-2", "req-1"]
    assert body["state"] == "waiting_for_signature"


async def test_another_tenant_gets_404(sync: SyncService) -> None:
    await sync.declare_requested(tenant="acme")
    await sync.signed(tenant="other")  # another tenant's answer never completes acme's request
    assert sync.line.declared == []
    response = await sync.client.get(URL, headers=auth("intruder", ("preparer", "manager")))
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "sync.declaration_not_found"
    assert (await sync.client.get(URL, headers=auth("acme"))).json()["state"] == "waiting_for_signature"


@pytest.mark.parametrize("headers", [auth("acme", ("reviewer",)), {}])
async def test_reviewers_and_strangers_are_refused(sync: SyncService, headers: dict[str, str]) -> None:
    await sync.declare_requested()
    response = await sync.client.get(URL, headers=headers)
    assert response.status_code in (401, 403) and "message_zh" in response.json()["error"]
