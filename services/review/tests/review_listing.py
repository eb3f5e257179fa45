"""The review list's checks against a recount of the stored tasks, shared by the unit tier (memory store) and
the integration tier (FerretDB): seeded tasks, every filter of the seed's screen, sorts and pages."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from typing import Any

from review_harness import Service, auth, document, submission

from guanwu.contracts.events import ReceiptReceived
from guanwu.review.domain import CHINA_TIME, ReviewTask

TASKS = "/api/review/tasks"
NOW = datetime.now(UTC)
SORT_FIELDS = ("updated_at", "submitted_at", "seq_no", "entry_id", "declaration_id")


async def seed(service: Service, count: int = 48) -> list[ReviewTask]:
    """`count` tasks with their list fields drawn from small pools (so filters match several), submitted over
    the last 12 days; some decided, some with a receipt. Returns what the store holds, the recount's input."""
    rng = random.Random(15)
    for n in range(count):
        head = {
            "trade_code": rng.choice(["3302210016", "4403180002"]),
            "agent_code": rng.choice(["3302210016", "3302980123"]),
            "owner_code": rng.choice(["3302210016", "3302210017"]),
            "cop_code": rng.choice(["7340829X6", "MA5G0001X"]),
            "ie_port": rng.choice(["3111", "5301"]),
            "type": rng.choice([None, "  5   ", "  6   "]),
        }
        event = submission(
            f"d{n:02}",
            version=2,
            doc=document(**head),
            ie_flag=rng.choice("IE"),
            client_seq_no=f"C{n % 5}",
            seq_no=f"S{n % 7}",
            entry_id=f"E{n % 6}",
            bill_no=f"BL{n % 4}",
            custom_master=rng.choice(["5100", "0101", "2200"]),
            trade_name=rng.choice(["西安某贸易", "宁波某进出口"]),
            prepared_by=rng.choice(["p1", "p2"]),
        )
        await service.submit(event, at=NOW - timedelta(days=rng.uniform(0, 12)))
        if n % 3 == 0:
            notice = NOW - timedelta(hours=n)
            await service.receive(
                ReceiptReceived(
                    receipt_id=f"R{n}",
                    channel=rng.choice("LP"),
                    notice_date=notice,
                    declaration_id=f"d{n:02}",
                )
            )
    for doc in (await service.stored())[::5]:
        response = await service.client.post(
            f"{TASKS}/{doc['_id']}/approve", headers=auth(version=doc["_version"])
        )
        assert response.status_code == 200, response.text
    return await service.tasks()


async def listed(service: Service, **params: Any) -> dict[str, Any]:
    response = await service.client.get(TASKS, params={"limit": 200, **params}, headers=auth())
    assert response.status_code == 200, response.text
    return dict(response.json())


def china_day(moment: datetime) -> date:
    return moment.astimezone(CHINA_TIME).date()


def in_default_period(task: ReviewTask) -> bool:
    today = china_day(NOW)
    return today - timedelta(days=7) <= china_day(task.updated_at) <= today


# (query parameter, value, what a task must have to match)
FILTERS: list[tuple[str, str, Any]] = [
    ("client_seq_no", "C3", lambda t: t.client_seq_no == "C3"),
    ("bill_no", "BL1", lambda t: t.bill_no == "BL1"),
    ("ie_flag", "I", lambda t: t.ie_flag == "I"),
    ("status", "审核通过", lambda t: t.status == "审核通过"),
    ("status", "待审核", lambda t: t.status == "待审核"),
    ("custom_master", "0101", lambda t: t.custom_master == "0101"),
    ("trade_name", "宁波某进出口", lambda t: t.trade_name == "宁波某进出口"),
    ("trade_code", "4403180002", lambda t: t.trade_code == "4403180002"),
    ("prepared_by", "p2", lambda t: t.prepared_by == "p2"),
    ("ie_port", "5301", lambda t: t.ie_port == "5301"),
    ("declare_mode", "0", lambda t: t.document.head.type is None),
    ("declare_mode", "5", lambda t: (t.document.head.type or "")[2:3] == "5"),
    ("declaration_id", "d03", lambda t: t.declaration_id == "d03"),
    ("seq_no", "S2", lambda t: t.seq_no == "S2"),
    ("entry_id", "E4", lambda t: t.entry_id == "E4"),
    ("declare_status", "L", lambda t: t.declare_status == "L"),
    ("enterprise_category", "2", lambda t: t.document.head.agent_code == t.document.head.trade_code),
    ("enterprise_category", "3", lambda t: t.document.head.owner_code == t.document.head.trade_code),
    ("declaring_unit", "MA5G0001X", lambda t: t.document.head.cop_code == "MA5G0001X"),
    ("declaring_unit", "3302980123", lambda t: t.document.head.agent_code == "3302980123"),
]


async def every_filter_agrees_with_a_recount(service: Service) -> None:
    tasks = await seed(service)
    everything = await listed(service, updated_from=str(china_day(NOW) - timedelta(days=30)))
    assert everything["total"] == len(tasks)
    for name, value, matches in FILTERS:
        expected = sorted(t.review_id for t in tasks if matches(t) and in_default_period(t))
        if name == "declaration_id":  # one task: any period that holds it
            expected = sorted(t.review_id for t in tasks if matches(t))
            value_params = {name: value, "updated_from": str(china_day(NOW) - timedelta(days=30))}
        else:
            value_params = {name: value}
        page = await listed(service, **value_params)
        got = sorted(row["review_id"] for row in page["items"])
        assert (got, page["total"]) == (expected, len(expected)), name
        assert 0 < len(expected) < len(tasks), f"{name}={value} should single out some tasks, not none or all"


async def sorted_pages_cover_the_list_once_in_order(service: Service, tasks: list[ReviewTask]) -> None:
    for field in SORT_FIELDS:
        for order in ("asc", "desc"):
            await sorted_pages(service, tasks, field, order)


async def sorted_pages(service: Service, tasks: list[ReviewTask], field: str, order: str) -> None:
    since = str(china_day(NOW) - timedelta(days=30))
    rows: list[dict[str, Any]] = []
    for skip in range(0, 40, 7):
        page = await listed(service, sort=field, order=order, skip=skip, limit=7, updated_from=since)
        assert page["total"] == len(tasks)
        rows.extend(page["items"])
    assert sorted(r["review_id"] for r in rows) == sorted(t.review_id for t in tasks)
    keys = [r[field] for r in rows]
    assert keys == sorted(keys, reverse=order == "desc")
