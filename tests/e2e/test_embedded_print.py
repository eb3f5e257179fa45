"""打印报关单 (#14 F-31) in the embedded system, as `make run` serves it: a declaration drafted through the
declaration API reaches the query service with its document and prints on the official form."""

from __future__ import annotations

from pathlib import Path

from embedded_system import bearer, eventually, running_embedded
from printing_support import pdf_pages

from guanwu.customs import fixtures


async def test_a_drafted_declaration_prints_from_the_query_service(tmp_path: Path) -> None:
    document = fixtures.fifty_line_export()
    async with running_embedded(tmp_path, ["acme"]) as (system, client):
        headers = bearer(system, "acme")
        created = await client.post(
            "/api/declaration/declarations", json=document.model_dump(mode="json"), headers=headers
        )
        assert created.status_code == 201, created.text
        declaration_id = created.json()["declaration_id"]
        url = f"/api/query/declarations/{declaration_id}/print.pdf"

        async def printed() -> bytes | None:
            response = await client.get(url, headers=headers)
            return response.content if response.status_code == 200 else None

        pages = pdf_pages(await eventually(printed), tmp_path)
        assert len(pages) > 1
        for number, page in enumerate(pages, start=1):
            assert page.startswith("中华人民共和国海关出口货物报关单")
            assert f"页码/页数：{number}/{len(pages)}" in page
            assert (document.head.bill_no or "-") in page and (document.head.trade_name or "-") in page
        assert "规格50" in pages[-1]
        other = await client.get(url, headers=bearer(system, "other"))
        assert other.status_code == 404
