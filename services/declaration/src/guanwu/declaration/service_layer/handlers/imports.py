"""导入 (F-33): a filled workbook becomes declaration drafts, all or nothing per file.

1. An import of this file by this tenant (its id derives from the tenant, the file's sha256 and the upload's
   进出口标志) that has completed answers its drafts: nothing is read or written again.
2. Otherwise the whole file is read and every declaration checked (in a worker thread: parsing and the
   kernel's checks are CPU work) before anything is written; one error-level finding refuses the file (422
   with the findings) and nothing is written.
3. The import record is written (state `writing`, the drafts' ids derived from it), then the drafts in
   batches, each made by the domain's 暂存 step (`draft`, with 暂存's findings) and announced by its
   DeclarationDrafted in the same write, exactly as POST /declarations makes one, but inserted with `once`:
   a draft already written by an earlier attempt is found, not written twice (nor announced twice).
4. The record is marked `completed`. A crash anywhere leaves either nothing or a `writing` record; the same
   file uploaded again goes through 2–4 and completes it. Two uploads of the same file at once both write
   the same ids (one wins each insert) and both answer the same record.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Literal

import anyio.to_thread

from guanwu.declaration.adapters.xlsx_import import read_workbook
from guanwu.declaration.config import ImportLimits
from guanwu.declaration.domain.commands import Caller
from guanwu.declaration.domain.imports import (
    DeclarationImport,
    ImportFinding,
    ImportHasFindings,
    ImportState,
    completed,
    empty_import,
    import_id_of,
    started,
)
from guanwu.declaration.domain.imports_layout import GOODS_SHEET, HEAD_SHEET
from guanwu.declaration.domain.imports_rows import ReadDeclaration, ReadResult
from guanwu.declaration.domain.model import draft
from guanwu.declaration.service_layer.handlers import SOURCE
from guanwu.declaration.service_layer.unit_of_work import DeclarationUnitOfWork
from guanwu.platform.clock import Clock
from guanwu.platform.events import envelope_for
from guanwu.platform.refusal import VersionConflict


@dataclass(frozen=True)
class ReceivedFile:
    """An uploaded file, kept in a temporary file by the entrypoint while it is imported."""

    path: Path
    name: str | None
    sha256: str
    size: int


@dataclass(frozen=True)
class ImportAnswer:
    record: DeclarationImport
    new: bool
    """False: the file had been imported already, and this upload changed nothing."""


def _sheet_order(finding: ImportFinding) -> tuple[int, int, int]:
    sheet = {HEAD_SHEET: 0, GOODS_SHEET: 1}.get(finding.sheet, 2)
    return (finding.severity != "error", sheet, finding.row or 0)


def refuse_findings(result: ReadResult, limits: ImportLimits) -> None:
    """422 with every finding (errors first, by sheet and row) when one of them is an error."""
    if result.errors:
        findings = sorted(result.findings, key=_sheet_order)
        raise ImportHasFindings(findings, shown=limits.max_findings)


async def import_workbook(
    received: ReceivedFile,
    *,
    ie_flag: Literal["I", "E"] | None,
    caller: Caller,
    uow: DeclarationUnitOfWork,
    clock: Clock,
    limits: ImportLimits,
) -> ImportAnswer:
    import_id = import_id_of(caller.tenant, received.sha256, ie_flag)
    record = await uow.imports.get(caller.tenant, import_id)
    if record is not None and record.state is ImportState.COMPLETED:
        return ImportAnswer(record, new=False)
    read = partial(read_workbook, received.path, limits=limits, ie_flag=ie_flag)
    result = await anyio.to_thread.run_sync(read)
    refuse_findings(result, limits)
    if not result.declarations:
        raise empty_import()
    if record is None:
        record = await _started(
            import_id, received, ie_flag, result, caller=caller, uow=uow, clock=clock, limits=limits
        )
    written = await _write_drafts(
        record, result.declarations, caller=caller, uow=uow, clock=clock, batch=limits.write_batch
    )
    return ImportAnswer(await _completed(record, written, uow=uow, clock=clock), new=True)


async def _started(
    import_id: str,
    received: ReceivedFile,
    ie_flag: Literal["I", "E"] | None,
    result: ReadResult,
    *,
    caller: Caller,
    uow: DeclarationUnitOfWork,
    clock: Clock,
    limits: ImportLimits,
) -> DeclarationImport:
    """The record in state `writing` (or the one a concurrent upload of the same file wrote first)."""
    record = started(
        import_id,
        tenant=caller.tenant,
        file_name=received.name,
        sha256=received.sha256,
        size=received.size,
        ie_flag=ie_flag,
        goods_lines=result.goods_lines,
        count=len(result.declarations),
        warnings=sorted(result.findings, key=_sheet_order),
        user_id=caller.user_id,
        now=clock(),
        max_listed=limits.max_findings,
    )
    write = uow.imports.add(record, once=True)
    await uow.commit()
    return record if write.stored else await uow.imports.load(caller.tenant, import_id)


async def _write_drafts(
    record: DeclarationImport,
    declarations: Sequence[ReadDeclaration],
    *,
    caller: Caller,
    uow: DeclarationUnitOfWork,
    clock: Clock,
    batch: int,
) -> int:
    """Every draft not written yet, `batch` per store round trip; answers how many this call wrote."""
    written = 0
    pairs = list(zip(record.declaration_ids, declarations, strict=True))
    for start in range(0, len(pairs), batch):
        now = clock()
        writes = []
        for declaration_id, read in pairs[start : start + batch]:
            made = draft(
                read.document,
                read.findings,
                declaration_id=declaration_id,
                tenant=caller.tenant,
                user_id=caller.user_id,
                now=now,
            )
            event = envelope_for(made.drafted_event(), source=SOURCE, tenant=caller.tenant)
            writes.append(uow.declarations.add(made, [event], once=True))
        await uow.commit()
        written += sum(1 for write in writes if write.stored)
    return written


async def _completed(
    record: DeclarationImport, written: int, *, uow: DeclarationUnitOfWork, clock: Clock
) -> DeclarationImport:
    if record.state is ImportState.COMPLETED:
        return record
    done = completed(record, written=written, now=clock())
    uow.imports.save(done)
    try:
        await uow.commit()
    except VersionConflict:  # a concurrent upload of the same file completed it first
        return await uow.imports.load(record.tenant, record.import_id)
    return done


async def load_import(import_id: str, *, caller: Caller, uow: DeclarationUnitOfWork) -> DeclarationImport:
    return await uow.imports.load(caller.tenant, import_id)
