"""异常状态登记 through the console's routes in the embedded system: the seed's query fields, 新增 with its
starred fields (each missing one named at its field), 编辑 with a stale version kept, 变更状态, 删除 of several
rows, attachments, 统计分析's SVG counts; and the pure pieces (the form as the API's body, refusals by field,
the charts' geometry)."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import pytest
from console_system import console_system, hidden_csrf, log_in
from embedded_system import bearer, eventually

from guanwu.cli.embedded import EmbeddedSystem
from guanwu.console.domain.anomaly import (
    SCREENS,
    anomaly_body,
    counted,
    field_errors,
    horizontal_chart,
    missing_fields,
    months_between,
    statistics_range,
    trend_chart,
)

pytestmark = pytest.mark.unit

DECLARATIONS = "/console/anomalies/declaration"
ENTRY_ID = "610120260000012345"  # 9th digit 0: 出口
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


# ── pure ─────────────────────────────────────────────────────────────────────────────────────────────────


def test_the_form_becomes_the_apis_body() -> None:
    screen = SCREENS["declaration"]
    values = {
        "document_no": "610120260000012345",
        "anomaly_type": "查验",
        "occurred_on": "2026-03-02",
        "penalized": "false",
        "handling_status": "处理中",
        "completed_on": "2026-03-05",
        "trade_name": "",
    }
    body = anomaly_body(screen, values, new=True)
    assert body == {
        "document_no": "610120260000012345",
        "anomaly_type": "查验",
        "occurred_on": "2026-03-02",
        "penalized": False,
        "handling_status": "处理中",
        "category": "declaration",
    }  # 完成日期 only at 已处理; empty fields not sent
    edit = anomaly_body(SCREENS["bonded-list"], {**values, "document_no": "qd610126e000000001"}, new=False)
    assert "category" not in edit and "handling_status" not in edit
    assert edit["document_no"] == "QD610126E000000001" and edit["completed_on"] == "2026-03-05"


def test_each_missing_starred_field_is_named() -> None:
    missing = missing_fields(SCREENS["bonded-list"], {"anomaly_type": "删单"}, new=True)
    assert missing == {
        "document_no": "请填写核注清单编号",
        "occurred_on": "请填写发生日期",
        "handling_status": "请选择处理状态",
    }
    assert "handling_status" not in missing_fields(SCREENS["declaration"], {}, new=False)


def test_the_apis_refusals_go_to_their_fields() -> None:
    rule = {
        "code": "anomaly.invalid_document_no",
        "message_zh": "报关单号第 9 位应为进出口标志",
        "field": "document_no",
    }
    assert field_errors(rule, ["document_no"]) == ({"document_no": "报关单号第 9 位应为进出口标志"}, None)
    schema = {
        "message_zh": "请求数据有误",
        "fields": [
            {"field": "body.occurred_on", "message_zh": "日期格式不正确"},
            {"field": "body.category", "message_zh": "取值不正确"},
        ],
    }
    assert field_errors(schema, ["occurred_on"]) == ({"occurred_on": "日期格式不正确"}, "取值不正确")
    assert field_errors({"message_zh": "与当前状态冲突"}, ["reason"]) == ({}, None)


def test_the_charts_are_laid_out_to_scale() -> None:
    rows = counted([{"value": "查验", "count": 4}, {"value": "删单", "count": 2}], ("删单", "删改单", "查验"))
    assert rows == [("删单", 2), ("删改单", 0), ("查验", 4)]
    chart = horizontal_chart("按异常类型", rows)
    widths = {b.label: b.width for b in chart.bars}
    assert widths["查验"] == 2 * widths["删单"] and widths["删改单"] == 0
    assert chart.total == 6 and "查验 4 条" in chart.summary
    assert counted([{"value": None, "count": 1}, {"value": True, "count": 3}], (True, False)) == [
        ("是", 3),
        ("否", 0),
        ("未填写", 1),
    ]
    months = months_between(date(2025, 11, 20), date(2026, 2, 1))
    assert months == ["2025-11", "2025-12", "2026-01", "2026-02"]
    trend = trend_chart([{"month": "2026-01", "count": 4, "open": 1, "by_type": {}}], months)
    january = [b for b in trend.bars if b.label == "2026年01月"]
    assert [(b.series, b.count) for b in january] == [("count", 4), ("open", 1)]
    assert january[0].height == 4 * january[1].height and len(trend.bars) == 8
    assert statistics_range({}, date(2026, 11, 30)) == ("2025-12-01", "2026-11-30")
    assert statistics_range({}, date(2026, 12, 5)) == ("2026-01-01", "2026-12-05")
    assert statistics_range({"q": "1", "occurred_from": ""}, date(2026, 12, 5)) == ("", "")


# ── through the routes ───────────────────────────────────────────────────────────────────────────────────


async def post_form(
    client: httpx.AsyncClient, page_url: str, action: str, data: dict[str, Any], **kw: Any
) -> httpx.Response:
    page = await client.get(page_url)
    return await client.post(action, data={**data, "csrf_token": hidden_csrf(page.text)}, **kw)


def field_error(html: str, name: str) -> str | None:
    """The message shown at the form's field `name` (between its `data-field` and the next one)."""
    if f'data-field="{name}"' not in html:
        return None
    chunk = html.split(f'data-field="{name}"', 1)[1].split("data-field=", 1)[0]
    found = re.search(r'<p class="field-error"[^>]*>([^<]+)</p>', chunk)
    return found[1] if found else None


def row_ids(html: str) -> list[str]:
    return re.findall(r'<tr data-id="([^"]+)">', html)


async def register(
    system: EmbeddedSystem, client: httpx.AsyncClient, tenant: str, **fields: Any
) -> dict[str, Any]:
    body = {"document_no": ENTRY_ID, "anomaly_type": "查验", "occurred_on": "2026-03-02", **fields}
    answer = await client.post(
        "/api/anomaly/anomalies", json=body, headers=bearer(system, tenant, ("preparer",))
    )
    assert answer.status_code == 201, answer.text
    record: dict[str, Any] = answer.json()
    return record


async def test_new_names_each_missing_field_keeps_the_input_then_saves(tmp_path: Path) -> None:
    async with console_system(tmp_path) as (_, client):
        await log_in(client, "zhang")
        form = await client.get(f"{DECLARATIONS}/new")
        assert form.status_code == 200
        for starred in ("报关单号", "异常类型", "发生日期", "处理状态"):
            assert re.search(rf'<span class="req" aria-hidden="true">\*</span>{starred}</label>', form.text)
        data = {
            "document_no": "",
            "anomaly_type": "查验",
            "occurred_on": "2026-03-02",
            "trade_name": "西安贸易",
        }
        refused = await post_form(client, f"{DECLARATIONS}/new", f"{DECLARATIONS}/new", data)
        assert refused.status_code == 422
        assert field_error(refused.text, "document_no") == "请填写报关单号"
        assert field_error(refused.text, "anomaly_type") is None
        assert 'value="西安贸易"' in refused.text  # the input is kept

        data["document_no"] = "610120261000012345"  # 9th digit 1: an import number, but 进出口 says 出口
        data.update(ie_flag="E", handling_status="未处理")
        wrong = await post_form(client, f"{DECLARATIONS}/new", f"{DECLARATIONS}/new", data)
        assert wrong.status_code == 422 and field_error(wrong.text, "document_no")

        data["document_no"] = ENTRY_ID
        saved = await post_form(client, f"{DECLARATIONS}/new", f"{DECLARATIONS}/new", data)
        assert saved.status_code == 303 and saved.headers["location"].endswith("done=created")
        listed = await client.get(saved.headers["location"])
        assert "异常登记已保存" in listed.text and ENTRY_ID in listed.text and "西安贸易" in listed.text


async def test_the_list_searches_by_the_seeds_fields_and_shows_only_the_tenants(tmp_path: Path) -> None:
    async with console_system(tmp_path) as (system, client):
        ours = await register(system, client, "acme", responsible_person="张三", penalized=True)
        other = await register(system, client, "acme", anomaly_type="退单", document_no="610120260000054321")
        theirs = await register(system, client, "other")
        await log_in(client, "li")
        page = (await client.get(DECLARATIONS)).text
        assert set(row_ids(page)) == {ours["anomaly_id"], other["anomaly_id"]}
        for label in ("委托企业", "责任岗位", "海关是否处罚", "完成日期"):
            assert f">{label}</label>" in page
        found = (
            await client.get(DECLARATIONS, params={"responsible_person": "张三", "penalized": "true"})
        ).text
        assert row_ids(found) == [ours["anomaly_id"]] and theirs["anomaly_id"] not in found
        assert row_ids((await client.get(DECLARATIONS, params={"anomaly_type": "退单"})).text) == [
            other["anomaly_id"]
        ]
        assert "暂无数据" in (await client.get("/console/anomalies/bonded-list")).text


async def test_edit_status_attachments_and_deleting_two(tmp_path: Path) -> None:
    async with console_system(tmp_path) as (system, client):
        first = await register(system, client, "acme")
        second = await register(system, client, "acme", document_no="610120260000054321")
        await log_in(client, "zhang")
        url = f"{DECLARATIONS}/{first['anomaly_id']}"
        data = {"document_no": ENTRY_ID, "anomaly_type": "退单", "occurred_on": "2026-03-02", "version": "1"}
        await register_change(system, client, first["anomaly_id"])  # someone else saves meanwhile
        stale = await post_form(client, url, url, data)
        assert stale.status_code == 409 and "已被他人修改" in stale.text
        assert '<option value="退单" selected>' in stale.text and 'name="version" value="2"' in stale.text
        saved = await post_form(client, url, url, {**data, "version": "2"})
        assert saved.status_code == 303 and saved.headers["location"].endswith("done=saved")

        status_url = f"{url}/status"
        missing = await post_form(client, status_url, status_url, {"to_status": "已处理", "version": "3"})
        assert missing.status_code == 422 and "请填写完成日期" in missing.text
        done = {"to_status": "已处理", "completed_on": "2026-03-04", "version": "3"}
        assert (await post_form(client, status_url, status_url, done)).status_code == 303
        back = await post_form(client, status_url, status_url, {"to_status": "处理中", "version": "4"})
        assert back.status_code == 422 and "请填写原因" in back.text

        page = await client.get(url)
        upload = await client.post(
            f"{url}/attachments",
            data={"csrf_token": hidden_csrf(page.text)},
            files={"file": ("查验通知.pdf", PDF, "application/pdf")},
        )
        assert upload.status_code == 303
        page = await client.get(url)
        [attachment] = re.findall(rf'href="({url}/attachments/[^"]+)"', page.text)
        downloaded = await client.get(attachment)
        assert downloaded.content == PDF and downloaded.headers["content-type"].startswith("application/pdf")
        assert "修改" in page.text and "异常类型：查验 → 退单" in page.text  # the history
        not_a_pdf = await client.post(
            f"{url}/attachments",
            data={"csrf_token": hidden_csrf(page.text)},
            files={"file": ("x.pdf", b"\x00\x01binary", "application/pdf")},
        )
        assert not_a_pdf.status_code == 422 and "附件未上传" in not_a_pdf.text

        ids = [first["anomaly_id"], second["anomaly_id"]]
        no_reason = await post_form(
            client, DECLARATIONS, f"{DECLARATIONS}/delete", {"ids": ids, "reason": ""}
        )
        assert no_reason.status_code == 422 and "请填写删除原因" in no_reason.text
        deleted = await post_form(
            client, DECLARATIONS, f"{DECLARATIONS}/delete", {"ids": ids, "reason": "重复登记"}
        )
        assert "删除：成功 2 条，未成功 0 条" in deleted.text and row_ids(deleted.text) == []
        again = await post_form(
            client, DECLARATIONS, f"{DECLARATIONS}/delete", {"ids": ids[:1], "reason": "再删"}
        )
        assert "未成功 1 条" in again.text and "未找到" in again.text


async def register_change(system: EmbeddedSystem, client: httpx.AsyncClient, anomaly_id: str) -> None:
    body = {
        "document_no": ENTRY_ID,
        "anomaly_type": "查验",
        "occurred_on": "2026-03-02",
        "responsible_post": "单证",
    }
    headers = {**bearer(system, "acme", ("manager",)), "If-Match": '"1"'}
    answer = await client.put(f"/api/anomaly/anomalies/{anomaly_id}", json=body, headers=headers)
    assert answer.status_code == 200, answer.text


async def test_a_file_chosen_at_new_is_attached_to_the_new_record(tmp_path: Path) -> None:
    async with console_system(tmp_path) as (_, client):
        await log_in(client, "li")
        page = await client.get(f"{DECLARATIONS}/new")
        form = {
            "document_no": ENTRY_ID,
            "anomaly_type": "删单",
            "occurred_on": "2026-03-02",
            "handling_status": "未处理",
        }
        saved = await client.post(
            f"{DECLARATIONS}/new",
            data={**form, "csrf_token": hidden_csrf(page.text)},
            files={"file": ("删单通知.pdf", PDF, "application/pdf")},
        )
        assert saved.status_code == 303
        [anomaly_id] = row_ids((await client.get(DECLARATIONS)).text)
        record = (await client.get(f"{DECLARATIONS}/{anomaly_id}")).text
        assert "附件（1）" in record and "删单通知.pdf" in record


async def test_a_file_over_the_apis_limit_is_refused_with_its_message(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GUANWU_ANOMALY_ATTACHMENT_MAX_BYTES", "1024")
    async with console_system(tmp_path) as (system, client):
        record = await register(system, client, "acme")
        await log_in(client, "zhang")
        url = f"{DECLARATIONS}/{record['anomaly_id']}"
        page = await client.get(url)
        large = PDF + b"0" * 2048
        refused = await client.post(
            f"{url}/attachments",
            data={"csrf_token": hidden_csrf(page.text)},
            files={"file": ("大文件.pdf", large, "application/pdf")},
        )
        assert refused.status_code == 413 and "附件未上传：附件不能超过" in refused.text
        assert "附件（0）" in refused.text


async def test_another_tenants_record_is_not_found(tmp_path: Path) -> None:
    async with console_system(tmp_path) as (system, client):
        theirs = await register(system, client, "other")
        await log_in(client, "zhang")
        page = await client.get(f"{DECLARATIONS}/{theirs['anomaly_id']}")
        assert page.status_code == 404 and ENTRY_ID not in page.text
        wrong_screen = await register(system, client, "acme")
        assert (
            await client.get(f"/console/anomalies/bonded-list/{wrong_screen['anomaly_id']}")
        ).status_code == 404


async def test_statistics_draw_the_counts(tmp_path: Path) -> None:
    async with console_system(tmp_path) as (system, client):
        today = date.today().isoformat()
        for kind in ("查验", "查验", "删单"):
            await register(system, client, "acme", anomaly_type=kind, occurred_on=today)
        await register(system, client, "other", anomaly_type="退单", occurred_on=today)
        await log_in(client, "li")

        async def counted_all() -> str | None:
            page = (await client.get("/console/anomalies/statistics")).text
            return page if 'class="total">3<' in page else None

        page = await eventually(counted_all)
        bars = dict(re.findall(r'<g class="bar" data-label="([^"]+)" data-count="(\d+)">', page))
        assert (bars["查验"], bars["删单"], bars["退单"], bars["未处理"]) == ("2", "1", "0", "3")
        assert '<svg class="chart" data-chart="按异常类型" role="img"' in page
        month = today[:4] + "年" + today[5:7] + "月"
        assert f'data-label="{month}" data-series="count" data-count="3"' in page
        empty = await client.get(
            "/console/anomalies/statistics", params={"q": "1", "category": "bonded_list"}
        )
        assert 'class="total">0<' in empty.text
