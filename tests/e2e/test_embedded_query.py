"""报关数据查询 through the embedded system (#14 F-30, F-35): a declaration drafted through the declaration API is
found by a 最近操作时间 range, by a contained 商品名称 and its HS code, with the document the declaration service's
events carry; a receipt from the Single Window (simulator → sync → query) gives it its 申报状态 and a line of
跟踪报关单动态; another tenant sees none of it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from embedded_system import bearer, eventually, running_embedded

SEQ_NO = "E20260000000004242"


async def test_a_drafted_declaration_is_found_tracked_and_hidden_from_others(tmp_path: Path) -> None:
    async with running_embedded(tmp_path, ["acme", "globex"]) as (system, client):
        headers = bearer(system, "acme")
        before = datetime.now(UTC) - timedelta(minutes=1)
        created = await client.post(
            "/api/declaration/declarations",
            json={
                "head": {
                    "ie_flag": "E",
                    "seq_no": SEQ_NO,
                    "custom_master": "5100",
                    "trade_code": "6101940001",
                    "trade_name": "西安某贸易有限公司",
                    "trade_mode": "0110",
                    "bill_no": "BL-Q1",
                },
                "goods": [{"g_no": 1, "code_ts": "8471300000", "g_name": "笔记本电脑"}],
            },
            headers=headers,
        )
        assert created.status_code == 201, created.text
        declaration_id = created.json()["declaration_id"]

        async def listed(**params: Any) -> list[dict[str, Any]]:
            page = await client.get("/api/query/declarations", params=params, headers=headers)
            assert page.status_code == 200, page.text
            return list(page.json()["items"])

        window = {"updated_from": before.isoformat(), "goods_name": "笔记本", "hs_code": "8471300000"}
        [row] = await eventually(lambda: listed(**window))
        assert (row["declaration_id"], row["review_status"], row["trade_mode"]) == (
            declaration_id,
            "未提交",
            "0110",
        )
        assert row["has_document"] and row["enterprise_categories"] == ["1"]
        assert await listed(updated_to=before.isoformat()) == []

        injected = await client.post(
            "/sim/receipts", json={"enterprise": "acme", "seq_no": SEQ_NO, "channel": "L", "note": "入库"}
        )
        assert injected.status_code == 201, injected.text

        async def tracked() -> list[dict[str, Any]]:
            answer = await client.get(f"/api/query/declarations/{declaration_id}/history", headers=headers)
            assert answer.status_code == 200, answer.text
            entries = list(answer.json())
            return entries if any(e["kind"] == "receipt" for e in entries) else []

        entries = await eventually(tracked)
        # The receipt's NOTICE_DATE has whole seconds: within the second of the draft it may come first.
        assert next(e["action"] for e in entries if e["kind"] == "event") == "新建"
        assert [(e["channel"], e["note"]) for e in entries if e["kind"] == "receipt"] == [("L", "入库")]
        assert [r["declaration_id"] for r in await eventually(lambda: listed(channel="L"))] == [
            declaration_id
        ]

        other = bearer(system, "globex")
        assert (await client.get("/api/query/declarations", headers=other)).json()["total"] == 0
        for url in (
            f"/api/query/declarations/{declaration_id}",
            f"/api/query/declarations/{declaration_id}/history",
        ):
            assert (await client.get(url, headers=other)).status_code == 404
