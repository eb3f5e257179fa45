"""报关单制单 beyond the editor's own form: 生成报关单 on a 制单 list (its own small form, 报关数据查询's call), and a
save whose session has expired coming back to the editor, after the login, with `restore` (the browser kept the
form: `static/editor.js`; `tests/e2e/test_browser_polish.py` restores it in chromium)."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from console_system import PASSWORD, console_system, draft, hidden_csrf, log_in
from embedded_system import eventually
from unit.test_editor import post_editor, state_of

from guanwu.contracts.events import BondedListSynced
from guanwu.customs import fixtures
from guanwu.platform.events import envelope_for

pytestmark = pytest.mark.unit

LIST = "/console/declarations/import-declaration"


async def test_a_declaration_list_generates_a_declaration_from_a_bonded_list_in_place(tmp_path: Path) -> None:
    async with console_system(tmp_path) as (system, client):
        bonded = fixtures.bonded_list()
        number = "QD530126I000000078"
        head = bonded.head.model_copy(update={"seq_no": "I20260000000000078", "bond_invt_no": number})
        synced = BondedListSynced(
            seq_no="I20260000000000078",
            bond_invt_no=number,
            list_stat="0",  # 预审批通过
            sw_version=1,
            sw_updated_at=datetime.now(UTC),
            bonded_list=bonded.model_copy(update={"head": head}),
        )
        await system.runtime.bus.publish_many([envelope_for(synced, source="/guanwu/sync", tenant="acme")])
        await log_in(client, "zhang")
        listing = (await client.get(LIST)).text
        assert f'<form id="from-bonded-list" method="post" action="{LIST}/from-bonded-list"' in listing
        assert 'form="from-bonded-list" name="number"' in listing  # the number beside the button, in place
        assert "/console/query/declarations#bonded-list-number" not in listing  # no longer a link away
        form = {"csrf_token": hidden_csrf(listing), "number": ""}
        empty = await client.post(f"{LIST}/from-bonded-list", data=form)
        assert empty.status_code == 422 and "请填写核注清单编号" in empty.text
        assert empty.headers["HX-Push-Url"] == LIST and "<h1>进口报关单</h1>" in empty.text
        assert f'<form class="query" method="get" action="{LIST}"' in empty.text  # the list's own links

        async def generated() -> httpx.Response | None:
            answer = await client.post(
                f"{LIST}/from-bonded-list", data={**form, "number": number}, follow_redirects=False
            )
            return answer if answer.status_code == 303 else None

        answer = await eventually(generated)  # once the declaration service has the synced list
        detail = await client.get(answer.headers["location"])
        assert detail.status_code == 200 and "报关单详情" in detail.text and "草稿" in detail.text
        await log_in(client, "wang")  # another tenant: not theirs; the refusal on the list, the number kept
        form["csrf_token"] = hidden_csrf((await client.get(LIST)).text)
        refused = await client.post(f"{LIST}/from-bonded-list", data={**form, "number": number})
        assert refused.status_code == 404 and "生成报关单失败" in refused.text
        assert f'value="{number}" required' in refused.text
        assert (
            await client.post("/console/declarations/nowhere/from-bonded-list", data=form)
        ).status_code == 404


async def test_a_save_after_the_session_expired_comes_back_to_the_editor_offering_the_kept_edit(
    tmp_path: Path,
) -> None:
    async with console_system(tmp_path) as (system, client):
        ours = await draft(system, client, "acme", "zhang")
        await log_in(client, "zhang")
        edit = f"/console/declarations/{ours['declaration_id']}/edit"
        page = (await client.get(edit)).text
        state = state_of(page)
        assert state["restore"] is False and state["kept_key"] == f"guanwu-editor:{edit}"
        client.cookies.delete("guanwu_session")  # the token (and so the cookie) ran out while typing
        document = {**state["doc"], "head": {**state["doc"]["head"], "note_s": "会话过期前的备注"}}
        answer = await post_editor(client, edit, page, document, "save")
        assert answer.status_code == 303
        login = urlsplit(answer.headers["location"])
        assert login.path == "/console/login" and parse_qs(login.query)["next"] == [f"{edit}?restore=1"]
        login_page = (await client.get(answer.headers["location"])).text
        back = await client.post(
            "/console/login",
            data={
                "username": "zhang",
                "password": PASSWORD,
                "next": f"{edit}?restore=1",
                "csrf_token": hidden_csrf(login_page),
            },
        )
        assert back.status_code == 303 and back.headers["location"] == f"{edit}?restore=1"
        again = await client.get(back.headers["location"])
        assert state_of(again.text)["restore"] is True and "恢复未保存的修改" in again.text
        assert again.headers["HX-Push-Url"] == edit  # a reload does not offer it again
        new = "/console/declarations/export-declaration/new"
        blank = (await client.get(new)).text
        client.cookies.delete("guanwu_session")
        answer = await post_editor(client, new, blank, state_of(blank)["doc"], "save")
        assert re.search(
            r"next=%2Fconsole%2Fdeclarations%2Fexport-declaration%2Fnew%3Frestore%3D1",
            answer.headers["location"],
        )
