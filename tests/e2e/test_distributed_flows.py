"""Both skeleton flows with each service in its own process, on real Kafka and FerretDB."""

from __future__ import annotations

import uuid

import httpx
from distributed import cluster, token, wait_until


def test_draft_declaration_flows_to_the_query_service(kafka_bootstrap: str, mongo_url: str) -> None:
    tenant, other = f"t-{uuid.uuid4().hex[:8]}", f"t-{uuid.uuid4().hex[:8]}"
    with cluster(kafka_bootstrap, mongo_url) as c:
        declaration = c.service("declaration").start()
        query = c.service("query").start()
        bill_no = f"BL{uuid.uuid4().hex[:10]}"
        created = httpx.post(
            f"{declaration.url}/api/declaration/declarations",
            json={"head": {"ie_flag": "E", "custom_master": "9000", "bill_no": bill_no}},
            headers=token(tenant),
        )
        assert created.status_code == 201, created.text
        declaration_id = created.json()["declaration_id"]

        def rows() -> list[dict[str, object]]:
            page = httpx.get(
                f"{query.url}/api/query/declarations", params={"bill_no": bill_no}, headers=token(tenant)
            )
            return page.json()["items"]

        found = wait_until(rows)
        assert [r["declaration_id"] for r in found] == [declaration_id]
        assert found[0]["custom_master"] == "9000"
        hidden = httpx.get(f"{query.url}/api/query/declarations/{declaration_id}", headers=token(other))
        assert hidden.status_code == 404
        assert httpx.get(f"{query.url}/api/query/declarations").status_code == 401


def test_delete_receipt_flows_to_one_anomaly_record(kafka_bootstrap: str, mongo_url: str) -> None:
    tenant = f"t-{uuid.uuid4().hex[:8]}"
    with cluster(kafka_bootstrap, mongo_url) as c:
        simulator = c.simulator().start(ready_path="/docs")
        anomaly = c.service("anomaly").start()
        c.sync(simulator, [tenant]).start()
        receipt = {"enterprise": tenant, "entry_id": "610120260000077777", "channel": "D", "note": "海关删单"}
        assert httpx.post(f"{simulator.url}/sim/receipts", json=receipt).status_code == 201

        def records() -> list[dict[str, object]]:
            return httpx.get(f"{anomaly.url}/api/anomaly/anomalies", headers=token(tenant)).json()["items"]

        found = wait_until(records)
        assert len(found) == 1 and found[0]["anomaly_type"] == "删单"
        assert found[0]["document_no"] == "610120260000077777"
        anomaly_id = found[0]["anomaly_id"]
        other = token(f"t-{uuid.uuid4().hex[:8]}")
        assert (
            httpx.get(f"{anomaly.url}/api/anomaly/anomalies/{anomaly_id}", headers=other).status_code == 404
        )
