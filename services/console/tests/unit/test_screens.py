"""The menu by role and the list screens over the services' APIs, each tenant seeing only its own rows."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
from console_system import console_system, log_in
from embedded_system import bearer, eventually

from guanwu.cli.embedded import EmbeddedSystem
from guanwu.console.domain.menu import MENU, Paging, chinese_date, chinese_datetime
from guanwu.console.entrypoints.pages import templates
from guanwu.customs import fixtures

pytestmark = pytest.mark.unit


def test_dates_are_written_the_chinese_way_in_china_time() -> None:
    assert chinese_datetime("2024-05-01T18:03:00Z") == "2024年05月02日 02:03"
    assert chinese_date("2024-05-01") == "2024年05月01日"
    assert chinese_datetime(None) == ""


def test_paging_counts_pages_and_skips() -> None:
    paging = Paging(page=3, size=20, total=41)
    assert (paging.pages, paging.skip, paging.has_next, paging.has_previous) == (3, 40, False, True)
    assert Paging(1, 20, 0).pages == 1


@pytest.mark.parametrize(
    ("user", "shown", "hidden"),
    [
        ("zhang", ["报关单制单", "出口报关单", "进境转关提前备案清单", "报关数据查询"], ["报关单审核"]),
        ("li", ["报关单审核", "报关单异常"], ["出口报关单", "数据同步"]),
        ("boss", [item.title for group in MENU for item in group.items], []),
    ],
)
async def test_the_menu_follows_the_roles(
    tmp_path: Path, user: str, shown: list[str], hidden: list[str]
) -> None:
    async with console_system(tmp_path) as (_, client):
        await log_in(client, user)
        home = (await client.get("/console/")).text
        nav = home.split('<nav class="menu"')[1].split("</nav>")[0]
        assert all(f">{title}<" in nav for title in shown)
        assert not any(f">{title}<" in nav for title in hidden)


async def test_a_screen_outside_the_roles_is_refused(tmp_path: Path) -> None:
    async with console_system(tmp_path) as (_, client):
        await log_in(client, "zhang")
        refused = await client.get("/console/review/tasks")
        assert refused.status_code == 403 and "无权" in refused.text


async def test_every_unbuilt_screen_says_so(tmp_path: Path) -> None:
    async with console_system(tmp_path) as (_, client):
        await log_in(client, "boss")
        for item in (i for g in MENU for i in g.items):
            page = await client.get(item.path)
            assert page.status_code == 200, item.path
            assert f"<h1>{item.title}</h1>" in page.text
            assert ("尚未建成" in page.text) == (not item.built), item.path


async def draft(system: EmbeddedSystem, client: httpx.AsyncClient, tenant: str, user: str) -> dict[str, Any]:
    document = fixtures.export_sea_general_trade().model_dump(mode="json", exclude_none=True)
    answer = await client.post(
        "/api/declaration/declarations", json=document, headers=bearer(system, tenant, ("preparer",), user)
    )
    assert answer.status_code == 201, answer.text
    body: dict[str, Any] = answer.json()
    return body


async def test_the_export_list_shows_the_tenants_own_declarations(tmp_path: Path) -> None:
    async with console_system(tmp_path) as (system, client):
        ours = await draft(system, client, "acme", "zhang")
        theirs = await draft(system, client, "other", "wang")
        await log_in(client, "zhang")

        async def listed() -> str | None:
            # The list's rows and its total are two reads of the projection: a page read while the draft was
            # being projected may show the row with the total before it, so wait for both.
            page = (await client.get("/console/declarations/export-declaration")).text
            return page if ours["declaration_id"] in page and "共 1 条" in page else None

        page = await eventually(listed)
        assert theirs["declaration_id"] not in page
        assert "草稿" in page and "年" in page  # a Chinese date
        imports = (await client.get("/console/declarations/import-declaration")).text
        assert ours["declaration_id"] not in imports and "暂无数据" in imports


async def test_the_review_list_shows_submitted_declarations_of_the_tenant(tmp_path: Path) -> None:
    async with console_system(tmp_path) as (system, client):
        ours = await draft(system, client, "acme", "zhang")
        url = f"/api/declaration/declarations/{ours['declaration_id']}/submit"
        headers = {**bearer(system, "acme", ("preparer",), "zhang"), "If-Match": '"1"'}
        assert (await client.post(url, headers=headers)).status_code < 300
        theirs = await draft(system, client, "other", "wang")
        await log_in(client, "li")

        async def listed() -> str | None:
            page = (await client.get("/console/review/tasks", params={"status": "待审核"})).text
            return page if ours["declaration_id"] in page else None

        page = await eventually(listed)
        assert theirs["declaration_id"] not in page and "待审核" in page


async def test_the_anomaly_and_query_lists_read_their_services(tmp_path: Path) -> None:
    async with console_system(tmp_path) as (system, client):
        for tenant, number in (("acme", "610120240000000001"), ("other", "610120240000000002")):
            body = {"document_no": number, "anomaly_type": "查验", "occurred_on": "2024-05-01"}
            headers = bearer(system, tenant, ("preparer",))
            assert (
                await client.post("/api/anomaly/anomalies", json=body, headers=headers)
            ).status_code == 201
        ours = await draft(system, client, "acme", "zhang")
        await log_in(client, "zhang")
        anomalies = (await client.get("/console/anomalies/declaration")).text
        assert "610120240000000001" in anomalies and "610120240000000002" not in anomalies
        assert "2024年05月01日" in anomalies
        assert "暂无数据" in (await client.get("/console/anomalies/bonded-list")).text

        async def listed() -> str | None:
            page = (await client.get("/console/query/declarations", params={"ie_flag": "E"})).text
            return page if ours["declaration_id"] in page else None

        assert 'value="E" selected' in await eventually(listed)


def test_the_lists_pager_links_pages_by_a_function_or_an_address() -> None:
    page = templates.env.from_string('{% from "_pager.html" import pager %}{{ pager(paging, url) }}')
    middle = Paging(page=2, size=20, total=45)
    by_function = page.render(paging=middle, url=lambda n: f"/list?page={n}")
    assert "共 45 条，第 2 / 3 页" in by_function
    assert (
        '<a href="/list?page=1">上一页</a>' in by_function
        and '<a href="/list?page=3">下一页</a>' in by_function
    )
    by_address = page.render(paging=Paging(page=1, size=20, total=45), url="/a?x=1&page=")
    assert '<a href="/a?x=1&amp;page=2">下一页</a>' in by_address and "上一页" not in by_address
