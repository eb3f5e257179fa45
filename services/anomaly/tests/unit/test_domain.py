"""The pure rules: what a 删单 receipt's record holds, and ids a redelivery reproduces."""

from __future__ import annotations

from datetime import UTC, datetime

from anomaly_harness import NOW, delete_receipt

from guanwu.anomaly.domain import (
    AnomalyInput,
    AnomalyType,
    anomaly_entered,
    anomaly_for_delete_receipt,
    anomaly_id_for_receipt,
    registered,
    registered_event_id,
)


def test_the_document_number_falls_back_from_entry_id_to_seq_no_to_the_receipt_id() -> None:
    def number(**fields: str | None) -> str:
        return anomaly_for_delete_receipt(
            delete_receipt("RECEIPT-0123456789-XYZ", **fields), tenant="t", now=NOW
        ).document_no

    assert number() == "610120260000000001"
    assert number(entry_id=None, seq_no="SEQ-1") == "SEQ-1"
    assert number(entry_id=None, seq_no=None) == "RECEIPT-0123456789"  # the form's 18 characters


def test_only_an_import_or_export_flag_is_kept() -> None:
    assert anomaly_for_delete_receipt(delete_receipt(ie_flag="I"), tenant="t", now=NOW).ie_flag == "I"
    assert anomaly_for_delete_receipt(delete_receipt(ie_flag="X"), tenant="t", now=NOW).ie_flag is None


def test_a_receipts_record_and_event_ids_are_reproducible_and_per_tenant() -> None:
    late = datetime(2027, 1, 1, tzinfo=UTC)
    first = anomaly_for_delete_receipt(delete_receipt("R1"), tenant="acme", now=NOW)
    again = anomaly_for_delete_receipt(delete_receipt("R1"), tenant="acme", now=late)
    assert first.anomaly_id == again.anomaly_id == anomaly_id_for_receipt("acme", "R1")
    assert anomaly_id_for_receipt("globex", "R1") != first.anomaly_id != anomaly_id_for_receipt("acme", "R2")
    assert registered_event_id(first.anomaly_id) == registered_event_id(again.anomaly_id)
    assert registered_event_id(first.anomaly_id) != first.anomaly_id


def test_a_record_entered_by_hand_keeps_the_form_and_names_who_entered_it() -> None:
    form = AnomalyInput(
        document_no="610120260000012345", anomaly_type=AnomalyType.RETURNED, occurred_on=NOW.date()
    )
    anomaly = anomaly_entered(form, anomaly_id="a1", tenant="acme", user_id="u7", now=NOW)
    assert anomaly.model_dump(include=set(AnomalyInput.model_fields)) == form.model_dump()
    assert (anomaly.anomaly_id, anomaly.registered_by, anomaly.registered_at) == ("a1", "u7", NOW)
    event = registered(anomaly)
    assert (event.anomaly_id, event.anomaly_type, event.source_receipt_id) == ("a1", "退单", None)
