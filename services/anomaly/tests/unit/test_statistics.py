"""异常统计分析 (F-23): the aggregation of the anomaly events (every kind, reopening, deletion, versions out of
order, redelivery), the stream process's shard table, and the API over the embedded counts."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime
from typing import Any

from anomaly_harness import URL, Service
from service_http import bearer

from guanwu.anomaly.domain.statistics import (
    Change,
    Shard,
    StatisticsQuery,
    change_of,
    recount,
    summarise,
)
from guanwu.anomaly.service_layer.handlers.statistics import ShardTables
from guanwu.contracts import topics
from guanwu.contracts.events.anomaly import (
    AnomalyChanged,
    AnomalyDeleted,
    AnomalyEvent,
    AnomalyFacts,
    AnomalyRegistered,
    AnomalyStatusChanged,
)
from guanwu.platform.events import envelope_for

AT = datetime(2026, 12, 1, tzinfo=UTC)
ALL = StatisticsQuery()


def facts(**fields: Any) -> AnomalyFacts:
    values: dict[str, Any] = {
        "category": "declaration",
        "anomaly_type": "查验",
        "occurred_on": date(2026, 3, 2),
        "handling_status": "未处理",
    }
    return AnomalyFacts(**{**values, **fields})


def registered(anomaly_id: str, now: AnomalyFacts) -> AnomalyRegistered:
    return AnomalyRegistered(
        anomaly_id=anomaly_id,
        version=1,
        category=now.category,
        document_no="610120260000012345",
        anomaly_type=now.anomaly_type,
        occurred_on=now.occurred_on,
        handling_status=now.handling_status,
        facts=now,
    )


def changed(anomaly_id: str, version: int, before: AnomalyFacts, after: AnomalyFacts) -> AnomalyChanged:
    return AnomalyChanged(
        anomaly_id=anomaly_id, version=version, before=before, after=after, changed_by="u1", changed_at=AT
    )


def status_changed(
    anomaly_id: str, version: int, before: AnomalyFacts, to: str, reason: str | None = None
) -> AnomalyStatusChanged:
    after = before.model_copy(update={"handling_status": to})
    return AnomalyStatusChanged(
        anomaly_id=anomaly_id,
        version=version,
        before=before,
        after=after,
        changed_by="u1",
        changed_at=AT,
        from_status=before.handling_status,
        to_status=to,
        completed_on=date(2026, 3, 9) if to == "已处理" else None,
        reason=reason,
    )


def deleted(anomaly_id: str, version: int, now: AnomalyFacts) -> AnomalyDeleted:
    return AnomalyDeleted(
        anomaly_id=anomaly_id, version=version, before=now, after=now, changed_by="u1", changed_at=AT
    )


def counted(*events: AnomalyEvent, tenant: str = "acme") -> Shard:
    shard = Shard()
    for event in events:
        change = change_of(tenant, event)
        assert change is not None
        shard.apply(change)
    return shard


def by(shard: Shard, dimension: str, query: StatisticsQuery = ALL) -> dict[Any, int]:
    stats = summarise([shard.counts], query)
    return {c.value: c.count for c in getattr(stats, dimension)}


def test_a_registration_counts_once_in_every_dimension() -> None:
    one = facts(responsible_post="报关员", responsible_person="张三", penalized=True)
    stats = summarise([counted(registered("a1", one)).counts], ALL)

    assert stats.total == 1
    assert [(c.value, c.count) for c in stats.by_type] == [("查验", 1)]
    assert [(c.value, c.count) for c in stats.by_month] == [("2026-03", 1)]
    assert [(c.value, c.count) for c in stats.by_responsible_post] == [("报关员", 1)]
    assert [(c.value, c.count) for c in stats.by_responsible_person] == [("张三", 1)]
    assert [(c.value, c.count) for c in stats.by_penalized] == [(True, 1)]
    assert [(c.value, c.count) for c in stats.by_handling_status] == [("未处理", 1)]
    assert [(m.month, m.count, m.open, m.by_type) for m in stats.trend] == [("2026-03", 1, 1, {"查验": 1})]


def test_an_event_of_before_the_facts_counts_by_its_flat_fields() -> None:
    old = registered("a1", facts(anomaly_type="删单")).model_copy(update={"facts": None})
    shard = counted(old)
    assert by(shard, "by_type") == {"删单": 1}
    assert by(shard, "by_responsible_person") == {None: 1}  # not filled in: null


def test_an_edit_moves_the_record_between_values_and_months() -> None:
    first = facts()
    moved = facts(anomaly_type="退单", occurred_on=date(2026, 4, 30), responsible_person="李四")
    shard = counted(registered("a1", first), registered("a2", first), changed("a1", 2, first, moved))

    assert by(shard, "by_type") == {"查验": 1, "退单": 1}
    assert by(shard, "by_month") == {"2026-03": 1, "2026-04": 1}
    assert by(shard, "by_responsible_person") == {None: 1, "李四": 1}


def test_status_changes_and_a_reopening_move_the_count_between_statuses() -> None:
    first = facts()
    doing = first.model_copy(update={"handling_status": "处理中"})
    done = first.model_copy(update={"handling_status": "已处理"})
    shard = counted(
        registered("a1", first),
        status_changed("a1", 2, first, "处理中"),
        status_changed("a1", 3, doing, "已处理"),
    )
    assert by(shard, "by_handling_status") == {"已处理": 1}
    assert summarise([shard.counts], ALL).trend[0].open == 0

    counted_again = status_changed("a1", 4, done, "处理中", reason="海关再次通知")
    assert shard.apply(_change(counted_again))
    assert by(shard, "by_handling_status") == {"处理中": 1}
    assert summarise([shard.counts], ALL).trend[0].open == 1


def test_a_deletion_takes_the_record_out_and_nothing_after_it_brings_it_back() -> None:
    first = facts()
    shard = counted(registered("a1", first), registered("a2", first), deleted("a1", 2, first))
    assert by(shard, "by_type") == {"查验": 1}

    assert not shard.apply(_change(registered("a1", first)))  # redelivered registration (version 1)
    assert by(shard, "by_type") == {"查验": 1}
    shard.apply(_change(deleted("a2", 2, first)))
    assert shard.counts == {}  # no zero counters are kept
    assert summarise([shard.counts], ALL).total == 0


def test_a_redelivered_event_changes_nothing() -> None:
    first, later = facts(), facts(anomaly_type="退单")
    shard = counted(registered("a1", first), changed("a1", 2, first, later))
    before = shard.model_copy(deep=True)

    for again in (registered("a1", first), changed("a1", 2, first, later)):
        assert not shard.apply(_change(again))
    assert shard == before


def test_versions_out_of_order_end_as_the_newest_says() -> None:
    v1, v2, v3 = facts(), facts(anomaly_type="退单"), facts(anomaly_type="删单", penalized=False)
    shard = counted(changed("a1", 3, v2, v3), registered("a1", v1), changed("a1", 2, v1, v2))
    assert by(shard, "by_type") == {"删单": 1}
    assert by(shard, "by_penalized") == {False: 1}

    lost = counted(registered("a1", v1), changed("a1", 3, v2, v3))  # v2 never arrives
    assert lost.counts == shard.counts


def test_the_range_takes_whole_months_and_the_category_filters() -> None:
    shard = counted(
        registered("a1", facts(occurred_on=date(2026, 1, 31))),
        registered("a2", facts(occurred_on=date(2026, 2, 1))),
        registered("a3", facts(occurred_on=date(2026, 3, 15), category="bonded_list")),
    )
    feb = StatisticsQuery(occurred_from=date(2026, 2, 28), occurred_to=date(2026, 2, 28))
    assert by(shard, "by_month", feb) == {"2026-02": 1}
    assert by(shard, "by_month", StatisticsQuery(occurred_from=date(2026, 2, 20))) == {
        "2026-02": 1,
        "2026-03": 1,
    }
    assert by(shard, "by_month", StatisticsQuery(occurred_to=date(2026, 2, 1))) == {
        "2026-01": 1,
        "2026-02": 1,
    }
    assert by(shard, "by_type", StatisticsQuery(category="bonded_list")) == {"查验": 1}


def test_any_order_with_redeliveries_equals_a_recount_of_the_final_records() -> None:
    rng = random.Random(13)
    types, people = ["查验", "退单", "删单"], [None, "张三", "李四"]
    events: list[AnomalyEvent] = []
    final: dict[str, AnomalyFacts | None] = {}
    for n in range(40):
        anomaly_id = f"a{n}"
        now = facts(anomaly_type=rng.choice(types), occurred_on=date(2026, rng.randint(1, 6), 1))
        events.append(registered(anomaly_id, now))
        version = 1
        for _ in range(rng.randint(0, 4)):
            version += 1
            if rng.random() < 0.15:
                events.append(deleted(anomaly_id, version, now))
                final[anomaly_id] = None
                break
            after = now.model_copy(
                update={"responsible_person": rng.choice(people), "anomaly_type": rng.choice(types)}
            )
            events.append(changed(anomaly_id, version, now, after))
            now = after
        else:
            final[anomaly_id] = now
    delivered = events + rng.sample(events, 30)  # redeliveries
    rng.shuffle(delivered)
    shards = [Shard(), Shard()]
    for event in delivered:  # two shards, as records split over a tenant's shards
        shards[int(event.anomaly_id[1:]) % 2].apply(_change(event))

    for query in (ALL, StatisticsQuery(occurred_from=date(2026, 2, 1), occurred_to=date(2026, 4, 1))):
        expected = recount([f for f in final.values() if f is not None], query)
        assert summarise([s.counts for s in shards], query) == expected


def test_the_stream_table_counts_per_partition_and_snapshots_what_changed() -> None:
    table: dict[str, Any] = {}
    tables = ShardTables(table)
    first = facts()
    for partition, tenant, event in (
        (0, "acme", registered("a1", first)),
        (1, "acme", registered("a2", first)),
        (1, "globex", registered("g1", first)),
    ):
        envelope = envelope_for(event, source="/test", tenant=tenant)[1]
        assert tables.count(partition, envelope, event)
    again = registered("a1", first)
    assert not tables.count(0, envelope_for(again, source="/test", tenant="acme")[1], again)

    snapshots = tables.take_snapshots(assigned=[1])  # partition 0 is another worker's
    assert [(t, p, sum(c.values())) for t, p, c in snapshots] == [("acme", 1, 5), ("globex", 1, 5)]
    assert tables.take_snapshots(assigned=[1]) == []  # nothing changed since
    tables.mark_partitions([0, 1])  # e.g. after recovery: every tenant of them again
    assert [(t, p) for t, p, _ in tables.take_snapshots(assigned=[0, 1])] == [
        ("acme", 0),
        ("acme", 1),
        ("globex", 1),
    ]
    restored = ShardTables(dict(table))  # what a changelog gives back after a restart
    restored.mark_partitions([0, 1])
    sums = {(t, p): c for t, p, c in restored.take_snapshots(assigned=[0, 1])}
    assert summarise([sums[("acme", 0)], sums[("acme", 1)]], ALL).total == 2


async def test_the_api_answers_the_embedded_counts_which_equal_a_recount(service: Service) -> None:
    forms: list[dict[str, Any]] = [
        {"anomaly_type": "查验", "occurred_on": "2026-03-02", "responsible_person": "张三"},
        {"anomaly_type": "退单", "occurred_on": "2026-03-20", "penalized": True},
        {"anomaly_type": "查验", "occurred_on": "2026-04-01", "handling_status": "处理中"},
    ]
    records = []
    for form in forms:
        response = await service.client.post(
            URL, json={"document_no": "610120260000012345", **form}, headers=bearer()
        )
        assert response.status_code == 201, response.text
        records.append(response.json())
    other = {"document_no": "610120260000012345", "anomaly_type": "删单", "occurred_on": "2026-03-05"}
    assert (await service.client.post(URL, json=other, headers=bearer(tenant="globex"))).status_code == 201
    await service.registered()  # the relay has published: the in-process bus has counted
    first = facts(**{k: v for k, v in forms[0].items() if k != "occurred_on"}, occurred_on=date(2026, 3, 2))
    gone = deleted(records[0]["anomaly_id"], 9, first)
    await service.bus.publish(topics.ANOMALY_EVENTS, envelope_for(gone, source="/test", tenant="acme")[1])

    answer = await service.client.get("/api/anomaly/statistics", headers=bearer())
    assert answer.status_code == 200, answer.text
    listed = (await service.client.get(URL, headers=bearer())).json()["items"]
    kept = [_facts_of(r) for r in listed if r["anomaly_id"] != records[0]["anomaly_id"]]
    assert answer.json() == recount(kept, ALL).model_dump(mode="json")
    assert answer.json()["total"] == 2

    march = await service.client.get(
        "/api/anomaly/statistics",
        params={"occurred_from": "2026-03-01", "occurred_to": "2026-03-31", "category": "declaration"},
        headers=bearer(),
    )
    assert [(c["value"], c["count"]) for c in march.json()["by_type"]] == [("退单", 1)]
    globex = await service.client.get("/api/anomaly/statistics", headers=bearer(tenant="globex"))
    assert [(c["value"], c["count"]) for c in globex.json()["by_type"]] == [("删单", 1)]


async def test_a_range_that_ends_before_it_starts_is_refused(service: Service) -> None:
    answer = await service.client.get(
        "/api/anomaly/statistics",
        params={"occurred_from": "2026-03-02", "occurred_to": "2026-03-01"},
        headers=bearer(),
    )
    assert answer.status_code == 422
    error = answer.json()["error"]
    assert (error["code"], error["field"]) == ("anomaly.invalid_range", "occurred_to")
    assert error["message_zh"] and error["message_en"]
    assert (await service.client.get("/api/anomaly/statistics")).status_code == 401


def _change(event: AnomalyEvent) -> Change:
    change = change_of("acme", event)
    assert change is not None
    return change


def _facts_of(record: dict[str, Any]) -> AnomalyFacts:
    return AnomalyFacts.model_validate(record)
