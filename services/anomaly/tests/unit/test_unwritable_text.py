"""An anomaly record with text the customs XML cannot carry is refused (422 naming the field), not stored."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from service_http import TEST_AUTH, bearer, built_with, serving

from guanwu.anomaly import bootstrap
from guanwu.anomaly.config import AnomalySettings
from guanwu.platform.runtime import Runtime

URL = "/api/anomaly/anomalies"
FORM = {"document_no": "610120260000012345", "anomaly_type": "删单", "occurred_on": "2026-03-02"}


@pytest.fixture
async def anomaly() -> AsyncIterator[tuple[httpx.AsyncClient, Runtime]]:
    async with serving(built_with(bootstrap.build, AnomalySettings(auth=TEST_AUTH)), "anomaly") as running:
        yield running


def refused_fields(response: httpx.Response) -> set[str]:
    assert response.status_code == 422, response.text
    return {f["field"] for f in response.json()["error"]["fields"] if f["type"] == "xml_char"}


@pytest.mark.parametrize(
    "change",
    [{"reason": "企业申请删单\x00"}, {"trade_name": "西安\x07贸易"}, {"responsible_person": "张\ufffe"}],
    ids=lambda c: next(iter(c)),
)
async def test_an_anomaly_with_unwritable_text_is_refused_and_not_stored(
    anomaly: tuple[httpx.AsyncClient, Runtime], change: dict[str, Any]
) -> None:
    client, runtime = anomaly
    response = await client.post(URL, json={**FORM, **change}, headers=bearer())
    assert refused_fields(response) == set(change)
    assert (await client.get(URL, headers=bearer())).json()["total"] == 0
    assert await runtime.store.collection("anomaly_records").count({}) == 0


async def test_the_same_form_with_writable_text_is_stored(anomaly: tuple[httpx.AsyncClient, Runtime]) -> None:
    client, _ = anomaly
    response = await client.post(URL, json={**FORM, "reason": "企业申请删单\t(第2次)\n😀"}, headers=bearer())
    assert response.status_code == 201, response.text
    assert (await client.get(URL, headers=bearer())).json()["total"] == 1


async def test_an_unwritable_search_parameter_is_refused(anomaly: tuple[httpx.AsyncClient, Runtime]) -> None:
    client, _ = anomaly
    response = await client.get(URL, params={"document_no": "6101\x00"}, headers=bearer())
    assert refused_fields(response) == {"document_no"}
    response = await client.get(f"{URL}/%EF%BF%BE", headers=bearer())
    assert refused_fields(response) == {"anomaly_id"}
