"""The declaration editor (报关单制单): the field layout from the kernel, the document ⇄ editor conversions, and
the routes through the in-process app — 新增, 暂存 with findings, a stale version (412) that keeps the user's
edit, 提交审核 refused with its findings, 单证模版 save and apply, the code search."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import httpx
import pytest
from console_system import console_system, draft, hidden_csrf, log_in
from embedded_system import bearer, eventually

from guanwu.cli.embedded import EmbeddedSystem
from guanwu.console.domain import editor
from guanwu.console.domain.menu import DECLARATION_SCREENS
from guanwu.customs.codes import CodeEntry, load_default_tables

pytestmark = pytest.mark.unit


def test_fields_follow_the_kernel_tables_choices_and_required_marks() -> None:
    custom_master = editor.editor_field("head", "custom_master")
    assert (custom_master.label, custom_master.input, custom_master.table) == (
        "申报地海关",
        "code",
        "customs_district",
    )
    assert custom_master.required == "stage"
    edi_id = editor.editor_field("head", "edi_id")
    assert edi_id.input == "choice" and ("5", "南方转关提前") in edi_id.choices
    assert editor.editor_field("goods", "code_ts").table == "hs_sample"
    assert editor.editor_field("goods", "g_qty").input == "number"
    assert editor.editor_field("head", "seq_no").input == "readonly"
    shown = {f.path for f in editor.all_fields()}
    assert {"head.trade_name", "goods.code_ts", "containers.container_id", "transit.head.trans_no"} <= shown
    head_names = {f.name for g in editor.head_groups() for f in g.fields}
    assert head_names == set(editor.DecHead.model_fields) - {"ie_flag"}  # no head field left out


def test_notes_follow_a_line_by_its_key_not_its_place() -> None:
    assert editor.note_key("goods[2].g_qty") == "goods#goods-3.g_qty"
    assert (
        editor.note_key("transit.containers[0].conta_no")
        == "transit.containers#transit.containers-1.conta_no"
    )
    assert editor.note_key("head.trade_name") == "head.trade_name"
    assert editor.note_key("kind") == "head.bill_type"  # a 备案清单 without its marker
    state = editor.keyed({"head": {"ie_flag": "E"}, "goods": [{"g_no": 1}, {"g_no": 2}]})
    assert [g["_key"] for g in state["goods"]] == ["goods-1", "goods-2"]
    shown = editor.notes(
        [{"field_path": "goods[1].g_qty", "severity": "warning", "message_zh": "数量"}],
        invalid=[{"field": "head.gross_wet", "message_zh": "不是数字"}],
        marks=[
            {"field_path": "head.bill_no", "verdict": "wrong", "comment": "提单号不对"},
            {"field_path": "x", "verdict": "ok"},
        ],
    )
    assert shown["goods#goods-2.g_qty"][0]["level"] == "warning"
    assert shown["head.gross_wet"][0] == {"level": "error", "text": "不是数字", "path": "head.gross_wet"}
    assert shown["head.bill_no"][0]["text"] == "审核意见：提单号不对" and "x" not in shown


def test_the_posted_document_loses_blanks_and_keys_and_numbers_its_lines() -> None:
    posted = {
        "kind": "record_list",
        "head": {"ie_flag": "I", "trade_name": " 宁波 ", "bill_no": ""},
        "goods": [
            {"_key": "goods-n2", "g_no": 7, "g_name": "乙"},
            {"_key": "goods-1", "g_no": 1, "g_name": "甲"},
        ],
        "containers": [{"_key": "containers-n1", "container_id": ""}],
        "transit": {"head": {}},
    }
    document = editor.document_from_form(json.dumps(posted), ie_flag="E", kind="declaration")
    assert document["kind"] == "declaration" and document["head"] == {"ie_flag": "E", "trade_name": "宁波"}
    assert document["goods"] == [{"g_no": 1, "g_name": "乙"}, {"g_no": 2, "g_name": "甲"}]
    assert document["containers"] == [] and "transit" not in document
    transit = {
        "head": {"ie_flag": "E"},
        "transit": {"trn_list": {"voyage_no": "V1"}, "head": {"trans_no": ""}},
    }
    kept = editor.document_from_form(json.dumps(transit), ie_flag="E", kind="transit_declaration")
    assert kept["transit"] == {"trn_list": {"voyage_no": "V1"}, "head": {}}
    with pytest.raises(editor.FormError):
        editor.document_from_form("not json", ie_flag="E", kind="declaration")


def test_a_template_fills_the_head_and_empty_blocks_but_keeps_numbers_and_markers() -> None:
    document = {
        "head": {"ie_flag": "E", "seq_no": "S1", "bill_no": "B"},
        "goods": [{"g_no": 1}],
        "containers": [],
    }
    template = editor.template_document(
        {"head": {"ie_flag": "I", "seq_no": "X", "trade_name": "远帆"}, "goods": [{"g_no": 1, "g_name": "T"}],
         "containers": [{"container_id": "C"}]}
    )  # fmt: skip
    assert "seq_no" not in template["head"]
    merged, filled = editor.apply_template(document, template)
    assert merged["head"] == {"ie_flag": "E", "seq_no": "S1", "bill_no": "B", "trade_name": "远帆"}
    assert merged["goods"] == [{"g_no": 1}] and merged["containers"] == [{"container_id": "C"}]
    assert filled == ["head.trade_name", "containers"]


def test_code_search_ranks_the_code_before_names() -> None:
    tables = load_default_tables()
    found = editor.search_codes(tables, "country", "chn")
    assert found[0] == {"code": "CHN", "name": "中国"}
    assert {"code": "HKG", "name": "中国香港"} in editor.search_codes(tables, "country", "中国")
    assert editor.search_codes(tables, "currency", "142")[0]["code"] == "CNY"  # the legacy code
    assert editor.search_codes(tables, "no_such_table", "x") == []
    names = editor.code_names(tables, {"head": {"trade_country": "USA"}, "goods": [{"trade_curr": "USD"}]})
    assert names["country"]["USA"] and names["currency"]["USD"] == "美元"


def test_a_tariff_code_brings_its_legal_units() -> None:
    entry = CodeEntry(
        "8517130000", "智能手机", confidence="enterprise", extra={"first_unit": "001", "second_unit": "035"}
    )
    tables = load_default_tables().with_entries("hs_sample", [entry], replace=False)
    found = editor.search_codes(tables, "hs_sample", "智能")
    assert found == [{"code": "8517130000", "name": "智能手机", "first_unit": "001", "second_unit": "035"}]
    assert (
        "first_unit" not in editor.search_codes(tables, "hs_sample", "9001100000")[0]
    )  # the sample: no units


def test_merging_takes_what_others_changed_where_the_user_did_not() -> None:
    mine = {"head": {"ie_flag": "E", "bill_no": "MINE", "pack_no": 412}, "goods": [{"g_no": 1, "g_qty": "5"}]}
    audit = [
        {"version": 2, "changes": [{"field": "head.bill_no", "before": "OLD", "after": "THEIRS"}]},
        {"version": 3, "changes": [
            {"field": "head.note_s", "before": None, "after": "他人备注"},
            {"field": "head.pack_no", "before": 412, "after": 500},
            {"field": "goods[0].g_qty", "before": "5", "after": None},
            {"field": "goods[3].g_qty", "before": "1", "after": "2"},
        ]},
    ]  # fmt: skip
    merged, taken, kept = editor.merge_changes(mine, audit, 1)
    assert merged == {
        "head": {"ie_flag": "E", "bill_no": "MINE", "pack_no": 500, "note_s": "他人备注"},
        "goods": [{"g_no": 1}],
    }
    assert taken == ["备注", "件数", "第1项商品 成交数量"] and kept == ["提运单号", "第4项商品 成交数量"]
    assert editor.merge_changes(mine, audit, 3) == (mine, [], [])


def test_changes_since_name_the_fields_in_chinese() -> None:
    audit = [
        {"version": 2, "by": "zhang", "changes": [{"field": "head.bill_no", "before": None, "after": "A"}]},
        {"version": 3, "by": "wang", "changes": [{"field": "goods[1].g_qty", "before": "1", "after": "2"}]},
    ]
    changed = editor.changes_since(audit, 2)
    assert changed == [
        {"label": "第2项商品 成交数量", "before": "1", "after": "2", "by": "wang", "at": None, "version": 3}
    ]


# ── routes ──────────────────────────────────────────────────────────────────────────────────────────────


def state_of(html: str) -> dict[str, Any]:
    found = re.search(r'<script type="application/json" id="editor-state">(.*?)</script>', html, re.DOTALL)
    assert found, "no editor state on the page"
    state: dict[str, Any] = json.loads(found[1])
    return state


async def post_editor(
    client: httpx.AsyncClient,
    action_url: str,
    page_html: str,
    document: dict[str, Any],
    action: str,
    **extra: str,
) -> httpx.Response:
    version = re.search(r'name="version" value="(\d+)"', page_html)
    form = {
        "csrf_token": hidden_csrf(page_html),
        "document": json.dumps(document, ensure_ascii=False),
        "version": version[1] if version else "0",
        "dirty": "true",
        "action": action,
        **extra,
    }
    return await client.post(action_url, data=form)


async def test_new_from_a_list_saves_a_draft_and_shows_its_findings_at_their_fields(tmp_path: Path) -> None:
    async with console_system(tmp_path) as (_system, client):
        await log_in(client, "zhang")
        listing = await client.get("/console/declarations/export-declaration")
        assert 'href="/console/declarations/export-declaration/new">新增</a>' in listing.text
        page = await client.get("/console/declarations/export-declaration/new")
        assert page.status_code == 200 and "新增出口报关单" in page.text
        state = state_of(page.text)
        assert state["doc"]["head"] == {"ie_flag": "E", "decl_trn_rel": "0"} and state["doc"]["goods"] == []
        document = {
            **state["doc"],
            "head": {**state["doc"]["head"], "custom_master": "3100", "gross_wet": "-1"},
        }
        document["goods"] = [{"_key": "goods-n1", "code_ts": "9001100000", "g_name": "光缆"}]
        saved = await post_editor(
            client, "/console/declarations/export-declaration/new", page.text, document, "save"
        )
        assert saved.status_code == 303
        target = saved.headers["location"]
        assert re.fullmatch(r"/console/declarations/[^/]+/edit\?done=save", target)
        edit = await client.get(target)
        assert "已暂存（版本 1）" in edit.text
        notes = state_of(edit.text)["notes"]
        assert any("毛重" in n["text"] for n in notes["head.gross_wet"])  # the negative weight at its field
        assert state_of(edit.text)["doc"]["goods"][0]["_key"] == "goods-1"


async def test_a_stale_version_keeps_the_users_edit_and_offers_to_overwrite(tmp_path: Path) -> None:
    async with console_system(tmp_path) as (system, client):
        ours = await draft(system, client, "acme", "zhang")
        declaration_id = ours["declaration_id"]
        await log_in(client, "zhang")
        page = await client.get(f"/console/declarations/{declaration_id}/edit")
        mine = state_of(page.text)["doc"]
        mine["head"]["note_s"] = "我的备注"
        # someone else saves first
        headers = {**bearer(system, "acme", ("preparer",), "zhang"), "If-Match": '"1"'}
        theirs = {**ours["document"], "head": {**ours["document"]["head"], "bill_no": "OTHER123"}}
        changed = await client.put(
            f"/api/declaration/declarations/{declaration_id}", json=theirs, headers=headers
        )
        assert changed.status_code == 200
        url = f"/console/declarations/{declaration_id}/edit"
        refused = await post_editor(client, url, page.text, mine, "save")
        assert refused.status_code == 412
        assert "此报关单已被他人修改" in refused.text and "OTHER123" in refused.text  # what they changed
        assert state_of(refused.text)["doc"]["head"]["note_s"] == "我的备注"  # nothing lost
        assert 'name="overwrite_version" value="2"' in refused.text
        merged = await post_editor(client, url, refused.text, mine, "merge", overwrite_version="2")
        state = state_of(merged.text)
        assert state["doc"]["head"]["note_s"] == "我的备注" and state["doc"]["head"]["bill_no"] == "OTHER123"
        assert (
            "已合并他人修改的 1 项（提运单号）" in merged.text and 'name="version" value="2"' in merged.text
        )
        overwrite = await post_editor(client, url, refused.text, mine, "overwrite", overwrite_version="2")
        assert overwrite.status_code == 303
        stored = await client.get(f"/api/declaration/declarations/{declaration_id}", headers=headers)
        assert stored.json()["version"] == 3 and stored.json()["document"]["head"]["note_s"] == "我的备注"


async def test_submit_refused_shows_the_blocking_findings_and_keeps_the_document(tmp_path: Path) -> None:
    async with console_system(tmp_path) as (_system, client):
        await log_in(client, "zhang")
        page = await client.get("/console/declarations/export-declaration/new")
        document = state_of(page.text)["doc"]
        document["head"]["trade_name"] = "只填了一个字段"
        answer = await post_editor(
            client, "/console/declarations/export-declaration/new", page.text, document, "submit"
        )
        assert answer.status_code == 409 and "不能提交审核" in answer.text
        state = state_of(answer.text)
        assert state["doc"]["head"]["trade_name"] == "只填了一个字段" and state["notes"]
        assert re.search(r'name="version" value="1"', answer.text)  # the draft was saved before the refusal
        assert answer.headers["HX-Push-Url"].endswith("/edit")


async def test_a_template_is_saved_from_the_form_and_applied_to_a_new_one(tmp_path: Path) -> None:
    async with console_system(tmp_path) as (_system, client):
        await log_in(client, "zhang")
        url = "/console/declarations/export-declaration/new"
        page = await client.get(url)
        document = state_of(page.text)["doc"]
        document["head"].update({"trade_name": "宁波远帆进出口有限公司", "custom_master": "3100"})
        saved = await post_editor(client, url, page.text, document, "save_template", template_name="远帆出口")
        assert saved.status_code == 200 and "已保存为单证模版「远帆出口」" in saved.text
        assert state_of(saved.text)["doc"]["head"]["trade_name"] == "宁波远帆进出口有限公司"  # still unsaved
        again = await post_editor(client, url, page.text, document, "save_template", template_name="远帆出口")
        assert again.status_code == 200  # same name: the template is replaced, not duplicated
        fresh = await client.get(url)
        assert fresh.text.count(">远帆出口</option>") == 1
        template_id = re.search(r'<option value="([^"]+)">远帆出口</option>', fresh.text)
        assert template_id
        empty = state_of(fresh.text)["doc"]
        applied = await post_editor(
            client, url, fresh.text, empty, "apply_template", template_id=template_id[1]
        )
        state = state_of(applied.text)
        assert state["doc"]["head"]["trade_name"] == "宁波远帆进出口有限公司" and state["dirty"]
        assert "head.trade_name" in state["template_fields"]


async def test_codes_are_searched_for_signed_in_users_and_drafting_is_for_preparers(tmp_path: Path) -> None:
    async with console_system(tmp_path) as (_system, client):
        assert (await client.get("/console/editor/codes/country?q=chn")).status_code == 401
        await log_in(client, "li")  # a reviewer
        assert (await client.get("/console/declarations/export-declaration/new")).status_code == 403
        found = (await client.get("/console/editor/codes/country?q=chn")).json()["items"]
        assert found[0] == {"code": "CHN", "name": "中国"}
        assert (await client.get("/console/editor/codes/secrets")).status_code == 404
        southern = (
            await client.get("/console/editor/form-metadata?custom_master=5100&kind=transit_declaration")
        ).json()
        assert (
            southern["mode"] == "southern"
            and southern["fields"]["transit.head.trans_no"]["presence"] == "required"
        )


async def test_the_detail_links_to_the_editor_while_editable(tmp_path: Path) -> None:
    async with console_system(tmp_path) as (system, client):
        ours = await draft(system, client, "acme", "zhang")
        await log_in(client, "zhang")
        detail = await client.get(f"/console/declarations/{ours['declaration_id']}")
        assert f'href="/console/declarations/{ours["declaration_id"]}/edit">编辑</a>' in detail.text
        edit = await client.get(f"/console/declarations/{ours['declaration_id']}/edit")
        assert edit.status_code == 200 and "编辑出口报关单" in edit.text
        link = f'<a href="/console/declarations/{ours["declaration_id"]}/edit">编辑</a>'

        async def listed() -> str | None:
            page = (await client.get("/console/declarations/export-declaration")).text
            return page if link in page else None

        await eventually(listed)  # the 制单 list's 操作 too, while the row is a draft
        assert state_of(edit.text)["names"]["country"]
        for slug, (title, ie_flag, kind) in DECLARATION_SCREENS.items():  # every 制单 list's 新增
            blank = await client.get(f"/console/declarations/{slug}/new")
            assert blank.status_code == 200 and f"新增{title}" in blank.text
            assert (
                state_of(blank.text)["doc"]["kind"] == kind
                and state_of(blank.text)["doc"]["head"]["ie_flag"] == ie_flag
            )
        assert (await client.get("/console/declarations/no-such-list/new")).status_code == 404


async def submitted_task(system: EmbeddedSystem, client: httpx.AsyncClient) -> dict[str, Any]:
    """A draft of zhang (acme) submitted for review, and its review task."""
    ours = await draft(system, client, "acme", "zhang")
    url = f"/api/declaration/declarations/{ours['declaration_id']}/submit"
    headers = {**bearer(system, "acme", ("preparer",), "zhang"), "If-Match": '"1"'}
    assert (await client.post(url, headers=headers)).status_code < 300
    reviewer = bearer(system, "acme", ("reviewer",), "li")

    async def task() -> dict[str, Any] | None:
        rows = (await client.get("/api/review/tasks", headers=reviewer)).json()["items"]
        found = [r for r in rows if r["declaration_id"] == ours["declaration_id"]]
        return found[0] if found else None

    found: dict[str, Any] = await eventually(task)
    return found


async def reviewed(
    system: EmbeddedSystem, client: httpx.AsyncClient, decision: str, body: dict[str, Any]
) -> dict[str, Any]:
    """A draft of zhang submitted and decided by the reviewer li; the declaration once the decision reached it."""
    task = await submitted_task(system, client)
    reviewer = {**bearer(system, "acme", ("reviewer",), "li"), "If-Match": f'"{task["version"]}"'}
    answer = await client.post(
        f"/api/review/tasks/{task['review_id']}/{decision}", json=body, headers=reviewer
    )
    assert answer.status_code < 300, answer.text
    preparer = bearer(system, "acme", ("preparer",), "zhang")
    wanted = "审核通过" if decision == "approve" else "审核退回"

    async def decided() -> dict[str, Any] | None:
        path = f"/api/declaration/declarations/{task['declaration_id']}"
        found: dict[str, Any] = (await client.get(path, headers=preparer)).json()
        return found if found["status"] == wanted else None

    declaration: dict[str, Any] = await eventually(decided)
    return declaration


async def test_a_returned_declaration_shows_the_reviewers_red_marks_at_their_fields(tmp_path: Path) -> None:
    async with console_system(tmp_path) as (system, client):
        marks = [{"field_path": "goods[1].g_qty", "verdict": "wrong", "comment": "数量与箱单不符"}]
        declaration = await reviewed(system, client, "reject", {"comment": "请核对数量", "marks": marks})
        await log_in(client, "zhang")
        page = await client.get(f"/console/declarations/{declaration['declaration_id']}/edit")
        notes = state_of(page.text)["notes"]
        assert notes["goods#goods-2.g_qty"][0] == {
            "level": "review",
            "text": "审核意见：数量与箱单不符",
            "path": "goods[1].g_qty",
        }
        assert 'value="save" class="primary">暂存</button>' in page.text  # 审核退回 may be edited


async def test_an_approved_declaration_is_declared_from_the_editor(tmp_path: Path) -> None:
    async with console_system(tmp_path) as (system, client):
        declaration = await reviewed(system, client, "approve", {})
        await log_in(client, "zhang")
        url = f"/console/declarations/{declaration['declaration_id']}/edit"
        page = await client.get(url)
        assert "不能修改" in page.text and ">暂存</button>" not in page.text  # read only
        assert 'name="action" value="declare" >申报</button>' in page.text  # enabled
        answer = await post_editor(client, url, page.text, state_of(page.text)["doc"], "declare")
        assert answer.status_code == 303, re.findall(r"role=\"alert\">([^<]*)", answer.text)
        detail = await client.get(answer.headers["location"])
        assert "已申报，正在签名发送。" in detail.text and "申报中" in detail.text


async def test_check_runs_the_declare_checks_without_saving_and_fifty_lines_is_the_limit(
    tmp_path: Path,
) -> None:
    async with console_system(tmp_path) as (_system, client):
        await log_in(client, "zhang")
        url = "/console/declarations/export-declaration/new"
        page = await client.get(url)
        document = state_of(page.text)["doc"]
        checked = await post_editor(client, url, page.text, document, "check")
        assert checked.status_code == 200 and "逻辑校验（按申报要求）：错误" in checked.text
        state = state_of(checked.text)
        assert state["notes"]["head.custom_master"] and state["dirty"]  # still a new, unsaved form
        assert 'action="/console/declarations/export-declaration/new"' in checked.text
        document["goods"] = [{"g_name": f"商品{n}"} for n in range(51)]
        refused = await post_editor(client, url, page.text, document, "save")
        assert refused.status_code == 422 and len(state_of(refused.text)["doc"]["goods"]) == 51


async def test_copy_opens_a_new_draft_and_delete_marks_the_version_read(tmp_path: Path) -> None:
    async with console_system(tmp_path) as (system, client):
        ours = await draft(system, client, "acme", "zhang")
        await log_in(client, "zhang")
        url = f"/console/declarations/{ours['declaration_id']}/edit"
        page = await client.get(url)
        copied = await post_editor(client, url, page.text, state_of(page.text)["doc"], "copy")
        assert copied.status_code == 303 and copied.headers["location"].endswith("/edit?done=copy")
        assert ours["declaration_id"] not in copied.headers["location"]
        copy = await client.get(copied.headers["location"])
        assert "已复制为新报关单" in copy.text, re.findall(
            r"<p class=\"(?:notice|error)[^>]*>[^<]*", copy.text
        )
        assert state_of(copy.text)["doc"]["head"]["trade_name"] == "宁波远帆进出口有限公司"
        deleted = await post_editor(client, url, page.text, state_of(page.text)["doc"], "delete")
        assert deleted.status_code == 303
        detail = await client.get(deleted.headers["location"])
        assert "已删除。" in detail.text and "编辑</a>" not in detail.text
