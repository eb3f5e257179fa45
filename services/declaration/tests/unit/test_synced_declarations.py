"""数据同步: DeclarationSynced makes a declaration made outside guanwu known here, or moves the one it names."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from declaration_harness import Service, auth

from guanwu.contracts import topics
from guanwu.contracts.declaration import DeclarationDocument
from guanwu.contracts.envelope import Envelope
from guanwu.contracts.events import DeclarationSynced, ReceiptReceived
from guanwu.contracts.events.sync import SyncedReceipt
from guanwu.customs import fixtures
from guanwu.customs.rules import Finding
from guanwu.declaration.domain.model import Declaration, Status, draft, transition
from guanwu.declaration.domain.synced import apply_sync, synced_declaration_id
from guanwu.declaration.service_layer.unit_of_work import DeclarationUnitOfWork
from guanwu.platform.events import envelope_for

SEQ_NO = "E20260000000000001"
ENTRY_ID = "530120261000000001"
NOW = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
DECLARATIONS = "/api/declaration/declarations"


def synced(
    *,
    version: int = 1,
    channel: str | None = None,
    seq_no: str = SEQ_NO,
    entry_id: str | None = None,
    client_seq_no: str | None = None,
    document: DeclarationDocument | None = None,
    receipts: tuple[str, ...] = (),
) -> DeclarationSynced:
    """A synced record; `receipts` are CHANNEL codes one minute apart, the last being the record's channel."""
    return DeclarationSynced(
        job_id="job-1",
        seq_no=seq_no,
        entry_id=entry_id,
        client_seq_no=client_seq_no,
        sw_version=version,
        sw_updated_at=NOW,
        channel=channel,
        document=document or fixtures.export_sea_general_trade(),
        receipts=[
            SyncedReceipt(channel=code, notice_date=NOW + timedelta(minutes=i))
            for i, code in enumerate(receipts)
        ],
    )


def envelope(event: DeclarationSynced | ReceiptReceived, tenant: str = "acme") -> tuple[str, Envelope]:
    return envelope_for(event, source="/guanwu/sync", tenant=tenant)


async def publish(service: Service, event: DeclarationSynced | ReceiptReceived) -> Envelope:
    topic, env = envelope(event)
    await service.bus.publish(topic, env)
    return env


async def read(service: Service, declaration_id: str) -> dict[str, Any]:
    response = await service.client.get(f"{DECLARATIONS}/{declaration_id}", headers=auth())
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def announced(service: Service, name: str) -> list[Envelope]:
    await service.runtime.relay.drain()  # type: ignore[union-attr,unused-ignore]
    return [
        env
        for topic, env in service.bus.published
        if topic == topics.DECLARATION_EVENTS and env.type.endswith(f".{name}.v1")
    ]


async def stored_here(service: Service, declaration: Declaration) -> None:
    uow = DeclarationUnitOfWork(service.runtime.store, service.runtime.outbox_written)
    uow.declarations.add(declaration)
    await uow.commit()


def made_here(status: Status, *, seq_no: str | None = None) -> Declaration:
    document = fixtures.export_sea_general_trade()
    document = document.model_copy(update={"head": document.head.model_copy(update={"seq_no": seq_no})})
    created = draft(document, [], declaration_id="d1", tenant="acme", user_id="u1", now=NOW)
    return (
        created if status is Status.DRAFT else transition(created, status, action="x", user_id="u1", now=NOW)
    )


SYNCED_ID = synced_declaration_id("acme", SEQ_NO)


async def test_a_declaration_held_undeclared_at_the_single_window_becomes_a_draft_to_edit_and_submit(
    service: Service,
) -> None:
    await publish(service, synced())

    declaration = await read(service, SYNCED_ID)
    assert (declaration["status"], declaration["origin"], declaration["created_by"]) == (
        "草稿",
        "single_window",
        "single-window",
    )
    assert declaration["document"]["head"]["seq_no"] == SEQ_NO
    assert declaration["synced"]["sw_version"] == 1 and declaration["synced"]["job_id"] == "job-1"
    [syncedin] = await announced(service, "DeclarationSyncedIn")
    assert (syncedin.data["status"], syncedin.data["seq_no"], syncedin.data["sw_version"]) == (
        "草稿",
        SEQ_NO,
        1,
    )
    assert syncedin.subject == SYNCED_ID and syncedin.data["job_id"] == "job-1"

    edited = {
        **declaration["document"],
        "head": {**declaration["document"]["head"], "bill_no": "BILL-EDITED"},
    }
    headers = {**auth(), "If-Match": '"1"'}
    assert (
        await service.client.put(f"{DECLARATIONS}/{SYNCED_ID}", json=edited, headers=headers)
    ).status_code == 200
    headers = {**auth(), "If-Match": '"2"'}
    submitted = await service.client.post(f"{DECLARATIONS}/{SYNCED_ID}/submit", headers=headers)
    assert submitted.status_code == 200, submitted.text
    assert submitted.json()["status"] == "待审核"


@pytest.mark.parametrize(
    ("receipts", "status"),
    [
        (("L",), "入库成功"),
        (("L", "P"), "放行"),
        (("L", "R"), "结关"),
        (("D",), "删单"),
        (("E",), "退单"),
        (("2",), "已申报"),  # an informational code: declared there, no state of its own
    ],
)
async def test_a_declared_one_takes_the_state_its_receipts_give(
    service: Service, receipts: tuple[str, ...], status: str
) -> None:
    await publish(service, synced(channel=receipts[-1], receipts=receipts, entry_id=ENTRY_ID))

    declaration = await read(service, SYNCED_ID)
    assert declaration["status"] == status and declaration["origin"] == "single_window"
    assert declaration["document"]["head"]["entry_id"] == ENTRY_ID
    assert [r["channel"] for r in declaration["receipts"]] == list(receipts)
    assert declaration["findings"] == [] or status == "退单"  # checks only for what can be edited here
    [syncedin] = await announced(service, "DeclarationSyncedIn")
    assert syncedin.data["status"] == status and syncedin.data["entry_id"] == ENTRY_ID


async def test_a_known_declaration_takes_the_numbers_and_moves_forward_like_with_receipts(
    service: Service,
) -> None:
    await stored_here(service, made_here(Status.DECLARED, seq_no=SEQ_NO))
    sync = await publish(service, synced(version=3, channel="L", receipts=("L",), entry_id=ENTRY_ID))

    declaration = await read(service, "d1")
    assert (declaration["status"], declaration["origin"], declaration["version"]) == ("入库成功", "guanwu", 2)
    assert declaration["document"]["head"]["entry_id"] == ENTRY_ID
    assert declaration["synced"]["sw_version"] == 3
    assert declaration["audit"][-1]["by"] == "single-window"
    [changed] = await announced(service, "DeclarationStatusChanged")
    assert (changed.data["previous_status"], changed.data["status"]) == ("已申报", "入库成功")
    assert "数据同步" in changed.data["cause"] and changed.causationid == sync.id
    assert await announced(service, "DeclarationSyncedIn") == [] and await service.stored() == 1

    # Receipts still only move it forward: a record saying less changes the numbers, not the state.
    await publish(service, synced(version=4, channel="7", receipts=("7",), entry_id=ENTRY_ID))
    assert (await read(service, "d1"))["status"] == "入库成功"


async def test_a_declaration_declared_here_is_found_by_its_client_seq_no_before_its_seq_no_is_known(
    service: Service,
) -> None:
    declaring = made_here(Status.DECLARING)
    assert declaring.client_seq_no is not None and declaring.document.head.seq_no is None
    await stored_here(service, declaring)

    await publish(
        service,
        synced(channel="L", receipts=("L",), entry_id=ENTRY_ID, client_seq_no=declaring.client_seq_no),
    )

    declaration = await read(service, "d1")
    assert (declaration["status"], declaration["document"]["head"]["seq_no"]) == ("入库成功", SEQ_NO)
    assert await service.stored() == 1


async def test_local_edits_of_a_draft_are_never_overwritten(service: Service) -> None:
    await publish(service, synced())
    declaration = await read(service, SYNCED_ID)
    mine = {**declaration["document"], "head": {**declaration["document"]["head"], "bill_no": "MINE"}}
    headers = {**auth(), "If-Match": '"1"'}
    assert (
        await service.client.put(f"{DECLARATIONS}/{SYNCED_ID}", json=mine, headers=headers)
    ).status_code == 200

    theirs = fixtures.export_sea_general_trade()
    theirs = theirs.model_copy(update={"head": theirs.head.model_copy(update={"bill_no": "THEIRS"})})
    await publish(service, synced(version=2, document=theirs))
    assert (await read(service, SYNCED_ID))["document"]["head"]["bill_no"] == "MINE"

    await publish(
        service, synced(version=3, document=theirs, channel="L", receipts=("L",), entry_id=ENTRY_ID)
    )
    after = await read(service, SYNCED_ID)
    assert after["status"] == "入库成功" and after["document"]["head"]["entry_id"] == ENTRY_ID
    assert after["document"]["head"]["bill_no"] == "MINE"


async def test_an_untouched_synced_declaration_takes_the_newer_document(service: Service) -> None:
    await publish(service, synced())
    theirs = fixtures.export_sea_general_trade()
    theirs = theirs.model_copy(update={"head": theirs.head.model_copy(update={"bill_no": "THEIRS"})})

    await publish(service, synced(version=2, document=theirs))

    declaration = await read(service, SYNCED_ID)
    assert declaration["document"]["head"]["bill_no"] == "THEIRS" and declaration["version"] == 2
    assert declaration["synced"]["sw_version"] == 2 and declaration["status"] == "草稿"
    [updated] = await announced(service, "DeclarationUpdated")
    assert updated.data["version"] == 2


async def test_the_same_version_twice_or_an_older_one_changes_nothing(service: Service) -> None:
    await publish(service, synced(version=2, channel="L", receipts=("L",), entry_id=ENTRY_ID))
    before = await read(service, SYNCED_ID)
    events_before = len(service.bus.published)

    await publish(
        service, synced(version=2, channel="L", receipts=("L",), entry_id=ENTRY_ID)
    )  # a new event id
    await publish(service, synced(version=1, channel="P", receipts=("L", "P"), entry_id=ENTRY_ID))
    topic, again = envelope(synced(version=2, channel="L", receipts=("L",), entry_id=ENTRY_ID))
    await service.bus.publish(topic, again)
    await service.bus.publish(topic, again)  # redelivered

    after = await read(service, SYNCED_ID)
    assert after == before and await service.stored() == 1
    await service.runtime.relay.drain()  # type: ignore[union-attr,unused-ignore]
    published = [env for t, env in service.bus.published[events_before:] if t == topics.DECLARATION_EVENTS]
    assert published == []


async def test_a_synced_declaration_releases_the_receipts_parked_for_it(service: Service) -> None:
    released = ReceiptReceived(
        receipt_id="R-P", channel="P", seq_no=SEQ_NO, notice_date=NOW + timedelta(hours=1)
    )
    await publish(service, released)
    parked = service.runtime.store.collection("declaration_parked_receipts")
    assert await parked.count({}) == 1

    await publish(service, synced(channel="L", receipts=("L",), entry_id=ENTRY_ID))

    declaration = await read(service, SYNCED_ID)
    assert declaration["status"] == "放行"
    assert [(r["channel"], r["receipt_id"] == "R-P") for r in declaration["receipts"]] == [
        ("L", False),
        ("P", True),
    ]
    assert await parked.count({}) == 0


async def test_a_batch_makes_each_new_declaration_once_and_applies_repeated_records_in_order(
    service: Service,
) -> None:
    seq_nos = [f"E2026000000000010{i}" for i in range(3)]
    batch = [envelope(synced(seq_no=seq_no)) for seq_no in seq_nos]
    batch.append(envelope(synced(seq_no=seq_nos[0], version=2, channel="L", receipts=("L",))))
    batch.append(batch[1])  # a redelivery inside the batch

    await service.bus.publish_many(batch)

    assert await service.stored() == 3
    first = await read(service, synced_declaration_id("acme", seq_nos[0]))
    assert (first["status"], first["synced"]["sw_version"]) == ("入库成功", 2)
    assert len(await announced(service, "DeclarationSyncedIn")) == 3


async def test_a_record_of_another_tenant_makes_its_own_declaration(service: Service) -> None:
    await stored_here(service, made_here(Status.DECLARED, seq_no=SEQ_NO))
    topic, other = envelope(synced(channel="L", receipts=("L",)), tenant="other")
    await service.bus.publish(topic, other)

    assert (await read(service, "d1"))["status"] == "已申报"
    assert await service.stored() == 2


@pytest.mark.parametrize(
    ("here", "channel", "after"),
    [
        (
            Status.PENDING_REVIEW,
            "L",
            Status.ACCEPTED,
        ),  # declared elsewhere meanwhile: the Single Window knows
        (Status.RETURNED_BY_CUSTOMS, "P", Status.RELEASED),  # declared again after 退单, and released
        (Status.RELEASED, "L", Status.RELEASED),  # never backwards
        (Status.RELEASED, "E", Status.RELEASED),  # a 退单 after 放行 is history only
        (Status.DELETED, "L", Status.DELETED),  # deleted here: nothing undoes it
        (Status.DECLARED, None, Status.DECLARED),  # held undeclared there: no state of its own
    ],
)
def test_which_state_a_newer_record_moves_a_known_declaration_to(
    here: Status, channel: str | None, after: Status
) -> None:
    known = made_here(here, seq_no=SEQ_NO)
    receipts = (channel,) if channel else ()
    changed = apply_sync(
        known, synced(version=2, channel=channel, receipts=receipts), check=no_checks, now=NOW
    )
    assert (changed or known).status is after


def test_a_record_not_newer_than_the_one_applied_changes_nothing() -> None:
    known = made_here(Status.DECLARED, seq_no=SEQ_NO)
    applied = apply_sync(known, synced(version=5, channel="L", receipts=("L",)), check=no_checks, now=NOW)
    assert applied is not None and applied.synced is not None and applied.synced.sw_version == 5
    for version in (5, 4):
        assert (
            apply_sync(
                applied, synced(version=version, channel="P", receipts=("P",)), check=no_checks, now=NOW
            )
            is None
        )


def no_checks(document: DeclarationDocument) -> list[Finding]:
    return []
