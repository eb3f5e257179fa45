"""The job order's pure rules: which id an order gets, and what counts as the same request."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from guanwu.customs import fixtures
from guanwu.declaration.domain.job_orders import (
    DeclarationsNotFound,
    IdempotencyKeyReused,
    JobOrderInput,
    create_job_order,
    job_order_id_for,
    same_request,
    storage_id,
)
from guanwu.declaration.domain.model import draft

NOW = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


def asked(*ids: str, **extra: object) -> JobOrderInput:
    return JobOrderInput.model_validate({"client_name": "客户", "declaration_ids": list(ids), **extra})


def test_the_clients_id_comes_first_then_the_idempotency_key_per_tenant_then_a_new_one() -> None:
    assert job_order_id_for("acme", asked("d1", job_order_id="JO-1"), "key") == "JO-1"
    by_key = job_order_id_for("acme", asked("d1"), "key")
    assert by_key == job_order_id_for("acme", asked("d2"), "key")
    assert by_key != job_order_id_for("other", asked("d1"), "key")
    assert job_order_id_for("acme", asked("d1"), None) != job_order_id_for("acme", asked("d1"), None)
    assert storage_id("acme", "JO-1") != storage_id("other", "JO-1")


def test_the_same_request_is_the_same_whatever_id_it_names_and_however_often_a_row_is_named() -> None:
    once = asked("d1", "d2")
    assert once.fingerprint() == asked("d1", "d2", "d1", job_order_id="JO-9").fingerprint()
    assert once.fingerprint() == asked("d1", "d2", client_name=" 客户 ").fingerprint()
    for other in (asked("d2", "d1"), asked("d1", "d2", note="加急"), asked("d1", "d2", bill_no="B1")):
        assert other.fingerprint() != once.fingerprint()


def test_an_order_is_made_of_found_declarations_and_answered_again_only_for_the_same_request() -> None:
    found = {
        "d1": draft(fixtures.export_air(), [], declaration_id="d1", tenant="acme", user_id="u1", now=NOW)
    }
    with pytest.raises(DeclarationsNotFound) as missing:
        create_job_order(asked("d1", "d9"), found, job_order_id="JO-1", tenant="acme", user_id="u1", now=NOW)
    assert missing.value.missing == ["d9"] and missing.value.status == 404
    order = create_job_order(asked("d1"), found, job_order_id="JO-1", tenant="acme", user_id="u1", now=NOW)
    assert same_request(order, asked("d1", job_order_id="JO-1")) is order
    with pytest.raises(IdempotencyKeyReused):
        same_request(order, asked("d1", note="another"))
