"""列表导出 (F-32) through the API: the sheet holds what the list shows (same criteria, same order, every page),
Chinese headers, codes with their names, selected rows only with `ids=`, the 概要申报 and 核注清单 lists,
another tenant's rows never, a bad criterion refused before anything is sent; LibreOffice opens the export."""

from __future__ import annotations

import asyncio
import csv
import io
import shutil
import subprocess
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from query_bonded import listed, qd, seq
from query_harness import BONDED_URL, URL, Service, at, running_service
from service_http import bearer

from guanwu.contracts.declaration import DeclarationDocument
from guanwu.contracts.events import DeclarationDrafted, ReceiptReceived
from guanwu.query.adapters.declarations import PAGE
from guanwu.query.domain.export_columns import BONDED_LIST_COLUMNS, DECLARATION_COLUMNS

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
HEADERS = [c.header for c in DECLARATION_COLUMNS]


@pytest.fixture
async def service() -> AsyncIterator[Service]:
    async with running_service() as running:
        yield running


def document(
    trade_mode: str = "0110", *, two_step: bool = False, goods: tuple[str, ...] = ("笔记本电脑",)
) -> Any:
    head = {
        "ie_flag": "I",
        "custom_master": "2244",
        "ie_port": "2233",
        "trade_mode": trade_mode,
        "trade_code": "3122440001",
        "trade_name": "上海甲贸易有限公司",
        "type": "  5" if two_step else None,
    }
    lines = [{"g_no": n, "code_ts": "8471300000", "g_name": name} for n, name in enumerate(goods, start=1)]
    return DeclarationDocument.model_validate({"head": head, "goods": lines})


def drafted(declaration_id: str, **fields: Any) -> DeclarationDrafted:
    values: dict[str, Any] = {
        "declaration_id": declaration_id,
        "version": 1,
        "ie_flag": "I",
        "status": "草稿",
        "custom_master": "2244",
        "trade_name": "上海甲贸易有限公司",
        "client_seq_no": f"C{declaration_id}",
        "document": document(),
    }
    return DeclarationDrafted(**{**values, **fields})


async def sheet(service: Service, url: str, tenant: str = "acme", **params: Any) -> list[list[Any]]:
    response = await service.client.get(url, params=params, headers=bearer(tenant=tenant))
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == XLSX
    assert "filename*=UTF-8''" in response.headers["content-disposition"]
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    return [list(row) for row in book.worksheets[0].iter_rows(values_only=True)]


def column(rows: list[list[Any]], header: str) -> list[Any]:
    index = rows[0].index(header)
    return [row[index] for row in rows[1:]]


async def _three(service: Service) -> None:
    await service.deliver(
        service.envelope(
            drafted("d1", document=document("0110", goods=("笔记本电脑", "显示器"))), time=at(1)
        ),
        service.envelope(drafted("d2", document=document("0214")), time=at(3)),
        service.envelope(drafted("d3", ie_flag="E", document=document("0110")), time=at(2)),
    )
    receipt = ReceiptReceived(
        receipt_id="r1", channel="P", declaration_id="d1", notice_date=at(4), note="放行"
    )
    await service.deliver_sync(receipt)


async def test_the_sheet_is_the_list_with_names_next_to_codes(service: Service) -> None:
    await _three(service)
    rows = await sheet(service, f"{URL}/export.xlsx")
    assert rows[0] == HEADERS
    assert column(rows, "系统编号") == await service.found()  # the list's order: newest 最近操作时间 first
    by_id = {row[0]: dict(zip(HEADERS, row, strict=True)) for row in rows[1:]}
    d1 = by_id["d1"]
    assert (d1["监管方式代码"], d1["监管方式"]) == ("0110", "一般贸易")
    assert (d1["申报地（进出境关别）代码"], d1["申报地（进出境关别）"]) == ("2233", "浦东机场")
    assert d1["申报地海关代码"] == "2244"
    assert (d1["进出口标志"], d1["商品名称"], d1["商品项数"]) == ("进口", "笔记本电脑、显示器", 2)
    assert (d1["申报单号"], d1["境内收发货人"], d1["境内收发货人代码"]) == (
        "Cd1",
        "上海甲贸易有限公司",
        "3122440001",
    )
    assert (d1["申报状态代码"], d1["申报状态"], d1["回执说明"]) == ("P", "海关已放行", "放行")
    assert d1["回执时间"] == datetime(2026, 3, 1, 17, 4)  # Beijing time
    assert (by_id["d2"]["监管方式"], by_id["d3"]["进出口标志"]) == ("来料加工", "出口")
    assert by_id["d2"]["最近操作时间"] == datetime(2026, 3, 1, 17, 3)
    assert by_id["d2"]["申报状态"] is None


async def test_the_filters_order_and_selection_are_the_lists(service: Service) -> None:
    await _three(service)
    assert column(await sheet(service, f"{URL}/export.xlsx", trade_mode="0110"), "系统编号") == ["d3", "d1"]
    sorted_asc = await sheet(service, f"{URL}/export.xlsx", sort="updated_at", order="asc")
    assert column(sorted_asc, "系统编号") == ["d1", "d3", "d2"]
    selected = await sheet(service, f"{URL}/export.xlsx", ids=["d2", "d1"])
    assert sorted(column(selected, "系统编号")) == ["d1", "d2"]
    both = await sheet(service, f"{URL}/export.xlsx", ids=["d2", "d1"], trade_mode="0110")
    assert column(both, "系统编号") == ["d1"]


async def test_another_tenant_exports_none_of_them(service: Service) -> None:
    await _three(service)
    assert await sheet(service, f"{URL}/export.xlsx", tenant="other") == [HEADERS]
    assert await sheet(service, f"{URL}/export.xlsx", tenant="other", ids=["d1"]) == [HEADERS]


async def test_every_page_of_a_long_list_once_in_order(service: Service) -> None:
    count = PAGE * 2 + 7
    await service.deliver(
        *(service.envelope(drafted(f"n{i:04d}"), time=at(i % 97 + i / 10_000)) for i in range(count))
    )
    ids = column(await sheet(service, f"{URL}/export.xlsx"), "系统编号")
    listed_ids: list[str] = []
    cursor: str | None = None
    while True:
        params: dict[str, Any] = {"limit": 500, **({"cursor": cursor} if cursor else {})}
        page = (await service.client.get(URL, params=params, headers=bearer())).json()
        listed_ids += [row["declaration_id"] for row in page["items"]]
        if not (cursor := page["next_cursor"]):
            break
    assert len(ids) == count == len(set(ids))
    assert ids == listed_ids


async def test_the_summary_export_holds_only_summary_declarations(service: Service) -> None:
    await service.deliver(
        service.envelope(drafted("s1", document=document(two_step=True)), time=at(1)),
        service.envelope(drafted("f1"), time=at(2)),
    )
    recent = {"updated_from": "2026-03-01T00:00:00+08:00"}  # the list's default is the last 7 days from now
    rows = await sheet(service, "/api/query/summary-declarations/export.xlsx", **recent)
    assert rows[0] == HEADERS
    assert column(rows, "系统编号") == ["s1"]
    assert column(rows, "两步申报") == ["概要申报"]
    assert await sheet(service, "/api/query/summary-declarations/export.xlsx") == [
        HEADERS
    ]  # March is long gone


async def test_the_bonded_list_export(service: Service) -> None:
    await service.deliver_sync(
        listed(seq(1), 1, bond_invt_no=qd(1), list_stat="0", data_source="2", updated=at(10)),
        listed(seq(2), 1, bond_invt_no=qd(2), list_stat="1", ie_flag="E", updated=at(30)),
    )
    headers = [c.header for c in BONDED_LIST_COLUMNS]
    rows = await sheet(service, f"{BONDED_URL}/export.xlsx")
    assert rows[0] == headers
    assert column(rows, "统一编号") == [seq(2), seq(1)]
    first = dict(zip(headers, rows[2], strict=True))
    assert (first["清单编号"], first["数据状态代码"], first["数据状态"]) == (qd(1), "0", "审核通过")
    assert (first["数据源代码"], first["数据源"], first["进出口标志"]) == ("2", "报文导入", "进口")
    assert first["最近操作时间"] == datetime(2026, 3, 1, 17, 10)
    assert column(await sheet(service, f"{BONDED_URL}/export.xlsx", list_stat="1"), "统一编号") == [seq(2)]
    selected = await sheet(service, f"{BONDED_URL}/export.xlsx", ids=[qd(1), seq(2), "I2026999"])
    assert column(selected, "统一编号") == [seq(1), seq(2)]
    assert await sheet(service, f"{BONDED_URL}/export.xlsx", tenant="other") == [headers]


async def test_a_bad_criterion_is_refused_before_any_sheet(service: Service) -> None:
    for url, params in (
        (f"{URL}/export.xlsx", {"ie_flag": "X"}),
        (f"{URL}/export.xlsx", {"updated_from": "2026-03-02T00:00:00", "updated_to": "2026-03-01T00:00:00"}),
        (f"{BONDED_URL}/export.xlsx", {"list_stat": "9"}),
        (f"{URL}/export.xlsx", {"ids": [f"d{i}" for i in range(1001)]}),
    ):
        response = await service.client.get(url, params=params, headers=bearer())
        assert response.status_code == 422, (url, params, response.text)
        assert response.headers["content-type"].startswith("application/json")
    assert (await service.client.get(f"{URL}/export.xlsx")).status_code == 401


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice (deploy/local/print-tools.sh)")
def test_libreoffice_opens_the_export(tmp_path: Path) -> None:
    async def exported() -> bytes:
        async with running_service() as service:
            await _three(service)
            response = await service.client.get(f"{URL}/export.xlsx", headers=bearer())
            assert response.status_code == 200
            return bytes(response.content)

    (tmp_path / "list.xlsx").write_bytes(asyncio.run(exported()))
    done = subprocess.run(
        ["soffice", f"-env:UserInstallation={(tmp_path / 'profile').as_uri()}", "--headless", "--convert-to",
         "csv:Text - txt - csv (StarCalc):44,34,76", "--outdir", str(tmp_path), str(tmp_path / "list.xlsx")],
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    converted = tmp_path / "list.csv"
    assert converted.exists(), (done.returncode, done.stdout, done.stderr)
    lines = list(csv.reader(converted.read_text(encoding="utf-8").splitlines()))
    assert lines[0] == HEADERS
    assert [line[0] for line in lines[1:]] == ["d2", "d3", "d1"]
    assert "一般贸易" in lines[3] and "2026-03-01 17:04:00" in lines[3]
