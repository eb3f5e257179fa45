"""发送 across processes on real Kafka and FerretDB: a user with only the reviewer role sends an approved
declaration; the declaration service (its own process) declares it as that reviewer from ReviewSendRequested,
and review's task shows the send declared — or refused with the declaration service's reason."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
from distributed import cluster, token, wait_until
from test_distributed_declare import ok, submitted_and_approved, versioned


def test_a_reviewer_only_sends_and_the_declaration_service_declares_it_as_them(
    kafka_bootstrap: str, mongo_url: str
) -> None:
    tenant = f"t-{uuid.uuid4().hex[:8]}"
    preparer = token(tenant, ("preparer",), user="zhang")
    reviewer = token(tenant, ("reviewer",), user="li")
    manager = token(tenant, ("manager",), user="boss")
    with cluster(kafka_bootstrap, mongo_url) as c:
        declaration = c.service("declaration").start()
        review = c.service("review").start()
        settings = {"reviewers_may_send": True}
        ok(httpx.put(f"{review.url}/api/review/settings", json=settings, headers=manager))
        sent_url = submitted_and_approved(declaration, review, tenant)
        refused_url = submitted_and_approved(declaration, review, tenant)
        refused_now = ok(httpx.get(refused_url, headers=preparer))
        # The preparer declares this one first: the reviewer's send then finds it no longer 审核通过.
        ok(httpx.post(f"{refused_url}/declare", headers=versioned(preparer, refused_now["version"])))

        def task_of(url: str) -> str:
            declaration_id = url.rsplit("/", 1)[1]
            page = ok(httpx.get(f"{review.url}/api/review/tasks", headers=reviewer))
            [task] = [t for t in page["items"] if t["declaration_id"] == declaration_id]
            return f"{review.url}/api/review/tasks/{task['review_id']}"

        answers: dict[str, Any] = {}
        for url in (sent_url, refused_url):
            requested = httpx.post(f"{task_of(url)}/send", headers=reviewer)
            assert requested.status_code == 202, requested.text

            def settled(task_url: str = task_of(url)) -> dict[str, Any] | None:
                send = ok(httpx.get(task_url, headers=reviewer))["send"]
                return send if send["state"] != "requested" else None

            answers[url] = wait_until(settled)

        declared = ok(httpx.get(sent_url, headers=preparer))
        assert declared["status"] == "申报中" and declared["signing"]["requested_by"] == "li"
        assert answers[sent_url]["state"] == "declared"
        assert answers[sent_url]["declared_version"] == declared["version"]
        refused = answers[refused_url]
        assert (refused["state"], refused["code"]) == ("refused", "declaration.not_approved")
        assert "审核通过后才能申报" in refused["message_zh"]
        assert ok(httpx.get(refused_url, headers=preparer))["signing"]["requested_by"] == "zhang"
