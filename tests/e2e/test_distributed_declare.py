"""The declaration lifecycle across processes on real Kafka and FerretDB: review, 申报, signing, sending to the
Single Window (simulator) and its receipts — with a card signer that was down when the declaration was declared
and signs it once it is back."""

from __future__ import annotations

import base64
import uuid
from pathlib import Path
from typing import Any

import httpx
from distributed import Process, cluster, token, wait_until

from guanwu.customs import fixtures


def ok(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code in (200, 201), response.text
    body: dict[str, Any] = response.json()
    return body


def versioned(headers: dict[str, str], version: int) -> dict[str, str]:
    return {**headers, "If-Match": f'"{version}"'}


def submitted_and_approved(declaration: Process, review: Process, tenant: str) -> str:
    """Draft, submit, approve through the review service; returns the declaration's URL."""
    preparer = token(tenant, ("preparer",), user="zhang")
    reviewer = token(tenant, ("reviewer",), user="li")
    document = fixtures.export_sea_general_trade().model_dump(mode="json", exclude_none=True)
    created = ok(
        httpx.post(f"{declaration.url}/api/declaration/declarations", json=document, headers=preparer)
    )
    url = f"{declaration.url}/api/declaration/declarations/{created['declaration_id']}"
    ok(httpx.post(f"{url}/submit", headers=versioned(preparer, 1)))

    def task() -> dict[str, Any] | None:
        page = ok(httpx.get(f"{review.url}/api/review/tasks", headers=reviewer))
        found = [t for t in page["items"] if t["declaration_id"] == created["declaration_id"]]
        return found[0] if found else None

    review_id = wait_until(task)["review_id"]
    task_url = f"{review.url}/api/review/tasks/{review_id}"
    current = ok(httpx.get(task_url, headers=reviewer))
    ok(httpx.post(f"{task_url}/approve", json={}, headers=versioned(reviewer, current["version"])))
    wait_until(lambda: ok(httpx.get(url, headers=preparer))["status"] == "审核通过")
    return url


def test_declared_while_the_signer_is_down_is_signed_when_it_returns_then_sent_and_released(
    kafka_bootstrap: str, mongo_url: str, tmp_path: Path
) -> None:
    tenant = f"t-{uuid.uuid4().hex[:8]}"
    preparer = token(tenant, ("preparer",), user="zhang")
    with cluster(kafka_bootstrap, mongo_url) as c:
        declaration = c.service("declaration").start()
        review = c.service("review").start()
        query = c.service("query").start()
        signer = c.soft_card_signer(tmp_path, [tenant]).start()
        c.sync(c.simulator().start(ready_path="/docs"), [tenant]).start()
        url = submitted_and_approved(declaration, review, tenant)

        signer.kill()  # SIGKILL: the request must wait on the topic, not be lost
        approved = ok(httpx.get(url, headers=preparer))
        declaring = ok(httpx.post(f"{url}/declare", headers=versioned(preparer, approved["version"])))
        assert declaring["status"] == "申报中" and declaring["signing"]["signature"] is None

        def row_status() -> str | None:
            row = httpx.get(
                f"{query.url}/api/query/declarations/{declaring['declaration_id']}", headers=preparer
            )
            return row.json()["status"] if row.status_code == 200 else None

        assert wait_until(lambda: row_status() == "申报中")
        assert ok(httpx.get(url, headers=preparer))["signing"]["signature"] is None

        signer.start()
        final = wait_until(lambda: (d := ok(httpx.get(url, headers=preparer)))["status"] == "放行" and d)
        assert final["signing"]["request_id"] == declaring["signing"]["request_id"]
        assert final["signing"]["signature"]["device"] == "soft"
        assert len(final["document"]["head"]["seq_no"]) == 18 and [
            r["channel"] for r in final["receipts"]
        ] == [
            "L",
            "P",
        ]
        actions = [a["action"] for a in final["audit"]]
        assert sum(a.startswith("signed") for a in actions) == 1
        assert sum(a.startswith("submitted") for a in actions) == 1
        assert wait_until(lambda: row_status() == "放行")


def test_the_card_signer_signs_only_for_its_tenants(
    kafka_bootstrap: str, mongo_url: str, tmp_path: Path
) -> None:
    owner, other = f"t-{uuid.uuid4().hex[:8]}", f"t-{uuid.uuid4().hex[:8]}"
    body = {"content_b64": base64.b64encode(b"<DecMessage/>").decode()}
    with cluster(kafka_bootstrap, mongo_url) as c:
        signer = c.soft_card_signer(tmp_path, [owner]).start()
        sign = f"{signer.url}/api/card-signer/sign"
        ok(httpx.post(sign, json=body, headers=token(owner, ("preparer",))))
        refused = httpx.post(sign, json=body, headers=token(other, ("preparer",)))
        assert refused.status_code == 403
        assert refused.json()["error"]["code"] == "card_signer.tenant_not_served"
