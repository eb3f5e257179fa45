"""打印报关单 / 打印通知书 (F-31) through the API: the PDFs read back with pdftotext, as a person's tools read them;
another tenant's declaration is not found, one whose document has not arrived yet is a 409, no notice a 404,
a machine without the font a 503 that says how to install it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from printing_support import pdf_pages
from query_harness import URL, Service, at, running_service
from service_http import bearer

from guanwu.contracts.declaration import DeclarationDocument
from guanwu.contracts.events import DeclarationDrafted, DeclarationStatusChanged, ReceiptReceived
from guanwu.customs import fixtures
from guanwu.customs.printing import FONT_ENV

ENTRY_ID = "311120240000123456"
SEQ_NO = "E20240000123456789"


@pytest.fixture
async def service() -> AsyncIterator[Service]:
    async with running_service() as running:
        yield running


def drafted(declaration_id: str, document: DeclarationDocument, **fields: Any) -> DeclarationDrafted:
    values: dict[str, Any] = {
        "declaration_id": declaration_id,
        "version": 1,
        "ie_flag": document.head.ie_flag,
        "status": "草稿",
        "seq_no": SEQ_NO,
        "entry_id": ENTRY_ID,
        "trade_name": document.head.trade_name,
        "document": document,
    }
    return DeclarationDrafted(**{**values, **fields})


async def pdf(service: Service, url: str, tenant: str = "acme") -> bytes:
    response = await service.client.get(url, headers=bearer(tenant=tenant))
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/pdf"
    assert "filename*=UTF-8''" in response.headers["content-disposition"]
    return response.content


async def refused(service: Service, url: str, status: int, tenant: str = "acme") -> dict[str, Any]:
    response = await service.client.get(url, headers=bearer(tenant=tenant))
    assert response.status_code == status, response.text
    return dict(response.json()["error"])


async def test_a_declaration_prints_on_the_official_form(service: Service, tmp_path: Path) -> None:
    document = fixtures.fifty_line_export()
    await service.deliver(service.envelope(drafted("d1", document), time=at(1)))
    pages = pdf_pages(await pdf(service, f"{URL}/d1/print.pdf"), tmp_path)
    assert len(pages) > 1
    for number, page in enumerate(pages, start=1):
        assert page.startswith("中华人民共和国海关出口货物报关单")
        assert f"页码/页数：{number}/{len(pages)}" in page
        assert ENTRY_ID in page and SEQ_NO in page and (document.head.bill_no or "-") in page
    assert "规格50" in pages[-1] and "规格1|" in pages[0]


async def test_a_summary_declaration_prints_the_same_way(service: Service, tmp_path: Path) -> None:
    document = fixtures.import_general()
    summary = document.model_copy(update={"head": document.head.model_copy(update={"type": "  5"})})
    await service.deliver(service.envelope(drafted("s1", summary), time=at(1)))
    [page] = pdf_pages(await pdf(service, f"{URL}/s1/print.pdf"), tmp_path)
    assert page.startswith("中华人民共和国海关进口货物报关单（概要申报）")


async def test_another_tenant_and_a_missing_document_are_refused(service: Service) -> None:
    await service.deliver(service.envelope(drafted("d1", fixtures.export_air()), time=at(1)))
    for path in ("print.pdf", "notices.pdf"):
        assert (await refused(service, f"{URL}/d1/{path}", 404, tenant="other"))["code"] == "query.not_found"
        assert (await refused(service, f"{URL}/nowhere/{path}", 404))["code"] == "query.not_found"
    changed = DeclarationStatusChanged(
        declaration_id="d2", version=3, ie_flag="E", status="已申报", previous_status="申报中"
    )
    await service.deliver(service.envelope(changed, time=at(2)))
    answer = await refused(service, f"{URL}/d2/print.pdf", 409)
    assert answer["code"] == "query.document_not_yet_known" and answer["message_zh"]


async def test_the_notices_of_the_receipts_print_one_page_each(service: Service, tmp_path: Path) -> None:
    document = fixtures.export_sea_general_trade()
    await service.deliver(service.envelope(drafted("d1", document), time=at(1)))
    receipts = [
        ("r1", "L", at(2), "海关入库成功"),
        ("r2", "C", at(3), "查验通知：请到北仑查验场配合查验"),
        ("r3", "P", at(4), "海关已放行"),
    ]
    for receipt_id, channel, when, note in receipts:
        await service.deliver_sync(
            ReceiptReceived(
                receipt_id=receipt_id, channel=channel, declaration_id="d1", notice_date=when, note=note
            )
        )
    pages = pdf_pages(await pdf(service, f"{URL}/d1/notices.pdf"), tmp_path)
    assert len(pages) == 2
    assert "查验通知书" in pages[0] and "北仑查验场" in pages[0] and "2026-03-0117:03:00" in pages[0]
    assert "放行通知书" in pages[1] and "2026-03-0117:04:00" in pages[1]
    assert all(ENTRY_ID in page and (document.head.bill_no or "-") in page for page in pages)


async def test_no_notice_yet_is_not_found(service: Service) -> None:
    await service.deliver(service.envelope(drafted("d1", fixtures.export_air()), time=at(1)))
    await service.deliver_sync(
        ReceiptReceived(receipt_id="r1", channel="L", declaration_id="d1", notice_date=at(2), note="入库")
    )
    answer = await refused(service, f"{URL}/d1/notices.pdf", 404)
    assert answer["code"] == "query.no_notices" and "通知书" in answer["message_zh"]


async def test_a_machine_without_the_font_answers_503_saying_how_to_install_it(
    service: Service, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    await service.deliver(service.envelope(drafted("d1", fixtures.export_air()), time=at(1)))
    monkeypatch.setenv(FONT_ENV, str(tmp_path / "absent.ttc"))
    answer = await refused(service, f"{URL}/d1/print.pdf", 503)
    assert answer["code"] == "query.printing_unavailable"
    assert "fonts-wqy-microhei" in answer["message_zh"] and FONT_ENV in answer["message_en"]
