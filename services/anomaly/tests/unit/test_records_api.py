"""修改 (If-Match), 变更状态, 删除 (one or many), history, the list's new filters and order, and 列表导出, through
the HTTP API; every endpoint answers another tenant's record with 404."""

from __future__ import annotations

import io
from datetime import date, datetime
from typing import Any

import httpx
from anomaly_harness import URL, Service
from openpyxl import load_workbook
from service_http import bearer

from guanwu.contracts import topics

FORM = {"document_no": "610120260000012345", "anomaly_type": "查验", "occurred_on": "2026-03-02"}
EDIT_FIELDS = [
    "document_no",
    "trade_name",
    "ie_flag",
    "client_name",
    "anomaly_type",
    "occurred_on",
    "responsible_post",
    "responsible_person",
    "penalized",
    "penalty_target",
    "completed_on",
    "reason",
]


async def register(service: Service, tenant: str = "acme", **fields: Any) -> dict[str, Any]:
    response = await service.client.post(URL, json={**FORM, **fields}, headers=bearer(tenant=tenant))
    assert response.status_code == 201, response.text
    assert response.headers["ETag"] == '"1"'
    return dict(response.json())


def edit_form(record: dict[str, Any], **changes: Any) -> dict[str, Any]:
    return {**{k: record[k] for k in EDIT_FIELDS}, **changes}


async def change(
    service: Service, record: dict[str, Any], version: int | None = None, **body: Any
) -> httpx.Response:
    headers = {**bearer(), "If-Match": f'"{version or record["version"]}"'}
    return await service.client.post(f"{URL}/{record['anomaly_id']}/status", json=body, headers=headers)


async def events(service: Service) -> list[tuple[str, dict[str, Any]]]:
    assert service.runtime.relay is not None
    await service.runtime.relay.drain()
    return [
        (envelope.type.split(".")[-2], envelope.data)
        for topic, envelope in service.bus.published
        if topic == topics.ANOMALY_EVENTS
    ]


async def test_an_edit_needs_the_version_it_was_based_on(service: Service) -> None:
    record = await register(service, trade_name="西安某贸易")
    url, body = f"{URL}/{record['anomaly_id']}", edit_form(record, trade_name="西安新贸易", penalized=True)

    assert (await service.client.put(url, json=body, headers=bearer())).status_code == 428
    edited = await service.client.put(url, json=body, headers={**bearer(user="u2"), "If-Match": '"1"'})
    assert edited.status_code == 200, edited.text
    assert edited.headers["ETag"] == '"2"'
    assert (edited.json()["trade_name"], edited.json()["version"], edited.json()["updated_by"]) == (
        "西安新贸易",
        2,
        "u2",
    )
    stale = await service.client.put(
        url, json=body | {"reason": "x"}, headers={**bearer(), "If-Match": '"1"'}
    )
    assert stale.status_code == 412 and stale.headers["ETag"] == '"2"'
    assert stale.json()["error"]["code"] == "anomaly.version_conflict"
    assert "history" not in edited.json()

    history = (await service.client.get(f"{url}/history", headers=bearer())).json()
    assert [(h["version"], h["action"], h["by"]) for h in history] == [
        (1, "registered", "u1"),
        (2, "changed", "u2"),
    ]
    assert history[1]["changes"] == [
        {"field": "trade_name", "before": "西安某贸易", "after": "西安新贸易"},
        {"field": "penalized", "before": None, "after": "true"},
    ]
    announced = await events(service)
    assert [kind for kind, _ in announced] == ["AnomalyRegistered", "AnomalyChanged"]
    assert announced[0][1]["facts"]["handling_status"] == "未处理" and announced[0][1]["version"] == 1
    assert (announced[1][1]["version"], announced[1][1]["after"]["penalized"]) == (2, True)


async def test_an_invalid_edit_or_number_is_a_422_naming_the_field_and_changes_nothing(
    service: Service,
) -> None:
    record = await register(service)
    url = f"{URL}/{record['anomaly_id']}"
    headers = {**bearer(), "If-Match": '"1"'}
    bad = await service.client.put(
        url, json=edit_form(record, document_no="6101202600000123"), headers=headers
    )
    assert bad.status_code == 422
    error = bad.json()["error"]
    assert (error["code"], error["field"]) == ("anomaly.invalid_document_no", "document_no")
    assert "海关编号" in error["message_zh"] and "Entry id" in error["message_en"]
    refused = await service.client.post(URL, json={**FORM, "category": "bonded_list"}, headers=bearer())
    assert refused.status_code == 422 and refused.json()["error"]["message_zh"] == "核注清单编号应以“QD”开头"
    missing = await service.client.post(URL, json={"document_no": FORM["document_no"]}, headers=bearer())
    assert {f["field"] for f in missing.json()["error"]["fields"]} == {"anomaly_type", "occurred_on"}
    assert (await service.client.get(url, headers=bearer())).json()["version"] == 1
    assert len(await service.stored()) == 1


async def test_the_status_moves_through_the_state_machine(service: Service) -> None:
    record = await register(service)
    same = await change(service, record, to_status="未处理")
    assert same.status_code == 409 and same.json()["error"]["code"] == "anomaly.status_unchanged"
    assert same.json()["error"]["message_zh"] and same.json()["error"]["message_en"]

    assert (await change(service, record, to_status="处理中")).status_code == 200
    early = await change(service, record, 2, to_status="已处理", completed_on="2026-03-01")
    assert (early.status_code, early.json()["error"]["field"]) == (422, "completed_on")
    done = await change(service, record, 2, to_status="已处理", completed_on="2026-03-05")
    assert done.status_code == 200 and done.headers["ETag"] == '"3"'
    assert (done.json()["handling_status"], done.json()["completed_on"]) == ("已处理", "2026-03-05")
    no_reason = await change(service, record, 3, to_status="处理中")
    assert (no_reason.status_code, no_reason.json()["error"]["field"]) == (422, "reason")
    reopened = await change(service, record, 3, to_status="处理中", reason="海关要求补充材料")
    assert (reopened.json()["handling_status"], reopened.json()["completed_on"]) == ("处理中", None)
    assert (await change(service, record, 3, to_status="未处理", reason="x")).status_code == 412

    announced = [data for kind, data in await events(service) if kind == "AnomalyStatusChanged"]
    assert [(e["from_status"], e["to_status"], e["version"]) for e in announced] == [
        ("未处理", "处理中", 2),
        ("处理中", "已处理", 3),
        ("已处理", "处理中", 4),
    ]
    assert announced[2]["reason"] == "海关要求补充材料"


async def test_a_deleted_record_leaves_the_lists_and_is_kept(service: Service) -> None:
    record = await register(service)
    kept = await register(service, document_no="610120260000012346")
    url = f"{URL}/{record['anomaly_id']}"
    assert (await service.client.delete(url, params={"reason": "重复"}, headers=bearer())).status_code == 428
    headers = {**bearer(user="u5"), "If-Match": '"1"'}
    assert (await service.client.delete(url, headers=headers)).status_code == 422  # no reason
    assert (
        await service.client.delete(url, params={"reason": "重复登记"}, headers=headers)
    ).status_code == 204

    assert (await service.client.get(url, headers=bearer())).status_code == 404
    assert (await service.client.get(f"{url}/history", headers=bearer())).status_code == 404
    page = (await service.client.get(URL, headers=bearer())).json()
    assert [a["anomaly_id"] for a in page["items"]] == [kept["anomaly_id"]] and page["total"] == 1
    again = await service.client.delete(url, params={"reason": "x"}, headers={**bearer(), "If-Match": '"2"'})
    assert again.status_code == 404
    [stored] = [d for d in await service.stored() if d["_id"] == record["anomaly_id"]]
    assert (stored["deleted_by"], stored["delete_reason"], stored["document_no"]) == (
        "u5",
        "重复登记",
        FORM["document_no"],
    )
    assert [h["action"] for h in stored["history"]] == ["registered", "deleted"]
    deletions = [data for kind, data in await events(service) if kind == "AnomalyDeleted"]
    assert [(d["anomaly_id"], d["version"], d["reason"]) for d in deletions] == [
        (record["anomaly_id"], 2, "重复登记")
    ]


async def test_selected_records_are_deleted_together_answering_per_id(service: Service) -> None:
    first, second = await register(service), await register(service)
    theirs = await register(service, tenant="globex")
    ids = [
        first["anomaly_id"],
        "no-such-record",
        theirs["anomaly_id"],
        second["anomaly_id"],
        first["anomaly_id"],
    ]
    response = await service.client.post(
        f"{URL}/deletions", json={"ids": ids, "reason": "批量清理"}, headers=bearer()
    )
    assert response.status_code == 200, response.text
    answer = response.json()
    assert answer["deleted"] == 2
    assert [(r["anomaly_id"], r["outcome"]) for r in answer["results"]] == [
        (first["anomaly_id"], "deleted"),
        ("no-such-record", "not_found"),
        (theirs["anomaly_id"], "not_found"),
        (second["anomaly_id"], "deleted"),
        (first["anomaly_id"], "deleted"),
    ]
    assert (await service.client.get(URL, headers=bearer())).json()["total"] == 0
    assert (await service.client.get(URL, headers=bearer(tenant="globex"))).json()["total"] == 1
    assert len(await service.stored()) == 3
    assert [kind for kind, _ in await events(service)].count("AnomalyDeleted") == 2
    for body in ({"ids": [], "reason": "x"}, {"ids": ["a"], "reason": ""}, {"ids": ["a"]}):
        assert (await service.client.post(f"{URL}/deletions", json=body, headers=bearer())).status_code == 422


async def test_every_endpoint_answers_another_tenants_record_with_404(service: Service) -> None:
    record = await register(service)
    url, other = f"{URL}/{record['anomaly_id']}", bearer(tenant="globex")
    changing = {**other, "If-Match": '"1"'}
    answers = [
        await service.client.get(url, headers=other),
        await service.client.get(f"{url}/history", headers=other),
        await service.client.put(url, json=edit_form(record, reason="x"), headers=changing),
        await service.client.post(f"{url}/status", json={"to_status": "处理中"}, headers=changing),
        await service.client.delete(url, params={"reason": "x"}, headers=changing),
    ]
    assert [a.status_code for a in answers] == [404] * 5
    assert {a.json()["error"]["code"] for a in answers} == {"anomaly.not_found"}
    exported = await service.client.get(
        f"{URL}/export.xlsx", params={"ids": record["anomaly_id"]}, headers=other
    )
    assert rows_of(exported)[1:] == []
    assert (await service.client.get(url, headers=bearer())).json()["version"] == 1


async def test_the_list_filters_by_every_field_of_the_form_and_sorts(service: Service) -> None:
    a = await register(
        service,
        trade_name="甲公司",
        ie_flag="E",
        client_name="委托甲",
        responsible_post="单证",
        responsible_person="张三",
        penalized=True,
        occurred_on="2026-03-01",
    )
    b = await register(
        service,
        document_no="610120261000000002",
        trade_name="乙公司",
        ie_flag="I",
        anomaly_type="退单",
        penalized=False,
        handling_status="已处理",
        completed_on="2026-03-20",
        occurred_on="2026-03-05",
    )

    async def found(**params: Any) -> list[str]:
        page = (await service.client.get(URL, params=params, headers=bearer())).json()
        return [x["anomaly_id"] for x in page["items"]]

    ids = a["anomaly_id"], b["anomaly_id"]
    for params, expected in [
        ({"trade_name": "甲公司"}, [ids[0]]),
        ({"ie_flag": "I"}, [ids[1]]),
        ({"client_name": "委托甲"}, [ids[0]]),
        ({"responsible_post": "单证"}, [ids[0]]),
        ({"responsible_person": "张三"}, [ids[0]]),
        ({"penalized": "false"}, [ids[1]]),
        ({"anomaly_type": "退单"}, [ids[1]]),
        ({"completed_from": "2026-03-20", "completed_to": "2026-03-20"}, [ids[1]]),
        ({"completed_to": "2026-03-19"}, []),
        ({"sort": "occurred_on", "order": "asc"}, list(ids)),
        ({"sort": "occurred_on"}, [ids[1], ids[0]]),
        ({"sort": "document_no", "order": "desc"}, [ids[1], ids[0]]),
    ]:
        assert await found(**params) == expected, params
    refused = await service.client.get(URL, params={"sort": "reason"}, headers=bearer())
    assert refused.status_code == 422


def rows_of(response: httpx.Response) -> list[list[Any]]:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert sheet is not None
    return [list(row) for row in sheet.iter_rows(values_only=True)]


async def test_the_export_has_chinese_headers_and_the_matching_or_selected_rows(service: Service) -> None:
    a = await register(service, trade_name="甲公司", ie_flag="E", penalized=True, reason="=HYPERLINK(1)")
    b = await register(service, document_no="610120260000012346", anomaly_type="退单")
    c = await register(service, document_no="610120260000012347")
    headers = {**bearer(), "If-Match": '"1"'}
    await service.client.delete(f"{URL}/{c['anomaly_id']}", params={"reason": "x"}, headers=headers)

    response = await service.client.get(
        f"{URL}/export.xlsx", params={"category": "declaration"}, headers=bearer()
    )
    assert "attachment" in response.headers["content-disposition"]
    header, *rows = rows_of(response)
    assert header[:7] == [
        "报关单号",
        "异常类别",
        "境内收发货人",
        "进出口",
        "委托企业",
        "异常类型",
        "发生日期",
    ]
    assert "处理状态" in header and "完成日期" in header and "海关是否处罚" in header
    assert sorted(row[0] for row in rows) == [a["document_no"], b["document_no"]]
    mine = next(row for row in rows if row[0] == a["document_no"])
    assert mine[1:7] == ["报关单异常", "甲公司", "出口", None, "查验", datetime(2026, 3, 2)]
    assert mine[header.index("海关是否处罚")] == "是" and mine[header.index("异常原因")] == "=HYPERLINK(1)"

    selected = await service.client.get(
        f"{URL}/export.xlsx", params={"ids": [b["anomaly_id"], c["anomaly_id"]]}, headers=bearer()
    )
    assert [row[0] for row in rows_of(selected)[1:]] == [b["document_no"]]
    filtered = await service.client.get(
        f"{URL}/export.xlsx", params={"anomaly_type": "退单"}, headers=bearer()
    )
    header, *rows = rows_of(filtered)
    assert header[0] == "报关单号/核注清单编号" and [row[0] for row in rows] == [b["document_no"]]
    assert date(2026, 3, 2) == rows[0][header.index("发生日期")].date()
