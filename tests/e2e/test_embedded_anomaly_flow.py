"""异常状态登记 as a customs officer meets it with `make run`: a 删单 receipt from the Single Window simulator
appears as a record; its status is changed to 已处理 with a 完成日期; an attachment is uploaded and downloaded;
统计分析 counts it; another tenant sees none of it."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from embedded_system import bearer, eventually, running_embedded

ANOMALIES = "/api/anomaly/anomalies"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _count(counts: list[dict[str, Any]], value: str) -> int:
    return sum(c["count"] for c in counts if c["value"] == value)


async def test_a_delete_receipt_becomes_a_record_that_is_handled_documented_and_counted(
    tmp_path: Path,
) -> None:
    tenant = f"t-{uuid.uuid4().hex[:8]}"
    entry_id = "610120260000012345"
    async with running_embedded(tmp_path, [tenant]) as (system, client):
        staff = bearer(system, tenant, ("preparer", "manager"))
        receipt = {"enterprise": tenant, "entry_id": entry_id, "channel": "D", "note": "海关删单"}
        assert (await client.post("/sim/receipts", json=receipt)).status_code == 201

        async def registered() -> list[dict[str, Any]]:
            page = await client.get(ANOMALIES, params={"document_no": entry_id}, headers=staff)
            return list(page.json()["items"])

        [record] = await eventually(registered)
        assert (record["anomaly_type"], record["handling_status"]) == ("删单", "未处理")
        url = f"{ANOMALIES}/{record['anomaly_id']}"
        one = await client.get(url, headers=staff)
        etag = one.headers["ETag"]

        today = datetime.now(UTC).date().isoformat()
        done = await client.post(
            f"{url}/status",
            json={"to_status": "已处理", "completed_on": today},
            headers={**staff, "If-Match": etag},
        )
        assert done.status_code == 200, done.text
        assert (done.json()["handling_status"], done.json()["completed_on"]) == ("已处理", today)
        stale = await client.post(
            f"{url}/status",
            json={"to_status": "处理中", "reason": "复核"},
            headers={**staff, "If-Match": etag},
        )
        assert stale.status_code == 412

        uploaded = await client.post(
            f"{url}/attachments", files={"file": ("删单通知.pdf", PDF, "application/pdf")}, headers=staff
        )
        assert uploaded.status_code == 201, uploaded.text
        attachment = uploaded.json()
        download = await client.get(f"{url}/attachments/{attachment['attachment_id']}", headers=staff)
        assert download.status_code == 200 and download.content == PDF
        assert download.headers["content-type"].startswith("application/pdf")
        assert "filename*=UTF-8''" in download.headers["content-disposition"]

        async def counted() -> dict[str, Any] | None:
            stats = (await client.get("/api/anomaly/statistics", headers=staff)).json()
            return stats if _count(stats["by_handling_status"], "已处理") == 1 else None

        stats = await eventually(counted)
        assert stats["total"] == 1 and _count(stats["by_type"], "删单") == 1
        assert _count(stats["by_handling_status"], "未处理") == 0

        history = (await client.get(f"{url}/history", headers=staff)).json()
        assert len(history) >= 3  # registered, status changed, attachment added

        other = bearer(system, f"t-{uuid.uuid4().hex[:8]}", ("preparer", "manager"))
        assert (await client.get(url, headers=other)).status_code == 404
        hidden = await client.get(f"{url}/attachments/{attachment['attachment_id']}", headers=other)
        assert hidden.status_code == 404
        assert (await client.get("/api/anomaly/statistics", headers=other)).json()["total"] == 0
