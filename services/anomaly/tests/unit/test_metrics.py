"""The anomaly service's metrics: each record registered counts once by type and source (a redelivered
receipt does not), and the background count shows the records by type and handling status."""

from __future__ import annotations

from anomaly_harness import URL, Service, delete_receipt
from metric_samples import CountedStore, after_a_whole_count, sample, serving_on
from prometheus_client import REGISTRY
from service_http import TEST_AUTH, bearer, built_with

from guanwu.anomaly import bootstrap
from guanwu.anomaly.config import AnomalySettings
from guanwu.anomaly.domain import AnomalyType, HandlingStatus

REGISTERED = "guanwu_anomaly_registered_total"
SETTINGS = AnomalySettings(auth=TEST_AUTH, metrics_refresh_seconds=0.01)
FORM = {"document_no": "610120260000012345", "anomaly_type": "查验", "occurred_on": "2026-03-02"}


def registered() -> dict[tuple[str, str], float]:
    return {
        (kind.value, source): sample(REGISTERED, anomaly_type=kind.value, source=source)
        for kind in AnomalyType
        for source in ("receipt", "manual")
    }


def moved(before: dict[tuple[str, str], float]) -> dict[tuple[str, str], float]:
    return {key: n - before[key] for key, n in registered().items() if n != before[key]}


async def test_a_record_counts_once_by_type_and_source() -> None:
    store = CountedStore()
    async with serving_on(store, built_with(bootstrap.build, SETTINGS), "anomaly") as (client, runtime):
        service = Service(client, runtime)
        before = registered()
        receipt = service.envelope(delete_receipt("R1"))
        await service.deliver(receipt)
        await service.deliver(receipt, service.envelope(delete_receipt("R1")))  # redelivered: nothing new
        assert moved(before) == {("删单", "receipt"): 1}
        response = await client.post(URL, json=FORM, headers=bearer())
        assert response.status_code == 201, response.text
        assert moved(before) == {("删单", "receipt"): 1, ("查验", "manual"): 1}


async def test_the_gauge_counts_records_by_type_and_handling_status_of_every_tenant() -> None:
    store = CountedStore()
    async with serving_on(store, built_with(bootstrap.build, SETTINGS), "anomaly") as (client, runtime):
        service = Service(client, runtime)
        await service.deliver(service.envelope(delete_receipt("R1"), tenant="acme"))
        await service.deliver(service.envelope(delete_receipt("R1"), tenant="other"))
        done = {**FORM, "handling_status": "已处理", "completed_on": "2026-03-03"}
        assert (await client.post(URL, json=done, headers=bearer())).status_code == 201
        await after_a_whole_count(store, queries_per_run=len(AnomalyType) * len(HandlingStatus))
        counted = {
            (kind.value, status.value): sample(
                "guanwu_anomaly_records", anomaly_type=kind.value, handling_status=status.value
            )
            for kind in AnomalyType
            for status in HandlingStatus
        }
    expected = {("删单", "未处理"): 2, ("查验", "已处理"): 1}
    assert {key: n for key, n in counted.items() if n} == expected
    labels = [{"anomaly_type": kind, "handling_status": status} for kind, status in counted]
    assert None not in [REGISTRY.get_sample_value("guanwu_anomaly_records", lb) for lb in labels]
