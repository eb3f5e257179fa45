"""数据同步: the 报关数据同步 and 核注清单数据同步 screens start jobs through the sync API against the embedded
system's Single Window simulator and show them to the end, with the API's refusals at their fields."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from console_system import console_system, hidden_csrf, log_in
from embedded_system import eventually

from guanwu.console.domain.sync import BONDED_LISTS, DECLARATIONS, criteria, criteria_summary

pytestmark = pytest.mark.unit

START = (datetime.now(UTC) - timedelta(days=4)).replace(microsecond=0)


async def seed(client: httpx.AsyncClient, declarations: int, bonded_lists: int) -> None:
    body = {
        "enterprise": "acme",
        "seed": 7,
        "declarations": declarations,
        "bonded_lists": bonded_lists,
        "start": START.isoformat(),
        "days": 3,
    }
    answer = await client.post("/sim/datasets", json=body)
    assert answer.status_code == 201, answer.text


async def count(client: httpx.AsyncClient, body: dict[str, Any]) -> int:
    filters = {k: v for k, v in body.items() if k != "mode"}
    answer = await client.get("/sim/datasets/acme/count", params=filters)
    assert answer.status_code == 200, answer.text
    return int(answer.json()["count"])


def job_row(page: str) -> str:
    """The first (newest) row of the jobs table."""
    found = re.search(r'<tr data-job="[^"]+"[^>]*>(.*?)</tr>', page, re.S)
    assert found, page
    return found[1]


async def finished_row(client: httpx.AsyncClient, path: str) -> str:
    async def done() -> str | None:
        fragment = (await client.get(f"{path}/jobs")).text
        row = job_row(fragment)
        return fragment if re.search(r'class="state">(已完成|失败|已取消)', row) else None

    fragment: str = await eventually(done)
    return fragment


def test_the_by_day_criteria_cover_whole_china_days_and_leave_empty_options_out() -> None:
    form = {
        "updated_from": "2026-11-24",
        "updated_to": "2026-11-30",
        "enterprise_category": "1",
        "trade_name": "",
    }
    body = criteria(DECLARATIONS, "by_day", form)
    assert body == {
        "kind": "declarations",
        "mode": "by_day",
        "updated_from": "2026-11-24T00:00:00+08:00",
        "updated_to": "2026-12-01T00:00:00+08:00",
        "enterprise_category": "1",
    }
    job = {"mode": "by_day", "criteria": body}
    assert (
        criteria_summary(job, DECLARATIONS)
        == "按天同步 · 2026年11月24日 至 2026年11月30日 · 企业类别 1 境内收发货人"
    )


async def test_the_declarations_screen_syncs_by_day_to_completed(tmp_path: Path) -> None:
    async with console_system(tmp_path, simulator=True) as (_, client):
        await seed(client, declarations=30, bonded_lists=0)
        await log_in(client, "zhang")
        page = await client.get(DECLARATIONS.path)
        assert page.status_code == 200 and "<h1>报关数据同步</h1>" in page.text
        for label in (
            "按票同步",
            "按天同步",
            "统一编号",
            "企业类别",
            "报关单类型",
            "最近操作时间",
            "境内收发货人",
        ):
            assert label in page.text, label
        assert '<option value="1" selected>1 境内收发货人</option>' in page.text
        assert '<option value="4" >4 出口二次转关</option>' in page.text
        china_today = (datetime.now(UTC) + timedelta(hours=8)).date()
        assert f'value="{(china_today - timedelta(days=6)).isoformat()}"' in page.text
        assert f'value="{china_today.isoformat()}"' in page.text
        assert "暂无同步任务" in page.text and ">确定<" in page.text

        form = {
            "csrf_token": hidden_csrf(page.text),
            "mode": "by_day",
            "updated_from": (china_today - timedelta(days=6)).isoformat(),
            "updated_to": china_today.isoformat(),
            "enterprise_category": "1",
            "trade_name": "",
        }
        expected = await count(client, criteria(DECLARATIONS, "by_day", form))
        assert expected > 0
        started = await client.post(DECLARATIONS.path, data=form)
        assert started.status_code == 303, started.text
        shown = await client.get(started.headers["location"])
        assert "同步任务已创建" in shown.text and "按天同步 · " in shown.text

        fragment = await finished_row(client, DECLARATIONS.path)
        row = job_row(fragment)
        assert 'class="state">已完成' in row, row
        assert f'class="num fetched">{expected}<' in row and f'class="num written">{expected}<' in row
        assert f"{expected} / {expected}" in row
        assert "hx-trigger" not in fragment  # a finished list stops polling


async def test_the_bonded_lists_screen_syncs_by_ticket_and_by_day(tmp_path: Path) -> None:
    async with console_system(tmp_path, simulator=True) as (_, client):
        await seed(client, declarations=0, bonded_lists=20)
        await log_in(client, "zhang")
        page = await client.get(BONDED_LISTS.path, params={"mode": "by_day"})
        assert "<h1>核注清单数据同步</h1>" in page.text
        for label in ("企业类型", "统一编号/清单编号", "数据源", "进出口标志", "数据状态", "最近操作时间"):
            assert label in page.text, label
        assert "1 经营企业" in page.text and "2 报文导入" in page.text and "3 删单" in page.text
        china_today = (datetime.now(UTC) + timedelta(hours=8)).date()
        form = {
            "csrf_token": hidden_csrf(page.text),
            "mode": "by_day",
            "updated_from": (china_today - timedelta(days=6)).isoformat(),
            "updated_to": china_today.isoformat(),
            "data_status": "",
            "enterprise_type": "1",
            "data_source": "1",
            "ie_flag": "",
        }
        expected = await count(client, criteria(BONDED_LISTS, "by_day", form))
        assert (await client.post(BONDED_LISTS.path, data=form)).status_code == 303
        row = job_row(await finished_row(client, BONDED_LISTS.path))
        assert 'class="state">已完成' in row and f'class="num written">{expected}<' in row

        bad = {**form, "mode": "by_ticket", "number": "QD12", "ie_flag": "E"}
        refused = await client.post(BONDED_LISTS.path, data=bad)
        assert refused.status_code == 422
        assert "请求数据有误" in refused.text
        assert re.search(
            r'<p class="field-error" id="e-f-by_ticket-number" data-field="number">[^<]+</p>', refused.text
        )
        assert 'value="QD12"' in refused.text  # what was typed is kept


async def test_a_refused_request_shows_the_apis_message_at_its_field(tmp_path: Path) -> None:
    async with console_system(tmp_path, simulator=True) as (_, client):
        await log_in(client, "zhang")
        page = await client.get(DECLARATIONS.path)
        csrf = hidden_csrf(page.text)
        backwards = {
            "csrf_token": csrf,
            "mode": "by_day",
            "updated_from": "2026-11-30",
            "updated_to": "2026-11-20",
            "enterprise_category": "1",
        }
        refused = await client.post(DECLARATIONS.path, data=backwards)
        assert refused.status_code == 422
        error = re.search(r'data-field="updated">([^<]+)</p>', refused.text)
        assert error and "updated_to must be after updated_from" in error[1], refused.text
        assert "aria-invalid" in refused.text

        wrong_year = "E18000000000000001"  # the right length, the wrong form: the kernel's reason
        wrong_form = {
            "csrf_token": csrf,
            "mode": "by_ticket",
            "seq_no": wrong_year,
            "enterprise_category": "1",
        }
        wrong_form["entry_kind"] = "0"
        refused = await client.post(DECLARATIONS.path, data=wrong_form)
        assert refused.status_code == 422, refused.text
        error = re.search(r'data-field="seq_no">([^<]+)</p>', refused.text)
        assert error and "统一编号中的年份" in error[1], refused.text
        assert "暂无同步任务" in refused.text  # nothing started


async def test_the_sync_forms_hold_csrf_and_roles(tmp_path: Path) -> None:
    async with console_system(tmp_path, simulator=True) as (_, client):
        await log_in(client, "zhang")
        form = {"mode": "by_day", "updated_from": date.today().isoformat(), "enterprise_category": "1"}
        assert (await client.post(DECLARATIONS.path, data=form)).status_code == 403
        assert (await client.post(DECLARATIONS.path, data={**form, "csrf_token": "guess"})).status_code == 403
        assert "暂无同步任务" in (await client.get(DECLARATIONS.path)).text
        await client.post(
            "/console/logout", data={"csrf_token": hidden_csrf((await client.get("/console/")).text)}
        )
        await log_in(client, "li")  # a reviewer: the sync API refuses reviewers
        assert (await client.get(BONDED_LISTS.path)).status_code == 403
        assert (await client.get(f"{BONDED_LISTS.path}/jobs")).status_code == 403


async def test_quarantined_records_are_listed_with_their_reason(tmp_path: Path) -> None:
    async with console_system(tmp_path, simulator=True) as (_, client):
        await seed(client, declarations=40, bonded_lists=0)
        faults = {"enterprise": "acme", "seed": 3, "malformed_rate": 0.3}
        assert (await client.put("/sim/faults", json=faults)).is_success
        await log_in(client, "zhang")
        page = await client.get(DECLARATIONS.path, params={"mode": "by_day"})
        china_today = (datetime.now(UTC) + timedelta(hours=8)).date()
        form = {
            "csrf_token": hidden_csrf(page.text),
            "mode": "by_day",
            "updated_from": (china_today - timedelta(days=6)).isoformat(),
            "updated_to": china_today.isoformat(),
            "enterprise_category": "1",
        }
        assert (await client.post(DECLARATIONS.path, data=form)).status_code == 303
        row = job_row(await finished_row(client, DECLARATIONS.path))
        quarantined = re.search(r'class="num quarantined">(\d+)<', row)
        assert quarantined and int(quarantined[1]) > 0, row
        link = re.search(r'href="([^"]+/quarantine)">隔离记录（(\d+)）', row)
        assert link and link[2] == quarantined[1], row
        listed = await client.get(link[1])
        assert listed.status_code == 200 and "隔离记录" in listed.text
        assert f"共 {quarantined[1]} 条" in listed.text
        reasons = re.findall(r'<td class="wrap reason">([^<]+)</td>', listed.text)
        assert reasons and all(r.strip() for r in reasons)
