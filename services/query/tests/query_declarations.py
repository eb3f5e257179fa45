"""The declaration read model's scenarios that every store must pass (memory and SQLite in the unit tests,
FerretDB in the integration ones): filters, sort and keyset paging checked against a recount made in Python
from what the test generated (not from what the store holds); receipts that come before their row; the
timeline; tenant isolation."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from guanwu.contracts.declaration import DeclarationDocument
from guanwu.contracts.envelope import Envelope
from guanwu.contracts.events import (
    REGISTRY,
    DeclarationDeclareRequested,
    DeclarationDrafted,
    DeclarationStatusChanged,
    DeclarationSummary,
    ReceiptReceived,
)
from guanwu.contracts.events.base import Event
from guanwu.platform.events import envelope_for
from guanwu.platform.refusal import NotFound
from guanwu.platform.store.port import DocumentStore
from guanwu.query.adapters.declarations import DeclarationReadModel, NoDocumentYet
from guanwu.query.adapters.history import HistoryReadModel
from guanwu.query.domain.declarations import normalized
from guanwu.query.domain.search import DeclarationSearch, Order
from guanwu.query.service_layer.handlers import project_declaration_events, project_receipt_events

T0 = datetime(2026, 3, 1, 1, tzinfo=UTC)
STATUSES = ("草稿", "待审核", "审核退回", "审核通过", "已申报", "放行")
REVIEW = {"草稿": "未提交", "待审核": "待审核", "审核退回": "审核退回"}
TRADERS = ("西安 Acme 贸易有限公司", "宁波保税区进出口有限公司", "上海远洋物流", "西安高新电子")
GOODS = (("8471300000", "笔记本电脑"), ("6211339000", "男式表演服"), ("9403200000", "金属家具"))


@dataclass
class Spec:
    """What the test made of one declaration: the recount's truth."""

    declaration_id: str
    ie_flag: str
    status: str
    custom_master: str
    trade_name: str
    trade_code: str
    seq_no: str | None
    entry_id: str | None
    trade_mode: str
    two_step: str | None
    goods: list[tuple[str, str]]
    categories: list[str]
    updated_at: datetime
    declared_at: datetime | None = None
    channel: str | None = None
    envelopes: list[Envelope] = field(default_factory=list)

    def column(self, name: str) -> Any:
        return getattr(self, name)


def specs(n: int = 60) -> list[Spec]:
    made: list[Spec] = []
    for i in range(n):
        trader = TRADERS[i % 4]
        status = STATUSES[i % 6]
        spec = Spec(
            declaration_id=f"d{i:03d}",
            ie_flag="IE"[i % 2],
            status=status,
            custom_master=("5100", "0101", "3101")[i % 3],
            trade_name=trader,
            trade_code=f"61019{i % 4:05d}",
            seq_no=f"I2026{(i * 7919) % 1000:013d}" if i % 5 else None,
            entry_id=f"6101202600{(i * 31) % 97:08d}" if i % 4 == 0 else None,
            trade_mode=("0110", "1210")[i % 2],
            two_step={0: "5", 1: "6"}.get(i % 6),
            goods=[GOODS[i % 3], *([GOODS[(i + 1) % 3]] if i % 2 else [])],
            categories=["1", "2"] if i % 7 == 0 else ["1"],
            # Several rows share a time: ties are broken by the declaration id.
            updated_at=T0 + timedelta(minutes=(i * 7) % 20),
        )
        document = _document(spec, i)
        drafted = DeclarationDrafted(
            declaration_id=spec.declaration_id,
            version=1,
            ie_flag=spec.ie_flag,  # type: ignore[arg-type]
            status="草稿" if i % 3 == 0 else status,
            seq_no=spec.seq_no,
            entry_id=spec.entry_id,
            custom_master=spec.custom_master,
            trade_name=spec.trade_name,
            prepared_by=f"u{i % 3}",
            document=document,
        )
        spec.envelopes.append(envelope_at(drafted, spec.updated_at if i % 3 else T0 - timedelta(hours=1)))
        if i % 3 == 0:  # 申报 later: a second version without the document, which stays
            spec.declared_at = spec.updated_at
            declared = DeclarationDeclareRequested(
                **{**drafted.model_dump(exclude={"document"}), "version": 2, "status": status},
                request_id=f"q{i}",
                content_sm3="ab" * 32,
                requested_by="u9",
                message_b64="PA==",
            )
            spec.envelopes.append(envelope_at(declared, spec.updated_at))
        made.append(spec)
    return made


def _document(spec: Spec, i: int) -> DeclarationDocument:
    return DeclarationDocument.model_validate(
        {
            "head": {
                "ie_flag": spec.ie_flag,
                "type": f"  {spec.two_step}" if spec.two_step else None,
                "trade_code": spec.trade_code,
                "trade_name": spec.trade_name,
                "agent_code": spec.trade_code if i % 7 == 0 else "6101999999",
                "trade_mode": spec.trade_mode,
                "custom_master": spec.custom_master,
                "ie_port": spec.custom_master,
            },
            "goods": [
                {"g_no": n + 1, "code_ts": code, "g_name": name} for n, (code, name) in enumerate(spec.goods)
            ],
        }
    )


def envelope_at(event: Event, time: datetime, tenant: str = "acme") -> Envelope:
    return envelope_for(event, source="/t", tenant=tenant)[1].model_copy(update={"time": time})


_envelope = envelope_at  # the name the print tests import


async def project(model: DeclarationReadModel, history: HistoryReadModel, envelopes: list[Envelope]) -> int:
    """Hand the envelopes to the projection that follows their topic, as one batch each."""
    items = [(e, _event_of(e)) for e in envelopes]
    decl = [(e, ev) for e, ev in items if isinstance(ev, DeclarationSummary)]
    receipts = [(e, ev) for e, ev in items if not isinstance(ev, DeclarationSummary)]
    changed = 0
    if decl:
        changed += await project_declaration_events(decl, read_model=model, history=history)
    if receipts:
        changed += await project_receipt_events(receipts, read_model=model, history=history)
    return changed


def _event_of(envelope: Envelope) -> Event:
    event_class = REGISTRY.get(envelope.type)
    assert event_class is not None
    return event_class.model_validate(envelope.data)


CRITERIA: list[tuple[dict[str, Any], Any]] = [
    ({}, lambda s: True),
    ({"ie_flag": "I"}, lambda s: s.ie_flag == "I"),
    ({"status": "放行", "ie_flag": "E"}, lambda s: s.status == "放行" and s.ie_flag == "E"),
    ({"review_status": "审核通过"}, lambda s: REVIEW.get(s.status, "审核通过") == "审核通过"),
    ({"review_status": "未提交"}, lambda s: REVIEW.get(s.status) == "未提交"),
    (
        {"custom_master": "5100", "trade_mode": "1210"},
        lambda s: s.custom_master == "5100" and s.trade_mode == "1210",
    ),
    ({"ie_port": "0101"}, lambda s: s.custom_master == "0101"),
    ({"trade_name": "西安"}, lambda s: "西安" in s.trade_name),
    ({"trade_name": "acme 贸易"}, lambda s: "acme贸易" in normalized(s.trade_name)),
    ({"trade_name": "进出口", "ie_flag": "E"}, lambda s: "进出口" in s.trade_name and s.ie_flag == "E"),
    ({"goods_name": "表演"}, lambda s: any("表演" in name for _, name in s.goods)),
    ({"hs_code": "9403200000"}, lambda s: any(code == "9403200000" for code, _ in s.goods)),
    ({"enterprise_category": "2"}, lambda s: "2" in s.categories),
    ({"two_step": "5"}, lambda s: s.two_step == "5"),
    ({"seq_no": "I20260000000000919"}, lambda s: s.seq_no == "I20260000000000919"),
    ({"entry_id": "610120260000000027"}, lambda s: s.entry_id == "610120260000000027"),
    ({"declaration_id": "d007"}, lambda s: s.declaration_id == "d007"),
    (
        {"prepared_by": "u1", "ie_flag": "E"},
        lambda s: int(s.declaration_id[1:]) % 3 == 1 and s.ie_flag == "E",
    ),
    (
        {"updated_from": T0 + timedelta(minutes=5), "updated_to": T0 + timedelta(minutes=12)},
        lambda s: T0 + timedelta(minutes=5) <= s.updated_at < T0 + timedelta(minutes=12),
    ),
    ({"updated_to": T0 + timedelta(minutes=10)}, lambda s: s.updated_at < T0 + timedelta(minutes=10)),
    (
        {"declared_from": T0 + timedelta(minutes=3), "custom_master": "5100"},
        lambda s: (
            s.declared_at is not None
            and s.declared_at >= T0 + timedelta(minutes=3)
            and s.custom_master == "5100"
        ),
    ),
    ({"channel": "P"}, lambda s: s.channel == "P"),
]

ORDERS = [Order(f, o) for f in ("updated_at", "declared_at", "seq_no", "entry_id") for o in ("desc", "asc")]


def expected_ids(made: list[Spec], predicate: Any, order: Order) -> list[str]:
    def key(s: Spec) -> tuple[str, str]:
        value = s.column(order.field)
        text = value.isoformat() if isinstance(value, datetime) else (value or "")
        return (text, s.declaration_id)

    chosen = sorted((s for s in made if predicate(s)), key=key, reverse=order.order == "desc")
    return [s.declaration_id for s in chosen]


async def paged(
    model: DeclarationReadModel, criteria: DeclarationSearch, order: Order, limit: int, tenant: str = "acme"
) -> list[str]:
    """Every page through `next_cursor`, checking the total on each."""
    found: list[str] = []
    cursor: str | None = None
    totals = set()
    while True:
        page = await model.search(tenant, criteria, cursor=cursor, limit=limit, order=order)
        totals.add(page.total)
        found += [row.declaration_id for row in page.items]
        assert len(page.items) <= limit
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    assert totals == {len(found)}, (totals, len(found))
    return found


async def filters_sort_and_pages_agree_with_a_recount(store: DocumentStore) -> None:
    model = DeclarationReadModel(store)
    history = HistoryReadModel(store, model)
    await model.ensure_indexes()
    await history.ensure_indexes()
    made = specs()
    # Receipts: one before its row exists (by 统一编号), one by declaration id after it.
    early = [s for s in made if s.seq_no][:3]
    for n, spec in enumerate(early):
        spec.channel = "P"
        spec.declared_at = min(spec.declared_at or spec.updated_at, spec.updated_at)  # a receipt dates it
        receipt = ReceiptReceived(
            receipt_id=f"r{n}", channel="P", seq_no=spec.seq_no, notice_date=spec.updated_at
        )
        await project(model, history, [envelope_at(receipt, spec.updated_at)])
    await project(model, history, [e for s in made for e in s.envelopes])
    late = made[-1]
    late.channel = "C"
    late.declared_at = T0 if late.declared_at is None else min(late.declared_at, T0)
    receipt = ReceiptReceived(
        receipt_id="r-late", channel="C", declaration_id=late.declaration_id, notice_date=T0
    )
    await project(model, history, [envelope_at(receipt, T0)])
    await project(model, history, [e for s in made[:10] for e in s.envelopes])  # redelivery: nothing changes

    for criteria, predicate in CRITERIA:
        for order in ORDERS if criteria == {} else ORDERS[:1] + ORDERS[-1:]:
            want = expected_ids(made, predicate, order)
            got = await paged(model, DeclarationSearch(**criteria), order, limit=7)
            assert got == want, (criteria, order)
    page = await model.search("acme", DeclarationSearch(), skip=55, limit=10)
    assert [r.declaration_id for r in page.items] == expected_ids(made, lambda s: True, Order())[55:]
    streamed = [r.declaration_id async for r in model.stream("acme", DeclarationSearch(ie_flag="E"))]
    assert streamed == expected_ids(made, lambda s: s.ie_flag == "E", Order())
    chosen = [
        r.declaration_id async for r in model.stream("acme", DeclarationSearch(), ids=["d003", "d001", "zz"])
    ]
    assert chosen == expected_ids(made, lambda s: s.declaration_id in ("d001", "d003"), Order())
    assert (await model.search("globex", DeclarationSearch(), limit=10)).total == 0

    # A total counted up to a cap: exact at or below it, else the cap and total_capped; the pages the same.
    capped = DeclarationReadModel(store, count_cap=12)
    for criteria, predicate in CRITERIA:
        want = expected_ids(made, predicate, Order())
        found: list[str] = []
        cursor: str | None = None
        while True:
            page = await capped.search("acme", DeclarationSearch(**criteria), cursor=cursor, limit=5)
            assert (page.total, page.total_capped) == (min(len(want), 12), len(want) > 12), criteria
            found += [row.declaration_id for row in page.items]
            if (cursor := page.next_cursor) is None:
                break
        assert found == want, criteria


async def timeline_and_documents(store: DocumentStore) -> None:
    """The timeline in notice order with a receipt that came first; the last document; another tenant's 404."""
    model = DeclarationReadModel(store)
    history = HistoryReadModel(store, model)
    await model.ensure_indexes()
    await history.ensure_indexes()
    seq = "I20260000000000042"
    receipt = ReceiptReceived(
        receipt_id="r1", channel="D", seq_no=seq, note="申报要素不符", notice_date=T0 + timedelta(minutes=30)
    )
    receipt_env = envelope_at(receipt, T0 + timedelta(minutes=31))
    await project(model, history, [receipt_env])
    assert [doc["_id"] for doc in await history.waiting.find({})] == [f"acme:{receipt_env.id}"]
    spec = specs(1)[0]
    drafted = DeclarationDrafted(
        declaration_id="d1", version=1, ie_flag="I", status="草稿", seq_no=seq, document=_document(spec, 0)
    )
    changed = DeclarationStatusChanged(
        declaration_id="d1",
        version=2,
        ie_flag="I",
        status="删单",
        previous_status="已申报",
        seq_no=seq,
        cause="删单回执 r1",
    )
    bare = DeclarationDrafted(declaration_id="d2", version=1, ie_flag="E", status="草稿")
    await project(
        model,
        history,
        [envelope_at(changed, T0 + timedelta(minutes=40)), envelope_at(drafted, T0), envelope_at(bare, T0)],
    )
    row = await model.load_row("acme", "d1")
    assert (row.status, row.channel, row.channel_name) == ("删单", "D", "海关删单")
    assert await history.waiting.count({}) == 0  # taken by its row
    entries = await history.list("acme", "d1")
    assert [(e.kind, e.action, e.status, e.channel) for e in entries] == [
        ("event", "新建", "草稿", None),
        ("receipt", "回执", None, "D"),
        ("event", "状态变更", "删单", None),
    ]
    assert (entries[1].note, entries[2].previous_status, entries[2].cause) == (
        "申报要素不符",
        "已申报",
        "删单回执 r1",
    )
    assert (await model.load_document("acme", "d1")).goods[0].code_ts == "8471300000"
    await _hidden_from_another_tenant(model, history)
    try:
        await model.load_document("acme", "d2")
    except NoDocumentYet as refused:
        assert refused.status == 409
    else:
        raise AssertionError("a declaration without a document answered one")


async def _hidden_from_another_tenant(model: DeclarationReadModel, history: HistoryReadModel) -> None:
    for missing in (
        model.load_document("globex", "d1"),
        history.list("globex", "d1"),
        model.load("globex", "d1"),
    ):
        try:
            await missing
        except NotFound:
            pass
        else:
            raise AssertionError("another tenant's declaration was found")
