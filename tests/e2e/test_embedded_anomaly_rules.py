"""Auto-registration (F-22) embedded: 核注清单 receipts injected at the Single Window simulator reach the
anomaly service through sync; an INV201 删单 becomes exactly one 核注清单异常 record, an INV201 审核通过 none, and a
tenant's own rules decide from then on."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import httpx
from embedded_system import bearer, eventually, running_embedded

from guanwu.cli.embedded import EmbeddedSystem

ANOMALIES = "/api/anomaly/anomalies"
BOND_INVT_NO = "QD311126I000000042"


async def _inject(client: httpx.AsyncClient, tenant: str, list_stat: str, note: str) -> None:
    receipt = {
        "enterprise": tenant,
        "message_type": "INV201",
        "bond_invt_no": BOND_INVT_NO,
        "list_stat": list_stat,
        "note": note,
    }
    injected = await client.post("/sim/bonded-list-receipts", json=receipt)
    assert injected.status_code == 201, injected.text


async def _records(system: EmbeddedSystem, client: httpx.AsyncClient, tenant: str) -> list[dict[str, Any]]:
    page = await client.get(ANOMALIES, params={"category": "bonded_list"}, headers=bearer(system, tenant))
    assert page.status_code == 200, page.text
    return list(page.json()["items"])


async def test_an_inv201_delete_receipt_becomes_one_bonded_list_anomaly(tmp_path: Path) -> None:
    tenant = f"t-{uuid.uuid4().hex[:8]}"
    async with running_embedded(tmp_path, [tenant]) as (system, client):
        await _inject(client, tenant, "0", "审核通过")  # 审核通过: no rule, no record
        await _inject(client, tenant, "3", "企业申请删除")  # 删单, after it in the feed

        items = await eventually(lambda: _records(system, client, tenant))
        [record] = items
        assert (record["category"], record["anomaly_type"], record["document_no"]) == (
            "bonded_list",
            "删单",
            BOND_INVT_NO,
        )
        assert (record["registered_by"], record["handling_status"], record["reason"]) == (
            "system",
            "未处理",
            "企业申请删除",
        )
        assert record["source_receipt_id"]

        # The tenant's own rules: an INV201 审核通过 is now recorded as 其他, a 删单 no longer.
        rules = {"rules": [{"receipt_kind": "INV201", "code": "0", "anomaly_type": "其他"}]}
        stored = await client.put(
            "/api/anomaly/rules", json=rules, headers=bearer(system, tenant, ("manager",))
        )
        assert stored.status_code == 200, stored.text
        await _inject(client, tenant, "3", "再次删除")
        await _inject(client, tenant, "0", "审核通过")

        async def second() -> list[dict[str, Any]] | None:
            found = await _records(system, client, tenant)
            return found if len(found) >= 2 else None

        types = sorted(r["anomaly_type"] for r in await eventually(second))
        assert types == ["其他", "删单"]
