"""The declaration list fed by the declaration service's events: the newest version wins whatever the order,
redelivery changes nothing, filters and paging, tenant isolation."""

from __future__ import annotations

from typing import Any

import pytest
from query_harness import URL, Service, at
from service_http import bearer

from guanwu.contracts.events import (
    REGISTRY,
    DeclarationDeclareRequested,
    DeclarationDrafted,
    DeclarationStatusChanged,
    DeclarationSummary,
    DeclarationSyncedIn,
    DeclarationUpdated,
)
from guanwu.query.adapters.declarations import DeclarationReadModel

NOT_FOUND = {
    "error": {"code": "query.not_found", "message_zh": "报关单不存在", "message_en": "Declaration not found"}
}
DECLARE = {
    "request_id": "q1",
    "content_sm3": "ab" * 32,
    "requested_by": "u1",
    "message_b64": "PERlY01lc3NhZ2Uv",
}


def drafted(declaration_id: str = "d1", version: int = 1, **head: Any) -> DeclarationDrafted:
    return DeclarationDrafted(
        **{"declaration_id": declaration_id, "version": version, "ie_flag": "E", "status": "草稿", **head}
    )


async def test_events_arriving_out_of_order_keep_the_newest_version(service: Service) -> None:
    newest = DeclarationStatusChanged(declaration_id="d1", version=3, ie_flag="E", status="审核通过")
    await service.deliver(service.envelope(newest, time=at(3)))
    await service.deliver(service.envelope(drafted(version=1), time=at(1)))
    await service.deliver(service.envelope(DeclarationUpdated(**drafted(version=2).model_dump()), time=at(2)))

    row = await service.row("d1")
    assert (row["version"], row["status"]) == (3, "审核通过")
    assert row["last_event_type"] == DeclarationStatusChanged.event_type
    assert row["updated_at"] == at(3).isoformat().replace("+00:00", "Z")

    # One batch in which the newest is neither first nor last.
    await service.deliver(
        *(service.envelope(drafted(version=v, status=f"v{v}"), time=at(v)) for v in (5, 7, 6, 4))
    )
    assert ((await service.row("d1"))["version"], (await service.row("d1"))["status"]) == (7, "v7")


async def test_a_redelivered_event_changes_nothing(service: Service) -> None:
    envelope = service.envelope(drafted(version=2, bill_no="BL-1"), time=at(2))
    await service.deliver(envelope)
    [before] = await service.stored()

    await service.deliver(envelope)  # the declaration relay republishing after a crash
    await service.deliver(envelope, envelope)
    await service.deliver(service.envelope(drafted(version=2, bill_no="BL-LATE"), time=at(9)))  # same version

    assert await service.stored() == [before]  # not even rewritten: the store's own version did not move


async def test_every_declaration_event_type_is_projected(service: Service) -> None:
    kinds = [cls for cls in REGISTRY.all() if issubclass(cls, DeclarationSummary)]
    assert {DeclarationDeclareRequested, DeclarationSyncedIn} <= set(kinds) and len(kinds) >= 7
    for n, cls in enumerate(kinds):
        extras: dict[type[DeclarationSummary], dict[str, Any]] = {
            DeclarationDeclareRequested: DECLARE,
            DeclarationSyncedIn: {"sw_version": 1},
        }
        extra = extras.get(cls, {})
        event = cls(declaration_id=f"d{n}", version=1, ie_flag="I", status="草稿", **extra)
        await service.deliver(service.envelope(event))
    assert [(await service.row(f"d{n}"))["last_event_type"] for n in range(len(kinds))] == [
        cls.event_type for cls in kinds
    ]
    declared = await service.row(f"d{kinds.index(DeclarationDeclareRequested)}")
    assert "message_b64" not in declared and "request_id" not in declared  # the summary only


async def test_the_list_filters_and_pages_latest_change_first(service: Service) -> None:
    heads: dict[str, dict[str, Any]] = {
        "d-a": {
            "status": "草稿",
            "ie_flag": "E",
            "kind": "declaration",
            "custom_master": "5100",
            "trade_name": "甲",
        },
        "d-b": {
            "status": "待审核",
            "ie_flag": "I",
            "kind": "备案清单",
            "custom_master": "0101",
            "bill_no": "BL-B",
        },
        "d-c": {"status": "待审核", "ie_flag": "E", "entry_id": "610120260000000003", "seq_no": "S-C"},
    }
    for minute, (declaration_id, head) in enumerate(heads.items()):
        await service.deliver(service.envelope(drafted(declaration_id, **head), time=at(minute)))

    assert await service.found() == ["d-c", "d-b", "d-a"]
    assert await service.found(status="待审核") == ["d-c", "d-b"]
    assert await service.found(ie_flag="E") == ["d-c", "d-a"]
    assert await service.found(kind="备案清单") == ["d-b"]
    assert await service.found(custom_master="5100") == ["d-a"]
    assert await service.found(trade_name="甲") == ["d-a"]
    assert await service.found(bill_no="BL-B") == ["d-b"]
    assert await service.found(entry_id="610120260000000003") == ["d-c"]
    assert await service.found(seq_no="S-C", ie_flag="E") == ["d-c"]
    assert await service.found(seq_no="S-C", ie_flag="I") == []
    page = (await service.client.get(URL, params={"skip": 1, "limit": 1}, headers=bearer())).json()
    assert page["total"] == 3 and [r["declaration_id"] for r in page["items"]] == ["d-b"]

    await service.deliver(service.envelope(drafted("d-a", version=2, status="暂存"), time=at(10)))
    assert await service.found() == ["d-a", "d-c", "d-b"]


async def test_a_total_beyond_the_cap_says_so(service: Service, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(DeclarationReadModel, "count_cap", 2)
    for minute, declaration_id in enumerate(("d-a", "d-b", "d-c")):
        await service.deliver(
            service.envelope(drafted(declaration_id, ie_flag="IEI"[minute]), time=at(minute))
        )

    page = (await service.client.get(URL, params={"limit": 1}, headers=bearer())).json()
    assert (page["total"], page["total_capped"]) == (2, True)
    assert [r["declaration_id"] for r in page["items"]] == ["d-c"]
    following = {"limit": 5, "cursor": page["next_cursor"]}
    page = (await service.client.get(URL, params=following, headers=bearer())).json()
    assert (page["total"], page["total_capped"]) == (2, True)
    assert [r["declaration_id"] for r in page["items"]] == ["d-b", "d-a"]
    page = (await service.client.get(URL, params={"ie_flag": "I"}, headers=bearer())).json()
    assert (page["total"], page["total_capped"], len(page["items"])) == (2, False, 2)


async def test_another_tenant_sees_nothing(service: Service) -> None:
    await service.deliver(service.envelope(drafted("d1"), tenant="acme"))
    other = bearer(tenant="globex")

    assert (await service.client.get(URL, headers=other)).json() == {
        "total": 0,
        "total_capped": False,
        "items": [],
        "next_cursor": None,
    }
    missing = await service.client.get(f"{URL}/d1", headers=other)
    assert (missing.status_code, missing.json()) == (404, NOT_FOUND)
    unknown = await service.client.get(f"{URL}/no-such-declaration", headers=bearer())
    assert (unknown.status_code, unknown.json()) == (404, NOT_FOUND)


async def test_the_same_declaration_id_in_two_tenants_is_two_rows(service: Service) -> None:
    await service.deliver(
        service.envelope(drafted("d1", version=4, status="甲的"), tenant="acme"),
        service.envelope(drafted("d1", version=1, status="乙的"), tenant="globex"),
    )
    assert (await service.row("d1", tenant="acme"))["status"] == "甲的"
    assert (await service.row("d1", tenant="globex"))["status"] == "乙的"


async def test_reading_needs_a_token_and_any_role(service: Service) -> None:
    await service.deliver(service.envelope(drafted("d1")))
    assert (await service.client.get(URL)).status_code == 401
    assert (await service.client.get(f"{URL}/d1")).status_code == 401
    for role in ("preparer", "reviewer", "manager", "integration", "admin"):
        assert (await service.client.get(f"{URL}/d1", headers=bearer(roles=(role,)))).status_code == 200


async def test_a_declaration_synced_in_from_the_single_window_is_listed_like_any_other(
    service: Service,
) -> None:
    synced_in = DeclarationSyncedIn(
        declaration_id="sw-1",
        version=1,
        ie_flag="I",
        status="已申报",
        seq_no="I20260000000000042",
        entry_id="310120260000000042",
        custom_master="3101",
        trade_name="宁波保税区进出口有限公司",
        bill_no="BL-SW-1",
        sw_version=3,
        job_id="job-1",
    )
    await service.deliver(
        service.envelope(drafted("d-local"), time=at(1)), service.envelope(synced_in, time=at(2))
    )

    row = await service.row("sw-1")
    assert (row["status"], row["seq_no"], row["entry_id"], row["version"]) == (
        "已申报",
        "I20260000000000042",
        "310120260000000042",
        1,
    )
    assert row["last_event_type"] == DeclarationSyncedIn.event_type
    assert "sw_version" not in row and "job_id" not in row  # the summary only
    assert await service.found() == ["sw-1", "d-local"]
    assert await service.found(seq_no="I20260000000000042") == ["sw-1"]
    assert await service.found(entry_id="310120260000000042", status="已申报") == ["sw-1"]
    assert await service.found(trade_name="宁波保税区进出口有限公司", custom_master="3101") == ["sw-1"]

    # The declaration service's later change of the same declaration (a newer version) takes its place.
    changed = DeclarationStatusChanged(declaration_id="sw-1", version=2, ie_flag="I", status="放行")
    await service.deliver(service.envelope(changed, time=at(3)))
    assert await service.found(status="放行") == ["sw-1"]
