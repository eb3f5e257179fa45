"""Both skeleton flows through the embedded system's HTTP API (in-process bus, SQLite)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from embedded_system import bearer, eventually, running_embedded

from guanwu.contracts import topics
from guanwu.contracts.events import DeleteReceiptReceived
from guanwu.platform.events import envelope_for


async def test_drafted_declaration_reaches_the_query_projection(tmp_path: Path) -> None:
    async with running_embedded(tmp_path, ["acme"]) as (system, client):
        headers = bearer(system, "acme")
        created = await client.post(
            "/api/declaration/declarations",
            json={
                "head": {
                    "ie_flag": "E",
                    "custom_master": "5100",
                    "trade_name": "西安某贸易有限公司",
                    "bill_no": "BL-1",
                }
            },
            headers=headers,
        )
        assert created.status_code == 201, created.text
        declaration_id = created.json()["declaration_id"]

        async def found() -> list[dict[str, object]]:
            page = await client.get("/api/query/declarations", params={"bill_no": "BL-1"}, headers=headers)
            return page.json()["items"]

        rows = await eventually(found)
        assert [r["declaration_id"] for r in rows] == [declaration_id]
        assert rows[0]["status"] == "草稿" and rows[0]["trade_name"] == "西安某贸易有限公司"
        other = await client.get("/api/query/declarations", params={"bill_no": "BL-2"}, headers=headers)
        assert other.json()["total"] == 0


async def test_delete_receipt_from_single_window_registers_one_anomaly(tmp_path: Path) -> None:
    async with running_embedded(tmp_path, ["acme"]) as (system, client):
        headers = bearer(system, "acme")
        injected = await client.post(
            "/sim/receipts",
            json={
                "enterprise": "acme",
                "entry_id": "610120260000012345",
                "channel": "D",
                "note": "企业申请删单",
            },
        )
        assert injected.status_code == 201, injected.text

        async def registered() -> list[dict[str, object]]:
            page = await client.get(
                "/api/anomaly/anomalies", params={"document_no": "610120260000012345"}, headers=headers
            )
            return page.json()["items"]

        items = await eventually(registered)
        assert len(items) == 1
        assert items[0]["anomaly_type"] == "删单" and items[0]["registered_by"] == "system"
        assert items[0]["reason"] == "企业申请删单"
        # A receipt of another channel (放行) creates no anomaly.
        await client.post(
            "/sim/receipts", json={"enterprise": "acme", "entry_id": "610120260000099999", "channel": "P"}
        )
        status = await eventually(lambda: _receipts_synced(client, headers, at_least=2))
        assert status["receipts"] == 2
        total = (await client.get("/api/anomaly/anomalies", headers=headers)).json()["total"]
        assert total == 1


async def _receipts_synced(client, headers, at_least: int):  # type: ignore[no-untyped-def]
    status = (await client.get("/api/sync/receipts/status", headers=headers)).json()
    return status if status["receipts"] >= at_least else None


async def test_redelivered_delete_receipt_creates_nothing_new(tmp_path: Path) -> None:
    async with running_embedded(tmp_path, []) as (system, client):
        receipt = DeleteReceiptReceived(
            receipt_id="R-1", entry_id="610120260000054321", notice_date=datetime.now(UTC), note="删单"
        )
        topic, envelope = envelope_for(receipt, source="/test", tenant="acme")
        await system.runtime.bus.publish(topic, envelope)
        await system.runtime.bus.publish(topic, envelope)
        page = (await client.get("/api/anomaly/anomalies", headers=bearer(system, "acme"))).json()
        assert page["total"] == 1
        assert topic == topics.SYNC_EVENTS


async def test_auth_and_tenant_isolation(tmp_path: Path) -> None:
    async with running_embedded(tmp_path, ["tenant-a"]) as (system, client):
        tenant_a, tenant_b = bearer(system, "tenant-a"), bearer(system, "tenant-b")
        assert (await client.get("/api/query/declarations")).status_code == 401
        assert (
            await client.get("/api/anomaly/anomalies", headers={"Authorization": "Bearer junk"})
        ).status_code == 401
        created = await client.post(
            "/api/declaration/declarations", json={"head": {"ie_flag": "I"}}, headers=tenant_a
        )
        declaration_id = created.json()["declaration_id"]
        assert (
            await client.get(f"/api/declaration/declarations/{declaration_id}", headers=tenant_a)
        ).status_code == 200
        assert (
            await client.get(f"/api/declaration/declarations/{declaration_id}", headers=tenant_b)
        ).status_code == 404

        await client.post(
            "/sim/receipts", json={"enterprise": "tenant-a", "entry_id": "610120260000011111", "channel": "D"}
        )

        async def anomaly_of_a() -> list[dict[str, object]]:
            return (await client.get("/api/anomaly/anomalies", headers=tenant_a)).json()["items"]

        anomaly_id = (await eventually(anomaly_of_a))[0]["anomaly_id"]
        assert (await client.get(f"/api/anomaly/anomalies/{anomaly_id}", headers=tenant_b)).status_code == 404
        assert (await client.get("/api/anomaly/anomalies", headers=tenant_b)).json()["total"] == 0
        assert (
            await client.get(f"/api/query/declarations/{declaration_id}", headers=tenant_b)
        ).status_code == 404


async def test_fifty_line_declaration_reaches_the_projection_unchanged(tmp_path: Path) -> None:
    from guanwu.contracts.declaration import DeclarationDocument
    from guanwu.customs import fixtures

    async with running_embedded(tmp_path, []) as (system, client):
        headers = bearer(system, "acme")
        document = fixtures.fifty_line_export()
        created = await client.post(
            "/api/declaration/declarations", json=document.model_dump(mode="json"), headers=headers
        )
        assert created.status_code == 201, created.text
        declaration_id = created.json()["declaration_id"]
        stored = (await client.get(f"/api/declaration/declarations/{declaration_id}", headers=headers)).json()
        assert DeclarationDocument.model_validate(stored["document"]) == document

        async def projected() -> dict[str, object] | None:
            response = await client.get(f"/api/query/declarations/{declaration_id}", headers=headers)
            return response.json() if response.status_code == 200 else None

        row = await eventually(projected)
        head = document.head
        assert (row["bill_no"], row["trade_name"], row["custom_master"], row["ie_flag"]) == (
            head.bill_no,
            head.trade_name,
            head.custom_master,
            head.ie_flag,
        )


async def test_query_projection_follows_every_change(tmp_path: Path) -> None:
    async with running_embedded(tmp_path, []) as (system, client):
        headers = bearer(system, "acme")
        created = (
            await client.post(
                "/api/declaration/declarations", json={"head": {"ie_flag": "E"}}, headers=headers
            )
        ).json()
        url = f"/api/declaration/declarations/{created['declaration_id']}"
        updated = await client.put(
            url, json={"head": {"ie_flag": "E", "bill_no": "B2"}}, headers={**headers, "If-Match": '"1"'}
        )
        assert updated.status_code == 200, updated.text
        deleted = await client.delete(url, headers={**headers, "If-Match": '"2"'})
        assert deleted.status_code == 200, deleted.text

        async def final_row() -> dict[str, object] | None:
            row = (
                await client.get(f"/api/query/declarations/{created['declaration_id']}", headers=headers)
            ).json()
            return row if row.get("version") == 3 else None

        row = await eventually(final_row)
        assert (row["status"], row["bill_no"], row["last_event_type"]) == (
            "已删除",
            "B2",
            "guanwu.declaration.DeclarationDeleted.v1",
        )
