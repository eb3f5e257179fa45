"""Use cases of 高级审核, 打印 and 审核留痕: learning declarations into review's history, recording the audit,
answering the 高级审核 view of a task and printing its sheet. 发送 is in `sending.py`."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from guanwu.contracts.envelope import Envelope
from guanwu.contracts.events.base import Event
from guanwu.customs.printing import PrintFontMissing, PrintNumbers
from guanwu.customs.rules import Level, check
from guanwu.platform.clock import Clock
from guanwu.platform.refusal import Refusal
from guanwu.review.adapters_advanced import AuditLog, DeclarationHistory, ReviewSettingsStore
from guanwu.review.adapters_declaration import DeclarationApi
from guanwu.review.adapters_printing import render_review_sheet
from guanwu.review.domain.advanced import TEMPLATE_NONE, AdvancedReview, TemplateNote, advanced_view
from guanwu.review.domain.audit import audit_record
from guanwu.review.domain.comparisons import TemplateCopy, compare
from guanwu.review.domain.history import consignee_of, history_row
from guanwu.review.domain.sheet import review_sheet
from guanwu.review.domain.tasks import ReviewRefused, ReviewTask
from guanwu.review.service_layer.unit_of_work import ReviewUnitOfWork


@dataclass(frozen=True)
class AdvancedContext:
    """What the 高级审核, 发送, settings and audit routes and consumers are given by bootstrap."""

    new_uow: Callable[[], ReviewUnitOfWork]
    clock: Clock
    history: DeclarationHistory
    audit: AuditLog
    settings: ReviewSettingsStore
    declaration_url: str | None = None
    """Base URL of the declaration service (高级审核's template); None: the same process (embedded)."""
    api_timeout_seconds: float = 10.0


# ── consumers ────────────────────────────────────────────────────────────────────────────────────────────


async def learn_declarations(items: Sequence[tuple[Envelope, Event]], *, history: DeclarationHistory) -> None:
    """Declaration events into review's history (redelivery-safe: rows are kept at the declaration's version)."""
    await history.learn([history_row(envelope, event) for envelope, event in items])


async def record_audit(items: Sequence[tuple[Envelope, Event]], *, audit: AuditLog) -> None:
    """Review events into the audit (redelivery-safe: a record's id derives from its event's)."""
    records = [r for envelope, event in items if (r := audit_record(envelope, event)) is not None]
    if records:
        await audit.record(records)


# ── 高级审核 ─────────────────────────────────────────────────────────────────────────────────────────────


def _without_document() -> ReviewRefused:
    return ReviewRefused(
        "review.no_document",
        "该审核任务没有报关单内容（提交于报关单内容随事件发布之前），无法进行高级审核或打印",
        "The task holds no declaration document (submitted before events carried it): nothing to compare "
        "or print",
    )


async def _template(api: DeclarationApi, declaration_id: str) -> tuple[TemplateCopy | None, TemplateNote]:
    try:
        template_id = (await api.declaration(declaration_id)).template_id
        if template_id is None:
            return None, TEMPLATE_NONE
        template = await api.template(template_id)
    except Refusal as exc:  # unreachable, or a refusal passed on: the view stands without the template
        return None, _unavailable(exc)
    if template is None:
        return None, TemplateNote(
            state="deleted",
            template_id=template_id,
            message_zh="本单所用的单证模版已删除，无法比对",
            message_en="The template this declaration was made from was deleted: not compared",
        )
    note = TemplateNote(
        state="compared",
        template_id=template.template_id,
        name=template.name,
        message_zh=f"已与单证模版「{template.name}」比对",
        message_en=f"Compared with the template '{template.name}'",
    )
    return template, note


def _unavailable(exc: Refusal) -> TemplateNote:
    return TemplateNote(
        state="unavailable",
        message_zh=f"无法读取单证模版：{exc.message_zh}",
        message_en=f"The template could not be read: {exc.message_en}",
    )


async def advanced_review(
    tenant: str, review_id: str, *, context: AdvancedContext, api: DeclarationApi
) -> AdvancedReview:
    task = await context.new_uow().tasks.load(tenant, review_id)
    document = task.document
    if document is None:
        raise _without_document()
    consignee = consignee_of(document)
    earlier = []
    if consignee is not None:
        earlier = await context.history.earlier(
            tenant,
            consignee=consignee,
            ie_flag=document.head.ie_flag,
            hs_codes=[line.code_ts for line in document.goods if line.code_ts],
            besides=task.declaration_id,
        )
    template, note = await _template(api, task.declaration_id)
    return advanced_view(
        task,
        findings=check(document, Level.DECLARE),
        comparisons=compare(document, earlier, template),
        template=note,
        consignee=consignee,
        earlier_declarations=len(earlier),
    )


# ── 打印 ─────────────────────────────────────────────────────────────────────────────────────────────────


class PrintingUnavailable(Refusal):
    """This machine cannot print: the CJK font is missing (HTTP 503; the message says how to install it)."""

    status = 503


async def print_review_sheet(
    tenant: str, review_id: str, *, context: AdvancedContext
) -> tuple[ReviewTask, bytes]:
    """The review sheet of a task as PDF (rendered in a worker thread: it takes a core for a while)."""
    task = await context.new_uow().tasks.load(tenant, review_id)
    if task.document is None:
        raise _without_document()
    numbers = PrintNumbers(seq_no=task.seq_no, entry_id=task.entry_id)
    try:
        content = await asyncio.to_thread(render_review_sheet, task.document, review_sheet(task), numbers)
    except PrintFontMissing as missing:
        raise PrintingUnavailable(
            "review.printing_unavailable", missing.message_zh, missing.message_en
        ) from missing
    return task, content
